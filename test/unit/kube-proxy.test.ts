/** podlab's kube-proxy: the nftables table of each node and of the gateway, as data (src/plan/kube-proxy.ts). */
import { describe, expect, it } from 'vitest';
import { gatewayTable, nodeTable } from '../../src/plan/kube-proxy.ts';
import type { Endpoint } from '../../src/plan/services.ts';
import { chain, context, endpoint, labPort, labService, NODES, planned, POD_CIDR, set } from './service-builders.ts';

const ID = 'default/web/tcp-80';
const A = endpoint('a', 'w1', '10.244.1.2', { 'tcp-80': 8080 });
const B = endpoint('b', 'w1', '10.244.1.3', { 'tcp-80': 8080 });
const C = endpoint('c', 'w2', '10.244.2.2', { 'tcp-80': 8080 });
const MASQ_OFF_CLUSTER = `ip daddr 10.96.0.1 ip saddr != ${POD_CIDR} jump mark-for-masquerade`;

const web = (s: Parameters<typeof labService>[1] = {}, endpoints: Endpoint[] = [A, B, C], natOutgoing = true) => {
  const services = planned([labService('web', s)]);
  return context(services, { 'default/web': endpoints }, natOutgoing);
};
/** Sticky Services pick an endpoint chain (which records the client) with a verdict map. */
const vmap = (targets: string[]) => `numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(', ')} }`;
/** The others DNAT straight through an anonymous map (no chain per endpoint), or to the one endpoint. */
const dnat = (targets: Endpoint[], port = 8080, proto = 'tcp') =>
  targets.length === 1
    ? `meta l4proto ${proto} dnat to ${targets[0]!.ip}:${port}`
    : `meta l4proto ${proto} dnat to numgen random mod ${targets.length} map { ${targets.map((e, i) => `${i} : ${e.ip} . ${port}`).join(', ')} }`;
const ep = (e: Endpoint, id = ID) => `ep.${id}/${e.ip}/${Object.values(e.ports)[0]}`;
const aff = (e: Endpoint, id = ID) => `aff.${id}/${e.ip}/${Object.values(e.ports)[0]}`;
const HAIRPIN = 'ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random';

