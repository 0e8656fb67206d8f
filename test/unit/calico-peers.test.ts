/**
 * Calico's BGP configuration beyond the mesh: nodeToNodeMesh off and BGPPeers (global or for one
 * node), in the plan (which sessions each node has, named as Calico's template names them), in
 * bird.conf, in the bgp check (the session's protocol), and the rules PL2170–PL2172.
 */
import { describe, expect, it } from 'vitest';
import type { CalicoNode } from '../../src/cni/calico/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { bgp } from '../../src/check/kinds/bgp.ts';

type BgpPlanCheck = Parameters<typeof bgp.judge>[1];

const base = (cni: LabSpec['cni']): LabSpec => ({
  name: 'cal-peers',
  nodes: { m: { ip: '172.16.94.10' }, n1: { ip: '172.16.94.11' }, n2: { ip: '172.16.94.12' } },
  pods: { a: { node: 'm' }, c: { node: 'n2' } },
  dns: false,
  cni,
});
function plan(spec: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(spec, 'cal.lab.ts');
  // Sessions configured at one end only are warned (PL2189) and built: several cases here build them on purpose.
  expect(diagnostics.filter((d) => d.code !== 'PL2189')).toEqual([]);
  return buildPlan(lab!);
}
const sessions = (p: Plan, node: string) => {
  const r = (p.nodes.find((n) => n.name === node)!.cni as CalicoNode).routing;
  if (r.kind !== 'bgp') throw new Error('not bgp');
  return r.peers.map((x) => `${x.protocol} ${x.node} as ${x.asNumber}${x.passive ? ' passive' : ''}`);
};
const codes = (spec: LabSpec) => validateValue(spec, 'cal.lab.ts').diagnostics.map((d) => `${d.code} ${d.path.join('.')}`);

