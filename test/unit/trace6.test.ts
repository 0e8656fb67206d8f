/**
 * `podlab trace` in IPv6 (issue #24), the prediction: the trace's family (an address's own, else
 * --family, else the lab's primary), the IPv6 hops in an IPv6-only flannel lab
 * (labs/ipv6-only.lab.ts) and in dual-stack labs with --family IPv6 (kubenet's per-family
 * routes, flannel's flannel-v6.<vni>, kube-proxy's `ip6 podlab`, NetworkPolicy's
 * `ip6 podlab-policy`), each command shown with -6, and the coded problems PL3146–PL3148.
 */
import { describe, expect, it } from 'vitest';
import calicoDualLab from '../../labs/calico-dual-stack.lab.ts';
import calicoPools6Lab from '../../labs/calico-ipv6-pools.lab.ts';
import calicoVxlanDualLab from '../../labs/calico-vxlan-dual-stack.lab.ts';
import dualLab from '../../labs/dual-stack.lab.ts';
import v6Lab from '../../labs/ipv6-only.lab.ts';
import policyLab from '../../labs/network-policy.lab.ts';
import podLab from '../../labs/pod-networking.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { plannedView, type NftView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { TraceProblem } from '../../src/trace/ends.ts';
import { explain } from '../../src/trace/explain.ts';
import { formatTrace, predictTrace, type TraceRequest } from '../../src/trace/trace.ts';

