/**
 * The state journal of a live lab, /run/podlab/<lab>/state.json: the plan it was built from, each
 * step written *before* it runs, and the processes started (pid + start time, so a recycled pid is
 * never mistaken for ours). `down` reads it when present and works without it when not.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { STATE_ROOT } from '../constants.ts';
import type { Plan } from '../plan/plan.ts';
import type { Endpoint } from '../plan/services.ts';
import type { NetworkPolicy } from '../policy/types.ts';

export interface ProcessRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTime: number;
}

export interface PodState {
  pause?: ProcessRecord;
  /** The CNI ADD result of the bridge plugin (interfaces, IPs, routes). */
  cniResult?: unknown;
  ip?: string;
  /** A dual-stack pod re-created at run time: its addresses now, one per family, primary first (its planned `ips` otherwise). */
  ips?: string[];
  containers: Record<string, ProcessRecord & { argv: string[]; log: string; /** the uid it runs as (src/runtime/container.ts) */ uid?: number }>;
}

export interface LabState {
  lab: string;
  status: 'creating' | 'up' | 'failed' | 'deleting';
  createdAt: string;
  steps: { step: string; at: string }[];
  plan: Plan;
  pods: Record<string, PodState>;
  /** Endpoints the kube-proxy tables were last programmed with (serviceKey → endpoints). */
  endpoints?: Record<string, Endpoint[]>;
  /** NetworkPolicies in force once a scenario applied or deleted one (absent: the plan's). */
  policies?: NetworkPolicy[];
  /** Per node, the host number the next re-created pod gets in the node's pod CIDR (so it gets a new IP). */
  nextPodHost?: Record<string, number>;
  /** The `up` process that builds the lab: while it lives, a 'creating' lab is being built, not leaked. */
  owner?: ProcessRecord;
  /** The lab's mount template (a pause process in the fabric namespace): pods' mount namespaces start as copies of its. */
  mountTemplate?: ProcessRecord;
  /** Each node's sandbox (a pause process holding its hostname and /etc/hosts), by node name. */
  nodeSandboxes?: Record<string, ProcessRecord>;
  /** The CNI mode's daemons in the nodes (e.g. BIRD), by `<node>/<name>`. */
  daemons?: Record<string, ProcessRecord & { argv: string[]; log: string; /** The unprivileged uid it runs as (BIRD after -u). */ uid?: number }>;
  /** The lab's agent (runtime/agent.ts), when the lab runs control loops: `down` stops it first. */
  agent?: ProcessRecord & { log: string };
  /** The lab's Kubernetes API server (src/api/; its port in api/port once it listens), once the first `podlab kubeconfig` started it. */
  api?: ProcessRecord;
  /** `up --no-api`: `podlab kubeconfig` starts no API server for this lab. */
  noApi?: boolean;
  /** The lab's cgroup (one directory per hierarchy), which its containers join: a graded lab's (lib/cgroups.ts, GRADED_LAB_LIMITS). */
  cgroup?: string[];
}

export const stateDir = (lab: string) => `${STATE_ROOT}/${lab}`;

/**
 * A container's log, as kubelet keeps one per container instance: `logs/<namespace>_<pod>_<container>.log`
 * for the running instance, and beside it the last instance's before the container was restarted in
 * the same pod (`kubectl logs --previous`). A pod created anew starts with neither.
 */
export const containerLogOf = (lab: string, pod: { namespace: string; name: string }, container: string) => `${stateDir(lab)}/logs/${pod.namespace}_${pod.name}_${container}.log`;
export const previousLogOf = (log: string) => `${log.replace(/\.log$/, '')}.previous.log`;
const statePath = (lab: string) => `${stateDir(lab)}/state.json`;

export function readState(lab: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(lab), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Each plan's JSON, indented as inside the state: cached until the plan is replaced, or `planChanged` says it was changed in place. */
const planJson = new WeakMap<Plan, string>();

/** The plan was changed in place (Calico's run-time IPAM, a pool's natOutgoing): the next write serializes it again. */
export function planChanged(state: LabState): void {
  planJson.delete(state.plan);
}

/**
 * The journal's text: `JSON.stringify(state, null, 2)`, with the plan serialized once per plan
 * rather than on every write (it is most of the journal: 1000 pods' worth).
 */
export function stateJson(state: LabState): string {
  let plan = planJson.get(state.plan);
  if (plan === undefined) {
    plan = JSON.stringify(state.plan, null, 2).replaceAll('\n', '\n  ');
    planJson.set(state.plan, plan);
  }
  const marker = '"plan": 0';
  const text = JSON.stringify({ ...state, plan: 0 }, null, 2);
  const at = text.indexOf(marker);
  return `${text.slice(0, at)}"plan": ${plan}${text.slice(at + marker.length)}\n`;
}

/** Atomic write: a crash never leaves a half-written journal. */
export function writeState(state: LabState): void {
  mkdirSync(stateDir(state.lab), { recursive: true });
  const tmp = `${statePath(state.lab)}.tmp`;
  writeFileSync(tmp, stateJson(state));
  renameSync(tmp, statePath(state.lab));
}

/**
 * For phases that change the state once per pod: writes at most every `ms` and on flush(). Each
 * write serializes the whole plan, so writing after every pod costs O(pods²) (seconds at 1000
 * pods); and the interval grows with the write's own cost (at least 20 times it), so a large lab
 * spends at most about 5% of its time rewriting its journal. Safe for teardown: `down` finds a
 * lab's processes by namespace, not only by record.
 */
export function coalescedWriter(state: LabState, ms = 100): { save: () => void; flush: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let interval = ms;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const t = performance.now();
    writeState(state);
    interval = Math.max(ms, 20 * (performance.now() - t));
  };
  return {
    save: () => {
      timer ??= setTimeout(flush, interval).unref();
    },
    flush,
  };
}

export function journal(state: LabState, step: string): void {
  state.steps.push({ step, at: new Date().toISOString() });
  writeState(state);
}
