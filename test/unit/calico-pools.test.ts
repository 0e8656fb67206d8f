/**
 * Several Calico IP pools: the nodeSelector language, blocks from the pools that select a node in
 * their order (disabled pools giving none, borrowing only inside a node's own pools), natOutgoing
 * per pool as the node's calico nft table, BIRD's export filter over the pools, and the rules
 * (PL2174–PL2179).
 */
import { describe, expect, it } from 'vitest';
import { assignBlocks } from '../../src/cni/calico/ipam.ts';
import type { CalicoNode } from '../../src/cni/calico/index.ts';
import { calicoNatTable } from '../../src/cni/calico/nat.ts';
import { matches, parseSelector, selects } from '../../src/cni/calico/selector.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import * as ip from '../../src/net/ipv4.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';

const nodes = {
  m: { role: 'control-plane' as const, ip: '172.16.94.10' },
  n1: { ip: '172.16.94.11', labels: { rack: 'a' } },
  n2: { ip: '172.16.94.12', labels: { rack: 'b' } },
};
const pools = [
  { name: 'rack-a', cidr: '10.244.1.0/24', blockSize: 28, nodeSelector: "rack == 'a'", natOutgoing: true },
  { name: 'rest', cidr: '10.244.2.0/24', nodeSelector: "!has(rack) || rack != 'a'", natOutgoing: false },
];
function lab(cni: unknown, extra: Partial<LabSpec> = {}) {
  return validateValue({ name: 'cal-pools', nodes, pods: { a1: { node: 'n1' }, a2: { node: 'n1' }, b1: { node: 'n2' }, c1: { node: 'm' } }, dns: false, cni, ...extra }, 'cal-pools.lab.ts');
}
function plan(cni: unknown): Plan {
  const { lab: l, diagnostics } = lab(cni);
  expect(diagnostics).toEqual([]);
  return buildPlan(l!);
}
const codes = (cni: unknown, extra: Partial<LabSpec> = {}) => lab(cni, extra).diagnostics.map((d) => `${d.code} ${d.path.join('.')}`);
const podIp = (p: Plan, pod: string) => p.pods.find((q) => q.name === pod)!.ip;
const data = (p: Plan, node: string) => p.nodes.find((n) => n.name === node)!.cni as CalicoNode;

describe("Calico's selector subset", () => {
  const labels = { 'kubernetes.io/hostname': 'n1', rack: 'a', 'node-role.kubernetes.io/control-plane': '' };
  it.each([
    ['all()', true],
    ["rack == 'a'", true],
    ['rack == "b"', false],
    ["rack != 'b'", true],
    ["zone != 'x'", true],
    ['has(rack)', true],
    ['!has(rack)', false],
    ['has(node-role.kubernetes.io/control-plane)', true],
    ["rack in {'a', 'c'}", true],
    ["rack not in {'a'}", false],
    ["zone in {'a'}", false],
    ["has(rack) && rack == 'b' || kubernetes.io/hostname == 'n1'", true],
    ["has(rack) && (rack == 'b' || kubernetes.io/hostname == 'x')", false],
    ["!(rack == 'a')", false],
  ])('%s → %s', (text, want) => {
    const p = parseSelector(text);
    expect(p.ok).toBe(true);
    expect(p.ok && matches(p.selector, labels)).toBe(want);
  });
  it.each(["rack = 'a'", 'rack ==', "rack == 'a", 'has(rack', "rack in ('a')", "rack == 'a' &&", '']) ('refuses %j, naming the column', (text) => {
    const p = parseSelector(text);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.error).toMatch(/at column \d+/);
    expect(selects(text, labels)).toBe(false);
  });
});

