/**
 * The calico mode in dual stack: the IPv6 block IPAM (pure: /122 blocks of the IPv6 pool claimed in
 * node order, pods numbered from their node's blocks, a second block when one is full, none when the
 * pool is out of blocks), what the plan makes of it (each pod's /128, the conflist's second range set,
 * the IPv6 mesh and its passive rule), bird.conf's IPv6 half, and the rules PL2182–PL2183.
 * The whole bird.conf is golden (generated/calico-dual-stack/bird/, test/unit/golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { nextAddress } from '../../src/cni/calico/ipam.ts';
import { assignBlocks6Pools } from '../../src/cni/calico/pools6.ts';
import { formatPrefix, parsePrefix, type Prefix } from '../../src/net/addr.ts';
import { render } from '../../src/render/render.ts';
import { calicoLab, cniOf } from './calico6-lab.ts';

const pool = parsePrefix('fd00:10:244::/56')!;
/** The default IPv6 pool alone: it selects every node, and no address is borrowed. */
const assignBlocks6 = (o: { pool: Prefix; blockSize: number; nodes: number; pods: { node: number }[] }) =>
  assignBlocks6Pools({ pools: [{ cidr: o.pool, blockSize: o.blockSize, disabled: false, selects: Array.from({ length: o.nodes }, () => true) }], nodes: o.nodes, pods: o.pods, strictAffinity: true });

describe('calico IPv6 IPAM: /122 blocks', () => {
  it('each node claims a first IPv6 block as it joins, in node order; pods take its addresses from ::0 of the block', () => {
    const r = assignBlocks6({ pool, blockSize: 122, nodes: 3, pods: [{ node: 1 }, { node: 1 }, { node: 2 }] });
    expect(r.blocks.map((b) => b.map(formatPrefix))).toEqual([['fd00:10:244::/122'], ['fd00:10:244::40/122'], ['fd00:10:244::80/122']]);
    expect(r.pods).toEqual(['fd00:10:244::40', 'fd00:10:244::41', 'fd00:10:244::80']);
  });

  it('a node whose block is full claims the next free block of the pool (after every node joined)', () => {
    const pods = Array.from({ length: 65 }, () => ({ node: 0 }));
    const r = assignBlocks6({ pool, blockSize: 122, nodes: 2, pods });
    expect(r.blocks.map((b) => b.map(formatPrefix))).toEqual([['fd00:10:244::/122', 'fd00:10:244::80/122'], ['fd00:10:244::40/122']]);
    expect(r.pods[63]).toBe('fd00:10:244::3f');
    expect(r.pods[64]).toBe('fd00:10:244::80');
  });

  it('a pool with fewer blocks than nodes leaves the last node without a block; a full pool leaves a pod without an address', () => {
    const small = parsePrefix('fd00:10:244::/121')!;
    expect(assignBlocks6({ pool: small, blockSize: 122, nodes: 3, pods: [] }).blocks[2]).toEqual([]);
    const r = assignBlocks6({ pool: small, blockSize: 122, nodes: 2, pods: Array.from({ length: 65 }, () => ({ node: 0 })) });
    expect(r.pods[64]).toBeUndefined();
  });

  it('at run time: the next free address after the one handed out last, wrapping, skipping taken ones', () => {
    // The node's own block only (no pool to claim a new one from, no borrowing): the address alone.
    const next = (taken: Set<string>, after?: string) =>
      nextAddress({ pools: [], nodes: [{ name: 'n1', blocks: ['fd00:10:244::40/122'], selected: [], ...(after ? { after } : {}) }], taken, strictAffinity: true }, 'n1')?.ip;
    expect(next(new Set(['fd00:10:244::40']))).toBe('fd00:10:244::41');
    expect(next(new Set(['fd00:10:244::40', 'fd00:10:244::42']), 'fd00:10:244::41')).toBe('fd00:10:244::43');
    expect(next(new Set(['fd00:10:244::41']), 'fd00:10:244::7f')).toBe('fd00:10:244::40');
    const all = new Set(Array.from({ length: 64 }, (_, i) => `fd00:10:244::${(0x40 + i).toString(16)}`));
    expect(next(all)).toBeUndefined();
  });
});

