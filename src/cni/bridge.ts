/**
 * The conflist of the bridge-based modes (kubenet and flannel): the CNI `bridge` plugin with
 * `host-local` IPAM over the node's slice, and `portmap` chained only on nodes where a pod asks
 * for a hostPort. The same list a kubelet's kubenet or flannel's CNI plugin delegates to; each mode
 * names its bridge as it does (kubenet cbr0, flannel cni0).
 */
import { CNI_VERSION } from '../constants.ts';
import * as ip from '../net/ipv4.ts';
import { formatPrefix } from '../net/addr.ts';
import type { CniConflist, CniNodeInput } from './types.ts';

/**
 * host-local's range sets: one per family (each top-level entry yields one address), primary
 * family first, as the bridge plugin's dual-stack conflist has them.
 */
function ranges(node: CniNodeInput): { subnet: string; gateway: string }[][] {
  const v4 = [{ subnet: ip.formatCidr(node.slice), gateway: node.podGateway }];
  if (!node.ipv6) return [v4];
  const v6 = [{ subnet: formatPrefix(node.ipv6.slice), gateway: node.ipv6.podGateway }];
  if (node.ipv6.only) return [v6];
  return node.ipv6.primary ? [v6, v4] : [v4, v6];
}

/** The pod bridge a node's conflist names (the CNI `bridge` plugin's `bridge`); none for a mode without one (Calico). */
export function podBridgeOf(node: { conflist: CniConflist }): string | undefined {
  const plugin = node.conflist.plugins.find((p) => p.type === 'bridge');
  return plugin ? String(plugin.bridge) : undefined;
}

export function bridgeConflist(lab: string, node: CniNodeInput, ipamDir: string, mtu: number, bridge: string): CniConflist {
  return {
    cniVersion: CNI_VERSION,
    name: `podlab-${lab}`,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu,
        ipam: {
          type: 'host-local',
          ranges: ranges(node),
          routes: node.ipv6?.only ? [{ dst: '::/0' }] : node.ipv6 ? [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] : [{ dst: '0.0.0.0/0' }],
          dataDir: `${ipamDir}/${node.name}`,
        },
      },
      // hostPort: the portmap plugin DNATs node-IP:hostPort to the pod (only where a pod asks for one).
      ...(node.hostPorts ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
    ],
  };
}
