/**
 * Stopping processes by identity (pid and start time): SIGTERM first, SIGKILL after the grace
 * period for what ignores it (a pod deleted), or SIGKILL at once (a lab's `down`), and never a
 * process whose pid was recycled. Needs no root: the
 * processes are the test's own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { isAlive, killProcesses, recordOf, stopProcesses } from '../../src/runtime/procs.ts';

const started: ResultPromise[] = [];
afterAll(() => {
  for (const p of started) p.kill('SIGKILL');
});

async function startSleeper(ignoreTerm = false): Promise<number> {
  const p = execa('sh', ['-c', ignoreTerm ? 'trap "" TERM; echo up; while :; do sleep 1; done' : 'echo up; exec sleep 30'], { reject: false, buffer: false });
  started.push(p);
  await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
  return p.pid!;
}

describe('stopProcesses', () => {
  it('stops many at once, and SIGKILLs one that ignores SIGTERM once the grace period is over', async () => {
    const stubborn = await startSleeper(true);
    const polite = await Promise.all(Array.from({ length: 20 }, () => startSleeper()));
    const recs = [stubborn, ...polite].map(recordOf);
    const t = Date.now();
    await stopProcesses(recs, 300);
    const took = Date.now() - t;
    expect(recs.filter(isAlive)).toEqual([]);
    expect(took).toBeGreaterThanOrEqual(300); // the stubborn one, first in the list, held the wait
    expect(took).toBeLessThan(2500);
  });

  it('returns at once when every process exits on SIGTERM', async () => {
    const recs = (await Promise.all(Array.from({ length: 10 }, () => startSleeper()))).map(recordOf);
    const t = Date.now();
    await stopProcesses(recs, 5000);
    expect(recs.filter(isAlive)).toEqual([]);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('leaves alone a process whose pid is recorded with another start time (a recycled pid)', async () => {
    const pid = await startSleeper();
    const rec = recordOf(pid);
    await stopProcesses([{ pid, startTime: rec.startTime + 1 }], 100);
    expect(isAlive(rec)).toBe(true);
    await stopProcesses([rec], 1000);
    expect(isAlive(rec)).toBe(false);
  });
});

describe('killProcesses', () => {
  it('SIGKILLs at once: no SIGTERM handler runs, and it returns when every process is gone', async () => {
    const p = execa('sh', ['-c', 'trap "echo got-term; exit 0" TERM; echo up; while :; do sleep 0.05; done'], { reject: false });
    started.push(p);
    await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
    const recs = [recordOf(p.pid!), ...(await Promise.all(Array.from({ length: 10 }, () => startSleeper(true)))).map(recordOf)];
    await killProcesses(recs);
    expect(recs.filter(isAlive)).toEqual([]);
    const r = await p;
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).not.toContain('got-term');
  });

  it('leaves alone a process whose pid is recorded with another start time (a recycled pid)', async () => {
    const pid = await startSleeper();
    const rec = recordOf(pid);
    await killProcesses([{ pid, startTime: rec.startTime + 1 }]);
    expect(isAlive(rec)).toBe(true);
    await killProcesses([rec]);
    expect(isAlive(rec)).toBe(false);
  });
});
