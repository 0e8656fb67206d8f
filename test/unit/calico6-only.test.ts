/**
 * Calico with IPv6 alone and Calico's VXLAN in IPv6 (pure): the router id hashed from the node name
 * as Calico's confd does (its own test values), the IPv6-only plan (no IPv4 on any device, route
 * or config: host-local's one IPv6 range set, BIRD's IPv6 half alone), Felix's vxlan-v6.calico
 * (MAC, tunnel address taken before the pods, MTU 70 below the link, routes, neighbour and FDB
 * entries) in dual stack and IPv6-only, the bgp and block check kinds over IPv6 judged on output
 * recorded from a live IPv6-only lab, and the rules PL2183–PL2185 and what stays built.
 */
import { describe, expect, it } from 'vitest';
import { hashRouterId } from '../../src/cni/calico/routerid.ts';
import { assignBlocks6Pools } from '../../src/cni/calico/pools6.ts';
import { vtepMac6 } from '../../src/cni/calico/vxlan6.ts';
import { PROBE_KINDS } from '../../src/check/kinds/index.ts';
import { formatPrefix, parsePrefix } from '../../src/net/addr.ts';
import type { Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { calicoLab, cniOf } from './calico6-lab.ts';

const { compile, plan, codesAt: codes } = calicoLab({
  name: 'c6o',
  ipFamilies: ['IPv6'],
  nodes: { m: { role: 'control-plane' }, n1: {}, n2: {} },
  pods: { a: { node: 'n1' }, b: { node: 'n1' }, c: { node: 'n2' } },
});
/** Every IPv4 address or CIDR in a text (dotted quads), for "nothing IPv4 is rendered". */
const ipv4In = (text: string) => text.match(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g) ?? [];

describe("BIRD's router id without IPv4: CALICO_ROUTER_ID=hash", () => {
  it("is confd's HashToIPv4: sha256's first four bytes, the first octet out of 224–255 (Calico's own test values)", () => {
    expect(hashRouterId('nodeTest')).toBe('109.174.215.226');
    expect(hashRouterId('Testrobin123')).toBe('207.94.5.27'); // sha256 starts 0xef (239): minus 32
    expect(hashRouterId('c1-node1')).not.toBe(hashRouterId('c1-node2'));
  });
});

describe('calico IPv6-only: the plan', () => {
  it('pods take /128s of their node’s /122 block; nodes show their IPv6 block and fe80::ecee:eeff:feee:eeee', () => {
    const p = plan();
    expect(p.pods.map((q) => [q.name, q.ip, q.ips])).toEqual([
      ['a', 'fd00:10:244::40', ['fd00:10:244::40']],
      ['b', 'fd00:10:244::41', ['fd00:10:244::41']],
      ['c', 'fd00:10:244::80', ['fd00:10:244::80']],
    ]);
    expect(p.nodes.map((n) => [n.name, n.ip, n.podCidr, n.podGateway])).toEqual([
      ['m', 'fd00:172:16:94::a', 'fd00:10:244::/122', 'fe80::ecee:eeff:feee:eeee'],
      ['n1', 'fd00:172:16:94::b', 'fd00:10:244::40/122', 'fe80::ecee:eeff:feee:eeee'],
      ['n2', 'fd00:172:16:94::c', 'fd00:10:244::80/122', 'fe80::ecee:eeff:feee:eeee'],
    ]);
    const n1 = cniOf(p, 'n1');
    expect([n1.pools, n1.blocks, n1.ipv6?.blocks, n1.ipv6?.only]).toEqual([[], [], ['fd00:10:244::40/122'], true]);
    expect(n1.routing).toMatchObject({ kind: 'bgp', peers: [], routerId: hashRouterId('n1') });
    expect(n1.routing.kind === 'bgp' && n1.routing.peers6!.map((x) => [x.protocol, x.passive])).toEqual([
      ['Mesh_fd00_172_16_94__a', false],
      ['Mesh_fd00_172_16_94__c', true],
    ]);
  });

  it('nothing IPv4 is rendered: no address, route, 169.254.1.1 or IPv4 range; bird.conf is the IPv6 half with the hashed router id', () => {
    const files = render(plan());
    for (const f of ['ip/node-n1.batch', 'cni/n1.conflist', 'ip/fabric.batch']) expect(ipv4In(files.get(f)!), f).toEqual([]);
    const conf = files.get('bird/n1.conf')!;
    // The router id is the one dotted quad: a BGP identifier, not an address of the node.
    expect(ipv4In(conf)).toEqual([hashRouterId('n1')]);
    expect(conf).toContain(`router id ${hashRouterId('n1')};`);
    expect(conf).not.toMatch(/\bipv4\b|protocol bgp Mesh_\d/);
    expect(conf).toMatch(/protocol static static6 \{\n {2}ipv6;\n {2}route fd00:10:244::40\/122 blackhole;/);
    expect(conf).toMatch(/protocol bgp Mesh_fd00_172_16_94__c from bgp_template6 \{\n {2}neighbor fd00:172:16:94::c as 64512;\n {2}source address fd00:172:16:94::b;[^\n]*\n {2}passive on;/);
    const conflist = JSON.parse(files.get('cni/n1.conflist')!);
    expect(conflist.plugins[0].ipam.ranges).toEqual([[{ subnet: 'fd00:10:244::40/122', rangeStart: 'fd00:10:244::40', rangeEnd: 'fd00:10:244::7f', gateway: 'fe80::ecee:eeff:feee:eeee' }]]);
    expect(conflist.plugins[0].ipam.routes).toEqual([{ dst: '::/0' }]);
  });
});

describe("Felix's vxlan-v6.calico", () => {
  it("MAC: 0x66 then sha1('<node>-v6')'s first five bytes, as Felix's vtepMACForHost", () => {
    // printf n1-v6 | sha1sum → 4632557228…
    expect(vtepMac6('n1')).toBe('66:46:32:55:72:28');
  });

  it("each node's tunnel address is taken from its first IPv6 block before its pods", () => {
    const r = assignBlocks6Pools({ pools: [{ cidr: parsePrefix('fd00:10:244::/56')!, blockSize: 122, disabled: false, selects: [true, true] }], nodes: 2, pods: [{ node: 1 }, { node: 1 }], tunnels: true });
    expect(r.tunnels).toEqual(['fd00:10:244::', 'fd00:10:244::40']);
    expect(r.pods).toEqual(['fd00:10:244::41', 'fd00:10:244::42']);
    expect(r.blocks.map((b) => b.map(formatPrefix))).toEqual([['fd00:10:244::/122'], ['fd00:10:244::40/122']]);
  });

  it('dual stack: vxlan.calico (MTU 1450) beside vxlan-v6.calico (MTU 1430, local the node IPv6 address); pods at 1430; routes onlink via the peers’ tunnel addresses', () => {
    const p = plan({ ipFamilies: ['IPv4', 'IPv6'], cni: { type: 'calico', encapsulation: 'VXLAN' } });
    const n1 = cniOf(p, 'n1');
    expect(n1.routing.kind === 'vxlan' && [n1.routing.vxlan.dev, n1.routing.vxlan.mtu]).toEqual(['vxlan.calico', 1450]);
    expect(n1.ipv6?.vxlan).toMatchObject({ dev: 'vxlan-v6.calico', vni: 4096, port: 4789, mtu: 1430, mac: vtepMac6('n1'), address: 'fd00:10:244::40' });
    expect(p.pods.find((q) => q.name === 'a')!.ips).toEqual(['10.244.0.65', 'fd00:10:244::41']);
    const files = render(p);
    const batch = files.get('ip/node-n1.batch')!;
    expect(batch).toContain(`link add name vxlan-v6.calico address ${vtepMac6('n1')} mtu 1430 type vxlan id 4096 local fd00:172:16:94::b dev eth0 dstport 4789 nolearning`);
    expect(batch).toContain('address add fd00:10:244::40/128 dev vxlan-v6.calico nodad');
    expect(batch).toContain(`neigh add fd00:10:244::80 lladdr ${vtepMac6('n2')} dev vxlan-v6.calico nud permanent`);
    expect(batch).toContain('route add blackhole fd00:10:244::40/122');
    expect(batch).toContain('route add fd00:10:244::80/122 via fd00:10:244::80 dev vxlan-v6.calico onlink');
    expect(files.get('ip/fdb6-n1.batch')).toContain(`fdb append ${vtepMac6('n2')} dev vxlan-v6.calico dst fd00:172:16:94::c`);
    expect(JSON.parse(files.get('cni/n1.conflist')!).plugins[0].mtu).toBe(1430);
    expect(files.has('bird/n1.conf')).toBe(false);
  });

  it('IPv6 primary: the same two devices; pods list their IPv6 address first', () => {
    const p = plan({ ipFamilies: ['IPv6', 'IPv4'], cni: { type: 'calico', encapsulation: 'VXLAN' } });
    const n1 = cniOf(p, 'n1');
    expect([n1.routing.kind === 'vxlan' && n1.routing.vxlan.dev, n1.ipv6?.vxlan?.dev, n1.ipv6?.vxlan?.address]).toEqual(['vxlan.calico', 'vxlan-v6.calico', 'fd00:10:244::40']);
    expect(p.pods.find((q) => q.name === 'a')!.ips).toEqual(['fd00:10:244::41', '10.244.0.65']);
  });

  it('IPv6-only: vxlan-v6.calico alone, nothing IPv4 rendered', () => {
    const p = plan({ cni: { type: 'calico', encapsulation: 'VXLAN' } });
    const n1 = cniOf(p, 'n1');
    expect(n1.routing).toMatchObject({ kind: 'vxlan', vxlan: { dev: 'vxlan-v6.calico', address: 'fd00:10:244::40', mtu: 1430 } });
    expect(n1.ipv6?.vxlan).toBeUndefined();
    const files = render(p);
    const batch = files.get('ip/node-n1.batch')!;
    expect(ipv4In(batch)).toEqual([]);
    expect(batch).not.toContain('vxlan.calico ');
    expect(files.get('ip/fdb-n1.batch')).toContain(`fdb append ${vtepMac6('n2')} dev vxlan-v6.calico dst fd00:172:16:94::c`);
  });
});

// Recorded in c6o-rec (labs/calico-ipv6-only.lab.ts renamed), node c1-node1, BIRD 2.0.12.
const ESTABLISHED6 = 'BIRD 2.0.12 ready.\nName       Proto      Table      State  Since         Info\nMesh_fd00_172_16_94__c BGP        ---        up     13:55:29.048  Established   ';
const LEARNED6 = 'BIRD 2.0.12 ready.\nTable master6:\nfd00:10:244::80/122  unicast [Mesh_fd00_172_16_94__c 13:55:29.094] * (100) [i]\n\tvia fd00:172:16:94::c on eth0';
const BLACKHOLE6 = '[{"type":"blackhole","dst":"fd00:10:244::40/122","dev":"lo","protocol":"bird","metric":32,"flags":[],"pref":"medium"}]';
const out = (stdout: string, exitCode = 0) => ({ stdout, stderr: '', exitCode });

describe('the bgp and block check kinds over IPv6', () => {
  const p = plan({
    checks: [
      { kind: 'bgp', from: 'node/n1', peer: 'node/n2' },
      { kind: 'bgp', from: 'node/n1', peer: 'node/n2', learned: 'blocks' },
      { kind: 'block', from: 'node/n1', holds: ['fd00:10:244::40/122'] },
      { kind: 'block', from: 'node/n1', pod: 'a', borrowed: false },
    ],
  });
  const [session, learned, holds, own] = p.checks as never[];

  it("bgp: the IPv6 mesh session's protocol, the peer's IPv6 blocks, judged on birdc's output", () => {
    expect(PROBE_KINDS.bgp.probe(session!, '/probe')).toEqual(['birdc', '-s', '/run/podlab/c6o/bird-n1.ctl', 'show', 'protocols', 'Mesh_fd00_172_16_94__c']);
    expect(PROBE_KINDS.bgp.judge(p, session!, out(ESTABLISHED6)).ok).toBe(true);
    expect(PROBE_KINDS.bgp.judge(p, learned!, out(LEARNED6))).toMatchObject({ ok: true, seen: 'learned from n2: fd00:10:244::80/122' });
    expect(PROBE_KINDS.bgp.judge(p, learned!, out('BIRD 2.0.12 ready.\n')).ok).toBe(false);
  });

  it('block: reads the IPv6 blackholes (ip -6), a node’s IPv6 block and a pod’s IPv6 address in it', () => {
    expect(PROBE_KINDS.block.probe(holds!, '/probe')).toEqual(['ip', '-j', '-6', 'route', 'show', 'type', 'blackhole']);
    expect(PROBE_KINDS.block.probe(own!, '/probe')).toEqual(['ip', '-j', '-6', 'route', 'show', 'type', 'blackhole']);
    expect(PROBE_KINDS.block.judge(p, holds!, out(BLACKHOLE6))).toMatchObject({ ok: true, seen: 'n1 holds fd00:10:244::40/122' });
    expect(PROBE_KINDS.block.judge(p, own!, out(BLACKHOLE6))).toMatchObject({ ok: true, seen: 'n1 holds fd00:10:244::40/122; fd00:10:244::40 is in fd00:10:244::40/122' });
    expect(PROBE_KINDS.block.judge(p, holds!, out('[]')).ok).toBe(false);
  });
});

describe("the bgp and block check kinds' family in dual stack", () => {
  const p = plan({
    ipFamilies: ['IPv4', 'IPv6'],
    checks: [
      { kind: 'bgp', from: 'node/n1', peer: 'node/n2', family: 'IPv6', learned: 'blocks' },
      { kind: 'bgp', from: 'node/n1', peer: 'node/n2', learned: 'blocks' },
      { kind: 'block', from: 'node/n1', pod: 'a', borrowed: false, family: 'IPv6' },
      { kind: 'block', from: 'node/n1', pod: 'a', borrowed: false },
    ],
  });
  const [bgp6, bgp4, block6, block4] = p.checks as never[];

  it("family 'IPv6' asks the IPv6 mesh session and the peer's IPv6 blocks; without it, the IPv4 ones", () => {
    expect(PROBE_KINDS.bgp.probe(bgp6!, '/probe').at(-1)).toBe('Mesh_fd00_172_16_94__c');
    expect((bgp6 as { learned: string[] }).learned).toEqual(['fd00:10:244::80/122']);
    expect(PROBE_KINDS.bgp.judge(p, bgp6!, out(LEARNED6)).ok).toBe(true);
    expect(PROBE_KINDS.bgp.probe(bgp4!, '/probe').at(-1)).toBe('Mesh_172_16_94_12');
    expect((bgp4 as { learned: string[] }).learned).toEqual(['10.244.0.128/26']);
  });

  it("family 'IPv6' reads the IPv6 blackholes and the pod's IPv6 address", () => {
    expect(PROBE_KINDS.block.probe(block6!, '/probe')).toEqual(['ip', '-j', '-6', 'route', 'show', 'type', 'blackhole']);
    expect((block6 as { to: { ip: string } }).to.ip).toBe('fd00:10:244::40');
    expect(PROBE_KINDS.block.judge(p, block6!, out(BLACKHOLE6)).ok).toBe(true);
    expect(PROBE_KINDS.block.probe(block4!, '/probe')).toEqual(['ip', '-j', 'route', 'show', 'type', 'blackhole']);
    expect((block4 as { to: { ip: string } }).to.ip).toBe('10.244.0.64');
  });

  it('a family the lab does not have, or holds of the other family, is PL2186', () => {
    expect(codes({ ipFamilies: ['IPv4'], nodes: { n1: { ip: '172.16.94.11' }, n2: { ip: '172.16.94.12' } }, checks: [{ kind: 'bgp', from: 'node/n1', peer: 'node/n2', family: 'IPv6' }] })).toEqual(['PL2186 checks.0.family']);
    expect(codes({ checks: [{ kind: 'block', from: 'node/n1', holds: ['fd00:10:244::40/122'], family: 'IPv4' }] })).toEqual(['PL2186 checks.0.family', 'PL2186 checks.0.holds.0']);
  });
});

describe('calico with IPv6: what is refused, and what is built now', () => {
  it('IPv6-only: an IPv4 pool (PL2184), an IPv4 BGPPeer (PL2185), too small an IPv6 pool counting the VXLAN tunnel addresses (PL2183)', () => {
    expect(codes({ cni: { type: 'calico', ipPool: { cidr: '10.244.0.0/16' } } })).toEqual(['PL2184 cni.ipPool.cidr']);
    expect(codes({ cni: { type: 'calico', ipPools: [{ cidr: '10.244.0.0/16' }] } })).toEqual(['PL2184 cni.ipPools.0.cidr']);
    // The mesh off and IPv6 BGPPeers are built (hashed router ids, IPv6 sessions alone); an IPv4 peerIP has no address to peer from.
    expect(codes({ cni: { type: 'calico', nodeToNodeMesh: false } })).toEqual([]);
    expect(codes({ cni: { type: 'calico', peers: [{ peerIP: 'fd00:172:16:94::c', asNumber: 64512 }] } })).toEqual([]);
    expect(codes({ cni: { type: 'calico', peers: [{ peerIP: '172.16.94.12', asNumber: 64512 }] } })).toEqual(['PL2185 cni.peers.0.peerIP']);
    // /121: two /122 blocks. Two nodes with 64 pods each fit in BGP; with VXLAN the tunnel addresses do not leave room.
    const full = { podCidr: 'fd00:10:244::/121', nodes: { n1: {}, n2: {} }, pods: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`p${i}`, { node: 'n1' }])) };
    expect(codes(full)).toEqual([]);
    expect(codes({ ...full, cni: { type: 'calico', encapsulation: 'VXLAN' } })).toEqual(['PL2183 cni']);
  });

  it('built: IPv6-only in both routings, VXLAN in dual stack either order of families', () => {
    expect(codes({})).toEqual([]);
    expect(codes({ cni: { type: 'calico', encapsulation: 'VXLAN' } })).toEqual([]);
    expect(codes({ ipFamilies: ['IPv4', 'IPv6'], cni: { type: 'calico', encapsulation: 'VXLAN' } })).toEqual([]);
    expect(codes({ ipFamilies: ['IPv6', 'IPv4'], cni: { type: 'calico', encapsulation: 'VXLAN' } })).toEqual([]);
  });
});

