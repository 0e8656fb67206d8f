/**
 * The leak doctor: finds what podlab left on this host and which lab it belonged to, and removes
 * it on request. It looks only where podlab puts things and only at names podlab makes:
 *   - network namespaces `podlab-<lab>.…` (an `up`'s kernel probe's is `podlab-<lab>.probe`, so
 *     a killed `up` leaves it to its lab; a probe made for no lab is `podlab-probe.<pid>`),
 *   - `<STATE_ROOT>/<lab>.lock`, the lab's lock, left by an `up` that was killed (lock.ts),
 *   - processes whose network namespace is one of those (by namespace inode, never by name),
 *     and processes a lab's state records (by pid *and* start time),
 *   - processes running as a uid of podlab's pools (a container's or a sandbox's) that no live
 *     process holds any more: a program that outlived its container and its namespaces (by uid
 *     and lock file, never by name),
 *   - /etc/netns/podlab-<lab>.… entries,
 *   - state directories /run/podlab/<lab> (each a tmpfs mount `podlab-<lab>`), with their
 *     host-local IPAM directories, and
 *     host-local's default directory /var/lib/cni/networks/podlab-<lab>.
 *
 * What is not a leak: a lab that is up (its state says so, and its namespaces exist), with every
 * process in its namespaces (containers, their children, `podlab exec` sessions, running checks);
 * and a lab being built right now (state 'creating' while the `up` process that owns it lives).
 * An up lab's own leftovers are reported one by one: namespaces or /etc/netns entries with its
 * prefix that its plan does not name. Anything else of a lab — interrupted, failed, state gone,
 * namespaces gone — is a leak as a whole, and `fix` removes it with `down`.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { ETC_NETNS_DIR, NETNS_PREFIX, PODLAB_UIDS, STATE_ROOT } from '../constants.ts';
import { endUids, heldByLive, processesByUid } from '../lib/uids.ts';
import { cgroupHost, cgroupPids, existingCgroup, labCgroupName, podlabCgroups, removeCgroup, sweepEvalCgroups, unheldEvalCgroups } from '../lib/cgroups.ts';
import { labNetnsPrefix, labOfNetns } from '../plan/names.ts';
import { labNamespaces } from '../render/render.ts';
import { down, listNetns } from './down.ts';
import { realExecutor, type Executor } from './exec.ts';
import { isAlive, killAllOfUid, pidsInNetns, recordOf, stopProcesses } from './procs.ts';
import { readState, stateDir, type LabState, type ProcessRecord } from './state.ts';
import { mountsAt, stateSource } from './statefs.ts';
import { liveLockHolder, LOCK_SUFFIX, lockPath, removeStaleLock, staleLock } from './lock.ts';

/** host-local's default data directory; podlab sets its own under the state directory, but a plugin run without it would write here. */
export const CNI_NETWORKS_DIR = '/var/lib/cni/networks';

export type LeakKind = 'netns' | 'process' | 'etc-netns' | 'state' | 'mount' | 'ipam' | 'probe-netns' | 'lock' | 'cgroup';

export interface Leak {
  kind: LeakKind;
  /** The lab it belonged to; undefined for a kernel probe's namespace. */
  lab?: string;
  /** Namespace name, path, or pid. */
  name: string;
  /** For processes: the command and the namespace it lives in. */
  detail?: string;
}

export interface LabFinding {
  lab: string;
  /**
   * healthy: up, nothing stray. strays: up, but with leftovers its plan does not name.
   * busy: being built by a live `up`. leaked: the whole lab is a leftover.
   */
  verdict: 'healthy' | 'strays' | 'busy' | 'leaked';
  /** Why, in words: "state says 'creating' but its up process 4242 is gone". */
  reason: string;
  leaks: Leak[];
  /** Things worth knowing that are not leaks (a namespace of an up lab is missing). */
  notes: string[];
}

export interface DoctorReport {
  labs: LabFinding[];
  /** Kernel-probe namespaces whose process is gone. */
  probes: Leak[];
  /** Processes running as a pool uid no live process holds (strayUidProcesses). */
  strays?: Leak[];
  /** Every leak, of every lab and probe. */
  leaks: Leak[];
}

export interface DoctorOptions {
  /** Look at this lab only (probe namespaces are then left out). */
  lab?: string;
}

const PROBE_NETNS = new RegExp(`^${NETNS_PREFIX}probe\\.(\\d+)$`);

function readDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function pidAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Every namespace name the plan mentions: its own list, plus any other string with the lab's prefix (so kinds added later count too). */
function plannedNamespaces(state: LabState): Set<string> {
  const prefix = labNetnsPrefix(state.lab);
  const out = new Set<string>();
  for (const n of plannedList(state)) out.add(n);
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.startsWith(prefix)) out.add(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(state.plan);
  return out;
}

