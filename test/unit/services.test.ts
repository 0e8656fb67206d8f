/** Services in the plan: ClusterIP, NodePort and pool allocation, and endpoints from selectors (src/plan/services.ts). */
import { describe, expect, it } from 'vitest';
import type { LabService, LabServicePort } from '../../src/compile/lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import * as ip from '../../src/net/ipv4.ts';
import { portEndpoints } from '../../src/plan/kube-proxy.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { selects } from '../../src/k8s/objects.ts';
import { computeEndpoints, planServices, resolveTargetPort, serviceKey, type EndpointSource, type PlanService } from '../../src/plan/services.ts';
import type { LabSpec } from '../../src/index.ts';

const SERVICE_CIDR = ip.parseCidr('10.96.0.0/12')!;

function port(p: Partial<LabServicePort> = {}): LabServicePort {
  return { protocol: 'TCP', port: 80, targetPort: p.port ?? 80, ...p };
}

function svc(name: string, s: Partial<LabService> = {}): LabService {
  return {
    name,
    namespace: 'default',
    type: 'ClusterIP',
    ports: [port()],
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    ...s,
  };
}

function plan(services: LabService[], opts: { pool?: string; poolTaken?: string[] } = {}): PlanService[] {
  return planServices({
    services,
    serviceCidr: SERVICE_CIDR,
    pool: opts.pool ? ip.parseCidr(opts.pool)! : undefined,
    poolTaken: new Set((opts.poolTaken ?? []).map((a) => ip.parseIp(a)!)),
  });
}

const byName = (ps: PlanService[]) => Object.fromEntries(ps.map((s) => [s.name, s]));

describe('ClusterIP allocation', () => {
  it('numbers Services from .1 in declaration order and never hands out .10 (the DNS address)', () => {
    const ps = plan(Array.from({ length: 12 }, (_, i) => svc(`s${i}`)));
    expect(ps.map((s) => s.clusterIP)).toEqual([
      '10.96.0.1', '10.96.0.2', '10.96.0.3', '10.96.0.4', '10.96.0.5', '10.96.0.6',
      '10.96.0.7', '10.96.0.8', '10.96.0.9', '10.96.0.11', '10.96.0.12', '10.96.0.13',
    ]);
  });

  it('keeps given addresses as given and skips them, even when the Service giving one comes later', () => {
    const ps = byName(plan([svc('a'), svc('b'), svc('fixed', { clusterIP: '10.96.0.2' }), svc('c'), svc('far', { clusterIP: '10.100.0.7' })]));
    expect(ps.a!.clusterIP).toBe('10.96.0.1');
    expect(ps.b!.clusterIP).toBe('10.96.0.3');
    expect(ps.fixed!.clusterIP).toBe('10.96.0.2');
    expect(ps.c!.clusterIP).toBe('10.96.0.4');
    expect(ps.far!.clusterIP).toBe('10.100.0.7');
  });

  it('gives the DNS address to a Service that asks for it (kube-system/kube-dns)', () => {
    const ps = plan([svc('kube-dns', { namespace: 'kube-system', clusterIP: '10.96.0.10' }), svc('web')]);
    expect(ps.map((s) => s.clusterIP)).toEqual(['10.96.0.10', '10.96.0.1']);
  });

  it('gives headless and ExternalName Services no clusterIP, and they use up no address', () => {
    const ps = byName(
      plan([
        svc('headless', { clusterIP: 'None', selector: { app: 'x' } }),
        svc('alias', { type: 'ExternalName', externalName: 'db.example.com', ports: [] }),
        svc('web'),
      ]),
    );
    expect(ps.headless!.headless).toBe(true);
    expect(ps.headless).not.toHaveProperty('clusterIP');
    expect(ps.alias!.headless).toBe(false);
    expect(ps.alias).not.toHaveProperty('clusterIP');
    expect(ps.alias!.externalName).toBe('db.example.com');
    expect(ps.web!.clusterIP).toBe('10.96.0.1');
  });

  it('uses the service network given, not a fixed 10.96.0.0', () => {
    const ps = planServices({ services: [svc('a'), svc('b')], serviceCidr: ip.parseCidr('10.0.128.0/24')!, poolTaken: new Set() });
    expect(ps.map((s) => s.clusterIP)).toEqual(['10.0.128.1', '10.0.128.2']);
  });
});

