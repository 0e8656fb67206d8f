/**
 * Calico's plan-time block IPAM is one loop for both families (ipam.ts `claimBlocks`): an IPv4
 * pool and an IPv6 pool of the same shape (as many blocks of as many addresses) claim the same
 * blocks in the same order, lend the same addresses and give the same tunnel addresses (pool i of
 * a case starts 256 addresses after pool i - 1, in both families).
 */
import { describe, expect, it } from 'vitest';
import { formatPrefix, parseAddr, parsePrefix } from '../../src/net/addr.ts';
import * as ip from '../../src/net/ipv4.ts';
import { assignBlocks } from '../../src/cni/calico/ipam.ts';
import { assignBlocks6Pools } from '../../src/cni/calico/pools6.ts';

/** An address or block as its offset from the start of its pool, so the two families compare. */
const offset4 = (pool: string) => (a: string) => ip.parseIp(a)! - ip.parseCidr(pool)!.network;
const offset6 = (pool: string) => (a: string) => Number(parseAddr(a)!.value - parsePrefix(pool)!.network);

function both(o: { v4: string; v6: string; extra: number; nodes: number; pods: number[]; tunnel: boolean; strictAffinity: boolean; selects?: boolean[][] }) {
  const selects = o.selects ?? [Array.from({ length: o.nodes }, () => true)];
  const v4 = assignBlocks({
    pools: selects.map((s, i) => ({ cidr: { ...ip.parseCidr(o.v4)!, network: ip.parseCidr(o.v4)!.network + 256 * i }, blockSize: 32 - o.extra, disabled: false, selects: s })),
    nodes: o.nodes,
    pods: o.pods.map((node) => ({ node })),
    tunnel: o.tunnel,
    strictAffinity: o.strictAffinity,
  });
  const v6 = assignBlocks6Pools({
    pools: selects.map((s, i) => ({ cidr: { ...parsePrefix(o.v6)!, network: parsePrefix(o.v6)!.network + 256n * BigInt(i) }, blockSize: 128 - o.extra, disabled: false, selects: s })),
    nodes: o.nodes,
    pods: o.pods.map((node) => ({ node })),
    tunnels: o.tunnel,
    strictAffinity: o.strictAffinity,
  });
  const at4 = (a: string | undefined) => (a === undefined ? undefined : offset4(`${a.split('.').slice(0, 2).join('.')}.0.0/16`)(a));
  const at6 = (a: string | undefined) => (a === undefined ? undefined : offset6(`${a.split(':').slice(0, 3).join(':')}::/48`)(a));
  return {
    v4: { pods: v4.pods.map(at4), blocks: v4.blocks.map((bs) => bs.map((b) => at4(ip.formatCidr(b).split('/')[0]))), borrowed: v4.borrowed.map((b) => ({ ...b, block: at4(ip.formatCidr(b.block).split('/')[0]) })), tunnels: o.tunnel ? v4.tunnels.map(at4) : [] },
    v6: { pods: v6.pods.map(at6), blocks: v6.blocks.map((bs) => bs.map((b) => at6(formatPrefix(b).split('/')[0]))), borrowed: v6.borrowed.map((b) => ({ ...b, block: at6(formatPrefix(b.block).split('/')[0]) })), tunnels: v6.tunnels.map(at6) },
  };
}

describe('Calico block IPAM: one loop for both families', () => {
  it('claims, fills and borrows alike: 4 blocks of 4 addresses, 3 nodes, 11 pods', () => {
    const r = both({ v4: '10.244.0.0/28', v6: 'fd00:10:244::/124', extra: 2, nodes: 3, pods: [0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2], tunnel: false, strictAffinity: false });
    expect(r.v6).toEqual(r.v4);
    // Node 0 filled its first block and claimed the fourth; node 2's fifth pod borrowed from node 1's block.
    expect(r.v4.blocks).toEqual([[0, 12], [4], [8]]);
    expect(r.v4.borrowed).toEqual([{ pod: 10, block: 4, from: 1 }]);
  });
  it('VXLAN: each node\'s tunnel address is the first of its first block, before any pod', () => {
    const r = both({ v4: '10.244.0.0/28', v6: 'fd00:10:244::/124', extra: 2, nodes: 2, pods: [1, 1, 0], tunnel: true, strictAffinity: true });
    expect(r.v6).toEqual(r.v4);
    expect(r.v4.tunnels).toEqual([0, 4]);
    expect(r.v4.pods).toEqual([5, 6, 1]);
  });
  it('a node whose pools have no free block left has no tunnel address and borrows none', () => {
    // Two blocks, three nodes: node 2 joins with nothing; without strictAffinity its pod still borrows.
    const r = both({ v4: '10.244.0.0/29', v6: 'fd00:10:244::/125', extra: 2, nodes: 3, pods: [2], tunnel: true, strictAffinity: false });
    expect(r.v6).toEqual(r.v4);
    expect(r.v4.tunnels).toEqual([0, 4, undefined]);
    expect(r.v4.borrowed).toEqual([{ pod: 0, block: 0, from: 0 }]);
    expect(r.v4.pods).toEqual([1]);
  });
  it('pools by nodeSelector: each node claims only from the pools that select it', () => {
    const r = both({ v4: '10.244.0.0/29', v6: 'fd00:10:244::/125', extra: 2, nodes: 2, pods: [0, 0, 0, 0, 0, 1], tunnel: false, strictAffinity: true, selects: [[true, false], [true, true]] });
    expect(r.v6).toEqual(r.v4);
    // Pool 0 (offset 0) selects node 0 only, pool 1 (offset 256) both: node 1 joins from pool 1, node 0 claims pool 0's second block.
    expect(r.v4.blocks).toEqual([[0, 4], [256]]);
    expect(r.v4.pods).toEqual([0, 1, 2, 3, 4, 256]);
  });
});
