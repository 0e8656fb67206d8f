/**
 * What kube-proxy and the CNI's masquerade do to a packet's addresses on the way, as explain and
 * trace both need it (pure, from the plan): whom kube-proxy's ext chain takes the client for, who
 * masquerades pod traffic, the address a masquerade gives, and, for a NodePort, where the source's
 * node sends the packet and what source the endpoint's node sees. `podlab trace` builds its hops
 * from these; `podlab explain` of a NodePort judges each side on the packet they describe, so the
 * two agree.
 */
import { cniMode } from '../cni/registry.ts';
import { contains, hostPort, parseAddr, parsePrefix, type Family } from '../net/addr.ts';
import type { Plan, PlanNode } from '../plan/plan.ts';
import type { PlanService } from '../plan/services.ts';
import { inFamily, type End } from './ends.ts';

/** Whether an address lies in a CIDR, in either family (an address of the other family never does). */
export function within(cidr: string, addr: string): boolean {
  const p = parsePrefix(cidr, false);
  const a = parseAddr(addr);
  return !!p && !!a && p.family === a.family && contains(p, a);
}

export const isCalico = (n: PlanNode): boolean => (n.cni as { type: string }).type === 'calico';

/** A node's address in a family. */
export const nodeIpOf = (node: PlanNode, family: Family): string => inFamily(node.ips ?? [node.ip], family) ?? node.ip;

/** A node's pod CIDR in a family. */
export const podCidrOf = (node: PlanNode, family: Family): string => (node.podCidrs ?? [node.podCidr]).find((c) => c.includes(':') === (family === 'IPv6')) ?? node.podCidr;

/** The gateway a pod's default route of a family points at: the bridge's first address of the pod CIDR, Calico's link-local (IPv6) or 169.254.1.1. */
export function podGatewayOf(node: PlanNode, family: Family): string {
  if (inFamily([node.podGateway], family)) return node.podGateway;
  if (isCalico(node)) return family === 'IPv6' ? 'fe80::ecee:eeff:feee:eeee' : '169.254.1.1';
  const cidr = inFamily((node.podCidrs ?? [node.podCidr]).map((c) => c.split('/')[0]), family);
  return cidr?.endsWith('::') ? `${cidr}1` : node.podGateway;
}

/** Who masquerades pod traffic leaving the pod network on a node, in the words of a real cluster of its CNI mode (flanneld's --ip-masq, kubelet's, a Calico pool's natOutgoing). */
export const masqueradeOf = (node: PlanNode): { short: string; who: string } => cniMode((node.cni as { type: string }).type).masquerade;

/**
 * A Calico node's IP pools of every family: its IPv4 pools, and in a lab with IPv6 its IPv6 pools
 * (`ipv6.pools`; Felix's ip6 nat table masquerades those, nat6.ts).
 */
function calicoPools(node: PlanNode): { cidr: string; natOutgoing: boolean }[] {
  const cni = node.cni as unknown as { pools: { cidr: string; natOutgoing: boolean }[]; ipv6?: { pools: { cidr: string; natOutgoing: boolean }[] } };
  return [...cni.pools, ...(cni.ipv6?.pools ?? [])];
}

/** Whether pod traffic from `addr` on `node` leaving every pool is masqueraded: the lab's natOutgoing, or Calico's pool of that address (its calico table, or ip6 calico for an IPv6 pool). */
export function masqueraded(plan: Plan, node: PlanNode, addr: string): boolean {
  if (!isCalico(node)) return plan.natOutgoing;
  return calicoPools(node).some((p) => p.natOutgoing && within(p.cidr, addr));
}

/**
 * What a masquerade of pod traffic on `node` is applied to leaving, in the family of the packet:
 * Calico's rule matches a destination outside every IP pool of the family (`daddr != @all-ipam-pools`),
 * the other modes' one outside the pod network.
 */
export function masqueradeLeaving(plan: Plan, node: PlanNode, family: Family): string {
  if (!isCalico(node)) return `the pod network ${inFamily(plan.podCidrs ?? [plan.podCidr], family) ?? plan.podCidr}`;
  const cidrs = [...new Set(calicoPools(node).map((p) => p.cidr).filter((c) => c.includes(':') === (family === 'IPv6')))];
  return `every IP pool of ${family}: ${cidrs.join(', ')}`;
}

/**
 * Whom kube-proxy's ext chain (NodePort and load-balancer traffic) on the node that DNATs takes
 * the client for, by its rules in order (kubernetes pkg/proxy/nftables and iptables proxier.go,
 * the external chain of an externalTrafficPolicy Local Service):
 *   `ip saddr <pod CIDR> goto <cluster chain>`      a pod (the local traffic detector): every endpoint, no masquerade;
 *   `fib saddr type local jump mark-for-masquerade` and `… goto <cluster chain>`: the node itself, masqueraded, every endpoint;
 *   the rest, a client from outside: externalTrafficPolicy Local keeps it to the node's own endpoints, with its address.
 * A pod's packet to another node's address arrives there as natOutgoing left it: masqueraded to its
 * node's address, that is from outside; without natOutgoing, still from a pod.
 */
export type ExtClient = 'pod' | 'node' | 'outside';
export function extClient(plan: Plan, from: End, dnatNode: string | undefined, viaGateway: boolean): ExtClient {
  if (viaGateway || (from.kind !== 'pod' && from.kind !== 'node')) return 'outside';
  const podNet = from.kind === 'pod' && !from.pod.hostNetwork;
  if (from.node === dnatNode) return podNet ? 'pod' : 'node';
  return podNet && !masqueraded(plan, plan.nodes.find((n) => n.name === from.node)!, from.ip) ? 'pod' : 'outside';
}