describe('node table: ClusterIP', () => {
  it('spreads a Service with three endpoints with numgen mod 3, DNAT through an anonymous map, no chain per endpoint', () => {
    const t = nodeTable(web(), 'w1');
    expect(chain(t, `svc.${ID}`).rules).toEqual([
      MASQ_OFF_CLUSTER,
      'meta l4proto tcp dnat to numgen random mod 3 map { 0 : 10.244.1.2 . 8080, 1 : 10.244.1.3 . 8080, 2 : 10.244.2.2 . 8080 }',
    ]);
    expect(t.chains.filter((c) => c.name.startsWith('ep.'))).toEqual([]);
    expect(set(t, 'service-ips').elements).toEqual([['10.96.0.1 . tcp . 80', `goto svc.${ID}`]]);
    expect(set(t, 'service-nodeports').elements).toEqual([]);
    expect(t.chains.map((c) => c.name)).not.toContain(`ext.${ID}`);
  });

  it('is the same on every node when no traffic policy is Local, but for the node\'s own address in nodeport-ips', () => {
    const but = (node: string) => ({ ...nodeTable(web(), node), sets: nodeTable(web(), node).sets.filter((x) => x.name !== 'nodeport-ips') });
    expect(but('w2')).toEqual(but('w1'));
    expect(but('w3')).toEqual(but('w1'));
  });

  it('goes straight to the one endpoint when there is only one', () => {
    expect(chain(nodeTable(web({}, [C]), 'w1'), `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, 'meta l4proto tcp dnat to 10.244.2.2:8080']);
  });

  it('refuses a new connection to a Service without endpoints before DNAT (reject: TCP reset, else ICMP port unreachable), as kube-proxy does', () => {
    const t = nodeTable(web({}, []), 'w1');
    expect(set(t, 'no-endpoint-services').elements).toEqual([['10.96.0.1 . tcp . 80', 'goto reject-chain']]);
    expect(chain(t, 'reject-chain').rules).toEqual(['meta l4proto tcp reject with tcp reset', 'reject']);
    expect(chain(t, 'service-endpoints-check').rules[0]).toBe('ip daddr . meta l4proto . th dport vmap @no-endpoint-services');
    // Before DNAT (priority -110 < -100), for forwarded pod traffic and the node's own.
    expect(chain(t, 'filter-prerouting')).toEqual({ name: 'filter-prerouting', hook: 'type filter hook prerouting priority -110; policy accept;', rules: ['ct state new jump service-endpoints-check'] });
    expect(chain(t, 'filter-output').rules).toEqual(['ct state new jump service-endpoints-check']);
    // What is left of an established flow still ends in the Service chain, not routed onwards.
    expect(chain(t, `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, 'drop']);
    expect(t.chains.filter((c) => c.name.startsWith('ep.'))).toEqual([]);
    expect(set(t, 'service-ips').elements).toEqual([['10.96.0.1 . tcp . 80', `goto svc.${ID}`]]);
  });

  it('refuses a NodePort and a load-balancer address with no endpoints; a Service with endpoints is in neither map', () => {
    const t = nodeTable(web({ type: 'LoadBalancer' }, []), 'w1');
    expect(set(t, 'no-endpoint-nodeports').elements).toEqual([['tcp . 30000', 'goto reject-chain']]);
    expect(set(t, 'no-endpoint-services').elements.map((e) => e[1])).toEqual(['goto reject-chain', 'goto reject-chain']);
    const ok = nodeTable(web({ type: 'LoadBalancer' }), 'w1');
    expect(set(ok, 'no-endpoint-services').elements).toEqual([]);
    expect(set(ok, 'no-endpoint-nodeports').elements).toEqual([]);
  });

  it('masquerades a pod that reaches itself through a Service (hairpin): every endpoint, once, in the hairpin set', () => {
    const services = planned([labService('web'), labService('web-too', { selector: { app: 'web' }, ports: [labPort({ port: 81 })] })]);
    const t = nodeTable(context(services, { 'default/web': [A, B, C], 'default/web-too': [C, A] }), 'w3');
    expect(set(t, 'hairpin')).toEqual({
      kind: 'set',
      name: 'hairpin',
      spec: ['type ipv4_addr . ipv4_addr'],
      elements: [['10.244.1.2 . 10.244.1.2'], ['10.244.1.3 . 10.244.1.3'], ['10.244.2.2 . 10.244.2.2']],
    });
    expect(chain(t, 'nat-postrouting').rules.slice(0, 2)).toEqual(['jump masquerading', HAIRPIN]);
    expect(chain(t, 'mark-for-masquerade').rules).toEqual(['meta mark set meta mark | 0x4000']);
    expect(chain(t, 'masquerading').rules).toEqual(['meta mark & 0x4000 == 0 return', 'meta mark set meta mark ^ 0x4000', 'masquerade fully-random']);
  });

  it('uses udp in the map key and the DNAT of a UDP port', () => {
    const services = planned([labService('dns', { ports: [labPort({ protocol: 'UDP', port: 53, targetPort: 5353 })] })]);
    const t = nodeTable(context(services, { 'default/dns': [endpoint('d', 'w2', '10.244.2.9', { 'udp-53': 5353 })] }), 'w1');
    expect(set(t, 'service-ips').elements).toEqual([['10.96.0.1 . udp . 53', 'goto svc.default/dns/udp-53']]);
    expect(chain(t, 'svc.default/dns/udp-53').rules[1]).toBe('meta l4proto udp dnat to 10.244.2.9:5353');
  });

  it('gives each Service port its own chains; a pod lacking a named port is left out of that port only', () => {
    const services = planned([
      labService('web', { ports: [labPort({ name: 'http', port: 80, targetPort: 'http' }), labPort({ name: 'metrics', port: 9100, targetPort: 'metrics' })] }),
    ]);
    const t = nodeTable(
      context(services, {
        'default/web': [endpoint('a', 'w1', '10.244.1.2', { http: 8080, metrics: 9100 }), endpoint('b', 'w2', '10.244.2.2', { http: 8081 })],
      }),
      'w1',
    );
    expect(chain(t, 'svc.default/web/http').rules[1]).toBe('meta l4proto tcp dnat to numgen random mod 2 map { 0 : 10.244.1.2 . 8080, 1 : 10.244.2.2 . 8081 }');
    expect(chain(t, 'svc.default/web/metrics').rules[1]).toBe('meta l4proto tcp dnat to 10.244.1.2:9100');
    expect(set(t, 'service-ips').elements).toEqual([
      ['10.96.0.1 . tcp . 80', 'goto svc.default/web/http'],
      ['10.96.0.1 . tcp . 9100', 'goto svc.default/web/metrics'],
    ]);
  });

  it('makes no rules for headless and ExternalName Services', () => {
    const services = planned([
      labService('headless', { clusterIP: 'None' }),
      labService('alias', { type: 'ExternalName', externalName: 'db.example.com', selector: undefined, ports: [] }),
    ]);
    const t = nodeTable(context(services, { 'default/headless': [A] }), 'w1');
    expect(t.sets.map((s) => [s.name, s.elements])).toEqual([
      ['hairpin', []],
      ['service-ips', []],
      ['service-nodeports', []],
      ['no-endpoint-services', []],
      ['no-endpoint-nodeports', []],
      ['cluster-ips', []],
      ['nodeport-ips', [['172.16.94.11']]],
    ]);
    expect(t.chains.map((c) => c.name)).toEqual([
      'mark-for-masquerade', 'masquerading', 'services', 'reject-chain', 'service-endpoints-check', 'filter-prerouting', 'filter-output',
      'cluster-ips-check', 'filter-prerouting-post-dnat', 'filter-output-post-dnat', 'nat-prerouting', 'nat-output', 'nat-postrouting',
    ]);
  });

  it('hooks prerouting and output to the services chain, and postrouting to the masquerading', () => {
    const t = nodeTable(web(), 'w1');
    expect(t).toMatchObject({ family: 'ip', name: 'podlab' });
    expect(chain(t, 'services').rules).toEqual([
      'ip daddr . meta l4proto . th dport vmap @service-ips',
      'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
    ]);
    expect(chain(t, 'nat-prerouting')).toEqual({ name: 'nat-prerouting', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: ['jump services'] });
    expect(chain(t, 'nat-output')).toEqual({ name: 'nat-output', hook: 'type nat hook output priority -100; policy accept;', rules: ['jump services'] });
    expect(chain(t, 'nat-postrouting').hook).toBe('type nat hook postrouting priority srcnat; policy accept;');
  });
});

