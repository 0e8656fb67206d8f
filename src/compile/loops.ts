/**
 * The control loops' part of normalize: a container's restart policy and probes with their
 * defaults, the lab's `loops` timings, and each Deployment resolved and expanded into its pods —
 * named and placed by the same pure core (src/loops/) the agent uses for replacements, so the
 * pods `up` starts are the ones the ReplicaSet loop would have made.
 */
import { nodeLabels } from '../k8s/manifests.ts';
import { KUBELET_BACKOFF, type BackoffSettings, type RestartPolicy } from '../loops/backoff.ts';
import { PROBE_DEFAULTS, type ProbeSettings } from '../loops/probe.ts';
import { reconcile, templateHash } from '../loops/replicaset.ts';
import { toleratesControlPlane, type SchedNode, type SchedRequest } from '../loops/scheduler.ts';
import type { ContainerSpec, LabSpec } from '../schema/lab-schema.ts';

export type LabProbeAction = { kind: 'exec'; command: string[] } | { kind: 'tcpSocket'; port: number | string } | { kind: 'httpGet'; port: number | string; path: string };

export interface LabProbe {
  action: LabProbeAction;
  /** How many of exec, tcpSocket and httpGet the author gave (a rule wants exactly one). */
  handlers: number;
  settings: ProbeSettings;
}

export interface ContainerLoops {
  restartPolicy: RestartPolicy;
  readinessProbe?: LabProbe;
  livenessProbe?: LabProbe;
}

export interface LoopSettings {
  backoff: BackoffSettings;
  nodeGraceMs: number;
  tickMs: number;
}

export const LOOP_DEFAULTS = { nodeGraceMs: 40_000, tickMs: 200 } as const;

export interface LabDeployment<C = unknown> {
  name: string;
  namespace: string;
  /** As written (a rule rejects < 0; the expansion makes none then). */
  replicas: number;
  selector: Record<string, string>;
  /** The pod-template-hash: the middle of every pod name. */
  hash: string;
  placement: SchedRequest;
  labels: Record<string, string>;
  containers: C[];
  /** The pods made at `up`, in order. */
  pods: string[];
  /** Replicas no node could take (Pending). */
  pending: number;
}

type ProbeSpec = NonNullable<ContainerSpec['readinessProbe']>;

function normalizeProbe(p: ProbeSpec | undefined): LabProbe | undefined {
  if (!p) return undefined;
  const action: LabProbeAction = p.exec
    ? { kind: 'exec', command: p.exec.command }
    : p.tcpSocket
      ? { kind: 'tcpSocket', port: p.tcpSocket.port }
      : p.httpGet
        ? { kind: 'httpGet', port: p.httpGet.port, path: p.httpGet.path ?? '/' }
        : { kind: 'exec', command: [] };
  return {
    action,
    handlers: [p.exec, p.tcpSocket, p.httpGet].filter(Boolean).length,
    settings: {
      initialDelaySeconds: p.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds,
      periodSeconds: p.periodSeconds ?? PROBE_DEFAULTS.periodSeconds,
      timeoutSeconds: p.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds,
      successThreshold: p.successThreshold ?? PROBE_DEFAULTS.successThreshold,
      failureThreshold: p.failureThreshold ?? PROBE_DEFAULTS.failureThreshold,
    },
  };
}

export function containerLoops(c: ContainerSpec): ContainerLoops {
  const readinessProbe = normalizeProbe(c.readinessProbe);
  const livenessProbe = normalizeProbe(c.livenessProbe);
  return { restartPolicy: c.restartPolicy ?? 'Always', ...(readinessProbe ? { readinessProbe } : {}), ...(livenessProbe ? { livenessProbe } : {}) };
}

/** The lab's loop timings, or undefined when the lab uses no control loop (no agent runs then). */
export function loopSettings(spec: LabSpec): LoopSettings | undefined {
  const containers = [...Object.values(spec.pods ?? {}).flatMap((p) => p.containers ?? [])];
  const uses = spec.loops || Object.keys(spec.deployments ?? {}).length || containers.some((c) => c.restartPolicy || c.readinessProbe || c.livenessProbe);
  if (!uses) return undefined;
  const l = spec.loops ?? {};
  return {
    backoff: { initialMs: l.backoffMs ?? KUBELET_BACKOFF.initialMs, maxMs: l.maxBackoffMs ?? KUBELET_BACKOFF.maxMs, resetAfterMs: l.resetAfterMs ?? KUBELET_BACKOFF.resetAfterMs },
    nodeGraceMs: l.nodeGraceMs ?? LOOP_DEFAULTS.nodeGraceMs,
    tickMs: l.tickMs ?? LOOP_DEFAULTS.tickMs,
  };
}

/** The lab's nodes as the scheduler sees them (the labels the kubelet and kubeadm set). */
export function schedNodes(spec: LabSpec): SchedNode[] {
  return Object.entries(spec.nodes).map(([name, n]) => ({ name, labels: nodeLabels({ name, role: n.role ?? 'worker' }) }));
}

/**
 * Each Deployment resolved, and its pods as pod specs: placed in declaration order, spreading
 * over the nodes around the lab's own pods.
 */
export function expandDeployments<C>(spec: LabSpec, container: (c: ContainerSpec) => C): { deployments: LabDeployment<C>[]; pods: { name: string; node: string; namespace: string; labels: Record<string, string>; owner: string; containers: C[] }[] } {
  const nodes = schedNodes(spec);
  const placed = Object.values(spec.pods ?? {}).map((p) => ({ node: p.node }));
  const deployments: LabDeployment<C>[] = [];
  const pods: ReturnType<typeof expandDeployments<C>>['pods'] = [];
  for (const [name, d] of Object.entries(spec.deployments ?? {})) {
    const namespace = d.namespace ?? 'default';
    const labels = d.template.labels;
    const placement: SchedRequest = {
      ...(d.template.nodeName !== undefined ? { nodeName: d.template.nodeName } : {}),
      ...(d.template.nodeSelector ? { nodeSelector: d.template.nodeSelector } : {}),
      ...(toleratesControlPlane(d.template.tolerations) ? { tolerateControlPlane: true as const } : {}),
    };
    const containers = d.template.containers.map(container);
    const hash = templateHash({ namespace, labels, placement, containers });
    const replicas = d.replicas ?? 1;
    const round = reconcile({ name, namespace, replicas: Math.max(0, replicas), hash, placement }, [], nodes, placed, 0);
    const made = round.create.map((c) => ({ name: c.name, node: c.node, namespace, labels: { ...labels, 'pod-template-hash': hash }, owner: name, containers }));
    for (const m of made) placed.push({ node: m.node });
    pods.push(...made);
    deployments.push({ name, namespace, replicas, selector: d.selector?.matchLabels ?? labels, hash, placement, labels, containers, pods: made.map((m) => m.name), pending: round.pending });
  }
  return { deployments, pods };
}