describe('IPAM over several pools', () => {
  const cidr = (t: string) => ip.parseCidr(t)!;
  it('a node takes blocks from the enabled pools that select it, in their order; a disabled pool gives none', () => {
    const r = assignBlocks({
      pools: [
        { cidr: cidr('10.244.9.0/24'), blockSize: 26, disabled: true, selects: [true, true] },
        { cidr: cidr('10.244.1.0/30'), blockSize: 30, disabled: false, selects: [true, false] },
        { cidr: cidr('10.244.2.0/24'), blockSize: 26, disabled: false, selects: [true, true] },
      ],
      nodes: 2,
      pods: [0, 0, 0, 0, 0, 1].map((node) => ({ node })),
      tunnel: false,
    });
    // Node 0 fills its /30 of the second pool, then claims a block of the third; node 1 only selects the third.
    expect(r.blocks.map((b) => b.map(ip.formatCidr))).toEqual([['10.244.1.0/30', '10.244.2.64/26'], ['10.244.2.0/26']]);
    expect(r.pods).toEqual(['10.244.1.0', '10.244.1.1', '10.244.1.2', '10.244.1.3', '10.244.2.64', '10.244.2.0']);
    expect(r.podPools).toEqual([1, 1, 1, 1, 2, 2]);
  });
  it("borrows only from blocks of the node's own pools", () => {
    const pools = [
      { cidr: cidr('10.244.1.0/30'), blockSize: 30, disabled: false, selects: [true, false] },
      { cidr: cidr('10.244.2.0/30'), blockSize: 30, disabled: false, selects: [false, true] },
      { cidr: cidr('10.244.3.0/30'), blockSize: 30, disabled: false, selects: [false, false, true] },
    ];
    // Node 1's pool is full after 4 pods; node 0's block has room but is not in node 1's pools.
    const r = assignBlocks({ pools, nodes: 3, pods: [1, 1, 1, 1, 1, 2].map((node) => ({ node })), tunnel: false });
    expect(r.pods[4]).toBeUndefined();
    expect(r.borrowed).toEqual([]);
  });
});

