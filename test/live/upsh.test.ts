/**
 * Live: the rendered up.sh and down.sh are true — run as the README says (as root, from the
 * repository root), from a folder `render -o` wrote outside generated/, they build the lab with
 * every container running (the cluster DNS server too, which joins its pod's mount namespace and
 * so needs podlab's programs by absolute path), its pods answer each other, and down.sh leaves no
 * namespace.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { labNetnsOnHost, liveGuard } from './host.ts';
import { renderedLabAroundSuite } from './rendered-lab.ts';

const live = liveGuard();
const LAB = 'upsh-kubenet';

/** The lab's container processes (podlab's workload serving as one of its pods) with their network namespaces. */
function workloads(): { pid: string; pod: string; net: string }[] {
  const out: { pid: string; pod: string; net: string }[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv[0]?.endsWith('/build/native/workload') || !argv.includes('--pod')) continue;
      out.push({ pid, pod: argv[argv.indexOf('--pod') + 1]!, net: readlinkSync(`/proc/${pid}/ns/net`) });
    } catch {
      /* gone */
    }
  }
  return out;
}

const pidsIn = async (ns: string) => (await execa('ip', ['netns', 'pids', ns], { reject: false })).stdout.split('\n').filter(Boolean).length;

describe.skipIf(!live)('the rendered up.sh and down.sh, run by hand', () => {
  // The kubenet example under a name of this test's own, rendered; the test runs its scripts.
  const lab = renderedLabAroundSuite('kubenet', LAB, 'upsh');

  it('up.sh builds it with every container running, the cluster DNS server among them; down.sh removes it', async () => {
    // Its daemons run on in the background with the script's output: to a file, as a learner's terminal would hold it.
    const up = await lab.runUp();
    await new Promise((r) => setTimeout(r, 500));
    const said = readFileSync(join(lab.dir, 'up.log'), 'utf8');
    expect(up.exitCode, said).toBe(0);
    expect(said).not.toMatch(/No such file|failed to execute/);
    // Each pod's namespace holds its pause and its containers (the DNS pod: pause, unshare's init, the server).
    expect(await pidsIn(`podlab-${LAB}.pod.default.web-a`)).toBeGreaterThanOrEqual(2);
    expect(await pidsIn(`podlab-${LAB}.pod.kube-system.coredns`)).toBeGreaterThanOrEqual(2);
    // No container joined its sandbox before the pause process was in its namespaces: none is in
    // the host's network namespace. (The hostNetwork pod agent's once was, its tcp-echo listening on
    // the host's port 9100 and outliving down.sh, when up.sh did not wait for pause's ready line.)
    const host = readlinkSync('/proc/self/ns/net');
    const agentNs = (await execa('ip', ['netns', 'pids', `podlab-${LAB}.node.worker-2`], { reject: false })).stdout.split('\n');
    const started = workloads().filter((w) => ['web-a', 'web-b', 'agent'].includes(w.pod));
    expect(started.filter((w) => w.net === host)).toEqual([]);
    expect(started.some((w) => w.pod === 'agent' && agentNs.includes(w.pid))).toBe(true);
    // The cluster DNS answers for its own Service once the server (a Node process) has started.
    let answer = '';
    for (const deadline = Date.now() + 15_000; answer !== '10.96.0.10' && Date.now() < deadline; ) {
      answer = (await execa('ip', ['netns', 'exec', `podlab-${LAB}.pod.default.web-a`, 'dig', '+short', '+tries=1', '+time=1', '@10.96.0.10', 'kube-dns.kube-system.svc.cluster.local'], { reject: false })).stdout.trim();
    }
    expect(answer).toBe('10.96.0.10');
    const curl = await execa('ip', ['netns', 'exec', `podlab-${LAB}.pod.default.web-a`, 'curl', '-s', '-m', '2', 'http://10.244.2.2:8080/'], { reject: false });
    expect(curl.stdout).toContain('"pod":"web-b"');
    const dn = await lab.runDown();
    expect(dn.exitCode, dn.stderr).toBe(0);
    expect(await labNetnsOnHost(LAB)).toEqual([]);
  }, 180_000);
});