describe('NodePort allocation', () => {
  it('numbers NodePorts from 30000 in declaration order, skipping given ones', () => {
    const ps = byName(
      plan([
        svc('a', { type: 'NodePort' }),
        svc('b', { type: 'NodePort', ports: [port({ name: 'http', port: 80 }), port({ name: 'given', port: 81, nodePort: 30001 })] }),
        svc('c', { type: 'LoadBalancer', ports: [port({ name: 'one', port: 80 }), port({ name: 'two', port: 443 })] }),
        svc('d', { type: 'NodePort', ports: [port({ nodePort: 30003 })] }),
      ]),
    );
    expect(ps.a!.ports.map((p) => p.nodePort)).toEqual([30000]);
    expect(ps.b!.ports.map((p) => p.nodePort)).toEqual([30002, 30001]);
    expect(ps.c!.ports.map((p) => p.nodePort)).toEqual([30004, 30005]);
    expect(ps.d!.ports.map((p) => p.nodePort)).toEqual([30003]);
  });

  it('gives ClusterIP Services no nodePort and does not count them', () => {
    const ps = plan([svc('internal'), svc('np', { type: 'NodePort' })]);
    expect(ps[0]!.ports[0]).not.toHaveProperty('nodePort');
    expect(ps[1]!.ports[0]!.nodePort).toBe(30000);
  });
});

describe('load-balancer pool allocation', () => {
  const lb = (name: string, s: Partial<LabService> = {}) => svc(name, { type: 'LoadBalancer', ...s });

  it('hands out pool addresses in order, skipping the network address and taken addresses', () => {
    const ps = plan([lb('a'), lb('b'), lb('c')], { pool: '172.16.94.240/28', poolTaken: ['172.16.94.242'] });
    expect(ps.map((s) => s.loadBalancerIP)).toEqual(['172.16.94.241', '172.16.94.243', '172.16.94.244']);
  });

  it('never hands out the broadcast address: a /30 has two addresses, the third Service gets none', () => {
    const ps = plan([lb('a'), lb('b'), lb('c')], { pool: '192.0.2.0/30' });
    expect(ps.map((s) => s.loadBalancerIP)).toEqual(['192.0.2.1', '192.0.2.2', undefined]);
    expect(ps[2]).not.toHaveProperty('loadBalancerIP');
  });

  it('uses both addresses of a /31 and the one of a /32', () => {
    expect(plan([lb('a'), lb('b')], { pool: '192.0.2.4/31' }).map((s) => s.loadBalancerIP)).toEqual(['192.0.2.4', '192.0.2.5']);
    expect(plan([lb('a'), lb('b')], { pool: '192.0.2.9/32' }).map((s) => s.loadBalancerIP)).toEqual(['192.0.2.9', undefined]);
  });

  it('keeps a given loadBalancerIP and skips it for the others, even when given later', () => {
    const ps = plan([lb('a'), lb('fixed', { loadBalancerIP: '172.16.94.241' }), lb('b')], { pool: '172.16.94.240/28' });
    expect(ps.map((s) => s.loadBalancerIP)).toEqual(['172.16.94.242', '172.16.94.241', '172.16.94.243']);
  });

  it('gives no address without a pool, and none to Services of other types', () => {
    expect(plan([lb('a')])[0]).not.toHaveProperty('loadBalancerIP');
    const ps = plan([svc('np', { type: 'NodePort' }), lb('a')], { pool: '172.16.94.240/28' });
    expect(ps[0]).not.toHaveProperty('loadBalancerIP');
    expect(ps[1]!.loadBalancerIP).toBe('172.16.94.241');
  });

  it('in a plan, hands out the pool from its first usable address; nodes and hosts are numbered around it', () => {
    const p = buildPlan(
      validateValue(
        {
          name: 'pool',
          nodes: { a: {}, b: {} }, // .16, .17: automatic numbering skips the pool
          hosts: { client: {} }, // .18
          loadBalancer: { pool: '172.16.94.8/29' }, // .9 – .14 usable
          services: { s1: { type: 'LoadBalancer', ports: [{ port: 80 }] }, s2: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
        },
        'pool.lab.ts',
      ).lab!,
    );
    expect(p.nodes.map((n) => n.ip)).toEqual(['172.16.94.16', '172.16.94.17']);
    expect(p.hosts[0]!.ip).toBe('172.16.94.18');
    expect(p.services.filter((s) => s.type === 'LoadBalancer').map((s) => s.loadBalancerIP)).toEqual(['172.16.94.9', '172.16.94.10']);
    expect(p.gateway!.loadBalancerIps).toEqual(['172.16.94.9', '172.16.94.10']);
  });
});

describe('Service ports', () => {
  it('are keyed by name, or by protocol and port when unnamed; targetPort defaults to port in the lab', () => {
    const p = buildPlan(
      validateValue(
        { name: 'k', nodes: { n: {} }, services: { a: { ports: [{ port: 80 }] }, b: { ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 }] } } },
        'k.lab.ts',
      ).lab!,
    );
    expect(p.services[0]!.ports[0]).toEqual({ key: 'tcp-80', name: undefined, protocol: 'TCP', port: 80, targetPort: 80 });
    expect(p.services[1]!.ports[0]).toEqual({ key: 'dns', name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 });
  });
});

