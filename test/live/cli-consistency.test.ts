/**
 * The live commands agree with each other (labs/self-healing.lab.ts and labs/network-policy.lab.ts
 * built as fx2-t-…): `events --timeout` takes durations and never waits without end; `logs` names
 * pods, namespaces and containers as `exec` does (PL3030, PL3032, the not-up message); `scale`
 * takes `deployment/web` as `set env` does; an unknown pod of `pod delete` is PL3030, exit 2, JSON
 * with --json; `label` and `policy delete` take `-n`; `dns reload` takes `--json`; and the examples
 * of `label --help` and `policy apply|delete --help` run as written against the lab they name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down } from '../../src/runtime/down.ts';
import { liveGuard } from './host.ts';
import { scopedSnapshot } from './scoped.ts';

const live = liveGuard();
const PREFIX = 'fx2-t-';
const HEALING = `${PREFIX}self-healing`;
const POLICY = `${PREFIX}network-policy`;
const BIN = resolve('bin/podlab.js');
const podlab = (...args: string[]) => execa('node', [BIN, '--prefix', PREFIX, ...args], { reject: false, timeout: 30_000 });

/** The `podlab …` lines of a help text, each without its trailing comment (two spaces or more, then prose), split at `&&`. */
function examples(help: string): string[][] {
  return help
    .split('\n')
    .filter((l) => /^ {2}podlab /.test(l))
    .flatMap((l) => l.trim().split(/ {2,}/)[0]!.split(' && '))
    .map((c) => c.trim().split(/\s+/).slice(1));
}

