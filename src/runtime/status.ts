/**
 * What is live: labs on this host, and for one lab its nodes and pods with IPs and processes,
 * read from the state journal and checked against the kernel (namespace present, process alive).
 */
import { existsSync } from 'node:fs';
import { NETNS_RUN_DIR } from '../constants.ts';
import { labNamespacesOnHost, labsOnHost } from './down.ts';
import { isAlive } from './procs.ts';
import { startedAtIso } from '../lib/proc.ts';
import { isoSeconds } from '../lib/time.ts';
import { readState, type LabState } from './state.ts';
import { readLoops, type LoopsFile } from './loops-state.ts';
import { serviceKey } from '../plan/services.ts';
import { sliceEndpoints } from './endpoint-slices.ts';
import type { CalicoStatus } from './calico-status.ts';
import type { CalicoNode } from '../cni/calico/index.ts';
import type { PlanNode } from '../plan/plan.ts';

export interface LabStatus {
  lab: string;
  status: string;
  /** When `up` started building it (ISO time). */
  createdAt?: string;
  source?: string;
  cni?: string;
  namespaces: number;
  /**
   * `podCidrs`: the pod CIDRs the node's pods take their addresses from (a Calico node's first
   * blocks). `kubePodCidrs`: what its Node object's spec.podCIDRs say: the same, except in a Calico
   * lab, where they are kube-controller-manager's slices of podCidr, which Calico's IPAM ignores.
   */
  nodes: { name: string; role: string; ip: string; ips: string[]; podCidr: string; podCidrs: string[]; kubePodCidrs: string[]; netns: string; present: boolean }[];
  pods: {
    namespace: string;
    name: string;
    node: string;
    ip: string;
    /** status.podIPs: one address per family, primary first. */
    podIPs: string[];
    running: boolean;
    hostNetwork: boolean;
    /** metadata.labels: as planned, or as `podlab label` last set them. */
    labels: Record<string, string>;
    pause?: { pid: number; alive: boolean };
    containers: { name: string; pid: number; alive: boolean; restarts?: number; lastExitCode?: number; lastReason?: string; lastStartedAt?: string; lastFinishedAt?: string; state?: string; reason?: string; backoffMs?: number }[];
    /** With control loops: whether the agent holds the pod ready (in its Services' endpoints). */
    ready?: boolean;
    /** The Deployment that made it. */
    owner?: string;
    /** When it was created (ISO time to the second): its sandbox's start, so a pod made at run time is younger than the lab. */
    createdAt: string;
  }[];
  /** The lab's agent (control loops), when it has one. */
  agent?: { pid: number; alive: boolean; failedNodes: string[] };
  services: {
    namespace: string;
    name: string;
    type: string;
    clusterIP: string;
    /** One per family of the Service, primary first. */
    clusterIPs?: string[];
    loadBalancerIP?: string;
    /** A dual-stack LoadBalancer Service's addresses, one per family in its ipFamilies order. */
    loadBalancerIPs?: string[];
    externalName?: string;
    /** `80/TCP→http`, `80:30080/TCP→8080` */
    ports: string[];
    sessionAffinity: string;
    externalTrafficPolicy: string;
    internalTrafficPolicy: string;
    /** The Service's label selector (absent: none, endpoints are its own). */
    selector?: Record<string, string>;
    /**
     * What the kube-proxy tables are programmed with now, then the running pods the Service selects
     * that are not in them (`notProgrammed`: with control loops a pod that is not ready leaves the
     * tables, and its EndpointSlice keeps it, not ready; runtime/services.ts sliceEndpoints).
     * `ready`: as the EndpointSlice's condition says it, the pod is ready (or the Service publishes
     * not-ready addresses). Without control loops nothing takes a pod out of the tables: a dead
     * container's pod stays there, not ready.
     */
    endpoints: { pod: string; node: string; ip: string; ports: Record<string, number>; ready: boolean; notProgrammed?: true }[];
    /** When it was created (ISO time to the second): the lab's, or when `kubectl apply` made it. */
    createdAt: string;
  }[];
  /** `ips`: one address per family of the lab, primary first (`ip` is the first). */
  hosts: { name: string; network: string; ip: string; ips: string[] }[];
  /** The gateway's addresses; `loadBalancerIps` in both families, IPv4 first. */
  gateway?: { nodeIp: string; externalIp?: string; loadBalancerIps: string[] };
  /** Calico: the pool, blocks per node and BGP sessions, read live (added by `calicoStatus`). */
  calico?: CalicoStatus;
}

