/**
 * Calico's block IPAM, as the plan runs it: the IP pool is cut into blocks of `blockSize`; a node
 * claims the pool's next free block when it joins (for its VXLAN tunnel address, or its first pod)
 * and another whenever its blocks are full, so blocks are affine to nodes in the order they were
 * needed; a pod takes the next free address of its node's blocks, every address of a block included
 * (.0 and the last one are ordinary addresses inside a block). Pure: the plan is the single source
 * of addresses, and host-local on the node enforces them (the conflist's ranges are the node's blocks).
 */
import { contains, formatAddr, formatPrefix, nth, parsePrefix, sizeOf, subnet, widthOf, type Prefix } from '../../net/addr.ts';
import * as ip from '../../net/ipv4.ts';

/** An IP pool as the IPAM sees it: its CIDR (an ipv4.ts CIDR, or a net/addr.ts prefix of either family for `claimBlocks`), block size, whether new blocks may come from it, and which nodes it serves. */
export interface PoolInput<C = ip.Cidr> {
  cidr: C;
  blockSize: number;
  /** Calico's `disabled`: no new block is claimed from it (blocks it already gave stay). */
  disabled: boolean;
  /** By node index: whether the pool's nodeSelector selects the node. */
  selects: readonly boolean[];
}

export interface BlockInput<C = ip.Cidr> {
  /** The pools in the order a node tries them. */
  pools: readonly PoolInput<C>[];
  nodes: number;
  /** Pods with a network of their own, in plan order, by node index. */
  pods: readonly { node: number }[];
  /** VXLAN: each node's first address is its tunnel address (vxlan.calico, vxlan-v6.calico). */
  tunnel: boolean;
  /** Calico's strictAffinity: never take an address from another node's block. @default false */
  strictAffinity?: boolean;
}

export interface Blocks<C = ip.Cidr> {
  /** Each pod's address, in the order given; undefined when there is none (no pool has room for it). */
  pods: (string | undefined)[];
  /** Each node's blocks, in the order it claimed them. */
  blocks: C[][];
  /** Each node's tunnel address (VXLAN), else undefined. */
  tunnels: (string | undefined)[];
  /** Pods (by index in `pods`) whose address was borrowed from another node's block: that block and its node. */
  borrowed: { pod: number; block: C; from: number }[];
  /** Each pod's pool (index in `pools`), undefined without an address. */
  podPools: (number | undefined)[];
}

/** How many blocks of `blockSize` the pool holds. */
export function blockCount(pool: ip.Cidr, blockSize: number): number {
  return blockSize < pool.prefix ? 0 : 2 ** (blockSize - pool.prefix);
}

/** How many blocks of `blockSize` a pool of either family holds (none when the size does not fit it). */
export function blockCountOf(pool: Prefix, blockSize: number): bigint {
  return blockSize < pool.bits || blockSize > widthOf(pool.family) ? 0n : 1n << BigInt(blockSize - pool.bits);
}

/**
 * The plan's block IPAM over the pools of one family, either one (the arithmetic is net/addr.ts's):
 * claims blocks and hands out addresses. A node uses only the enabled pools that select it, in
 * their order: it joins by claiming a block of the first of them with a free block; a pod takes the
 * next free address of its node's blocks, else a new block (first pool with one free), else, when
 * no pool of the node has a free block, it borrows the next free address of another node's block in
 * one of those pools (the first such block in claim order), as Calico's IPAM does, unless
 * strictAffinity forbids it; then the pod has no address (validation reports it first: PL2153,
 * PL2183). VXLAN: once every node has joined, and before any pod, each node's tunnel address is the
 * first address of the block it joined with; a node that joined without one has no tunnel address
 * (it never claims or borrows one: its pools had no free block, and validation refuses the lab).
 * IPv4: `assignBlocks` below; IPv6: pools6.ts `assignBlocks6Pools`.
 */
export function claimBlocks({ pools, nodes, pods, tunnel, strictAffinity = false }: BlockInput<Prefix>): Blocks<Prefix> {
  // Every claimed block in claim order, with its pool, node and how many of its addresses are taken (in order).
  const claimed: { cidr: Prefix; pool: number; node: number; used: bigint; room: bigint }[] = [];
  const next = pools.map(() => 0n);
  const usable = (node: number) => pools.flatMap((p, i) => (!p.disabled && p.selects[node] ? [i] : []));
  const claim = (node: number) => {
    for (const i of usable(node)) {
      const p = pools[i]!;
      if (next[i]! >= blockCountOf(p.cidr, p.blockSize)) continue;
      const cidr = subnet(p.cidr, p.blockSize, next[i]!++)!;
      const b = { cidr, pool: i, node, used: 0n, room: sizeOf(cidr) };
      claimed.push(b);
      return b;
    }
    return undefined;
  };
  const take = (b: (typeof claimed)[number]) => formatAddr(nth(b.cidr, b.used++)!);
  // Each node joins in declaration order and claims its first block (as long as a pool of it has one).
  const own = Array.from({ length: nodes }, (_, n) => [claim(n)].filter((b) => b !== undefined));
  const tunnels = own.map((b) => (tunnel && b[0] ? take(b[0]) : undefined));
  const borrowed: Blocks<Prefix>['borrowed'] = [];
  const podPools: Blocks<Prefix>['podPools'] = [];
  const addresses = pods.map(({ node }, i) => {
    let block = own[node]!.find((b) => b.used < b.room) ?? claim(node);
    if (block && block.node === node && !own[node]!.includes(block)) own[node]!.push(block);
    if (!block && !strictAffinity) {
      const mine = new Set(usable(node));
      block = claimed.find((b) => b.node !== node && mine.has(b.pool) && b.used < b.room);
      if (block) borrowed.push({ pod: i, block: block.cidr, from: block.node });
    }
    podPools.push(block?.pool);
    return block ? take(block) : undefined;
  });
  return { pods: addresses, blocks: own.map((bs) => bs.map((b) => b.cidr)), tunnels, borrowed, podPools };
}