function plannedList(state: LabState): string[] {
  try {
    return labNamespaces(state.plan);
  } catch {
    return [];
  }
}

function recordedProcesses(state: LabState | undefined): ProcessRecord[] {
  if (!state) return [];
  return [...Object.values(state.nodeSandboxes ?? {}), ...Object.values(state.pods ?? {}).flatMap((p) => [...(p.pause ? [p.pause] : []), ...Object.values(p.containers ?? {})])];
}

function processLeaks(lab: string, namespaces: string[], recorded: ProcessRecord[]): Leak[] {
  const seen = new Map<number, Leak>();
  for (const { pid, netns } of pidsInNetns(namespaces)) if (pid !== process.pid) seen.set(pid, { kind: 'process', lab, name: String(pid), detail: `${comm(pid)} in ${netns}` });
  for (const r of recorded) if (!seen.has(r.pid) && r.pid !== process.pid && isAlive(r)) seen.set(r.pid, { kind: 'process', lab, name: String(r.pid), detail: `${comm(r.pid)}, recorded in the lab's state` });
  return [...seen.values()].sort((a, b) => Number(a.name) - Number(b.name));
}

/** Why a lab that is not up is a leftover. */
function leakReason(lab: string, state: LabState | undefined, hasStateDir: boolean): string {
  if (!state) return hasStateDir ? `${stateDir(lab)} has no readable state.json` : `left without state: ${stateDir(lab)} is gone`;
  if (state.status === 'creating')
    return state.owner ? `its state says 'creating', but the up process that was building it (pid ${state.owner.pid}) is gone` : "its state says 'creating' and names no up process that is still building it";
  if (state.status === 'up') return "its state says 'up', but none of its namespaces exists";
  return `its state says '${state.status}'`;
}

function diagnoseLab(lab: string, netnsOnHost: string[], etcOnHost: string[]): LabFinding {
  const prefix = labNetnsPrefix(lab);
  const namespaces = netnsOnHost.filter((n) => n.startsWith(prefix)).sort();
  const etc = etcOnHost.filter((n) => n.startsWith(prefix)).sort();
  const dir = stateDir(lab);
  const hasStateDir = existsSync(dir);
  const state = readState(lab);
  const finding: LabFinding = { lab, verdict: 'healthy', reason: '', leaks: [], notes: [] };

  // A live `up` holds the lab's lock from before its first namespace (the kernel probe's) until it is done.
  const builder = liveLockHolder(lab);
  if (builder && builder.pid !== process.pid) return { ...finding, verdict: 'busy', reason: `being built by up (pid ${builder.pid})` };
  if (state?.status === 'creating' && state.owner && isAlive(state.owner)) {
    return { ...finding, verdict: 'busy', reason: `being built by up (pid ${state.owner.pid})` };
  }
  // The lock of an `up` that was killed: never taken over by another `up`, removed by down (or --fix).
  const lock: Leak[] = staleLock(lab) ? [{ kind: 'lock', lab, name: lockPath(lab), detail: 'left by an up that was killed' }] : [];
  if (state?.status === 'up' && namespaces.length) {
    const planned = plannedNamespaces(state);
    const strayNs = namespaces.filter((n) => !planned.has(n));
    const strayEtc = etc.filter((n) => !planned.has(n));
    const missing = plannedList(state).filter((n) => !namespaces.includes(n));
    if (missing.length) finding.notes.push(`up, but ${missing.length} of its namespaces ${missing.length === 1 ? 'is' : 'are'} missing (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); podlab down ${lab} removes the rest`);
    finding.leaks.push(
      ...strayNs.map((n): Leak => ({ kind: 'netns', lab, name: n })),
      ...processLeaks(lab, strayNs, []),
      ...strayEtc.map((n): Leak => ({ kind: 'etc-netns', lab, name: `${ETC_NETNS_DIR}/${n}` })),
      ...lock,
    );
    if (finding.leaks.length) return { ...finding, verdict: 'strays', reason: 'up, but with namespaces its plan does not name (or the lock of a killed up)' };
    return { ...finding, reason: 'up' };
  }

  finding.verdict = 'leaked';
  finding.reason = leakReason(lab, state, hasStateDir);
  finding.leaks.push(
    ...namespaces.map((n): Leak => ({ kind: 'netns', lab, name: n })),
    ...processLeaks(lab, namespaces, recordedProcesses(state)),
    ...etc.map((n): Leak => ({ kind: 'etc-netns', lab, name: `${ETC_NETNS_DIR}/${n}` })),
    ...(hasStateDir ? [{ kind: 'state', lab, name: dir } as Leak] : []),
    ...(mountsAt(dir) ? [{ kind: 'mount', lab, name: dir, detail: `tmpfs ${stateSource(lab)}` } as Leak] : []),
    ...readDir(`${dir}/ipam`).map((n): Leak => ({ kind: 'ipam', lab, name: `${dir}/ipam/${n}` })),
    ...(existsSync(`${CNI_NETWORKS_DIR}/podlab-${lab}`) ? [{ kind: 'ipam', lab, name: `${CNI_NETWORKS_DIR}/podlab-${lab}` } as Leak] : []),
    ...existingCgroup(labCgroupName(lab)).map((d): Leak => ({ kind: 'cgroup', lab, name: d, detail: `${cgroupPids([d]).length} processes in it` })),
    ...lock,
  );
  return finding;
}

