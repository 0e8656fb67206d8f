/**
 * Teardown that needs nothing but the lab's name: processes in the lab's namespaces (found by
 * namespace identity) and recorded ones (pid + start time) are stopped, the namespaces are deleted
 * (taking every link inside with them, and what the CNI plugins made there), and the lab's
 * /etc/netns entries and state directory (a tmpfs, with the IPAM leases) are removed. Every step treats
 * "already gone" as success, so a second `down`, or a `down` after a crash at any step, is exact.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { ETC_NETNS_DIR, NETNS_RUN_DIR, STATE_ROOT } from '../constants.ts';
import { labNetnsPrefix, labOfNetns } from '../plan/names.ts';
import { realExecutor, type Executor } from './exec.ts';
import { killAllOfUid, killNow, netnsInodes, pidsInNetns, recordOf, stopAgent, stopProcesses } from './procs.ts';
import { liveLockHolder, LOCK_SUFFIX, removeStaleLock } from './lock.ts';
import { readState, stateDir, type LabState, type ProcessRecord } from './state.ts';
import { mountsAt, unmountStateDir } from './statefs.ts';
import { endUids, releaseEnded, sweepUids, uidsInUse } from './uids.ts';
import { mark, traced } from '../lib/trace.ts';
import { cgroupPids, existingCgroup, labCgroupName, removeCgroup } from '../lib/cgroups.ts';

export interface DownReport {
  lab: string;
  namespaces: string[];
  processes: number;
  existed: boolean;
  /** The pid of an `up` of this lab that was running, and was stopped first. */
  stoppedUp?: number;
  /** Containers' uids that still had processes once the lab's were gone, all ended then (endUids). */
  survivors?: number;
  /** The lab's cgroup directories that could not be removed (a process still in them): doctor finds them. */
  cgroupLeft?: string[];
}

/**
 * How long an `up` stopped by `down` has to finish its step in flight and remove what it built
 * before it is SIGKILLed (then `down` removes it all: it is exact after a crash at any step).
 */
const UP_STOP_GRACE_MS = 30_000;

export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR);
  } catch {
    return [];
  }
}

export function labNamespacesOnHost(lab: string): string[] {
  const prefix = labNetnsPrefix(lab);
  return listNetns().filter((n) => n.startsWith(prefix));
}

/** Whether anything of lab `lab` is on this host: its state, a namespace of its, or its state directory's tmpfs. */
export function labOnHost(lab: string): boolean {
  return readState(lab) !== undefined || labNamespacesOnHost(lab).length > 0 || mountsAt(stateDir(lab)) > 0;
}

