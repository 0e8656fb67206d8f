/** The CLI as a user meets it: exit codes, --json, render --check. Needs no root. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { recordOf } from '../../src/runtime/procs.ts';
import type { LabState } from '../../src/runtime/state.ts';

// A type-check cache of the tests' own (src/compile/typecheck-cache.ts), not the user's.
const CACHE = mkdtempSync(join(tmpdir(), 'podlab-cli-cache-'));
afterAll(() => rmSync(CACHE, { recursive: true, force: true }));
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { PODLAB_CACHE_DIR: CACHE } });

describe('podlab CLI', () => {
  it('starts from its bundle, rebuilt as soon as a source file is newer', async () => {
    await podlab('--version');
    const bundle = 'build/cli/podlab.cjs';
    // A bundle older than the sources (as after an edit): made so by dating the bundle back.
    const past = new Date(statSync('src/cli/main.ts').mtimeMs - 60_000);
    utimesSync(bundle, past, past);
    const r = await podlab('--help');
    expect(r.exitCode).toBe(0);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(statSync('src/cli/main.ts').mtimeMs);
    // Fresh now: the next start reuses it.
    const again = statSync(bundle).mtimeMs;
    expect((await podlab('--version')).exitCode).toBe(0);
    expect(statSync(bundle).mtimeMs).toBe(again);
  });


  it('the podlab command starts Node without NODE_EXTRA_CA_CERTS; `node bin/podlab.js` is handed it as given', async () => {
    // Node 20 reads the file as it starts and warns when it cannot: a file that does not exist shows
    // which process read it.
    const env = { PODLAB_CACHE_DIR: CACHE, NODE_EXTRA_CA_CERTS: join(CACHE, 'no-such-ca.pem') };
    const command = await execa('bin/podlab.js', ['--version'], { reject: false, env });
    expect(command.exitCode).toBe(0);
    expect(command.stdout).toMatch(/^\d+\.\d+\.\d+$/);
    expect(command.stderr).not.toContain('extra certs');
    const direct = await execa('node', ['bin/podlab.js', '--version'], { reject: false, env });
    expect(direct.exitCode).toBe(0);
    expect(direct.stderr).toContain('Ignoring extra certs');
    // Arguments pass through the launcher as they are, spaces and all; and it runs through a link
    // elsewhere, as `npm link` installs it.
    const link = join(CACHE, 'podlab');
    symlinkSync(join(process.cwd(), 'bin/podlab.js'), link);
    const spaced = await execa(link, ['validate', 'no such lab.ts', '--json', '--no-typecheck'], { reject: false, env });
    expect(JSON.parse(spaced.stdout)).toMatchObject({ file: 'no such lab.ts', valid: false });
    expect(spaced.stderr).not.toContain('extra certs');
  });
  it('a usage error is exit 2 (podlab could not run), never 1 (the lab failed), from every bundle; help and version are 0', async () => {
    const usage: string[][] = [
      [], // no command: the help, as a usage error
      ['nosuchcmd'],
      ['validate'], // a missing argument (the whole CLI)
      ['up', 'labs/kubenet.lab.ts', '--bogus'], // up's bundle
      ['down', 'kubenet', '--bogus'], // down's
      ['get', 'pods', 'kubenet', '--bogus'], // the live commands'
      ['check', 'kubenet', '--format', 'xml'], // check's: a bad choice
      ['trace', 'kubenet', 'a', 'b', '--port', '0'], // a bad value
      ['explain', 'kubenet', 'a', 'b', '--port', '70000/tcp'],
      ['capture', 'kubenet', 'client', '-c', '0'],
      ['ui', 'kubenet', '--port', 'x'],
      ['grade', 'exercises/coredns-forwarder', 'x.lab.ts', '--jobs', '0'],
      ['pod'], // a group without its subcommand
    ];
    for (const args of usage) {
      const r = await podlab(...args);
      expect(r.exitCode, `podlab ${args.join(' ')}: ${r.stderr}`).toBe(2);
      // Coded (PL3141) with a pointer to --help; a group without its subcommand prints the group's help.
      expect(r.stderr).toMatch(/^(error PL3141 |Usage: )/m);
      expect(r.stderr).not.toContain('internal error');
    }
    for (const args of [['--help'], ['--version'], ['help', 'up'], ['trace', '--help']]) expect((await podlab(...args)).exitCode, args.join(' ')).toBe(0);
  });

  it('validate: exit 0 and a JSON verdict for a valid lab', async () => {
    const r = await podlab('validate', 'labs/kubenet.lab.ts', '--json', '--no-typecheck');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: 'labs/kubenet.lab.ts', valid: true, diagnostics: [] });
  });

  it('validate: exit 1 and every positioned diagnostic for an invalid lab', async () => {
    const dir = mkdtempSync(join('test', '.tmp-cli-'));
    try {
      const file = join(dir, 'bad.lab.ts');
      writeFileSync(file, [
        "import { defineLab } from 'podlab';",
        'export default defineLab({',
        "  name: 'bad',",
        "  nodes: { w1: { ip: '172.16.94.300' } },",
        "  pods: { a: { node: 'w2' } },",
        '});',
        '',
      ].join('\n'));
      const r = await podlab('validate', file, '--json');
      expect(r.exitCode).toBe(1);
      const out = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { code: string; line: number; column: number }[] };
      expect(out.valid).toBe(false);
      expect(out.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
        ['PL2003', 4, 18],
        ['PL2006', 5, 16],
      ]);
      const human = await podlab('validate', file);
      expect(human.stderr).toContain(`${file}:5:16 - error PL2006 pods.a.node: pod "a" is scheduled on node "w2", which the lab does not declare`);
      expect(human.stderr).toMatch(/> 5 \|\s+pods: \{ a: \{ node: 'w2' \} \},\n\s+\|\s+\^/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validate: a lab edited between two validates is type-checked again', async () => {
    const dir = mkdtempSync(join('test', '.tmp-cli-'));
    try {
      const file = join(dir, 'edit.lab.ts');
      // The edit is a type error the schema does not see (one the schema reports is left out: one-per-mistake.ts).
      const lab = (extra: string) => ["import { defineLab } from 'podlab';", 'export default defineLab({', "  name: 'edit',", "  nodes: { w1: { ip: '172.16.94.11' } },", '});', extra, ''].join('\n');
      writeFileSync(file, lab(''));
      const first = await podlab('validate', file, '--json');
      expect(first.exitCode).toBe(0);
      writeFileSync(file, lab("export const port: number = '80';"));
      const second = await podlab('validate', file, '--json');
      expect(second.exitCode).toBe(1);
      const out = JSON.parse(second.stdout) as { diagnostics: { code: string; message: string; line: number }[] };
      expect(out.diagnostics.filter((d) => d.code === 'PL0004').map((d) => [d.message.split(':')[0], d.line])).toEqual([['TS2322', 6]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('render --check: exit 0 when generated/ is current, 1 naming the file that drifted', async () => {
    expect((await podlab('render', 'labs/kubenet.lab.ts', '--check')).exitCode).toBe(0);
    const out = mkdtempSync(join(tmpdir(), 'podlab-render-'));
    try {
      cpSync('generated', out, { recursive: true });
      writeFileSync(join(out, 'kubenet', 'ip', 'fabric.batch'), 'tampered\n');
      const r = await podlab('render', 'labs/kubenet.lab.ts', '--check', '--out', out);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('changed ip/fabric.batch');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('exec and status on a lab that is not up exit non-zero with a clear message', async () => {
    const s = await podlab('status', 'no-such-lab');
    expect(s.exitCode).toBe(1);
    expect(s.stderr).toContain('error PL3113 lab "no-such-lab" is not up');
    const e = await podlab('exec', 'no-such-lab', 'web', '--', 'true');
    expect(e.exitCode).toBe(2);
    expect(e.stderr).toContain('lab "no-such-lab" is not up');
  });

  it('a lab that is not up is PL3113, exit 2, from every live command; with --json as JSON on stdout', async () => {
    const commands = [
      ['check', 'no-such-lab', '--json'],
      ['scenario', 'no-such-lab', 'x', '--json'],
      ['pod', 'delete', 'no-such-lab', 'web', '--json'],
      ['scale', 'no-such-lab', 'web', '2', '--json'],
      ['set', 'env', 'no-such-lab', 'web', 'A=b', '--json'],
      ['node', 'fail', 'no-such-lab', 'worker-1', '--json'],
      ['label', 'no-such-lab', 'web', 'a=b', '--json'],
      ['policy', 'delete', 'no-such-lab', 'x', '--json'],
      ['kubeconfig', 'no-such-lab', '--json'],
      ['dns', 'reload', 'no-such-lab', '--json'],
      ['events', 'no-such-lab', '--json'],
      ['get', 'pods', 'no-such-lab', '-o', 'json'],
      ['trace', 'no-such-lab', 'a', 'b', '--json'],
      ['ui', 'no-such-lab', '--json'],
    ];
    for (const args of commands) {
      const r = await podlab(...args);
      expect(r.exitCode, `podlab ${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(JSON.parse(r.stdout), args.join(' ')).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3113', message: 'lab "no-such-lab" is not up', hint: expect.stringContaining('podlab up <its lab file>') }] });
    }
    // The hint names the lab's file where the examples keep theirs (a prefixed lab's unprefixed name).
    const named = await podlab('--prefix', 'zz-nope-', 'trace', 'services', 'a', 'b', '--json');
    expect(JSON.parse(named.stdout).diagnostics[0].hint).toContain('podlab up labs/services.lab.ts');
    // A lab named by a file that does not compile: its diagnostics, as JSON with --json (exit 1).
    for (const args of [['down', 'test/no-such.lab.ts', '--json'], ['check', 'test/no-such.lab.ts', '--format', 'json'], ['get', 'pods', 'test/no-such.lab.ts', '-o', 'json'], ['up', 'test/no-such.lab.ts', '--json']]) {
      const r = await podlab(...args);
      expect(r.exitCode, args.join(' ')).toBe(1);
      // In the shape of every command's error (validate's own answer is `{ file, valid, diagnostics }`).
      const j = JSON.parse(r.stdout);
      expect(j, args.join(' ')).toMatchObject({ ok: false, file: 'test/no-such.lab.ts', diagnostics: [{ code: 'PL0001' }] });
      expect(j, args.join(' ')).not.toHaveProperty('valid');
    }
    // Without --json, the same diagnostic on stderr.
    for (const args of [['check', 'no-such-lab'], ['logs', 'no-such-lab', 'web'], ['capture', 'no-such-lab', 'web']]) {
      const r = await podlab(...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('error PL3113 lab "no-such-lab" is not up');
    }
  });

  it('a reader that went away (`podlab graph … | head`) ends the command quietly, exit 141 as SIGPIPE', async () => {
    const p = podlab('graph', 'labs/services.lab.ts', '--format', 'mermaid');
    p.stdout!.destroy();
    const r = await p;
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.exitCode).toBe(141);
  });

  it('up and down run from bundles of their own; down of a lab file, from the whole CLI, which compiles its name', async () => {
    // The down bundle loads no compiler (src/cli/down-main.ts); PODLAB_TRACE names the bundle started.
    const traced = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { PODLAB_CACHE_DIR: CACHE, PODLAB_TRACE: '1' } });
    const byName = await traced('down', 'spd-cli-none');
    expect(byName.exitCode).toBe(0);
    expect(byName.stderr).toContain('spd-cli-none: nothing to remove');
    expect(byName.stderr).toContain('boot: load the CLI bundle (down.cjs)');
    const byFile = await traced('down', 'labs/kubenet.lab.ts', '--json');
    expect(byFile.exitCode).toBe(0);
    expect(byFile.stderr).toContain('boot: load the CLI bundle (podlab.cjs)');
    // A lab file is compiled for its name, the prefix applied to it.
    expect(JSON.parse(byFile.stdout)).toEqual([{ lab: 'kubenet', namespaces: [], processes: 0, existed: false }]);
    // `up` from its own bundle, with the program's global option and usage errors as in the whole CLI.
    const upMissing = await traced('up', 'test/no-such.lab.ts', '--prefix', 'spd-x-');
    expect(upMissing.exitCode).toBe(1);
    expect(upMissing.stderr).toContain('boot: load the CLI bundle (up.cjs)');
    expect(upMissing.stderr).toContain('error PL0001 no such file: test/no-such.lab.ts');
    const upHelp = await podlab('up', '--help');
    expect(upHelp.stdout).toContain('Usage: podlab up [options] <lab>');
    expect(upHelp.stdout).toContain('--no-api');
    const upBad = await podlab('up', 'labs/kubenet.lab.ts', '--no-such-option');
    expect(upBad.exitCode).toBe(2);
    expect(upBad.stderr).toContain("error PL3141 unknown option '--no-such-option'");
    expect(upBad.stderr).not.toContain('Usage:'); // a pointer to --help, not the whole help
    const prefixed = await podlab('--prefix', 'spd-x-', 'down', 'labs/kubenet.lab.ts', '--json');
    expect(JSON.parse(prefixed.stdout)).toMatchObject([{ lab: 'spd-x-kubenet', existed: false }]);
    const bad = await podlab('down', 'none', '--prefix', 'Bad_');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('PL3140');
    const neither = await podlab('down');
    expect(neither.exitCode).toBe(2);
    expect(neither.stderr).toContain('name a lab, or use --all');
    const help = await podlab('down', '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: podlab down [options] [lab]');
    expect(help.stdout).toContain('--all');
  });

  it("a live lab's commonest commands run from bundles without the compiler; a lab file sends them to the whole CLI", async () => {
    const traced = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { PODLAB_CACHE_DIR: CACHE, PODLAB_TRACE: '1' } });
    // status, get, exec, logs and events of a lab named by its name: live.cjs (src/cli/live-main.ts).
    // (exec's command after `--` may name any file.)
    for (const args of [['status', 'spd-none'], ['get', 'pods', 'spd-none'], ['logs', 'spd-none', 'web'], ['events', 'spd-none'], ['exec', 'spd-none', 'web', '--', 'cat', '/etc/hosts']]) {
      const r = await traced(...args);
      expect(r.stderr, args.join(' ')).toContain('boot: load the CLI bundle (live.cjs)');
      expect(`${r.stdout}${r.stderr}`, args.join(' ')).toMatch(/lab "spd-none" is not up/);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
    }
    // check and scenario, and the commands that change a live lab as a scenario's steps do: check.cjs (src/cli/check-main.ts).
    for (const args of [['check', 'spd-none'], ['scenario', 'spd-none'], ['pod', 'delete', 'spd-none', 'web'], ['scale', 'spd-none', 'web', '2'], ['node', 'fail', 'spd-none', 'worker-1'], ['set', 'env', 'spd-none', 'web', 'A=1'], ['dns', 'reload', 'spd-none']]) {
      const r = await traced(...args);
      expect(r.stderr, args.join(' ')).toContain('boot: load the CLI bundle (check.cjs)');
      expect(r.exitCode, args.join(' ')).toBe(2);
    }
    // trace, explain, graph and capture: see.cjs (src/cli/see-main.ts).
    for (const args of [['trace', 'spd-none', 'a', 'b'], ['explain', 'spd-none', 'a', 'b'], ['graph', 'spd-none', '-f', 'dot'], ['capture', 'spd-none', 'a']]) {
      const r = await traced(...args);
      expect(r.stderr, args.join(' ')).toContain('boot: load the CLI bundle (see.cjs)');
      expect(r.stderr, args.join(' ')).toMatch(/lab "spd-none" is not up/);
      expect(r.exitCode, args.join(' ')).toBe(2);
    }
    const traceFile = await traced('trace', 'labs/pod-networking.lab.ts', 'client', 'web-2', '--port', '8080');
    expect(traceFile.stderr).toContain('boot: load the CLI bundle (podlab.cjs)');
    expect(traceFile.stdout).toContain('(planned;');
    expect(traceFile.exitCode).toBe(0);
    // A lab file needs the compiler for its name: the whole CLI, which compiles it (prefix and all).
    const byFile = await traced('--prefix', 'spd-x-', 'status', 'labs/kubenet.lab.ts');
    expect(byFile.stderr).toContain('boot: load the CLI bundle (podlab.cjs)');
    expect(byFile.stderr).toContain('lab "spd-x-kubenet" is not up');
    const fileOnly = await traced('events', 'labs/kubenet.lab.ts');
    expect(fileOnly.stderr).toContain('boot: load the CLI bundle (podlab.cjs)');
    expect(fileOnly.stderr).toContain('lab "kubenet" is not up');
    const checkFile = await traced('check', 'labs/kubenet.lab.ts');
    expect(checkFile.stderr).toContain('boot: load the CLI bundle (podlab.cjs)');
    expect(checkFile.exitCode).toBe(2);
    // Each bundle's help is the whole CLI's for the command.
    const help = await podlab('exec', '--help');
    expect(help.stdout).toContain('Usage: podlab exec [-n namespace] [-c container] <lab> <target> -- <command...>');
  });

  it('--help teaches: names the commands and the exit codes', async () => {
    const r = await podlab('--help');
    for (const c of ['validate', 'render', 'up', 'down', 'status', 'exec', 'logs', 'check']) expect(r.stdout).toContain(c);
    expect(r.stdout).toContain('Exit codes: 0 success, 1 the lab or its checks failed, 2 podlab could not run (a usage error is\nPL3141), 130 up interrupted by Ctrl-C');
  });

  it('graph: Mermaid of a lab file on stdout, exit 0; SVG by default, the same bytes as generated/', async () => {
    const r = await podlab('graph', 'labs/pod-networking.lab.ts', '--format', 'mermaid');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^flowchart LR$/m);
    for (const ip of ['10.244.1.2', '10.244.2.2', '10.244.3.2']) expect(r.stdout).toContain(ip);
    const dir = mkdtempSync(join(tmpdir(), 'podlab-graph-'));
    try {
      const out = join(dir, 'pod-networking.svg');
      const s = await podlab('graph', 'labs/pod-networking.lab.ts', '--out', out);
      expect(s.exitCode).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync('generated/pod-networking/topology.svg', 'utf8'));
      // The format follows --out's extension when --format is not given.
      expect((await podlab('graph', 'labs/pod-networking.lab.ts', '--out', join(dir, 'g.dot'))).exitCode).toBe(0);
      expect(readFileSync(join(dir, 'g.dot'), 'utf8')).toContain('digraph "pod-networking" {');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('graph: a bad --format exits 2 naming the formats; --checks of a lab file exits 2; a lab that is not up exits 2 saying how to draw its plan; each with its code', async () => {
    const r = await podlab('graph', 'labs/pod-networking.lab.ts', '--format', 'png');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error PL3150 --format "png" is not a drawing format: use one of svg, mermaid, dot, json.');
    expect(r.stderr).toContain('podlab graph labs/pod-networking.lab.ts --format dot | dot -Tpng -o pod-networking.png');
    expect(r.stdout).toBe('');
    const c = await podlab('graph', 'labs/pod-networking.lab.ts', '--checks');
    expect(c.exitCode).toBe(2);
    expect(c.stderr).toContain('error PL3151 --checks marks the checks of a lab that is up');
    expect(c.stderr).toContain('podlab graph pod-networking --checks');
    expect(c.stdout).toBe('');
    const n = await podlab('graph', 'no-such-lab');
    expect(n.exitCode).toBe(2);
    expect(n.stderr).toContain('error PL3113 lab "no-such-lab" is not up');
    // No file of that name: never a made-up path, but the labs up (if any) and how to draw a plan.
    expect(n.stderr).not.toContain('labs/no-such-lab.lab.ts');
    expect(n.stderr).toContain('To draw a plan, name the lab file');
    const h = await podlab('graph', '--help');
    expect(h.stdout).toContain('svg, mermaid, dot, json');
    expect(h.stdout).toContain('draws its live state');
  });

  it('graph: a lab that is up is drawn from its state, pods that are down marked', async () => {
    const root = mkdtempSync(join(tmpdir(), 'podlab-state-'));
    try {
      const plan = buildPlan((await compileLab('labs/pod-networking.lab.ts')).lab!);
      const alive = recordOf(process.pid);
      const state: LabState = {
        lab: plan.lab,
        status: 'up',
        createdAt: new Date().toISOString(),
        steps: [],
        plan,
        pods: {
          web: { pause: alive, ip: '10.244.1.2', containers: {}, cniResult: { interfaces: [{ name: 'cni0' }, { name: 'veth0a1b2c3d' }, { name: 'eth0', sandbox: '/run/netns/x' }] } },
          client: { pause: alive, ip: '10.244.1.9', containers: {} },
          echo: { pause: { pid: process.pid, startTime: 1 }, ip: '10.244.3.2', containers: {} },
          coredns: { pause: alive, ip: '10.244.0.2', containers: {} },
        },
      };
      mkdirSync(join(root, plan.lab));
      writeFileSync(join(root, plan.lab, 'state.json'), JSON.stringify(state));
      const r = await execa('node', ['bin/podlab.js', 'graph', plan.lab, '--format', 'json'], { reject: false, env: { PODLAB_STATE_ROOT: root } });
      expect(r.exitCode).toBe(0);
      const g = JSON.parse(r.stdout) as { live: boolean; nodes: { id: string; state?: string; ips: string[]; label: string[] }[]; edges: { to: string; label?: string[] }[] };
      expect(g.live).toBe(true);
      const pod = (name: string) => g.nodes.find((n) => n.id === `pod/default/${name}`)!;
      expect(pod('web').state).toBe('running');
      expect(g.edges.find((e) => e.to === 'pod/default/web')?.label).toEqual(['veth0a1b2c3d ⇄ eth0']);
      expect(pod('client')).toMatchObject({ state: 'running', ips: ['10.244.1.9'] });
      expect(pod('echo').label).toContain('not running: sandbox (pause) exited');
      expect(pod('web-2').label).toContain('not running: deleted');
      // A refused operation on the live lab names its code (src/runtime/errors.ts), in text and JSON.
      const env = { PODLAB_STATE_ROOT: root };
      const x = await execa('node', ['bin/podlab.js', 'exec', plan.lab, 'nope', '--', 'true'], { reject: false, env });
      expect(x.exitCode).toBe(2);
      expect(x.stderr).toContain(`error PL3030 lab "${plan.lab}" has no pod "nope"`);
      const d = await execa('node', ['bin/podlab.js', 'pod', 'create', plan.lab, 'web', '--json'], { reject: false, env });
      expect(d.exitCode).toBe(1);
      expect(JSON.parse(d.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3034', message: expect.stringContaining('is running; delete it first') }] });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