const { plan, codes } = calicoLab({
  name: 'cal6',
  ipFamilies: ['IPv4', 'IPv6'],
  nodes: { m: { ip: '172.16.94.10' }, n1: { ip: '172.16.94.11' }, n2: { ip: '172.16.94.12' } },
  pods: { a: { node: 'n1' }, b: { node: 'n1' }, c: { node: 'n2' } },
});

describe('calico dual stack: the plan', () => {
  it("each pod has an address of its node's IPv4 block and one of its IPv6 block, in ipFamilies order", () => {
    const p = plan();
    expect(p.pods.map((q) => [q.name, q.ips])).toEqual([
      ['a', ['10.244.0.64', 'fd00:10:244::40']],
      ['b', ['10.244.0.65', 'fd00:10:244::41']],
      ['c', ['10.244.0.128', 'fd00:10:244::80']],
    ]);
    const v6first = plan({ ipFamilies: ['IPv6', 'IPv4'] });
    expect(v6first.pods.find((q) => q.name === 'c')!.ips).toEqual(['fd00:10:244::80', '10.244.0.128']);
  });

  it("the node: its IPv6 blocks and pool, its pods' IPv6 addresses, podCidrs of both families", () => {
    const p = plan();
    const n1 = cniOf(p, 'n1');
    expect(n1.ipv6).toEqual({
      ip: 'fd00:172:16:94::b',
      pools: [{ name: 'default-ipv6-ippool', cidr: 'fd00:10:244::/56', blockSize: 122, nodeSelector: 'all()', natOutgoing: false, disabled: false, encapsulation: 'None' }],
      selected: ['default-ipv6-ippool'],
      blocks: ['fd00:10:244::40/122'],
      borrowed: [],
    });
    expect(n1.workloads.map((w) => w.ip6)).toEqual(['fd00:10:244::40', 'fd00:10:244::41']);
    expect(p.nodes.find((n) => n.name === 'n1')!.podCidrs).toEqual(['10.244.0.64/26', 'fd00:10:244::40/122']);
  });

  it('the conflist: host-local gets a second range set, the IPv6 block with its every address, gateway the veth link-local', () => {
    const ipam = (plan().nodes.find((n) => n.name === 'n2')!.conflist.plugins[0] as { ipam: { ranges: unknown[][]; routes: unknown[] } }).ipam;
    expect(ipam.ranges[1]).toEqual([{ subnet: 'fd00:10:244::80/122', rangeStart: 'fd00:10:244::80', rangeEnd: 'fd00:10:244::bf', gateway: 'fe80::ecee:eeff:feee:eeee' }]);
    expect(ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
  });

  it("the IPv6 mesh: one session per other node's IPv6 address, named as Calico's bird6 names it; the higher address connects", () => {
    const r = cniOf(plan(), 'n1').routing;
    expect(r.kind === 'bgp' && r.peers6).toEqual([
      { node: 'm', ip: 'fd00:172:16:94::a', asNumber: 64512, protocol: 'Mesh_fd00_172_16_94__a', passive: false, source: 'mesh' },
      { node: 'n2', ip: 'fd00:172:16:94::c', asNumber: 64512, protocol: 'Mesh_fd00_172_16_94__c', passive: true, source: 'mesh' },
    ]);
  });

  it("bird.conf: a static blackhole per IPv6 block, an IPv6 kernel protocol, the IPv6 export filter, sessions from the node's IPv6 address", () => {
    const conf = render(plan()).get('bird/n1.conf')!;
    expect(conf).toMatch(/protocol static static6 \{\n {2}ipv6;\n {2}route fd00:10:244::40\/122 blackhole;\n\}/);
    expect(conf).toMatch(/protocol kernel kernel6 \{[\s\S]*?ipv6 \{\n {4}import all;\n {4}export filter calico_kernel_programming6;/);
    expect(conf).toMatch(/filter calico_export_to_bgp_peers6 \{\n {2}calico_aggr6\(\);[\s\S]*?if \( net ~ fd00:10:244::\/56 \) then/);
    expect(conf).toMatch(/protocol bgp Mesh_fd00_172_16_94__c from bgp_template6 \{\n {2}neighbor fd00:172:16:94::c as 64512;\n {2}source address fd00:172:16:94::b;\n {2}passive on;/);
    // An IPv4-only lab's bird.conf has no IPv6 half.
    const v4 = render(plan({ ipFamilies: ['IPv4'] })).get('bird/n1.conf')!;
    expect(v4).not.toMatch(/ipv6|static6|Mesh_fd00/);
  });
});

describe('calico dual stack: what is refused', () => {
  it('an IPv6 pool with fewer /122 blocks than nodes (PL2183); BGPPeers, no mesh, VXLAN and IPv6 alone are built (calico6-pools, calico6-only)', () => {
    // BGPPeers and the mesh off are built in dual stack (issue 24: calico6-pools.test.ts), no longer PL2182.
    expect(codes({ cni: { type: 'calico', nodeToNodeMesh: false } })).toEqual([]);
    expect(codes({ cni: { type: 'calico', peers: [{ peerIP: '172.16.94.12', asNumber: 64512 }] } })).toEqual([]);
    expect(codes({ podCidr: ['10.244.0.0/16', 'fd00:10:244::/121'], podCidrMaskSizeIPv6: 123 })).toEqual(['PL2183']);
    expect(codes({ podCidr: ['10.244.0.0/16', 'fd00:10:244::/120'], podCidrMaskSizeIPv6: 123 })).toEqual([]);
    expect(codes({ cni: { type: 'calico', encapsulation: 'VXLAN' } })).toEqual([]);
    expect(codes({ ipFamilies: ['IPv6'], nodes: { n1: {}, n2: {} }, pods: {} })).toEqual([]);
    expect(codes({ ipFamilies: ['IPv4'], cni: { type: 'calico', encapsulation: 'VXLAN' } })).toEqual([]);
  });
});

describe('podlab status for a dual-stack Calico lab', () => {
  it('adds the IPv6 pool, the IPv6 blocks each node holds (ip -6 blackholes) and its IPv6 mesh sessions as BIRD reports them', async () => {
    const p = plan();
    const { calicoStatus, calicoStatusLines } = await import('../../src/runtime/calico-status.ts');
    const res = (stdout: string, exitCode = 0) => ({ stdout, stderr: '', exitCode });
    // Recorded `birdc show protocols` of n1 (BIRD 2.0.12), n2's IPv6 session to m not up yet.
    const protocols = (node: string) =>
      [
        'BIRD 2.0.12 ready.',
        'Name       Proto      Table      State  Since         Info',
        'Mesh_172_16_94_10 BGP        ---        up     12:19:36.666  Established   ',
        'Mesh_172_16_94_11 BGP        ---        up     12:19:36.666  Established   ',
        'Mesh_172_16_94_12 BGP        ---        up     12:19:36.483  Established   ',
        'Mesh_fd00_172_16_94__a BGP        ---        ' + (node === 'n2' ? 'start  12:19:36.651  Active        ' : 'up     12:19:36.651  Established   '),
        'Mesh_fd00_172_16_94__b BGP        ---        up     12:19:36.596  Established   ',
        'Mesh_fd00_172_16_94__c BGP        ---        up     12:19:36.596  Established   ',
      ].join('\n') + '\n';
    const ex = {
      async run(argv: readonly string[]) {
        if (argv[0] === 'ip') {
          const node = argv[2]!.split('.').at(-1)!;
          const block = argv[3] === '-6' ? cniOf(p, node).ipv6!.blocks[0] : cniOf(p, node).blocks[0];
          return res(JSON.stringify([{ type: 'blackhole', dst: block, protocol: 'bird', metric: 32, flags: [] }]));
        }
        return res(protocols(argv[2]!.match(/bird-(\w+)\.ctl/)![1]!));
      },
      spawn: async () => 0,
      signal: () => {},
    };
    const lines = calicoStatusLines((await calicoStatus(ex as never, { plan: p } as never))!);
    expect(lines).toContain('  pool default-ipv6-ippool fd00:10:244::/56 (/122 blocks, natOutgoing false, encapsulation None)');
    expect(lines).toContain('  blocks6 n1            fd00:10:244::40/122');
    expect(lines).toContain('  bgp6   n1             m Established, n2 Established');
    expect(lines).toContain('  bgp6   n2             m start Active, n1 Established');
    expect(lines).toContain('  blocks n1             10.244.0.64/26');
  });
});