describe('endpoints', () => {
  const pod = (name: string, labels: Record<string, string>, ports: EndpointSource['containers'][number]['ports'], extra: Partial<EndpointSource> = {}): EndpointSource => ({
    name,
    namespace: 'default',
    node: 'w1',
    ip: `10.244.1.${name.length + name.charCodeAt(0) % 50}`,
    labels,
    containers: [{ ports }],
    ...extra,
  });
  const planned = (services: LabService[]) => plan(services);

  it('selects pods whose labels include every selector label, in the Service namespace only', () => {
    const [s] = planned([svc('web', { selector: { app: 'web', tier: 'front' } })]);
    const pods = [
      pod('a', { app: 'web', tier: 'front', extra: 'yes' }, [], { ip: '10.244.1.2' }),
      pod('b', { app: 'web' }, [], { ip: '10.244.1.3' }),
      pod('c', { app: 'web', tier: 'front' }, [], { namespace: 'other', ip: '10.244.1.4' }),
      pod('d', { app: 'web', tier: 'front' }, [], { node: 'w2', ip: '10.244.2.2' }),
    ];
    const eps = computeEndpoints([s!], pods)['default/web']!;
    expect(eps.map((e) => [e.pod, e.node, e.ip])).toEqual([
      ['a', 'w1', '10.244.1.2'],
      ['d', 'w2', '10.244.2.2'],
    ]);
    expect(selects({ namespace: 'other', selector: { app: 'web', tier: 'front' } }, pods[2]!)).toBe(true);
  });

  it('resolves a named targetPort per pod, through a container port of the same name and protocol', () => {
    const [s] = planned([svc('web', { selector: { app: 'web' }, ports: [port({ name: 'http', port: 80, targetPort: 'http' })] })]);
    const pods = [
      pod('a', { app: 'web' }, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }], { ip: '10.244.1.2' }),
      pod('b', { app: 'web' }, [{ name: 'http', containerPort: 9090, protocol: 'TCP' }], { ip: '10.244.1.3' }),
    ];
    expect(computeEndpoints([s!], pods)['default/web']!.map((e) => [e.pod, e.ports])).toEqual([
      ['a', { http: 8080 }],
      ['b', { http: 9090 }],
    ]);
  });

  it('does not resolve a named port of another protocol; a numeric targetPort is taken as is', () => {
    const dnsPod = pod('a', {}, [{ name: 'dns', containerPort: 5353, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 5354, protocol: 'TCP' }]);
    expect(resolveTargetPort({ targetPort: 'dns', protocol: 'TCP' }, dnsPod)).toBeUndefined();
    expect(resolveTargetPort({ targetPort: 'dns', protocol: 'UDP' }, dnsPod)).toBe(5353);
    expect(resolveTargetPort({ targetPort: 7777, protocol: 'TCP' }, dnsPod)).toBe(7777);
  });

  it('a pod lacking a named port is not an endpoint of that port, but still of the others', () => {
    const [s] = planned([
      svc('web', {
        selector: { app: 'web' },
        ports: [port({ name: 'http', port: 80, targetPort: 'http' }), port({ name: 'metrics', port: 9100, targetPort: 'metrics' })],
      }),
    ]);
    const pods = [
      pod('a', { app: 'web' }, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9100, protocol: 'TCP' }], { ip: '10.244.1.2' }),
      pod('b', { app: 'web' }, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }], { ip: '10.244.1.3' }),
    ];
    const endpoints = computeEndpoints([s!], pods);
    expect(endpoints['default/web']!.map((e) => [e.pod, e.ports])).toEqual([
      ['a', { http: 8080, metrics: 9100 }],
      ['b', { http: 8080 }],
    ]);
    const ctx = { podCidr: '10.244.0.0/16', serviceCidrs: ['10.96.0.0/12'], natOutgoing: true, services: [s!], endpoints, nodes: [] };
    expect(portEndpoints(ctx, s!, s!.ports[0]!).map((e) => [e.pod, e.port])).toEqual([['a', 8080], ['b', 8080]]);
    expect(portEndpoints(ctx, s!, s!.ports[1]!).map((e) => [e.pod, e.port])).toEqual([['a', 9100]]);
  });

  it('a Service without a selector, or of type ExternalName, has no endpoints (and no entry)', () => {
    const ps = planned([svc('manual'), svc('alias', { type: 'ExternalName', externalName: 'db.example.com', selector: { app: 'web' } })]);
    const endpoints = computeEndpoints(ps, [pod('a', { app: 'web' }, [])]);
    expect(endpoints).toEqual({});
    const ctx = { podCidr: '10.244.0.0/16', serviceCidrs: ['10.96.0.0/12'], natOutgoing: true, services: ps, endpoints, nodes: [] };
    expect(portEndpoints(ctx, ps[0]!, ps[0]!.ports[0]!)).toEqual([]);
  });

  it('keeps pod declaration order and is keyed by namespace/name', () => {
    const [s] = planned([svc('web', { namespace: 'shop', selector: { app: 'web' } })]);
    expect(serviceKey(s!)).toBe('shop/web');
    const pods = ['c', 'a', 'b'].map((n, i) => pod(n, { app: 'web' }, [], { namespace: 'shop', ip: `10.244.1.${i + 2}` }));
    expect(computeEndpoints([s!], pods)['shop/web']!.map((e) => e.pod)).toEqual(['c', 'a', 'b']);
  });

  it('in a plan, a hostNetwork pod is an endpoint at its node IP, and the implied workload port is named', () => {
    const spec: LabSpec = {
      name: 'ep',
      nodes: { w1: {}, w2: {} },
      pods: {
        web: { node: 'w1', labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
        agent: { node: 'w2', hostNetwork: true, labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      },
      services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
    };
    const { lab, diagnostics } = validateValue(spec, 'ep.lab.ts');
    expect(diagnostics).toEqual([]);
    const p = buildPlan(lab!);
    expect(p.endpoints['default/web']).toEqual([
      { pod: 'web', namespace: 'default', node: 'w1', ip: '10.244.0.2', ports: { 'tcp-80': 8080 } },
      { pod: 'agent', namespace: 'default', node: 'w2', ip: '172.16.94.11', ports: { 'tcp-80': 8080 } },
    ]);
  });
});

