/**
 * What `podlab calicoctl` prints, pure: calicoctl's own output (Calico v3.29, the last release
 * whose tables match the columns Calico courses show) for `node status`, `get ippool` and `ipam
 * show`, from recorded BIRD output and the lab's Calico resources (cni/calico/resources.ts).
 * Sources followed: calicoctl/calicoctl/commands/node/status.go (the BIRD parse and the peer
 * table), commands/ipam/show.go (utilization and borrowed addresses), resourcemgr/ippool.go with
 * commands/common/printer.go (the IPPool columns and the tabwriter), libcalico-go's ipam.go
 * (GetUtilization).
 */
import { parseAddr } from '../net/addr.ts';
import { goG, goRound, tablewriterBox, tabwriterColumns } from '../lib/go-tables.ts';
import type { BorrowedIp, PoolUsage } from '../cni/calico/resources.ts';
import type { K8sObject } from '../api/types.ts';

/** A BGP peer as calicoctl lists it. */
export interface CalicoctlPeer {
  peerAddress: string;
  peerType: 'node-to-node mesh' | 'global' | 'node specific';
  state: string;
  since: string;
  /** The BGP state and BIRD's further info: `Established`, `Active Socket: Connection refused`. */
  info: string;
}

/** One node's `calicoctl node status`: whether its Calico runs, whether BIRD answers, and its peers per family. */
export interface NodeStatus {
  node: string;
  ip: string;
  /** calico-node runs: in podlab, the node's namespace is there. */
  calicoRunning: boolean;
  /** BIRD answered on the node's control socket (a VXLAN lab runs none). */
  birdRunning: boolean;
  ipv4: CalicoctlPeer[];
  ipv6: CalicoctlPeer[];
}

/** calicoctl's bgpPeerRegex and bgpTypeMap: the protocols Calico's templates name, and how it shows their kind. */
const PEER_NAME = /^(Global|Node|Mesh)_(.+)$/;
const PEER_TYPES = { Global: 'global', Mesh: 'node-to-node mesh', Node: 'node specific' } as const;

/**
 * The BGP peers in `birdc show protocols` output, as calicoctl's scanBIRDPeers reads Calico's BIRD:
 * a row of at least six columns, protocol BGP, named Mesh_/Node_/Global_<address with '_'>. Calico
 * runs `bird` and `bird6`; podlab's one BIRD 2 holds both families, so a peer is IPv4 when its name
 * reads as an IPv4 address, else IPv6. BIRD 2 writes `since` to the millisecond
 * (`05:19:34.332`), BIRD 1.6 (Calico's) to the second: the fraction is dropped.
 */
export function calicoctlPeers(birdOutput: string): { ipv4: CalicoctlPeer[]; ipv6: CalicoctlPeer[] } {
  const out = { ipv4: [] as CalicoctlPeer[], ipv6: [] as CalicoctlPeer[] };
  for (const line of birdOutput.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 6 || cols[1] !== 'BGP') continue;
    const m = PEER_NAME.exec(cols[0]!);
    if (!m) continue;
    const v4 = m[2]!.replaceAll('_', '.');
    const ipv4 = parseAddr(v4)?.family === 'IPv4';
    const peer: CalicoctlPeer = { peerAddress: ipv4 ? v4 : m[2]!.replaceAll('_', ':'), peerType: PEER_TYPES[m[1] as keyof typeof PEER_TYPES], state: cols[3]!, since: cols[4]!.replace(/\.\d+$/, ''), info: cols.slice(5).join(' ') };
    out[ipv4 ? 'ipv4' : 'ipv6'].push(peer);
  }
  return out;
}

/** `calicoctl node status` on one node, as it prints it (its trailing blank line included). */
export function nodeStatusText(s: NodeStatus): string {
  if (!s.calicoRunning) return 'Calico process is not running.\n';
  let out = 'Calico process is running.\n';
  if (!s.birdRunning) out += '\nThe BGP backend process (BIRD) is not running.\n';
  else
    for (const [v, peers] of [['4', s.ipv4], ['6', s.ipv6]] as const) {
      out += `\nIPv${v} BGP status\n`;
      out += peers.length ? tablewriterBox(['Peer address', 'Peer type', 'State', 'Since', 'Info'], peers.map((p) => [p.peerAddress, p.peerType, p.state, p.since, p.info])) : `No IPv${v} peers found.\n`;
    }
  return `${out}\n`;
}

