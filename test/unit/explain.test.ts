/**
 * `podlab explain`, the pure part, on labs/network-policy.lab.ts as planned (default-deny ingress
 * in x; pods a and c on worker-1, b on worker-2): the selecting policies, the rule that matched
 * or "no rule matched", per direction, after Service DNAT, and the podlab-policy rules that fire
 * on each node — the same tables the runtime loads.
 */
import { describe, expect, it } from 'vitest';
import policyLab from '../../labs/network-policy.lab.ts';
import podLab from '../../labs/pod-networking.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { plannedView, type NftView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { TraceProblem } from '../../src/trace/ends.ts';
import { explain, formatExplanation } from '../../src/trace/explain.ts';

function viewOf(spec: unknown): NftView {
  const { lab, diagnostics } = validateValue(spec, 'x.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return plannedView(buildPlan(lab));
}

const np = viewOf(policyLab);

describe('explain (pure)', () => {
  it('a pod of x reached through its Service is denied at ingress: isolated by default-deny, no rule matched, the drop rule on its node', () => {
    const x = explain(np, { from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(x.service).toMatchObject({ key: 'x/s-x-a', port: 80, protocol: 'TCP', endpoints: 1 });
    expect(x.allowed).toBe(false);
    const c = x.cases[0]!;
    expect(c.endpoint).toMatchObject({ pod: 'x-a', node: 'worker-1', port: 80 });
    expect(c.egress).toMatchObject({ allowed: true, reason: 'not isolated', selecting: [] });
    expect(c.ingress).toMatchObject({ allowed: false, subject: 'x/x-a', node: 'worker-1', selecting: [{ policy: 'x/default-deny-ingress', rules: [] }] });
    expect(c.ingress.reason).toMatch(/isolated by x\/default-deny-ingress; no rule matched/);
    // x-b runs on worker-2: its node forwards it (accept), x-a's node drops it with the pod's drop rule.
    expect(c.nft.map((n) => [n.node, n.verdict])).toEqual([['worker-2', 'accept'], ['worker-1', 'drop']]);
    expect(c.nft[1]!.hits).toEqual([expect.objectContaining({ chain: 'ingress.x/x-a', comment: 'x/x-a isolated for ingress by x/default-deny-ingress: no rule allowed' })]);
    expect(formatExplanation(x)).toMatch(/DENIED/);
  });

  it('an allowing policy: the rule that matched, by index and in words, and its counting rule', () => {
    const allow = normalizePolicy('allow-from-y', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve-80-tcp' }] }] });
    const view = { ...np, policies: [...np.policies, allow] };
    const x = explain(view, { from: 'y/y-a', to: 'x/x-c', port: 80 });
    const c = x.cases[0]!;
    expect(x.allowed).toBe(true);
    expect(c.ingress.rule).toEqual({ policy: 'x/allow-from-y', index: 0, text: 'ingress[0]: from namespaces {ns=y}; ports TCP/serve-80-tcp' });
    expect(c.ingress.selecting.map((s) => s.policy)).toEqual(['x/allow-from-y', 'x/default-deny-ingress']);
    // Same node (worker-1): one table, the rule of allow-from-y counts it.
    expect(c.nft).toHaveLength(1);
    expect(c.nft[0]!.verdict).toBe('accept');
    expect(c.nft[0]!.hits.map((h) => h.comment)).toEqual(['x/allow-from-y ingress[0] from[0] ports[0]']);
    // Port 81 is not the named port: denied, although the peer matches.
    expect(explain(view, { from: 'y/y-a', to: 'x/x-c', port: 81 }).allowed).toBe(false);
    // z is not y.
    expect(explain(view, { from: 'z-a', to: 'x/x-c', port: 80 }).cases[0]!.ingress.allowed).toBe(false);
  });

  it('a pod reaching itself through its Service, and its own node, are allowed', () => {
    expect(explain(np, { from: 'x-a', to: 'svc/s-x-a', port: 80 }).cases[0]!.ingress.reason).toBe('pod to itself');
    const n = explain(np, { from: 'node/worker-1', to: 'x-a', port: 80 });
    expect(n.cases[0]!.ingress.reason).toBe('from its own node');
    expect(n.cases[0]!.nft).toEqual([]);
    expect(explain(np, { from: 'node/worker-2', to: 'x-a', port: 80 }).allowed).toBe(false);
  });

  it('a lab without policies: everything allowed, said so', () => {
    const x = explain(viewOf(podLab), { from: 'client', to: 'web-2', port: 8080 });
    expect(x).toMatchObject({ noPolicies: true, allowed: true });
    expect(x.cases[0]!.nft).toEqual([]);
  });

  it('bad input is a coded problem naming what exists', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof TraceProblem) return { code: e.code, message: e.message, hint: e.hint };
        throw e;
      }
      throw new Error('no problem raised');
    };
    expect(err(() => explain(np, { from: 'nope', to: 'x-a', port: 80 }))).toMatchObject({ code: 'PL3110', message: 'lab "network-policy" has no pod "nope"' });
    expect(err(() => explain(np, { from: 'nope', to: 'x-a', port: 80 })).hint).toMatch(/pods: x\/x-a, x\/x-b/);
    expect(err(() => explain(np, { from: 'x-a', to: 'svc/x/s-x-b', port: 8080 }))).toMatchObject({ code: 'PL3111' });
    expect(err(() => explain(np, { from: 'x-a', to: 'svc/x/s-x-b', port: 8080 })).hint).toMatch(/80\/TCP, 80\/UDP, 81\/TCP, 81\/UDP/);
    expect(err(() => explain(np, { from: 'x-a', to: 'x-b' }))).toMatchObject({ code: 'PL3115' });
    expect(err(() => explain(np, { from: 'svc/x/s-x-a', to: 'x-b', port: 80 }))).toMatchObject({ code: 'PL3110' });
  });
});

