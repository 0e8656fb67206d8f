/**
 * A program that outlived its container (its pod deleted, its namespaces gone: no lab's namespace
 * holds it) runs as a uid of podlab's pools that no live process holds any more. The doctor finds
 * it by uid and lock file, never by name, and --fix stops it by pid; a process whose uid is held
 * (a live container) is not one. Root only: the process is started as a pool uid.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PODLAB_UIDS, UID_LOCK_DIR } from '../../src/constants.ts';
import { diagnose, fix, strayUidProcesses, type DoctorReport } from '../../src/runtime/doctor.ts';
import { cgroupHost, evalCgroupName, labCgroupName, makeCgroup } from '../../src/lib/cgroups.ts';
import { recordOf } from '../../src/lib/proc.ts';

const isRoot = process.getuid?.() === 0;
// The last two uids of the container pool: no lab of this machine gets them while the test runs.
const UNHELD = PODLAB_UIDS.container.first + PODLAB_UIDS.container.count - 1;
const HELD = UNHELD - 1;
const started: number[] = [];
const exited = new Map<number, Promise<unknown>>();
const sleepAs = (uid: number) => {
  const p = spawn('sleep', ['30'], { uid, gid: uid, stdio: 'ignore' });
  started.push(p.pid!);
  exited.set(p.pid!, once(p, 'exit'));
  return p.pid!;
};
afterAll(() => {
  for (const pid of started) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  rmSync(`${UID_LOCK_DIR}/${HELD}`, { force: true });
});

describe.skipIf(!isRoot)('doctor: processes of containers that are gone', () => {
  it('finds one running as an unheld pool uid, not one whose uid a live process holds, and --fix stops it', async () => {
    const stray = sleepAs(UNHELD);
    const held = sleepAs(HELD);
    mkdirSync(UID_LOCK_DIR, { recursive: true });
    const r = recordOf(held);
    writeFileSync(`${UID_LOCK_DIR}/${HELD}`, `${r.pid} ${r.startTime}\n`);
    await new Promise((res) => setTimeout(res, 100));
    const found = strayUidProcesses();
    expect(found).toContainEqual({ kind: 'process', name: String(stray), detail: `sleep as uid ${UNHELD}, which no live podlab process holds (its container is gone)` });
    expect(found.map((l) => l.name)).not.toContain(String(held));
    // Fix only what this test made: a report naming this stray alone.
    const report: DoctorReport = { labs: [], probes: [], strays: found.filter((l) => l.name === String(stray)), leaks: [] };
    const out = await fix(report);
    expect(out.processesStopped).toEqual([stray]);
    await exited.get(stray); // reaped by this test, its parent
    expect(() => process.kill(held, 0)).not.toThrow();
  }, 30_000);
});

const cgroups = cgroupHost();
describe.skipIf(!isRoot || 'missing' in cgroups)('doctor: cgroups of evaluations and graded labs that were killed', () => {
  const inCgroup = (dirs: string[]) => {
    const pid = sleepAs(UNHELD);
    for (const d of dirs) writeFileSync(`${d}/cgroup.procs`, `${pid}\n`);
    return pid;
  };

  it("finds an evaluation's cgroup whose uid nobody holds, and --fix stops what is in it (by pid) and removes it", async () => {
    if ('missing' in cgroups) return;
    const uid = PODLAB_UIDS.sandbox.first + PODLAB_UIDS.sandbox.count - 1;
    rmSync(`${UID_LOCK_DIR}/${uid}`, { force: true });
    const dirs = makeCgroup(cgroups, evalCgroupName(uid), { memoryBytes: 64 << 20, pids: 16 });
    const pid = inCgroup(dirs);
    const found = diagnose().strays!.filter((l) => l.kind === 'cgroup' && l.name.endsWith(`/${evalCgroupName(uid)}`));
    expect(found.map((l) => l.name)).toEqual(dirs);
    expect(found[0]!.detail).toContain(`whose uid ${uid} no live podlab process holds (1 processes in it)`);
    const out = await fix({ labs: [], probes: [], strays: found, leaks: found });
    expect(out.cgroupsRemoved).toEqual(dirs);
    await exited.get(pid);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
  }, 30_000);

  it("finds a graded lab's cgroup with nothing else of the lab left; --fix takes the lab down with it", async () => {
    if ('missing' in cgroups) return;
    const lab = 'dr-cgroup-left';
    const dirs = makeCgroup(cgroups, labCgroupName(lab), { memoryBytes: 64 << 20, pids: 16 });
    const pid = inCgroup(dirs);
    const finding = diagnose({ lab }).labs.find((f) => f.lab === lab)!;
    expect(finding.verdict).toBe('leaked');
    expect(finding.leaks.filter((l) => l.kind === 'cgroup').map((l) => l.name)).toEqual(dirs);
    const out = await fix({ labs: [finding], probes: [], strays: [], leaks: finding.leaks });
    expect(out.labsDown).toEqual([lab]);
    await exited.get(pid);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
  }, 30_000);
});
