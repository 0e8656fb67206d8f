/**
 * The per-lab lock: `up` takes it before it creates anything (the kernel probe's namespace
 * included) and gives it back when it is done, having built the lab or removed what it built. A
 * second `up` of the same lab finds it taken and stops at once, changing nothing: without it, two
 * `up`s raced, and each one's rollback tore down the other's work. `down` finds the `up` holding
 * it and stops that `up` first (SIGTERM: it finishes the step in flight and removes what it
 * built, as on Ctrl-C), then removes whatever is left and a lock whose holder died.
 *
 * The lock is a file `<STATE_ROOT>/<lab>.lock` created with O_EXCL (atomic on a local file
 * system) holding its owner's pid and start time, so a recycled pid is never taken for the owner.
 * It sits beside the state directory, not in it: the state directory is a tmpfs that `up` mounts
 * and `down` removes. Lab names are DNS labels (no '.'), so `<lab>.lock` is never a lab's name.
 * A lock whose owner died (a SIGKILLed `up`) is never taken over by another `up` — the lab may be
 * half built — only removed by `down`, after it has removed the rest.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from '../lib/crypto.ts';
import { STATE_ROOT } from '../constants.ts';
import { isAlive, recordOf } from './procs.ts';
import type { ProcessRecord } from './state.ts';

export const LOCK_SUFFIX = '.lock';
export const lockPath = (lab: string) => `${STATE_ROOT}/${lab}${LOCK_SUFFIX}`;

export interface LabLock {
  lab: string;
  owner: ProcessRecord;
  /** Gives the lock back (only if it is still this owner's). Idempotent. */
  release(): void;
}

export type LockAttempt =
  | { ok: true; lock: LabLock }
  /** `holder` undefined: the lock is being written this instant (or unreadable); treat it as held by a live `up`. */
  | { ok: false; holder?: ProcessRecord; alive: boolean };

function readHolder(path: string): ProcessRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord;
    return Number.isInteger(r.pid) && Number.isInteger(r.startTime) ? { pid: r.pid, startTime: r.startTime } : undefined;
  } catch {
    return undefined;
  }
}

const same = (a: ProcessRecord | undefined, b: ProcessRecord | undefined) => !!a && !!b && a.pid === b.pid && a.startTime === b.startTime;

/** Takes lab `lab`'s lock for this process, or says who holds it. */
export function takeLabLock(lab: string, owner: ProcessRecord = recordOf(process.pid)): LockAttempt {
  const path = lockPath(lab);
  mkdirSync(STATE_ROOT, { recursive: true });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const holder = readHolder(path);
    return { ok: false, holder, alive: holder ? isAlive(holder) : true };
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  let held = true;
  return {
    ok: true,
    lock: {
      lab,
      owner,
      release: () => {
        if (!held) return;
        held = false;
        if (same(readHolder(path), owner)) removeIfHeldBy(path, owner);
      },
    },
  };
}

/** The live process holding lab `lab`'s lock, if any. */
export function liveLockHolder(lab: string): ProcessRecord | undefined {
  const holder = readHolder(lockPath(lab));
  return holder && isAlive(holder) ? holder : undefined;
}

/** How old a lock file without an owner written in it must be to count as left by a killed `up` (creating and writing it take microseconds). */
const UNWRITTEN_STALE_MS = 5000;

/** Whether lab `lab` has a lock whose owner is gone (an `up` that was killed). */
export function staleLock(lab: string): boolean {
  const path = lockPath(lab);
  const holder = readHolder(path);
  if (holder) return !isAlive(holder);
  try {
    return Date.now() - statSync(path).mtimeMs > UNWRITTEN_STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Removes lab `lab`'s lock if its owner is gone (for `down`, after it removed the rest). The lock is
 * first renamed aside and checked there, so a lock a new `up` took meanwhile is put back, not lost.
 */
export function removeStaleLock(lab: string): boolean {
  if (!staleLock(lab)) return false;
  const path = lockPath(lab);
  return removeIfHeldBy(path, readHolder(path));
}

/** Removes the lock at `path` if it is `holder`'s (undefined: one with no owner written in it). */
function removeIfHeldBy(path: string, holder: ProcessRecord | undefined): boolean {
  const aside = `${path}.${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  const found = readHolder(aside);
  if (holder ? same(found, holder) : !found) {
    unlinkSync(aside);
    return true;
  }
  // Not the lock we meant (taken anew in between): put it back, unless yet another one is there now.
  try {
    linkSync(aside, path);
  } catch {
    /* a newer lock holds the place */
  }
  unlinkSync(aside);
  return false;
}
