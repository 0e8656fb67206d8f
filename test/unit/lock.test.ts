/**
 * The per-lab lock's rules, on a state root of its own: taken once, refused to a second taker
 * (alive) whoever it is, never taken over when its owner died (stale: only `down` removes it),
 * released only by its owner. Live races between processes: test/live/lock.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'podlab-lock-'));
process.env.PODLAB_STATE_ROOT = root;
const { liveLockHolder, lockPath, removeStaleLock, staleLock, takeLabLock } = await import('../../src/runtime/lock.ts');
const { recordOf } = await import('../../src/runtime/procs.ts');
const { labsOnHost } = await import('../../src/runtime/down.ts');

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The record of a process that has exited. */
function deadRecord() {
  const r = spawnSync('sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat']);
  const [pid, start] = String(r.stdout).trim().split('\n').map(Number);
  return { pid: pid!, startTime: start! };
}

describe('per-lab lock', () => {
  it('lives beside the state directories, under the state root', () => {
    expect(lockPath('x')).toBe(`${root}/x.lock`);
  });

  it('is taken once; a second taker is told who holds it; release frees it', () => {
    const a = takeLabLock('one');
    expect(a.ok).toBe(true);
    const b = takeLabLock('one');
    expect(b).toEqual({ ok: false, holder: recordOf(process.pid), alive: true });
    expect(liveLockHolder('one')).toEqual(recordOf(process.pid));
    expect(takeLabLock('other').ok).toBe(true);
    if (a.ok) a.lock.release();
    expect(existsSync(lockPath('one'))).toBe(false);
    expect(takeLabLock('one').ok).toBe(true);
  });

  it("a dead owner's lock is stale: not taken over by another up, removed only by removeStaleLock", () => {
    writeFileSync(lockPath('dead'), JSON.stringify(deadRecord()));
    expect(staleLock('dead')).toBe(true);
    const t = takeLabLock('dead');
    expect(t.ok).toBe(false);
    expect(t.ok ? undefined : t.alive).toBe(false);
    expect(removeStaleLock('dead')).toBe(true);
    expect(existsSync(lockPath('dead'))).toBe(false);
    expect(takeLabLock('dead').ok).toBe(true);
  });

  it("a live owner's lock is never removed as stale, and release removes only its owner's lock", () => {
    const a = takeLabLock('live');
    expect(staleLock('live')).toBe(false);
    expect(removeStaleLock('live')).toBe(false);
    expect(existsSync(lockPath('live'))).toBe(true);
    // Someone else's lock in its place (after a down removed ours): our release leaves it.
    writeFileSync(lockPath('live'), JSON.stringify({ pid: 1, startTime: recordOf(1).startTime }));
    if (a.ok) a.lock.release();
    expect(existsSync(lockPath('live'))).toBe(true);
    expect(readdirSync(root).filter((f) => f.startsWith('live.lock.'))).toEqual([]);
  });

  it('down --all finds labs by their locks, and never takes a lock file for a lab', () => {
    expect(labsOnHost()).toEqual(expect.arrayContaining(['one', 'dead', 'live', 'other']));
    expect(labsOnHost().some((l) => l.includes('.'))).toBe(false);
  });
});
