/**
 * kubenet: pods on each node's cbr0 bridge (kubelet's kubenet names it so), and a route per other
 * node's pod CIDR via that node's address on the node network — the "routed" pod network of
 * kubenet on AKS, which works only where the node network delivers pod-addressed packets.
 */
import { KUBENET_BRIDGE } from '../../constants.ts';
import * as ip from '../../net/ipv4.ts';
import { formatPrefix } from '../../net/addr.ts';
import { bridgeConflist } from '../bridge.ts';
import { bridgePodLink, sliceAddresses } from '../slices.ts';
import type { CniMode } from '../types.ts';
import type { kubenetSchema } from './schema.ts';

export interface KubenetConfig {
  type: 'kubenet';
}

export interface KubenetNode {
  type: 'kubenet';
}

export const kubenet: CniMode<'kubenet', typeof kubenetSchema, KubenetConfig, KubenetNode> = {
  type: 'kubenet',
  nodeSlices: true,
  validate: () => [],
  addressPods: sliceAddresses,
  normalize: () => ({ type: 'kubenet' }),
  planNodes: ({ lab, nodes, ipamDir, mtu }) =>
    nodes.map((n) => ({
      routes: nodes
        .filter((o) => o.name !== n.name)
        .flatMap((o) => [
          ...(o.ipv6?.only ? [] : [{ dst: ip.formatCidr(o.slice), via: o.ip, dev: n.iface }]),
          // The same route in IPv6: the peer's IPv6 slice via its IPv6 node address.
          ...(o.ipv6 ? [{ dst: formatPrefix(o.ipv6.slice), via: o.ipv6.ip, dev: n.iface }] : []),
        ]),
      conflist: bridgeConflist(lab, n, ipamDir, mtu, KUBENET_BRIDGE),
      data: { type: 'kubenet' },
    })),
  kubeProxyNat: (_config, labNatOutgoing) => labNatOutgoing,
  // kubenet itself installs no masquerade: kubelet's (its --non-masquerade-cidr), or ip-masq-agent where a cluster runs it.
  masquerade: {
    short: "kubelet's masquerade",
    who: "kubelet's masquerade of pod traffic outside its --non-masquerade-cidr (the pod CIDR; ip-masq-agent's rule where a cluster runs it; the lab's natOutgoing)",
  },
  kernelFeatures: () => [],
  featureHints: {},
  nodeBatchLines: () => [],
  nodeFiles: () => [],
  nodeCommands: () => [],
  nodeDaemons: () => [],
  nodeAddresses: () => [],
  interfaces: () => [],
  topology: (n, peers) => ({ devices: [], links: peers.map((o) => ({ peer: o.name, kind: 'route', device: n.iface, detail: `routed over the node network: ${n.ip} ⇄ ${o.ip}` })) }),
  describe: () => ({ devices: '', summary: '', ...bridgePodLink(KUBENET_BRIDGE) }),
};
