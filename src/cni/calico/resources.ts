/**
 * A Calico lab as Calico's own datastore holds it in a Kubernetes cluster (the Kubernetes
 * datastore: CRDs of crd.projectcalico.org/v1, which calicoctl reads as projectcalico.org/v3): its
 * IPPools, the BlockAffinities that tie each block to its node, and the IPAM blocks with their
 * allocations, from which `calicoctl ipam show` counts what is in use. Pure: from the plan's Calico
 * data of each node (its pools, the blocks it holds and its VXLAN tunnel addresses, as the run-time
 * IPAM keeps them in the live state) and the addresses of the pods running now.
 *
 * Lists come in name order, as the API server lists objects (by their key in etcd), so blocks are
 * in the order of their names (`10-244-0-128-26` before `10-244-0-64-26`), as calicoctl shows them.
 */
import { contains, parseAddr, parsePrefix, sizeOf } from '../../net/addr.ts';
import type { CalicoNode, CalicoPool } from './index.ts';

/** A node of the plan as these views read it. */
export interface CalicoResourceNode {
  name: string;
  cni: CalicoNode;
}

/** A pod running now, with its addresses (one per family). */
export interface RunningPod {
  name: string;
  namespace: string;
  node: string;
  ips: readonly string[];
}

/**
 * An IPPool's spec as calico-node creates a default pool and the API defaults it
 * (api/pkg/apis/projectcalico/v3/ippool.go), in the struct's field order (calicoctl's JSON keeps
 * it); false booleans are left out (`omitempty`).
 */
export interface IPPoolSpec {
  cidr: string;
  vxlanMode: 'Always' | 'Never';
  ipipMode: 'Never';
  natOutgoing?: true;
  disabled?: true;
  blockSize: number;
  nodeSelector: string;
  allowedUses: ['Workload', 'Tunnel'];
}

/** A BlockAffinity's spec (libcalico-go's BlockAffinitySpec): `deleted` is a string, for older releases. */
export interface BlockAffinitySpec {
  state: 'confirmed';
  node: string;
  cidr: string;
  deleted: 'false';
}

/** What an address of a block is allocated to (libcalico-go's IPAM attributes: the node that asked, a pod or a tunnel). */
export interface Allocation {
  ip: string;
  /** The node that allocated it: the block's own, or a node that borrowed it. */
  node: string;
  type: 'pod' | 'vxlanTunnelAddress' | 'vxlanV6TunnelAddress';
  /** `namespace/pod` for a pod. */
  allocatedTo?: string;
}

export interface IpamBlock {
  cidr: string;
  /** The node the block is affine to. */
  node: string;
  capacity: number;
  allocations: Allocation[];
}

/** One pool's row of `calicoctl ipam show` and, with --show-blocks, its blocks' rows. */
export interface PoolUsage {
  name: string;
  cidr: string;
  capacity: number;
  inUse: number;
  blocks: { cidr: string; capacity: number; inUse: number }[];
}

/** An allocation in a block affine to another node than the one that allocated it (`calicoctl ipam show --show-borrowed`). */
export interface BorrowedIp {
  ip: string;
  borrowingNode: string;
  block: string;
  blockOwner: string;
  type: Allocation['type'];
  allocatedTo: string;
}

