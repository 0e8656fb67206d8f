/**
 * Dual stack in the plan: per-family allocation (nodes, pod slices, pods, cluster IPs), the
 * host-local range sets, kubenet's routes per family, kube-proxy's `ip6` table, and the DNS view.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeKindOf, type ProbeKindName } from '../../src/check/kinds/index.ts';
import { liveCheck } from '../../src/check/run.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { gatewayTable, ipv6Context, ipv6GatewayContext, nodeTable, proxyContext } from '../../src/plan/kube-proxy.ts';
import { renderTable } from '../../src/nft/table.ts';
import { clusterView } from '../../src/dns/cluster.ts';
import { render } from '../../src/render/render.ts';
import { loadLab } from '../../src/compile/load.ts';
import { resolveTarget, sourceAddressesOf } from '../../src/check/kinds/targets.ts';
import { curlArgv, type HttpCheck } from '../../src/check/kinds/http.ts';
import servicesLab from '../../labs/services.lab.ts';

const spec: LabSpec = {
  name: 'ds-unit',
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'kubenet',
  nodes: { a: {}, b: {} },
  pods: {
    p1: { node: 'a', labels: { app: 'web' }, containers: [{ name: 'c', workload: { kind: 'http-echo' } }] },
    p2: { node: 'b', labels: { app: 'web' }, containers: [{ name: 'c', workload: { kind: 'http-echo' } }] },
  },
  services: {
    dual: { selector: { app: 'web' }, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80, targetPort: 8080 }] },
    four: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    six: { selector: { app: 'web' }, ipFamilies: ['IPv6'], clusterIPs: ['fd00:10:96::99'], ports: [{ port: 80, targetPort: 8080 }] },
  },
};

function plan(s: LabSpec = spec) {
  const { lab, diagnostics } = validateValue(s, 'ds-unit.lab.ts');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPlan(lab!);
}

describe('dual-stack plan', () => {
  const p = plan();
  const svc = (n: string) => p.services.find((s) => s.name === n)!;

  it('nodes: an IPv6 address with the IPv4 host number, /64 slice N of the IPv6 pod network', () => {
    expect(p.nodes.map((n) => n.ips)).toEqual([
      ['172.16.94.10', 'fd00:172:16:94::a'],
      ['172.16.94.11', 'fd00:172:16:94::b'],
    ]);
    expect(p.nodes.map((n) => n.podCidrs)).toEqual([
      ['10.244.0.0/24', 'fd00:10:244::/64'],
      ['10.244.1.0/24', 'fd00:10:244:1::/64'],
    ]);
  });

  it('pods: IPv4 first, the IPv6 address with the same host number in the node’s IPv6 slice', () => {
    expect(p.pods.find((x) => x.name === 'p1')!.ips).toEqual(['10.244.0.2', 'fd00:10:244::2']);
    expect(p.pods.find((x) => x.name === 'p2')!.ips).toEqual(['10.244.1.2', 'fd00:10:244:1::2']);
  });

  it('Services: families from the policy, cluster IPs in family order, ::a kept for kube-dns', () => {
    expect(svc('dual').clusterIPs).toEqual(['10.96.0.1', 'fd00:10:96::1']);
    expect(svc('four').clusterIPs).toEqual(['10.96.0.2']);
    expect(svc('six')).toMatchObject({ clusterIP: 'fd00:10:96::99', clusterIPs: ['fd00:10:96::99'], ipFamilies: ['IPv6'] });
    expect(svc('kube-dns').clusterIPs).toEqual(['10.96.0.10', 'fd00:10:96::a']);
    // PreferDualStack on a single-stack lab is single stack.
    const single = plan({ ...spec, ipFamilies: undefined, services: { dual: spec.services!.dual! } });
    expect(single.services.find((s) => s.name === 'dual')!.clusterIPs).toEqual(['10.96.0.1']);
  });

  it('host-local gets one range set per family; kubenet routes each family via the peer’s address of that family', () => {
    const a = p.nodes[0]!;
    const ipam = (a.conflist.plugins[0] as { ipam: { ranges: unknown; routes: unknown } }).ipam;
    expect(ipam.ranges).toEqual([[{ subnet: '10.244.0.0/24', gateway: '10.244.0.1' }], [{ subnet: 'fd00:10:244::/64', gateway: 'fd00:10:244::1' }]]);
    expect(ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
    expect(a.routes).toEqual([
      { dst: '10.244.1.0/24', via: '172.16.94.11', dev: 'eth0' },
      { dst: 'fd00:10:244:1::/64', via: 'fd00:172:16:94::b', dev: 'eth0' },
    ]);
  });

  it('kube-proxy: the ip table holds IPv4 cluster IPs only, the ip6 table IPv6 ones with IPv6 endpoints', () => {
    const v4 = renderTable(nodeTable(proxyContext(p), 'a'));
    expect(v4).toContain('table ip podlab');
    expect(v4).not.toContain('fd00:');
    const ctx6 = ipv6Context(p)!;
    const v6 = renderTable(nodeTable(ctx6, 'a'));
    expect(v6).toContain('table ip6 podlab');
    expect(v6).toContain('fd00:10:96::1 . tcp . 80 : goto svc.default/dual/tcp-80');
    expect(v6).toContain('fd00:10:96::99 . tcp . 80 : goto svc.default/six/tcp-80');
    expect(v6).not.toContain('svc.default/four/');
    expect(v6).toContain('0 : fd00:10:244::2 . 8080, 1 : fd00:10:244:1::2 . 8080');
    expect(v6).toContain('ip6 saddr fd00:10:244::/56 ip6 daddr != fd00:10:244::/56 masquerade');
    expect(v6).not.toMatch(/\b10\.\d+\.\d+\.\d+/);
    // cluster-ips-check in each family: that family's cluster IPs, its own service CIDR.
    const t4 = nodeTable(proxyContext(p), 'a');
    const t6 = nodeTable(ctx6, 'a');
    expect(t4.sets.find((x) => x.name === 'cluster-ips')!.elements.flat()).toEqual(expect.arrayContaining(['10.96.0.1', '10.96.0.2', '10.96.0.10']));
    expect(t6.sets.find((x) => x.name === 'cluster-ips')!.elements.flat()).toEqual(expect.arrayContaining(['fd00:10:96::1', 'fd00:10:96::99', 'fd00:10:96::a']));
    expect(t6.sets.find((x) => x.name === 'cluster-ips')!.spec).toEqual(['type ipv6_addr']);
    expect(t4.chains.find((c) => c.name === 'cluster-ips-check')!.rules).toEqual(['ip daddr @cluster-ips reject', `ip daddr ${p.serviceCidrs.find((c) => !c.includes(':'))} drop`]);
    expect(t6.chains.find((c) => c.name === 'cluster-ips-check')!.rules).toEqual(['ip6 daddr @cluster-ips reject', `ip6 daddr ${p.serviceCidrs.find((c) => c.includes(':'))} drop`]);
    // NodePorts at the node's primary address of each family.
    const nodeA = p.nodes.find((n) => n.name === 'a')!;
    expect(t4.sets.find((x) => x.name === 'nodeport-ips')!.elements).toEqual([[nodeA.ips.find((x) => !x.includes(':'))]]);
    expect(t6.sets.find((x) => x.name === 'nodeport-ips')).toEqual({ kind: 'set', name: 'nodeport-ips', spec: ['type ipv6_addr'], elements: [[nodeA.ips.find((x) => x.includes(':'))]] });
    expect(t6.chains.find((c) => c.name === 'services')!.rules[1]).toBe('ip6 daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports');
    // An IPv4-only lab has no ip6 table.
    expect(ipv6Context(plan({ ...spec, ipFamilies: undefined, services: {} }))).toBeUndefined();
  });

  it('DNS view: a dual-stack endpoint has an address per family; an IPv6-only Service’s endpoints are IPv6', () => {
    const view = clusterView({ namespaces: p.namespaces, services: p.services, endpoints: p.endpoints, pods: p.pods });
    const eps = (n: string) => view.endpoints.find((e) => e.service === n)!.addresses.map((a) => a.ip);
    expect(eps('dual')).toEqual(['10.244.0.2', 'fd00:10:244::2', '10.244.1.2', 'fd00:10:244:1::2']);
    expect(eps('six')).toEqual(['fd00:10:244::2', 'fd00:10:244:1::2']);
    expect(eps('four')).toEqual(['10.244.0.2', '10.244.1.2']);
  });
});

describe('dual-stack plan, IPv6 primary', () => {
  const p = plan({ ...spec, name: 'ds-unit6', ipFamilies: ['IPv6', 'IPv4'] });
  const svc = (n: string) => p.services.find((s) => s.name === n)!;
  const files = render(p);

  it('every list puts IPv6 first: the lab’s networks, node addresses and slices, pod addresses', () => {
    expect([p.podCidrs, p.serviceCidrs, p.nodeNetwork.cidrs]).toEqual([
      ['fd00:10:244::/56', '10.244.0.0/16'],
      ['fd00:10:96::/112', '10.96.0.0/12'],
      ['fd00:172:16:94::/64', '172.16.94.0/24'],
    ]);
    expect(p.nodes.map((n) => [n.ips, n.podCidrs])).toEqual([
      [['fd00:172:16:94::a', '172.16.94.10'], ['fd00:10:244::/64', '10.244.0.0/24']],
      [['fd00:172:16:94::b', '172.16.94.11'], ['fd00:10:244:1::/64', '10.244.1.0/24']],
    ]);
    expect(p.pods.find((x) => x.name === 'p2')!.ips).toEqual(['fd00:10:244:1::2', '10.244.1.2']);
  });

  it('a Service without ipFamilies is IPv6-only; dual-stack ones list the IPv6 cluster IP first', () => {
    expect(svc('four')).toMatchObject({ ipFamilies: ['IPv6'], clusterIP: 'fd00:10:96::2', clusterIPs: ['fd00:10:96::2'] });
    expect(svc('dual')).toMatchObject({ ipFamilies: ['IPv6', 'IPv4'], clusterIP: 'fd00:10:96::1', clusterIPs: ['fd00:10:96::1', '10.96.0.1'] });
    expect(svc('kube-dns')).toMatchObject({ clusterIP: 'fd00:10:96::a', clusterIPs: ['fd00:10:96::a', '10.96.0.10'] });
  });

  it('pods ask kube-dns at its IPv6 cluster IP (kubeadm’s clusterDNS is the first service subnet’s)', () => {
    expect(p.pods.find((x) => x.name === 'p1')!.resolv.nameservers).toEqual(['fd00:10:96::a']);
    expect(plan().pods.find((x) => x.name === 'p1')!.resolv.nameservers).toEqual(['10.96.0.10']);
  });

  it('host-local’s first range set is IPv6 (the CNI result lists it first); each node has both addresses, IPv6 nodad', () => {
    const ipam = (p.nodes[0]!.conflist.plugins[0] as { ipam: { ranges: { subnet: string }[][] } }).ipam;
    expect(ipam.ranges.map((r) => r[0]!.subnet)).toEqual(['fd00:10:244::/64', '10.244.0.0/24']);
    const batch = files.get('ip/node-a.batch')!;
    expect(batch).toContain('address add 172.16.94.10/24 dev eth0\n');
    expect(batch).toContain('address add fd00:172:16:94::a/64 dev eth0 nodad\n');
  });

  it('a check without family goes to the primary (IPv6) address; a pod is its own source in either family', () => {
    const peers = { stateDir: '', nodes: p.nodes, pods: p.pods, hosts: p.hosts, services: p.services };
    expect(resolveTarget(peers, 'p2').ip).toBe('fd00:10:244:1::2');
    expect(resolveTarget(peers, 'p2', 'TCP', 'IPv4').ip).toBe('10.244.1.2');
    expect(resolveTarget(peers, 'node/b').ip).toBe('fd00:172:16:94::b');
    expect(resolveTarget(peers, 'svc/dual').ip).toBe('fd00:10:96::1');
    expect(sourceAddressesOf(peers, 'p1')).toEqual(['fd00:10:244::2', '10.244.0.2']);
    // A node is seen at either of its addresses or either pod gateway (its cni0's).
    expect(sourceAddressesOf(peers, 'node/a')).toEqual(expect.arrayContaining(['172.16.94.10', 'fd00:172:16:94::a', '10.244.0.1', 'fd00:10:244::1']));
  });
});

describe('dual-stack plan: outside hosts and the gateway', () => {
  const p = plan({ ...spec, name: 'ds-unit-hosts', hosts: { out: { network: 'external' }, near: {} } });
  const files = render(p);

  it('each host has the IPv6 twin of its IPv4 address, in the IPv6 network of its side, and a default route per family', () => {
    expect(p.hosts.map((h) => [h.name, h.ips, h.defaultVia, h.defaultVia6])).toEqual([
      ['out', ['203.0.113.10', 'fd00:203:0:113::a'], '203.0.113.1', 'fd00:203:0:113::1'],
      ['near', ['172.16.94.12', 'fd00:172:16:94::c'], '172.16.94.1', 'fd00:172:16:94::1'],
    ]);
    expect(files.get('ip/host-out.batch')).toContain('address add fd00:203:0:113::a/64 dev eth0 nodad\n');
    expect(files.get('ip/host-out.batch')).toContain('route add default via fd00:203:0:113::1 dev eth0\n');
  });

  it('the gateway routes IPv6: an address on each side, each node’s IPv6 slice via its IPv6 address; nodes default to it in IPv6', () => {
    const g = p.gateway!;
    expect([g.nodeSide.ip6, g.externalSide!.ip6]).toEqual(['fd00:172:16:94::1', 'fd00:203:0:113::1']);
    expect(g.routes).toContainEqual({ dst: 'fd00:10:244:1::/64', via: 'fd00:172:16:94::b', dev: 'eth0' });
    expect(files.get('ip/gateway.batch')).toContain('address add fd00:203:0:113::1/64 dev eth1 nodad\n');
    expect(p.nodes[0]!.routes).toContainEqual({ dst: 'default', via: 'fd00:172:16:94::1', dev: 'eth0' });
    // An IPv4-only lab's hosts and gateway stay IPv4.
    const single = plan({ ...spec, ipFamilies: undefined, services: {}, hosts: { out: { network: 'external' } } });
    expect([single.hosts[0]!.ips, single.hosts[0]!.ip6, single.gateway!.nodeSide.ip6]).toEqual([['203.0.113.10'], undefined, undefined]);
  });

  it('a check to a host picks its address of the asked family; the host is its own source in either', () => {
    const peers = { stateDir: '', nodes: p.nodes, pods: p.pods, hosts: p.hosts, services: p.services };
    expect(resolveTarget(peers, 'host/out', 'TCP', 'IPv6').ip).toBe('fd00:203:0:113::a');
    expect(resolveTarget(peers, 'host/out').ip).toBe('203.0.113.10');
    expect(sourceAddressesOf(peers, 'host/out')).toEqual(['203.0.113.10', 'fd00:203:0:113::a']);
  });
});

describe('dual-stack plan: load-balancer addresses per family', () => {
  const p = plan({
    ...spec,
    name: 'ds-unit-lb',
    hosts: { out: { network: 'external' } },
    loadBalancer: { pool: '172.16.94.240/28' },
    services: {
      lb: { type: 'LoadBalancer', selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, targetPort: 8080 }] },
      lb4: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 81, targetPort: 8080 }] },
    },
  });
  const svc = (n: string) => p.services.find((s) => s.name === n)!;

  it('a dual-stack LoadBalancer Service gets the IPv6 twin of its pool address; a single-stack one only the IPv4 one', () => {
    expect(svc('lb').loadBalancerIPs).toEqual(['172.16.94.241', 'fd00:172:16:94::f1']);
    expect(svc('lb4').loadBalancerIPs).toBeUndefined();
    expect(p.gateway!.loadBalancerIps6).toEqual(['fd00:172:16:94::f1']);
    expect(render(p).get('ip/gateway.batch')).toContain('address add fd00:172:16:94::f1/128 dev eth0 nodad\n');
  });

  it('the gateway’s ip6 table spreads the IPv6 address over the nodes’ NodePorts at their IPv6 addresses', () => {
    const t = renderTable(gatewayTable(ipv6GatewayContext(p)!));
    expect(t).toContain('table ip6 podlab');
    expect(t).toMatch(/fd00:172:16:94::f1 \. tcp \. 80 : goto lb\.default\/lb\/tcp-80/);
    expect(t).toMatch(/dnat to \[fd00:172:16:94::a\]:3\d{4}/);
    expect(t).toContain('ct status dnat ip6 saddr fd00:172:16:94::/64 masquerade');
    expect(t).not.toContain('172.16.94.242');
    const peers = { stateDir: '', nodes: p.nodes, pods: p.pods, hosts: p.hosts, services: p.services };
    expect(resolveTarget(peers, 'lb/lb', 'TCP', 'IPv6').ip).toBe('fd00:172:16:94::f1');
    expect(resolveTarget(peers, 'lb/lb').ip).toBe('172.16.94.241');
  });
});

describe('dual-stack plan: the ingress controller with IPv6 primary', () => {
  it('its LoadBalancer Service is dual stack, IPv6 first, so it has a load-balancer address in each family', async () => {
    const { value } = await loadLab('labs/ingress.lab.ts');
    const p = plan({ ...(value as LabSpec), name: 'ds-unit-ing', ipFamilies: ['IPv6', 'IPv4'] });
    const c = p.services.find((s) => s.name === 'ingress-nginx-controller')!;
    expect(c.ipFamilies).toEqual(['IPv6', 'IPv4']);
    expect(c.loadBalancerIPs!.map((a) => a.includes(':'))).toEqual([true, false]);
    expect(c.loadBalancerIPs![1]).toBe(c.loadBalancerIP);
  }, 30_000);
});

describe('checks in IPv6: the dns check’s server and PTR, the route check, tcp to a pod', () => {
  const p = plan({
    ...spec,
    name: 'ds-unit-checks',
    checks: [
      { kind: 'dns', from: 'p1', server: 'svc/kube-system/kube-dns', family: 'IPv6', query: 'dual.default.svc.cluster.local.', expectAnswers: ['svc/dual'] },
      { kind: 'dns', from: 'p1', query: 'fd00:10:96::1', type: 'PTR', expectAnswers: ['dual.default.svc.cluster.local.'] },
      { kind: 'dns', from: 'p1', query: 'dual.default.svc.cluster.local.', type: 'AAAA', expectAnswers: ['svc/dual', 'pod/p2'] },
      { kind: 'route', from: 'node/a', to: 'node/b', family: 'IPv6', via: 'node/b' },
      { kind: 'route', from: 'node/a', to: 'node/b', via: 'node/b' },
      { kind: 'route', from: 'p1', to: 'fd00:10:244:1::2', via: 'fd00:10:244::1' },
      { kind: 'tcp', from: 'p1', to: 'p2', port: 8080, family: 'IPv6' },
    ],
  });
  const [atV6, ptr6, aaaa, route6, route4, routeGet6, tcp6] = p.checks;
  const probe = (c: (typeof p.checks)[number]) => probeKindOf(c.kind as ProbeKindName).probe(c as never, 'probe');
  const judge = (c: (typeof p.checks)[number], stdout: string) => probeKindOf(c.kind as ProbeKindName).judge(p, c as never, { stdout, stderr: '', exitCode: 0 });
  const fixture = (f: string) => readFileSync(`test/fixtures/outputs/${f}`, 'utf8');
  const to = (c: (typeof p.checks)[number] | undefined) => (c as { to: { kind: string; ip: string } }).to;

  it('dns: family picks kube-dns’s IPv6 cluster IP as the server; dig asks it there', () => {
    expect(to(atV6)).toMatchObject({ kind: 'svc', ip: 'fd00:10:96::a' });
    expect(probe(atV6!)).toEqual(['dig', '+tries=1', '+time=1', '@fd00:10:96::a', 'dual.default.svc.cluster.local.', 'A']);
    // Recorded in a live dual-stack lab: kube-dns asked over IPv6 answers the A record.
    const rec = { ...atV6!, dns: { ...(atV6 as { dns: object }).dns, query: 'web.default.svc.cluster.local.', expectAnswers: ['10.96.0.1'] } };
    expect(judge(rec as never, fixture('dig-at-ipv6-server.txt'))).toMatchObject({ ok: true, seen: 'NOERROR: web.default.svc.cluster.local. A 10.96.0.1' });
  });

  it('dns: PTR of an IPv6 address is asked under ip6.arpa (dig -x) and judged on the name', () => {
    expect(probe(ptr6!)).toEqual(['dig', '+tries=1', '+time=1', '-x', 'fd00:10:96::1']);
    const rec = { ...ptr6!, dns: { ...(ptr6 as { dns: object }).dns, expectAnswers: ['web.default.svc.cluster.local.'] } };
    expect(judge(rec as never, fixture('dig-ptr-ip6-arpa.txt'))).toMatchObject({ ok: true });
    const wrong = { ...ptr6!, dns: { ...(ptr6 as { dns: object }).dns, expectAnswers: ['other.default.svc.cluster.local.'] } };
    expect(judge(wrong as never, fixture('dig-ptr-ip6-arpa.txt'))).toMatchObject({ ok: false, definite: true });
  });

  it('dns: pod/ and svc/ in the answers of an AAAA check are their IPv6 addresses', () => {
    const seen = ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\n;; ANSWER SECTION:\nx. 30 IN AAAA fd00:10:96::1\nx. 30 IN AAAA fd00:10:244:1::2\n';
    expect(judge(aaaa!, seen)).toMatchObject({ ok: true, expected: 'AAAA dual.default.svc.cluster.local.: NOERROR, answers include fd00:10:96::1, fd00:10:244:1::2' });
  });

  it('route: family IPv6 is the node’s IPv6 slice via its IPv6 address, asked with ip -6; without it the IPv4 one', () => {
    expect(to(route6).ip).toBe('fd00:10:244:1::/64');
    expect((route6 as { route: { via?: string } }).route.via).toBe('fd00:172:16:94::b');
    expect(probe(route6!)).toEqual(['ip', '-j', '-6', 'route', 'show', 'exact', 'fd00:10:244:1::/64']);
    expect(to(route4).ip).toBe('10.244.1.0/24');
    expect((route4 as { route: { via?: string } }).route.via).toBe('172.16.94.11');
    expect(probe(route4!)).toEqual(['ip', '-j', 'route', 'show', 'exact', '10.244.1.0/24']);
    expect(probe(routeGet6!)).toEqual(['ip', '-j', '-6', 'route', 'get', 'fd00:10:244:1::2']);
    // Recorded on worker-1 of a live dual-stack kubenet lab (`ip -j -6 route show exact fd00:10:244:2::/64`).
    const v6 = '[{"dst":"fd00:10:244:1::/64","gateway":"fd00:172:16:94::b","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]';
    expect(judge(route6!, v6)).toMatchObject({ ok: true, seen: 'fd00:10:244:1::/64 via fd00:172:16:94::b dev eth0' });
    // Without -6, `ip route show exact` of an IPv6 prefix prints [] (recorded): the check would see no route.
    expect(judge(route6!, '[]')).toMatchObject({ ok: false, seen: 'no route' });
  });

  it('tcp with family IPv6 to a pod probes its IPv6 address', () => {
    expect(to(tcp6)).toMatchObject({ kind: 'pod', ip: 'fd00:10:244:1::2' });
    expect(probe(tcp6!)).toEqual(['probe', 'tcp-connect', '--host', 'fd00:10:244:1::2', '--port', '8080', '--timeout-ms', '1000']);
  });
});

describe('checks at run time keep their family', () => {
  it('a check planned to a pod’s IPv6 address goes to its current IPv6 address, not its IPv4 one', () => {
    const p = plan({ ...spec, name: 'ds-unit-live', checks: [{ kind: 'tcp', from: 'p1', to: 'p2', port: 8080, family: 'IPv6' }, { kind: 'tcp', from: 'p1', to: 'p2', port: 8080 }] });
    const state = { plan: p, pods: { p2: { ip: '10.244.1.9', ips: ['10.244.1.9', 'fd00:10:244:1::9'], containers: {} } } } as unknown as LabState;
    const [six, four] = p.checks.map((c) => liveCheck(state, c) as { to: { ip: string } });
    expect([six!.to.ip, four!.to.ip]).toEqual(['fd00:10:244:1::9', '10.244.1.9']);
    // A pod never re-created: its state has the planned IPv4 address only; the IPv6 check keeps its planned address.
    const untouched = { plan: p, pods: { p2: { ip: '10.244.1.2', containers: {} } } } as unknown as LabState;
    expect((liveCheck(untouched, p.checks[0]!) as { to: { ip: string } }).to.ip).toBe('fd00:10:244:1::2');
  });
});

describe('IPv6-only plan (ipFamilies: [IPv6])', () => {
  const only = (cni: 'kubenet' | 'flannel') => plan({ ...spec, name: `ds-unit-v6only-${cni}`, ipFamilies: ['IPv6'], cni, services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }, np: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
  const p = only('kubenet');
  const files = render(p);
  const v4 = /\b(10|172)\.\d+\.\d+\.\d+/;

  it('every address and CIDR, singular or listed, is IPv6', () => {
    expect([p.podCidr, p.podCidrs, p.serviceCidr, p.serviceCidrs, p.nodeNetwork.cidr]).toEqual(['fd00:10:244::/56', ['fd00:10:244::/56'], 'fd00:10:96::/112', ['fd00:10:96::/112'], 'fd00:172:16:94::/64']);
    expect(p.nodes.map((n) => [n.ip, n.ips, n.podCidr, n.podGateway, n.prefixLen])).toEqual([
      ['fd00:172:16:94::a', ['fd00:172:16:94::a'], 'fd00:10:244::/64', 'fd00:10:244::1', 64],
      ['fd00:172:16:94::b', ['fd00:172:16:94::b'], 'fd00:10:244:1::/64', 'fd00:10:244:1::1', 64],
    ]);
    expect(p.pods.map((x) => [x.name, x.ip, x.ips])).toContainEqual(['p2', 'fd00:10:244:1::2', ['fd00:10:244:1::2']]);
    expect(p.services.map((s) => [s.name, s.clusterIP, s.clusterIPs, s.ipFamilies])).toEqual([
      ['web', 'fd00:10:96::1', ['fd00:10:96::1'], ['IPv6']],
      ['np', 'fd00:10:96::2', ['fd00:10:96::2'], ['IPv6']],
      ['kube-dns', 'fd00:10:96::a', ['fd00:10:96::a'], ['IPv6']],
    ]);
    expect(p.dns!.serviceIP).toBe('fd00:10:96::a');
    expect(p.pods.find((x) => x.name === 'p1')!.resolv.nameservers).toEqual(['fd00:10:96::a']);
  });

  it('nothing IPv4 is rendered: no IPv4 address, route, range, CNI_ARGS IP or kube-proxy ip table', () => {
    expect([...files.keys()].filter((f) => f.startsWith('nft/'))).toEqual(['nft/a.ip6.nft', 'nft/b.ip6.nft']);
    for (const [f, text] of files) if (f !== 'plan.json') expect(text, f).not.toMatch(v4);
    const ipam = (p.nodes[0]!.conflist.plugins[0] as { ipam: { ranges: unknown; routes: unknown } }).ipam;
    expect([ipam.ranges, ipam.routes]).toEqual([[[{ subnet: 'fd00:10:244::/64', gateway: 'fd00:10:244::1' }]], [{ dst: '::/0' }]]);
    expect(p.nodes[0]!.routes).toEqual([{ dst: 'fd00:10:244:1::/64', via: 'fd00:172:16:94::b', dev: 'eth0' }]);
    expect(files.get('ip/node-a.batch')).toContain('address add fd00:172:16:94::a/64 dev eth0\n');
    expect(files.get('up.sh')).toContain(';IP=fd00:10:244::2;');
  });

  it('kube-proxy’s ip6 table has the Services at their IPv6 cluster IPs with the pods’ IPv6 endpoints, NodePorts too', () => {
    const t = renderTable(nodeTable(ipv6Context(p)!, 'a'));
    expect(t).toContain('table ip6 podlab');
    expect(t).toMatch(/fd00:10:96::1 \. tcp \. 80 : goto svc\.default\/web\/tcp-80/);
    expect(t).toContain('0 : fd00:10:244::2 . 8080, 1 : fd00:10:244:1::2 . 8080');
    expect(t).toMatch(/tcp \. 3\d{4} : goto ext\.default\/np\/tcp-80/);
  });

  it('flannel: one VTEP, flannel-v6.1 as flanneld names it, speaking IPv6 alone (local and FDB dst are node IPv6 addresses), MTU 70 below', () => {
    const f = only('flannel');
    const batch = render(f).get('ip/node-a.batch')!;
    expect(batch).toMatch(/link add name flannel-v6\.1 address \S+ mtu 1430 type vxlan id 1 local fd00:172:16:94::a dev eth0 dstport 8472 nolearning/);
    expect(batch).toContain('address add fd00:10:244::/128 dev flannel-v6.1 nodad\n');
    expect(batch).toContain('route add fd00:10:244:1::/64 via fd00:10:244:1:: dev flannel-v6.1 onlink\n');
    expect(batch).not.toContain('flannel.1');
    expect(batch).not.toMatch(v4);
    expect(render(f).get('ip/fdb-a.batch')).toContain('dst fd00:172:16:94::b');
  });

  it('a check without family goes to the IPv6 address', () => {
    const peers = { stateDir: '', nodes: p.nodes, pods: p.pods, hosts: p.hosts, services: p.services };
    expect(resolveTarget(peers, 'p2').ip).toBe('fd00:10:244:1::2');
    expect(resolveTarget(peers, 'node/b').ip).toBe('fd00:172:16:94::b');
    expect(resolveTarget(peers, 'svc/web').ip).toBe('fd00:10:96::1');
  });

  it('the DNS view has IPv6 addresses only (AAAA; A is NODATA)', () => {
    const view = clusterView({ namespaces: p.namespaces, services: p.services, endpoints: p.endpoints, pods: p.pods });
    expect(JSON.stringify(view)).not.toMatch(v4);
    expect(view.services.find((s) => s.name === 'web')!.clusterIP).toBe('fd00:10:96::1');
  });
});

describe('IPv6-only plan: outside hosts and the gateway', () => {
  const p = plan({ ...spec, name: 'v6-unit-hosts', ipFamilies: ['IPv6'], cni: 'kubenet', services: { np: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] } }, hosts: { out: { network: 'external' }, near: {} } });
  const files = render(p);
  const v4 = /\b(10|172|203)\.\d+\.\d+\.\d+/;

  it('hosts and both sides of the gateway have their IPv6 address alone; the default routes lead to the gateway in IPv6', () => {
    expect(p.hosts.map((h) => [h.name, h.ip, h.prefixLen, h.ips, h.ip6, h.defaultVia, h.defaultVia6])).toEqual([
      ['out', 'fd00:203:0:113::a', 64, ['fd00:203:0:113::a'], undefined, 'fd00:203:0:113::1', undefined],
      ['near', 'fd00:172:16:94::c', 64, ['fd00:172:16:94::c'], undefined, 'fd00:172:16:94::1', undefined],
    ]);
    const g = p.gateway!;
    expect([g.nodeSide.ip, g.nodeSide.prefixLen, g.nodeSide.ip6, g.externalSide!.ip, g.externalSide!.ip6, g.loadBalancerIps]).toEqual(['fd00:172:16:94::1', 64, undefined, 'fd00:203:0:113::1', undefined, []]);
    // Return routes: each node's IPv6 slice via its IPv6 address, nothing IPv4.
    expect(g.routes).toEqual([
      { dst: 'fd00:10:244::/64', via: 'fd00:172:16:94::a', dev: 'eth0' },
      { dst: 'fd00:10:244:1::/64', via: 'fd00:172:16:94::b', dev: 'eth0' },
    ]);
    expect(p.nodes.map((n) => n.routes.filter((r) => r.dst === 'default'))).toEqual([[{ dst: 'default', via: 'fd00:172:16:94::1', dev: 'eth0' }], [{ dst: 'default', via: 'fd00:172:16:94::1', dev: 'eth0' }]]);
  });

  it('nothing IPv4 is rendered for them: batches, sysctls, no gateway ip table', () => {
    for (const [f, text] of files) if (f !== 'plan.json') expect(text, f).not.toMatch(v4);
    expect(files.get('ip/host-out.batch')).toContain('address add fd00:203:0:113::a/64 dev eth0\n');
    expect(files.get('ip/host-out.batch')).toContain('route add default via fd00:203:0:113::1 dev eth0\n');
    expect(files.get('ip/gateway.batch')).toContain('route add fd00:10:244:1::/64 via fd00:172:16:94::b dev eth0\n');
    expect(files.has('nft/gateway.nft')).toBe(false);
    const gw = files.get('up.sh')!.split('\n').find((l) => l.includes('podlab-v6-unit-hosts.gateway sysctl'))!;
    expect(gw).toContain('net.ipv6.conf.all.forwarding=1');
    expect(gw).not.toContain('net.ipv4');
  });

  it('natOutgoing: pod traffic leaving the IPv6 pod network is masqueraded in the node’s ip6 table', () => {
    const t = files.get('nft/a.ip6.nft')!;
    expect(t).toContain('table ip6 podlab');
    expect(t).toMatch(/ip6 saddr fd00:10:244::\/56 ip6 daddr != fd00:10:244::\/56 .*masquerade/);
  });

  it('checks reach hosts at their IPv6 address and expect the node’s IPv6 address as source', () => {
    const peers = { stateDir: '', nodes: p.nodes, pods: p.pods, hosts: p.hosts, services: p.services };
    expect(resolveTarget(peers, 'host/out').ip).toBe('fd00:203:0:113::a');
    expect(sourceAddressesOf(peers, 'node/a')).toContain('fd00:172:16:94::a');
  });
});

describe('IPv6-only plan: a load-balancer pool in IPv6, fixed node addresses in IPv6', () => {
  const p = plan({
    ...spec,
    name: 'v6-unit-lb',
    ipFamilies: ['IPv6'],
    nodes: { a: { ip: 'fd00:172:16:94::14' }, b: {} },
    loadBalancer: { pool: 'fd00:172:16:94::f0/124' },
    services: { lb: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    hosts: { out: { network: 'external' } },
  });
  const files = render(p);

  it('a fixed node address given in IPv6 is the node’s address; the others take ::a, … as before', () => {
    expect(p.nodes.map((n) => [n.name, n.ip, n.ips])).toEqual([
      ['a', 'fd00:172:16:94::14', ['fd00:172:16:94::14']],
      ['b', 'fd00:172:16:94::a', ['fd00:172:16:94::a']],
    ]);
    expect(files.get('ip/node-a.batch')).toContain('address add fd00:172:16:94::14/64 dev eth0');
  });

  it('an IPv6-only LoadBalancer Service gets the pool’s first IPv6 address; the gateway holds it and spreads it over the nodes’ NodePorts in ip6', () => {
    const lb = p.services.find((s) => s.name === 'lb')!;
    expect([lb.ipFamilies, lb.loadBalancerIP, lb.loadBalancerIPs]).toEqual([['IPv6'], 'fd00:172:16:94::f1', ['fd00:172:16:94::f1']]);
    expect([p.gateway!.loadBalancerIps, p.gateway!.loadBalancerIps6]).toEqual([[], ['fd00:172:16:94::f1']]);
    expect(files.get('ip/gateway.batch')).toContain('address add fd00:172:16:94::f1/128 dev eth0 nodad');
    const g = files.get('nft/gateway.ip6.nft')!;
    expect(g).toContain('fd00:172:16:94::f1 . tcp . 80 : goto lb.default/lb/tcp-80');
    expect(g).toMatch(/dnat to \[fd00:172:16:94::14\]:30\d{3}/);
    expect(files.has('nft/gateway.nft')).toBe(false);
    for (const [f, text] of files) if (f !== 'plan.json') expect(text, f).not.toMatch(/\b(10|172|203)\.\d+\.\d+\.\d+/);
    const peers = { stateDir: '', nodes: p.nodes, pods: p.pods, hosts: p.hosts, services: p.services };
    expect(resolveTarget(peers, 'lb/lb').ip).toBe('fd00:172:16:94::f1');
  });

  it('the pool is used up in IPv6 as in IPv4: the message names the pool as written', () => {
    const svc = { type: 'LoadBalancer' as const, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] };
    const r = validateValue({ ...spec, name: 'v6-unit-lb-full', ipFamilies: ['IPv6'], loadBalancer: { pool: 'fd00:172:16:94::f0/127' }, services: { a: svc, b: svc, c: svc } }, 'x.lab.ts');
    expect(r.diagnostics.map((d) => [d.code, d.message])).toContainEqual(['PL2019', 'Service "default/c" gets no address: the pool fd00:172:16:94::f0/127 is used up']);
  });
});

describe('IPv6-only plan: ingress behind an IPv6 LoadBalancer', () => {
  const p = plan({
    ...spec,
    name: 'v6-unit-ingress',
    ipFamilies: ['IPv6'],
    loadBalancer: { pool: 'fd00:172:16:94::f0/124' },
    services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    ingressClasses: { nginx: { default: true } },
    ingresses: { shop: { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }], rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } },
    checks: [
      { kind: 'http', from: 'p1', to: 'lb/ingress-nginx/ingress-nginx-controller', host: 'shop.example.com', path: '/' },
      { kind: 'http', from: 'p1', to: 'lb/ingress-nginx/ingress-nginx-controller', host: 'shop.example.com', https: true, path: '/' },
    ],
  });
  const conf = render(p).get('ingress/nginx.conf')!;

  it('the controller’s Service is IPv6-only with the pool’s address; nginx listens on [::] only and proxies to IPv6 upstreams', () => {
    const ctl = p.services.find((s) => s.name === 'ingress-nginx-controller')!;
    expect([ctl.ipFamilies, ctl.clusterIPs!.every((a) => a.includes(':')), ctl.loadBalancerIPs]).toEqual([['IPv6'], true, ['fd00:172:16:94::f1']]);
    expect(conf.match(/listen [^;]+;/g)).toEqual(['listen [::]:80 default_server;', 'listen [::]:443 ssl default_server;', 'listen [::]:80;', 'listen [::]:443 ssl;']);
    expect(conf).toContain('server [fd00:10:244::2]:8080;');
    expect(conf).not.toMatch(/\b(10|172)\.\d+\.\d+\.\d+/);
  });

  it('checks to it bracket the IPv6 address: in the URL, and in curl’s --resolve for HTTPS', () => {
    const [plain, tls] = p.checks.map((c) => curlArgv(c as HttpCheck<'plan'>));
    expect(plain).toContain('http://[fd00:172:16:94::f1]:80/');
    expect(tls).toContain('shop.example.com:443:[fd00:172:16:94::f1]');
  });
});

describe('the flagship (labs/services.lab.ts) switched to IPv6-only', () => {
  // The switch is one line: ipFamilies: ['IPv6']. The pool lists a CIDR per family; the lab uses those of its families.
  const flagship = validateValue(servicesLab, 'labs/services.lab.ts');
  const v6 = { ...servicesLab, name: 'v6-flagship', ipFamilies: ['IPv6' as const] };

  it('the flagship writes its pool per family and nothing else of one family: IPv4 as written, IPv6-only by ipFamilies alone', () => {
    expect(flagship.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(servicesLab.loadBalancer!.pool).toEqual(['172.16.94.240/28', 'fd00:172:16:94::f0/124']);
    // As written, IPv4: the LoadBalancer takes the IPv4 pool's first address and nothing IPv6 is planned.
    const p4 = buildPlan(flagship.lab!);
    expect(p4.services.find((s) => s.name === 'web-lb')!.loadBalancerIP).toBe('172.16.94.241');
    expect(JSON.stringify(p4)).not.toContain('fd00:');
    // Without the IPv6 CIDR in the pool, ipFamilies alone would be refused at the pool's line.
    const asBefore = validateValue({ ...servicesLab, ipFamilies: ['IPv6'], loadBalancer: { pool: '172.16.94.240/28' } }, 'labs/services.lab.ts').diagnostics.filter((d) => d.severity === 'error');
    expect(asBefore.map((d) => [d.code, d.path.join('.')])).toEqual([['PL2404', 'loadBalancer.pool']]);
  });

  it('with the pool in IPv6 it validates, plans and renders with nothing IPv4: every check and scenario step targets an IPv6 address', () => {
    const r = validateValue(v6, 'labs/services.lab.ts');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const p = buildPlan(r.lab!);
    for (const [f, text] of render(p)) if (f !== 'plan.json') expect(text, f).not.toMatch(/\b(10|172|203)\.\d+\.\d+\.\d+/);
    const targets = JSON.stringify([p.checks, p.scenarios]).match(/"ip":"[^"]+"/g)!;
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.filter((t) => !t.includes(':'))).toEqual([]);
  });

  it('session affinity in IPv6: set and chain names carry the endpoint with dashes (nft takes no colon there)', () => {
    const p = buildPlan(validateValue(v6, 'labs/services.lab.ts').lab!);
    const t = renderTable(nodeTable(ipv6Context(p)!, 'worker-1'));
    expect(t).toContain('set aff.default/web-sticky/tcp-80/fd00-10-244-1--2/8080 {');
    expect(t).toContain('chain ep.default/web-sticky/tcp-80/fd00-10-244-1--2/8080 {');
    expect(t).toContain('dnat to [fd00:10:244:1::2]:8080');
    expect(t).not.toMatch(/(set|chain) \S*fd00:/);
  });
});

describe('kube-proxy in IPv6: hairpin, traffic policies, forwarding in node namespaces only', () => {
  const p = plan({
    ...spec,
    name: 'ds-unit-policies',
    services: {
      local: { type: 'NodePort', selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', externalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080, nodePort: 30081 }] },
      inner: { selector: { app: 'web' }, ipFamilies: ['IPv6'], internalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080 }] },
    },
  });
  const t6 = renderTable(nodeTable(ipv6Context(p)!, 'a'));

  it('hairpin: each pod’s IPv6 address pair is in the ip6 table’s hairpin set, masqueraded', () => {
    expect(t6).toMatch(/set hairpin \{\s+type ipv6_addr \. ipv6_addr\s+elements = \{\s+fd00:10:244::2 \. fd00:10:244::2,\s+fd00:10:244:1::2 \. fd00:10:244:1::2/);
    expect(t6).toContain('ct status dnat ip6 saddr . ip6 daddr @hairpin masquerade fully-random');
  });

  it('externalTrafficPolicy Local: node a’s NodePort in IPv6 goes to its own pod only, a client not masqueraded; internalTrafficPolicy Local: its own pod only', () => {
    const ext = /chain ext\.default\/local\/tcp-80 \{([^}]*)\}/.exec(t6)![1]!;
    expect(ext).toContain('fd00:10:244::2');
    expect(ext).not.toContain('fd00:10:244:1::2');
    // Only the node's own traffic is masqueraded (kube-proxy's rule), a client's keeps its address.
    expect(ext.match(/jump mark-for-masquerade/g)).toEqual(['jump mark-for-masquerade']);
    expect(ext).toContain('fib saddr type local jump mark-for-masquerade');
    const inner = /chain svc\.default\/inner\/tcp-80 \{([^}]*)\}/.exec(t6)![1]!;
    expect(inner).toContain('fd00:10:244::2');
    expect(inner).not.toContain('fd00:10:244:1::2');
  });

  it('IPv6 forwarding is switched on in the node namespaces’ sysctls, never in the host’s root batch', () => {
    const files = render(p);
    expect(files.get('up.sh')).toMatch(/ip netns exec podlab-ds-unit-policies\.node\.a sysctl -qw .*net\.ipv6\.conf\.all\.forwarding=1/);
    expect(files.get('up.sh')).not.toMatch(/^sysctl /m);
    expect(files.get('ip/root.batch')).not.toMatch(/forwarding|sysctl/);
  });
});