describe('selector warnings (PL2020)', () => {
  it('a selector that matches no pod is a warning only: the lab is still valid', () => {
    const { lab, diagnostics } = validateValue(
      { name: 'w', nodes: { n: {} }, pods: { web: { node: 'n', labels: { app: 'web' } } }, services: { web: { selector: { app: 'wbe' }, ports: [{ port: 80 }] } } },
      'w.lab.ts',
    );
    expect(lab).toBeDefined();
    expect(diagnostics.map((d) => [d.severity, d.code, d.path.join('.')])).toEqual([['warning', 'PL2020', 'services.web.selector']]);
    expect(diagnostics[0]!.hint).toContain('app=wbe');
  });

  it('a selector matching a pod of another namespace only is the same warning', () => {
    const { diagnostics } = validateValue(
      {
        name: 'w',
        nodes: { n: {} },
        namespaces: ['shop'],
        pods: { web: { node: 'n', namespace: 'shop', labels: { app: 'web' } } },
        services: { web: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
      },
      'w.lab.ts',
    );
    expect(diagnostics.map((d) => d.code)).toEqual(['PL2020']);
  });
});

/** Addresses given to one thing are never handed to another; too-small networks are reported, not silently overrun. */
describe('address conflicts between nodes, hosts, the gateway and the pool', () => {
  const codes = (spec: LabSpec) => validateValue(spec, 'gap.lab.ts').diagnostics.map((d) => `${d.severity} ${d.code} ${d.path.join('.')}`);
  const lbs = (n: number, first: Record<string, unknown> = {}) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, { type: 'LoadBalancer' as const, ports: [{ port: 80 }], ...(i === 0 ? first : {}) }]));
  const plan = (spec: LabSpec) => buildPlan(validateValue(spec, 'gap.lab.ts').lab!);

  it('automatic node numbering skips an address a host was given (.10 → the node gets .11)', () => {
    const spec: LabSpec = { name: 'gap', nodes: { a: {} }, hosts: { h: { ip: '172.16.94.10' } } };
    expect(codes(spec)).toEqual([]);
    expect(plan(spec).nodes[0]!.ip).toBe('172.16.94.11');
  });

  it("a loadBalancerIP that is a node's fixed address is an address used twice", () => {
    expect(codes({ name: 'gap', nodes: { a: { ip: '172.16.94.10' } }, loadBalancer: { pool: '172.16.94.8/29' }, services: lbs(1, { loadBalancerIP: '172.16.94.10' }) })).toContain(
      'error PL2004 services.s0.loadBalancerIP',
    );
  });

  it("a loadBalancerIP that is the gateway's own address is an address used twice", () => {
    expect(codes({ name: 'gap', nodes: { a: {} }, loadBalancer: { pool: '172.16.94.0/29' }, services: lbs(1, { loadBalancerIP: '172.16.94.1' }) })).toContain(
      'error PL2004 services.s0.loadBalancerIP',
    );
  });

  it('automatic node and host addresses stay out of the pool', () => {
    const p = plan({ name: 'gap', nodes: { a: {} }, hosts: { h: {} }, loadBalancer: { pool: '172.16.94.8/29' }, services: lbs(1, { loadBalancerIP: '172.16.94.11' }) });
    expect([p.nodes[0]!.ip, p.hosts[0]!.ip]).toEqual(['172.16.94.16', '172.16.94.17']);
    expect(p.services[0]!.loadBalancerIP).toBe('172.16.94.11');
  });

  it('a pool used up by fixed node addresses inside it is reported at the Service that gets none', () => {
    // The pool .9–.14 holds 6 addresses; the nodes are fixed at .10 and .11: 4 are left for 5 Services.
    const nodes = { a: { ip: '172.16.94.10' }, b: { ip: '172.16.94.11' } };
    expect(codes({ name: 'gap', nodes, loadBalancer: { pool: '172.16.94.8/29' }, services: lbs(5) })).toContain('error PL2019 services.s4.type');
    expect(plan({ name: 'gap', nodes, loadBalancer: { pool: '172.16.94.8/29' }, services: lbs(4) }).services.filter((s) => s.type === 'LoadBalancer').map((s) => s.loadBalancerIP)).toEqual([
      '172.16.94.9',
      '172.16.94.12',
      '172.16.94.13',
      '172.16.94.14',
    ]);
  });

  it('a service network too small for its Services is reported', () => {
    // 10.96.0.0/30 holds .1 and .2 only.
    const spec: LabSpec = { name: 'gap', nodes: { a: {} }, serviceCidr: '10.96.0.0/30', services: { a: { ports: [{ port: 80 }] }, b: { ports: [{ port: 80 }] }, c: { ports: [{ port: 80 }] } } };
    expect(codes(spec)).toContain('error PL2005 serviceCidr');
  });

  it('a misspelt Service property gets a "did you mean"', () => {
    const { diagnostics } = validateValue({ name: 'gap', nodes: { a: {} }, services: { web: { sessionAfinity: 'ClientIP', ports: [{ port: 80 }] } } }, 'gap.lab.ts');
    expect(diagnostics[0]!.hint).toBe('Did you mean "sessionAffinity"?');
  });

  it("two hostNetwork pods on one node cannot both listen on one port (they share the node's namespace)", () => {
    const hn = { node: 'a', hostNetwork: true, containers: [{ name: 'w', workload: { kind: 'http-echo' as const, port: 9090 } }] };
    const { diagnostics } = validateValue({ name: 'gap', nodes: { a: {} }, pods: { h1: hn, h2: hn } }, 'gap.lab.ts');
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['PL2022']);
  });
});
