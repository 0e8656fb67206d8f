/**
 * Resolving the references a check or a scenario writes (`web-1`, `node/worker-1`, `host/client`,
 * `svc/shop/db`, `lb/web`, an address) against the planned lab: what each is and its address.
 * Pure; reads planned nodes, pods, hosts and Services, chooses nothing.
 */
import { cniMode } from '../cni/registry.ts';
import { DEFAULTS } from '../constants.ts';
import type { PlanHost, PlanNode, PlanPod } from './plan.ts';
import type { PlanService } from './services.ts';

export type TargetKind = 'pod' | 'node' | 'host' | 'ip' | 'svc' | 'lb';

/** What references resolve against: the planned lab (a Plan is one). */
export interface Peers {
  nodes: readonly PlanNode[];
  pods: readonly PlanPod[];
  hosts: readonly PlanHost[];
  services: readonly PlanService[];
}

/** Every address a node can appear as: its node IP, its pod gateway, and its CNI mode's own (e.g. a VXLAN device's). */
export function nodeAddresses(n: PlanNode): string[] {
  return [n.ip, n.podGateway, ...cniMode(n.cni.type).nodeAddresses(n)];
}

/** Finds a Service (of the lab or of the plan) by `name` (namespace default) or `namespace/name`. */
export function findService<S extends { name: string; namespace: string }>(services: readonly S[], ref: string): S | undefined {
  const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [DEFAULTS.namespace, ref];
  return services.find((s) => s.name === name && s.namespace === ns);
}

/** Resolves a check target reference (validated already) to what it is and its address. */
export function resolveTarget(peers: Peers, r: string, protocol: 'TCP' | 'UDP' = 'TCP'): { kind: TargetKind; name: string; ip: string; port?: number } {
  const [prefix, rest] = r.includes('/') ? [r.slice(0, r.indexOf('/')), r.slice(r.indexOf('/') + 1)] : ['', r];
  if (prefix === 'node') return { kind: 'node', name: rest, ip: peers.nodes.find((n) => n.name === rest)!.ip };
  if (prefix === 'host') return { kind: 'host', name: rest, ip: peers.hosts.find((h) => h.name === rest)!.ip };
  if (prefix === 'svc' || prefix === 'lb') {
    const s = findService(peers.services, rest)!;
    return { kind: prefix, name: r, ip: (prefix === 'svc' ? s.clusterIP : s.loadBalancerIP) ?? '', port: s.ports.find((p) => p.protocol === protocol)?.port };
  }
  const pod = peers.pods.find((p) => p.name === r);
  return pod ? { kind: 'pod', name: r, ip: pod.ip } : { kind: 'ip', name: r, ip: r };
}

/** The addresses a server may see a source reference as (`nodes` is any node). */
export function sourceAddressesOf(peers: Peers, r: string): string[] {
  if (r === 'nodes') return peers.nodes.flatMap(nodeAddresses);
  if (r.startsWith('node/')) return nodeAddresses(peers.nodes.find((n) => n.name === r.slice(5))!);
  const t = resolveTarget(peers, r);
  return [t.ip];
}

/** Where a check runs: a pod, a node or a host. */
export function resolveSource(peers: Peers, r: string): { kind: 'pod' | 'node' | 'host'; name: string } {
  const from = resolveTarget(peers, r);
  return { kind: from.kind === 'node' || from.kind === 'host' ? from.kind : 'pod', name: from.name };
}
