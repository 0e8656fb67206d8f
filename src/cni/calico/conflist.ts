/**
 * The calico conflist a node's pods are wired with, in every family setup: podlab's calico plugin
 * (Calico's veth wiring) with its IPAM delegated to host-local (as Calico's own plugin can), one
 * range set per family of the lab, primary first, each the node's blocks of that family and a
 * range per lender block it borrowed from. Pure.
 */
import { CALICO, CNI_VERSION } from '../../constants.ts';
import { formatAddr, formatPrefix, nth, sizeOf, type Prefix } from '../../net/addr.ts';
import type { CniConflist } from '../types.ts';
import { lentRanges6 } from './pools6.ts';

export type HostLocalRange = { subnet: string; rangeStart: string; rangeEnd: string; gateway: string };

/** The IPv6 range set: the node's IPv6 blocks, then a range per block it borrowed IPv6 addresses from. */
export function rangeSet6(blocks: readonly Prefix[], borrowed: readonly { ip: string; block: string }[] = []): HostLocalRange[] {
  return [...blocks.map((b) => ({ subnet: formatPrefix(b), rangeStart: formatAddr(nth(b, 0)!), rangeEnd: formatAddr(nth(b, sizeOf(b) - 1n)!), gateway: CALICO.gateway6 })), ...lentRanges6(borrowed)];
}

/** The conflist: host-local hands out one address of each range set (one set per family), with a default route per family. */
export function calicoConflist(o: { lab: string; node: string; ipamDir: string; mtu: number; hostPorts: boolean; rangeSets: HostLocalRange[][]; routes: { dst: string }[] }): CniConflist {
  return {
    cniVersion: CNI_VERSION,
    name: `podlab-${o.lab}`,
    plugins: [
      {
        type: 'calico',
        nodename: o.node,
        mtu: o.mtu,
        ipam: { type: 'host-local', ranges: o.rangeSets, routes: o.routes, dataDir: `${o.ipamDir}/${o.node}` },
      },
      ...(o.hostPorts ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
    ],
  };
}
