/**
 * flannel's IPv6 VTEP (issue #24), as flanneld's vxlan backend builds it: in a dual-stack lab
 * `flannel.<vni>` carries IPv4 between the nodes' IPv4 addresses and `flannel-v6.<vni>` carries
 * IPv6 with IPv6 outer headers, a MAC of its own, its own neighbour and FDB entries and an MTU 70
 * below the link's; an IPv4-only lab has no flannel-v6 device at all. Pure: plan and render.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import type { FlannelNode } from '../../src/cni/flannel/index.ts';
import { cniMode } from '../../src/cni/registry.ts';
import { plannedView } from '../../src/plan/nft-tables.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { predictTrace } from '../../src/trace/trace.ts';

const echo = { name: 'web', workload: { kind: 'http-echo' as const } };
const spec = (ipFamilies: LabSpec['ipFamilies'], name = 'v6n-flannel'): LabSpec => ({
  name,
  ipFamilies,
  cni: 'flannel',
  dns: false,
  nodes: { a: {}, b: {}, c: {} },
  pods: { p1: { node: 'a', containers: [echo] }, p2: { node: 'b', containers: [echo] } },
});
function planOf(s: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(s, `${s.name}.lab.ts`);
  expect(diagnostics).toEqual([]);
  return buildPlan(lab!);
}
const lines = (text: string) => text.split('\n');
const cniOf = (p: Plan, node: string) => p.nodes.find((n) => n.name === node)!.cni as unknown as FlannelNode;

describe('flannel in a dual-stack lab: flannel.1 for IPv4, flannel-v6.1 for IPv6', () => {
  for (const families of [['IPv4', 'IPv6'], ['IPv6', 'IPv4']] as const) {
    const p = planOf(spec([...families], `v6n-flannel-${families[0].toLowerCase()}`));
    const files = render(p);
    const batch = lines(files.get('ip/node-a.batch')!);

    it(`${families.join(', ')}: two VTEPs, each with its family's local address, VTEP address, MTU and a MAC of its own`, () => {
      const links = batch.filter((l) => l.startsWith('link add name flannel'));
      const mac = (dev: string) => /address (\S+)/.exec(links.find((l) => l.startsWith(`link add name ${dev} `))!)![1];
      expect(links.map((l) => l.replace(/address \S+ /, ''))).toEqual([
        'link add name flannel.1 mtu 1450 type vxlan id 1 local 172.16.94.10 dev eth0 dstport 8472 nolearning',
        'link add name flannel-v6.1 mtu 1430 type vxlan id 1 local fd00:172:16:94::a dev eth0 dstport 8472 nolearning',
      ]);
      expect(mac('flannel.1')).not.toBe(mac('flannel-v6.1'));
      expect(batch).toContain('address add 10.244.0.0/32 dev flannel.1');
      expect(batch).toContain('address add fd00:10:244::/128 dev flannel-v6.1 nodad');
      // Nothing IPv6 on flannel.1, nothing IPv4 on flannel-v6.1.
      expect(batch.filter((l) => / dev flannel\.1\b/.test(l) && l.includes('fd00'))).toEqual([]);
      expect(batch.filter((l) => l.includes('dev flannel-v6.1') && /\b10\.244\./.test(l))).toEqual([]);
      // The pods keep flanneld's FLANNEL_MTU, the link's less IPv4's 50 bytes.
      expect((p.nodes[0]!.conflist.plugins[0] as { mtu: number }).mtu).toBe(1450);
    });

    it(`${families.join(', ')}: per peer a neighbour entry, an FDB entry and an onlink route on the device of each family`, () => {
      const a = cniOf(p, 'a');
      const b6 = cniOf(p, 'b').vxlan6!;
      const b4 = cniOf(p, 'b').vxlan;
      expect(batch).toContain(`neigh add fd00:10:244:1:: lladdr ${b6.mac} dev flannel-v6.1 nud permanent`);
      expect(batch).toContain(`neigh add 10.244.1.0 lladdr ${b4.mac} dev flannel.1 nud permanent`);
      expect(batch).toContain('route add fd00:10:244:1::/64 via fd00:10:244:1:: dev flannel-v6.1 onlink');
      expect(batch).toContain('route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink');
      const fdb = lines(files.get('ip/fdb-a.batch')!).filter((l) => l.startsWith('fdb'));
      expect(fdb).toEqual([
        `fdb append ${cniOf(p, 'b').vxlan.mac} dev flannel.1 dst 172.16.94.11`,
        `fdb append ${cniOf(p, 'c').vxlan.mac} dev flannel.1 dst 172.16.94.12`,
        `fdb append ${b6.mac} dev flannel-v6.1 dst fd00:172:16:94::b`,
        `fdb append ${cniOf(p, 'c').vxlan6!.mac} dev flannel-v6.1 dst fd00:172:16:94::c`,
      ]);
      expect(cniMode('flannel').interfaces(p.nodes[0]! as never)).toEqual(['flannel.1', 'flannel-v6.1']);
      expect(a.vxlan6!.peers.map((x) => x.gateway)).toEqual(['fd00:10:244:1::', 'fd00:10:244:2::']);
    });
  }

  it('trace: IPv6-only predicts flannel-v6.1 and IPv6 outer addresses; dual stack (traced in IPv4) flannel.1', () => {
    const hops = (p: Plan) => predictTrace(plannedView(p), { from: 'p1', to: 'p2', port: 8080 }).hops;
    const six = hops(planOf(spec(['IPv6'], 'v6n-flannel-only')));
    expect(six.find((h) => h.kind === 'node-route')!.linux).toBe('fd00:10:244:1::/64 via fd00:10:244:1:: dev flannel-v6.1 onlink');
    expect(six.find((h) => h.kind === 'vxlan')!.linux).toMatch(/^VXLAN VNI 1: outer fd00:172:16:94::a → fd00:172:16:94::b UDP 8472, inner to \S+ \(FDB of flannel-v6\.1\)$/);
    const four = hops(planOf(spec(['IPv4', 'IPv6'])));
    expect(four.find((h) => h.kind === 'node-route')!.linux).toBe('10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink');
    expect(four.find((h) => h.kind === 'vxlan')!.linux).toMatch(/^VXLAN VNI 1: outer 172\.16\.94\.10 → 172\.16\.94\.11 UDP 8472/);
  });

  it('an IPv4-only lab has no flannel-v6 device, and its batch is as before', () => {
    const p = planOf(spec(undefined, 'v6n-flannel-v4'));
    const files = render(p);
    expect([...files.values()].join('\n')).not.toContain('flannel-v6');
    expect(cniOf(p, 'a').vxlan6).toBeUndefined();
  });
});

describe('flannel-v6.<vni> must fit a Linux interface name (PL2425)', () => {
  it('VNI 9999 fits in a lab with IPv6; 10000 is refused at cni.vni; IPv4-only labs keep their 7 digits', () => {
    const codes = (s: LabSpec) => validateValue(s, `${s.name}.lab.ts`).diagnostics.map((d) => d.code);
    expect(codes({ ...spec(['IPv4', 'IPv6']), cni: { type: 'flannel', vni: 9999 } })).toEqual([]);
    expect(codes({ ...spec(['IPv4', 'IPv6']), cni: { type: 'flannel', vni: 10000 } })).toEqual(['PL2425']);
    expect(codes({ ...spec(['IPv6']), cni: { type: 'flannel', vni: 10000 } })).toEqual(['PL2425']);
    expect(codes({ ...spec(undefined), cni: { type: 'flannel', vni: 1000000 } })).toEqual([]);
  });
});
