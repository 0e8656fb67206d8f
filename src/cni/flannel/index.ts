/**
 * flannel's VXLAN backend: pods on each node's cni0 bridge; one VTEP per node (`flannel.<vni>`,
 * no learning) holding the slice's network address as a /32; per peer a permanent neighbour
 * entry (peer VTEP address → its MAC) and an FDB entry (that MAC → the peer's node IP), and a
 * route to the peer's slice via its VTEP address, onlink — what flanneld programs. In a lab with
 * IPv6 the same VTEPs carry it too: an IPv6 address (the IPv6 slice's network address), a
 * neighbour entry and an onlink route per peer in IPv6 (flanneld makes a second device,
 * flannel-v6.<vni>, with IPv6 outer headers; podlab's node network is IPv4 underneath).
 */
import { z } from 'zod';
import { FLANNEL } from '../../constants.ts';
import * as ip from '../../net/ipv4.ts';
import { macFor } from '../../plan/names.ts';
import { port } from '../../schema/fields.ts';
import { bridgeConflist } from '../bridge.ts';
import { formatAddr, formatPrefix, type Prefix } from '../../net/addr.ts';

const network6 = (p: Prefix) => formatAddr({ family: 'IPv6', value: p.network });
import { BRIDGE_POD_LINK, sliceAddresses } from '../slices.ts';
import type { CniMode, CniNodeInput } from '../types.ts';

const schema = z.strictObject({
  type: z.literal('flannel'),
  /** VXLAN network identifier. @default 1 */
  vni: z.number().int().min(1).max(16777215).optional(),
  /** VXLAN UDP port. @default 8472 */
  port: port.optional(),
});

export interface FlannelConfig {
  type: 'flannel';
  vni: number;
  port: number;
}

export interface FlannelNode {
  type: 'flannel';
  vxlan: {
    dev: string;
    vni: number;
    port: number;
    mac: string;
    mtu: number;
    /** flannel gives the VXLAN device the pod slice's network address as a /32. */
    address: string;
    /** In a lab with IPv6: the IPv6 slice's network address, as a /128 (IPv6 rides the same VTEPs). */
    address6?: string;
    peers: { node: string; nodeIp: string; mac: string; gateway: string; gateway6?: string }[];
  };
}

