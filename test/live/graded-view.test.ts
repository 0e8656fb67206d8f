/**
 * Live, through the CLI: in a lab built from a submission (`grade`), every container has a root
 * of its own (contain --only; SECURITY.md, "A graded container's root"). A whole-lab submission
 * whose web container tries to read the host — /etc/passwd, /etc/hostname, /etc/os-release,
 * world-readable canaries planted in /srv, /var/tmp and the repository, /home — finds none of it,
 * while its pod's own files and the system's programs are there, it serves with podlab's workload,
 * and the lab's own checks (TCP, HTTP to a Service, DNS between pods on two nodes) pass. The same
 * container tries to hold 1.1 GB in the background: the lab's memory cgroup (1 GiB for all its
 * containers) has the kernel kill it, the result counts it and the feedback says so.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { liveGuard } from './host.ts';
import { cgroupHost, podlabCgroups } from '../../src/lib/cgroups.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const REPO = process.cwd();
const FIXTURE = join(REPO, 'test/fixtures/graded-view');
const TAG = `${process.pid}-${Date.now()}`;
const PREFIX = 'sv-gv';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' }, timeout: 300_000 });

describe.skipIf(!live)('a graded container sees no host path', () => {
  let dir: string;
  let out: string;
  let before: ScopedSnapshot;
  let run: Awaited<ReturnType<typeof podlab>>;
  const srv = `/srv/sv-canary-${TAG}`;
  const repo = join(REPO, `sv-canary-${TAG}.txt`);

  beforeAll(async () => {
    before = await scopedSnapshot([PREFIX]);
    dir = mkdtempSync('/var/tmp/sv-view-');
    chmodSync(dir, 0o755);
    const vartmp = join(dir, 'canary.txt');
    // World-readable canaries: any process of the host could read them; a graded container must not.
    for (const f of [srv, vartmp, repo]) writeFileSync(f, `canary ${TAG}\n`, { mode: 0o644 });
    const klass = join(dir, 'class');
    mkdirSync(klass, { mode: 0o700 });
    out = join(dir, 'out');
    const text = readFileSync(join(FIXTURE, 'thief.lab.ts'), 'utf8')
      .replaceAll('__SRV__', srv).replaceAll('__VARTMP__', vartmp).replaceAll('__REPO_CANARY__', repo).replaceAll('__WORKLOAD__', join(REPO, 'build/native/workload'));
    writeFileSync(join(klass, 'thief.lab.ts'), text, { mode: 0o644 });
    run = await podlab('grade', FIXTURE, join(klass, 'thief.lab.ts'), '--out', out, '--lab-prefix', PREFIX);
  }, 400_000);
  afterAll(() => {
    for (const f of [srv, repo]) rmSync(f, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const items = () => {
    const r = JSON.parse(readFileSync(join(out, 'thief.json'), 'utf8'));
    return Object.fromEntries(r.items.map((i: { id: string; status: string; evidence?: unknown }) => [i.id, i])) as Record<string, { status: string; evidence?: unknown }>;
  };

  it("the lab's own checks pass: its built-in workloads and DNS really run in that view", () => {
    expect(run.exitCode, run.stderr).toBe(0);
    const all = items();
    expect({ tcp: all.tcp!.status, http: all.http!.status, dns: all.dns!.status }).toEqual({ tcp: 'pass', http: 'pass', dns: 'pass' });
  });

  it('every read of the host failed; the pod’s own files and the system’s programs were there', () => {
    const seen = JSON.stringify(items().report);
    for (const attack of ['passwd', 'hostname', 'osrelease', 'srv', 'vartmp', 'repo', 'home']) expect(seen, attack).toContain(`${attack}=denied`);
    for (const control of ['control-resolv', 'control-hosts', 'control-usr']) expect(seen, control).toContain(`${control}=DONE`);
    expect(seen).toContain('report=complete');
    expect(seen).not.toContain(`canary ${TAG}`);
  });

  it("the lab's memory cgroup held its containers to 1 GiB: the kernel killed the one holding 1.1 GB, and the feedback says so", () => {
    expect(JSON.stringify(items().hog)).toContain('hog=denied');
    expect(JSON.parse(readFileSync(join(out, 'thief.json'), 'utf8')).oom).toEqual({ kills: expect.any(Number), limitBytes: 1024 ** 3 });
    expect(readFileSync(join(out, 'thief.feedback.md'), 'utf8')).toMatch(/the kernel killed \d+ process(es)? of your lab for memory: its containers together held more than the grading lab's limit of 1024 MiB/);
  });

  it('no lab, namespace, process or cgroup of the run is left', async () => {
    expect(await scopedSnapshot([PREFIX])).toEqual(before);
    const host = cgroupHost();
    if (!('missing' in host)) expect(podlabCgroups(host).filter((n) => n.startsWith(`lab-${PREFIX}`))).toEqual([]);
  });
});
