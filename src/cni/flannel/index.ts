/**
 * flannel's VXLAN backend, as flanneld builds it: pods on each node's cni0 bridge; per family one
 * VTEP per node, no learning, holding the slice's network address (/32, or /128 in IPv6); per peer
 * a permanent neighbour entry (peer VTEP address → its MAC), an FDB entry (that MAC → the peer's
 * node address) and a route to the peer's slice via its VTEP address, onlink.
 *
 * IPv4 rides `flannel.<vni>` between the nodes' IPv4 addresses. IPv6 rides a device of its own,
 * `flannel-v6.<vni>` (flanneld's `RegisterNetwork` with EnableIPv6): the same VNI and UDP port,
 * its `local` and every FDB `dst` the nodes' IPv6 addresses (IPv6 outer headers), a VTEP MAC of
 * its own (flanneld publishes it apart, as the lease's BackendV6Data), and an MTU 70 below the
 * link's. A dual-stack node has both devices; an IPv6-only node has `flannel-v6.<vni>` alone.
 */
import { FLANNEL, IFNAME_MAX, POD_BRIDGE } from '../../constants.ts';
import * as ip from '../../net/ipv4.ts';
import { macFor } from '../../plan/names.ts';
import { bridgeConflist } from '../bridge.ts';
import { formatAddr, formatPrefix, type Prefix } from '../../net/addr.ts';

const network6 = (p: Prefix) => formatAddr({ family: 'IPv6', value: p.network });
import { bridgePodLink, sliceAddresses } from '../slices.ts';
import type { CniMode, CniNodeInput } from '../types.ts';
import type { flannelSchema } from './schema.ts';

export interface FlannelConfig {
  type: 'flannel';
  vni: number;
  port: number;
}

/** One VXLAN device of a node (a VTEP) and what it knows of its peers. */
export interface FlannelVtep {
  /** `flannel.<vni>` (IPv4 outer headers) or `flannel-v6.<vni>` (IPv6 outer headers). */
  dev: string;
  vni: number;
  port: number;
  mac: string;
  mtu: number;
  /** flannel gives the device its pod slice's network address, as a /32 (IPv4) or a /128 (IPv6). */
  address: string;
  /** Per peer: its node address (the FDB entry's `dst`), its VTEP MAC, and its VTEP address (the neighbour entry, the routes' next hop). */
  peers: { node: string; nodeIp: string; mac: string; gateway: string }[];
}

export interface FlannelNode {
  type: 'flannel';
  /** The VTEP of the family podlab wires with: `flannel.<vni>`, or in an IPv6-only lab `flannel-v6.<vni>`. */
  vxlan: FlannelVtep;
  /** A dual-stack lab: the IPv6 VTEP, `flannel-v6.<vni>`, beside `flannel.<vni>`. */
  vxlan6?: FlannelVtep;
}

/** The VTEPs of a node, IPv4's first. */
export const vteps = (d: FlannelNode): FlannelVtep[] => [d.vxlan, ...(d.vxlan6 ? [d.vxlan6] : [])];

/** The node address a VTEP's packets leave from (its `local`): the node's address of the VTEP's family. */
export const localOf = (node: { ip: string; ips?: readonly string[] }, v: FlannelVtep) => (node.ips ?? [node.ip]).find((a) => a.includes(':') === v.address.includes(':')) ?? node.ip;

/** flanneld's device names: `flannel.<vni>` carries IPv4, `flannel-v6.<vni>` IPv6. */
export const vtepName = (vni: number, family: 'IPv4' | 'IPv6') => (family === 'IPv6' ? `flannel-v6.${vni}` : `flannel.${vni}`);