describe('the plan of a lab with two pools', () => {
  const p = plan({ type: 'calico', ipPools: pools });
  it("pods land in their node's pool; the control plane (no rack) in the other", () => {
    expect([podIp(p, 'a1'), podIp(p, 'a2'), podIp(p, 'b1'), podIp(p, 'c1')]).toEqual(['10.244.1.0', '10.244.1.1', '10.244.2.64', '10.244.2.0']);
    expect(data(p, 'n1').blocks).toEqual(['10.244.1.0/28']);
    expect(data(p, 'm').selected).toEqual(['rest']);
    expect(data(p, 'n1').pools.map((q) => [q.name, q.natOutgoing])).toEqual([['rack-a', true], ['rest', false]]);
  });
  it('natOutgoing only for the pool that sets it, to destinations outside every pool', () => {
    const t = calicoNatTable(data(p, 'n1').pools)!;
    expect(t.sets.map((s) => [s.name, s.elements.map((e) => e[0])])).toEqual([['masq-ipam-pools', ['10.244.1.0/24']], ['all-ipam-pools', ['10.244.1.0/24', '10.244.2.0/24']]]);
    const nft = render(p).get('nft/n1.calico.nft')!;
    expect(nft).toContain('ip saddr @masq-ipam-pools ip daddr != @all-ipam-pools masquerade');
    expect(calicoNatTable(data(p, 'n1').pools.map((q) => ({ ...q, natOutgoing: false })))).toBeUndefined();
  });
  it('BIRD exports blocks of every enabled pool and nothing of a disabled one', () => {
    const q = plan({ type: 'calico', ipPools: [...pools, { name: 'old', cidr: '10.244.3.0/24', disabled: true }] });
    const conf = render(q).get('bird/n1.conf')!;
    expect(conf).toMatch(/# Pool old is disabled: nothing of it is advertised\.\n\s+if \( net ~ 10\.244\.3\.0\/24 \) then \{ reject; \}/);
    expect(conf).toMatch(/# Pool rack-a\n\s+if \( net ~ 10\.244\.1\.0\/24 \) then \{\n\s+accept;/);
    expect(conf).toMatch(/# Pool rest\n/);
    expect(data(q, 'n2').blocks.some((b) => b.startsWith('10.244.3.'))).toBe(false);
  });
  it('a node label written in the lab is a label the selectors (and the scheduler) see', () => {
    expect(data(p, 'n2').selected).toEqual(['rest']);
  });
});

describe('rules of IP pools (PL2174–PL2178)', () => {
  it('accepts the two-pool lab', () => expect(codes({ type: 'calico', ipPools: pools })).toEqual([]));
  it('PL2174: both ipPool and ipPools, or one name twice', () => {
    expect(codes({ type: 'calico', ipPool: { blockSize: 26 }, ipPools: pools })).toEqual(['PL2174 cni.ipPools']);
    expect(codes({ type: 'calico', ipPools: [pools[0], { ...pools[1], name: 'rack-a' }] })).toEqual(['PL2174 cni.ipPools.1.name']);
  });
  it('PL2175: overlapping pools', () => {
    expect(codes({ type: 'calico', ipPools: [pools[0], { ...pools[1], cidr: '10.244.0.0/16' }] })).toEqual(['PL2175 cni.ipPools.1.cidr']);
  });
  it('PL2151 / PL2152 per pool: outside podCidr, a block size that does not fit', () => {
    expect(codes({ type: 'calico', ipPools: [pools[0], { ...pools[1], cidr: '10.245.0.0/24' }] })).toEqual(['PL2151 cni.ipPools.1.cidr']);
    expect(codes({ type: 'calico', ipPools: [{ ...pools[0], blockSize: 23 }, pools[1]] })).toEqual(['PL2152 cni.ipPools.0.blockSize']);
  });
  it('PL2176: a node no enabled pool selects', () => {
    expect(codes({ type: 'calico', ipPools: [pools[0], { ...pools[1], disabled: true }] })).toEqual(['PL2176 cni.ipPools', 'PL2176 cni.ipPools']);
  });
  it('PL2177: a nodeSelector that is not one', () => {
    expect(codes({ type: 'calico', ipPools: [{ ...pools[0], nodeSelector: "rack = 'a'" }, pools[1]] })).toEqual(['PL2177 cni.ipPools.0.nodeSelector']);
  });
  it("PL2178: a pool's encapsulation other than the lab's", () => {
    expect(codes({ type: 'calico', ipPools: [{ ...pools[0], encapsulation: 'VXLAN' }, pools[1]] })).toEqual(['PL2178 cni.ipPools.0.encapsulation']);
  });
  it('PL2153: the pools a node may use are full, with no block of them to borrow from', () => {
    const tiny = [{ ...pools[0], cidr: '10.244.1.0/32', blockSize: 32 }, pools[1]];
    expect(codes({ type: 'calico', ipPools: tiny })).toEqual(['PL2153 cni.ipPools']);
  });
});

describe('run-time IPAM (a pod created on a live lab, exhaust-block)', () => {
  const pools = [{ name: 'p', cidr: '10.244.0.0/28', blockSize: 30, disabled: false }];
  const nodes = [
    { name: 'cp', blocks: ['10.244.0.0/30'], selected: ['p'] },
    { name: 'w1', blocks: ['10.244.0.4/30'], selected: ['p'] },
    { name: 'w2', blocks: ['10.244.0.8/30'], selected: ['p'] },
  ];
  const live = (taken: string[], over: Partial<import('../../src/cni/calico/ipam.ts').LiveBlocks> = {}) => ({ pools, nodes, taken: new Set(taken), strictAffinity: false, ...over });
  it('own block first, after the address handed out last, wrapping', async () => {
    const { nextAddress } = await import('../../src/cni/calico/ipam.ts');
    expect(nextAddress(live(['10.244.0.4']), 'w1')).toEqual({ ip: '10.244.0.5', block: '10.244.0.4/30', how: 'own' });
    const after = { ...live(['10.244.0.4']), nodes: nodes.map((n) => (n.name === 'w1' ? { ...n, after: '10.244.0.6' } : n)) };
    expect(nextAddress(after, 'w1')!.ip).toBe('10.244.0.7');
    const wrap = { ...live(['10.244.0.4', '10.244.0.7']), nodes: nodes.map((n) => (n.name === 'w1' ? { ...n, after: '10.244.0.7' } : n)) };
    expect(nextAddress(wrap, 'w1')!.ip).toBe('10.244.0.5');
  });
  it('a full node claims the first unclaimed block of its pools, then borrows; strictAffinity: none', async () => {
    const { nextAddress, freeAddresses } = await import('../../src/cni/calico/ipam.ts');
    const w1Full = freeAddresses(['10.244.0.4/30'], new Set());
    expect(w1Full).toEqual(['10.244.0.4', '10.244.0.5', '10.244.0.6', '10.244.0.7']);
    expect(nextAddress(live(w1Full), 'w1')).toEqual({ ip: '10.244.0.12', block: '10.244.0.12/30', how: 'new-block' });
    const allClaimed = nodes.map((n) => (n.name === 'w1' ? { ...n, blocks: ['10.244.0.4/30', '10.244.0.12/30'] } : n));
    const taken = [...w1Full, ...freeAddresses(['10.244.0.12/30'], new Set()), '10.244.0.0'];
    expect(nextAddress({ ...live(taken), nodes: allClaimed }, 'w1')).toEqual({ ip: '10.244.0.1', block: '10.244.0.0/30', how: 'borrowed', from: 'cp' });
    expect(nextAddress({ ...live(taken, { strictAffinity: true }), nodes: allClaimed }, 'w1')).toBeUndefined();
    // A disabled pool gives no new address at all: no new block, nothing borrowed from it.
    expect(nextAddress(live(w1Full, { pools: [{ ...pools[0]!, disabled: true }] }), 'w1')).toBeUndefined();
  });
});