function viewOf(spec: unknown): NftView {
  const { lab, diagnostics } = validateValue(spec, 'x.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return plannedView(buildPlan(lab));
}
const kinds = (t: { hops: { kind: string }[] }) => t.hops.map((h) => h.kind);
const hop = (t: { hops: { kind: string; linux: string; k8s: string; see?: string }[] }, kind: string) => [...t.hops].reverse().find((h) => h.kind === kind)!;
const v6 = viewOf(v6Lab);
const dual = viewOf(dualLab);
const v6Of = (v: NftView, pod: string) => v.plan.pods.find((p) => p.name === pod)!.ips.find((a) => a.includes(':'))!;
function problem(view: NftView, req: TraceRequest): string {
  try {
    predictTrace(view, req);
  } catch (e) {
    if (e instanceof TraceProblem) return `${e.code} ${e.message} | ${e.hint}`;
    throw e;
  }
  return 'none';
}

describe('trace in IPv6 (pure)', () => {
  it('IPv6-only flannel, pod → Service: the IPv6 cluster IP, DNAT in table ip6 podlab to a bracketed endpoint, -6 commands', () => {
    const t = predictTrace(v6, { from: 'client', to: 'svc/web' });
    const vip = v6.plan.services.find((s) => s.name === 'web')!.clusterIP!;
    expect(t.family).toBe('IPv6');
    expect(t.daddr).toBe(vip);
    expect(vip).toMatch(/^fd00:/);
    expect(kinds(t).slice(0, 3)).toEqual(['route', 'veth', 'dnat']);
    expect(hop(t, 'route').linux).toBe(`${vip} via fd00:10:244:1::1 dev eth0 src ${v6Of(v6, 'client')}`);
    expect(hop(t, 'route').see).toBe(`ip -6 route get ${vip}`);
    expect(hop(t, 'dnat').linux).toBe(`nft table ip6 podlab, chain svc.default/web/tcp-80: dnat to [${t.endpoint!.ip}]:8080 (1 of 2, numgen random)`);
    expect(t.endpoint!.ip).toMatch(/^fd00:10:244:/);
    expect(hop(t, 'reply').linux).toBe(`conntrack: reply [${t.endpoint!.ip}]:8080 → ${v6Of(v6, 'client')} is un-DNATed to come from [${vip}]:80`);
    expect(hop(t, 'reply').see).toBe('conntrack -L -f ipv6');
    expect(formatTrace(t)).toMatch(/^trace client → svc\/web tcp\/80 in IPv6 \(first packet to fd00:10:96::1, endpoint default\/web \[fd00:10:244:1::2\]:8080\)/);
  });

  it('IPv6-only flannel, across nodes: the IPv6 pod CIDR through flannel-v6.1, outer IPv6 node addresses', () => {
    const t = predictTrace(v6, { from: 'client', to: 'web-2', port: 8080 });
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'vxlan', 'bridge', 'deliver', 'reply']);
    expect(hop(t, 'node-route').linux).toBe('fd00:10:244:2::/64 via fd00:10:244:2:: dev flannel-v6.1 onlink');
    expect(hop(t, 'node-route').see).toBe(`ip -6 route get ${v6Of(v6, 'web-2')}`);
    expect(hop(t, 'vxlan').linux).toMatch(/^VXLAN VNI 1: outer fd00:172:16:94::b → fd00:172:16:94::c UDP 8472, inner to 02:[0-9a-f:]+ \(FDB of flannel-v6\.1\)$/);
    expect(hop(t, 'deliver').linux).toBe(`eth0 [${v6Of(v6, 'web-2')}]:8080/tcp: container web (port http)`);
  });

  it('dual stack (kubenet): IPv4 by default, --family IPv6 takes the IPv6 addresses and the IPv6 route to the peer', () => {
    const four = predictTrace(dual, { from: 'client', to: 'web-2', port: 8080 });
    expect(four.family).toBe('IPv4');
    expect(four.dest.ip).not.toContain(':');
    const t = predictTrace(dual, { from: 'client', to: 'web-2', port: 8080, family: 'IPv6' });
    const w2 = dual.plan.nodes.find((n) => n.name === 'worker-2')!;
    const [cidr6, ip6] = [w2.podCidrs.find((c) => c.includes(':'))!, w2.ips.find((a) => a.includes(':'))!];
    expect(t.family).toBe('IPv6');
    expect(t.dest.ip).toBe(v6Of(dual, 'web-2'));
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'fabric', 'bridge', 'deliver', 'reply']);
    expect(hop(t, 'route').linux).toMatch(new RegExp(`^${v6Of(dual, 'web-2')} via fd00:10:244:1::1 dev eth0 src ${v6Of(dual, 'client')}$`));
    expect(hop(t, 'node-route').linux).toBe(`${cidr6} via ${ip6} dev eth0`);
    expect(hop(t, 'fabric').linux).toContain(`(${ip6})`);
    // An IPv6 address sets the family by itself.
    expect(predictTrace(dual, { from: 'client', to: v6Of(dual, 'web-2'), port: 8080 }).hops.map((h) => h.linux)).toEqual(t.hops.map((h) => h.linux));
  });

  it('dual stack (flannel): --family IPv6 crosses nodes over flannel-v6.1 while IPv4 takes flannel.1', () => {
    const v = viewOf({ ...podLab, ipFamilies: ['IPv4', 'IPv6'] });
    expect(hop(predictTrace(v, { from: 'client', to: 'web-2', port: 8080 }), 'node-route').linux).toMatch(/dev flannel\.1 onlink$/);
    const t = predictTrace(v, { from: 'client', to: 'web-2', port: 8080, family: 'IPv6' });
    expect(hop(t, 'node-route').linux).toMatch(/^fd00:[0-9a-f:]+\/64 via [0-9a-f:]+ dev flannel-v6\.1 onlink$/);
    expect(hop(t, 'vxlan').linux).toMatch(/outer fd00:[0-9a-f:]+ → fd00:[0-9a-f:]+ UDP 8472/);
  });

  it('dual-stack Calico: IPv6 via fe80::ecee:eeff:feee:eeee and proxy NDP, the IPv6 block by BIRD or over vxlan-v6.calico, a /128 to the pod', () => {
    const bgp = viewOf(calicoDualLab);
    const t = predictTrace(bgp, { from: 'client', to: 'web-2', port: 8080, family: 'IPv6' });
    expect(hop(t, 'route').linux).toBe(`${v6Of(bgp, 'web-2')} via fe80::ecee:eeff:feee:eeee dev eth0 src ${v6Of(bgp, 'client')}`);
    expect(hop(t, 'veth').linux).toMatch(/proxy_ndp answers for fe80::ecee:eeff:feee:eeee/);
    expect(hop(t, 'node-route').linux).toMatch(/^fd00:[0-9a-f:]+\/122 via fd00:172:16:94::[0-9a-f]+ dev eth0 proto bird$/);
    expect(hop(t, 'node-route').see).toBe('ip -6 route show proto bird');
    expect(hop(t, 'bridge').linux).toMatch(/^fd00:[0-9a-f:]+ dev cali[0-9a-f]{11} scope link \(a \/128 route per local pod\)$/);
    const vx = viewOf(calicoVxlanDualLab);
    const six = predictTrace(vx, { from: 'client', to: 'web-2', port: 8080, family: 'IPv6' });
    expect(hop(six, 'node-route').linux).toMatch(/^fd00:[0-9a-f:]+\/122 via fd00:[0-9a-f:]+ dev vxlan-v6\.calico onlink$/);
    expect(hop(six, 'vxlan').linux).toMatch(/^VXLAN VNI 4096: outer fd00:172:16:94::[0-9a-f]+ → fd00:172:16:94::[0-9a-f]+ UDP 4789, inner to 66:/);
    expect(hop(predictTrace(vx, { from: 'client', to: 'web-2', port: 8080 }), 'node-route').linux).toMatch(/dev vxlan\.calico onlink$/);
  });

  it("dual-stack Calico, natOutgoing per IPv6 pool: a pod of a NATed IPv6 pool is masqueraded to its node's IPv6 address, leaving every IPv6 pool; the other pool's is not", () => {
    const pools = viewOf(calicoPools6Lab);
    const nat = predictTrace(pools, { from: 'web-a', to: 'host/internet', port: 80, family: 'IPv6' });
    expect(kinds(nat)).toContain('snat');
    expect(hop(nat, 'snat').linux).toBe(`masquerade: source ${v6Of(pools, 'web-a')} becomes fd00:172:16:94::b (leaving every IP pool of IPv6: fd00:10:244:a::/120, fd00:10:244:b::/112)`);
    expect(hop(nat, 'snat').see).toBe(`conntrack -L -f ipv6 -s ${v6Of(pools, 'web-a')}`);
    expect(kinds(predictTrace(pools, { from: 'web-b', to: 'host/internet', port: 80, family: 'IPv6' }))).not.toContain('snat');
    // IPv4: the lab's natOutgoing (the default pool's), leaving the one IPv4 pool.
    expect(hop(predictTrace(pools, { from: 'web-b', to: 'host/internet', port: 80 }), 'snat').linux).toMatch(/\(leaving every IP pool of IPv4: 10\.244\.0\.0\/16\)$/);
  });

  it('dual-stack NetworkPolicy: the IPv6 packet is judged by table ip6 podlab-policy, dropped at the same rule', () => {
    const v = viewOf({ ...policyLab, ipFamilies: ['IPv4', 'IPv6'] });
    // Its Services are single-stack IPv4 (SingleStack in the primary family): the IPv6 path is pod to pod.
    expect(problem(v, { from: 'x-b', to: 'svc/x/s-x-a', port: 80, family: 'IPv6' })).toMatch(/^PL3147 Service x\/s-x-a has no IPv6 cluster IP/);
    const t = predictTrace(v, { from: 'x-b', to: 'x/x-a', port: 80, family: 'IPv6' });
    // Egress let through on worker-2, then over flannel-v6.1, then the ingress drop on worker-1.
    expect(kinds(t)).toEqual(['route', 'veth', 'policy', 'node-route', 'vxlan', 'policy']);
    expect(t.outcome).toBe('dropped');
    expect(t.dest.ip).toMatch(/^fd00:/);
    expect(t.hops[2]!.linux).toBe('nft table ip6 podlab-policy, hook forward: worker-2 accept');
    expect(hop(t, 'vxlan').linux).toMatch(/^VXLAN VNI 1: outer fd00:/);
    expect(hop(t, 'policy').linux).toMatch(/^nft table ip6 podlab-policy, hook forward: worker-1 drop; rules: /);
    expect(hop(t, 'policy').linux).toContain('worker-1: ingress.x/x-a "x/x-a isolated for ingress by x/default-deny-ingress: no rule allowed"');
    expect(hop(t, 'policy').see).toMatch(/--family IPv6$/);
    // explain judges the IPv6 address in the ip6 table: the same verdict, the endpoint's IPv6 address.
    const x = explain(v, { from: 'x-b', to: 'x/x-a', port: 80, family: 'IPv6' });
    expect(x.cases.every((c) => c.dest.ip.includes(':') && !c.allowed)).toBe(true);
    expect(x.cases[0]!.nft.find((n) => n.node === 'worker-1')).toMatchObject({ verdict: 'drop', hits: [expect.objectContaining({ chain: 'ingress.x/x-a' })] });
  });

  it('coded problems: a family the lab lacks (PL3146), an end without an address in it (PL3147), --family against an address (PL3148)', () => {
    expect(problem(viewOf(podLab), { from: 'client', to: 'web-2', port: 8080, family: 'IPv6' })).toMatch(/^PL3146 lab "pod-networking" has no IPv6: its ipFamilies are IPv4 \| Trace in IPv4; a lab gets IPv6 with ipFamilies/);
    expect(problem(v6, { from: 'client', to: 'web-2', port: 8080, family: 'IPv4' })).toMatch(/^PL3146 lab "ipv6-only" has no IPv4/);
    expect(problem(dual, { from: 'client', to: 'svc/web-v4', family: 'IPv6' })).toBe('PL3147 Service default/web-v4 has no IPv6 cluster IP (its ipFamilies: IPv4) | Trace it in IPv4 (--family), or trace a Service with an IPv6 cluster IP.');
    expect(problem(dual, { from: 'client', to: v6Of(dual, 'web-2'), port: 8080, family: 'IPv4' })).toMatch(/^PL3148 --family IPv4 but fd00:[0-9a-f:]+ is an IPv6 address/);
    expect(problem(v6, { from: 'client', to: '10.244.2.2', port: 8080 })).toMatch(/^PL3146 lab "ipv6-only" has no IPv4/);
  });
});

