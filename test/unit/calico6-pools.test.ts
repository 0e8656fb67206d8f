/**
 * Calico's IPv6 side with several pools (issue 24): the IPv6 IPAM over several pools (nodeSelector,
 * blockSize per pool, disabled, borrowing, strictAffinity), the run-time choice (own, new block,
 * borrowed), what the plan makes of `ipPools` entries with an IPv6 cidr (pods in the pool that
 * selects their node, host-local ranges, bird.conf's IPv6 export filter per pool), Felix's ip6
 * natOutgoing table, and the rules PL2150, PL2174–PL2176, PL2187, PL2188, PL2418 for IPv6 pools.
 */
import { describe, expect, it } from 'vitest';
import { freeAddresses, nextAddress } from '../../src/cni/calico/ipam.ts';
import { assignBlocks6Pools, type Pool6Input } from '../../src/cni/calico/pools6.ts';
import type { LabSpec } from '../../src/index.ts';
import { formatPrefix, parsePrefix } from '../../src/net/addr.ts';
import type { Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { calicoLab, cniOf } from './calico6-lab.ts';

const pool = (cidr: string, blockSize: number, selects: boolean[], disabled = false): Pool6Input => ({ cidr: parsePrefix(cidr)!, blockSize, disabled, selects });
const blocks = (r: { blocks: ReturnType<typeof parsePrefix>[][] }) => r.blocks.map((b) => b.map((x) => formatPrefix(x!)));

describe('IPv6 IPAM over several pools', () => {
  it('a node takes blocks of the first enabled pool that selects it, each pool with its own block size', () => {
    const r = assignBlocks6Pools({
      pools: [pool('fd00:10:244:a::/120', 124, [false, true, false]), pool('fd00:10:244:b::/120', 122, [true, false, true])],
      nodes: 3,
      pods: [{ node: 1 }, { node: 2 }],
    });
    expect(blocks(r)).toEqual([['fd00:10:244:b::/122'], ['fd00:10:244:a::/124'], ['fd00:10:244:b::40/122']]);
    expect(r.pods).toEqual(['fd00:10:244:a::', 'fd00:10:244:b::40']);
    expect(r.borrowed).toEqual([]);
  });

  it('a disabled pool gives no block; a node whose blocks are full claims another of its pools', () => {
    const r = assignBlocks6Pools({
      pools: [pool('fd00:10:244:a::/120', 124, [true, true], true), pool('fd00:10:244:b::/120', 124, [true, true])],
      nodes: 2,
      pods: Array.from({ length: 17 }, () => ({ node: 0 })),
    });
    expect(blocks(r)).toEqual([['fd00:10:244:b::/124', 'fd00:10:244:b::20/124'], ['fd00:10:244:b::10/124']]);
    expect(r.pods[16]).toBe('fd00:10:244:b::20');
  });

  it('with no free block left a pod borrows an address of another node\'s block of its pools; strictAffinity forbids it', () => {
    const pools = [pool('fd00:10:244:a::/123', 124, [true, true])];
    const pods = Array.from({ length: 17 }, () => ({ node: 0 }));
    const r = assignBlocks6Pools({ pools, nodes: 2, pods });
    expect(blocks(r)).toEqual([['fd00:10:244:a::/124'], ['fd00:10:244:a::10/124']]);
    expect(r.pods[16]).toBe('fd00:10:244:a::10');
    expect(r.borrowed.map((b) => [b.pod, formatPrefix(b.block), b.from])).toEqual([[16, 'fd00:10:244:a::10/124', 1]]);
    expect(assignBlocks6Pools({ pools, nodes: 2, pods, strictAffinity: true }).pods[16]).toBeUndefined();
  });

  it('at run time: the next own address, else a new block of its pools, else a borrowed one, else none (strictAffinity)', () => {
    const pools = [{ name: 'p', cidr: 'fd00:10:244:a::/123', blockSize: 124, disabled: false }];
    const own = Array.from({ length: 16 }, (_, i) => (i ? `fd00:10:244:a::${i.toString(16)}` : 'fd00:10:244:a::'));
    const live = (taken: string[], blocks1: string[], strictAffinity = false) => ({
      pools,
      nodes: [
        { name: 'n1', blocks: ['fd00:10:244:a::/124'], selected: ['p'], after: 'fd00:10:244:a::1' },
        { name: 'n2', blocks: blocks1, selected: ['p'] },
      ],
      taken: new Set(taken),
      strictAffinity,
    });
    expect(nextAddress(live(['fd00:10:244:a::1'], []), 'n1')).toEqual({ ip: 'fd00:10:244:a::2', block: 'fd00:10:244:a::/124', how: 'own' });
    expect(nextAddress(live(own, []), 'n1')).toEqual({ ip: 'fd00:10:244:a::10', block: 'fd00:10:244:a::10/124', how: 'new-block' });
    expect(nextAddress(live(own, ['fd00:10:244:a::10/124']), 'n1')).toEqual({ ip: 'fd00:10:244:a::10', block: 'fd00:10:244:a::10/124', how: 'borrowed', from: 'n2' });
    expect(nextAddress(live(own, ['fd00:10:244:a::10/124'], true), 'n1')).toBeUndefined();
    expect(freeAddresses(['fd00:10:244:a::/124'], new Set(own.slice(0, 14)))).toEqual(['fd00:10:244:a::e', 'fd00:10:244:a::f']);
  });
});

const { plan, codes } = calicoLab({
  name: 'c6p',
  ipFamilies: ['IPv4', 'IPv6'],
  nodes: { m: { ip: '172.16.94.10' }, n1: { ip: '172.16.94.11', labels: { rack: 'a' } }, n2: { ip: '172.16.94.12' } },
  pods: { a: { node: 'n1' }, b: { node: 'n1' }, c: { node: 'n2' } },
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'v4', cidr: '10.244.0.0/16' },
      { name: 'v6-rack-a', cidr: 'fd00:10:244:a::/120', blockSize: 124, nodeSelector: "rack == 'a'", natOutgoing: true },
      { name: 'v6-rest', cidr: 'fd00:10:244:b::/112', nodeSelector: "!has(rack)", natOutgoing: false },
    ],
  },
});

