/**
 * Pod addresses of the slice-based modes (kubenet, flannel): node N holds slice N of podCidr
 * (`CniNodeInput.slice`), its gateway is the slice's .1, and its pods get .2, .3, … in plan order.
 */
import * as ip from '../net/ipv4.ts';
import type { CniAddresses, CniAddressInput } from './types.ts';

/** The first host number a pod gets in its node's slice (.1 is the pod gateway on the pod bridge). */
const FIRST_POD_HOST = 2;

export function sliceAddresses({ nodes, pods }: CniAddressInput<unknown>): CniAddresses {
  const next = nodes.map(() => FIRST_POD_HOST);
  return {
    pods: pods.map((p) => ip.formatIp(ip.nth(nodes[p.node]!.slice, next[p.node]!++))),
    nodeCidrs: nodes.map((n) => [n.slice]),
    nodeGateways: nodes.map((n) => n.podGateway),
  };
}

/** What a bridge-based mode's pods hang off (its bridge's name), for topology.md and the node's batch. */
export const bridgePodLink = (bridge: string) => ({ podLink: bridge, podLinkText: `${bridge} bridge that the CNI bridge plugin creates with the first pod.` });
