/**
 * The CLI's answers where an audit found them wrong: an output path that cannot be written, a
 * --json error in one shape, usage errors coded PL3141. Needs no root: a live lab is "up" in a
 * state directory of the test's own (PODLAB_STATE_ROOT), its processes the test's own pid.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { fakeUpState, writeFakeUp } from './fake-up.ts';

const LAB_FILE = 'labs/pod-networking.lab.ts';
const tmp = mkdtempSync(join(tmpdir(), 'podlab-audit-'));
const root = join(tmp, 'state');
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, timeout: 60_000, env: { PODLAB_STATE_ROOT: root } });
let plan: Plan;

beforeAll(async () => {
  plan = buildPlan((await compileLab(LAB_FILE)).lab!);
  writeFakeUp(root, fakeUpState(plan));
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('an output path that cannot be written', () => {
  it('is PL3142 naming the path and why, exit 2, no stack trace and nothing written; /proc ends at once', async () => {
    const file = join(tmp, 'afile');
    writeFileSync(file, 'mine');
    const cases: [string[], RegExp][] = [
      [['graph', LAB_FILE, '-o', '/nonexistent/dir/x.svg'], /cannot write "\/nonexistent\/dir\/x.svg": .*\[ENOENT\]/],
      [['trace', LAB_FILE, 'client', 'web-2', '--port', '8080', '--svg', '/nonexistent/x.svg'], /cannot write "\/nonexistent\/x.svg"/],
      [['render', LAB_FILE, '-o', file], /a part of the path is a file, not a directory \[ENOTDIR\]/],
      [['export', LAB_FILE, '--out', file], /a file of that name is in the way of a directory \[EEXIST\]/],
      [['render', LAB_FILE, '-o', '/proc/podlab-x'], /cannot write "\/proc\/podlab-x\/pod-networking"/],
      [['export', LAB_FILE, '--out', '/proc/podlab-x'], /cannot write "\/proc\/podlab-x"/],
    ];
    for (const [args, said] of cases) {
      const r = await podlab(...args);
      expect({ args, exitCode: r.exitCode, timedOut: r.timedOut }).toEqual({ args, exitCode: 2, timedOut: false });
      expect(r.stderr).toMatch(/^error PL3142 /m);
      expect(r.stderr).toMatch(said);
      expect(r.stderr).not.toContain('internal error');
      expect(r.stdout).toBe('');
    }
    const j = await podlab('trace', LAB_FILE, 'client', 'web-2', '--port', '8080', '--svg', '/nonexistent/x.svg', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3142' }] });
    expect(existsSync(join(file, 'pod-networking'))).toBe(false);
  }, 180_000);
});

describe('scenario of a lab without scenarios', () => {
  it('--json says it ran nothing and did not pass, as its exit code 1 does; TAP bails out', async () => {
    const r = await podlab('scenario', plan.lab, '--json');
    expect(r.exitCode).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ passed: false, nothingRan: `lab "${plan.lab}" has no scenarios: nothing to run`, summary: { scenarios: { total: 0 } } });
    const t = await podlab('scenario', plan.lab, '--format', 'tap');
    expect(t.exitCode).toBe(1);
    expect(t.stdout).toContain('Bail out! ');
  });
});

describe('status of a lab that is not up', () => {
  it('is PL3113 as every live command says it, as JSON with --json, and exit 1', async () => {
    const r = await podlab('status', 'cl-not-up');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error PL3113 lab "cl-not-up" is not up');
    const j = await podlab('status', 'cl-not-up', '--json');
    expect(j.exitCode).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3113', message: 'lab "cl-not-up" is not up' }] });
  });
});

describe('usage errors a command finds itself', () => {
  it('are PL3141 with a hint, exit 2, as JSON with --json', async () => {
    const cases: [string[], string][] = [
      [['scale', plan.lab, 'web', '-1'], 'scale: replicas must be a whole number from 0 to 500, not "-1"'],
      [['scale', plan.lab, 'web', 'abc'], 'not "abc"'],
      [['set', 'env', plan.lab, 'web', 'NOEQUALS'], 'set env: "NOEQUALS" is not KEY=VALUE'],
      [['policy', 'apply', plan.lab, '-f', join(tmp, 'nofile.yaml')], 'cannot be read: no such file [ENOENT]'],
      [['dns', 'reload', plan.lab, '--corefile', join(tmp, 'nofile')], '--corefile'],
    ];
    for (const [args, said] of cases) {
      const r = await podlab(...args);
      expect({ args, exitCode: r.exitCode }).toEqual({ args, exitCode: 2 });
      expect(r.stderr).toMatch(/^error PL3141 /m);
      expect(r.stderr).toContain(said);
      expect(r.stderr).toMatch(/^ {2}hint: \S/m);
      const j = await podlab(...args, '--json');
      expect(j.exitCode).toBe(2);
      expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3141' }] });
    }
  });

  it('an exercise that is not there is PL0017 with a hint, exit 1 (it does not load), as JSON with --json', async () => {
    for (const args of [['exercise', 'show', '/nope'], ['grade', '/nope', 'x']]) {
      const r = await podlab(...args);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('error PL0017 no exercise at /nope');
      const j = await podlab(...args, '--json');
      expect(j.exitCode).toBe(1);
      expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL0017' }] });
    }
  });
});

describe('graph --out and render --check -o', () => {
  it('graph refuses an --out extension that is no drawing format or contradicts --format (PL3150), writing nothing', async () => {
    const png = join(tmp, 'x.png');
    const r = await podlab('graph', LAB_FILE, '-o', png);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error PL3150 --out');
    expect(r.stderr).toContain('dot -Tpng -o pod-networking.png`. Nothing was changed');
    expect(existsSync(png)).toBe(false);
    const dot = join(tmp, 'x.dot');
    const c = await podlab('graph', LAB_FILE, '-f', 'svg', '-o', dot);
    expect(c.exitCode).toBe(2);
    expect(c.stderr).toContain("ends in .dot, which is dot's extension, not svg's");
    expect(existsSync(dot)).toBe(false);
  });

  it('render --check -o <dir> on drift suggests the command with -o <dir>', async () => {
    const out = join(tmp, 'gen');
    mkdirSync(out);
    const r = await podlab('render', LAB_FILE, '-o', out, '--check');
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trimEnd().endsWith(`run: podlab render ${LAB_FILE} -o ${out}`)).toBe(true);
  });
});

describe('help, the prefix and options that contradict each other', () => {
  it('help of an unknown command is PL3141, exit 2; the main help names exit 130; a bad --prefix is PL3140 for status and get', async () => {
    const h = await podlab('help', 'foo');
    expect(h.exitCode).toBe(2);
    expect(h.stderr).toContain("error PL3141 unknown command 'foo'");
    expect(h.stderr).not.toContain('Usage:');
    const hj = await podlab('help', 'foo', '--json');
    expect({ exitCode: hj.exitCode, stderr: hj.stderr }).toEqual({ exitCode: 2, stderr: '' });
    expect(JSON.parse(hj.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3141', message: "unknown command 'foo'" }] });
    expect((await podlab('--help')).stdout).toContain('130 up interrupted by Ctrl-C');
    for (const args of [['status'], ['get', 'pods']]) {
      const r = await podlab('--prefix', 'BAD!', ...args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('error PL3140 the lab-name prefix "BAD!"');
    }
  });

  it('up --format without --check, and --json with another --format, are PL3141 (exit 2)', async () => {
    const u = await podlab('up', join(tmp, 'cl-none.lab.ts'), '--format', 'tap');
    expect(u.exitCode).toBe(2);
    expect(u.stderr).toContain('error PL3141 --format tap formats the checks');
    const c = await podlab('check', plan.lab, '--json', '--format', 'tap');
    expect(c.exitCode).toBe(2);
    expect(JSON.parse(c.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3141' }] });
  });
});

describe('--json errors in one shape', () => {
  it("commander's usage errors (PL3141) are { ok: false, diagnostics } on stdout with --json, exit 2, nothing on stderr", async () => {
    const cases: [string[], string][] = [
      [['status', '--bogus', '--json'], "unknown option '--bogus'"],
      [['scale', plan.lab, 'web', '--json'], "missing required argument 'replicas'"],
      [['get', 'pods', plan.lab, '--json', '-o', 'tsv'], "option '-o, --output <format>' argument 'tsv' is invalid"],
      [['check', plan.lab, '--json', '--nope'], "unknown option '--nope'"],
    ];
    for (const [args, said] of cases) {
      const r = await podlab(...args);
      expect({ args, exitCode: r.exitCode, stderr: r.stderr }).toEqual({ args, exitCode: 2, stderr: '' });
      expect(JSON.parse(r.stdout)).toEqual({ ok: false, diagnostics: [{ code: 'PL3141', severity: 'error', message: expect.stringContaining(said), hint: expect.stringContaining('--help'), path: [] }] });
    }
    // Without --json (or with it only after `--`, where it is a command's), the text as before.
    const t = await podlab('status', '--bogus');
    expect(t.stdout).toBe('');
    expect(t.stderr).toMatch(/^error PL3141 unknown option '--bogus'\n {2}hint: See --help/);
    const x = await podlab('exec', plan.lab, 'client', '--bogus', '--', 'echo', '--json');
    expect(x.stdout).toBe('');
    expect(x.stderr).toContain("error PL3141 unknown option '--bogus'");
  });

  it('get -o json with several labs up and none named is a JSON error, not text', async () => {
    // A lab-name prefix of the test's own: labs others run on this host are neither picked nor counted.
    const two = join(tmp, 'two');
    writeFakeUp(two, { ...fakeUpState(plan), lab: 'zq-one' });
    writeFakeUp(two, { ...fakeUpState(plan), lab: 'zq-two' });
    const get = (root: string, ...args: string[]) => execa('node', ['bin/podlab.js', 'get', ...args], { reject: false, timeout: 60_000, env: { PODLAB_STATE_ROOT: root, PODLAB_PREFIX: 'zq-' } });
    const j = await get(two, 'pods', '-o', 'json');
    expect(j.exitCode).toBe(2);
    expect(j.stderr).toBe('');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3141', message: '2 labs named zq-… are up (zq-one, zq-two): name one' }] });
    const t = await get(two, 'pods');
    expect(t.exitCode).toBe(2);
    expect(t.stdout).toBe('');
    expect(t.stderr).toContain('error PL3141 2 labs named zq-… are up');
    const none = await get(join(tmp, 'none'), 'pods', '-o', 'json');
    expect(none.exitCode).toBe(2);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3113', message: 'no lab named zq-… is up' }] });
  });

  it('up --json of an invalid lab is { ok: false, file, diagnostics }, exit 1, as any error with --json', async () => {
    const file = 'test/fixtures/bad-labs/05-unknown-node.lab.ts';
    const r = await podlab('up', file, '--json');
    expect(r.exitCode).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, file, diagnostics: [{ code: 'PL2006', line: 8 }] });
    expect(j).not.toHaveProperty('valid');
    // validate's answer keeps its own shape.
    expect(JSON.parse((await podlab('validate', file, '--json', '--no-typecheck')).stdout)).toMatchObject({ file, valid: false });
  });
});

describe('graph of a live lab', () => {
  const graph = (root: string, ...args: string[]) => execa('node', ['bin/podlab.js', 'graph', ...args], { reject: false, timeout: 60_000, env: { PODLAB_STATE_ROOT: root, PODLAB_PREFIX: 'zq-' } });

  it('a name that is not up is PL3113 naming its file when there is one, else the labs that are up; never a made-up path', async () => {
    const up = join(tmp, 'graph-up');
    writeFakeUp(up, { ...fakeUpState(plan), lab: 'zq-one' });
    writeFakeUp(up, { ...fakeUpState(plan), lab: 'zq-two' });
    const some = await graph(up, 'nolab');
    expect(some.exitCode).toBe(2);
    expect(some.stderr).toContain('error PL3113 lab "zq-nolab" is not up');
    expect(some.stderr).toContain('Labs up named zq-…: zq-one, zq-two (podlab graph one draws it live)');
    expect(some.stderr).not.toContain('labs/nolab.lab.ts');
    const none = await graph(join(tmp, 'graph-none'), 'nolab');
    expect(none.stderr).toContain('No lab named zq-… is up. To draw a plan, name the lab file');
    expect(none.stderr).not.toContain('labs/nolab.lab.ts');
    // A name whose file is where the examples keep theirs: that file.
    const file = await graph(join(tmp, 'graph-none'), 'pod-networking');
    expect(file.exitCode).toBe(2);
    expect(file.stderr).toContain('Draw its plan from its file: podlab graph labs/pod-networking.lab.ts');
  });

  it('--checks says how many checks ran, passed and failed: on stderr, and as checks in JSON', async () => {
    // A lab of its own name, whose namespaces are not on the host: its probes fail.
    const lab = (await compileLab(LAB_FILE)).lab!;
    const own = buildPlan({ ...lab, name: 'zq-checks' });
    const root2 = join(tmp, 'graph-checks');
    writeFakeUp(root2, fakeUpState(own));
    const n = own.checks.length;
    expect(n).toBeGreaterThan(0);
    const j = await graph(root2, 'checks', '--checks', '-f', 'json');
    expect(j.exitCode).toBe(0);
    const { checks, failedChecks } = JSON.parse(j.stdout) as { checks: { total: number; passed: number; failed: number }; failedChecks: object };
    expect(checks.total).toBe(n);
    expect(checks.failed).toBeGreaterThan(0);
    expect(checks.passed + checks.failed).toBe(n);
    expect(Object.keys(failedChecks).length).toBeGreaterThan(0);
    expect(j.stderr).toContain(`checks: ${n} run, ${checks.passed} passed, ${checks.failed} failed, marked red on the drawing (podlab check checks says why)`);
    const svg = await graph(root2, 'checks', '--checks', '-o', join(tmp, 'checks.svg'));
    expect(svg.exitCode).toBe(0);
    expect(svg.stderr).toMatch(new RegExp(`checks: ${n} run, \\d+ passed, \\d+ failed`));
  }, 60_000);
});

describe('logs node/<name>', () => {
  it("prints a node's daemons' logs (a stopped one's too), one by name; PL3039 for a node that runs none, PL3030 an unknown node, PL3032 an unknown daemon", async () => {
    // A flannel lab's nodes run no daemon.
    const none = await podlab('logs', plan.lab, 'node/worker-1');
    expect(none.exitCode).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('error PL3039 node worker-1 runs no daemon that logs: a flannel lab\'s nodes run none');
    const unknown = await podlab('logs', plan.lab, 'node/nope');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain(`error PL3030 lab "${plan.lab}" has no node "nope"`);
    // A lab whose node-1 runs a daemon the journal records, and whose node-2's was stopped (its record dropped, its log kept).
    const own = join(tmp, 'daemons');
    const lab = 'zq-daemons';
    const state = { ...fakeUpState(plan), lab };
    const logs = join(own, lab, 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'worker-1_bird.log'), 'bird: Started\n');
    writeFileSync(join(logs, 'worker-2_bird.log'), 'bird: Shutdown completed\n');
    writeFileSync(join(logs, 'default_worker-1_web.log'), 'a container of a pod in a namespace named as a node\n');
    writeFakeUp(own, { ...state, daemons: { 'worker-1/bird': { pid: process.pid, startTime: 1, argv: ['bird'], log: join(logs, 'worker-1_bird.log') } } });
    const logsOf = (...args: string[]) => execa('node', ['bin/podlab.js', 'logs', lab, ...args], { reject: false, timeout: 60_000, env: { PODLAB_STATE_ROOT: own } });
    const one = await logsOf('node/worker-1');
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toBe('==> node/worker-1/bird <==\nbird: Started');
    expect((await logsOf('node/worker-2', '-c', 'bird')).stdout).toBe('==> node/worker-2/bird <==\nbird: Shutdown completed');
    const bad = await logsOf('node/worker-1/nope');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('error PL3032 node worker-1 runs no daemon "nope"; its daemons: bird');
  });
});

describe('a deleted pod', () => {
  it('is PL3033 (pod is not running) from every command that names it: capture, trace, explain, exec, logs, pod delete', async () => {
    const own = join(tmp, 'deleted');
    const lab = 'zq-deleted';
    writeFakeUp(own, { ...fakeUpState(plan, { without: ['web-2'] }), lab });
    const run = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, timeout: 60_000, env: { PODLAB_STATE_ROOT: own } });
    const cases = [
      ['capture', lab, 'web-2', '-c', '1'],
      ['trace', lab, 'client', 'web-2', '--port', '8080', '--no-probe'],
      ['explain', lab, 'client', 'web-2', '--port', '8080', '--no-probe'],
      ['exec', lab, 'web-2', '--', 'true'],
      ['logs', lab, 'web-2'],
      ['pod', 'delete', lab, 'web-2'],
    ];
    for (const args of cases) {
      const r = await run(...args);
      // A pod change refused is exit 1 (README); every other command could not run, 2.
      expect({ args, exitCode: r.exitCode }).toEqual({ args, exitCode: args[0] === 'pod' ? 1 : 2 });
      expect(r.stderr, args.join(' ')).toMatch(/^error PL3033 .*(not running|no running sandbox)/m);
    }
    const j = await run('trace', lab, 'client', 'web-2', '--port', '8080', '--no-probe', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3033' }] });
  }, 120_000);
});

describe("get pods: the pods' labels", () => {
  it('-o json has metadata.labels, --show-labels a LABELS column, -l selects; -l on another resource or a bad selector is PL3141', async () => {
    const j = await podlab('get', 'pods', plan.lab, '-o', 'json');
    expect(j.exitCode).toBe(0);
    const web = (JSON.parse(j.stdout) as { items: { metadata: { name: string; labels?: Record<string, string> } }[] }).items.find((i) => i.metadata.name === 'web-2')!;
    expect(web.metadata.labels).toEqual(plan.pods.find((p) => p.name === 'web-2')!.labels);
    const t = await podlab('get', 'pods', plan.lab, '-l', 'app=web', '--show-labels');
    expect(t.exitCode).toBe(0);
    expect(t.stdout.split('\n')[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE +LABELS$/);
    expect(t.stdout).toMatch(/^web-2 .* app=web$/m);
    expect(t.stdout).not.toMatch(/^client /m);
    expect((await podlab('get', 'pods', plan.lab, '--selector', 'app!=web')).stdout).toMatch(/^client /m);
    const bad = await podlab('get', 'pods', plan.lab, '-l', 'a=(b');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error PL3141 .*unable to parse requirement/m);
    const svc = await podlab('get', 'svc', plan.lab, '--show-labels', '-o', 'json');
    expect(svc.exitCode).toBe(2);
    expect(JSON.parse(svc.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3141', message: '--show-labels is for get pods only' }] });
    expect((await podlab('get', '--help')).stdout).toContain('--show-labels');
  }, 60_000);
});

describe('logs --previous', () => {
  it("prints the instance before a container's last restart; none is kubectl's error, PL3054, exit 2", async () => {
    const own = join(tmp, 'previous');
    const lab = 'zq-previous';
    const logs = join(own, lab, 'logs');
    mkdirSync(logs, { recursive: true });
    const state = { ...fakeUpState(plan, { containers: true }), lab };
    const log = (pod: string, c: string) => join(logs, `default_${pod}_${c}.log`);
    for (const [pod, ps] of Object.entries(state.pods)) for (const [c, rec] of Object.entries(ps.containers)) rec.log = log(pod, c);
    writeFileSync(log('web-2', 'web'), 'now\n');
    writeFileSync(join(logs, 'default_web-2_web.previous.log'), 'before the restart\n');
    writeFileSync(log('web', 'web'), 'now\n');
    writeFakeUp(own, state);
    const logsOf = (...args: string[]) => execa('node', ['bin/podlab.js', 'logs', lab, ...args], { reject: false, timeout: 60_000, env: { PODLAB_STATE_ROOT: own } });
    const p = await logsOf('web-2', '--previous');
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toBe('==> web-2/web <==\nbefore the restart');
    expect((await logsOf('web-2')).stdout).toBe('==> web-2/web <==\nnow');
    const none = await logsOf('web', '-p', '-c', 'web');
    expect(none.exitCode).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^error PL3054 previous terminated container "web" in pod "web" not found/m);
    expect((await podlab('logs', '--help')).stdout).toContain('-p, --previous');
  }, 60_000);
});

describe('ui: a port that is taken', () => {
  it('is PL3155, exit 2, as the common JSON error with --json and as a coded line without', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as { port: number }).port);
    try {
      const json = await podlab('ui', plan.lab, '--port', port, '--json');
      expect(json.exitCode).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3155', message: expect.stringMatching(new RegExp(`port ${port} .* is taken`)) }] });
      const text = await podlab('ui', plan.lab, '--port', port);
      expect(text.exitCode).toBe(2);
      expect(text.stderr).toMatch(/^error PL3155 /m);
    } finally {
      taken.close();
    }
  }, 60_000);
});
