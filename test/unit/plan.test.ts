import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan, type PlanCheck } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import type { LabSpec } from '../../src/index.ts';

function planOf(spec: LabSpec) {
  const { lab, diagnostics } = validateValue(spec, 'inline.lab.ts');
  expect(diagnostics).toEqual([]);
  return buildPlan(lab!);
}

const classic: LabSpec = {
  name: 'classic',
  nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: {}, w2: { ip: '172.16.94.11' } },
  pods: {
    a: { node: 'w1', containers: [{ name: 'c', command: ['sleep', 'infinity'] }] },
    b: { node: 'w1' },
    c: { node: 'w2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    h: { node: 'w2', hostNetwork: true },
  },
  checks: [{ kind: 'http', from: 'a', to: 'c', port: 8080 }],
};

describe('plan', () => {
  it('fills defaults: flannel, 10.244.0.0/16 with /24 per node, 10.96.0.0/12, cluster.local', () => {
    const p = buildPlan(validateValue({ name: 'x', nodes: { n: {} } }, 'x.lab.ts').lab!);
    expect(p.cni).toEqual({ type: 'flannel', vni: 1, port: 8472 });
    expect(p.podCidr).toBe('10.244.0.0/16');
    expect(p.serviceCidr).toBe('10.96.0.0/12');
    expect(p.clusterDomain).toBe('cluster.local');
    expect(p.nodes[0]!.ip).toBe('172.16.94.10');
  });

  it('gives nodes without a fixed IP the next free host from .10, skipping taken ones', () => {
    const p = planOf(classic);
    expect(p.nodes.map((n) => n.ip)).toEqual(['172.16.94.10', '172.16.94.12', '172.16.94.11']);
  });

  it('slices the pod CIDR per node in declaration order and numbers pods from .2', () => {
    const p = planOf(classic);
    expect(p.nodes.map((n) => [n.podCidr, n.podGateway])).toEqual([
      ['10.244.0.0/24', '10.244.0.1'],
      ['10.244.1.0/24', '10.244.1.1'],
      ['10.244.2.0/24', '10.244.2.1'],
    ]);
    expect(p.pods.filter((x) => !x.system).map((x) => [x.name, x.ip])).toEqual([
      ['a', '10.244.1.2'],
      ['b', '10.244.1.3'],
      ['c', '10.244.2.2'],
      ['h', '172.16.94.11'],
    ]);
  });

  it('hostNetwork pods use the node namespace and get no pod IP', () => {
    const h = planOf(classic).pods.find((x) => x.name === 'h')!;
    expect(h.netns).toBe('podlab-classic.node.w2');
    expect(h.hostNetwork).toBe(true);
  });

  it('flannel: a VXLAN device per node with a neighbour, FDB entry and onlink route per peer, MTU 1450', () => {
    const w1 = planOf(classic).nodes[1]!;
    if (w1.cni.type !== 'flannel') throw new Error(`expected a flannel node, got ${w1.cni.type}`);
    expect(w1.cni.vxlan.mtu).toBe(1450);
    expect(w1.cni.vxlan.address).toBe('10.244.1.0');
    expect(w1.cni.vxlan.peers.map((x) => [x.node, x.nodeIp, x.gateway])).toEqual([
      ['cp', '172.16.94.10', '10.244.0.0'],
      ['w2', '172.16.94.11', '10.244.2.0'],
    ]);
    expect(w1.routes).toContainEqual({ dst: '10.244.2.0/24', via: '10.244.2.0', dev: 'flannel.1', onlink: true });
    expect((w1.conflist.plugins[0] as { mtu: number }).mtu).toBe(1450);
  });

  it('kubenet: routes to other nodes pod CIDRs via their node IPs, no VXLAN, full MTU', () => {
    const w1 = planOf({ ...classic, cni: 'kubenet' }).nodes[1]!;
    expect(w1.cni).toEqual({ type: 'kubenet' });
    expect(w1.routes).toEqual([
      { dst: '10.244.0.0/24', via: '172.16.94.10', dev: 'eth0' },
      { dst: '10.244.2.0/24', via: '172.16.94.11', dev: 'eth0' },
    ]);
    expect(planOf({ ...classic, cni: 'kubenet' }).kernelFeatures).not.toContain('vxlan');
    expect(planOf(classic).kernelFeatures).toContain('vxlan');
  });

  it("nodeNetwork.podTraffic 'drop': the fabric bridge drops pod-addressed packets, and the kernel must have nft's bridge family", () => {
    const plain = planOf(classic);
    expect(plain.nodeNetwork.podTraffic).toBe('deliver');
    expect(plain.kernelFeatures).not.toContain('nft-bridge');
    expect(render(plain).has('nft/fabric.nft')).toBe(false);

    const cloud = planOf({ ...classic, podCidr: '10.32.0.0/16', nodeNetwork: { podTraffic: 'drop' } });
    expect(cloud.nodeNetwork).toEqual({ cidr: '172.16.94.0/24', bridge: plain.nodeNetwork.bridge, podTraffic: 'drop' });
    expect(cloud.kernelFeatures).toContain('nft-bridge');
    const files = render(cloud);
    const nft = files.get('nft/fabric.nft')!;
    expect(nft).toContain('table bridge podlab_underlay');
    expect(nft).toContain('type filter hook forward priority filter; policy accept;');
    expect(nft).toMatch(/ip saddr 10\.32\.0\.0\/16 counter drop/);
    expect(nft).toMatch(/ip daddr 10\.32\.0\.0\/16 counter drop/);
    expect(files.get('up.sh')).toContain(`ip netns exec ${cloud.fabric.netns} nft -f $G/nft/fabric.nft`);
    expect(files.get('topology.md')).toContain('drops pod-addressed packets');
  });

  it('host-local IPAM data lives under the lab state directory, never the host-wide default', () => {
    const ipam = (planOf(classic).nodes[0]!.conflist.plugins[0] as { ipam: { dataDir: string } }).ipam;
    expect(ipam.dataDir).toBe('/run/podlab/classic/ipam/cp');
  });

  it('is deterministic: the same lab gives a byte-identical plan and rendered files', () => {
    const a = render(planOf(classic));
    const b = render(planOf(structuredClone(classic)));
    expect([...a.entries()]).toEqual([...b.entries()]);
  });

  it('two labs with the same address plan differ only in names, never in a shared kernel object', () => {
    const a = planOf(classic);
    const b = planOf({ ...classic, name: 'classic-2' });
    expect(a.nodes.map((n) => n.ip)).toEqual(b.nodes.map((n) => n.ip));
    const nsA = new Set([a.fabric.netns, ...a.nodes.map((n) => n.netns), ...a.pods.map((p) => p.netns)]);
    for (const n of [b.fabric.netns, ...b.nodes.map((x) => x.netns), ...b.pods.map((p) => p.netns)]) expect(nsA.has(n)).toBe(false);
  });

  it('resolves check endpoints to addresses', () => {
    const c = planOf(classic).checks[0]! as Extract<PlanCheck, { to: unknown }>;
    expect(c.from).toEqual({ kind: 'pod', name: 'a' });
    expect(c.to).toEqual({ kind: 'pod', name: 'c', ip: '10.244.2.2' });
  });
});
