/**
 * The conflist of the bridge-based modes (kubenet and flannel): the CNI `bridge` plugin with
 * `host-local` IPAM over the node's slice, and `portmap` chained only on nodes where a pod asks
 * for a hostPort. The same list a kubelet's kubenet or flannel's CNI plugin delegates to.
 */
import { CNI_VERSION, POD_BRIDGE } from '../constants.ts';
import * as ip from '../net/ipv4.ts';
import type { CniConflist, CniNodeInput } from './types.ts';

export function bridgeConflist(lab: string, node: CniNodeInput, ipamDir: string, mtu: number): CniConflist {
  return {
    cniVersion: CNI_VERSION,
    name: `podlab-${lab}`,
    plugins: [
      {
        type: 'bridge',
        bridge: POD_BRIDGE,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: ip.formatCidr(node.slice), gateway: node.podGateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: `${ipamDir}/${node.name}`,
        },
      },
      // hostPort: the portmap plugin DNATs node-IP:hostPort to the pod (only where a pod asks for one).
      ...(node.hostPorts ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
    ],
  };
}
