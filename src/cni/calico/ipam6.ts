/**
 * Calico's block IPAM for IPv6, as the plan runs it: the lab's IPv6 pod network is Calico's
 * default IPv6 pool (`default-ipv6-ippool`, CALICO_IPV6POOL_CIDR), cut into blocks of /122 (64
 * addresses, CALICO_IPV6POOL_BLOCK_SIZE's default). Each family has its own blocks: a node claims
 * the pool's next free IPv6 block when it joins, in declaration order, and another whenever its
 * IPv6 blocks are full; a pod takes the next free address of its node's IPv6 blocks (every address
 * of a block is an ordinary address). Pure: the plan is the single source of addresses, host-local
 * on the node enforces them (the conflist's second range set is the node's IPv6 blocks).
 *
 * A lab's plan and run-time IPAM (dual stack or IPv6-only) use the general form in pools6.ts (several IPv6 pools,
 * nodeSelector, borrowing); this is its one-pool special case.
 */
import { formatAddr, nth, sizeOf, subnet, type Prefix } from '../../net/addr.ts';

export interface Blocks6Input {
  /** The IPv6 pool (the lab's IPv6 podCidr). */
  pool: Prefix;
  /** Prefix length of its blocks (Calico: 116–128, default 122). */
  blockSize: number;
  nodes: number;
  /** Pods with a network of their own, in plan order, by node index. */
  pods: readonly { node: number }[];
}

export interface Blocks6 {
  /** Each pod's IPv6 address, in the order given; undefined when the pool has no room left for it. */
  pods: (string | undefined)[];
  /** Each node's IPv6 blocks, in the order it claimed them. */
  blocks: Prefix[][];
}

/** How many blocks of `blockSize` the IPv6 pool holds (a bigint: a /56 holds 2^66 blocks of /122). */
export function blockCount6(pool: Prefix, blockSize: number): bigint {
  return blockSize < pool.bits || blockSize > 128 ? 0n : 1n << BigInt(blockSize - pool.bits);
}

/** Claims IPv6 blocks in node order and hands out each pod the next free address of its node's blocks. */
export function assignBlocks6({ pool, blockSize, nodes, pods }: Blocks6Input): Blocks6 {
  const total = blockCount6(pool, blockSize);
  const room = 1n << BigInt(128 - blockSize);
  let next = 0n;
  const claim = () => (next < total ? { cidr: subnet(pool, blockSize, next++)!, used: 0n } : undefined);
  // Each node joins in declaration order and claims its first block, as it does its first IPv4 block.
  const own = Array.from({ length: nodes }, () => [claim()].filter((b) => b !== undefined));
  const addresses = pods.map(({ node }) => {
    let block = own[node]!.find((b) => b.used < room);
    if (!block) {
      block = claim();
      if (block) own[node]!.push(block);
    }
    return block ? formatAddr(nth(block.cidr, block.used++)!) : undefined;
  });
  return { pods: addresses, blocks: own.map((bs) => bs.map((b) => b.cidr)) };
}

/**
 * The IPv6 address of a pod created on a live lab: the next free address of its node's IPv6 blocks
 * after `after` (the one handed out last, so a re-created pod visibly gets a new address, as
 * host-local does), wrapping; undefined when the blocks are full (no IPv6 block is claimed at run time).
 */
export function nextAddress6(blocks: readonly Prefix[], taken: ReadonlySet<string>, after?: string): string | undefined {
  const all = blocks.flatMap((b) => Array.from({ length: Number(sizeOf(b)) }, (_, i) => formatAddr(nth(b, i)!)));
  const start = after === undefined ? 0 : all.indexOf(after) + 1;
  for (let i = 0; i < all.length; i++) {
    const a = all[(start + i) % all.length]!;
    if (!taken.has(a)) return a;
  }
  return undefined;
}