describe('explain of a node\'s NodePort follows its translation, as trace does', async () => {
  const servicesLab = (await import('../../labs/services.lab.ts')).default;
  // solo admits pods only (a node's address is no pod's); web admits the node network only.
  const view = viewOf({
    ...servicesLab,
    networkPolicies: {
      'solo-from-pods': { podSelector: { matchLabels: { app: 'solo' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] },
      'web-from-nodes': { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '172.16.94.0/24' } }] }] },
    },
  });
  const { predictTrace } = await import('../../src/trace/trace.ts');

  it('a pod to another node\'s NodePort: its egress judged to that NodePort, the endpoint\'s ingress from the address natOutgoing gave it', () => {
    const x = explain(view, { from: 'client', to: 'node/worker-2', port: 30081 });
    expect(x.service).toMatchObject({ key: 'default/solo-local', port: 80, protocol: 'TCP', endpoints: 1, nodePort: { node: 'worker-2', port: 30081, local: true } });
    expect(x.allowed).toBe(false);
    const c = x.cases[0]!;
    expect(c.endpoint).toMatchObject({ pod: 'solo', node: 'worker-2', port: 8080 });
    expect(c.ingress).toMatchObject({ allowed: false, subject: 'default/solo' });
    expect(c.path).toEqual({ egress: "to 172.16.94.12:30081, node worker-2's NodePort (DNATed there, not on the source's node)", ingress: "from 172.16.94.10, the source as masqueraded by flanneld's --ip-masq on node control-plane (not the client's own 10.244.0.2)" });
    expect(c.nft.map((n) => [n.node, n.verdict])).toEqual([['control-plane', 'accept'], ['worker-2', 'drop']]);
    const text = formatExplanation(x);
    expect(text.split('\n').slice(0, 5)).toEqual([
      'pod default/client 10.244.0.2 on control-plane → node worker-2 172.16.94.12 TCP/30081',
      "  NodePort 30081/TCP of Service default/solo-local (port 80) → targetPort 8080: 1 endpoint on worker-2 (kube-proxy on worker-2 DNATs it, and externalTrafficPolicy Local keeps a client from outside the pod network to the node's own endpoints; policies judge the endpoint's address after that DNAT, each side on the packet as its node sees it)",
      `endpoint default/solo ${c.dest.ip}:8080 on worker-2: DENIED`,
      "  egress at default/client (node control-plane): allowed, not isolated; to 172.16.94.12:30081, node worker-2's NodePort (DNATed there, not on the source's node)",
      "  ingress at default/solo (node worker-2): denied, isolated by default/solo-from-pods; no rule matched; from 172.16.94.10, the source as masqueraded by flanneld's --ip-masq on node control-plane (not the client's own 10.244.0.2)",
    ]);
    // The same pod through the cluster IP is judged as itself: admitted.
    expect(explain(view, { from: 'client', to: 'svc/solo-local' }).allowed).toBe(true);
    // externalTrafficPolicy Local, from outside, at a node without an endpoint: no case; kube-proxy drops it, not a policy.
    const none = explain(view, { from: 'host/internet', to: 'node/worker-1', port: 30081 });
    expect(none.cases).toEqual([]);
    expect(formatExplanation(none)).toContain('  Service default/solo-local has no endpoint on node worker-1: kube-proxy there drops the connection (not a policy\'s doing).');
  });

  it('every source to every node\'s NodePort: explain\'s case for the endpoint trace follows has trace\'s verdict and policy rules', () => {
    const froms = [...view.plan.pods.filter((p) => !p.system).map((p) => p.name), ...view.plan.nodes.map((n) => `node/${n.name}`), 'host/internet'];
    let compared = 0;
    for (const from of froms)
      for (const n of view.plan.nodes)
        for (const port of [30080, 30081]) {
          const req = { from, to: `node/${n.name}`, port };
          const x = explain(view, req);
          for (const e of x.cases.map((c) => c.endpoint!)) {
            const t = predictTrace(view, req, { chosenEndpoint: `${e.ip}:${e.port}` });
            expect(t.endpoint?.pod, JSON.stringify(req)).toBe(e.pod);
            const c = x.cases.find((k) => k.endpoint!.pod === e.pod)!;
            expect(t.policy?.allowed, `${JSON.stringify(req)} → ${e.pod}`).toBe(c.allowed);
            const rules = c.nft.flatMap((p) => p.hits.map((h) => `${p.node}: ${h.chain} "${h.comment}"`));
            const traced = t.hops.filter((h) => h.kind === 'policy').map((h) => h.linux).join('\n');
            for (const r of rules) expect(traced, `${JSON.stringify(req)} → ${e.pod}`).toContain(r);
            compared++;
          }
        }
    expect(compared).toBeGreaterThan(100);
  });
});

