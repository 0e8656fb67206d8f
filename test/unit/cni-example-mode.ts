import { z } from 'zod';
import * as ip from '../../src/net/ipv4.ts';
import { bridgeConflist } from '../../src/cni/bridge.ts';
import { bridgePodLink, sliceAddresses } from '../../src/cni/slices.ts';
import { POD_BRIDGE } from '../../src/constants.ts';
import type { CniMode } from '../../src/cni/types.ts';

// A built-in mode keeps this in src/cni/<mode>/schema.ts and lists it in src/cni/schemas.ts.
export const hostGwSchema = z.strictObject({
  type: z.literal('host-gw'),
  /** Pod MTU. @default 1500 */
  mtu: z.number().int().min(576).max(9000).optional(),
});

export interface HostGwConfig {
  type: 'host-gw';
  mtu: number;
}

export interface HostGwNode {
  type: 'host-gw';
  /** The peers this node routes to, for a reader of plan.json. */
  peers: string[];
}

/** flannel's host-gw backend: pods on cni0, a route to each peer's slice via the peer's node IP. */
export const hostGw: CniMode<'host-gw', typeof hostGwSchema, HostGwConfig, HostGwNode> = {
  type: 'host-gw',
  normalize: (spec) => ({ type: 'host-gw', mtu: spec?.mtu ?? 1500 }),
  nodeSlices: true,
  validate: () => [],
  addressPods: sliceAddresses,
  planNodes: ({ lab, config, nodes, ipamDir }) =>
    nodes.map((n) => {
      const peers = nodes.filter((o) => o.name !== n.name);
      return {
        routes: peers.map((o) => ({ dst: ip.formatCidr(o.slice), via: o.ip, dev: n.iface })),
        conflist: bridgeConflist(lab, n, ipamDir, config.mtu, POD_BRIDGE),
        data: { type: 'host-gw', peers: peers.map((o) => o.name) },
      };
    }),
  kubeProxyNat: (_config, labNatOutgoing) => labNatOutgoing,
  masquerade: { short: 'the example masquerade', who: "the example mode's masquerade (the lab's natOutgoing)" },
  kernelFeatures: () => [],
  featureHints: {},
  nodeBatchLines: (n) => [`# host-gw: this node routes to ${n.cni.peers.join(', ') || 'no peer'} over the node network.`],
  nodeFiles: () => [],
  nodeCommands: (n) => [['ip', '-n', n.netns, 'route', 'show']],
  nodeDaemons: () => [],
  nodeAddresses: () => [],
  interfaces: () => [],
  topology: (n, peers) => ({ devices: [], links: peers.map((o) => ({ peer: o.name, kind: 'route', device: n.iface, detail: `host-gw via ${o.ip}` })) }),
  describe: (c) => ({ devices: '', summary: ` (host-gw, pod MTU ${c.mtu})`, ...bridgePodLink(POD_BRIDGE) }),
};
