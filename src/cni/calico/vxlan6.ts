/**
 * Calico's VXLAN in IPv6: what Felix programs for an IPv6 pool with VXLAN encapsulation (its
 * vxlanManager built for IP version 6, felix/dataplane/linux/vxlan_mgr.go), written as plan data
 * and `ip`/`bridge` batch lines, pure:
 *
 * - the device `vxlan-v6.calico`, with Felix's one VNI and port for both families (VXLANVNI 4096,
 *   VXLANPort 4789: Felix has no IPv6 variants of them), `local` the node's IPv6 address, no
 *   learning; its MTU the link's minus 70 (Felix's vxlanV6MTUOverhead: an IPv6 outer header is 40
 *   bytes, 20 more than IPv4's 50-byte total);
 * - its MAC as Felix derives it when the node has none stored (VXLANResolver.vtepMACForHost):
 *   0x66 ('f') then the first five bytes of sha1("<node>-v6");
 * - the node's IPv6 tunnel address (calico-node's ipv6VXLANTunnelAddr): taken from the node's
 *   first IPv6 block before any pod, so it is the block's first address, held as a /128;
 * - per peer a permanent neighbour entry (its tunnel address → its VTEP MAC), an FDB entry (that
 *   MAC → its node's IPv6 address) and a route to each of its IPv6 blocks via its tunnel address,
 *   onlink (Felix's TargetTypeVXLAN routes carry RTNH_F_ONLINK); a blackhole per own IPv6 block.
 */
import { createHash } from '../../lib/crypto.ts';
import { CALICO } from '../../constants.ts';
import { formatAddr, formatPrefix, nth, type Prefix } from '../../net/addr.ts';

/** A node's Calico VTEP in one family (`vxlan.calico` or `vxlan-v6.calico`): it and, per peer, its VTEP and blocks. */
export interface CalicoVtep {
  dev: string;
  vni: number;
  port: number;
  mac: string;
  mtu: number;
  /** The node's tunnel address in the VTEP's family: the first address of its first block. */
  address: string;
  peers: { node: string; nodeIp: string; mac: string; address: string; blocks: string[] }[];
}

/** A node's `vxlan-v6.calico`. */
export type CalicoVxlan6 = CalicoVtep;

/** Felix's VTEP MAC of a node for IPv6 when none is stored: 'f' (0x66) and sha1("<node>-v6")[0:5]. */
export function vtepMac6(node: string): string {
  const sha = createHash('sha1').update(`${node}-v6`).digest();
  return [0x66, ...sha.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The tunnel address of a node holding `blocks` (the first address of its first IPv6 block). */
export const tunnelAddress6 = (blocks: readonly Prefix[]): string => formatAddr(nth(blocks[0]!, 0)!);

/** Node `i`'s vxlan-v6.calico: its own VTEP and every other node's, from the nodes' IPv6 addresses and blocks. */
export function planVxlan6(nodes: readonly { name: string; ip6: string; blocks: readonly Prefix[] }[], i: number, opts: { vni: number; port: number; mtu: number }): CalicoVxlan6 {
  const n = nodes[i]!;
  return {
    dev: CALICO.vxlanDevice6,
    vni: opts.vni,
    port: opts.port,
    mac: vtepMac6(n.name),
    mtu: opts.mtu,
    address: tunnelAddress6(n.blocks),
    peers: nodes
      .filter((o) => o.name !== n.name)
      .map((o) => ({ node: o.name, nodeIp: o.ip6, mac: vtepMac6(o.name), address: tunnelAddress6(o.blocks), blocks: o.blocks.map(formatPrefix) })),
  };
}

/** Felix's routes: each peer IPv6 block via the peer's tunnel address on vxlan-v6.calico, onlink. */
export const vxlan6Routes = (v: CalicoVxlan6) => v.peers.flatMap((p) => p.blocks.map((b) => ({ dst: b, via: p.address, dev: v.dev, onlink: true })));

/** The node's `ip -batch` lines for vxlan-v6.calico: the device, its address, the peers' neighbour entries, a blackhole per own IPv6 block. */
export function vxlan6BatchLines(localIp6: string, iface: string, v: CalicoVxlan6, ownBlocks: readonly string[]): string[] {
  return [
    `# Calico VXLAN in IPv6 (what Felix programs): ${v.dev} speaks IPv6 outer headers from ${localIp6}, MTU ${v.mtu} (70 below the link);`,
    '# its tunnel address is the first of its first IPv6 block; per peer a neighbour entry here and an FDB entry (bridge batch).',
    `link add name ${v.dev} address ${v.mac} mtu ${v.mtu} type vxlan id ${v.vni} local ${localIp6} dev ${iface} dstport ${v.port} nolearning`,
    `address add ${v.address}/128 dev ${v.dev} nodad`,
    `link set dev ${v.dev} up`,
    ...v.peers.map((p) => `neigh add ${p.address} lladdr ${p.mac} dev ${v.dev} nud permanent`),
    ...ownBlocks.map((b) => `route add blackhole ${b}`),
  ];
}