describe("a Service port's endpoints: one helper for explain, trace and a failed check's cause", async () => {
  const { portEndpoints } = await import('../../src/plan/services.ts');
  const { endpointsOf } = await import('../../src/trace/explain.ts');
  // web's pods all name port http; only web-1 names metrics, so web-2 is no endpoint of that port.
  const view = viewOf({
    name: 'eps',
    nodes: { a: {}, b: {} },
    pods: {
      'web-1': { node: 'a', labels: { app: 'web' }, containers: [{ name: 'c', workload: { kind: 'http-echo', port: 8080 }, ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }] },
      'web-2': { node: 'b', labels: { app: 'web' }, containers: [{ name: 'c', workload: { kind: 'http-echo', port: 8080 }, ports: [{ name: 'http', containerPort: 8080 }] }] },
    },
    services: { web: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9100, targetPort: 'metrics' }] } },
    dns: false,
  });
  const s = view.plan.services.find((x) => x.name === 'web')!;
  const [http, metrics] = s.ports;

  it('every endpoint with its port, none without one; explain and trace keep those with the port', () => {
    const pick = (es: { pod: string; port?: number }[]) => es.map((e) => [e.pod, e.port]);
    expect(pick(portEndpoints(view.endpoints, 'default/web', http!.key))).toEqual([['web-1', 8080], ['web-2', 8080]]);
    expect(pick(portEndpoints(view.endpoints, 'default/web', metrics!.key))).toEqual([['web-1', 9100], ['web-2', undefined]]);
    expect(pick(portEndpoints(view.endpoints, 'default/web', undefined))).toEqual([['web-1', undefined], ['web-2', undefined]]);
    expect(portEndpoints(view.endpoints, 'default/nope', http!.key)).toEqual([]);
    expect(pick(endpointsOf(view, 'default/web', metrics!))).toEqual([['web-1', 9100]]);
    // As the endpoint map has them, with the port added: nothing else changed.
    expect(endpointsOf(view, 'default/web', http!)).toEqual(view.endpoints['default/web']!.map((e) => ({ ...e, port: e.ports[http!.key] })));
  });
});

