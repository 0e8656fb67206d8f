/**
 * Live: the per-lab lock. Two `up`s of one lab at once — 20 trials in one process (the second
 * started at a random point of the first's run) and 2 with two real CLI processes racing —
 * exactly one succeeds each time, the other gets PL3004 and changes nothing (the winner's lab is
 * whole afterwards). `down` while a CLI `up` runs: the `up` stops as on Ctrl-C (PL3005), `down`
 * removes the rest, and the host equals its baseline. The kernel probe's namespace of a killed
 * `up` belongs to its lab: `down` removes it, `doctor --lab` reports it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { render } from '../../src/render/render.ts';
import { down, labNamespacesOnHost } from '../../src/runtime/down.ts';
import { diagnose } from '../../src/runtime/doctor.ts';
import { lockPath } from '../../src/runtime/lock.ts';
import { readState } from '../../src/runtime/state.ts';
import { netns } from '../../src/plan/names.ts';
import { upExclusive, UpRefused } from '../../src/runtime/up-exclusive.ts';
import { labNamespaces } from '../../src/render/render.ts';
import { liveGuard, planFrom, writeLabFile } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const TMP = 'test/live/.tmp-seclock';
const CLI = 'bin/podlab.js';
const TRIALS = 20;

const small = (name: string): LabSpec => ({
  name,
  nodes: { w1: {} },
  dns: false,
  pods: { a: { node: 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] } },
});

const bigger = (name: string): LabSpec => ({
  name,
  nodes: { w1: {}, w2: {} },
  dns: false,
  pods: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`p${i}`, { node: i % 2 ? 'w2' : 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo' as const } }] }])),
});

/** Whether `pid` has SIGTERM pending (sent while it is stopped): /proc/<pid>/status SigPnd/ShdPnd, bit 15. */
function termPending(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return ['SigPnd', 'ShdPnd'].some((k) => (BigInt(`0x${new RegExp(`^${k}:\\s*([0-9a-f]+)`, 'm').exec(status)![1]}`) & (1n << 14n)) !== 0n);
}