/** Byte order, as etcd orders keys (not the locale's). */
const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * A CIDR as Calico names objects after it (libcalico-go's names.CIDRToName): the first three '.',
 * up to seven ':' and the '/' become '-' (10.244.0.64/26 → 10-244-0-64-26).
 */
export function cidrToName(cidr: string): string {
  let dots = 0;
  let colons = 0;
  let slash = false;
  return [...cidr]
    .map((c) => {
      if (c === '.' && dots < 3) return (dots++, '-');
      if (c === ':' && colons < 7) return (colons++, '-');
      if (c === '/' && !slash) return ((slash = true), '-');
      return c;
    })
    .join('');
}

/** A BlockAffinity's name, as the Kubernetes datastore names it: `<node>-<block as a name>`. */
export const affinityName = (node: string, cidr: string) => `${node}-${cidrToName(cidr)}`;

function poolSpec(p: CalicoPool): IPPoolSpec {
  return {
    cidr: p.cidr,
    vxlanMode: p.encapsulation === 'VXLAN' ? 'Always' : 'Never',
    ipipMode: 'Never',
    ...(p.natOutgoing ? { natOutgoing: true as const } : {}),
    ...(p.disabled ? { disabled: true as const } : {}),
    blockSize: p.blockSize,
    nodeSelector: p.nodeSelector,
    allowedUses: ['Workload', 'Tunnel'],
  };
}

/** Every IP pool of the lab, IPv4 and IPv6, in name order. */
export function ipPools(nodes: readonly CalicoResourceNode[]): { name: string; spec: IPPoolSpec }[] {
  const first = nodes[0]?.cni;
  if (!first) return [];
  return [...first.pools, ...(first.ipv6?.pools ?? [])].map((p) => ({ name: p.name, spec: poolSpec(p) })).sort(byName);
}

/** One BlockAffinity per block a node holds (its borrowed addresses are none: they stay in the lender's block). */
export function blockAffinities(nodes: readonly CalicoResourceNode[]): { name: string; spec: BlockAffinitySpec }[] {
  return nodes
    .flatMap((n) => [...n.cni.blocks, ...(n.cni.ipv6?.blocks ?? [])].map((cidr) => ({ name: affinityName(n.name, cidr), spec: { state: 'confirmed' as const, node: n.name, cidr, deleted: 'false' as const } })))
    .sort(byName);
}

/**
 * The IPAM blocks and what each address is allocated to: every running pod's address (in the
 * block it lies in, whichever node's it is) and each node's VXLAN tunnel addresses, which Calico's
 * IPAM hands out too. Reserved addresses (exhaust-block, as an IPReservation) are not allocations.
 */
export function ipamBlocks(nodes: readonly CalicoResourceNode[], pods: readonly RunningPod[]): IpamBlock[] {
  const blocks = nodes.flatMap((n) =>
    [...n.cni.blocks, ...(n.cni.ipv6?.blocks ?? [])].map((cidr) => ({ cidr, prefix: parsePrefix(cidr)!, node: n.name, allocations: [] as (Allocation & { value: bigint })[] })),
  );
  const allocate = (ip: string, a: Omit<Allocation, 'ip'>) => {
    const addr = parseAddr(ip);
    const b = addr && blocks.find((x) => contains(x.prefix, addr));
    if (b && addr) b.allocations.push({ ip, ...a, value: addr.value });
  };
  for (const n of nodes) {
    const tunnels = [...(n.cni.routing.kind === 'vxlan' ? [n.cni.routing.vxlan.address] : []), ...(n.cni.ipv6?.vxlan ? [n.cni.ipv6.vxlan.address] : [])];
    for (const t of new Set(tunnels)) allocate(t, { node: n.name, type: t.includes(':') ? 'vxlanV6TunnelAddress' : 'vxlanTunnelAddress' });
  }
  for (const p of pods) for (const ip of p.ips) allocate(ip, { node: p.node, type: 'pod', allocatedTo: `${p.namespace}/${p.name}` });
  return blocks
    .map((b) => ({ name: cidrToName(b.cidr), cidr: b.cidr, node: b.node, capacity: Number(sizeOf(b.prefix)), allocations: b.allocations.sort((x, y) => (x.value < y.value ? -1 : 1)).map(({ value: _, ...a }) => a) }))
    .sort(byName)
    .map(({ name: _, ...b }) => b);
}

/**
 * `calicoctl ipam show`'s figures (libcalico-go's GetUtilization): per pool in name order its size
 * and the addresses in use in its blocks; each block counted in the first pool it overlaps.
 */
export function poolUsage(nodes: readonly CalicoResourceNode[], blocks: readonly IpamBlock[]): PoolUsage[] {
  const pools = ipPools(nodes).map((p) => ({ name: p.name, cidr: p.spec.cidr, prefix: parsePrefix(p.spec.cidr)!, blocks: [] as PoolUsage['blocks'] }));
  for (const b of blocks) {
    const prefix = parsePrefix(b.cidr)!;
    const pool = pools.find((p) => p.prefix.family === prefix.family && (contains(p.prefix, { family: prefix.family, value: prefix.network }) || contains(prefix, { family: p.prefix.family, value: p.prefix.network })));
    pool?.blocks.push({ cidr: b.cidr, capacity: b.capacity, inUse: b.allocations.length });
  }
  return pools.map((p) => ({ name: p.name, cidr: p.cidr, capacity: Number(sizeOf(p.prefix)), inUse: p.blocks.reduce((s, b) => s + b.inUse, 0), blocks: p.blocks }));
}

/** The allocations made by another node than the block's (`calicoctl ipam show --show-borrowed`), block by block. */
export function borrowedIps(blocks: readonly IpamBlock[]): BorrowedIp[] {
  return blocks.flatMap((b) =>
    b.allocations.filter((a) => a.node !== b.node).map((a) => ({ ip: a.ip, borrowingNode: a.node, block: b.cidr, blockOwner: b.node, type: a.type, allocatedTo: a.allocatedTo ?? '' })),
  );
}

/**
 * The annotations calico-node writes on its Kubernetes Node (libcalico-go's k8s node client): the
 * node's address on the node network with its prefix, per family (`nodeCidrs`: the node
 * network's CIDRs), and with VXLAN its tunnel address and VTEP MAC.
 */
export function nodeAnnotations(node: CalicoResourceNode & { ips: readonly string[] }, nodeCidrs: readonly string[]): Record<string, string> {
  const bits = (addr: string) => nodeCidrs.find((c) => c.includes(':') === addr.includes(':'))?.split('/')[1];
  const out: Record<string, string> = {};
  for (const a of node.ips) out[`projectcalico.org/${a.includes(':') ? 'IPv6' : 'IPv4'}Address`] = `${a}/${bits(a) ?? (a.includes(':') ? 128 : 32)}`;
  const vteps = [...(node.cni.routing.kind === 'vxlan' ? [node.cni.routing.vxlan] : []), ...(node.cni.ipv6?.vxlan ? [node.cni.ipv6.vxlan] : [])];
  for (const v of vteps) {
    const six = v.address.includes(':');
    out[`projectcalico.org/${six ? 'IPv6' : 'IPv4'}VXLANTunnelAddr`] = v.address;
    out[`projectcalico.org/VXLANTunnelMACAddr${six ? 'V6' : ''}`] = v.mac;
  }
  return out;
}