export const flannel: CniMode<'flannel', typeof schema, FlannelConfig, FlannelNode> = {
  type: 'flannel',
  schema,
  nodeSlices: true,
  validate: () => [],
  addressPods: sliceAddresses,
  normalize: (spec) => ({ type: 'flannel', vni: spec?.vni || FLANNEL.vni, port: spec?.port || FLANNEL.port }),
  planNodes: ({ lab, config, nodes, ipamDir, mtu }) => {
    const dev = `flannel.${config.vni}`;
    const podMtu = mtu - FLANNEL.overhead;
    const vtepMac = (node: string) => macFor(`${lab}/vtep/${node}`);
    return nodes.map((n) => {
      const others = nodes.filter((o) => o.name !== n.name);
      // An IPv6-only lab: the VTEPs speak IPv6 alone, outer headers included (flanneld's IPv6 backend).
      if (n.ipv6?.only) return planIPv6Only(lab, config, n, others, ipamDir, mtu - FLANNEL.overhead6, vtepMac);
      return {
        routes: others.flatMap((o) => [
          { dst: ip.formatCidr(o.slice), via: ip.formatIp(o.slice.network), dev, onlink: true },
          // IPv6 pod traffic through the same VXLAN devices: the peer's IPv6 slice via its VTEP's IPv6 address.
          ...(o.ipv6 ? [{ dst: formatPrefix(o.ipv6.slice), via: network6(o.ipv6.slice), dev, onlink: true }] : []),
        ]),
        conflist: bridgeConflist(lab, n, ipamDir, podMtu),
        data: {
          type: 'flannel',
          vxlan: {
            dev,
            vni: config.vni,
            port: config.port,
            mac: vtepMac(n.name),
            mtu: podMtu,
            address: ip.formatIp(n.slice.network),
            ...(n.ipv6 ? { address6: network6(n.ipv6.slice) } : {}),
            peers: others.map((o) => ({ node: o.name, nodeIp: o.ip, mac: vtepMac(o.name), gateway: ip.formatIp(o.slice.network), ...(o.ipv6 ? { gateway6: network6(o.ipv6.slice) } : {}) })),
          },
        },
      };
    });
  },
  kubeProxyNat: (_config, labNatOutgoing) => labNatOutgoing,
  kernelFeatures: () => ['vxlan'],
  featureHints: { vxlan: 'The flannel CNI mode needs VXLAN (CONFIG_VXLAN). Use cni: "kubenet", which routes over the node network instead.' },
  nodeBatchLines: ({ ip: nodeIp, iface, cni: { vxlan: v } }) => [
    '# flannel VXLAN backend: one VTEP per node, no learning; peers are programmed below as flannel does',
    '# (a neighbour entry for each peer\'s VTEP address, an FDB entry mapping its MAC to its node IP).',
    `link add name ${v.dev} address ${v.mac} mtu ${v.mtu} type vxlan id ${v.vni} local ${nodeIp} dev ${iface} dstport ${v.port} nolearning`,
    v.address.includes(':') ? `address add ${v.address}/128 dev ${v.dev} nodad` : `address add ${v.address}/32 dev ${v.dev}`,
    ...(v.address6 ? [`address add ${v.address6}/128 dev ${v.dev} nodad`] : []),
    `link set dev ${v.dev} up`,
    ...v.peers.map((p) => `neigh add ${p.gateway} lladdr ${p.mac} dev ${v.dev} nud permanent`),
    ...v.peers.flatMap((p) => (p.gateway6 ? [`neigh add ${p.gateway6} lladdr ${p.mac} dev ${v.dev} nud permanent`] : [])),
  ],
  nodeFiles: (n) => [{ path: `ip/fdb-${n.name}.batch`, template: 'fdb.batch' }],
  nodeCommands: (n, dir) => [['bridge', '-n', n.netns, '-batch', `${dir}/ip/fdb-${n.name}.batch`]],
  nodeDaemons: () => [],
  nodeAddresses: (n) => [n.cni.vxlan.address, ...(n.cni.vxlan.address6 ? [n.cni.vxlan.address6] : [])],
  interfaces: (n) => [n.cni.vxlan.dev],
  topology: ({ ip: nodeIp, cni: { vxlan: v } }) => ({
    devices: [{ name: v.dev, detail: `VTEP ${v.address}/${v.address.includes(':') ? 128 : 32}, VNI ${v.vni}, MTU ${v.mtu}` }],
    links: v.peers.map((p) => ({ peer: p.node, kind: 'tunnel', device: v.dev, detail: `VXLAN VNI ${v.vni}, UDP ${v.port}: ${nodeIp} ⇄ ${p.nodeIp}` })),
  }),
  describe: (c) => ({ devices: 'VXLAN device, ', summary: ` (VXLAN VNI ${c.vni}, UDP ${c.port})`, ...BRIDGE_POD_LINK }),
};

/**
 * A node of an IPv6-only lab: its VTEP holds its IPv6 slice's network address (/128), the VXLAN
 * packets travel between the nodes' IPv6 addresses (`local`, and each FDB entry's `dst`), and the
 * routes and neighbour entries are IPv6 alone. flanneld names that device `flannel-v6.<vni>`;
 * podlab keeps `flannel.<vni>` (one VTEP per node in every family setup, a name within 15 bytes).
 */
function planIPv6Only(lab: string, config: FlannelConfig, n: CniNodeInput, others: readonly CniNodeInput[], ipamDir: string, podMtu: number, vtepMac: (node: string) => string) {
  const dev = `flannel.${config.vni}`;
  return {
    routes: others.map((o) => ({ dst: formatPrefix(o.ipv6!.slice), via: network6(o.ipv6!.slice), dev, onlink: true })),
    conflist: bridgeConflist(lab, n, ipamDir, podMtu),
    data: {
      type: 'flannel' as const,
      vxlan: {
        dev,
        vni: config.vni,
        port: config.port,
        mac: vtepMac(n.name),
        mtu: podMtu,
        address: network6(n.ipv6!.slice),
        peers: others.map((o) => ({ node: o.name, nodeIp: o.ipv6!.ip, mac: vtepMac(o.name), gateway: network6(o.ipv6!.slice) })),
      },
    },
  };
}
