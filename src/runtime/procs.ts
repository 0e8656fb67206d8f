/**
 * Finding and stopping processes by identity, never by name: by the network namespace they run
 * in (inode of /run/netns/<ns> against /proc/<pid>/ns/net), or by pid *and* start time.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { NETNS_RUN_DIR } from '../constants.ts';
import type { Executor } from './exec.ts';
import type { LabState, ProcessRecord } from './state.ts';

export { isAlive, recordOf, startTimeOf } from '../lib/proc.ts';
import { isAlive, startTimeOf } from '../lib/proc.ts';

/** The inode of each named namespace that exists. */
export function netnsInodes(names: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of names) {
    try {
      out.set(statSync(`${NETNS_RUN_DIR}/${n}`).ino, n);
    } catch {
      /* gone already */
    }
  }
  return out;
}

/**
 * Every process whose network namespace is one of `names` (or of the namespaces with these inodes): one pass over /proc. Pids in `skip`
 * (ones the caller has dealt with already) are not looked at.
 */
export function pidsInNetns(names: readonly string[] | ReadonlyMap<number, string>, skip: ReadonlySet<number> = new Set()): { pid: number; netns: string }[] {
  // Given as inodes (netnsInodes), the namespaces may have lost their names already.
  const inodes = names instanceof Map ? names : netnsInodes(names as readonly string[]);
  if (!inodes.size) return [];
  const out: { pid: number; netns: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || skip.has(Number(entry))) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/ns/net`));
      const ns = m && inodes.get(Number(m[1]));
      if (ns) out.push({ pid: Number(entry), netns: ns });
    } catch {
      /* exited meanwhile, or a kernel thread */
    }
  }
  return out;
}

/**
 * Waits until every process in `live` is gone or `deadline` (ms since the epoch) has passed; returns
 * those still alive. Polls after 1, 2, 4, … ms (at most 20): podlab's own processes exit within a
 * millisecond or two of a signal, and a fixed 20 ms poll made that the floor of every `down`. Each
 * poll reads on from the first process not yet seen gone, so 1000 processes cost about 1000 reads
 * in all, not 1000 per poll.
 */
async function waitGone(live: readonly ProcessRecord[], deadline: number): Promise<ProcessRecord[]> {
  let gone = 0;
  for (let wait = 1; ; wait = Math.min(20, wait * 2)) {
    while (gone < live.length && !isAlive(live[gone]!)) gone++;
    if (gone === live.length || Date.now() >= deadline) break;
    await new Promise((res) => setTimeout(res, wait));
  }
  return live.slice(gone).filter(isAlive);
}

/**
 * SIGTERM, wait up to `graceMs`, then SIGKILL what is left, as Kubernetes deletes a pod. Only the
 * given pids are touched. The signals go out before the first await (a caller can start other work
 * right after the call).
 */
export async function stopProcesses(ex: Executor, recs: readonly ProcessRecord[], graceMs = 1000): Promise<void> {
  const live = recs.filter(isAlive);
  for (const r of live) ex.signal(r.pid, 'SIGTERM');
  await killProcesses(ex, await waitGone(live, Date.now() + graceMs));
}

/**
 * SIGKILL at once to each of `recs` still alive, then wait (up to 2 s) until each is gone. For
 * `down`, which destroys the processes' namespaces with them: there is nothing for them to finish,
 * and once SIGKILL is sent no process can outlive it, even if podlab dies before the wait ends.
 * The signals go out before this returns; `signalled` are the processes they went to.
 */
export function killNow(ex: Executor, recs: readonly ProcessRecord[]): { signalled: ProcessRecord[]; exited: Promise<void> } {
  const signalled = recs.filter(isAlive);
  for (const r of signalled) ex.signal(r.pid, 'SIGKILL');
  return { signalled, exited: waitGone(signalled, Date.now() + 2000).then(() => undefined) };
}

/**
 * SIGKILL to every process of a uid at once: kill(-1) run as that uid (setpriv, util-linux), which
 * the kernel sends to each process the uid may signal, a container's uid's own, under the lock
 * fork takes (no child of a process being killed escapes it). For endUids.
 */
export const killAllOfUid = (ex: Executor) => (uid: number) => ex.run(['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', 'kill', '-KILL', '-1']);

/** killNow, awaited. */
export async function killProcesses(ex: Executor, recs: readonly ProcessRecord[]): Promise<void> {
  await killNow(ex, recs).exited;
}

/** Stops the lab's agent and waits until it is gone, so that nothing restarts what is being removed. */
export async function stopAgent(ex: Executor, state: Pick<LabState, 'agent'> | undefined): Promise<boolean> {
  if (!state?.agent || !isAlive(state.agent)) return false;
  await stopProcesses(ex, [state.agent], 2000);
  return true;
}