describe('Calico BGP peers', () => {
  it('mesh off: each node peers with the global peers but itself, and with its own node-specific peers, named Global_/Node_<ip>', () => {
    const p = plan(base({ type: 'calico', nodeToNodeMesh: false, peers: [{ peerIP: '172.16.94.10', asNumber: 64512 }, { peerIP: '172.16.94.11', asNumber: 64512 }, { node: 'm', peerIP: '172.16.94.12', asNumber: 65000 }] }));
    expect(sessions(p, 'm')).toEqual(['Node_172_16_94_12 n2 as 65000', 'Global_172_16_94_11 n1 as 64512']);
    expect(sessions(p, 'n1')).toEqual(['Global_172_16_94_10 m as 64512']);
    expect(sessions(p, 'n2')).toEqual(['Global_172_16_94_10 m as 64512', 'Global_172_16_94_11 n1 as 64512']);
    const conf = render(p).get('bird/m.conf')!;
    expect(conf).toContain('# Node-to-node mesh disabled');
    expect(conf).not.toContain('Mesh_');
    expect(conf).toMatch(/protocol bgp Node_172_16_94_12 from bgp_template \{\n {2}neighbor 172\.16\.94\.12 as 65000;\n {2}source address 172\.16\.94\.10;/);
    // Explicit peers both dial: no passive rule outside the mesh.
    expect(conf).not.toContain('passive on');
    expect(render(p).get('bird/n1.conf')!).toContain('neighbor 172.16.94.10 as 64512;');
  });

  it('mesh on: a peer that is already a mesh session is not configured twice (BIRD would refuse a second session to one neighbour)', () => {
    const p = plan(base({ type: 'calico', peers: [{ peerIP: '172.16.94.11', asNumber: 64512 }] }));
    expect(sessions(p, 'm')).toEqual(['Mesh_172_16_94_11 n1 as 64512 passive', 'Mesh_172_16_94_12 n2 as 64512 passive']);
    expect(render(p).get('bird/m.conf')!).toContain('# ------------- Node-to-node mesh -------------');
  });

  it('mesh off, no peers: BIRD runs with no BGP session at all', () => {
    const p = plan(base({ type: 'calico', nodeToNodeMesh: false }));
    expect(sessions(p, 'n1')).toEqual([]);
    expect(render(p).get('bird/n1.conf')!).not.toContain('protocol bgp ');
  });

  it('podlab status: a node with no session says why, and a BGPPeer session shows as its peer node', async () => {
    const { calicoStatusLines } = await import('../../src/runtime/calico-status.ts');
    const pools = [{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16', blockSize: 26, nodeSelector: 'all()', natOutgoing: true, disabled: false, encapsulation: 'None' as const }];
    const lines = calicoStatusLines({
      pools,
      strictAffinity: false,
      nodes: [
        { name: 'm', selected: ['default-ipv4-ippool'], plannedBlocks: ['10.244.0.0/26'], blocks: ['10.244.0.0/26'], borrowed: [], bgp: [] },
        { name: 'n2', selected: ['default-ipv4-ippool'], plannedBlocks: ['10.244.0.64/26'], blocks: ['10.244.0.64/26'], borrowed: [], bgp: [{ peer: 'm', protocol: 'Global_172_16_94_10', state: 'start', info: 'Idle BGP Error: Bad peer AS' }] },
      ],
    });
    expect(lines).toContain('  bgp    m              (no BGP peers: nodeToNodeMesh off, no peers apply)');
    expect(lines).toContain('  bgp    n2             m start Idle BGP Error: Bad peer AS');
  });

  it('a peer address no node holds is still configured (it never comes up), named by its address, and warned (PL2159, the nearest node suggested)', () => {
    const spec = base({ type: 'calico', nodeToNodeMesh: false, peers: [{ peerIP: '172.16.94.99', asNumber: 64512 }] });
    const { lab, diagnostics } = validateValue(spec, 'cal.lab.ts');
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.path.join('.')}: ${d.hint}`)).toEqual([
      'warning PL2159 cni.peers.0.peerIP: Did you mean 172.16.94.12 (node "n2")? The lab\'s nodes are m 172.16.94.10, n1 172.16.94.11, n2 172.16.94.12.',
    ]);
    expect(sessions(buildPlan(lab!), 'm')).toEqual(['Global_172_16_94_99 172.16.94.99 as 64512']);
  });

  it("the bgp check asks BIRD about the session's own protocol; with the mesh off and no peer, every session, and says it has none (definite)", () => {
    const spec = base({ type: 'calico', nodeToNodeMesh: false, peers: [{ peerIP: '172.16.94.10', asNumber: 64512 }, { node: 'm', peerIP: '172.16.94.12', asNumber: 64512 }] });
    const p = plan({ ...spec, checks: [{ kind: 'bgp', from: 'node/m', peer: 'node/n2' }, { kind: 'bgp', from: 'node/n1', peer: 'node/n2' }, { kind: 'bgp', from: 'node/n2', peer: 'node/m', learned: 'blocks' }, { kind: 'bgp', from: 'node/n1', peer: 'node/n2', learned: 'blocks' }] });
    const checks = p.checks as BgpPlanCheck[];
    expect(checks.map((c) => c.bird.protocol)).toEqual(['Node_172_16_94_12', undefined, 'Global_172_16_94_10', undefined]);
    expect(bgp.probe(checks[1]!, 'probe').slice(-2)).toEqual(['show', 'protocols']);
    expect(bgp.probe(checks[0]!, 'probe').slice(-3)).toEqual(['show', 'protocols', 'Node_172_16_94_12']);
    // What n1's BIRD lists: its one session (to m), up; nothing to n2.
    const out = ['BIRD 2.0.12 ready.', 'Name       Proto      Table      State  Since         Info', 'device1    Device     ---        up     12:00:00.000', 'Global_172_16_94_10 BGP        ---        up     12:00:01.000  Established', ''].join('\n');
    const r = { exitCode: 0, stdout: out, stderr: '' };
    for (const c of [checks[1]!, checks[3]!]) {
      const v = bgp.judge(p, c, r);
      expect(v).toMatchObject({ ok: false, definite: true, seen: 'n1 has no BGP session to n2 (172.16.94.12) in its bird.conf: its sessions are Global_172_16_94_10 up Established' });
      expect(v.expected).not.toMatch(/Mesh_|undefined/);
    }
    expect(bgp.judge(p, { ...checks[1]!, absent: true }, r).ok).toBe(true);
  });

  it('with the mesh on, a node without a configured session to a peer still asks about the mesh protocol', () => {
    const p = plan({ ...base({ type: 'calico' }), checks: [{ kind: 'bgp', from: 'node/m', peer: 'node/n2' }] });
    expect((p.checks[0] as BgpPlanCheck).bird.protocol).toBe('Mesh_172_16_94_12');
  });

  it('rules: peers or mesh settings with VXLAN (PL2170), a peer for an unknown node (PL2171), a peerIP that is not an address or is outside the node network (PL2172), a peer AS out of range (PL2154)', () => {
    expect(codes(base({ type: 'calico', encapsulation: 'VXLAN', nodeToNodeMesh: false }))).toEqual(['PL2170 cni.nodeToNodeMesh']);
    expect(codes(base({ type: 'calico', nodeToNodeMesh: false, peers: [{ node: 'n9', peerIP: '172.16.94.10', asNumber: 64512 }] }))).toEqual(['PL2171 cni.peers.0.node']);
    expect(codes(base({ type: 'calico', peers: [{ peerIP: 'n1', asNumber: 64512 }, { peerIP: '8.8.8.8', asNumber: 64512 }, { peerIP: '172.16.94.11', asNumber: 4294967296 }] }))).toEqual([
      'PL2154 cni.peers.2.asNumber',
      'PL2172 cni.peers.0.peerIP',
      'PL2172 cni.peers.1.peerIP',
    ]);
    const other = { ...base({ type: 'calico', nodeToNodeMesh: false, peers: [{ peerIP: '10.9.0.11', asNumber: 64512 }] }), nodeNetwork: { cidr: '10.9.0.0/24' }, nodes: { m: {}, n2: {} } };
    // m peers with n2 (a global peer of 10.9.0.11), and n2 lists no peer back: warned, the other end's BGPPeer in the hint (PL2189).
    expect(codes(other)).toEqual(['PL2189 cni.peers.0.peerIP']);
    expect(validateValue(other, 'cal.lab.ts').diagnostics[0]).toMatchObject({ severity: 'warning', hint: expect.stringContaining("add { node: 'n2', peerIP: '10.9.0.10', asNumber: 64512 }") });
    // Both ends listed (a global peer of each address, as exercises/calico-bgp's answer): nothing to say.
    expect(codes(base({ type: 'calico', nodeToNodeMesh: false, peers: ['172.16.94.10', '172.16.94.11', '172.16.94.12'].map((peerIP) => ({ peerIP, asNumber: 64512 })) }))).toEqual([]);
  });
});
