/**
 * Calico in an IPv6-only lab: what a Calico cluster installed with only CALICO_IPV6POOL_CIDR (no
 * IPv4 pool, CALICO_ROUTER_ID=hash, IP6=autodetect, IP=none) builds. The IPv6 pools alone (the
 * default one from the IPv6 podCidr, or ipPools' IPv6 entries with their nodeSelector, disabled and
 * natOutgoing: pools6.ts): each node's blocks, borrowed /128s, each pod a /128 behind
 * fe80::ecee:eeff:feee:eeee and nothing IPv4 on any pod or node interface beyond loopback (no
 * 169.254.1.1, no /32). Between nodes either BIRD with the IPv6 sessions only (bird6.conf.hbs:
 * bird6.cfg's half: the mesh unless nodeToNodeMesh is false, IPv6 BGPPeers, a router id hashed from
 * the node name, routerid.ts) or Felix's `vxlan-v6.calico` (vxlan6.ts). Pure: the plan's share per
 * node; index.ts's mode object calls it when the lab is IPv6-only.
 */
import { CALICO } from '../../constants.ts';
import { formatPrefix, type Prefix } from '../../net/addr.ts';
import type { CniNodeInput } from '../types.ts';
import { calicoConflist, rangeSet6 } from './conflist.ts';
import type { CalicoPool } from './pool-types.ts';
import { hashRouterId } from './routerid.ts';
import { planVxlan6, vxlan6Routes } from './vxlan6.ts';
import { hostVethName } from './veth.ts';

interface Input {
  lab: string;
  config: { encapsulation: string; asNumber: number; nodeToNodeMesh: boolean; vni: number; port: number; strictAffinity: boolean };
  nodes: readonly CniNodeInput[];
  ipamDir: string;
  mtu: number;
  pods: readonly { name: string; namespace: string; node: number; ip6?: string }[];
  ipv6: { podCidr: Prefix; nodeCidrs: readonly (readonly Prefix[])[] };
  /** The IPv6 pools (index.ts's, as in dual stack), the names of those each node uses, and each node's borrowed IPv6 addresses. */
  pools6: CalicoPool[];
  selected6: readonly string[][];
  borrowed6: (i: number) => { pod: string; ip: string; block: string; from: string }[];
  /** The node's IPv6 sessions: the mesh's and IPv6 BGPPeers' (index.ts's, as in dual stack). */
  peers6: (n: CniNodeInput) => { node: string; ip: string; asNumber: number; protocol: string; passive: boolean; source: 'mesh' | 'node' | 'global' }[];
}

/** host-local with one range set, the node's IPv6 blocks (and a range per lender block it borrowed from), and one default route, `::/0`. */
export function conflist6(lab: string, node: string, blocks: readonly Prefix[], ipamDir: string, mtu: number, hostPorts: boolean, borrowed: readonly { ip: string; block: string }[] = []) {
  return calicoConflist({ lab, node, ipamDir, mtu, hostPorts, rangeSets: [rangeSet6(blocks, borrowed)], routes: [{ dst: '::/0' }] });
}

/** Every node's share of an IPv6-only Calico lab. */
export function planIPv6Only({ lab, config, nodes, ipamDir, mtu, pods, ipv6, pools6, selected6, borrowed6, peers6 }: Input) {
  const vxlan = config.encapsulation === 'VXLAN';
  const podMtu = vxlan ? mtu - CALICO.vxlanOverhead6 : mtu;
  const nodes6 = nodes.map((n, i) => ({ name: n.name, ip6: n.ipv6!.ip, blocks: ipv6.nodeCidrs[i]! }));
  return nodes.map((n, i) => {
    const blocks6 = ipv6.nodeCidrs[i]!;
    const v = vxlan ? planVxlan6(nodes6, i, { vni: config.vni, port: config.port, mtu: podMtu }) : undefined;
    const routing = v
      ? { kind: 'vxlan' as const, vxlan: v }
      : { kind: 'bgp' as const, asNumber: config.asNumber, mesh: config.nodeToNodeMesh, peers: [], peers6: peers6(n), routerId: hashRouterId(n.name) };
    return {
      routes: v ? vxlan6Routes(v) : [],
      conflist: conflist6(lab, n.name, blocks6, ipamDir, podMtu, n.hostPorts, borrowed6(i)),
      data: {
        type: 'calico' as const,
        // No IPv4 pool, block, or borrowed address: the IPv6 pool is under `ipv6`.
        pools: [],
        selected: [],
        strictAffinity: config.strictAffinity,
        blocks: [],
        borrowed: [],
        workloads: pods.filter((p) => p.node === i).map((p) => ({ pod: p.name, namespace: p.namespace, ip: p.ip6!, ip6: p.ip6!, hostVeth: hostVethName(p.namespace, p.name) })),
        routing,
        ipv6: {
          ip: n.ipv6!.ip,
          pools: pools6,
          selected: [...selected6[i]!],
          blocks: blocks6.map(formatPrefix),
          borrowed: borrowed6(i),
          only: true as const,
        },
      },
    };
  });
}