describe('IPv6 pools in the plan', () => {
  it("each pod's IPv6 address comes from the IPv6 pool that selects its node, in that pool's block size; IPv4 from the IPv4 pool", () => {
    const p = plan();
    expect(p.pods.map((q) => [q.name, q.ips])).toEqual([
      ['a', ['10.244.0.64', 'fd00:10:244:a::']],
      ['b', ['10.244.0.65', 'fd00:10:244:a::1']],
      ['c', ['10.244.0.128', 'fd00:10:244:b::40']],
    ]);
    const n1 = cniOf(p, 'n1').ipv6!;
    expect(n1.blocks).toEqual(['fd00:10:244:a::/124']);
    expect(n1.selected).toEqual(['v6-rack-a']);
    expect(n1.pools.map((q) => [q.name, q.cidr, q.blockSize, q.natOutgoing])).toEqual([
      ['v6-rack-a', 'fd00:10:244:a::/120', 124, true],
      ['v6-rest', 'fd00:10:244:b::/112', 122, false],
    ]);
    expect(cniOf(p, 'm').ipv6!.blocks).toEqual(['fd00:10:244:b::/122']);
    expect(cniOf(p, 'n1').pools.map((q) => q.name)).toEqual(['v4']);
  });

  it("host-local's IPv6 range set is the node's IPv6 blocks", () => {
    const ipam = (plan().nodes.find((n) => n.name === 'n1')!.conflist.plugins[0] as { ipam: { ranges: unknown[][] } }).ipam;
    expect(ipam.ranges[1]).toEqual([{ subnet: 'fd00:10:244:a::/124', rangeStart: 'fd00:10:244:a::', rangeEnd: 'fd00:10:244:a::f', gateway: 'fe80::ecee:eeff:feee:eeee' }]);
  });

  it("bird.conf's IPv6 export filter: the node's blocks, then every enabled IPv6 pool; a disabled one rejected first", () => {
    const conf = render(plan()).get('bird/n1.conf')!;
    expect(conf).toMatch(/filter calico_export_to_bgp_peers6 \{\n {2}calico_aggr6\(\);\n {2}# Pool v6-rack-a\n {2}if \( net ~ fd00:10:244:a::\/120 \) then \{\n {4}accept;\n {2}\}\n {2}# Pool v6-rest\n {2}if \( net ~ fd00:10:244:b::\/112 \) then/);
    expect(conf).toContain('route fd00:10:244:a::/124 blackhole;');
    const off = render(
      plan({
        cni: {
          type: 'calico',
          ipPools: [
            { cidr: 'fd00:10:244:a::/120', blockSize: 124, name: 'old', disabled: true },
            { cidr: 'fd00:10:244:b::/112', name: 'new' },
          ],
        },
      }),
    ).get('bird/n1.conf')!;
    expect(off).toMatch(/filter calico_export_to_bgp_peers6 \{\n {2}# Pool old is disabled: nothing of it is advertised.\n {2}if \( net ~ fd00:10:244:a::\/120 \) then \{ reject; \}\n {2}calico_aggr6\(\);/);
  });

  it("natOutgoing per IPv6 pool: Felix's ip6 table, masquerade from the natOutgoing pools to outside every IPv6 pool", () => {
    const files = render(plan());
    const nft = files.get('nft/n2.calico6.nft')!;
    expect(nft).toContain('table ip6 calico {');
    expect(nft).toMatch(/set masq-ipam-pools \{\n\s+type ipv6_addr\n\s+flags interval\n\s+elements = \{\n\s+fd00:10:244:a::\/120\n\s+\}/);
    expect(nft).toMatch(/set all-ipam-pools \{[\s\S]*?elements = \{\n\s+fd00:10:244:a::\/120,\n\s+fd00:10:244:b::\/112\n/);
    expect(nft).toContain('ip6 saddr @masq-ipam-pools ip6 daddr != @all-ipam-pools masquerade');
    // No IPv6 pool with natOutgoing: no table. The default IPv6 pool has none (CALICO_IPV6POOL_NAT_OUTGOING false).
    expect([...render(plan({ cni: { type: 'calico' } })).keys()].filter((k) => k.includes('calico6'))).toEqual([]);
    // A written IPv6 pool without natOutgoing takes the lab's (true by default).
    expect(cniOf(plan({ cni: { type: 'calico', ipPools: [{ cidr: 'fd00:10:244:c::/112' }] } }), 'm').ipv6!.pools[0]!.natOutgoing).toBe(true);
  });

  it('ipPools with only IPv6 entries: the IPv4 pool is the default one over podCidr', () => {
    const p = plan({ cni: { type: 'calico', ipPools: [{ cidr: 'fd00:10:244:c::/112', name: 'six' }] } });
    expect(cniOf(p, 'n1').pools.map((q) => [q.name, q.cidr])).toEqual([['default-ipv4-ippool', '10.244.0.0/16']]);
    expect(p.pods.find((q) => q.name === 'a')!.ips).toEqual(['10.244.0.64', 'fd00:10:244:c::40']);
  });
});

describe('IPv6 pools: what is refused', () => {
  const v6 = (extra: object) => ({ cni: { type: 'calico' as const, ipPools: [{ name: 'v4', cidr: '10.244.0.0/16' }, { name: 'six', cidr: 'fd00:10:244:c::/112', ...extra }] } });
  it('PL2187 outside the IPv6 podCidr, PL2188 a block size outside 116–128 or larger than the pool, PL2150 not a CIDR', () => {
    expect(codes(v6({ cidr: 'fd00:99::/112' }))).toEqual(['PL2187']);
    expect(codes(v6({ blockSize: 112 }))).toEqual(['PL2188']);
    expect(codes(v6({ blockSize: 129 }))).toEqual(['PL2188']);
    expect(codes(v6({ blockSize: 128 }))).toEqual([]);
    expect(codes(v6({ cidr: 'fd00:10:244:c::1/112' }))).toEqual(['PL2150']);
  });
  it('PL2175 overlapping IPv6 pools, PL2174 a name used by an IPv4 pool, PL2176 a node no IPv6 pool selects, PL2183 too few blocks', () => {
    expect(codes({ cni: { type: 'calico', ipPools: [{ cidr: 'fd00:10:244:c::/112' }, { cidr: 'fd00:10:244:c::/120' }] } })).toEqual(['PL2175']);
    expect(codes(v6({ name: 'v4' }))).toEqual(['PL2174']);
    expect(codes(v6({ nodeSelector: 'has(rack)' }))).toEqual(['PL2176', 'PL2176']); // m and n2 have no rack label
    expect(codes(v6({ cidr: 'fd00:10:244:c::/122', blockSize: 123 }))).toEqual(['PL2183']);
    expect(codes(v6({ cidr: 'fd00:10:244:c::/120', blockSize: 122, disabled: true }))).toEqual(['PL2176', 'PL2176', 'PL2176']);
  });
  it('PL2418 an IPv6 pool in a lab without IPv6', () => {
    expect(codes({ ipFamilies: ['IPv4'], ...v6({}) })).toEqual(['PL2418']);
  });
});

// Recorded from a live dual-stack lab (c6p-rec: cp fd00:172:16:94::a, w1 ::b; BIRD 2.0.12).
// birdc -s …/bird-cp.ctl show protocols Mesh_fd00_172_16_94__b; … show route protocol Mesh_fd00_172_16_94__b; in w1: ip -j -6 route show type blackhole
const ESTABLISHED6 = 'BIRD 2.0.12 ready.\nName       Proto      Table      State  Since         Info\nMesh_fd00_172_16_94__b BGP        ---        up     14:09:41.854  Established   \n';
const LEARNED6 = 'BIRD 2.0.12 ready.\nTable master6:\nfd00:10:244::40/122  unicast [Mesh_fd00_172_16_94__b 14:09:41.900] * (100) [i]\n\tvia fd00:172:16:94::b on eth0\n';
const BLACKHOLE6_W1 = '[{"type":"blackhole","dst":"fd00:10:244::40/122","dev":"lo","protocol":"bird","metric":32,"flags":[],"pref":"medium"}]';
const out = (stdout: string) => ({ stdout, stderr: '', exitCode: 0 });

describe('the bgp and block kinds in IPv6 (family)', () => {
  /** A two-node lab with `checks` (and `extra` over it). */
  const kinds = (checks: LabSpec['checks'], extra: Partial<LabSpec> = {}): Partial<LabSpec> => ({
    name: 'c6p-kinds',
    nodes: { cp: { ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' } },
    pods: { a: { node: 'w1' } },
    cni: { type: 'calico' },
    checks,
    ...extra,
  });
  const planOf = (checks: LabSpec['checks']) => plan(kinds(checks));

  it("bgp: family IPv6 asks the IPv6 session (bird6's Mesh_fd00_…) and, with learned: 'blocks', the peer's IPv6 blocks", async () => {
    const { PROBE_KINDS } = await import('../../src/check/kinds/index.ts');
    const p = planOf([
      { kind: 'bgp', from: 'node/cp', peer: 'node/w1', family: 'IPv6' },
      { kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: 'blocks', family: 'IPv6' },
      { kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: 'fd00:10:244:0::40/122' },
    ]);
    const [session, blocks, one] = p.checks as Extract<Plan['checks'][number], { kind: 'bgp' }>[];
    expect(PROBE_KINDS.bgp.probe(session!, '/probe')).toEqual(['birdc', '-s', '/run/podlab/c6p-kinds/bird-cp.ctl', 'show', 'protocols', 'Mesh_fd00_172_16_94__b']);
    expect(blocks!.learned).toEqual(['fd00:10:244::40/122']);
    // An IPv6 CIDR in learned means the IPv6 session; it is written canonically, as BIRD prints it.
    expect([one!.family, one!.bird.protocol, one!.learned]).toEqual(['IPv6', 'Mesh_fd00_172_16_94__b', ['fd00:10:244::40/122']]);
    expect(PROBE_KINDS.bgp.judge(p, session!, out(ESTABLISHED6))).toMatchObject({ ok: true, seen: 'Mesh_fd00_172_16_94__b up Established' });
    expect(PROBE_KINDS.bgp.judge(p, blocks!, out(LEARNED6))).toMatchObject({ ok: true, seen: 'learned from w1: fd00:10:244::40/122' });
    expect(PROBE_KINDS.bgp.judge(p, blocks!, out('BIRD 2.0.12 ready.\n'))).toMatchObject({ ok: false, seen: 'nothing learned from w1' });
  });

  it("block: family IPv6 reads the node's IPv6 blackholes; a pod's IPv6 address in its node's block or borrowed", async () => {
    const { PROBE_KINDS } = await import('../../src/check/kinds/index.ts');
    const p = planOf([
      { kind: 'block', from: 'node/w1', holds: ['fd00:10:244::40/122'] },
      { kind: 'block', from: 'node/w1', pod: 'a', borrowed: false, family: 'IPv6' },
      { kind: 'block', from: 'node/w1', pod: 'a', family: 'IPv6' },
    ]);
    const [holds, own, borrowed] = p.checks as Extract<Plan['checks'][number], { kind: 'block' }>[];
    expect(PROBE_KINDS.block.probe(holds!, '/probe')).toEqual(['ip', '-j', '-6', 'route', 'show', 'type', 'blackhole']);
    expect(own!.to).toEqual({ kind: 'pod', name: 'a', ip: 'fd00:10:244::40' });
    expect(PROBE_KINDS.block.judge(p, holds!, out(BLACKHOLE6_W1))).toMatchObject({ ok: true, seen: 'w1 holds fd00:10:244::40/122' });
    expect(PROBE_KINDS.block.judge(p, own!, out(BLACKHOLE6_W1))).toMatchObject({ ok: true });
    expect(PROBE_KINDS.block.judge(p, borrowed!, out(BLACKHOLE6_W1))).toMatchObject({ ok: false, seen: 'w1 holds fd00:10:244::40/122; fd00:10:244::40 is in fd00:10:244::40/122' });
  });

  it('PL2186: the IPv6 family asked of a lab without IPv6 (bgp, block, exhaust-block), or a CIDR of the other family', () => {
    const v4 = { ipFamilies: ['IPv4' as const] };
    expect(codes(kinds([{ kind: 'bgp', from: 'node/cp', peer: 'node/w1', family: 'IPv6' }], v4))).toEqual(['PL2186']);
    expect(codes(kinds([{ kind: 'block', from: 'node/w1', holds: ['fd00:10:244::40/122'] }], v4))).toEqual(['PL2186']);
    expect(codes(kinds([], { ...v4, scenarios: { s: { steps: [{ action: 'exhaust-block', node: 'w1', family: 'IPv6' }] } } }))).toEqual(['PL2186']);
    expect(codes(kinds([{ kind: 'block', from: 'node/w1', holds: ['10.244.0.64/26'], family: 'IPv6' }]))).toEqual(['PL2186']);
    expect(codes(kinds([], { scenarios: { s: { steps: [{ action: 'exhaust-block', node: 'w1', family: 'IPv6' }] } } }))).toEqual([]);
  });
});

describe('BGPPeers in dual stack: IPv6 peers as bird6.cfg writes them', () => {
  const hub = {
    type: 'calico' as const,
    nodeToNodeMesh: false,
    peers: [
      { peerIP: '172.16.94.10', asNumber: 64512 },
      { peerIP: 'fd00:172:16:94::a', asNumber: 64512 },
      { node: 'm', peerIP: '172.16.94.11', asNumber: 64512 },
      { node: 'm', peerIP: 'fd00:172:16:94:0::b', asNumber: 64512 },
    ],
  };
  it('an IPv4 peerIP is an IPv4 session, an IPv6 one an IPv6 session (Node_/Global_ with : as _); never to itself', () => {
    const p = plan({ cni: hub });
    const n1 = cniOf(p, 'n1').routing;
    const m = cniOf(p, 'm').routing;
    expect(n1.kind === 'bgp' && [n1.peers.map((x) => x.protocol), n1.peers6!.map((x) => x.protocol)]).toEqual([['Global_172_16_94_10'], ['Global_fd00_172_16_94__a']]);
    expect(m.kind === 'bgp' && [m.peers.map((x) => x.protocol), m.peers6!.map((x) => [x.protocol, x.node, x.ip, x.source])]).toEqual([
      ['Node_172_16_94_11'],
      [['Node_fd00_172_16_94__b', 'n1', 'fd00:172:16:94::b', 'node']],
    ]);
    const conf = render(p).get('bird/n1.conf')!;
    expect(conf).toMatch(/# Node-to-node mesh disabled\n# IPv6 BGP peers \(Calico BGPPeer resources with an IPv6 peerIP\)\n# For peer m\nprotocol bgp Global_fd00_172_16_94__a from bgp_template6 \{\n {2}neighbor fd00:172:16:94::a as 64512;\n {2}source address fd00:172:16:94::b;\n {2}graceful restart time 120;/);
    expect(conf).not.toContain('Mesh_');
  });
  it('PL2172 an IPv6 peerIP outside the IPv6 node network; PL2420 an IPv6 peer in a lab without IPv6', () => {
    expect(codes({ cni: { type: 'calico', peers: [{ peerIP: 'fd00:99::1', asNumber: 64512 }] } })).toEqual(['PL2172']);
    expect(codes({ ipFamilies: ['IPv4'], cni: { type: 'calico', peers: [{ peerIP: 'fd00:172:16:94::a', asNumber: 64512 }] } })).toEqual(['PL2420']);
  });
});

describe("the journal keeps a plan changed in place (the run-time IPAM's new blocks)", () => {
  it('stateJson serializes the plan again after planChanged, not its cached text', async () => {
    const { planChanged, stateJson } = await import('../../src/runtime/state.ts');
    const p = plan();
    const state = { lab: 'c6p', plan: p, pods: {} } as never;
    expect(stateJson(state)).not.toContain('fd00:10:244:a::10/124');
    cniOf(p, 'n1').ipv6!.blocks.push('fd00:10:244:a::10/124');
    expect(stateJson(state)).not.toContain('fd00:10:244:a::10/124'); // cached: what calico-ipam.ts must not rely on
    planChanged(state);
    expect(stateJson(state)).toContain('fd00:10:244:a::10/124');
  });
});
