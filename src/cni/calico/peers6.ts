/**
 * Calico's IPv6 BGP sessions in a lab with IPv6 (dual stack, or IPv6 alone with a hashed router id), as its bird6.cfg template writes them: the IPv6
 * node-to-node mesh (Mesh_<ipv6>, unless nodeToNodeMeshEnabled is false), then the BGPPeers whose
 * peerIP is IPv6, node-specific (Node_<ipv6>) before global (Global_<ipv6>), ':' written '_' as the
 * template's `replace` does; never to the node's own address, never twice to one address. IPv4
 * BGPPeers are bird.cfg's, IPv6 ones bird6.cfg's: a session carries the routes of its family.
 */
import { contains, parseAddr, parsePrefix } from '../../net/addr.ts';
import type { CniNodeInput, CniProblem, CniValidationInput } from '../types.ts';

/** An IPv6 session's protocol name: Mesh_fd00_172_16_94__b, Node_…, Global_… (bird6.cfg: ':' → '_'). */
export const sessionName6 = (kind: 'Mesh' | 'Node' | 'Global', peerIp: string) => `${kind}_${peerIp.replaceAll(':', '_')}`;

/** Whether a BGPPeer's peerIP is written as IPv6 (its session is then bird6's). */
export const isIPv6Peer = (peer: { peerIP: string }) => peer.peerIP.includes(':');

export interface Session6 {
  node: string;
  ip: string;
  asNumber: number;
  protocol: string;
  passive: boolean;
  source: 'mesh' | 'node' | 'global';
}

/** A node's IPv6 sessions (the node needs its IPv6 address: a dual-stack or IPv6-only lab). */
export function bgpPeers6(config: { asNumber: number; nodeToNodeMesh: boolean; peers: readonly { node?: string; peerIP: string; asNumber: number }[] }, nodes: readonly CniNodeInput[], n: CniNodeInput): Session6[] {
  const me = n.ipv6!.ip;
  const value = (a: string) => parseAddr(a)!.value;
  const out: Session6[] = [];
  const seen = new Set([me]);
  if (config.nodeToNodeMesh)
    for (const o of nodes)
      if (!seen.has(o.ipv6!.ip)) {
        seen.add(o.ipv6!.ip);
        // The mesh's passive rule, as for IPv4: the node with the higher address connects.
        out.push({ node: o.name, ip: o.ipv6!.ip, asNumber: config.asNumber, protocol: sessionName6('Mesh', o.ipv6!.ip), passive: value(o.ipv6!.ip) > value(me), source: 'mesh' });
      }
  const v6 = config.peers.filter(isIPv6Peer);
  const nameAt = (addr: string) => nodes.find((o) => o.ipv6 && value(o.ipv6.ip) === value(addr))?.name ?? addr;
  for (const x of [...v6.filter((p) => p.node === n.name), ...v6.filter((p) => p.node === undefined)]) {
    const canonical = nodes.find((o) => o.ipv6 && value(o.ipv6.ip) === value(x.peerIP))?.ipv6!.ip ?? x.peerIP;
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    out.push({ node: nameAt(x.peerIP), ip: canonical, asNumber: x.asNumber, protocol: sessionName6(x.node !== undefined ? 'Node' : 'Global', canonical), passive: false, source: x.node !== undefined ? 'node' : 'global' });
  }
  return out;
}

/**
 * The rules of an IPv6 BGPPeer: the lab has IPv6 (PL2420), and its peerIP lies in the lab's IPv6
 * node network (PL2172: BIRD speaks BGP only to the lab's nodes).
 */
export function validatePeer6(peer: { peerIP: string }, i: number, lab: CniValidationInput): CniProblem[] {
  const at = ['peers', i, 'peerIP'];
  if (!lab.ipv6 || !lab.ipFamilies?.includes('IPv6'))
    return [{ code: 'PL2420', path: at, message: `BGP peer ${i + 1}: peerIP ${peer.peerIP} is IPv6, but the lab has no IPv6: its nodes have no IPv6 address to peer from`, hint: "Make the lab dual stack (ipFamilies: ['IPv4', 'IPv6']) or IPv6-only for IPv6 sessions (bird6's), or give the peer's IPv4 address." }];
  const addr = parseAddr(peer.peerIP);
  const net = lab.ipv6?.nodeCidr ? parsePrefix(lab.ipv6.nodeCidr) : undefined;
  if (addr?.family !== 'IPv6')
    return [{ code: 'PL2172', path: at, message: `BGP peer ${i + 1}: peerIP "${peer.peerIP}" is not an IPv6 address`, hint: 'Write the peer node\'s IPv6 address, e.g. "fd00:172:16:94::b".' }];
  if (net && !contains(net, addr))
    return [{ code: 'PL2172', path: at, message: `BGP peer ${i + 1}: peerIP ${peer.peerIP} is outside the lab's IPv6 node network ${lab.ipv6!.nodeCidr}`, hint: "podlab's BIRD speaks BGP only to the lab's nodes, on its node network: give a node's IPv6 address." }];
  return [];
}
