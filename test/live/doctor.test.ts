/**
 * Live: the leak doctor on real leftovers — an `up` killed half-way, a live lab whose state was
 * deleted, a stray namespace (with a process in it) beside a healthy lab, a namespace and an
 * /etc/netns entry of a lab that never had state, a state directory with only IPAM leases, a
 * lab being built by a live `up`, and a kernel probe's namespace whose process is gone. The doctor
 * names each with its lab, `--fix --lab` removes exactly that, and a healthy lab up all along is
 * never reported and still passes its checks. Every lab here is named `dr-…`; `--fix` is only
 * ever run with `--lab`, so labs of other tests on the same host are never touched.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { diagnose, fix, type DoctorReport, type LabFinding } from '../../src/runtime/doctor.ts';
import { down, listNetns } from '../../src/runtime/down.ts';
import { isAlive, recordOf } from '../../src/runtime/procs.ts';
import { readState, stateDir, writeState } from '../../src/runtime/state.ts';
import { liveGuard, planFrom, twoPodLab, upLab, writeLabFile } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const TMP = 'test/live/.tmp/doctor';
const LABS = ['dr-healthy', 'dr-crash', 'dr-nostate', 'dr-ghost', 'dr-ipam', 'dr-busy'];

const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false });

const lab = (name: string): LabSpec => twoPodLab(name);

function labFile(name: string): string {
  return writeLabFile(TMP, name, lab(name));
}

async function doctorJson(...args: string[]): Promise<{ exitCode: number; found: DoctorReport }> {
  const r = await podlab('doctor', '--json', ...args);
  return { exitCode: r.exitCode ?? -1, found: JSON.parse(r.stdout).found as DoctorReport };
}

const finding = (r: DoctorReport, l: string): LabFinding | undefined => r.labs.find((f) => f.lab === l);

/** A pid that is certainly not running: a process that has exited. */
async function deadPid(): Promise<number> {
  const p = execa('true');
  await p;
  return p.pid!;
}