export async function down(lab: string, ex: Executor = realExecutor): Promise<DownReport> {
  // 0. An `up` of this lab still running (it holds the lab's lock) is stopped first, as Ctrl-C
  // stops it: it starts nothing new, and removes what it built. Removing the lab under a live
  // `up` would race the processes and namespaces it is creating.
  const holder = liveLockHolder(lab);
  const stoppedUp = holder && holder.pid !== process.pid ? holder : undefined;
  if (stoppedUp) await stopProcesses(ex, [stoppedUp], UP_STOP_GRACE_MS);

  const state: LabState | undefined = readState(lab);
  mark('down: state read');
  // The lab's agent next: stopped (and gone) before anything else, it restarts nothing of what
  // is being removed. Its pid is recorded; without a state it is found in no namespace (it runs
  // in the host's), so it sees the state gone and exits by itself.
  const stoppedAgent = await stopAgent(ex, state);
  const namespaces = labNamespacesOnHost(lab);
  const report: DownReport = { lab, namespaces, processes: 0, existed: !!state || namespaces.length > 0 || existsSync(stateDir(lab)) || !!stoppedUp, ...(stoppedUp ? { stoppedUp: stoppedUp.pid } : {}) };

  // 1. The namespaces' names go first, in one batch, while everything below runs (-force keeps
  // going past ones that vanished meanwhile): a namespace whose name is gone lives on until its
  // last process has left it, so their identities (inodes) are taken before, for step 2.
  // The namespaces are held open (a file descriptor each) until the end, so that the kernel frees
  // them all in one batch rather than as their names go and their processes exit, at scattered
  // times: each batch of its clean-up waits for RCU grace periods of its own while it holds RTNL,
  // which every other lab's link changes wait for.
  const inodes = netnsInodes(namespaces);
  const holds = holdNamespaces(namespaces);
  const letGo = () => {
    for (const fd of holds.splice(0)) closeSync(fd);
  };
  try {
    const deleting = namespaces.length ? ex.run(['ip', '-force', '-batch', '-'], { input: namespaces.map((n) => `netns del ${n}`).join('\n') + '\n' }) : undefined;

    // 2. Processes: the recorded ones (which may have left the lab's namespaces), then everything
    // else running in one of those namespaces. SIGKILL, not SIGTERM first: the lab is being
    // destroyed, and no process of it has anything to finish (`podlab pod delete` gives a grace
    // period, as Kubernetes does). Once the signal is sent none of them can outlive it, so the steps
    // below need not wait for their exits, which cost the kernel about 0.3 ms of CPU each (a pod's
    // mount, UTS and IPC namespaces go with its pause process). The recorded ones are signalled
    // before the pass over /proc, which skips them, so that their exits run while it reads.
    const pods = state ? Object.values(state.pods) : [];
    const records: ProcessRecord[] = state
      ? [...(state.agent && !stoppedAgent ? [state.agent] : []), ...(state.api ? [state.api] : []), ...(state.mountTemplate ? [state.mountTemplate] : []), ...Object.values(state.nodeSandboxes ?? {}), ...Object.values(state.daemons ?? {}), ...pods.flatMap((p) => [...(p.pause ? [p.pause] : []), ...Object.values(p.containers)])]
      : [];
    const recorded = killNow(ex, records.filter((r) => r.pid !== process.pid));
    // A graded lab's cgroup (state.cgroup; without a state, found by the lab's name): whatever is
    // in it is the lab's, wherever it runs now.
    const cgroup = state?.cgroup ?? (state && !state.plan.ownRoots ? [] : existingCgroup(labCgroupName(lab)));
    const skip = new Set([process.pid, ...recorded.signalled.map((r) => r.pid)]);
    const members = cgroupPids(cgroup).filter((p) => !skip.has(p));
    const others = killNow(ex, [...new Set([...pidsInNetns(inodes, skip).map((p) => p.pid), ...members])].map((p) => recordOf(p)));
    report.processes = recorded.signalled.length + others.signalled.length;
    const stopping = Promise.all([recorded.exited, others.exited]);
    // Whether anything else runs as one of the containers' uids (an orphan that left the lab's
    // namespaces keeps its uid held): read now, while the processes exit.
    mark('down: processes signalled');
    const inUse = state ? uidsInUse(new Set([...recorded.signalled, ...others.signalled].map((r) => r.pid))) : undefined;

    // 3. No CNI DEL here. Everything the plugins made lives inside the lab's namespaces (the veths,
    // pod bridge, portmap's iptables rules in the node namespace) or under its state directory (host-local's
    // leases), and both go below; a DEL per pod would only repeat that, at five processes a pod
    // (measured: 10 nodes × 10 pods, down 1.2 s with DEL, 74 ms without). `podlab pod delete`, which
    // removes one pod from a lab that stays, does call DEL.

    // 4. Files, while the batch runs and the processes exit: /etc/netns/<ns> entries and the state
    // directory (journal, rendered files, IPAM data, logs), unmounted at once (lazily: a dying
    // process may still hold it), then the directory itself. A crash between the two leaves
    // namespaces that the next `down` finds by name. `down` returns once every process is gone.
    try {
      for (const n of etcNetnsOf(lab)) rmSync(`${ETC_NETNS_DIR}/${n}`, { recursive: true, force: true });
      await unmountStateDir(ex, lab);
      rmSync(stateDir(lab), { recursive: true, force: true });
    } finally {
      mark('down: files removed');
      await traced('down: processes gone', () => stopping);
      // The lab's containers (and daemons such as BIRD) are gone: their uids are free. Those recorded are freed by name (their
      // files removed in parallel, while the batch runs: on a busy ext4 /run each removal can wait
      // on the journal); with no state (a crash before it was written) every ended holder's file is swept.
      const held = [...pods.flatMap((p) => Object.values(p.containers)), ...Object.values(state?.daemons ?? {})].flatMap((c) => (c.uid === undefined ? [] : [{ uid: c.uid, holder: c }]));
      // What the passes above could not see (a chain of forks, each born after the pass that
      // would have found it) ends now, by uid, before the uid is freed for another container.
      const survived = await traced('down: container uids emptied', () => endUids([...new Set(held.map((h) => h.uid))], killAllOfUid(ex)));
      if (survived.length) report.survivors = survived.length;
      if (cgroup.length) {
        const left = await traced('down: cgroup removed', () => removeCgroup(cgroup));
        if (left.length) report.cgroupLeft = left;
      }
      const releasing = inUse && !survived.length ? releaseEnded(held, inUse) : survived.length ? releaseEnded(held) : Promise.resolve(sweepUids());
      try {
        if (deleting) {
          await traced('down: namespaces deleted', () => deleting);
          for (const n of labNamespacesOnHost(lab)) await ex.run(['ip', 'netns', 'del', n]);
        }
      } finally {
        letGo();
        mark('down: namespaces let go');
        await traced('down: uids released', () => releasing);
      }
    }
  } finally {
    letGo(); // if a step above failed: else done once every process is gone
  }
  // Last, the lock of an `up` that died (SIGKILL) — never one a live `up` holds.
  if (removeStaleLock(lab)) report.existed = true;
  return report;
}