describe('podlab status for Calico with IPv6 alone, and with vxlan-v6.calico', () => {
  /** An executor answering `ip … route show type blackhole` with the node's planned blocks, and birdc with every session Established. */
  const exFor = (p: Plan) => ({
    async run(argv: readonly string[]) {
      const res = (stdout: string) => ({ stdout, stderr: '', exitCode: 0 });
      if (argv[0] === 'ip') {
        const node = argv[2]!.split('.').at(-1)!;
        const block = argv[3] === '-6' ? cniOf(p, node).ipv6!.blocks[0] : cniOf(p, node).blocks[0];
        return res(JSON.stringify(block ? [{ type: 'blackhole', dst: block, protocol: 'bird', metric: 32, flags: [] }] : []));
      }
      const node = argv[2]!.match(/bird-(\w+)\.ctl/)![1]!;
      const rows = cniOf(p, node).routing.kind === 'bgp' ? (cniOf(p, node).routing as { peers6: { protocol: string }[] }).peers6 : [];
      return res(['BIRD 2.0.12 ready.', 'Name       Proto      Table      State  Since         Info', ...rows.map((r) => `${r.protocol} BGP        ---        up     13:55:29.048  Established   `)].join('\n'));
    },
    spawn: async () => 0,
    signal: () => {},
  });

  it('IPv6-only: the IPv6 pool, blocks and sessions, no IPv4 pool, block or session line', async () => {
    const p = plan();
    const { calicoStatus, calicoStatusLines } = await import('../../src/runtime/calico-status.ts');
    const lines = calicoStatusLines((await calicoStatus(exFor(p) as never, { plan: p } as never))!);
    expect(lines).toEqual([
      '  pool default-ipv6-ippool fd00:10:244::/56 (/122 blocks, natOutgoing false, encapsulation None)',
      '  blocks6 m             fd00:10:244::/122',
      '  bgp6   m              n1 Established, n2 Established',
      '  blocks6 n1            fd00:10:244::40/122',
      '  bgp6   n1             m Established, n2 Established',
      '  blocks6 n2            fd00:10:244::80/122',
      '  bgp6   n2             m Established, n1 Established',
    ]);
  });

  it('VXLAN in dual stack: both pools (the IPv6 one with VXLAN), both blocks per node, no sessions', async () => {
    const p = plan({ ipFamilies: ['IPv4', 'IPv6'], cni: { type: 'calico', encapsulation: 'VXLAN' } });
    const { calicoStatus, calicoStatusLines } = await import('../../src/runtime/calico-status.ts');
    const lines = calicoStatusLines((await calicoStatus(exFor(p) as never, { plan: p } as never))!);
    expect(lines).toContain('  pool default-ipv6-ippool fd00:10:244::/56 (/122 blocks, natOutgoing false, encapsulation VXLAN)');
    expect(lines).toContain('  blocks n1             10.244.0.64/26');
    expect(lines).toContain('  blocks6 n1            fd00:10:244::40/122');
    expect(lines.filter((l) => l.includes('bgp'))).toEqual([]);
  });
});

