/**
 * Calico's IPv6 IP pools in a lab with IPv6 (dual stack or IPv6 alone): the pools (`ipPools` entries with an IPv6 cidr, else
 * Calico's default-ipv6-ippool from the lab's IPv6 podCidr, CALICO_IPV6POOL_CIDR), their rules, and
 * the block IPAM over them, as Calico's IPAM runs it for IPv6: each pool cut into blocks of its
 * `blockSize` (116–128, default 122: CALICO_IPV6POOL_BLOCK_SIZE); a node uses the enabled pools whose
 * nodeSelector selects it, in order; it claims a block as it joins and another whenever its blocks
 * are full; with no free block in its pools a pod borrows an address of another node's block (in one
 * of its pools) unless strictAffinity. The IPv4 side is ipam.ts; each family has its own blocks.
 * Pure: the plan (and, at run time, ipam.ts `nextAddress` on the live IPv6 blocks) chooses every address.
 */
import { CALICO } from '../../constants.ts';
import { contains, formatAddr, overlaps, parseAddr, parsePrefix, type Prefix } from '../../net/addr.ts';
import type { CniProblem, CniValidationInput } from '../types.ts';
import { blockCountOf, claimBlocks, type PoolInput } from './ipam.ts';
import { parseSelector, selects } from './selector.ts';

/** An IPv6 pool as written in `ipPools` (or the default one), resolved. */
export interface Pool6Config {
  name: string;
  cidr: string;
  blockSize: number;
  nodeSelector: string;
  /** Undefined: the lab's natOutgoing (a pool written in ipPools); the default IPv6 pool has false (CALICO_IPV6POOL_NAT_OUTGOING). */
  natOutgoing?: boolean;
  disabled: boolean;
  encapsulation?: 'None' | 'VXLAN';
  /** Where it was written, below `cni`; undefined for the default pool (it comes from the lab's IPv6 podCidr). */
  at?: (string | number)[];
}

/** Calico's IPv6 blockSize range (IPPool reference: 116–128). */
export const BLOCK6_MIN = 116;
export const BLOCK6_MAX = 128;

/** Whether a pool's cidr is written as IPv6 (its family decides which IPAM it feeds). */
export const isIPv6Cidr = (cidr: string | undefined) => cidr !== undefined && cidr.includes(':');

/** The IPv6 pools of a lab: those written, else Calico's default IPv6 pool over the lab's IPv6 podCidr. */
export function pools6Of(written: readonly Pool6Config[], podCidr6: string): Pool6Config[] {
  return written.length ? [...written] : [{ name: CALICO.defaultPool6, cidr: podCidr6, blockSize: CALICO.blockSize6, nodeSelector: 'all()', natOutgoing: false, disabled: false }];
}

/** An IPv6 pool as the IPAM reads it. */
export type Pool6Input = PoolInput<Prefix>;

export interface Blocks6Result {
  /** Each pod's IPv6 address, in the order given; undefined when none is left for it. */
  pods: (string | undefined)[];
  /** Each node's IPv6 blocks, in claim order. */
  blocks: Prefix[][];
  /** Pods (by index) whose address lies in another node's block: that block and its node. */
  borrowed: { pod: number; block: Prefix; from: number }[];
}

/** The pools parsed, with the nodes each selects; undefined when one is not an IPv6 CIDR. */
export function poolInputs6(pools: readonly Pool6Config[], nodes: readonly { labels?: Readonly<Record<string, string>> }[]): Pool6Input[] | undefined {
  const out: Pool6Input[] = [];
  for (const p of pools) {
    const cidr = parsePrefix(p.cidr);
    if (cidr?.family !== 'IPv6') return undefined;
    out.push({ cidr, blockSize: p.blockSize, disabled: p.disabled, selects: nodes.map((n) => selects(p.nodeSelector, n.labels ?? {})) });
  }
  return out;
}

/**
 * The plan's IPv6 IPAM: ipam.ts `claimBlocks`, the loop the IPv4 one (`assignBlocks`) runs too,
 * over the IPv6 pools. VXLAN (`tunnels`): each node's IPv6 tunnel address is taken before any pod
 * (calico-node asks for it as the node starts), the first address of its first block; `tunnels`
 * is empty without VXLAN. A node that joined without a block gets no tunnel address rather than a
 * borrowed one, as on the IPv4 side: the two differ only without strictAffinity, and with VXLAN
 * every caller forces it (no IPv6 address is borrowed: vxlan-v6.calico routes whole blocks), and
 * validation refuses a node without a block anyway (PL2183). So one rule serves both families.
 */
