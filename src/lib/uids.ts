/**
 * Uids for untrusted code, one per container and per sandbox while it runs (PODLAB_UIDS): a lock
 * file per uid in UID_LOCK_DIR, created with O_EXCL and holding the holder's pid and start time.
 * A file whose holder has ended is taken over, so a killed podlab leaks nothing for long; `release`
 * removes the file when the holder stops normally.
 */
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { randomInt } from './crypto.ts';
import { PODLAB_UIDS, UID_LOCK_DIR } from '../constants.ts';
import { isAlive, recordOf, startTimeOf, type ProcessRef as ProcessRecord } from './proc.ts';

export type UidPool = keyof typeof PODLAB_UIDS;

/** PL3045 (docs/errors.md): as the runtime's coded errors (src/runtime/errors.ts), without importing above this leaf. */
export class UidError extends Error {
  readonly code = 'PL3045';
}

const lockFile = (uid: number) => `${UID_LOCK_DIR}/${uid}`;
const holderText = (rec: ProcessRecord) => `${rec.pid} ${rec.startTime}\n`;

function holderOf(text: string): ProcessRecord | undefined {
  const m = /^(\d+) (\d+)\n?$/.exec(text);
  return m ? { pid: Number(m[1]), startTime: Number(m[2]) } : undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether a lock file's holder lives, asked of /proc once per holder in one pass (a podlab process holds many uids). */
function aliveCache(): (text: string) => boolean {
  const known = new Map<string, boolean>();
  return (text) => {
    let v = known.get(text);
    if (v === undefined) {
      const h = holderOf(text);
      known.set(text, (v = !!h && isAlive(h)));
    }
    return v;
  };
}

/**
 * The processes of the host by owner (the effective uid of /proc/PID), one pass over /proc; pids in
 * `skip` are not looked at. A zombie is still listed: `runs` tells one that runs.
 */
export function processesByUid(skip: ReadonlySet<number> = new Set()): Map<number, number[]> {
  const pids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || skip.has(Number(d))) continue;
    try {
      const owner = statSync(`/proc/${d}`).uid;
      const list = pids.get(owner);
      if (list) list.push(Number(d));
      else pids.set(owner, [Number(d)]);
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** Whether a process runs (a zombie, ended and not yet reaped by its parent, runs nothing). */
const runs = (pid: number) => startTimeOf(pid) !== undefined;

/**
 * Whether any process runs as a uid: processesByUid, read once per pass, when first asked; pids in
 * `skip` are not looked at.
 */
function runningUids(skip: ReadonlySet<number> = new Set()): (uid: number) => boolean {
  let pids: Map<number, number[]> | undefined;
  return (uid) => {
    pids ??= processesByUid(skip);
    return (pids.get(uid) ?? []).some(runs);
  };
}

/**
 * Which uids a process other than `dying` runs as: one pass over /proc, now. For `down`, right
 * after it sent SIGKILL to `dying` (which can start no process after that): the pass runs while
 * they exit, instead of after. A process seen here counts while it lives.
 */
export function uidsInUse(dying: ReadonlySet<number>): (uid: number) => boolean {
  const runsAs = runningUids(dying);
  runsAs(-1);
  return runsAs;
}

/** Creates the lock file of `uid` for `holder`; false when it exists. */
function create(uid: number, holder: ProcessRecord): boolean {
  let fd: number;
  try {
    fd = openSync(lockFile(uid), 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, holderText(holder));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Removes the lock file of `uid` if its holder (as read: `seen`) has ended; a file taken meanwhile by someone else is put back. */
function reclaim(uid: number, seen: string): void {
  const aside = `${lockFile(uid)}.stale.${process.pid}`;
  try {
    renameSync(lockFile(uid), aside);
  } catch {
    return; // someone else reclaimed it first
  }
  if (read(aside) !== seen) {
    try {
      linkSync(aside, lockFile(uid)); // not the stale one: a new holder's, give it back
    } catch {
      /* taken again meanwhile; the new holder's file stands */
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    /* gone */
  }
}

/**
 * Takes a free uid of `pool` for `holder` (default: this process). Starts at a random place in
 * the range, so concurrent callers rarely meet (`range`: a part of the pool, for tests). Throws UidError when every uid is held by a live process.
 */
export function acquireUid(pool: UidPool, holder: ProcessRecord = recordOf(process.pid), range: { first: number; count: number } = PODLAB_UIDS[pool]): number {
  const { first, count } = range;
  mkdirSync(UID_LOCK_DIR, { recursive: true, mode: 0o700 });
  const start = randomInt(count);
  const alive = aliveCache();
  const runsAs = runningUids();
  for (let i = 0; i < count; i++) {
    const uid = first + ((start + i) % count);
    if (create(uid, holder)) return uid;
    const seen = read(lockFile(uid));
    if (seen === undefined) {
      if (create(uid, holder)) return uid;
      continue;
    }
    // An ended holder may have left processes of its uid (a container's orphans, until `down`):
    // a new holder must not share a uid with them, so such a uid waits.
    if (alive(seen) || runsAs(uid)) continue;
    reclaim(uid, seen);
    if (create(uid, holder)) return uid;
  }
  throw new UidError(`all ${count} ${pool} uids (${first}-${first + count - 1}) are in use by live processes; see ${UID_LOCK_DIR}`);
}

/**
 * Starts a process as a uid of `pool` taken for it (`start` gets the uid and returns the started
 * process): the uid is freed again if the start fails, else handed to the process, whose record
 * comes back with it.
 */
export async function startAsUid<R extends ProcessRecord>(pool: UidPool, start: (uid: number) => Promise<R>): Promise<R & { uid: number }> {
  const uid = acquireUid(pool);
  let rec: R;
  try {
    rec = await start(uid);
  } catch (e) {
    releaseUid(uid);
    throw e;
  }
  transferUid(uid, rec);
  return { ...rec, uid };
}

/** Hands `uid` over to another holder (the container's own process, once started): the file is replaced whole. */
export function transferUid(uid: number, holder: ProcessRecord): void {
  const tmp = `${lockFile(uid)}.new.${process.pid}`;
  writeFileSync(tmp, holderText(holder), { mode: 0o600 });
  renameSync(tmp, lockFile(uid));
}

/** Frees `uid` if `holder` (when given) still holds it. */
export function releaseUid(uid: number, holder?: ProcessRecord): void {
  const seen = read(lockFile(uid));
  if (seen === undefined) return;
  if (holder && seen !== holderText(holder)) return;
  try {
    unlinkSync(lockFile(uid));
  } catch {
    /* gone */
  }
}

/** Whether a live process holds `uid` (its lock file names a holder that still runs). */
export function heldByLive(uid: number): boolean {
  const holder = uidHolder(uid);
  return !!holder && isAlive(holder);
}

/** The uid's holder, if its file exists. */
export function uidHolder(uid: number): ProcessRecord | undefined {
  const seen = read(lockFile(uid));
  return seen === undefined ? undefined : holderOf(seen);
}

/**
 * Frees the uids of processes that have ended (`down`'s containers, waited for): each file still
 * naming its holder is removed, unless a process runs as the uid (an orphan that left the lab's
 * namespaces: `runsAs`, by default one pass over /proc when a file is found; `down` passes
 * uidsInUse's, read while the processes exited); the files are read and removed in parallel. Resolves to how many were freed. Unlike
 * sweepUids it reads no other holder's file, so its cost does not grow with the other labs on the host.
 */
export async function releaseEnded(held: readonly { uid: number; holder: ProcessRecord }[], runsAs: (uid: number) => boolean = runningUids()): Promise<number> {
  const freed = await Promise.all(
    held.map(async ({ uid, holder }) => {
      const seen = await readFile(lockFile(uid), 'utf8').catch(() => undefined);
      if (seen !== holderText(holder) || isAlive(holder) || runsAs(uid)) return false;
      return unlink(lockFile(uid)).then(
        () => true,
        () => false, // gone
      );
    }),
  );
  return freed.filter(Boolean).length;
}

/**
 * Ends every process still running as one of `uids` (a container's, once its container is gone):
 * `kill(uid)` must send SIGKILL to every process of that uid at once, as kill(-1, SIGKILL) run as
 * the uid does (the kernel walks the task list under the lock fork takes, so no child of a process
 * being killed escapes). A chain of short-lived forks, each started after the pass over /proc that
 * would have seen it, outlives a kill by pid; it does not outlive this. Looks again until none is
 * left (at most `rounds` times). Resolves to the uids that had processes left.
 */
export async function endUids(uids: readonly number[], kill: (uid: number) => Promise<unknown>, rounds = 10): Promise<number[]> {
  const left = () => {
    const runs = runningUids();
    return uids.filter((u) => runs(u));
  };
  let now = left();
  const had = [...now];
  for (let i = 0; now.length && i < rounds; i++) {
    await Promise.all(now.map(kill));
    await new Promise((r) => setTimeout(r, 10));
    now = left();
  }
  return had;
}

/**
 * After containers were stopped one by one (a pod deleted, a container restarted), as `down` does
 * for a whole lab: ends every process still running as their uids (a child that left the
 * container's process group: setsid, a double fork, which a stop by pid misses), then frees each
 * uid nothing runs as any more. Only a uid whose container is gone and whose lock file still names
 * it (not taken over since by another container) is touched; one whose processes outlive every
 * round stays held, so no other container gets it while they run. Resolves to the uids that had
 * processes left.
 */
export async function endContainerUids(held: readonly { uid: number; holder: ProcessRecord }[], kill: (uid: number) => Promise<unknown>): Promise<number[]> {
  const own = held.filter(({ uid, holder }) => !isAlive(holder) && read(lockFile(uid)) === holderText(holder));
  if (!own.length) return [];
  const had = await endUids([...new Set(own.map((h) => h.uid))], kill);
  await releaseEnded(own);
  return had;
}

/** Removes every lock file whose holder has ended (after `down`, a killed run's leftovers); returns how many. */
export function sweepUids(): number {
  let n = 0;
  const alive = aliveCache();
  const runsAs = runningUids();
  let names: string[];
  try {
    names = readdirSync(UID_LOCK_DIR);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const seen = read(lockFile(Number(name)));
    if (seen === undefined || alive(seen) || runsAs(Number(name))) continue;
    reclaim(Number(name), seen);
    n++;
  }
  return n;
}
