/**
 * The rendered up.sh starts each DNS server (the cluster DNS and a host's) with the same root of
 * its own as `up` does (contain --only: runtime/dns.ts dnsServerView): the script's words, expanded
 * by a real shell from the repository root, give exactly the view `up` computes for the same
 * server — never the host's whole filesystem, as the script did before.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dnsServerView } from '../../src/runtime/dns.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const script = readFileSync(`${REPO}generated/dns/up.sh`, 'utf8');

/** The words of a DNS server's line from `$CONTAIN` (build/native/contain) on, as sh expands them after the script's own preamble. */
function expanded(line: string): string[] {
  const preamble = script.split('\n').filter((l) => /^(NODE|DNS|DNS_LIBS|CONTAIN)=|^for p in /.test(l));
  const part = line.slice(line.indexOf('$CONTAIN'), line.lastIndexOf(' &'));
  const out = execFileSync('sh', ['-euc', `${preamble.join('\n')}\nset -- ${part}\nprintf '%s\\n' "$@"`], { cwd: REPO, encoding: 'utf8' });
  return out.trimEnd().split('\n');
}

function view(words: string[]) {
  const end = words.indexOf('--');
  const only = words.slice(0, end).flatMap((w, i) => (words[i - 1] === '--only' ? [w] : []));
  return { only, program: words.slice(end + 1) };
}

describe("up.sh's DNS servers get the view `up` gives them", () => {
  const lines = script.split('\n').filter((l) => l.includes('podlab-dns.cjs'));

  it('the lab has a cluster DNS and a host DNS server, each started through contain --only', () => {
    expect(lines).toHaveLength(2);
    // contain by absolute path ($CONTAIN): the server joins its pod's mount namespace, where the root's relative paths are not.
    expect(script).toMatch(/^CONTAIN=\$PWD\/build\/native\/contain$/m);
    for (const l of lines) expect(l).toMatch(/\$CONTAIN --uid \d+ --gid \d+ (--listen \w+:53 )*\$DNS_LIBS --only /);
    // The cluster DNS server gets its sockets bound by contain (socket activation); a host's does not.
    expect(lines[0]).toContain('--listen tcp4:53 --listen udp4:53 ');
    expect(lines[1]).not.toContain('--listen');
  });

  for (const [i, pod] of [[0, { system: 'dns' }], [1, {}]] as const) {
    it(`${i === 0 ? 'the cluster DNS' : "the host's DNS server"}: the same paths as dnsServerView, all absolute, none of /, /etc, /root, /run/podlab`, () => {
      const { only, program } = view(expanded(lines[i]!));
      // The program by absolute path: contain starts it from its new root's /.
      expect(program[0]).toMatch(/^\//);
      expect(program[1]).toBe(`${REPO}build/dns/podlab-dns.cjs`);
      expect(new Set(only)).toEqual(new Set(dnsServerView(program, pod, program[0], program[1])));
      for (const p of only) expect(p.startsWith('/'), p).toBe(true);
      expect(only.filter((p) => ['/', '/etc', '/root', '/run', '/run/podlab', '/home', '/var'].includes(p))).toEqual([]);
      // What exists on this machine is in the view (the libraries the script tests for itself).
      for (const p of ['/lib', '/usr/lib', '/etc/ld.so.cache'].filter((p) => existsSync(p))) expect(only).toContain(p);
    });
  }
});
