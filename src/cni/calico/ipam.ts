/**
 * Calico's block IPAM, as the plan runs it: the IP pool is cut into blocks of `blockSize`; a node
 * claims the pool's next free block when it joins (for its VXLAN tunnel address, or its first pod)
 * and another whenever its blocks are full, so blocks are affine to nodes in the order they were
 * needed; a pod takes the next free address of its node's blocks, every address of a block included
 * (.0 and the last one are ordinary addresses inside a block). Pure: the plan is the single source
 * of addresses, and host-local on the node enforces them (the conflist's ranges are the node's blocks).
 */
import * as ip from '../../net/ipv4.ts';

export interface BlockInput {
  pool: ip.Cidr;
  blockSize: number;
  nodes: number;
  /** Pods with a network of their own, in plan order, by node index. */
  pods: readonly { node: number }[];
  /** VXLAN: each node's first address is its tunnel address (vxlan.calico). */
  tunnel: boolean;
  /** Calico's strictAffinity: never take an address from another node's block. @default false */
  strictAffinity?: boolean;
}

export interface Blocks {
  /** Each pod's address, in the order given; undefined when there is none (the pool is full). */
  pods: (string | undefined)[];
  /** Each node's blocks, in the order it claimed them. */
  blocks: ip.Cidr[][];
  /** Each node's tunnel address (VXLAN), else undefined. */
  tunnels: (string | undefined)[];
  /** Pods (by index in `pods`) whose address was borrowed from another node's block: that block and its node. */
  borrowed: { pod: number; block: ip.Cidr; from: number }[];
}

/** How many blocks of `blockSize` the pool holds. */
export function blockCount(pool: ip.Cidr, blockSize: number): number {
  return blockSize < pool.prefix ? 0 : 2 ** (blockSize - pool.prefix);
}

/** How many blocks the lab needs: per node, enough for its tunnel address and pods, at least one. */
export function blocksNeeded(blockSize: number, perNode: readonly number[], tunnel: boolean): number {
  const room = 2 ** (32 - blockSize);
  return perNode.reduce((sum, pods) => sum + Math.max(1, Math.ceil((pods + (tunnel ? 1 : 0)) / room)), 0);
}

/**
 * Claims blocks and hands out addresses. A node whose blocks are full claims the pool's next free
 * block; when the pool has none left, it borrows the next free address of another node's block
 * (the first such block in the order they were claimed), as Calico's IPAM does, unless
 * strictAffinity forbids it; then the pod has no address (validation reports it first, PL2153).
 */
export function assignBlocks({ pool, blockSize, nodes, pods, tunnel, strictAffinity = false }: BlockInput): Blocks {
  const room = 2 ** (32 - blockSize);
  const total = blockCount(pool, blockSize);
  // Every claimed block in claim order, with its node and how many of its addresses are taken (in order).
  const claimed: { cidr: ip.Cidr; node: number; used: number }[] = [];
  const claim = (node: number) => {
    if (claimed.length >= total) return undefined;
    const b = { cidr: ip.subnet(pool, blockSize, claimed.length), node, used: 0 };
    claimed.push(b);
    return b;
  };
  // Each node joins in declaration order and claims its first block (as long as the pool has one).
  const own = Array.from({ length: nodes }, (_, n) => [claim(n)].filter((b) => b !== undefined));
  const tunnels = own.map((b) => (tunnel && b[0] ? ip.formatIp(ip.nth(b[0].cidr, b[0].used++)) : undefined));
  const borrowed: Blocks['borrowed'] = [];
  const addresses = pods.map(({ node }, i) => {
    let block = own[node]!.find((b) => b.used < room) ?? claim(node);
    if (block && block.node === node && !own[node]!.includes(block)) own[node]!.push(block);
    if (!block && !strictAffinity) {
      block = claimed.find((b) => b.node !== node && b.used < room);
      if (block) borrowed.push({ pod: i, block: block.cidr, from: block.node });
    }
    return block ? ip.formatIp(ip.nth(block.cidr, block.used++)) : undefined;
  });
  return { pods: addresses, blocks: own.map((bs) => bs.map((b) => b.cidr)), tunnels, borrowed };
}