export const flannel: CniMode<'flannel', typeof flannelSchema, FlannelConfig, FlannelNode> = {
  type: 'flannel',
  nodeSlices: true,
  validate: (config, lab) => {
    // flanneld names the IPv6 VTEP flannel-v6.<vni>: 11 bytes before the VNI, and Linux allows 15.
    const dev6 = vtepName(config.vni, 'IPv6');
    if (!lab.ipFamilies?.includes('IPv6') || Buffer.byteLength(dev6) <= IFNAME_MAX) return [];
    return [{
      code: 'PL2425',
      path: ['vni'],
      message: `in a lab with IPv6 flannel names its IPv6 VXLAN device "${dev6}" (${Buffer.byteLength(dev6)} bytes), as flanneld does; Linux allows at most ${IFNAME_MAX}`,
      hint: 'Use a VNI of at most 4 digits (≤ 9999) with IPv6, e.g. the default 1.',
    }];
  },
  addressPods: sliceAddresses,
  normalize: (spec) => ({ type: 'flannel', vni: spec?.vni || FLANNEL.vni, port: spec?.port || FLANNEL.port }),
  planNodes: ({ lab, config, nodes, ipamDir, mtu }) => {
    const dev = vtepName(config.vni, 'IPv4');
    const dev6 = vtepName(config.vni, 'IPv6');
    // flanneld hands the pods (FLANNEL_MTU) the link's MTU less IPv4's 50 bytes of VXLAN, in every family.
    const podMtu = mtu - FLANNEL.overhead;
    // flanneld asks for that MTU on flannel-v6 too; the kernel's VXLAN driver caps an IPv6 VTEP at
    // 70 below its link (VXLAN6_HEADROOM: the outer IPv6 header is 40 bytes, IPv4's 20).
    const mtu6 = mtu - FLANNEL.overhead6;
    const vtepMac = (node: string) => macFor(`${lab}/vtep/${node}`);
    // flanneld makes each device its own MAC: the IPv6 VTEP's is not the IPv4 one's.
    const vtepMac6 = (node: string) => macFor(`${lab}/vtep6/${node}`);
    return nodes.map((n) => {
      const others = nodes.filter((o) => o.name !== n.name);
      const v6 = (o: CniNodeInput) => o.ipv6!;
      const vtep6 = (): FlannelVtep => ({
        dev: dev6,
        vni: config.vni,
        port: config.port,
        mac: vtepMac6(n.name),
        mtu: mtu6,
        address: network6(v6(n).slice),
        peers: others.map((o) => ({ node: o.name, nodeIp: v6(o).ip, mac: vtepMac6(o.name), gateway: network6(v6(o).slice) })),
      });
      const routes6 = () => others.map((o) => ({ dst: formatPrefix(v6(o).slice), via: network6(v6(o).slice), dev: dev6, onlink: true }));
      // An IPv6-only lab: flannel-v6.<vni> alone. Its pods get the IPv6 VTEP's MTU (see docs/dual-stack.md).
      if (n.ipv6?.only) return { routes: routes6(), conflist: bridgeConflist(lab, n, ipamDir, mtu6, POD_BRIDGE), data: { type: 'flannel' as const, vxlan: vtep6() } };
      return {
        routes: [...others.map((o) => ({ dst: ip.formatCidr(o.slice), via: ip.formatIp(o.slice.network), dev, onlink: true })), ...(n.ipv6 ? routes6() : [])],
        conflist: bridgeConflist(lab, n, ipamDir, podMtu, POD_BRIDGE),
        data: {
          type: 'flannel' as const,
          vxlan: {
            dev,
            vni: config.vni,
            port: config.port,
            mac: vtepMac(n.name),
            mtu: podMtu,
            address: ip.formatIp(n.slice.network),
            peers: others.map((o) => ({ node: o.name, nodeIp: o.ip, mac: vtepMac(o.name), gateway: ip.formatIp(o.slice.network) })),
          },
          ...(n.ipv6 ? { vxlan6: vtep6() } : {}),
        },
      };
    });
  },
  kubeProxyNat: (_config, labNatOutgoing) => labNatOutgoing,
  masquerade: { short: "flanneld's --ip-masq", who: "flanneld's --ip-masq: traffic from the flannel network to outside it (the lab's natOutgoing)" },
  kernelFeatures: () => ['vxlan'],
  featureHints: { vxlan: 'The flannel CNI mode needs VXLAN (CONFIG_VXLAN). Use cni: "kubenet", which routes over the node network instead.' },
  nodeBatchLines: (node) => [
    '# flannel VXLAN backend: one VTEP per node, no learning; peers are programmed below as flannel does',
    '# (a neighbour entry for each peer\'s VTEP address, an FDB entry mapping its MAC to its node IP).',
    ...vteps(node.cni).flatMap((v) => {
      const six = v.address.includes(':');
      return [
        ...(six ? [`# ${v.dev}, flanneld's IPv6 VTEP: IPv6 outer headers between the nodes' IPv6 addresses, a MAC of its own, MTU 70 below the link's.`] : []),
        `link add name ${v.dev} address ${v.mac} mtu ${v.mtu} type vxlan id ${v.vni} local ${localOf(node, v)} dev ${node.iface} dstport ${v.port} nolearning`,
        six ? `address add ${v.address}/128 dev ${v.dev} nodad` : `address add ${v.address}/32 dev ${v.dev}`,
        `link set dev ${v.dev} up`,
        ...v.peers.map((p) => `neigh add ${p.gateway} lladdr ${p.mac} dev ${v.dev} nud permanent`),
      ];
    }),
  ],
  nodeFiles: (n) => [{ path: `ip/fdb-${n.name}.batch`, template: 'fdb.batch' }],
  nodeCommands: (n, dir) => [['bridge', '-n', n.netns, '-batch', `${dir}/ip/fdb-${n.name}.batch`]],
  nodeDaemons: () => [],
  nodeAddresses: (n) => vteps(n.cni).map((v) => v.address),
  interfaces: (n) => vteps(n.cni).map((v) => v.dev),
  topology: (node) => ({
    devices: vteps(node.cni).map((v) => ({ name: v.dev, detail: `VTEP ${v.address}/${v.address.includes(':') ? 128 : 32}, VNI ${v.vni}, MTU ${v.mtu}` })),
    links: vteps(node.cni).flatMap((v) => v.peers.map((p) => ({ peer: p.node, kind: 'tunnel' as const, device: v.dev, detail: `VXLAN VNI ${v.vni}, UDP ${v.port}: ${localOf(node, v)} ⇄ ${p.nodeIp}` }))),
  }),
  describe: (c) => ({ devices: 'VXLAN device, ', summary: ` (VXLAN VNI ${c.vni}, UDP ${c.port})`, ...bridgePodLink(POD_BRIDGE) }),
};