describe.skipIf(!live)('podlab doctor', () => {
  let baseline: ScopedSnapshot;
  const cleanup = async () => {
    for (const l of LABS) await down(l);
    for (const n of listNetns().filter((x) => x.startsWith('podlab-dr-'))) await execa('ip', ['netns', 'del', n], { reject: false });
    rmSync('/etc/netns/podlab-dr-ghost.node.x', { recursive: true, force: true });
  };

  beforeAll(async () => {
    await cleanup();
    baseline = await scopedSnapshot(['dr-']);
    await upLab(lab('dr-healthy'));
  });
  afterAll(async () => {
    await cleanup();
    rmSync(TMP, { recursive: true, force: true });
  });

  it('a healthy lab is not a leak, and with nothing else of it left the doctor exits 0', async () => {
    const { exitCode, found } = await doctorJson('--lab', 'dr-healthy');
    expect(exitCode).toBe(0);
    expect(finding(found, 'dr-healthy')).toMatchObject({ verdict: 'healthy', leaks: [] });
    // Nor in a full scan, whatever else is on the host.
    const all = await doctorJson();
    expect(finding(all.found, 'dr-healthy')?.verdict).toBe('healthy');
    expect(all.found.leaks.filter((l) => l.lab === 'dr-healthy')).toEqual([]);
  });

  it('an up killed half-way: reported with its lab and the dead owner, removed by --fix --lab', async () => {
    const r = await podlab('up', labFile('dr-crash'), '--crash-after-step', '4');
    expect(r.signal).toBe('SIGKILL');
    expect(readState('dr-crash')?.status).toBe('creating');
    const { exitCode, found } = await doctorJson('--lab', 'dr-crash');
    expect(exitCode).toBe(1);
    const f = finding(found, 'dr-crash')!;
    expect(f.verdict).toBe('leaked');
    expect(f.reason).toMatch(/'creating'.*up process .*\(pid \d+\) is gone/);
    expect(f.leaks.filter((l) => l.kind === 'netns').map((l) => l.name)).toContain('podlab-dr-crash.node.w1');
    expect(f.leaks).toContainEqual({ kind: 'state', lab: 'dr-crash', name: stateDir('dr-crash') });
    expect(f.leaks).toContainEqual({ kind: 'mount', lab: 'dr-crash', name: stateDir('dr-crash'), detail: 'tmpfs podlab-dr-crash' });
    expect(f.leaks.every((l) => l.lab === 'dr-crash')).toBe(true);

    const human = await podlab('doctor', '--lab', 'dr-crash');
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toContain('lab dr-crash:');
    expect(human.stdout).toContain('podlab doctor --fix --lab dr-crash');

    const fixed = await podlab('doctor', '--fix', '--lab', 'dr-crash');
    expect(fixed.exitCode, fixed.stdout).toBe(0);
    expect(fixed.stdout).toContain('took down dr-crash');
    expect((await podlab('doctor', '--lab', 'dr-crash')).exitCode).toBe(0);
  });

  it('a live lab whose state directory was deleted: its namespaces and processes are reported and removed', async () => {
    const state = await upLab(lab('dr-nostate'));
    const pids = Object.values(state.pods).flatMap((p) => [p.pause!, ...Object.values(p.containers)]);
    // The state directory is gone, tmpfs and all.
    await execa('umount', ['-l', stateDir('dr-nostate')]);
    rmSync(stateDir('dr-nostate'), { recursive: true, force: true });
    const { exitCode, found } = await doctorJson('--lab', 'dr-nostate');
    expect(exitCode).toBe(1);
    const f = finding(found, 'dr-nostate')!;
    expect(f.verdict).toBe('leaked');
    expect(f.reason).toContain('left without state');
    const procs = f.leaks.filter((l) => l.kind === 'process').map((l) => Number(l.name));
    for (const p of pids) expect(procs, `process ${p} (found by its namespace)`).toContain(p.pid);
    expect(f.leaks.filter((l) => l.kind === 'netns')).toHaveLength(6); // fabric, 2 nodes, 2 pods, the DNS pod

    expect((await podlab('doctor', '--fix', '--lab', 'dr-nostate')).exitCode).toBe(0);
    expect(pids.some(isAlive)).toBe(false);
    expect(listNetns().filter((n) => n.startsWith('podlab-dr-nostate.'))).toEqual([]);
  });

  it('a stray namespace with a process in it beside a healthy lab: only the stray goes', async () => {
    const stray = 'podlab-dr-healthy.node.x';
    await execa('ip', ['netns', 'add', stray]);
    const sleeper = spawn('nsenter', [`--net=/run/netns/${stray}`, '--', 'sleep', '600'], { detached: true, stdio: 'ignore' });
    sleeper.unref();
    await new Promise((r) => setTimeout(r, 200));
    const rec = recordOf(sleeper.pid!);

    const { exitCode, found } = await doctorJson('--lab', 'dr-healthy');
    expect(exitCode).toBe(1);
    const f = finding(found, 'dr-healthy')!;
    expect(f.verdict).toBe('strays');
    expect(f.leaks).toEqual([
      { kind: 'netns', lab: 'dr-healthy', name: stray },
      { kind: 'process', lab: 'dr-healthy', name: String(sleeper.pid), detail: `sleep in ${stray}` },
    ]);

    expect((await podlab('doctor', '--fix', '--lab', 'dr-healthy')).exitCode).toBe(0);
    expect(isAlive(rec)).toBe(false);
    expect(listNetns()).not.toContain(stray);
    expect(readState('dr-healthy')?.status).toBe('up');
    expect(listNetns().filter((n) => n.startsWith('podlab-dr-healthy.'))).toHaveLength(6); // fabric, 2 nodes, 2 pods, the DNS pod
  });

  it('a namespace and an /etc/netns entry of a lab that never had state', async () => {
    await execa('ip', ['netns', 'add', 'podlab-dr-ghost.node.x']);
    mkdirSync('/etc/netns/podlab-dr-ghost.node.x', { recursive: true });
    writeFileSync('/etc/netns/podlab-dr-ghost.node.x/resolv.conf', 'nameserver 10.96.0.10\n');
    const { found } = await doctorJson('--lab', 'dr-ghost');
    expect(finding(found, 'dr-ghost')?.leaks).toEqual([
      { kind: 'netns', lab: 'dr-ghost', name: 'podlab-dr-ghost.node.x' },
      { kind: 'etc-netns', lab: 'dr-ghost', name: '/etc/netns/podlab-dr-ghost.node.x' },
    ]);
    expect((await podlab('doctor', '--fix', '--lab', 'dr-ghost')).exitCode).toBe(0);
    expect((await doctorJson('--lab', 'dr-ghost')).found.leaks).toEqual([]);
  });

  it('a state directory holding only IPAM leases', async () => {
    mkdirSync(`${stateDir('dr-ipam')}/ipam/w1`, { recursive: true });
    writeFileSync(`${stateDir('dr-ipam')}/ipam/w1/10.244.0.2`, 'podlab-0123\neth0');
    const { found } = await doctorJson('--lab', 'dr-ipam');
    expect(finding(found, 'dr-ipam')?.leaks).toEqual([
      { kind: 'state', lab: 'dr-ipam', name: stateDir('dr-ipam') },
      { kind: 'ipam', lab: 'dr-ipam', name: `${stateDir('dr-ipam')}/ipam/w1` },
    ]);
    expect((await podlab('doctor', '--fix', '--lab', 'dr-ipam')).exitCode).toBe(0);
    expect((await doctorJson('--lab', 'dr-ipam')).found.leaks).toEqual([]);
  });

  it("a lab being built (state 'creating', its up process alive) is not a leak; once that process is gone, it is", async () => {
    const plan = planFrom(lab('dr-busy'));
    await execa('ip', ['netns', 'add', plan.fabric.netns]);
    const base = { lab: 'dr-busy', status: 'creating' as const, createdAt: new Date().toISOString(), steps: [{ step: 'namespaces', at: new Date().toISOString() }], plan, pods: {} };
    writeState({ ...base, owner: recordOf(process.pid) });
    const busy = await doctorJson('--lab', 'dr-busy');
    expect(busy.exitCode).toBe(0);
    expect(finding(busy.found, 'dr-busy')?.verdict).toBe('busy');
    // --fix leaves it alone.
    expect((await podlab('doctor', '--fix', '--lab', 'dr-busy')).exitCode).toBe(0);
    expect(listNetns()).toContain(plan.fabric.netns);

    writeState({ ...base, owner: { pid: await deadPid(), startTime: 1 } });
    const gone = await doctorJson('--lab', 'dr-busy');
    expect(gone.exitCode).toBe(1);
    expect(finding(gone.found, 'dr-busy')?.verdict).toBe('leaked');
    expect((await podlab('doctor', '--fix', '--lab', 'dr-busy')).exitCode).toBe(0);
    expect(listNetns()).not.toContain(plan.fabric.netns);
  });

  it("a kernel probe's namespace whose process is gone is reported (with no lab) and removed; a live probe's is not", async () => {
    const dead = `podlab-probe.${await deadPid()}`;
    const alive = `podlab-probe.${process.pid}`;
    await execa('ip', ['netns', 'add', dead]);
    await execa('ip', ['netns', 'add', alive]);
    try {
      const report = diagnose();
      expect(report.probes.map((p) => p.name)).toContain(dead);
      expect(report.probes.map((p) => p.name)).not.toContain(alive);
      expect(report.labs.map((l) => l.lab)).not.toContain('probe');
      expect(diagnose({ lab: 'dr-healthy' }).probes).toEqual([]);
      // Fix only this probe (a full --fix could touch other tests' leftovers on a shared host).
      const mine = report.probes.filter((p) => p.name === dead);
      await fix({ labs: [], probes: mine, leaks: mine });
      expect(listNetns()).not.toContain(dead);
      expect(listNetns()).toContain(alive);
    } finally {
      await execa('ip', ['netns', 'del', dead], { reject: false });
      await execa('ip', ['netns', 'del', alive], { reject: false });
    }
  });

  it('the healthy lab was never touched: its checks pass, and after its down nothing of dr-* is left', async () => {
    const state = readState('dr-healthy')!;
    expect(state.status).toBe('up');
    expect((await runChecks(state)).map((c) => c.status)).toEqual(['pass', 'pass']);
    await down('dr-healthy');
    expect(await scopedSnapshot(['dr-'])).toEqual(baseline);
  });

  it('exit 2 for a bad --lab; the exit codes and commands are in --help', async () => {
    const r = await podlab('doctor', '--lab', '../etc');
    expect(r.exitCode).toBe(2);
    const help = await podlab('doctor', '--help');
    expect(help.stdout).toContain('--fix');
    expect(help.stdout).toContain('--lab <name>');
  });
});
