/**
 * Where podlab chooses addresses that the author did not write: nodes and outside hosts on the
 * node network (from .10 upward, skipping every address given to something, the gateway's and the
 * load-balancer pool), outside hosts on the external network, the gateway's, and the address a
 * re-created pod gets at run time. Pod addresses come from the lab's CNI mode (its `addressPods`)
 * and Service addresses from services.ts, both called by the plan. Pure.
 */
import { DEFAULTS } from '../constants.ts';
import type { Lab } from '../compile/lab.ts';
import * as ip from '../net/ipv4.ts';
import { nodeNetworkAddresses } from '../net/node-network.ts';
import { formatAddr, nth, parsePrefix, type Prefix } from '../net/addr.ts';

/** The lab's networks and the addresses on them, before anything is built on them. */
export interface Networks {
  nodeNet: ip.Cidr;
  podNet: ip.Cidr;
  extNet: ip.Cidr;
  /** An outside host lives on the external network: the gateway has a second side. */
  hasExternal: boolean;
  /** Something lies beyond the node network (an external host, or load-balancer addresses). */
  hasGateway: boolean;
  gatewayIp: number;
  gatewayExtIp: number;
  pool?: ip.Cidr;
  /** Per node, in declaration order. */
  nodeIps: string[];
  /** Per outside host, in declaration order. */
  hostIps: string[];
  /** Every address given on the node and external networks (a load-balancer address must not be one). */
  taken: Set<number>;
  /**
   * A lab with IPv6: its networks, and the IPv6 address of each node, outside host and gateway
   * side (the IPv4 host number in the IPv6 network of the same kind: .11 → ::b).
   */
  ipv6?: { nodeNet: Prefix; podNet: Prefix; serviceNet: Prefix; extNet: Prefix; podMaskSize: number; nodeIps: string[]; hostIps: string[]; gatewayIp: string; gatewayExtIp: string };
}

/** Pass "networks": the node network, the gateway's presence and address, and every node's and host's address. */
export function planNetworks(lab: Lab): Networks {
  const nodeNet = ip.parseCidr(lab.nodeNetwork.cidr)!;
  const extNet = ip.parseCidr(lab.externalNetwork.cidr)!;
  const hasExternal = lab.hosts.some((h) => h.network === 'external');
  const hasGateway = hasExternal || !!lab.loadBalancer;
  const gatewayIp = ip.nth(nodeNet, DEFAULTS.gatewayHost);
  const gatewayExtIp = ip.nth(extNet, DEFAULTS.gatewayHost);
  const pool = lab.loadBalancer?.pool !== undefined ? ip.parseCidr(lab.loadBalancer.pool) : undefined;

  // Fixed addresses as given, the rest from .10 upward: nodes first, then hosts on the node network.
  const onNodes = nodeNetworkAddresses({ nodeNet, nodes: lab.nodes, hosts: lab.hosts.map((h) => ({ ...(h.ip ? { ip: h.ip } : {}), onNodes: h.network === 'nodes' })), ...(hasGateway ? { gateway: gatewayIp } : {}), ...(pool ? { pool } : {}) });
  const { nodeIps, taken } = onNodes;

  // External hosts start at .10 of the external network.
  const takenExt = new Set<number>([gatewayExtIp, ...lab.hosts.filter((h) => h.ip && h.network === 'external').map((h) => ip.parseIp(h.ip!)!)]);
  let nextExt = ip.nth(extNet, DEFAULTS.firstNodeHost);
  const hostIps = lab.hosts.map((h, i) => {
    if (h.ip) return h.ip;
    if (h.network === 'nodes') return onNodes.hostIps[i]!;
    while (takenExt.has(nextExt)) nextExt++;
    takenExt.add(nextExt);
    return ip.formatIp(nextExt++);
  });

  const ipv6 = lab.ipv6 ? planIPv6(lab.ipv6, { nodeNet, extNet, nodeIps, hostIps, external: lab.hosts.map((h) => h.network === 'external'), gatewayIp, gatewayExtIp }) : undefined;
  return { ...(ipv6 ? { ipv6 } : {}), nodeNet, podNet: ip.parseCidr(lab.podCidr)!, extNet, hasExternal, hasGateway, gatewayIp, gatewayExtIp, pool, nodeIps, hostIps, taken: new Set([...taken, ...takenExt]) };
}

/** The IPv6 networks; node N's IPv6 address has node N's IPv4 host number (.11 → ::b), so the two read alike; hosts and the gateway alike. */
function planIPv6(
  v6: NonNullable<Lab['ipv6']>,
  v4: { nodeNet: ip.Cidr; extNet: ip.Cidr; nodeIps: readonly string[]; hostIps: readonly string[]; external: readonly boolean[]; gatewayIp: number; gatewayExtIp: number },
): NonNullable<Networks['ipv6']> {
  const net6 = parsePrefix(v6.nodeCidr)!;
  const ext6 = parsePrefix(v6.externalCidr)!;
  return {
    nodeNet: net6,
    podNet: parsePrefix(v6.podCidr)!,
    serviceNet: parsePrefix(v6.serviceCidr)!,
    extNet: ext6,
    podMaskSize: v6.podCidrMaskSize,
    nodeIps: v4.nodeIps.map((a) => ipv6Twin(v4.nodeNet, net6, a)),
    hostIps: v4.hostIps.map((a, i) => (v4.external[i] ? ipv6Twin(v4.extNet, ext6, a) : ipv6Twin(v4.nodeNet, net6, a))),
    gatewayIp: ipv6Twin(v4.nodeNet, net6, ip.formatIp(v4.gatewayIp)),
    gatewayExtIp: ipv6Twin(v4.extNet, ext6, ip.formatIp(v4.gatewayExtIp)),
  };
}

/** The IPv6 twin of an IPv4 address inside `v4net`: the same host number inside `v6net`. */
export function ipv6Twin(v4net: ip.Cidr, v6net: Prefix, v4: string): string {
  return formatAddr(nth(v6net, ip.parseIp(v4)! - v4net.network)!);
}

/**
 * A re-created pod's addresses, one per family of its node's pod CIDRs (primary first): the IPv4
 * one chosen by nextFreeAddress, and in a lab with IPv6 the same host number in the node's IPv6
 * slice, as the plan gives every pod (10.244.1.7 → fd00:10:244:1::7).
 */
export function podAddresses(node: { podCidr: string; podCidrs?: readonly string[] }, v4: string): string[] {
  // An IPv6-only lab: the address chosen is the IPv6 one (nextPodIp chose it in the IPv6 slice).
  if (v4.includes(':')) return [v4];
  const v4net = ip.parseCidr(node.podCidr)!;
  return (node.podCidrs ?? [node.podCidr]).map((c) => (c.includes(':') ? ipv6Twin(v4net, parsePrefix(c)!, v4) : v4));
}

/**
 * The address a re-created pod gets: the next host number of `cidr` from `from` (wrapping to .2)
 * that is not in use, so it visibly differs from the old one. Returns the address and where the
 * next search starts.
 */
export function nextFreeAddress(cidr: ip.Cidr, inUse: ReadonlySet<number>, from: number): { ip: string; next: number } {
  let host = from;
  const last = ip.size(cidr) - 2;
  for (let tries = 0; tries < last; tries++, host++) {
    if (host > last) host = 2;
    if (!inUse.has(cidr.network + host)) break;
  }
  return { ip: ip.formatIp(cidr.network + host), next: host + 1 };
}
