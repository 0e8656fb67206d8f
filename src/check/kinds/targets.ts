/**
 * Resolving the references a check writes (`web-1`, `node/worker-1`, `host/client`, `svc/shop/db`,
 * `lb/web`, an address) against the planned lab: what each is and its address. Pure; reads the
 * planned nodes, pods, hosts and Services through `Peers` (a Plan is one), chooses nothing.
 */
import { cniMode } from '../../cni/registry.ts';
import type { CniPlannedNode } from '../../cni/types.ts';
import { findService } from '../../k8s/objects.ts';
import { formatAddr, nth, parsePrefix } from '../../net/addr.ts';
import type { Ingress } from '../../ingress/types.ts';

export type TargetKind = 'pod' | 'node' | 'host' | 'ip' | 'svc' | 'lb';

/**
 * What checks read of the planned lab. A view rather than the Plan type: check kinds sit below
 * the plan step (planning dispatches through them), so they name only the fields they read.
 */
export interface Peers {
  /** Where the live lab keeps its state (BIRD's control sockets are there). */
  stateDir: string;
  nodes: readonly (CniPlannedNode<{ type: string }> & { podCidr: string; podCidrs?: readonly string[]; podGateway: string; ips?: readonly string[] })[];
  pods: readonly { name: string; ip: string; ips?: readonly string[]; namespace?: string; labels?: Record<string, string> }[];
  hosts: readonly { name: string; ip: string; ips?: readonly string[] }[];
  services: readonly { name: string; namespace: string; clusterIP?: string; clusterIPs?: readonly string[]; loadBalancerIP?: string; loadBalancerIPs?: readonly string[]; selector?: Record<string, string>; ports: readonly { port: number; protocol: 'TCP' | 'UDP' }[] }[];
  /** The ingress controller (plan/ingress.ts), for checks that go through it. */
  ingress?: { ingresses: readonly Ingress[]; namespace: string; pod: string; service: string; tlsDir: string };
}

/** Every address a node can appear as: its node IPs, its pod gateways (one per family), and its CNI mode's own (e.g. a VXLAN device's). */
export function nodeAddresses(n: Peers['nodes'][number]): string[] {
  const gateways6 = (n.podCidrs ?? []).flatMap((c) => (c.includes(':') ? [formatAddr(nth(parsePrefix(c)!, 1)!)] : []));
  return [...new Set([n.ip, ...(n.ips ?? []), n.podGateway, ...gateways6, ...cniMode(n.cni.type).nodeAddresses(n)])];
}

/**
 * Why a Service has no address of `family` to check (its families as the API server settled them:
 * SingleStack, unless ipFamilyPolicy asks for both), or undefined when it has one. A headless or
 * ExternalName Service is told of elsewhere.
 */
export function serviceLacksFamily(s: { name: string; namespace: string; type: string; clusterIP?: string; ipFamilies?: readonly string[] }, family: 'IPv4' | 'IPv6', what: string): { message: string; hint: string } | undefined {
  if (s.type === 'ExternalName' || s.clusterIP === 'None' || !s.ipFamilies?.length || s.ipFamilies.includes(family)) return undefined;
  return {
    message: `Service "${s.namespace}/${s.name}" has no ${family} ${what}: it is ${s.ipFamilies.join(' and ')} only`,
    hint: `A Service is single stack unless it asks: ipFamilyPolicy: 'PreferDualStack' (or 'RequireDualStack') gives it one of each family of a dual-stack lab; ipFamilies: ['${family}'] makes ${family} its only one.`,
  };
}

/** Resolves a check target reference (validated already) to what it is and its address. */
export function resolveTarget(peers: Peers, r: string, protocol: 'TCP' | 'UDP' = 'TCP', family?: 'IPv4' | 'IPv6'): { kind: TargetKind; name: string; ip: string; port?: number } {
  const [prefix, rest] = r.includes('/') ? [r.slice(0, r.indexOf('/')), r.slice(r.indexOf('/') + 1)] : ['', r];
  // The address of the asked family from a per-family list (no such address: the primary one, which the check then shows);
  // no family asked: the primary one, the list's first (IPv6 in an IPv6-primary lab; `ip` is the IPv4 one podlab wires with).
  const pick = (ip: string, list?: readonly string[]) => {
    const primary = list?.[0] ?? ip;
    return family ? (list?.find((a) => a.includes(':') === (family === 'IPv6')) ?? primary) : primary;
  };
  if (prefix === 'node') {
    const n = peers.nodes.find((x) => x.name === rest)!;
    return { kind: 'node', name: rest, ip: pick(n.ip, n.ips) };
  }
  if (prefix === 'host') {
    const h = peers.hosts.find((x) => x.name === rest)!;
    return { kind: 'host', name: rest, ip: pick(h.ip, h.ips) };
  }
  if (prefix === 'svc' || prefix === 'lb') {
    const s = findService(peers.services, rest)!;
    return { kind: prefix, name: r, ip: (prefix === 'svc' ? (s.clusterIP ? pick(s.clusterIP, s.clusterIPs) : undefined) : s.loadBalancerIP && pick(s.loadBalancerIP, s.loadBalancerIPs)) ?? '', port: s.ports.find((p) => p.protocol === protocol)?.port };
  }
  const pod = peers.pods.find((p) => p.name === r);
  return pod ? { kind: 'pod', name: r, ip: pick(pod.ip, pod.ips) } : { kind: 'ip', name: r, ip: r };
}

/** The addresses a server may see a source reference as (`nodes` is any node). */
export function sourceAddressesOf(peers: Peers, r: string): string[] {
  if (r === 'nodes') return peers.nodes.flatMap(nodeAddresses);
  if (r.startsWith('node/')) return nodeAddresses(peers.nodes.find((n) => n.name === r.slice(5))!);
  const t = resolveTarget(peers, r);
  // A pod may be seen at any of its addresses (one per family): the family is the connection's.
  const own = t.kind === 'pod' ? peers.pods.find((p) => p.name === r) : t.kind === 'host' ? peers.hosts.find((h) => `host/${h.name}` === r) : undefined;
  return own?.ips?.length ? [...own.ips] : [t.ip];
}

/** Where a check runs: a pod, a node or a host. */
export function resolveSource(peers: Peers, r: string): { kind: 'pod' | 'node' | 'host'; name: string } {
  const from = resolveTarget(peers, r);
  return { kind: from.kind === 'node' || from.kind === 'host' ? from.kind : 'pod', name: from.name };
}
