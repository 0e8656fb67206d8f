/**
 * The resolved lab: what validation hands to the planner. Every default is filled in, every
 * shorthand expanded, nothing optional that the planner would have to guess. Keyed records of
 * the authoring form become arrays in declaration order (order matters: node N gets slice N).
 */
import { DEFAULTS, FLANNEL } from '../constants.ts';
import type { LabSpec } from '../schema/lab-schema.ts';

export type WorkloadKind = 'http-echo' | 'tcp-echo' | 'udp-echo';

export interface Lab {
  name: string;
  description: string;
  /** Lab file path as given (relative to the working directory), for banners and diagnostics. */
  source: string;
  nodeNetwork: { cidr: string };
  nodes: LabNode[];
  podCidr: string;
  podCidrMaskSize: number;
  serviceCidr: string;
  clusterDomain: string;
  namespaces: string[];
  cni: { type: 'kubenet' } | { type: 'flannel'; vni: number; port: number };
  pods: LabPod[];
  checks: LabCheck[];
}

export interface LabNode {
  name: string;
  role: 'control-plane' | 'worker';
  ip?: string;
  interface: string;
}

export interface LabPod {
  /** The key in `pods`: the pod's name. */
  name: string;
  namespace: string;
  node: string;
  labels: Record<string, string>;
  hostNetwork: boolean;
  containers: LabContainer[];
}

export interface LabContainer {
  name: string;
  workload?: { kind: WorkloadKind; port: number };
  command?: string[];
  ports: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP' }[];
  env: Record<string, string>;
}

export interface LabCheck {
  /** Index in the lab's `checks` array, for diagnostics and reports. */
  index: number;
  name: string;
  kind: 'ping' | 'tcp' | 'http';
  from: string;
  to: string;
  expect: 'reach' | 'no-reach';
  timeoutMs: number;
  port?: number;
  path?: string;
  expectPod?: string;
  expectNoNat: boolean;
}

const WORKLOAD_PORT: Record<WorkloadKind, { port: number; protocol: 'TCP' | 'UDP'; name: string }> = {
  'http-echo': { port: 8080, protocol: 'TCP', name: 'http' },
  'tcp-echo': { port: 9000, protocol: 'TCP', name: 'tcp-echo' },
  'udp-echo': { port: 9001, protocol: 'UDP', name: 'udp-echo' },
};

/** Fills defaults. Input must already have passed the schema. */
export function normalize(spec: LabSpec, source: string): Lab {
  const cni = spec.cni ?? DEFAULTS.cni;
  const cniType = typeof cni === 'string' ? cni : cni.type;
  return {
    name: spec.name,
    description: spec.description ?? '',
    source,
    nodeNetwork: { cidr: spec.nodeNetwork?.cidr ?? DEFAULTS.nodeNetworkCidr },
    nodes: Object.entries(spec.nodes).map(([name, n]) => ({
      name,
      role: n.role ?? 'worker',
      ip: n.ip,
      interface: n.interface ?? 'eth0',
    })),
    podCidr: spec.podCidr ?? DEFAULTS.podCidr,
    podCidrMaskSize: spec.podCidrMaskSize ?? DEFAULTS.podCidrMaskSize,
    serviceCidr: spec.serviceCidr ?? DEFAULTS.serviceCidr,
    clusterDomain: spec.clusterDomain ?? DEFAULTS.clusterDomain,
    namespaces: [...new Set(['default', 'kube-system', ...(spec.namespaces ?? [])])],
    cni:
      cniType === 'kubenet'
        ? { type: 'kubenet' }
        : {
            type: 'flannel',
            vni: (typeof cni === 'object' && 'vni' in cni && cni.vni) || FLANNEL.vni,
            port: (typeof cni === 'object' && 'port' in cni && cni.port) || FLANNEL.port,
          },
    pods: Object.entries(spec.pods ?? {}).map(([name, p]) => ({
      name,
      namespace: p.namespace ?? DEFAULTS.namespace,
      node: p.node,
      labels: p.labels ?? {},
      hostNetwork: p.hostNetwork ?? false,
      containers: (p.containers ?? []).map((c) => {
        const workload = c.workload ? { kind: c.workload.kind, port: c.workload.port ?? WORKLOAD_PORT[c.workload.kind].port } : undefined;
        const declared = (c.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? ('TCP' as const) }));
        const implied = workload && !declared.some((d) => d.containerPort === workload.port)
          ? [{ name: WORKLOAD_PORT[workload.kind].name, containerPort: workload.port, protocol: WORKLOAD_PORT[workload.kind].protocol }]
          : [];
        return { name: c.name, workload, command: c.command, ports: [...implied, ...declared], env: c.env ?? {} };
      }),
    })),
    checks: (spec.checks ?? []).map((c, index) => ({
      index,
      kind: c.kind,
      from: c.from,
      to: c.to,
      expect: c.expect ?? 'reach',
      timeoutMs: c.timeoutMs ?? 5000,
      port: 'port' in c ? c.port : undefined,
      path: c.kind === 'http' ? (c.path ?? '/') : undefined,
      expectPod: c.kind === 'http' ? c.expectPod : undefined,
      expectNoNat: c.kind === 'http' ? (c.expectNoNat ?? false) : false,
      name: c.name ?? describeCheck(c.kind, c.from, c.to, 'port' in c ? c.port : undefined, c.expect ?? 'reach'),
    })),
  };
}

function describeCheck(kind: string, from: string, to: string, port: number | undefined, expect: string): string {
  return `${kind} ${from} → ${to}${port ? `:${port}` : ''}${expect === 'no-reach' ? ' (must fail)' : ''}`;
}
