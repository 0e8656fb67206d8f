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
}

export interface Blocks {
  /** Each pod's address, in the order given. */
  pods: string[];
  /** Each node's blocks, in the order it claimed them. */
  blocks: ip.Cidr[][];
  /** Each node's tunnel address (VXLAN), else undefined. */
  tunnels: (string | undefined)[];
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

export function assignBlocks({ pool, blockSize, nodes, pods, tunnel }: BlockInput): Blocks {
  const room = 2 ** (32 - blockSize);
  let nextBlock = 0;
  const claim = () => ip.subnet(pool, blockSize, nextBlock++);
  // Each node joins in declaration order and claims its first block.
  const blocks = Array.from({ length: nodes }, () => [claim()]);
  // used[n]: addresses handed out in node n's newest block.
  const used = blocks.map(() => (tunnel ? 1 : 0));
  const tunnels = blocks.map((b) => (tunnel ? ip.formatIp(b[0]!.network) : undefined));
  const addresses = pods.map(({ node }) => {
    if (used[node]! === room) {
      blocks[node]!.push(claim());
      used[node] = 0;
    }
    return ip.formatIp(ip.nth(blocks[node]!.at(-1)!, used[node]!++));
  });
  return { pods: addresses, blocks, tunnels };
}