describe('the dnat hop, live, in IPv6: addresses bracketed before their ports', async () => {
  const { judgeTrace } = await import('../../src/runtime/trace.ts');
  it("conntrack's tuples read [fd00:10:96::1]:80 was sent to [pod]:8080, not fd00:10:96::1:80", () => {
    const t = predictTrace(dual, { from: 'client', to: 'svc/web', family: 'IPv6' });
    const d = hop(t, 'dnat') as (typeof t.hops)[number];
    const ep = t.endpoint!;
    const client = v6Of(dual, 'client');
    const line = `tcp      6 119 TIME_WAIT src=${client} dst=${t.daddr} sport=40000 dport=80 src=${ep.ip} dst=${client} sport=${ep.port} dport=40000 [ASSURED] mark=0 use=1`;
    judgeTrace(dual.plan, t, { conntrack: line, conntrackAt: { [d.at]: line } }, { ok: true, probe: `connected from ${client}`, links: {}, fired: {} });
    expect(d.observed).toBe(`conntrack: [${t.daddr}]:80 was sent to [${ep.ip}]:${ep.port}`);
    expect(d.status).toBe('confirmed');
  });
});

describe("kubenet's route to a peer's pods deleted, live: the fabric hop says the packet went to the gateway instead", async () => {
  const { judgeTrace } = await import('../../src/runtime/trace.ts');
  it('worker-1 without its route to worker-2\'s IPv6 pods: sent by the default route to the gateway, not straight to worker-2', () => {
    const t = predictTrace(dual, { from: 'client', to: 'web-2', port: 8080, family: 'IPv6' });
    const route = hop(t, 'node-route') as (typeof t.hops)[number];
    const fabric = hop(t, 'fabric') as (typeof t.hops)[number];
    const veth = /↔ (\S+)/.exec(hop(t, 'veth').linux)![1]!;
    const addr = /route get (\S+)/.exec(route.see!)![1]!;
    const gw = dual.plan.gateway!.nodeSide.ip6!;
    const rec = `${addr} from :: via ${gw} dev eth0 src fd00:172:16:94::b metric 1024 pref medium`;
    const differences = judgeTrace(dual.plan, t, { routes: { [`${route.at}|${addr}`]: rec } }, { ok: true, probe: `connected from ${v6Of(dual, 'client')}`, links: { 'worker-1': { [veth]: { rx: 3, tx: 3 }, eth0: { rx: 3, tx: 3 } } }, fired: {} });
    expect(route.status).toBe('differs');
    expect(fabric.status).toBe('differs');
    expect(fabric.observed).toBe(`eth0 of worker-1 sent 3 packets; sent to ${gw} (the gateway, by the node's default route), not straight to fd00:172:16:94::c: the route to the peer's pods is not in the node's table`);
    expect(differences.some((d) => d.startsWith('fabric at fabric:'))).toBe(true);
  });
});
