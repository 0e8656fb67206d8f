/**
 * One writer at a time for a live lab with control loops: the lab's agent and the commands that
 * change the lab (scenario actions, `podlab pod …`) each read the state journal, change the lab
 * (processes, namespaces, nft diffs from the tables last applied) and write it back. Two at once
 * would each write a journal missing the other's change, and send nft diffs from a stale base.
 * The mutex is a file `<state dir>/mutate.lock` created with O_EXCL, holding its owner's pid and
 * start time: a holder that died (SIGKILL) is recognised and its lock taken over.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { isAlive, recordOf } from './procs.ts';
import { stateDir, type ProcessRecord } from './state.ts';

const mutexPath = (lab: string) => `${stateDir(lab)}/mutate.lock`;

function tryTake(path: string, me: ProcessRecord): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // no state directory: the lab is gone, nothing to guard
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      const holder = JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord;
      if (!isAlive(holder)) unlinkSync(path);
    } catch {
      /* being written or removed this instant */
    }
    return false;
  }
}

/**
 * The labs whose mutex the current call chain holds. A change made under the mutex may call
 * another that takes it (a scenario's set-deployment-env writes the Deployment as kubectl would,
 * and that write takes the mutex): within one chain it is held already, so it runs at once. Other
 * chains of the same process (the API server answering two requests) still wait their turn.
 */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** Runs `fn` holding the lab's mutex (waiting for it up to `timeoutMs`, then running anyway). */
export async function withLabMutex<T>(lab: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const mine = held.getStore();
  if (mine?.has(lab)) return fn();
  const path = mutexPath(lab);
  const me = recordOf(process.pid);
  const deadline = Date.now() + timeoutMs;
  while (!tryTake(path, me) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  try {
    return await held.run(new Set([...(mine ?? []), lab]), fn);
  } finally {
    try {
      const holder = JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord;
      if (holder.pid === me.pid && holder.startTime === me.startTime) unlinkSync(path);
    } catch {
      /* gone with the lab */
    }
  }
}