describe('node table: cluster-ips-check (traffic to the service CIDR that no Service port takes)', () => {
  it('holds every cluster IP once, with endpoints or without, in the set cluster-ips', () => {
    const services = planned([
      labService('web', { ports: [labPort({ name: 'http', port: 80 }), labPort({ name: 'metrics', port: 9100 })] }),
      labService('empty'),
      labService('headless', { clusterIP: 'None' }),
    ]);
    const t = nodeTable(context(services, { 'default/web': [A] }), 'w1');
    expect(set(t, 'cluster-ips')).toEqual({ kind: 'set', name: 'cluster-ips', spec: ['type ipv4_addr'], elements: [['10.96.0.1'], ['10.96.0.2']] });
  });

  it('rejects a port no Service has at an allocated cluster IP, and drops an address of the service CIDR no Service holds', () => {
    const t = nodeTable(web(), 'w1');
    expect(chain(t, 'cluster-ips-check').rules).toEqual(['ip daddr @cluster-ips reject', 'ip daddr 10.96.0.0/12 drop']);
  });

  it('judges new connections after DNAT (priority -90, after the nat hook at -100), forwarded and the node\'s own', () => {
    const t = nodeTable(web(), 'w1');
    expect(chain(t, 'filter-prerouting-post-dnat')).toEqual({ name: 'filter-prerouting-post-dnat', hook: 'type filter hook prerouting priority -90; policy accept;', rules: ['ct state new jump cluster-ips-check'] });
    expect(chain(t, 'filter-output-post-dnat')).toEqual({ name: 'filter-output-post-dnat', hook: 'type filter hook output priority -90; policy accept;', rules: ['ct state new jump cluster-ips-check'] });
  });

  it('without a service CIDR only rejects at allocated cluster IPs; several CIDRs are one anonymous set', () => {
    expect(chain(nodeTable({ ...web(), serviceCidrs: [] }, 'w1'), 'cluster-ips-check').rules).toEqual(['ip daddr @cluster-ips reject']);
    expect(chain(nodeTable({ ...web(), serviceCidrs: ['10.96.0.0/16', '10.97.0.0/16'] }, 'w1'), 'cluster-ips-check').rules[1]).toBe('ip daddr { 10.96.0.0/16, 10.97.0.0/16 } drop');
  });
});