describe('explain of a load-balancer address follows its translation, as trace does', async () => {
  const servicesLab = (await import('../../labs/services.lab.ts')).default;
  const { predictTrace } = await import('../../src/trace/trace.ts');
  // web admits the internet's addresses only; solo-lb keeps the client's address (externalTrafficPolicy Local).
  const view = viewOf({
    ...servicesLab,
    services: { ...servicesLab.services, 'solo-lb': { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [{ port: 80, targetPort: 8080 }] } },
    hosts: { ...servicesLab.hosts, ops: { network: 'nodes' } },
    networkPolicies: {
      'web-from-internet': { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] },
      'solo-from-internet': { podSelector: { matchLabels: { app: 'solo' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] },
    },
  });
  const lbOf = (name: string) => view.plan.services.find((s) => s.name === name)!;

  it('from outside, externalTrafficPolicy Cluster: the endpoint judges the address of the node the gateway chose, unless it is its own', () => {
    const x = explain(view, { from: 'host/internet', to: 'lb/web-lb' });
    const web = lbOf('web-lb');
    expect(x.service).toMatchObject({ key: 'default/web-lb', endpoints: 3, loadBalancer: { address: web.loadBalancerIP, nodes: ['control-plane', 'worker-1', 'worker-2'], nodePort: web.ports[0]!.nodePort, client: 'outside', masquerade: true, local: false } });
    expect(x.cases.map((c) => `${c.through} → ${c.endpoint!.pod}: ${c.allowed}`)).toEqual([
      'control-plane → web-1: false',
      'control-plane → web-2: false',
      'control-plane → web-3: false',
      'worker-1 → web-1: true',
      'worker-1 → web-2: true',
      'worker-1 → web-3: false',
      'worker-2 → web-1: false',
      'worker-2 → web-2: false',
      'worker-2 → web-3: true',
    ]);
    expect(x.allowed).toBe(false);
    const c = x.cases.find((k) => k.through === 'worker-2' && k.endpoint!.pod === 'web-1')!;
    expect(c.path).toEqual({ ingress: "from 10.244.2.0, the source as masqueraded by kube-proxy on node worker-2 (not the client's own 203.0.113.10)" });
    const text = formatExplanation(x);
    expect(text).toContain(`  load-balancer address ${web.loadBalancerIP}:80/TCP of Service default/web-lb → targetPort 8080: 3 endpoints (the gateway sends it to NodePort ${web.ports[0]!.nodePort} of one of nodes control-plane, worker-1, worker-2 at random, one case per node and endpoint, and kube-proxy there DNATs it; externalTrafficPolicy Cluster: masqueraded towards an endpoint on another node;`);
    expect(text).toContain(`endpoint default/web-1 ${c.dest.ip}:8080 on worker-1, through node worker-2: DENIED\n  egress: allowed, not isolated\n  ingress at default/web-1 (node worker-1): denied, isolated by default/web-from-internet; no rule matched; from 10.244.2.0, the source as masqueraded by kube-proxy on node worker-2 (not the client's own 203.0.113.10)`);
  });

  it("from outside, externalTrafficPolicy Local: only the endpoint's node, the client's address kept; a host of the node network arrives as the gateway", () => {
    const x = explain(view, { from: 'host/internet', to: 'lb/solo-lb' });
    expect(x.service?.loadBalancer).toMatchObject({ nodes: ['worker-2'], local: true, masquerade: false });
    expect(x.cases.map((c) => [c.through, c.endpoint!.pod, c.allowed, c.path])).toEqual([['worker-2', 'solo', true, undefined]]);
    const ops = explain(view, { from: 'host/ops', to: 'lb/solo-lb' });
    expect(ops.allowed).toBe(false);
    expect(ops.cases[0]!.path?.ingress).toMatch(/^from 172\.16\.94\.1, the source as masqueraded by the gateway \(not the client's own /);
  });

  it('live, the probe\'s tries on new sockets are sent on afresh: the counters of several cases agree when each is one predicted', async () => {
    const { compareObservation } = await import('../../src/runtime/explain.ts');
    const x = explain(view, { from: 'host/internet', to: 'lb/web-lb' });
    const fire = (...picks: [string, string][]) => {
      const fired: Record<string, { chain: string; comment: string; packets: number; delta: number }[]> = {};
      for (const [through, pod] of picks)
        for (const n of x.cases.find((c) => c.through === through && c.endpoint!.pod === pod)!.nft)
          for (const h of n.hits) (fired[n.node] ??= []).push({ chain: h.chain, comment: h.comment!, packets: 1, delta: 1 });
      return fired;
    };
    const connected = { ok: true, detail: 'connected from 203.0.113.10', ms: 420 };
    const ok = compareObservation(x, connected, fire(['worker-1', 'web-3'], ['worker-1', 'web-1']));
    expect(ok).toMatchObject({ agrees: true, differences: [] });
    expect(x.cases[ok.matchedCase!]).toMatchObject({ through: 'worker-1', endpoint: { pod: 'web-1' }, allowed: true });
    expect(ok.note).toBe('the probe tried again on a new socket while nothing answered, and each try was sent on afresh: denied default/web-3 through control-plane or worker-1; connected to default/web-1 or default/web-2 through worker-1');
    // (the counters cannot tell cases with the same rules apart: web-3's drop rule is the same through either node)
    // Silence after denied tries only: as predicted.
    expect(compareObservation(x, { ok: false, detail: 'ETIMEDOUT connect timed out after 1000ms', ms: 1000 }, fire(['worker-1', 'web-3'], ['control-plane', 'web-1']))).toMatchObject({ agrees: true });
    // Connected, yet only denied cases counted: not what was predicted.
    expect(compareObservation(x, connected, fire(['worker-1', 'web-3'], ['control-plane', 'web-1']))).toMatchObject({ agrees: false });
    // One try: as before, one case.
    expect(compareObservation(x, connected, fire(['worker-2', 'web-3']))).toMatchObject({ agrees: true, differences: [], matchedCase: x.cases.findIndex((c) => c.through === 'worker-2' && c.endpoint!.pod === 'web-3') });
    expect(compareObservation(x, connected, fire(['worker-2', 'web-3'])).note).toBeUndefined();
  });

  it('every source to every load-balancer address, through every node: explain has trace\'s verdict and policy rules', () => {
    const froms = [...view.plan.pods.filter((p) => !p.system).map((p) => p.name), ...view.plan.nodes.map((n) => `node/${n.name}`), 'host/internet', 'host/ops'];
    let compared = 0;
    for (const from of froms)
      for (const lb of ['lb/web-lb', 'lb/solo-lb']) {
        const x = explain(view, { from, to: lb });
        expect(x.cases.length, `${from} → ${lb}`).toBeGreaterThan(0);
        for (const c of x.cases) {
          const e = c.endpoint!;
          const svc = lbOf(lb.slice(3));
          const through = c.through ? view.plan.nodes.find((n) => n.name === c.through)! : undefined;
          const facts = { chosenEndpoint: `${e.ip}:${e.port}`, ...(through ? { lbNode: `${through.ip}:${svc.ports[0]!.nodePort}` } : {}) };
          const t = predictTrace(view, { from, to: lb, port: 80 }, facts);
          const what = `${from} → ${lb} through ${c.through ?? 'its own node'} → ${e.pod}`;
          expect(t.endpoint?.pod, what).toBe(e.pod);
          if (through) expect(t.gateway?.node, what).toBe(through.name);
          expect(t.policy?.allowed, what).toBe(c.allowed);
          const traced = t.hops.filter((h) => h.kind === 'policy').map((h) => h.linux).join('\n');
          for (const r of c.nft.flatMap((p) => p.hits.map((h) => `${p.node}: ${h.chain} "${h.comment}"`))) expect(traced, what).toContain(r);
          compared++;
        }
      }
    expect(compared).toBeGreaterThan(50);
  });
});

describe('live explain compares with the rules the packet can meet (compareObservation)', () => {
  it("an egress drop on the source's node: the destination's ingress accept is never met, so only the drop is expected", async () => {
    const { compareObservation } = await import('../../src/runtime/explain.ts');
    const { shopLab, egressDenied } = await import('./shop-lab.ts');
    const x = explain(viewOf(shopLab(egressDenied)), { from: 'shop/frontend', to: 'svc/shop/backend' });
    expect(x.cases).toHaveLength(1);
    const c = x.cases[0]!;
    expect(c.nft.map((n) => `${n.node} ${n.verdict}`)).toEqual(['worker-1 drop', 'worker-2 accept']);
    // What the counters saw: the egress drop on worker-1, nothing on worker-2.
    const fired = { 'worker-1': c.nft[0]!.hits.map((h) => ({ chain: h.chain, comment: h.comment!, packets: 1, delta: 1 })) };
    const silence = { ok: false, detail: 'ETIMEDOUT connect timed out after 300ms', ms: 300 };
    expect(compareObservation(x, silence, fired)).toEqual({ matchedCase: 0, agrees: true, differences: [] });
    // The destination's accept counting without the drop is not what was predicted.
    expect(c.nft[1]!.hits.length).toBeGreaterThan(0);
    const past = { 'worker-2': c.nft[1]!.hits.map((h) => ({ chain: h.chain, comment: h.comment!, packets: 1, delta: 1 })) };
    expect(compareObservation(x, silence, past)).toMatchObject({ agrees: false, differences: ['the rules that fired are not those predicted for any endpoint'] });
  });
});

describe("a trace's DNS query denied on the source's node names only the rules it meets", () => {
  it("the egress drop, not CoreDNS's ingress accept past it", async () => {
    const { shopLab, egressDenied } = await import('./shop-lab.ts');
    const { predictTrace } = await import('../../src/trace/trace.ts');
    const dnsIsolated = { ...egressDenied, 'dns-from-all': { namespace: 'kube-system', podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } }, ingress: [{}] } };
    const t = predictTrace(viewOf(shopLab(dnsIsolated)), { from: 'shop/frontend', to: 'backend.shop' });
    expect(t.hops).toHaveLength(1);
    expect(t.hops[0]!.linux).toBe('A backend.shop: no answer, the query to 10.96.0.10:53/udp is dropped: nft table ip podlab-policy, hook forward: worker-1 drop; rules: worker-1: egress.shop/frontend "shop/frontend isolated for egress by shop/deny-egress: no rule allowed"');
  });
});

