/**
 * The node network's addresses as podlab hands them out (plan/addresses.ts): fixed ones as given,
 * the rest from .10 upward, nodes first, then hosts on the node network, skipping every address
 * given to something, the gateway's and the load-balancer pool. A leaf: validation reads it too
 * (a Calico BGPPeer's peerIP that is no node's address).
 */
import { DEFAULTS } from '../constants.ts';
import * as ip from './ipv4.ts';

export interface NodeNetworkInput {
  nodeNet: ip.Cidr;
  nodes: readonly { ip?: string }[];
  /** Hosts in order; `onNodes`: on the node network (the others are on the external one). */
  hosts: readonly { ip?: string; onNodes: boolean }[];
  /** The gateway's address, when the lab has one. */
  gateway?: number;
  /** The load-balancer pool, whose addresses no node or host takes. */
  pool?: ip.Cidr;
}

/** Each node's address, each node-network host's (undefined for a host on the external network), and every address taken. */
export function nodeNetworkAddresses(o: NodeNetworkInput): { nodeIps: string[]; hostIps: (string | undefined)[]; taken: Set<number> } {
  const taken = new Set<number>([
    ...o.nodes.filter((n) => n.ip).map((n) => ip.parseIp(n.ip!)!),
    ...o.hosts.filter((h) => h.ip && h.onNodes).map((h) => ip.parseIp(h.ip!)!),
    ...(o.gateway !== undefined ? [o.gateway] : []),
  ]);
  const skip = (a: number) => taken.has(a) || (o.pool !== undefined && ip.contains(o.pool, a));
  let next = ip.nth(o.nodeNet, DEFAULTS.firstNodeHost);
  const nextOnNodes = () => {
    while (skip(next)) next++;
    taken.add(next);
    return ip.formatIp(next++);
  };
  const nodeIps = o.nodes.map((n) => n.ip ?? nextOnNodes());
  const hostIps = o.hosts.map((h) => (h.onNodes ? (h.ip ?? nextOnNodes()) : undefined));
  return { nodeIps, hostIps, taken };
}
