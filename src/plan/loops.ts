/**
 * The control loops as planned: each container's restart policy and probes with their ports
 * resolved to numbers, and the lab's Deployments with a pod template the agent copies for
 * replacements. Pure; read by the agent (runtime/agent.ts) and `status`.
 */
import type { LabContainer, Lab } from '../compile/lab.ts';
import type { LabProbe, LoopSettings } from '../compile/loops.ts';
import type { RestartPolicy } from '../loops/backoff.ts';
import type { ProbeSettings } from '../loops/probe.ts';
import type { DeploymentStrategy } from '../loops/rollout.ts';
import type { SchedNode, SchedRequest } from '../loops/scheduler.ts';
import { nodeLabels } from '../k8s/manifests.ts';

export type PlanProbeAction = { kind: 'exec'; command: string[] } | { kind: 'tcpSocket'; port: number } | { kind: 'httpGet'; port: number; path: string };
export interface PlanProbe {
  action: PlanProbeAction;
  settings: ProbeSettings;
}

/** The fields a container gets in the plan; each absent when Kubernetes' default (Always, no probe). */
export interface PlanContainerLoops {
  restartPolicy?: Exclude<RestartPolicy, 'Always'>;
  readinessProbe?: PlanProbe;
  livenessProbe?: PlanProbe;
}

/** `P` is the plan's pod type (plan.ts passes PlanPod; a type parameter keeps this module below plan.ts). */
export interface PlanDeployment<P> {
  name: string;
  namespace: string;
  replicas: number;
  hash: string;
  placement: SchedRequest;
  /** How a new template replaces the pods (`spec.strategy` of a Deployment written through the API). @default RollingUpdate, maxSurge and maxUnavailable 25 % */
  strategy?: DeploymentStrategy;
  /** The pods it owns (`spec.selector.matchLabels` of a Deployment written through the API, immutable there). @default the template's labels */
  selector?: Record<string, string>;
  /** `spec.template` as written through the API, served back as is (so kubectl edit, patch and set change what was written). */
  written?: Record<string, unknown>;
  /** A pod of the Deployment as planned (named after the first pod), copied for every replacement. */
  template?: P;
}

export interface PlanLoops<P> {
  settings: LoopSettings;
  deployments: PlanDeployment<P>[];
  /** The nodes with their labels, as the scheduler sees them. */
  nodes: SchedNode[];
}

function planProbe(p: LabProbe, c: LabContainer): PlanProbe {
  const a = p.action;
  const port = (ref: number | string) => (typeof ref === 'number' ? ref : (c.ports.find((q) => q.name === ref)?.containerPort ?? 0));
  const action: PlanProbeAction = a.kind === 'exec' ? a : a.kind === 'tcpSocket' ? { kind: 'tcpSocket', port: port(a.port) } : { kind: 'httpGet', port: port(a.port), path: a.path };
  return { action, settings: p.settings };
}

export function planContainerLoops(c: LabContainer): PlanContainerLoops {
  return {
    ...(c.restartPolicy !== 'Always' ? { restartPolicy: c.restartPolicy } : {}),
    ...(c.readinessProbe ? { readinessProbe: planProbe(c.readinessProbe, c) } : {}),
    ...(c.livenessProbe ? { livenessProbe: planProbe(c.livenessProbe, c) } : {}),
  };
}

export function planLoops<P extends { name: string }>(lab: Lab, pods: readonly P[]): PlanLoops<P> | undefined {
  if (!lab.loops) return undefined;
  return {
    settings: lab.loops,
    deployments: lab.deployments.map((d) => {
      const first = pods.find((p) => p.name === d.pods[0]);
      return { name: d.name, namespace: d.namespace, replicas: Math.max(0, d.replicas), hash: d.hash, placement: d.placement, ...(first ? { template: first } : {}) };
    }),
    nodes: lab.nodes.map((n) => ({ name: n.name, labels: nodeLabels(n) })),
  };
}