describe("IPv6-only with c6pools' IPv6 side: several pools, natOutgoing per pool, IPv6 BGPPeers, VXLAN over pools", () => {
  const pools = {
    ipPools: [
      { name: 'v6-a', cidr: 'fd00:10:244::/120', nodeSelector: "kubernetes.io/hostname == 'n1'", natOutgoing: true },
      { name: 'v6-b', cidr: 'fd00:10:244:1::/120', blockSize: 124, natOutgoing: false },
    ],
  };

  it('no default IPv4 pool; each node claims from its selected IPv6 pools; nothing IPv4 rendered', () => {
    const { lab } = compile({ cni: { type: 'calico', ...pools } });
    expect((lab!.cni as { pools: unknown[] }).pools).toEqual([]);
    const p = plan({ cni: { type: 'calico', ...pools } });
    expect(p.nodes.map((n) => [n.name, cniOf(p, n.name).ipv6!.selected, cniOf(p, n.name).ipv6!.blocks])).toEqual([
      ['m', ['v6-b'], ['fd00:10:244:1::/124']],
      ['n1', ['v6-a', 'v6-b'], ['fd00:10:244::/122']],
      ['n2', ['v6-b'], ['fd00:10:244:1::10/124']],
    ]);
    expect(p.pods.map((q) => q.ip)).toEqual(['fd00:10:244::', 'fd00:10:244::1', 'fd00:10:244:1::10']);
    const files = render(p);
    const routing = cniOf(p, 'n1').routing;
    // The router id alone is IPv4-shaped (hashed from the node name).
    expect(ipv4In(files.get('bird/n1.conf')!).filter((a) => routing.kind !== 'bgp' || a !== routing.routerId)).toEqual([]);
    expect(ipv4In(files.get('ip/node-n1.batch') ?? '')).toEqual([]);
    expect(files.get('bird/n1.conf')).toMatch(/# Pool v6-a\n {2}if \( net ~ fd00:10:244::\/120 \) then/);
    expect(files.get('bird/n1.conf')).toMatch(/# Pool v6-b\n {2}if \( net ~ fd00:10:244:1::\/120 \) then/);
  });

  it("natOutgoing per IPv6 pool: the ip6 calico table masquerades v6-a's pods alone", async () => {
    const { calicoNatTable6 } = await import('../../src/cni/calico/nat6.ts');
    const { calicoNatTable } = await import('../../src/cni/calico/nat.ts');
    const p = plan({ cni: { type: 'calico', ...pools } });
    const t = calicoNatTable6(cniOf(p, 'n1').ipv6!.pools)!;
    expect(t.sets.map((s) => [s.name, s.elements])).toEqual([
      ['masq-ipam-pools', [['fd00:10:244::/120']]],
      ['all-ipam-pools', [['fd00:10:244::/120'], ['fd00:10:244:1::/120']]],
    ]);
    expect(calicoNatTable(cniOf(p, 'n1').pools)).toBeUndefined();
  });

  it('nodeToNodeMesh false and IPv6 BGPPeers: bird6 sessions from the IPv6 address, router id hashed', () => {
    const p = plan({ cni: { type: 'calico', nodeToNodeMesh: false, peers: [{ node: 'n1', peerIP: 'fd00:172:16:94::c', asNumber: 64512 }, { peerIP: 'fd00:172:16:94::a', asNumber: 64512 }] } });
    const r = cniOf(p, 'n1').routing;
    expect(r.kind === 'bgp' && [r.routerId, r.peers, r.peers6]).toEqual([
      hashRouterId('n1'),
      [],
      [
        { node: 'n2', ip: 'fd00:172:16:94::c', asNumber: 64512, protocol: 'Node_fd00_172_16_94__c', passive: false, source: 'node' },
        { node: 'm', ip: 'fd00:172:16:94::a', asNumber: 64512, protocol: 'Global_fd00_172_16_94__a', passive: false, source: 'global' },
      ],
    ]);
    const conf = render(p).get('bird/n1.conf')!;
    expect(conf).toMatch(/# Node-to-node mesh disabled/);
    expect(conf).toMatch(/protocol bgp Node_fd00_172_16_94__c from bgp_template6 \{\n {2}neighbor fd00:172:16:94::c as 64512;\n {2}source address fd00:172:16:94::b;/);
    expect(conf).not.toMatch(/Mesh_/);
  });

  it("VXLAN over several IPv6 pools: each node's tunnel address is the first of its first block, of its first selected pool", () => {
    const p = plan({ cni: { type: 'calico', encapsulation: 'VXLAN', ...pools } });
    const v = (n: string) => { const r = cniOf(p, n).routing; return r.kind === 'vxlan' ? r.vxlan : undefined; };
    expect(['m', 'n1', 'n2'].map((n) => v(n)!.address)).toEqual(['fd00:10:244:1::', 'fd00:10:244::', 'fd00:10:244:1::10']);
    // The pods come after the tunnel addresses.
    expect(p.pods.map((q) => q.ip)).toEqual(['fd00:10:244::1', 'fd00:10:244::2', 'fd00:10:244:1::11']);
    expect(v('n1')!.peers.map((q) => [q.node, q.address, q.blocks])).toEqual([
      ['m', 'fd00:10:244:1::', ['fd00:10:244:1::/124']],
      ['n2', 'fd00:10:244:1::10', ['fd00:10:244:1::10/124']],
    ]);
  });
});