describe("node table: NodePorts at the node's primary address (--nodeport-addresses primary)", () => {
  it("each node's set nodeport-ips holds its own address only, not its cni0 or tunnel address", () => {
    for (const n of NODES) expect(set(nodeTable(web({ type: 'NodePort' }), n.name), 'nodeport-ips')).toEqual({ kind: 'set', name: 'nodeport-ips', spec: ['type ipv4_addr'], elements: [[n.ip]] });
  });

  it('the NodePort map and its no-endpoint check match that set, not every local address', () => {
    const t = nodeTable(web({ type: 'NodePort' }, []), 'w1');
    expect(chain(t, 'services').rules[1]).toBe('ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports');
    expect(chain(t, 'service-endpoints-check').rules[1]).toBe('ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports');
    expect(t.chains.flatMap((c) => c.rules).filter((r) => r.includes('fib daddr'))).toEqual([]);
  });

  it('a node without an address of the family: every local address but loopback, as kube-proxy falls back to', () => {
    const t = nodeTable({ ...web({ type: 'NodePort' }), nodes: [{ name: 'w1' }] }, 'w1');
    expect(t.sets.map((x) => x.name)).not.toContain('nodeport-ips');
    expect(chain(t, 'services').rules[1]).toBe('fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports');
  });
});

describe('node table: natOutgoing', () => {
  it('on: masquerades pod traffic that leaves the pod network', () => {
    expect(chain(nodeTable(web({}, [A], true), 'w1'), 'nat-postrouting').rules).toEqual(['jump masquerading', HAIRPIN, `ip saddr ${POD_CIDR} ip daddr != ${POD_CIDR} masquerade`]);
  });
  it('off: only what was marked, and hairpin traffic, is masqueraded', () => {
    expect(chain(nodeTable(web({}, [A], false), 'w1'), 'nat-postrouting').rules).toEqual(['jump masquerading', HAIRPIN]);
  });
});

