/**
 * The calico mode's plan: blocks claimed per node on demand, pod addresses from them, cali veth
 * names, the conflist (podlab's calico plugin, host-local over the node's blocks), the BGP mesh
 * (passive rule) or VXLAN routes, natOutgoing per pool, and what render and up.sh make of it.
 * The bird.conf files themselves are golden (generated/calico/bird/, test/unit/golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { assignBlocks, type PoolInput } from '../../src/cni/calico/ipam.ts';
import { hostVethName, type CalicoNode } from '../../src/cni/calico/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { PODLAB_UIDS } from '../../src/constants.ts';
import type { LabSpec } from '../../src/index.ts';
import * as ip from '../../src/net/ipv4.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { probeKernel } from '../../src/runtime/preflight.ts';
import { recordingExecutor } from './recorder.ts';

function plan(spec: Partial<LabSpec> & { cni: LabSpec['cni'] }): Plan {
  const { lab, diagnostics } = validateValue(
    {
      name: 'cal',
      nodes: { m: { ip: '172.16.94.10' }, n1: { ip: '172.16.94.11' }, n2: { ip: '172.16.94.12' } },
      pods: { a: { node: 'n1' }, b: { node: 'n1' }, c: { node: 'n2' } },
      dns: false,
      ...spec,
    },
    'cal.lab.ts',
  );
  expect(diagnostics).toEqual([]);
  return buildPlan(lab!);
}
const cniOf = (p: Plan, node: string) => p.nodes.find((n) => n.name === node)!.cni as CalicoNode;
const podIp = (p: Plan, pod: string) => p.pods.find((q) => q.name === pod)!.ip;

describe('calico IPAM: blocks', () => {
  const one = (blockSize: number, nodes: number): PoolInput[] => [{ cidr: ip.parseCidr('10.244.0.0/16')!, blockSize, disabled: false, selects: Array.from({ length: nodes }, () => true) }];

  it('each node claims a first block as it joins, in node order; pods take every address of it, .0 included', () => {
    const r = assignBlocks({ pools: one(26, 3), nodes: 3, pods: [{ node: 1 }, { node: 1 }, { node: 2 }], tunnel: false });
    expect(r.blocks.map((b) => b.map(ip.formatCidr))).toEqual([['10.244.0.0/26'], ['10.244.0.64/26'], ['10.244.0.128/26']]);
    expect(r.pods).toEqual(['10.244.0.64', '10.244.0.65', '10.244.0.128']);
    expect(r.tunnels).toEqual([undefined, undefined, undefined]);
  });

  it('a node whose blocks are full claims the next free block of the pool, on demand', () => {
    const pods = [...Array.from({ length: 65 }, () => ({ node: 0 })), { node: 1 }];
    const r = assignBlocks({ pools: one(26, 2), nodes: 2, pods, tunnel: false });
    expect(r.blocks.map((b) => b.map(ip.formatCidr))).toEqual([['10.244.0.0/26', '10.244.0.128/26'], ['10.244.0.64/26']]);
    expect(r.pods[63]).toBe('10.244.0.63');
    expect(r.pods[64]).toBe('10.244.0.128');
    expect(r.pods[65]).toBe('10.244.0.64');
  });

  it('VXLAN: the first address of each node is its tunnel address; blockSize is honoured', () => {
    const r = assignBlocks({ pools: one(28, 2), nodes: 2, pods: [{ node: 0 }, { node: 1 }], tunnel: true });
    expect(r.tunnels).toEqual(['10.244.0.0', '10.244.0.16']);
    expect(r.pods).toEqual(['10.244.0.1', '10.244.0.17']);
  });

});

describe('calico plan', () => {
  it('names host veths as Calico does: cali + sha1("<namespace>.<pod>")[:11], 15 bytes', () => {
    // sha1("default.a") = 0761ccbe… is not assumed; the shape and determinism are.
    expect(hostVethName('default', 'a')).toMatch(/^cali[0-9a-f]{11}$/);
    expect(hostVethName('default', 'a')).toHaveLength(15);
    expect(hostVethName('default', 'a')).toBe(hostVethName('default', 'a'));
    expect(hostVethName('default', 'a')).not.toBe(hostVethName('other', 'a'));
  });

  it('BGP: pods get addresses from their node blocks, nodes no static routes, the pod gateway is 169.254.1.1', () => {
    const p = plan({ cni: 'calico' });
    expect([podIp(p, 'a'), podIp(p, 'b'), podIp(p, 'c')]).toEqual(['10.244.0.64', '10.244.0.65', '10.244.0.128']);
    expect(p.nodes.map((n) => [n.podCidr, n.podGateway, n.routes])).toEqual([
      ['10.244.0.0/26', '169.254.1.1', []],
      ['10.244.0.64/26', '169.254.1.1', []],
      ['10.244.0.128/26', '169.254.1.1', []],
    ]);
    expect(cniOf(p, 'n1').workloads.map((w) => [w.pod, w.ip, w.hostVeth])).toEqual([
      ['a', '10.244.0.64', hostVethName('default', 'a')],
      ['b', '10.244.0.65', hostVethName('default', 'b')],
    ]);
    expect(p.kernelFeatures).toContain('bird');
    expect(p.kernelFeatures).not.toContain('vxlan');
  });

  it('BGP: a full mesh in AS 64512 where, of each pair, exactly the node with the higher address connects (the lower waits, passive)', () => {
    const p = plan({ cni: { type: 'calico', asNumber: 65001 } });
    const peers = Object.fromEntries(p.nodes.map((n) => [n.name, (cniOf(p, n.name).routing as Extract<CalicoNode['routing'], { kind: 'bgp' }>).peers]));
    expect(peers.m!.map((x) => [x.protocol, x.passive])).toEqual([
      ['Mesh_172_16_94_11', true],
      ['Mesh_172_16_94_12', true],
    ]);
    expect(peers.n2!.map((x) => [x.protocol, x.passive])).toEqual([
      ['Mesh_172_16_94_10', false],
      ['Mesh_172_16_94_11', false],
    ]);
    for (const [a, list] of Object.entries(peers))
      for (const x of list) expect(peers[x.node]!.find((y) => y.node === a)!.passive, `${a}–${x.node}`).toBe(!x.passive);
    const conf = render(p).get('bird/n1.conf')!;
    expect(conf).toContain('router id 172.16.94.11;');
    expect(conf).toContain('local as 65001;');
    expect(conf).toContain('route 10.244.0.64/26 blackhole;');
    expect(conf).toMatch(/protocol bgp Mesh_172_16_94_12 from bgp_template \{\n  neighbor 172\.16\.94\.12 as 65001;\n  source address 172\.16\.94\.11;[^\n]*\n  passive on;/);
    expect(conf).toMatch(/protocol bgp Mesh_172_16_94_10 from bgp_template \{\n  neighbor 172\.16\.94\.10 as 65001;\n  source address 172\.16\.94\.11;[^\n]*\n  graceful restart time 120;/);
  });

  it('the conflist: podlab\'s calico plugin with host-local over every block of the node, whole blocks, gateway 169.254.1.1', () => {
    const pods = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`p${i}`, { node: 'n1' }]));
    const p = plan({ cni: 'calico', pods });
    const plugin = p.nodes[1]!.conflist.plugins[0] as { type: string; ipam: { type: string; ranges: unknown[][] } };
    expect(plugin.type).toBe('calico');
    expect(plugin.ipam.type).toBe('host-local');
    expect(plugin.ipam.ranges).toEqual([
      [
        { subnet: '10.244.0.64/26', rangeStart: '10.244.0.64', rangeEnd: '10.244.0.127', gateway: '169.254.1.1' },
        { subnet: '10.244.0.192/26', rangeStart: '10.244.0.192', rangeEnd: '10.244.0.255', gateway: '169.254.1.1' },
      ],
    ]);
    expect(cniOf(p, 'n1').blocks).toEqual(['10.244.0.64/26', '10.244.0.192/26']);
    expect(podIp(p, 'p69')).toBe('10.244.0.197');
    // The lab's own pod-count rule is the slice modes'; 70 pods on a node is fine in blocks.
  });

  it('VXLAN: vxlan.calico VNI 4096 port 4789, MTU 1450, routes to each peer block via its tunnel address, no BIRD', () => {
    const p = plan({ cni: { type: 'calico', encapsulation: 'VXLAN' } });
    const n1 = p.nodes[1]!;
    expect(n1.routes).toEqual([
      { dst: '10.244.0.0/26', via: '10.244.0.0', dev: 'vxlan.calico', onlink: true },
      { dst: '10.244.0.128/26', via: '10.244.0.128', dev: 'vxlan.calico', onlink: true },
    ]);
    expect(p.kernelFeatures).toContain('vxlan');
    expect(p.kernelFeatures).not.toContain('bird');
    const files = render(p);
    expect(files.get('ip/node-n1.batch')).toContain('link add name vxlan.calico address');
    expect(files.get('ip/node-n1.batch')).toContain('mtu 1450 type vxlan id 4096 local 172.16.94.11 dev eth0 dstport 4789 nolearning');
    expect(files.get('ip/node-n1.batch')).toContain('route add blackhole 10.244.0.64/26');
    expect(files.get('ip/fdb-n1.batch')).toMatch(/^fdb append \S+ dev vxlan\.calico dst 172\.16\.94\.12$/m);
    expect([...files.keys()].filter((f) => f.startsWith('bird/'))).toEqual([]);
    expect(files.get('up.sh')).not.toContain('bird');
    expect(podIp(p, 'a')).toBe('10.244.0.65');
  });

  it("natOutgoing per pool: the pool's setting wins over the lab's, and is the node's calico table, not kube-proxy's rule", () => {
    const nat = (p: Plan) => render(p).get('nft/n1.calico.nft');
    const kubeProxyMasq = (p: Plan) => render(p).get('nft/n1.nft')!.includes('ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 masquerade');
    expect(nat(plan({ cni: 'calico' }))).toContain('ip saddr @masq-ipam-pools ip daddr != @all-ipam-pools masquerade');
    expect(kubeProxyMasq(plan({ cni: 'calico' }))).toBe(false);
    expect(nat(plan({ cni: { type: 'calico', ipPool: { natOutgoing: false } } }))).toBeUndefined();
    expect(nat(plan({ cni: { type: 'calico', ipPool: { natOutgoing: true } }, natOutgoing: false }))).toBeDefined();
    expect(nat(plan({ cni: 'calico', natOutgoing: false }))).toBeUndefined();
    expect(render(plan({ cni: 'calico' })).get('up.sh')).toContain('nft -f $G/nft/n1.calico.nft');
  });

  it('up.sh runs the calico plugin from build/cni and starts BIRD in each node with its socket in the state directory', () => {
    const up = render(plan({ cni: 'calico' })).get('up.sh')!;
    expect(up).toContain('CNI_PATH=build/cni:/usr/lib/cni');
    expect(up).toMatch(/build\/cni\/calico < \$G\/cni\/n1\.calico\.json/);
    expect(up).toMatch(/^ip netns exec podlab-cal\.node\.n1 bird -f -c \$STATE\/bird\/n1\.conf -s \$STATE\/bird-n1\.ctl -u \d+ -g \d+ >> "\$STATE\/n1_bird\.log" 2>&1 &$/m);
  });

  it('up.sh starts BIRD without root, as up does: -u/-g a uid of the container range of its own, reading a copy of its configuration that uid can read', () => {
    const p = plan({ cni: 'calico' });
    const up = render(p).get('up.sh')!;
    const birds = [...up.matchAll(/^ip netns exec (\S+) bird -f -c (\S+) -s \S+ -u (\d+) -g (\d+) /gm)];
    expect(birds.map((m) => m[1])).toEqual(p.nodes.map((n) => n.netns));
    const uids = birds.map((m) => Number(m[3]));
    for (const m of birds) expect(m[4]).toBe(m[3]);
    // Each its own, in the container range, and none a container's (the script numbers those from the range's start).
    expect(new Set(uids).size).toBe(uids.length);
    for (const u of uids) expect(u).toBeGreaterThanOrEqual(PODLAB_UIDS.container.first);
    const containerUids = [...up.matchAll(/--uid (\d+)/g)].map((m) => Number(m[1]));
    expect(uids.filter((u) => containerUids.includes(u))).toEqual([]);
    // The configuration it reads is a 0644 copy in the state directory (0755), made before it starts.
    for (const n of p.nodes) {
      const copy = up.indexOf(`install -m 0644 $G/bird/${n.name}.conf "$STATE/bird/${n.name}.conf"`);
      expect(copy).toBeGreaterThan(up.indexOf('install -d -m 0755 "$STATE" "$STATE/bird"'));
      expect(copy).toBeLessThan(up.indexOf(`bird -f -c $STATE/bird/${n.name}.conf`));
    }
    expect(up).not.toMatch(/bird -f -c \$G\//);
  });

  it("rejects what Calico would (codes PL2150–PL2155) and keeps kubenet's slice rules out of its way", () => {
    const bad = (cni: unknown, extra: Partial<LabSpec> = {}) =>
      validateValue({ name: 'cal', nodes: { m: {}, n1: {} }, cni, ...extra }, 'cal.lab.ts').diagnostics.map((d) => d.code);
    expect(bad({ type: 'calico', encapsulation: 'IPIP' })).toEqual(['PL2155']);
    expect(bad({ type: 'calico', asNumber: 4294967296 })).toEqual(['PL2154']);
    expect(bad({ type: 'calico', ipPool: { cidr: '10.245.0.0/16' } })).toEqual(['PL2151']);
    expect(bad({ type: 'calico', ipPool: { blockSize: 19 } })).toEqual(['PL2152']);
    expect(bad({ type: 'calico', ipPool: { cidr: '10.244.0.0/26', blockSize: 26 } })).toEqual(['PL2153']);
    // A /24 pod network holds no /24 slice per node, but Calico's /26 blocks fit.
    expect(bad('calico', { podCidr: '10.244.0.0/24' })).toEqual([]);
    expect(bad('kubenet', { podCidr: '10.244.0.0/24' })).toEqual(['PL2005']);
  });
});

describe('calico preflight', () => {
  it('a missing BIRD is a coded error (PL3002) before anything is built, naming the package', async () => {
    const ex = recordingExecutor();
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const d = await probeKernel(['bird'], ex);
      expect(d.map((x) => [x.code, x.message])).toEqual([['PL3002', 'the "bird" command is missing; Calico\'s BGP routing runs BIRD 2 in every node']]);
      expect(d[0]!.hint).toContain('apt-get install bird2');
      expect(d[0]!.hint).toContain('Nothing was changed on this host.');
    } finally {
      process.env.PATH = path;
      ex.close();
    }
    // Only the throw-away probe namespace was touched.
    expect(ex.lines().every((l) => l.includes('podlab-probe.'))).toBe(true);
  });
});