/** Looks at the host; changes nothing. */
export function diagnose(options: DoctorOptions = {}): DoctorReport {
  const netnsOnHost = listNetns();
  const etcOnHost = readDir(ETC_NETNS_DIR).filter((n) => n.startsWith(NETNS_PREFIX));

  const probes: Leak[] = [];
  const labs = new Set<string>();
  for (const n of [...netnsOnHost, ...etcOnHost]) {
    const probe = PROBE_NETNS.exec(n);
    if (probe) {
      if (!options.lab && netnsOnHost.includes(n) && !pidAlive(Number(probe[1]))) probes.push({ kind: 'probe-netns', name: n, detail: `kernel probe of pid ${probe[1]}, which is gone` });
      continue;
    }
    const lab = labOfNetns(n);
    if (lab) labs.add(lab);
  }
  for (const d of readDir(STATE_ROOT)) {
    // State directories, and `<lab>.lock` files; lab names hold no '.', so nothing else there is a lab.
    const lab = d.endsWith(LOCK_SUFFIX) ? d.slice(0, -LOCK_SUFFIX.length) : d;
    if (!lab.includes('.')) labs.add(lab);
  }
  if (existsSync(CNI_NETWORKS_DIR)) for (const d of readDir(CNI_NETWORKS_DIR)) if (d.startsWith(NETNS_PREFIX)) labs.add(d.slice(NETNS_PREFIX.length));
  // A graded lab's cgroup (lib/cgroups.ts), which down removes with the rest of the lab.
  const cgroups = cgroupNames();
  for (const n of cgroups) if (n.startsWith(LAB_CGROUP)) labs.add(n.slice(LAB_CGROUP.length));

  const findings = [...labs]
    .filter((l) => !options.lab || l === options.lab)
    .sort()
    .map((l) => diagnoseLab(l, netnsOnHost, etcOnHost));
  for (const p of probes.filter((x) => x.kind === 'probe-netns')) {
    const procs = pidsInNetns([p.name]).filter((x) => x.pid !== process.pid);
    probes.push(...procs.map(({ pid, netns }): Leak => ({ kind: 'process', name: String(pid), detail: `${comm(pid)} in ${netns}` })));
  }
  const strays = options.lab ? [] : [...strayUidProcesses(), ...strayEvalCgroups()];
  return { labs: findings, probes, strays, leaks: [...findings.flatMap((f) => f.leaks), ...probes, ...strays] };
}

/**
 * Processes running as a uid of podlab's pools (PODLAB_UIDS) whose uid's lock file is gone or
 * names a holder that has ended: a container's program that outlived its container (the pod and
 * its namespaces gone, so no lab's namespace holds it). A live container, sandbox or evaluation
 * holds its uid, so it is never one. By uid and lock file only; `/proc` read once.
 */
export function strayUidProcesses(): Leak[] {
  return strays().map(({ pid, uid }) => ({ kind: 'process', name: String(pid), detail: `${comm(pid)} as uid ${uid}, which no live podlab process holds (its container is gone)` }));
}

const LAB_CGROUP = labCgroupName('');

/** The names of podlab's cgroups on this host (none where it has none it can use). */
function cgroupNames(): string[] {
  const host = cgroupHost();
  return 'missing' in host ? [] : podlabCgroups(host);
}

/**
 * An evaluation sandbox's cgroup whose uid no live podlab process holds and that a process is still
 * in. An empty one is no leak: a CLI that exited before its early-started evaluation ended leaves
 * one, and the next evaluation (or --fix) removes it (sweepEvalCgroups).
 */
function strayEvalCgroups(): Leak[] {
  return unheldEvalCgroups(heldByLive).flatMap(({ uid, dirs, pids }) =>
    pids.length ? dirs.map((d): Leak => ({ kind: 'cgroup', name: d, detail: `an evaluation sandbox's, whose uid ${uid} no live podlab process holds (${pids.length} processes in it)` })) : [],
  );
}