function etcNetnsOf(lab: string): string[] {
  try {
    return readdirSync(ETC_NETNS_DIR).filter((n) => n.startsWith(labNetnsPrefix(lab)));
  } catch {
    return [];
  }
}

/** Every lab with anything on this host: state directories, namespaces, /etc/netns entries. */
export function labsOnHost(): string[] {
  const labs = new Set<string>();
  for (const n of listNetns()) {
    const l = labOfNetns(n);
    if (l) labs.add(l);
  }
  try {
    for (const n of readdirSync(ETC_NETNS_DIR)) {
      const l = labOfNetns(n);
      if (l) labs.add(l);
    }
  } catch {
    /* no /etc/netns */
  }
  try {
    // State directories, and locks (`<lab>.lock`) of `up`s running or killed; nothing else there is a lab.
    for (const d of readdirSync(STATE_ROOT)) {
      const lab = d.endsWith(LOCK_SUFFIX) ? d.slice(0, -LOCK_SUFFIX.length) : d;
      if (!lab.includes('.')) labs.add(lab);
    }
  } catch {
    /* no state root */
  }
  return [...labs].sort();
}

/**
 * A read-only file descriptor on each namespace still there, which keeps it alive until closed; at
 * most as many as the limit on open files leaves room for (the programs `down` runs need pipes).
 */
function holdNamespaces(names: readonly string[]): number[] {
  const fds: number[] = [];
  for (const n of names.slice(0, holdableDescriptors(readLimits()))) {
    try {
      fds.push(openSync(`${NETNS_RUN_DIR}/${n}`, 'r'));
    } catch {
      /* gone already */
    }
  }
  return fds;
}

function readLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

/** How many namespaces `down` may hold open, from /proc/self/limits: the soft limit on open files less 256. */
export function holdableDescriptors(limits: string): number {
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  if (soft === undefined) return 512;
  return soft === 'unlimited' ? Infinity : Math.max(0, Number(soft) - 256);
}