/** ext chain: externalTrafficPolicy Cluster marks every packet for masquerade; Local only the node's own (fib saddr type local). */
export const extMasquerades = (s: PlanService, client: ExtClient): boolean => s.externalTrafficPolicy !== 'Local' || client === 'node';

/** The address a masquerade on node `n` gives towards node `towards`: the bridge's towards a pod of its own (Calico: the node's, its cali veths have none), else the VXLAN device's of the family, else the node's. */
export function masqAddress(n: PlanNode, towards: string, family: Family): string {
  const vteps = [(n.cni as { vxlan?: { address: string } }).vxlan?.address, (n.cni as { vxlan6?: { address: string } }).vxlan6?.address];
  if (isCalico(n)) return nodeIpOf(n, family);
  return n.name === towards ? podGatewayOf(n, family) : inFamily(vteps, family) ?? nodeIpOf(n, family);
}

/** Where the source's node sends a packet the DNAT of another node awaits: that node's address and NodePort. */
export interface SentTo {
  ip: string;
  port: number;
  node: string;
}

/** The source address a masquerade on the way gave the packet, and who gave it. */
export interface ArrivesFrom {
  ip: string;
  by: string;
}

/**
 * A connection to a NodePort of `node`, as the packet is where each side is judged: sent from a pod
 * of another node to that node's address and NodePort (only that node DNATs it), and arriving at a
 * pod-network endpoint from the last masquerade's address (natOutgoing on the source's node, then
 * kube-proxy's on the node that DNATs, towards an endpoint elsewhere), when that is not the
 * client's own. `podlab trace` builds the same, hop by hop.
 */
export function nodePortPath(plan: Plan, from: Exclude<End, { kind: 'service' }>, node: PlanNode, s: PlanService, nodePort: number, endpoint: { node: string; hostNetwork: boolean }, family: Family): { client: ExtClient; sentTo?: SentTo; arrivesFrom?: ArrivesFrom } {
  const client = extClient(plan, from, node.name, false);
  const podNet = from.kind === 'pod' && !from.pod.hostNetwork;
  const srcNode = from.kind === 'pod' || from.kind === 'node' ? plan.nodes.find((n) => n.name === from.node) : undefined;
  const elsewhere = !!srcNode && srcNode.name !== node.name;
  let carried: ArrivesFrom | undefined;
  if (podNet && elsewhere && masqueraded(plan, srcNode!, from.ip)) carried = { ip: nodeIpOf(srcNode!, family), by: `${masqueradeOf(srcNode!).short} on node ${srcNode!.name}` };
  if (extMasquerades(s, client) && node.name !== endpoint.node) carried = { ip: masqAddress(node, endpoint.node, family), by: `kube-proxy on node ${node.name}` };
  return {
    client,
    ...(podNet && elsewhere ? { sentTo: { ip: nodeIpOf(node, family), port: nodePort, node: node.name } } : {}),
    ...(carried && carried.ip !== from.ip && !endpoint.hostNetwork ? { arrivesFrom: carried } : {}),
  };
}

/**
 * A connection to a load-balancer address, as the packet is where the endpoint's ingress is judged.
 * `node` is the node that DNATs it: the source's own (kube-proxy catches the address in its
 * prerouting hook, as a NodePort of that node), or, from outside (a host, through the gateway), the
 * node whose NodePort the gateway chose. On the way, the gateway masquerades a client of the node
 * network (or the node would answer it around the gateway), and kube-proxy's ext chain masquerades
 * what externalTrafficPolicy Cluster (or, under Local, the node itself) sends to an endpoint on
 * another node; towards an endpoint of its own node the masquerade comes after the forward hook
 * (postrouting), so its policy sees the source as it arrived. `podlab trace` builds the same, hop
 * by hop.
 */
export function loadBalancerPath(plan: Plan, from: Exclude<End, { kind: 'service' }>, node: PlanNode, s: PlanService, endpoint: { node: string; hostNetwork: boolean }, family: Family): { client: ExtClient; arrivesFrom?: ArrivesFrom } {
  const viaGateway = from.kind === 'host' || from.kind === 'gateway';
  const client = extClient(plan, from, node.name, viaGateway);
  let carried: ArrivesFrom | undefined;
  const gw = plan.gateway?.nodeSide as { ip: string; ip6?: string } | undefined;
  if (from.kind === 'host' && from.network === 'nodes' && gw) carried = { ip: inFamily([gw.ip, gw.ip6], family) ?? gw.ip, by: 'the gateway' };
  if (extMasquerades(s, client) && node.name !== endpoint.node) carried = { ip: masqAddress(node, endpoint.node, family), by: `kube-proxy on node ${node.name}` };
  return { client, ...(carried && carried.ip !== from.ip && !endpoint.hostNetwork ? { arrivesFrom: carried } : {}) };
}

/** What the source's egress was judged to, when it was not the endpoint: `to 172.16.94.12:30081, node c1-node2's NodePort (…)`. */
export const sentToWords = (t: SentTo): string => `to ${hostPort(t.ip, t.port)}, node ${t.node}'s NodePort (DNATed there, not on the source's node)`;

/** What the destination's ingress was judged from, when a masquerade replaced the client's address. */
export const arrivesFromWords = (a: ArrivesFrom, client: string): string => `from ${a.ip}, the source as masqueraded by ${a.by} (not the client's own ${client})`;