/** `state` and `loops`: the journal and the agent's file already read (the API server's view reads each once for everything it answers). */
export function labStatus(lab: string, state = readState(lab), loopsFile?: LoopsFile): LabStatus | undefined {
  const namespaces = labNamespacesOnHost(lab);
  if (!state)
    return namespaces.length ? { lab, status: 'orphaned (no state; run podlab down)', namespaces: namespaces.length, nodes: [], pods: [], services: [], hosts: [] } : undefined;
  const plan = state.plan;
  const loops = plan.loops ? (loopsFile ?? readLoops(lab)) : undefined;
  const pods: PodStatus[] = plan.pods.map((p) => {
    const ps = state.pods[p.name] as (typeof state.pods)[string] | undefined;
    const lp = loops?.pods[p.name];
    return {
      namespace: p.namespace,
      name: p.name,
      node: p.node,
      ip: ps?.ip ?? p.ip,
      // A pod re-created at run time has new addresses (one per family, recorded); its planned list no longer holds.
      podIPs: !ps?.ip || ps.ip === p.ip ? (p.ips ?? [p.ip]) : (ps.ips ?? [ps.ip]),
      /** False once `podlab pod delete` removed it. */
      running: !!ps,
      hostNetwork: p.hostNetwork,
      labels: p.labels,
      pause: ps?.pause && { pid: ps.pause.pid, alive: isAlive(ps.pause) },
      containers: Object.entries(ps?.containers ?? {}).map(([name, c]) => ({ name, pid: c.pid, alive: isAlive(c), ...(lp?.containers[name] ?? {}) })),
      ...(lp && ps ? { ready: lp.ready } : {}),
      ...(p.owner ? { owner: p.owner } : {}),
      // Its sandbox's start (a pod re-created or made by the agent is new), as the API's creationTimestamp; a pod without one is the lab's age.
      createdAt: (ps?.pause ? startedAtIso(ps.pause.startTime) : undefined) ?? isoSeconds(state.createdAt),
    };
  });
  // An endpoint's condition is its pod's, as podReady judges the statuses just built.
  const podByName = new Map(pods.map((p) => [p.name, p]));
  const isReady = (p: PodStatus | undefined) => !!p && podReady(p);
  const slices = sliceEndpoints(state);
  return {
    lab,
    status: state.status,
    createdAt: state.createdAt,
    source: plan.source,
    cni: plan.cni.type,
    namespaces: namespaces.length,
    nodes: plan.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip, ips: n.ips ?? [n.ip], podCidr: n.podCidr, podCidrs: n.podCidrs ?? [n.podCidr], kubePodCidrs: kubePodCidrs(n), netns: n.netns, present: existsSync(`${NETNS_RUN_DIR}/${n.netns}`) })),
    services: plan.services.map((sv) => ({
      namespace: sv.namespace,
      name: sv.name,
      type: sv.type,
      clusterIP: sv.headless ? 'None' : (sv.clusterIP ?? ''),
      ...(sv.clusterIPs && sv.clusterIPs.length > 1 ? { clusterIPs: sv.clusterIPs } : {}),
      ...(sv.loadBalancerIP ? { loadBalancerIP: sv.loadBalancerIP } : {}),
      ...(sv.loadBalancerIPs ? { loadBalancerIPs: sv.loadBalancerIPs } : {}),
      ...(sv.externalName ? { externalName: sv.externalName } : {}),
      ports: sv.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}→${p.targetPort}`),
      sessionAffinity: sv.sessionAffinity,
      externalTrafficPolicy: sv.externalTrafficPolicy,
      internalTrafficPolicy: sv.internalTrafficPolicy,
      ...(sv.selector ? { selector: sv.selector } : {}),
      // The endpoint's address in the Service's primary family (an IPv6 Service's EndpointSlice is IPv6).
      endpoints: slices[serviceKey(sv)]?.map((e) => ({ pod: e.pod, node: e.node, ip: (sv.ipFamilies?.[0] === 'IPv6' && e.ips?.find((a) => a.includes(':'))) || e.ip, ports: e.ports, ready: !!sv.publishNotReadyAddresses || isReady(podByName.get(e.pod)), ...(e.notProgrammed ? { notProgrammed: true as const } : {}) })) ?? [],
      createdAt: isoSeconds(sv.createdAt ?? state.createdAt),
    })),
    hosts: plan.hosts.map((h) => ({ name: h.name, network: h.network, ip: h.ip, ips: h.ips ?? [h.ip] })),
    ...(plan.gateway
      ? { gateway: { nodeIp: plan.gateway.nodeSide.ip, ...(plan.gateway.externalSide ? { externalIp: plan.gateway.externalSide.ip } : {}), loadBalancerIps: [...plan.gateway.loadBalancerIps, ...(plan.gateway.loadBalancerIps6 ?? [])] } }
      : {}),
    ...(state.agent ? { agent: { pid: state.agent.pid, alive: isAlive(state.agent), failedNodes: Object.keys(loops?.failedNodes ?? {}) } } : {}),
    pods,
  };
}

/**
 * A node's spec.podCIDRs as the Node object shows them: its pod CIDRs, except on a Calico node,
 * whose blocks are Calico's (BlockAffinities, `calicoctl ipam show`), not the Node's.
 */
function kubePodCidrs(n: PlanNode): string[] {
  if (n.cni.type !== 'calico') return n.podCidrs ?? [n.podCidr];
  return (n.cni as unknown as CalicoNode).kubePodCidrs ?? [];
}

type PodStatus = LabStatus['pods'][number];

/**
 * Whether a container is ready, as `status` shows its pod: its process runs and, with control
 * loops, the agent holds its pod ready (loops.json: every container running and passing its
 * readiness probe, on a node that has not failed). The agent records readiness per pod, so a pod
 * it holds not ready has none of its containers ready.
 */
export function containerReady(p: PodStatus, c: PodStatus['containers'][number]): boolean {
  return p.running && c.alive && p.ready !== false;
}

/** The container a pod of only a sandbox (podlab's client pods) shows for its pause process: in Kubernetes a pod has at least one. */
export const SANDBOX = 'sandbox';

/** A pod's containers as `get` and the lab's API server show them: its own, or its sandbox as the container SANDBOX. */
export function shownContainers(p: PodStatus): PodStatus['containers'] {
  return p.containers.length ? p.containers : [{ name: SANDBOX, pid: p.pause?.pid ?? 0, alive: p.running && (p.hostNetwork || !!p.pause?.alive) }];
}

/** A container's last exit as a containerStatus's `lastState`, when the control loops recorded one. */
export function lastStateOf(c: PodStatus['containers'][number]): { lastState?: { terminated: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string } } } {
  return c.lastExitCode !== undefined
    ? { lastState: { terminated: { exitCode: c.lastExitCode, ...(c.lastReason ? { reason: c.lastReason } : {}), ...(c.lastStartedAt ? { startedAt: c.lastStartedAt } : {}), ...(c.lastFinishedAt ? { finishedAt: c.lastFinishedAt } : {}) } } }
    : {};
}

/** A container's state (containerStatuses[].state) when it does not run. */
export type StoppedState = { waiting: { reason: string; message?: string } } | { terminated: { exitCode: number; reason: string; startedAt?: string; finishedAt?: string } };

/**
 * The state of a container of pod `p` that does not run, as the kubelet reports it: waiting in
 * CrashLoopBackOff while the control loops hold its restart back (`back-off 10s restarting failed
 * container=web pod=web-1_default`), ContainerCreating before its process was first started, and
 * else terminated with the exit the loops recorded (`Error`, `Completed`: just exited, or not
 * restarted by its restartPolicy); where no exit is known (no control loops, so no shim to tell
 * it), 137 `Error`. kubectl's STATUS column is read from it (k8s/printers.ts podStatusColumn).
 */
export function stoppedStateOf(p: Pick<PodStatus, 'name' | 'namespace'>, c: PodStatus['containers'][number] | undefined, name: string): StoppedState {
  if (!c) return { waiting: { reason: 'ContainerCreating' } };
  if (c.state === 'waiting' && c.reason === 'CrashLoopBackOff')
    return { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(c.backoffMs ?? 0)} restarting failed container=${name} pod=${p.name}_${p.namespace}` } };
  const exitCode = c.lastExitCode ?? 137;
  return { terminated: { exitCode, reason: c.lastReason ?? (exitCode === 0 ? 'Completed' : 'Error'), ...(c.lastStartedAt ? { startedAt: c.lastStartedAt } : {}), ...(c.lastFinishedAt ? { finishedAt: c.lastFinishedAt } : {}) } };
}

/** A duration as Go's time.Duration prints it (the kubelet's back-off message): 500ms, 10s, 2m40s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${Number(((ms % 60_000) / 1000).toFixed(3))}s`;
  return h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s;
}

/** Whether the pod is ready: what the agent recorded; without control loops, its sandbox and every container running. */
export function podReady(p: PodStatus): boolean {
  if (!p.running) return false;
  return p.ready ?? ((p.hostNetwork || !!p.pause?.alive) && p.containers.every((c) => c.alive));
}

/** Whether the agent holds the node failed (`podlab node fail`: its link down, its kubelet stopped), as `status` lists it. */
export function nodeFailed(s: Pick<LabStatus, 'agent'>, node: string): boolean {
  return !!s.agent?.failedNodes.includes(node);
}

/** Labs on this host with their status; `prefix` (the lab-name prefix) keeps only the labs whose names start with it. */
export function allStatus(prefix = ''): LabStatus[] {
  return labsOnHost()
    .filter((lab) => lab.startsWith(prefix))
    .map((lab) => labStatus(lab))
    .filter((s): s is LabStatus => !!s);
}