export function assignBlocks6Pools({ pools, nodes, pods, strictAffinity = false, tunnels = false }: { pools: readonly Pool6Input[]; nodes: number; pods: readonly { node: number }[]; strictAffinity?: boolean; tunnels?: boolean }): Blocks6Result & { tunnels: (string | undefined)[] } {
  const r = claimBlocks({ pools, nodes, pods, tunnel: tunnels, strictAffinity });
  return { pods: r.pods, blocks: r.blocks, borrowed: r.borrowed, tunnels: tunnels ? r.tunnels : [] };
}

/**
 * The rules of the IPv6 pools written in `ipPools` (PL2150, PL2174–PL2178 as for IPv4 pools;
 * PL2187 outside the IPv6 podCidr, PL2188 a block size outside 116–128; PL2418 in a lab without
 * IPv6) and whether the IPv6 IPAM gives every node a block and every pod an address (PL2183).
 */
export function validatePools6(written: readonly Pool6Config[], lab: CniValidationInput, ctx: { strictAffinity: boolean; encapsulation: string; names: Set<string> }): CniProblem[] {
  const out: CniProblem[] = [];
  const p = (code: string, path: (string | number)[], message: string, hint: string) => out.push({ code, path, message, hint });
  const hasIPv6 = !!lab.ipv6 && !!lab.ipFamilies?.includes('IPv6');
  if (written.length && !lab.ipv6) {
    const first = written[0]!;
    p('PL2418', [...first.at!, 'cidr'], `IP pool ${first.name} is IPv6 (${first.cidr}), but the lab has no IPv6: its pods get IPv4 addresses only`, "Make the lab dual stack (ipFamilies: ['IPv4', 'IPv6']) to give pods an IPv6 address from this pool, or write an IPv4 CIDR.");
    return out;
  }
  if (!hasIPv6) return out;
  const podNet = parsePrefix(lab.ipv6!.podCidr);
  if (podNet?.family !== 'IPv6') return out; // the lab's rules report an invalid IPv6 podCidr
  const parsed: { pool: Pool6Config; cidr: Prefix }[] = [];
  for (const pool of written) {
    const at = (...k: string[]) => [...pool.at!, ...k];
    if (ctx.names.has(pool.name)) p('PL2174', at('name'), `two IP pools are named "${pool.name}"`, "Give every pool a name of its own (Calico's IPPool metadata.name).");
    ctx.names.add(pool.name);
    const sel = parseSelector(pool.nodeSelector);
    if (!sel.ok) p('PL2177', at('nodeSelector'), `IP pool ${pool.name}: nodeSelector is not a Calico selector: ${sel.error}`, "Write e.g. all(), kubernetes.io/hostname == 'c1-node1', has(node-role.kubernetes.io/control-plane), !has(k), rack in {'a', 'b'}, joined with && and ||.");
    if (pool.encapsulation !== undefined && ctx.encapsulation !== 'IPIP' && pool.encapsulation !== ctx.encapsulation)
      p('PL2178', at('encapsulation'), `IP pool ${pool.name} has encapsulation '${pool.encapsulation}', but the lab's is '${ctx.encapsulation}'`, "podlab builds one routing per lab: give every pool the lab's encapsulation, or leave it out.");
    const cidr = parsePrefix(pool.cidr);
    if (cidr?.family !== 'IPv6') {
      p('PL2150', at('cidr'), `IP pool "${pool.cidr}" is not a valid IPv6 CIDR`, 'Write it as an IPv6 prefix with no host bits set, e.g. "fd00:10:244:100::/120".');
      continue;
    }
    if (!(contains(podNet, { family: cidr.family, value: cidr.network }) && cidr.bits >= podNet.bits))
      p('PL2187', at('cidr'), `IPv6 pool ${pool.name} (${pool.cidr}) is not inside the lab's IPv6 pod network ${lab.ipv6!.podCidr}`, "Pods' IPv6 addresses come from the IPv6 podCidr: choose a pool inside it (podCidrs' IPv6 entry), or widen that.");
    if (pool.blockSize < BLOCK6_MIN || pool.blockSize > BLOCK6_MAX || pool.blockSize < cidr.bits)
      p('PL2188', at('blockSize'), `a block size of /${pool.blockSize} does not fit IPv6 pool ${pool.name} (${pool.cidr})`, `Calico's IPv6 blocks are /${BLOCK6_MIN} to /${BLOCK6_MAX} and no larger than the pool: use a block size from ${Math.max(BLOCK6_MIN, cidr.bits)} to ${BLOCK6_MAX} (default ${CALICO.blockSize6}).`);
    for (const o of parsed)
      if (overlaps(o.cidr, cidr)) p('PL2175', at('cidr'), `IP pool ${pool.name} (${pool.cidr}) overlaps IP pool ${o.pool.name} (${o.pool.cidr})`, 'Calico refuses overlapping IPPools: an address belongs to one pool. Make the CIDRs disjoint.');
    parsed.push({ pool, cidr });
  }
  if (out.length) return out;
  const pools = pools6Of(written, lab.ipv6!.podCidr);
  const inputs = poolInputs6(pools, lab.nodes)!;
  if (written.length)
    for (const [n, node] of lab.nodes.entries())
      if (!inputs.some((q) => !q.disabled && q.selects[n]))
        p('PL2176', ['ipPools'], `node "${node.name}": no enabled IPv6 pool selects it, so it claims no IPv6 block and its pods get no IPv6 address`, `In a lab with IPv6 every node needs an enabled IPv6 pool whose nodeSelector matches its labels (${Object.entries(node.labels ?? {}).map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ')}): widen a nodeSelector (all()), or add a pool for it.`);
  if (out.length) return out;
  const perNode = lab.nodes.map((n) => lab.pods.filter((q) => q.node === n.name && !q.hostNetwork).length);
  const pods = perNode.flatMap((k, node) => Array.from({ length: k }, () => ({ node })));
  // With VXLAN each node's IPv6 tunnel address comes out of its first IPv6 block too.
  // podlab's vxlan-v6.calico routes whole blocks (no /128 per borrowed address): with VXLAN no IPv6 address is borrowed.
  const vxlan = ctx.encapsulation === 'VXLAN';
  const r = assignBlocks6Pools({ pools: inputs, nodes: lab.nodes.length, pods, strictAffinity: ctx.strictAffinity || vxlan, tunnels: vxlan });
  if (r.pods.some((a) => a === undefined) || r.blocks.some((b) => b.length === 0) || r.tunnels.some((a) => a === undefined)) {
    const what = pools.map((q, i) => `${q.cidr} (${blockCountOf(inputs[i]!.cidr, q.blockSize)} block(s) of /${q.blockSize})`).join(', ');
    p('PL2183', written.length ? ['ipPools'] : [], `the IPv6 pool${pools.length > 1 ? 's' : ''} ${what} cannot give the lab's ${lab.nodes.length} node(s) a block each${pods.length ? ` and their ${pods.length} pod(s) an IPv6 address` : ''}${ctx.strictAffinity ? ' (strictAffinity forbids borrowing)' : vxlan ? ' (VXLAN: a tunnel address each, no borrowing)' : ''}`, `Calico cuts each IPv6 pool into blocks, at least one per node: give a larger IPv6 pool (e.g. "fd00:10:244::/56") or smaller blocks (a longer blockSize, up to /${BLOCK6_MAX}).`);
  }
  return out;
}

/** Whether `addr` lies in `block` (both IPv6 text). */
export const inBlock6 = (block: string, addr: string) => {
  const p = parsePrefix(block);
  const a = parseAddr(addr);
  return p !== undefined && a !== undefined && p.family === a.family && contains(p, a);
};

/** Borrowed IPv6 addresses as host-local ranges: one per lender block, from the first borrowed address to the last. */
export function lentRanges6(borrowed: readonly { ip: string; block: string }[]) {
  const lent = new Map<string, bigint[]>();
  for (const b of borrowed) lent.set(b.block, [...(lent.get(b.block) ?? []), parseAddr(b.ip)!.value]);
  return [...lent].map(([block, vs]) => {
    const sorted = [...vs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { subnet: block, rangeStart: formatAddr({ family: 'IPv6', value: sorted[0]! }), rangeEnd: formatAddr({ family: 'IPv6', value: sorted.at(-1)! }), gateway: CALICO.gateway6 };
  });
}
