/**
 * Stopping processes by identity (pid and start time): SIGTERM first, SIGKILL after the grace
 * period for what ignores it (a pod deleted), or SIGKILL at once (a lab's `down`), and never a
 * process whose pid was recycled. Needs no root: the processes are the test's own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { isAlive, killNow, killProcesses, recordOf, stopProcesses } from '../../src/runtime/procs.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import type { ProcessRecord } from '../../src/runtime/state.ts';

const started: ResultPromise[] = [];
afterAll(() => {
  for (const p of started) p.kill('SIGKILL');
});

/**
 * A shell running `script`, once it has printed its first line (scripts start with `echo up`).
 * Wrapped in an object: returning the process itself would await its exit (it is a promise).
 */
async function startShell(script: string, buffer = false): Promise<{ proc: ResultPromise }> {
  const p = execa('sh', ['-c', script], { reject: false, buffer });
  started.push(p);
  await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
  return { proc: p };
}

async function startSleeper(ignoreTerm = false): Promise<number> {
  return (await startShell(ignoreTerm ? 'trap "" TERM; echo up; while :; do sleep 1; done' : 'echo up; exec sleep 30')).proc.pid!;
}

describe('stopProcesses', () => {
  it('stops many at once, and SIGKILLs one that ignores SIGTERM once the grace period is over', async () => {
    const stubborn = await startSleeper(true);
    const polite = await Promise.all(Array.from({ length: 20 }, () => startSleeper()));
    const recs = [stubborn, ...polite].map(recordOf);
    const t = Date.now();
    await stopProcesses(realExecutor, recs, 300);
    const took = Date.now() - t;
    expect(recs.filter(isAlive)).toEqual([]);
    expect(took).toBeGreaterThanOrEqual(300); // the stubborn one, first in the list, held the wait
    expect(took).toBeLessThan(2500);
  });

  it('returns at once when every process exits on SIGTERM', async () => {
    const recs = (await Promise.all(Array.from({ length: 10 }, () => startSleeper()))).map(recordOf);
    const t = Date.now();
    await stopProcesses(realExecutor, recs, 5000);
    expect(recs.filter(isAlive)).toEqual([]);
    expect(Date.now() - t).toBeLessThan(1000);
  });
});

describe('killProcesses', () => {
  it('SIGKILLs at once: no SIGTERM handler runs, and it returns when every process is gone', async () => {
    const { proc: p } = await startShell('trap "echo got-term; exit 0" TERM; echo up; while :; do sleep 0.05; done', true);
    const recs = [recordOf(p.pid!), ...(await Promise.all(Array.from({ length: 10 }, () => startSleeper(true)))).map(recordOf)];
    await killProcesses(realExecutor, recs);
    expect(recs.filter(isAlive)).toEqual([]);
    const r = await p;
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).not.toContain('got-term');
  });
});

describe('killNow', () => {
  it('names as signalled only the processes it signalled: not one already gone, not a recycled pid', async () => {
    const live = recordOf(await startSleeper(true));
    const other = recordOf(await startSleeper());
    const gone = recordOf(await startSleeper());
    await killProcesses(realExecutor, [gone]);
    const { signalled, exited } = killNow(realExecutor, [live, { ...other, startTime: other.startTime + 1 }, gone]);
    expect(signalled).toEqual([live]);
    await exited;
    expect(isAlive(live)).toBe(false);
    expect(isAlive(other)).toBe(true);
  });
});

describe.each([
  ['stopProcesses', (recs: ProcessRecord[]) => stopProcesses(realExecutor, recs, 100)],
  ['killProcesses', (recs: ProcessRecord[]) => killProcesses(realExecutor, recs)],
])('%s', (_name, stop) => {
  it('leaves alone a process whose pid is recorded with another start time (a recycled pid)', async () => {
    const pid = await startSleeper();
    const rec = recordOf(pid);
    await stop([{ pid, startTime: rec.startTime + 1 }]);
    expect(isAlive(rec)).toBe(true);
    await stop([rec]);
    expect(isAlive(rec)).toBe(false);
  });
});