/** strayUidProcesses' processes, each with its uid. */
function strays(): { pid: number; uid: number }[] {
  const inPool = (uid: number) => Object.values(PODLAB_UIDS).some((r) => uid >= r.first && uid < r.first + r.count);
  const out: { pid: number; uid: number }[] = [];
  for (const [uid, pids] of processesByUid()) {
    if (!inPool(uid)) continue;
    if (heldByLive(uid)) continue;
    for (const pid of pids) out.push({ pid, uid });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

export interface FixReport {
  /** Labs removed as a whole with `down`. */
  labsDown: string[];
  /** Stray namespaces (of up labs, and probes) deleted one by one. */
  namespacesDeleted: string[];
  /** Stray processes of pool uids, stopped by pid. */
  processesStopped?: number[];
  /** Stray evaluation cgroups removed (their processes stopped by pid first). */
  cgroupsRemoved?: string[];
  errors: string[];
}

async function removeNamespaces(names: string[], ex: Executor, out: FixReport): Promise<void> {
  if (!names.length) return;
  await stopProcesses(ex, pidsInNetns(names).filter((p) => p.pid !== process.pid).map((p) => recordOf(p.pid)));
  for (const n of names) {
    const r = await ex.run(['ip', 'netns', 'del', n]);
    if (r.exitCode === 0 || !listNetns().includes(n)) out.namespacesDeleted.push(n);
    else out.errors.push(`ip netns del ${n}: ${r.stderr.trim()}`);
  }
}

/**
 * Removes what `diagnose` found. Each lab is looked at again right before, so a lab that came up
 * (or whose `up` started) meanwhile is left alone. Leaked labs go with `down`; an up lab loses
 * only its strays; probe namespaces are deleted. Nothing that `diagnose` does not name is touched.
 */
export async function fix(report: DoctorReport, ex: Executor = realExecutor): Promise<FixReport> {
  const out: FixReport = { labsDown: [], namespacesDeleted: [], errors: [] };
  for (const before of report.labs) {
    if (before.verdict === 'healthy' || before.verdict === 'busy') continue;
    const now = diagnose({ lab: before.lab }).labs.find((f) => f.lab === before.lab);
    if (!now || now.verdict !== before.verdict) continue;
    try {
      if (now.verdict === 'leaked') {
        await down(now.lab, ex);
        rmSync(`${CNI_NETWORKS_DIR}/podlab-${now.lab}`, { recursive: true, force: true });
        out.labsDown.push(now.lab);
      } else {
        await removeNamespaces(now.leaks.filter((l) => l.kind === 'netns').map((l) => l.name), ex, out);
        for (const l of now.leaks.filter((x) => x.kind === 'etc-netns')) rmSync(l.name, { recursive: true, force: true });
        if (now.leaks.some((x) => x.kind === 'lock')) removeStaleLock(now.lab);
      }
    } catch (e) {
      out.errors.push(`${now.lab}: ${(e as Error).message}`);
    }
  }
  const probes = report.probes.filter((p) => p.kind === 'probe-netns').map((p) => p.name);
  const stillDead = probes.filter((n) => !pidAlive(Number(PROBE_NETNS.exec(n)![1])));
  await removeNamespaces(stillDead, ex, out);
  // Strays looked at again: only a process that is one now (the same pid, still unheld) is stopped.
  const named = new Set((report.strays ?? []).map((l) => l.name));
  const now = strays().filter((p) => named.has(String(p.pid)));
  if (now.length) {
    // By pid, and whatever else runs as their uids (a chain of forks outlives a kill by pid): by uid, as `down` does.
    await stopProcesses(ex, now.map((p) => recordOf(p.pid)));
    await endUids([...new Set(now.map((p) => p.uid))], killAllOfUid(ex));
    out.processesStopped = now.map((p) => p.pid);
  }
  // Stray evaluation cgroups looked at again: only one still unheld is emptied (by pid) and removed.
  const cgroupsNamed = new Set((report.strays ?? []).filter((l) => l.kind === 'cgroup').map((l) => l.name));
  const stale = strayEvalCgroups().filter((l) => cgroupsNamed.has(l.name)).map((l) => l.name);
  if (stale.length) {
    await stopProcesses(ex, cgroupPids(stale).filter((p) => p !== process.pid).map((p) => recordOf(p)));
    const left = await removeCgroup(stale);
    out.cgroupsRemoved = stale.filter((d) => !left.includes(d));
    for (const d of left) out.errors.push(`cgroup ${d}: a process is still in it`);
  }
  sweepEvalCgroups(heldByLive);
  return out;
}