describe('a policy drop caused by the Service port: a rule allows the port the client dials, not the targetPort', () => {
  const fePorts = (port: number) => ({
    'default-deny': { namespace: 'shop', podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    'fe-be': { namespace: 'shop', podSelector: { matchLabels: { app: 'frontend' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'backend' } } }], ports: [{ protocol: 'TCP', port }] }] },
    'be-from-fe': { namespace: 'shop', podSelector: { matchLabels: { app: 'backend' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] }] },
  });

  it("egress allowed to TCP/80 (Service backend's port), the pods on 8080: the denial says the rule needs 8080", async () => {
    const { shopLab } = await import('./shop-lab.ts');
    const x = explain(viewOf(shopLab(fePorts(80))), { from: 'frontend', to: 'svc/shop/backend' });
    const c = x.cases[0]!;
    expect(c.allowed).toBe(false);
    expect(c.egress.servicePortRule).toMatchObject({ policy: 'shop/fe-be', index: 0, service: 'shop/backend', servicePort: 80, targetPort: 8080, protocol: 'TCP' });
    expect(c.egress.reason).toMatch(/; rule shop\/fe-be egress\[0\] allows TCP\/80, the port of Service shop\/backend, but kube-proxy DNATs the packet to the endpoint's TCP\/8080 \(targetPort\) before the policies judge it: that rule needs port 8080$/);
    expect(formatExplanation(x)).toContain('that rule needs port 8080');
    // The trace's policy hop says it too.
    const { predictTrace } = await import('../../src/trace/trace.ts');
    const t = predictTrace(viewOf(shopLab(fePorts(80))), { from: 'frontend', to: 'svc/shop/backend' });
    expect(t.hops.find((h) => h.kind === 'policy')!.k8s).toContain('rule shop/fe-be egress[0] allows TCP/80, the port of Service shop/backend, but kube-proxy DNATs the packet to the endpoint\'s TCP/8080 (targetPort) before the policies judge it: that rule needs port 8080');
    // Allowed at 8080: no such note; denied for another reason (no rule at all): none either.
    expect(explain(viewOf(shopLab(fePorts(8080))), { from: 'frontend', to: 'svc/shop/backend' }).cases[0]!.allowed).toBe(true);
    const other = explain(viewOf(shopLab(fePorts(9999))), { from: 'frontend', to: 'svc/shop/backend' }).cases[0]!;
    expect(other.allowed).toBe(false);
    expect(other.egress.servicePortRule).toBeUndefined();
  });

  it("a failed check's cause says it too", async () => {
    const { shopLab } = await import('./shop-lab.ts');
    const { whyFailed } = await import('../../src/check/why.ts');
    const { recordingExecutor } = await import('./recorder.ts');
    const spec = { ...(shopLab(fePorts(80)) as object), checks: [{ kind: 'tcp', from: 'frontend', to: 'svc/shop/backend' }] };
    const { lab } = validateValue(spec, 'shop.lab.ts');
    const plan = buildPlan(lab!);
    const x = explain(plannedView(plan), { from: 'frontend', to: 'svc/shop/backend', port: 80, protocol: 'TCP' });
    const drop = x.cases[0]!.nft[0]!;
    const fired = { [drop.node]: drop.hits.map((h) => ({ chain: h.chain, comment: h.comment!, packets: 1, delta: 1 })) };
    const { recordOf } = await import('../../src/runtime/procs.ts');
    const me = recordOf(process.pid);
    const pods = Object.fromEntries(plan.pods.map((p) => [p.name, { pause: me, ip: p.ip, containers: Object.fromEntries(p.containers.map((k) => [k.name, { ...me, argv: k.argv, log: '/dev/null' }])) }]));
    const state = { lab: plan.lab, status: 'up', createdAt: new Date().toISOString(), steps: [], plan, pods } as never;
    const cause = await whyFailed(recordingExecutor(), state, plan.checks[0] as never, { x, fired });
    expect(cause!.cause).toMatch(/^dropped by NetworkPolicy default-deny in namespace shop, fe-be in namespace shop \(egress of shop\/frontend: no rule allows it; rule shop\/fe-be egress\[0\] allows TCP\/80, the port of Service shop\/backend, but kube-proxy DNATs the packet to the endpoint's TCP\/8080 \(targetPort\) before the policies judge it: that rule needs port 8080; the drop rule in chain egress\.shop\/frontend counted the packet\)$/);
    expect(cause!.settled).toBe(true);
  });
});