/** An ipv4.ts CIDR as a net/addr.ts prefix, and back. */
const toPrefix = (c: ip.Cidr): Prefix => ({ family: 'IPv4', network: BigInt(c.network), bits: c.prefix });
const toCidr = (p: Prefix): ip.Cidr => ({ network: Number(p.network), prefix: p.bits });

/** The plan's IPv4 block IPAM: `claimBlocks` over the IPv4 pools, its blocks as ipv4.ts CIDRs (what the IPv4 plan is written in). */
export function assignBlocks({ pools, ...rest }: BlockInput): Blocks {
  const r = claimBlocks({ ...rest, pools: pools.map((p) => ({ ...p, cidr: toPrefix(p.cidr) })) });
  return { ...r, blocks: r.blocks.map((bs) => bs.map(toCidr)), borrowed: r.borrowed.map((b) => ({ ...b, block: toCidr(b.block) })) };
}

/**
 * A live lab's blocks of one family (IPv4, or a lab's IPv6 ones) as the run-time IPAM sees them (a
 * pod created after `up`: create-pod, scale, recreate). Each family has its own blocks, pools and taken addresses.
 */
export interface LiveBlocks {
  /** The lab's pools of the family, in order. */
  pools: readonly { name: string; cidr: string; blockSize: number; disabled: boolean }[];
  /** Every node in order: the blocks it holds (claim order) and the enabled pools that select it. */
  nodes: readonly { name: string; blocks: readonly string[]; selected: readonly string[]; after?: string }[];
  /** Addresses not to hand out: running pods', reserved (exhaust-block), tunnel addresses. */
  taken: ReadonlySet<string>;
  strictAffinity: boolean;
}

export type NextAddress = { ip: string; block: string; how: 'own' | 'new-block' } | { ip: string; block: string; how: 'borrowed'; from: string };

/** Every address of a block (IPv4 or IPv6 text), in order, as text. */
const addressesOf = (block: string) => {
  const p = parsePrefix(block)!;
  return Array.from({ length: Number(sizeOf(p)) }, (_, i) => formatAddr(nth(p, i)!));
};

/** The last address of a block (IPv4 or IPv6 text), as text: where a new block's host-local range ends. */
export const lastAddress = (block: string) => {
  const p = parsePrefix(block)!;
  return formatAddr(nth(p, sizeOf(p) - 1n)!);
};

/**
 * The address of a pod created on `node` of a live lab, as Calico's IPAM picks it, for either
 * family: the next free address of the node's blocks after the one it handed out last (`after`; as
 * host-local does, so a re-created pod visibly gets a new address), wrapping; else the first address
 * of a new block (the first unclaimed block of the first of the node's pools that has one); else,
 * unless strictAffinity, the first free address of another node's block in one of the node's pools
 * (nodes in order, blocks in claim order): borrowed. Undefined when there is none.
 */
export function nextAddress(live: LiveBlocks, node: string): NextAddress | undefined {
  const me = live.nodes.find((n) => n.name === node)!;
  const own = me.blocks.flatMap((b) => addressesOf(b).map((a) => ({ a, b })));
  const start = me.after === undefined ? 0 : own.findIndex((x) => x.a === me.after) + 1;
  for (let i = 0; i < own.length; i++) {
    const x = own[(start + i) % own.length]!;
    if (!live.taken.has(x.a)) return { ip: x.a, block: x.b, how: 'own' };
  }
  const claimed = new Set(live.nodes.flatMap((n) => n.blocks));
  const mine = live.pools.filter((p) => !p.disabled && me.selected.includes(p.name));
  for (const p of mine) {
    const cidr = parsePrefix(p.cidr)!;
    for (let i = 0n; i < blockCountOf(cidr, p.blockSize); i++) {
      const b = subnet(cidr, p.blockSize, i)!;
      if (!claimed.has(formatPrefix(b))) return { ip: formatAddr(nth(b, 0)!), block: formatPrefix(b), how: 'new-block' };
    }
  }
  if (live.strictAffinity) return undefined;
  const inMine = (block: string) => {
    const b = parsePrefix(block)!;
    return mine.some((p) => contains(parsePrefix(p.cidr)!, { family: b.family, value: b.network }));
  };
  for (const other of live.nodes)
    if (other.name !== node)
      for (const b of other.blocks.filter(inMine)) {
        const a = addressesOf(b).find((x) => !live.taken.has(x));
        if (a) return { ip: a, block: b, how: 'borrowed', from: other.name };
      }
  return undefined;
}

/** The free addresses of a node's blocks of either family (what exhaust-block reserves). */
export function freeAddresses(blocks: readonly string[], taken: ReadonlySet<string>): string[] {
  return blocks.flatMap((b) => addressesOf(b).filter((a) => !taken.has(a)));
}