/** calicoctl's IPPool columns (resourcemgr/ippool.go, v3.29): NAME, CIDR, SELECTOR; -o wide the rest. */
const POOL_HEADINGS = ['NAME', 'CIDR', 'SELECTOR'];
const POOL_HEADINGS_WIDE = ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR'];

/** `calicoctl get ippool [-o wide]`: a tabwriter table and the blank line calicoctl leaves after it. */
export function ipPoolTable(pools: readonly K8sObject[], wide: boolean): string {
  const cell = (o: K8sObject, h: string): string => {
    const spec = o.spec as { cidr: string; natOutgoing?: boolean; ipipMode?: string; vxlanMode?: string; disabled?: boolean; disableBGPExport?: boolean; nodeSelector?: string };
    switch (h) {
      case 'NAME':
        return o.metadata.name;
      case 'CIDR':
        return spec.cidr;
      case 'NAT':
        return String(!!spec.natOutgoing);
      case 'IPIPMODE':
        return spec.ipipMode || 'Never';
      case 'VXLANMODE':
        return spec.vxlanMode || 'Never';
      case 'DISABLED':
        return String(!!spec.disabled);
      case 'DISABLEBGPEXPORT':
        return String(!!spec.disableBGPExport);
      default:
        return spec.nodeSelector ?? '';
    }
  };
  const headings = wide ? POOL_HEADINGS_WIDE : POOL_HEADINGS;
  return `${tabwriterColumns([headings, ...pools.map((o) => headings.map((h) => cell(o, h)))])}\n`;
}

/**
 * An IPPool as calicoctl shows it: the CRD object converted to projectcalico.org/v3 (the same
 * name, uid, resourceVersion and creation time; no generation), keys in the Go structs' order.
 */
export function asV3(o: K8sObject): K8sObject {
  const m = o.metadata as { name: string; uid?: string; resourceVersion?: string; creationTimestamp?: string };
  return { kind: o.kind, apiVersion: 'projectcalico.org/v3', metadata: { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp }, spec: o.spec } as K8sObject;
}

/** calicoctl's list of them (IPPoolList): what `get ippool -o yaml|json` prints without a name. */
export function v3List(kind: string, items: readonly K8sObject[], resourceVersion: string): K8sObject {
  return { kind: `${kind}List`, apiVersion: 'projectcalico.org/v3', metadata: { resourceVersion } as unknown as K8sObject['metadata'], items } as unknown as K8sObject;
}

/** A row of `calicoctl ipam show`: the kind, the CIDR, its size and what is in use and free, each with its share (`%.5g (%.f%%)`). */
function usageRow(kind: string, cidr: string, inUse: number, capacity: number): string[] {
  const share = (n: number) => `${goG(n)} (${goRound((100 * n) / capacity)}%)`;
  return [kind, cidr, goG(capacity), share(inUse), share(capacity - inUse)];
}

/** `calicoctl ipam show [--show-blocks]`: a row per IP pool and, with blocks, a row per block after its pool's. */
export function ipamShowText(usage: readonly PoolUsage[], showBlocks: boolean): string {
  const rows = usage.flatMap((p) => [usageRow('IP Pool', p.cidr, p.inUse, p.capacity), ...(showBlocks ? p.blocks.map((b) => usageRow('Block', b.cidr, b.inUse, b.capacity)) : [])]);
  return tablewriterBox(['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'], rows);
}

/** `calicoctl ipam show --show-borrowed`: each address a node took from another node's block. */
export function borrowedText(borrowed: readonly BorrowedIp[]): string {
  return tablewriterBox(['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO'], borrowed.map((b) => [b.ip, b.borrowingNode, b.block, b.blockOwner, b.type, b.allocatedTo]));
}