describe('node table: sessionAffinity ClientIP', () => {
  const t = nodeTable(web({ sessionAffinity: 'ClientIP' }), 'w1');

  it('keeps one dynamic set of clients per endpoint, with a 10800 s timeout', () => {
    for (const e of [A, B, C])
      expect(set(t, aff(e))).toEqual({ kind: 'set', name: aff(e), spec: ['type ipv4_addr', 'flags dynamic,timeout', 'timeout 10800s'], elements: [] });
  });

  it('gives each endpoint a chain that records the client before the DNAT', () => {
    expect(chain(t, ep(A)).rules).toEqual([`update @${aff(A)} { ip saddr }`, `meta l4proto tcp dnat to ${A.ip}:8080`]);
  });

  it('looks the client up in every endpoint set before the random pick', () => {
    expect(chain(t, `svc.${ID}`).rules).toEqual([
      MASQ_OFF_CLUSTER,
      ...[A, B, C].map((e) => `ip saddr @${aff(e)} goto ${ep(e)}`),
      vmap([ep(A), ep(B), ep(C)]),
    ]);
  });

  it('with one endpoint: the lookup, then the endpoint chain', () => {
    expect(chain(nodeTable(web({ sessionAffinity: 'ClientIP' }, [C]), 'w1'), `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, `ip saddr @${aff(C)} goto ${ep(C)}`, `goto ${ep(C)}`]);
  });

  it('without affinity there are no affinity sets and no lookups', () => {
    const plain = nodeTable(web(), 'w1');
    expect(plain.sets.map((s) => s.name)).toEqual(['hairpin', 'service-ips', 'service-nodeports', 'no-endpoint-services', 'no-endpoint-nodeports', 'cluster-ips', 'nodeport-ips']);
    expect(plain.chains.flatMap((c) => c.rules).filter((r) => r.includes('@aff.'))).toEqual([]);
  });
});

describe('node table: NodePort and externalTrafficPolicy', () => {
  it('Cluster: the NodePort leads to an ext chain that masquerades and spreads over all endpoints', () => {
    const t = nodeTable(web({ type: 'NodePort' }), 'w3');
    expect(set(t, 'service-nodeports').elements).toEqual([['tcp . 30000', `goto ext.${ID}`]]);
    expect(chain(t, `ext.${ID}`).rules).toEqual(['jump mark-for-masquerade', dnat([A, B, C])]);
  });

  it('Local: the ext chain of each node uses only that node\'s endpoints and does not masquerade outside clients', () => {
    const ctx = web({ type: 'NodePort', externalTrafficPolicy: 'Local' });
    const head = [`ip saddr ${POD_CIDR} goto svc.${ID}`, 'fib saddr type local jump mark-for-masquerade', `fib saddr type local goto svc.${ID}`];
    expect(chain(nodeTable(ctx, 'w1'), `ext.${ID}`).rules).toEqual([...head, dnat([A, B])]);
    expect(chain(nodeTable(ctx, 'w2'), `ext.${ID}`).rules).toEqual([...head, dnat([C])]);
    expect(chain(nodeTable(ctx, 'w3'), `ext.${ID}`).rules).toEqual([...head, 'drop']);
    expect(chain(nodeTable(ctx, 'w3'), `ext.${ID}`).rules).not.toContain('jump mark-for-masquerade');
  });

  it('Local: pods and the node itself still reach every endpoint (through the svc chain), even on a node without one', () => {
    const ctx = web({ type: 'NodePort', externalTrafficPolicy: 'Local' });
    for (const node of ['w1', 'w2', 'w3']) expect(chain(nodeTable(ctx, node), `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, dnat([A, B, C])]);
  });

  it('Local, a load-balancer address: kube-proxy\'s external chain rule for rule (nftables: "short-circuit pod traffic", "masquerade local traffic", "short-circuit local traffic"; iptables: the same in KUBE-EXT)', () => {
    const ctx = web({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    for (const [node, local] of [['w1', dnat([A, B])], ['w2', dnat([C])], ['w3', 'drop']] as const) {
      const t = nodeTable(ctx, node);
      expect(set(t, 'service-ips').elements).toContainEqual(['172.16.94.241 . tcp . 80', `goto ext.${ID}`]);
      // Pods (the pod CIDR: kube-proxy's local traffic detector) and the node itself go to every endpoint; only the rest is kept local.
      expect(chain(t, `ext.${ID}`).rules).toEqual([`ip saddr ${POD_CIDR} goto svc.${ID}`, 'fib saddr type local jump mark-for-masquerade', `fib saddr type local goto svc.${ID}`, local]);
      // The cluster-wide chain masquerades only clients outside the pod network that use the cluster IP: a pod keeps its address.
      expect(chain(t, `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, dnat([A, B, C])]);
    }
  });

  it('a LoadBalancer address is in service-ips and leads to the ext chain, as does its NodePort', () => {
    const t = nodeTable(web({ type: 'LoadBalancer' }), 'w1');
    expect(set(t, 'service-ips').elements).toEqual([
      ['10.96.0.1 . tcp . 80', `goto svc.${ID}`],
      ['172.16.94.241 . tcp . 80', `goto ext.${ID}`],
    ]);
    expect(set(t, 'service-nodeports').elements).toEqual([['tcp . 30000', `goto ext.${ID}`]]);
  });

  it('a given nodePort is the one in the map', () => {
    const t = nodeTable(web({ type: 'NodePort', ports: [labPort({ nodePort: 31234 })] }), 'w1');
    expect(set(t, 'service-nodeports').elements).toEqual([['tcp . 31234', `goto ext.${ID}`]]);
  });
});

describe('node table: internalTrafficPolicy Local', () => {
  it('ClusterIP traffic uses only the endpoints on the client\'s node, and drops on a node without one', () => {
    const ctx = web({ internalTrafficPolicy: 'Local' });
    expect(chain(nodeTable(ctx, 'w1'), `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, dnat([A, B])]);
    expect(chain(nodeTable(ctx, 'w2'), `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, dnat([C])]);
    expect(chain(nodeTable(ctx, 'w3'), `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, 'drop']);
  });

  it('does not restrict NodePort traffic (externalTrafficPolicy Cluster)', () => {
    const t = nodeTable(web({ type: 'NodePort', internalTrafficPolicy: 'Local' }), 'w3');
    expect(chain(t, `ext.${ID}`).rules).toEqual(['jump mark-for-masquerade', dnat([A, B, C])]);
  });

  it('with affinity: the sticky lookups of the local endpoints only', () => {
    const t = nodeTable(web({ internalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP' }), 'w1');
    expect(chain(t, `svc.${ID}`).rules).toEqual([MASQ_OFF_CLUSTER, `ip saddr @${aff(A)} goto ${ep(A)}`, `ip saddr @${aff(B)} goto ${ep(B)}`, vmap([ep(A), ep(B)])]);
  });
});

describe('gateway table', () => {
  const lb = (name: string) => `lb.${ID}/${name}`;
  const dnatTo = (nodeIp: string) => [`meta l4proto tcp dnat to ${nodeIp}:30000`];

  it('externalTrafficPolicy Cluster: spreads each address:port over every node\'s NodePort', () => {
    const t = gatewayTable(web({ type: 'LoadBalancer' }, [A]));
    expect(set(t, 'load-balancers')).toEqual({
      kind: 'map',
      name: 'load-balancers',
      spec: ['type ipv4_addr . inet_proto . inet_service : verdict'],
      elements: [['172.16.94.241 . tcp . 80', `goto lb.${ID}`]],
    });
    expect(chain(t, lb('w1')).rules).toEqual(dnatTo('172.16.94.11'));
    expect(chain(t, lb('w2')).rules).toEqual(dnatTo('172.16.94.12'));
    expect(chain(t, lb('w3')).rules).toEqual(dnatTo('172.16.94.13'));
    expect(chain(t, `lb.${ID}`).rules).toEqual([vmap([lb('w1'), lb('w2'), lb('w3')])]);
  });

  it('externalTrafficPolicy Local: only nodes with an endpoint get traffic', () => {
    const t = gatewayTable(web({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
    expect(chain(t, `lb.${ID}`).rules).toEqual([vmap([lb('w1'), lb('w2')])]);
    expect(t.chains.map((c) => c.name)).not.toContain(lb('w3'));
    expect(chain(gatewayTable(web({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' }, [C])), `lb.${ID}`).rules).toEqual([`goto ${lb('w2')}`]);
  });

  it('externalTrafficPolicy Local without endpoints: drop', () => {
    const t = gatewayTable(web({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' }, []));
    expect(chain(t, `lb.${ID}`).rules).toEqual(['drop']);
    expect(t.chains.filter((c) => c.name.startsWith(`${lb('')}`))).toEqual([]);
  });

  it('externalTrafficPolicy Local: a node whose pods lack the port does not count', () => {
    const t = gatewayTable(web({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' }, [A, endpoint('x', 'w2', '10.244.2.7', {})]));
    expect(chain(t, `lb.${ID}`).rules).toEqual([`goto ${lb('w1')}`]);
  });

  it('holds only LoadBalancer Services, and masquerades clients from the node network (or the node would answer them directly)', () => {
    const services = planned([labService('internal'), labService('np', { type: 'NodePort' })]);
    const t = gatewayTable(context(services, { 'default/internal': [A], 'default/np': [A] }));
    expect(t.sets).toEqual([{ kind: 'map', name: 'load-balancers', spec: ['type ipv4_addr . inet_proto . inet_service : verdict'], elements: [] }]);
    expect(t.chains).toEqual([
      { name: 'nat-prerouting', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: ['ip daddr . meta l4proto . th dport vmap @load-balancers'] },
      { name: 'nat-postrouting', hook: 'type nat hook postrouting priority srcnat; policy accept;', rules: ['ct status dnat ip saddr 172.16.94.0/24 masquerade'] },
    ]);
  });
});

describe('known gaps (it.fails until fixed)', () => {
  it('two endpoints at one address (hostNetwork pods on one node) get distinct affinity sets and endpoint chains', () => {
    // A valid lab: two hostNetwork pods on node w1 serve the named port "http" on 9090 and 9091.
    // Today the sticky Service's set and chain are named by address only, so both endpoints get
    // `aff.default/agent/tcp-80/172.16.94.11` and `ep.default/agent/tcp-80/172.16.94.11`: the file
    // declares each twice (nft appends the second chain's rules to the first: the first DNAT always
    // wins), and diffTable, which keys chains by name, sees one.
    const services = planned([labService('agent', { sessionAffinity: 'ClientIP', ports: [labPort({ port: 80, targetPort: 'http' })] })]);
    const t = nodeTable(
      context(services, {
        'default/agent': [endpoint('h1', 'w1', '172.16.94.11', { 'tcp-80': 9090 }), endpoint('h2', 'w1', '172.16.94.11', { 'tcp-80': 9091 })],
      }),
      'w1',
    );
    const names = [...t.sets.map((s) => `set ${s.name}`), ...t.chains.map((c) => `chain ${c.name}`)];
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