describe.skipIf(!live)('live commands agree with each other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlab-fx2-cli-'));
  let before: Awaited<ReturnType<typeof scopedSnapshot>>;
  beforeAll(async () => {
    await down(HEALING);
    await down(POLICY);
    before = await scopedSnapshot([PREFIX]);
    for (const file of ['labs/self-healing.lab.ts', 'labs/network-policy.lab.ts']) {
      const r = await podlab('up', file, '--no-api');
      expect(r.exitCode, r.stderr).toBe(0);
    }
  }, 180_000);
  afterAll(async () => {
    await down(HEALING);
    await down(POLICY);
    rmSync(dir, { recursive: true, force: true });
    expect(await scopedSnapshot([PREFIX])).toEqual(before);
  }, 120_000);

  it('events --timeout takes a duration (1s) and gives up after it; a bad duration, reason or --since is a usage error', async () => {
    const t0 = Date.now();
    const r = await podlab('events', 'self-healing', '--wait-for', 'Evicted:pod/none-', '--timeout', '1s');
    expect(r.timedOut, 'waited without end').toBe(false);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('no Evicted:pod/none- event within 1s');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect((await podlab('events', 'self-healing', '--wait-for', 'Evicted:pod/none-', '--timeout', '300')).exitCode).toBe(1); // bare: milliseconds
    for (const bad of ['soon', '1x', '-1s', '1.5']) {
      const b = await podlab('events', 'self-healing', '--wait-for', 'Evicted', '--timeout', bad);
      expect(b.timedOut, bad).toBe(false);
      expect(b.exitCode, bad).toBe(2);
      expect(b.stderr, bad).toContain(`--timeout "${bad}"`);
    }
    // A reason no event has would be waited for in vain; a time that is none would show nothing.
    const typo = await podlab('events', 'self-healing', '--wait-for', 'restarted');
    expect([typo.exitCode, typo.stderr.split('\n')[0]]).toEqual([2, expect.stringMatching(/^error PL3141 .*"restarted" is not a reason podlab's events have \(did you mean Restarted\?\)/)]);
    // Every usage error is coded (PL3141), exit 2: an argument or option value outside its choices too.
    for (const args of [['get', 'foo', 'self-healing'], ['get', 'pods', 'self-healing', '-o', 'bogus'], ['node', 'frob', 'self-healing', 'worker-2']]) {
      const u = await podlab(...args);
      expect([u.exitCode, u.stderr.split('\n')[0]!.slice(0, 13)], args.join(' ')).toEqual([2, 'error PL3141 ']);
    }
    const since = await podlab('events', 'self-healing', '--since', 'garbage');
    expect([since.exitCode, since.stderr.split('\n')[0]]).toEqual([2, expect.stringContaining('--since "garbage" is neither an ISO 8601 time')]);
    const all = await podlab('events', 'self-healing', '--json');
    const first = JSON.parse(all.stdout.split('\n')[0]!) as { at: string };
    const later = await podlab('events', 'self-healing', '--json', '--since', first.at.replace(/\.\d+Z$/, '.000+00:00'));
    expect(later.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(0);
  });

  it('logs: an unknown container is PL3032, exit 2, as exec', async () => {
    const c = await podlab('logs', 'self-healing', 'client', '-c', 'nope');
    expect(c.exitCode).toBe(2);
    expect(c.stderr).toContain('PL3032 pod default/client has no container "nope"');
    const e = await podlab('exec', 'self-healing', 'client', '-c', 'nope', '--', 'true');
    expect(e.exitCode).toBe(2);
    expect(e.stderr).toContain('PL3032 pod default/client has no container "nope"');
    expect((await podlab('logs', 'self-healing', 'kube-system/coredns', '-c', 'nope')).stderr).toContain('PL3032 pod kube-system/coredns has no container "nope"; its containers: coredns');
  });

  it('logs: a pod written namespace/pod ignores -n, as exec does; a bare pod is looked up in -n', async () => {
    for (const args of [['-n', 'kube-system', 'self-healing', 'kube-system/coredns'], ['-n', 'kube-system', 'self-healing', 'coredns'], ['self-healing', 'kube-system/coredns', '-c', 'coredns']]) {
      const r = await podlab('logs', ...args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toContain('==> coredns/coredns <==');
    }
    const wrongNs = await podlab('logs', '-n', 'default', 'self-healing', 'coredns');
    expect(wrongNs.exitCode).toBe(2);
    expect(wrongNs.stderr).toContain('PL3030 lab "fx2-t-self-healing" has no pod "default/coredns"');
    const unknown = await podlab('logs', 'self-healing', 'nope');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('PL3030');
  });

  it('logs of a lab that is not up says so, as exec does', async () => {
    const notUp = await podlab('logs', 'not-a-lab', 'web');
    expect(notUp.exitCode).toBe(2);
    expect(notUp.stderr).toContain(`error PL3113 lab "${PREFIX}not-a-lab" is not up`);
    expect(notUp.stderr).toBe((await podlab('exec', 'not-a-lab', 'web', '--', 'true')).stderr);
  });

  it('node fail on a lab without control loops is PL3073, exit 2, JSON with --json', async () => {
    const r = await podlab('node', 'fail', 'network-policy', 'worker-1', '--json');
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3073' }] });
    expect((await podlab('node', 'fail', 'network-policy', 'worker-1')).stderr).toContain('error PL3073');
  });

  it('scale takes deployment/web as set env does', async () => {
    const r = await podlab('scale', 'self-healing', 'deployment/web', '2', '--wait', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { deployment: string; replicas: number; pods: string[] };
    expect(out).toMatchObject({ lab: HEALING, deployment: 'web', replicas: 2 });
    expect(out.pods).toHaveLength(2);
    const back = await podlab('scale', 'self-healing', 'deploy/web', '3', '--wait');
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.stdout).toContain('deployment web: 2 → 3');
    const none = await podlab('scale', 'self-healing', 'deployment/nope', '1');
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('PL3036 lab "fx2-t-self-healing" has no Deployment "nope"');
  }, 90_000);

  it('pod delete of an unknown pod: PL3030, exit 2, JSON with --json; however the pod is written', async () => {
    for (const args of [['nope'], ['default/nope'], ['-n', 'default', 'nope'], ['-n', 'kube-system', 'client']]) {
      const t = await podlab('pod', 'delete', 'self-healing', ...args);
      expect(t.exitCode, args.join(' ')).toBe(2);
      expect(t.stderr, args.join(' ')).toContain('error PL3030 lab "fx2-t-self-healing" has no pod');
      const j = await podlab('pod', 'delete', 'self-healing', ...args, '--json');
      expect(j.exitCode, args.join(' ')).toBe(2);
      expect(JSON.parse(j.stdout), args.join(' ')).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3030' }] });
    }
    // The client still runs: nothing was deleted.
    expect((await podlab('logs', 'self-healing', 'client')).exitCode).toBe(0);
  });

  it('dns reload --json: the result as JSON, and a Corefile that does not load as JSON diagnostics', async () => {
    const r = await podlab('dns', 'reload', 'self-healing', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ lab: HEALING, reloaded: true, corefile: null, warnings: [] });
    const bad = join(dir, 'bad.Corefile');
    writeFileSync(bad, '.:53 {\n  nosuchplugin\n  forward . 8.8.8.8\n}\n');
    const b = await podlab('dns', 'reload', 'self-healing', '--corefile', bad, '--json');
    expect(b.exitCode).toBe(1);
    const out = JSON.parse(b.stdout) as { ok: boolean; diagnostics: { code: string; file?: string; line?: number }[] };
    expect(out.ok).toBe(false);
    expect(out.diagnostics.map((d) => d.code)).toEqual(['PL3047', 'PL4002']);
    expect(out.diagnostics[1]).toMatchObject({ file: bad, line: 2 });
  });

  it('label and policy delete take -n as exec, logs and pod do', async () => {
    const l = await podlab('label', '-n', 'x', 'network-policy', 'x-b', 'role=db');
    expect(l.exitCode, l.stderr).toBe(0);
    expect(l.stdout).toContain('pod x-b: labels pod=b → pod=b,role=db');
    const wrong = await podlab('label', '-n', 'y', 'network-policy', 'x-b', 'role-', '--json');
    expect(wrong.exitCode).toBe(2);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3030', message: expect.stringContaining('"y/x-b"') }] });
    // A pod written namespace/pod keeps its namespace.
    expect((await podlab('label', '-n', 'y', 'network-policy', 'x/x-b', 'role-')).exitCode).toBe(0);
    const d = await podlab('policy', 'delete', '-n', 'y', 'network-policy', 'name');
    expect(d.exitCode).toBe(2);
    expect(d.stderr).toContain('PL3044 lab "fx2-t-network-policy" has no NetworkPolicy "y/name"');
  });

  it('the examples of label --help and policy apply|delete --help run as written on the policy lab', async () => {
    const applyHelp = (await podlab('policy', 'apply', '--help')).stdout;
    const yaml = /cat > (\S+) <<'EOF'\n([\s\S]*?)\n {2}EOF/.exec(applyHelp);
    expect(yaml, applyHelp).not.toBeNull();
    writeFileSync(join(dir, yaml![1]!), yaml![2]!.replace(/^ {2}/gm, ''));
    const run = (args: string[]) => execa('node', [BIN, '--prefix', PREFIX, ...args], { reject: false, cwd: dir, timeout: 60_000 });
    const explain = ['explain', 'network-policy', 'y/y-a', 'x/x-b', '--port', '80/tcp'];
    expect((await run(explain)).exitCode).toBe(1); // x is default-deny ingress
    for (const args of examples(applyHelp)) {
      const r = await run(args);
      expect(r.exitCode, `podlab ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const labelHelp = (await podlab('label', '--help')).stdout;
    const labelExamples = examples(labelHelp);
    expect(labelExamples.map((a) => a[0])).toEqual(['label', 'explain', 'label']);
    for (const args of labelExamples) {
      const r = await run(args);
      expect(r.exitCode, `podlab ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      if (args[0] === 'explain') expect(r.stdout).toContain('ALLOWED');
    }
    expect((await run(explain)).exitCode).toBe(1); // y-a's label is gone again
    const deleteHelp = (await podlab('policy', 'delete', '--help')).stdout;
    const del = examples(deleteHelp);
    expect(del).toHaveLength(1);
    expect((await run(del[0]!)).exitCode).toBe(0);
    // The help's other spelling, -n x … allow-clients, on the policy applied again.
    expect((await run(['policy', 'apply', 'network-policy', '-f', yaml![1]!])).exitCode).toBe(0);
    const n = await run(['policy', 'delete', '-n', 'x', 'network-policy', 'allow-clients']);
    expect(n.exitCode, n.stderr).toBe(0);
    expect(n.stdout).toContain('networkpolicy x/allow-clients deleted');
  }, 120_000);
});