async function until(what: string, ok: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!live)('live: one up per lab at a time', () => {
  let baseline: ScopedSnapshot;
  // The host's root namespace in full; of podlab's objects only this file's labs (others run live tests on this host too).
  const snap = () => scopedSnapshot(['seclock-']);
  const names = ['seclock-a', 'seclock-b', 'seclock-c', 'seclock-d'];

  beforeAll(async () => {
    for (const n of names) await down(n);
    baseline = await snap();
  });
  afterAll(async () => {
    for (const n of names) await down(n);
    rmSync(TMP, { recursive: true, force: true });
  });

  it(`two ups of one lab at once, ${TRIALS} trials in one process: exactly one succeeds, the other changes nothing`, async () => {
    const plan = planFrom(small('seclock-a'));
    const files = render(plan);
    try {
      for (let t = 0; t < TRIALS; t++) {
        // Even trials start both at the same instant (neither has created anything when the other
        // looks: only the lock tells them apart); odd ones start the second at a random point of
        // the first's run (while it probes, builds, or after it is done).
        const delay = t % 2 ? Math.floor(Math.random() * 120) : 0;
        const second = () => upExclusive(plan, files);
        const results = await Promise.allSettled([upExclusive(plan, files), delay ? new Promise((r) => setTimeout(r, delay)).then(second) : second()]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won, `trial ${t} (delay ${delay} ms): ${lost.map((l) => String(l.reason)).join('; ')}`).toHaveLength(1);
        expect(lost[0]!.reason).toBeInstanceOf(UpRefused);
        expect((lost[0]!.reason as UpRefused).diagnostics.map((d) => d.code)).toEqual(['PL3004']);
        // The loser took nothing down: the winner's lab is whole.
        expect(readState('seclock-a')?.status).toBe('up');
        expect(labNamespacesOnHost('seclock-a').sort()).toEqual(labNamespaces(plan).sort());
        expect(existsSync(lockPath('seclock-a'))).toBe(false);
        await down('seclock-a');
      }
    } finally {
      await down('seclock-a');
    }
    expect(await snap()).toEqual(baseline);
  }, 60_000);

  it('two CLI ups racing (2 trials): one is up, the other exits 2 with PL3004', async () => {
    const file = writeLabFile(TMP, 'seclock-b', small('seclock-b'));
    try {
      for (let t = 0; t < 2; t++) {
        const runs = await Promise.all([execa('node', [CLI, 'up', file], { reject: false }), execa('node', [CLI, 'up', file], { reject: false })]);
        const codes = runs.map((r) => r.exitCode).sort();
        expect(codes, runs.map((r) => r.stderr).join('\n---\n')).toEqual([0, 2]);
        expect(runs.find((r) => r.exitCode === 2)!.stderr).toMatch(/error PL3004 lab "seclock-b" is (already up|being brought up)/);
        expect(readState('seclock-b')?.status).toBe('up');
        const d = await execa('node', [CLI, 'down', 'seclock-b'], { reject: false });
        expect(d.exitCode).toBe(0);
      }
    } finally {
      await down('seclock-b');
    }
    expect(await snap()).toEqual(baseline);
  }, 60_000);

  it('down while up runs: up stops as on Ctrl-C (PL3005), down removes everything', async () => {
    const file = writeLabFile(TMP, 'seclock-c', bigger('seclock-c'));
    const upRun = execa('node', [CLI, 'up', file], { reject: false });
    try {
      // Caught mid-way (its pods being wired) and held there, so down finds it running whatever the machine's speed.
      await until('up to reach its pods step', () => readState('seclock-c')?.steps.some((s) => s.step === 'pods') ?? false);
      process.kill(upRun.pid!, 'SIGSTOP');
      const downRun = execa('node', [CLI, 'down', 'seclock-c'], { reject: false });
      await until('down to signal the up', () => termPending(upRun.pid!));
      process.kill(upRun.pid!, 'SIGCONT');
      const [u, d] = await Promise.all([upRun, downRun]);
      expect(u.exitCode, u.stderr).toBe(130);
      expect(u.stderr).toMatch(/error PL3005 up of seclock-c was stopped/);
      expect(d.exitCode, d.stderr).toBe(0);
      expect(d.stderr).toMatch(/note PL3005 seclock-c: its up \(pid \d+\) was still running/);
      expect(existsSync(lockPath('seclock-c'))).toBe(false);
    } finally {
      if (upRun.pid) {
        try {
          process.kill(upRun.pid, 'SIGCONT');
        } catch {
          /* gone */
        }
      }
      await upRun;
      await down('seclock-c');
    }
    expect(await snap()).toEqual(baseline);
  }, 60_000);

  it("what a killed up leaves (its probe namespace, its lock) belongs to its lab: doctor --lab reports it, up refuses, down removes it", async () => {
    const file = writeLabFile(TMP, 'seclock-d', small('seclock-d'));
    try {
      // Exactly what an `up` SIGKILLed while probing the kernel leaves: the lab's probe namespace and its lock, owned by a dead process.
      const dead = execa('true');
      await dead;
      await execa('ip', ['netns', 'add', netns.probe('seclock-d')]);
      writeFileSync(lockPath('seclock-d'), JSON.stringify({ pid: dead.pid, startTime: 1 }));
      const found = diagnose({ lab: 'seclock-d' });
      expect(found.labs.map((f) => f.verdict)).toEqual(['leaked']);
      expect(found.leaks.map((l) => `${l.kind} ${l.name}`).sort()).toEqual([`lock ${lockPath('seclock-d')}`, `netns ${netns.probe('seclock-d')}`]);
      const again = await execa('node', [CLI, 'up', file], { reject: false });
      expect(again.exitCode).toBe(2);
      expect(again.stderr).toMatch(/PL3004 lab "seclock-d" was being brought up by podlab pid \d+, which died before it finished/);
      const d = await execa('node', [CLI, 'down', 'seclock-d'], { reject: false });
      expect(d.exitCode).toBe(0);
      expect(diagnose({ lab: 'seclock-d' }).leaks).toEqual([]);
      expect(existsSync(`/run/netns/${netns.probe('seclock-d')}`)).toBe(false);
      expect(existsSync(lockPath('seclock-d'))).toBe(false);

      // And a real one: up SIGKILLed as soon as anything of it shows (probe namespace or state); down leaves nothing.
      const upRun = execa('node', [CLI, 'up', file], { reject: false });
      await until('up to create something', () => existsSync(lockPath('seclock-d')) && (existsSync(`/run/netns/${netns.probe('seclock-d')}`) || readState('seclock-d') !== undefined));
      process.kill(upRun.pid!, 'SIGKILL');
      await upRun;
      expect(diagnose({ lab: 'seclock-d' }).labs.map((f) => f.verdict)).toEqual(['leaked']);
      await down('seclock-d');
      expect(diagnose({ lab: 'seclock-d' }).leaks).toEqual([]);
    } finally {
      await down('seclock-d');
    }
    expect(await snap()).toEqual(baseline);
  }, 60_000);
});
