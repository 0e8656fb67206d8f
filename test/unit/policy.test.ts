/**
 * NetworkPolicy (src/policy/): label selectors, the reference evaluator on the API's idioms, the
 * compiled nft table (read by the interpreter of src/policy/interpret.ts), and a property test:
 * on random labs and policies, the verdict of the compiled tables of the source's and the
 * destination's nodes agrees with the reference evaluator for every pair of pods, protocol and port.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type Traffic } from '../../src/policy/evaluate.ts';
import { interpret } from '../../src/policy/interpret.ts';
import { policyTable, type PolicyContext } from '../../src/policy/nft.ts';
import { matchesSelector } from '../../src/policy/selectors.ts';
import { normalizeClusterPolicy, type ClusterNetworkPolicy } from '../../src/policy/cluster.ts';
import type { ClusterNetworkPolicySpec } from '../../src/schema/cluster-network-policy-schema.ts';
import { normalizePolicy, normalizeSelector, type NamespaceLabels, type NetworkPolicy, type PolicyPod } from '../../src/policy/types.ts';
import { diffTable } from '../../src/nft/table.ts';
import { formatAddr, parseAddr } from '../../src/net/addr.ts';
import type { NetworkPolicySpec } from '../../src/schema/network-policy-schema.ts';
import { prng } from '../../src/prng.ts';
import { policyPod } from './policy-builders.ts';

const pod = policyPod;

const NAMESPACES: NamespaceLabels = { x: { ns: 'x' }, y: { ns: 'y' } };
const PODS = [
  pod('x', 'a', 'n1', '10.244.0.2', { pod: 'a' }, [{ name: 'web', containerPort: 8080, protocol: 'TCP' }]),
  pod('x', 'b', 'n2', '10.244.1.2', { pod: 'b' }, [{ name: 'web', containerPort: 9090, protocol: 'TCP' }]),
  pod('y', 'a', 'n1', '10.244.0.3', { pod: 'a' }),
  pod('y', 'b', 'n2', '10.244.1.3', { pod: 'b' }),
];
const P = (ns: string, name: string) => PODS.find((p) => p.namespace === ns && p.name === name)!;
const policy = (name: string, spec: NetworkPolicySpec) => normalizePolicy(name, spec);

/** The reference verdict and the compiled tables' verdict for one connection between pods (or an address). */
export function both(policies: NetworkPolicy[], from: PolicyPod | string, to: PolicyPod | string, protocol: 'TCP' | 'UDP' | 'ICMP', port: number, pods: readonly PolicyPod[] = PODS, namespaces = NAMESPACES, tables = new Map<string, ReturnType<typeof policyTable>>(), clusterPolicies: ClusterNetworkPolicy[] = []) {
  const end = (e: PolicyPod | string) => (typeof e === 'string' ? { ip: e } : { ip: e.ip!, pod: e });
  const t: Traffic = { from: end(from), to: end(to), protocol, port };
  const reference = evaluate({ policies, namespaces, clusterPolicies }, t).allowed;
  const ctx: PolicyContext = { policies, namespaces, pods, clusterPolicies };
  const nodes = [...new Set([typeof from === 'string' ? undefined : from.node, typeof to === 'string' ? undefined : to.node].filter((n): n is string => !!n))];
  let compiled = true;
  for (const node of nodes) {
    if (!tables.has(node)) tables.set(node, policyTable(ctx, node));
    const table = tables.get(node);
    if (!table) continue;
    const r = interpret(table, { saddr: t.from.ip, daddr: t.to.ip, protocol: protocol === 'ICMP' ? 'icmp' : protocol === 'TCP' ? 'tcp' : 'udp', dport: port, ct: 'new' });
    if (r.verdict !== 'accept') compiled = false;
  }
  return { reference, compiled };
}

describe('label selectors', () => {
  const sel = (s: Parameters<typeof normalizeSelector>[0]) => normalizeSelector(s);
  it('matchLabels and each operator, with NotIn and DoesNotExist matching a missing key', () => {
    expect(matchesSelector(sel({}), {})).toBe(true);
    expect(matchesSelector(sel({ matchLabels: { a: '1' } }), { a: '1', b: '2' })).toBe(true);
    expect(matchesSelector(sel({ matchLabels: { a: '1' } }), { a: '2' })).toBe(false);
    expect(matchesSelector(sel({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }), { a: '2' })).toBe(true);
    expect(matchesSelector(sel({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }] }), {})).toBe(false);
    expect(matchesSelector(sel({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }), {})).toBe(true);
    expect(matchesSelector(sel({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }), { a: '1' })).toBe(false);
    expect(matchesSelector(sel({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }), { a: '' })).toBe(true);
    expect(matchesSelector(sel({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }), { a: '' })).toBe(false);
    expect(matchesSelector(sel({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), { a: '' })).toBe(false);
  });
});

describe('policyTypes defaulting', () => {
  it('Ingress always, Egress only with egress rules', () => {
    expect(policy('p', { podSelector: {} }).policyTypes).toEqual(['Ingress']);
    expect(policy('p', { podSelector: {}, egress: [] }).policyTypes).toEqual(['Ingress']);
    expect(policy('p', { podSelector: {}, egress: [{}] }).policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy('p', { podSelector: {}, policyTypes: ['Egress'] }).policyTypes).toEqual(['Egress']);
  });
});

describe('the API semantics, by the evaluator and by the compiled rules', () => {
  const cases: { name: string; policies: NetworkPolicy[]; from: PolicyPod | string; to: PolicyPod | string; proto?: 'TCP' | 'UDP'; port?: number; allowed: boolean }[] = [
    { name: 'no policy: allowed', policies: [], from: P('y', 'a'), to: P('x', 'a'), allowed: true },
    { name: 'default-deny ingress', policies: [policy('deny', { namespace: 'x', podSelector: {} })], from: P('y', 'a'), to: P('x', 'a'), allowed: false },
    { name: 'default-deny ingress leaves egress open', policies: [policy('deny', { namespace: 'x', podSelector: {} })], from: P('x', 'a'), to: P('y', 'b'), allowed: true },
    { name: 'an egress-only policy without policyTypes also isolates ingress', policies: [policy('e', { namespace: 'x', podSelector: {}, egress: [{}] })], from: P('y', 'a'), to: P('x', 'b'), allowed: false },
    { name: 'empty rule {} allows everything', policies: [policy('all', { namespace: 'x', podSelector: {}, ingress: [{}] })], from: P('y', 'b'), to: P('x', 'a'), allowed: true },
    { name: 'pod to itself is allowed', policies: [policy('deny', { namespace: 'x', podSelector: {}, policyTypes: ['Ingress', 'Egress'] })], from: P('x', 'a'), to: P('x', 'a'), allowed: true },
    {
      name: 'AND peer: right namespace, wrong pod',
      policies: [policy('and', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }] })],
      from: P('y', 'a'), to: P('x', 'a'), allowed: false,
    },
    {
      name: 'OR peers: right namespace, any pod',
      policies: [policy('or', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }] })],
      from: P('y', 'a'), to: P('x', 'a'), allowed: true,
    },
    {
      name: 'a podSelector peer alone means the policy namespace',
      policies: [policy('ps', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] })],
      from: P('y', 'b'), to: P('x', 'a'), allowed: false,
    },
    {
      name: 'ipBlock except',
      policies: [policy('ip', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.1.0/24'] } }] }] })],
      from: P('y', 'b'), to: P('x', 'a'), allowed: false,
    },
    {
      name: 'ipBlock admits an address outside the cluster',
      policies: [policy('ip', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/16' } }] }] })],
      from: '192.168.4.4', to: P('x', 'a'), allowed: true,
    },
    {
      name: 'named port resolved on the destination pod (x/b: web = 9090)',
      policies: [policy('np', { namespace: 'x', podSelector: {}, ingress: [{ ports: [{ port: 'web' }] }] })],
      from: P('y', 'a'), to: P('x', 'b'), port: 9090, allowed: true,
    },
    {
      name: 'named port: 8080 is web on x/a, not on x/b',
      policies: [policy('np', { namespace: 'x', podSelector: {}, ingress: [{ ports: [{ port: 'web' }] }] })],
      from: P('y', 'a'), to: P('x', 'b'), port: 8080, allowed: false,
    },
    {
      name: 'endPort range, last port included',
      policies: [policy('r', { namespace: 'x', podSelector: {}, ingress: [{ ports: [{ port: 80, endPort: 90 }] }] })],
      from: P('y', 'a'), to: P('x', 'a'), port: 90, allowed: true,
    },
    {
      name: 'protocol: a TCP port does not open UDP',
      policies: [policy('r', { namespace: 'x', podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] })],
      from: P('y', 'a'), to: P('x', 'a'), proto: 'UDP', port: 80, allowed: false,
    },
    {
      name: 'egress needs the source allowed too, even when ingress is open',
      policies: [policy('e', { namespace: 'y', podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
      from: P('y', 'a'), to: P('x', 'b'), allowed: false,
    },
    {
      name: 'union of policies: a second policy adds what the first does not allow',
      policies: [
        policy('deny', { namespace: 'x', podSelector: {} }),
        policy('allow', { namespace: 'x', podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['a'] }] }, ingress: [{ from: [{ namespaceSelector: {} }] }] }),
      ],
      from: P('y', 'b'), to: P('x', 'a'), allowed: true,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(both(c.policies, c.from, c.to, c.proto ?? 'TCP', c.port ?? 80)).toEqual({ reference: c.allowed, compiled: c.allowed });
    });

  it('traffic from the own node is allowed, from another node only by ipBlock', () => {
    const deny = [policy('deny', { namespace: 'x', podSelector: {} })];
    expect(evaluate({ policies: deny, namespaces: NAMESPACES }, { from: { ip: '172.16.94.10', node: 'n1' }, to: { ip: P('x', 'a').ip!, pod: P('x', 'a') }, protocol: 'TCP', port: 80 }).allowed).toBe(true);
    expect(evaluate({ policies: deny, namespaces: NAMESPACES }, { from: { ip: '172.16.94.11', node: 'n2' }, to: { ip: P('x', 'a').ip!, pod: P('x', 'a') }, protocol: 'TCP', port: 80 }).allowed).toBe(false);
  });

  it('names the rule that allowed, or the isolating policies', () => {
    const ps = [policy('deny', { namespace: 'x', podSelector: {} }), policy('web', { namespace: 'x', podSelector: {}, ingress: [{ ports: [{ port: 81 }] }, { ports: [{ port: 80 }] }] })];
    const v = evaluate({ policies: ps, namespaces: NAMESPACES }, { from: { ip: P('y', 'a').ip!, pod: P('y', 'a') }, to: { ip: P('x', 'a').ip!, pod: P('x', 'a') }, protocol: 'TCP', port: 80 });
    expect(v.ingress).toMatchObject({ allowed: true, reason: 'allowed by x/web ingress[1]', policies: ['x/deny', 'x/web'] });
    const w = evaluate({ policies: ps, namespaces: NAMESPACES }, { from: { ip: P('y', 'a').ip!, pod: P('y', 'a') }, to: { ip: P('x', 'a').ip!, pod: P('x', 'a') }, protocol: 'TCP', port: 82 });
    expect(w.ingress).toMatchObject({ allowed: false, reason: 'isolated by x/deny, x/web; no rule matched' });
  });
});

describe('a ping (ICMP): only a rule without ports admits it, as in every CNI', () => {
  const a = P('x', 'a');
  const b = P('x', 'b');
  it('isolated with a rule listing ports: a ping is denied; a rule without ports admits it; not isolated, allowed', () => {
    const ported = [policy('web', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 8080 }] }] })];
    expect(both(ported, b, a, 'ICMP', 0)).toEqual({ reference: false, compiled: false });
    expect(both(ported, b, a, 'TCP', 8080)).toEqual({ reference: true, compiled: true });
    const any = [policy('from-x', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: {} }] }] })];
    expect(both(any, b, a, 'ICMP', 0)).toEqual({ reference: true, compiled: true });
    expect(both(ported, a, b, 'ICMP', 0)).toEqual({ reference: true, compiled: true });
  });
});

describe('the compiled table', () => {
  const ctx = (policies: NetworkPolicy[], pods = PODS): PolicyContext => ({ policies, namespaces: NAMESPACES, pods });
  it('no policy: no table at all', () => {
    expect(policyTable(ctx([]), 'n1')).toBeUndefined();
  });
  it('one rule per peer × port, each with a counter and a comment naming policy, rule, peer and port', () => {
    const p = policy('web', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.244.0.0/16'] } }], ports: [{ port: 80 }, { protocol: 'UDP', port: 'web' }] }] });
    const t = policyTable(ctx([p]), 'n1')!;
    expect(t.chains.find((c) => c.name === 'np.x/web.ingress')!.rules).toEqual([
      'ip saddr @np.x/web.ingress.0.peer.0 tcp dport 80 counter accept comment "x/web ingress[0] from[0] ports[0]"',
      'ip saddr @np.x/web.ingress.0.peer.0 ip daddr . meta l4proto . th dport @np.x/web.ingress.0.port.1 counter accept comment "x/web ingress[0] from[0] ports[1]"',
      'ip saddr 10.0.0.0/8 ip saddr != { 10.244.0.0/16 } tcp dport 80 counter accept comment "x/web ingress[0] from[1] ports[0]"',
      'ip saddr 10.0.0.0/8 ip saddr != { 10.244.0.0/16 } ip daddr . meta l4proto . th dport @np.x/web.ingress.0.port.1 counter accept comment "x/web ingress[0] from[1] ports[1]"',
    ]);
    expect(t.sets.find((s) => s.name === 'np.x/web.ingress.0.peer.0')!.elements).toEqual([['10.244.1.2']]);
    // x/a names web as TCP only: no UDP element.
    expect(t.sets.find((s) => s.name === 'np.x/web.ingress.0.port.1')!.elements).toEqual([]);
    expect(t.sets.find((s) => s.name === 'ingress-pods')!.elements).toEqual([['10.244.0.2', 'goto ingress.x/a']]);
  });
  it('a pod changing address changes only set and map elements', () => {
    const p = policy('from-b', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] });
    const moved = PODS.map((q) => (q.namespace === 'x' && q.name === 'b' ? { ...q, ip: '10.244.1.9' } : q));
    const script = diffTable(policyTable(ctx([p]), 'n2')!, policyTable(ctx([p], moved), 'n2')!);
    expect(script.split('\n').filter(Boolean).every((l) => /^(add|delete) element /.test(l))).toBe(true);
    expect(script).toContain('10.244.1.9');
  });
});

// ---------------------------------------------------------------- property test

function randomWorld(seed: number) {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number) => r() < p;
  const nsNames = ['x', 'y', 'z'].slice(0, 2 + Math.floor(r() * 2));
  const namespaces: NamespaceLabels = Object.fromEntries(nsNames.map((n): [string, Record<string, string>] => [n, chance(0.7) ? { team: pick(['red', 'blue']) } : {}]));
  const labelsOf = () => Object.fromEntries([['app', pick(['web', 'db', 'api'])], ...(chance(0.5) ? [['tier', pick(['1', '2'])]] : [])]);
  const pods: PolicyPod[] = [];
  const n = 3 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const node = pick(['n1', 'n2']);
    const ports: PolicyPod['containers'][number]['ports'] = chance(0.7) ? [{ name: 'http', containerPort: pick([80, 81, 8080]), protocol: pick(['TCP', 'UDP'] as const) }] : [];
    pods.push(pod(pick(nsNames), `p${i}`, node, `10.244.${node === 'n1' ? 0 : 1}.${i + 2}`, labelsOf(), ports));
  }
  const selector = (): NetworkPolicySpec['podSelector'] =>
    pick([
      {},
      { matchLabels: { app: pick(['web', 'db', 'api']) } },
      { matchExpressions: [{ key: pick(['app', 'tier', 'team']), operator: pick(['In', 'NotIn']), values: [pick(['web', 'db', '1', 'red'])] }] },
      { matchExpressions: [{ key: pick(['tier', 'team']), operator: pick(['Exists', 'DoesNotExist']) }] },
    ]);
  const peer = () =>
    pick([
      () => ({ podSelector: selector() }),
      () => ({ namespaceSelector: selector() }),
      () => ({ namespaceSelector: chance(0.5) ? { matchLabels: { team: pick(['red', 'blue']) } } : selector(), podSelector: selector() }),
      () => ({ ipBlock: { cidr: pick(['10.244.0.0/16', '10.244.0.0/24', '10.244.1.0/24', '192.168.0.0/16']), except: chance(0.5) ? [pick(['10.244.0.0/28', '10.244.1.0/30', '10.244.0.4/32'])] : [] } }),
    ])();
  const port = () =>
    pick([
      () => ({ protocol: pick(['TCP', 'UDP'] as const) }),
      () => ({ protocol: pick(['TCP', 'UDP'] as const), port: pick([80, 81, 8080]) }),
      () => ({ port: 80, endPort: pick([80, 81, 90]) }),
      () => ({ protocol: pick(['TCP', 'UDP'] as const), port: 'http' }),
    ])();
  const rules = <K extends 'from' | 'to'>(k: K) =>
    Array.from({ length: Math.floor(r() * 3) }, () => ({
      ...(chance(0.75) ? { [k]: Array.from({ length: 1 + Math.floor(r() * 2) }, peer) } : {}),
      ...(chance(0.6) ? { ports: Array.from({ length: 1 + Math.floor(r() * 2) }, port) } : {}),
    }));
  // ClusterNetworkPolicies in half the worlds: both tiers, every action, peers of each kind, ports by number, range and name.
  const nsSel = () => pick([{}, { matchLabels: { team: pick(['red', 'blue']) } }, { matchLabels: { 'kubernetes.io/metadata.name': pick(nsNames) } }]);
  const cnpPeer = (egress: boolean) =>
    pick([
      () => ({ namespaces: nsSel() }),
      () => ({ pods: { ...(chance(0.5) ? { namespaceSelector: nsSel() } : {}), podSelector: selector() } }),
      ...(egress ? [() => ({ networks: [pick(['10.244.0.0/16', '10.244.1.0/24', '10.244.0.0/28', '192.168.0.0/16', '0.0.0.0/0'])] })] : []),
    ])();
  const cnpPort = (named: boolean) =>
    pick([
      () => ({ tcp: { destinationPort: { number: pick([80, 81, 8080]) } } }),
      () => ({ udp: { destinationPort: { number: pick([80, 81, 8080]) } } }),
      () => ({ [pick(['tcp', 'udp'])]: { destinationPort: { range: { start: 80, end: pick([81, 90]) } } } }),
      ...(named ? [() => ({ destinationNamedPort: 'http' })] : []),
    ])();
  const cnpRules = (k: 'from' | 'to') =>
    Array.from({ length: Math.floor(r() * 3) }, () => {
      const peers = Array.from({ length: 1 + Math.floor(r() * 2) }, () => cnpPeer(k === 'to'));
      const named = !peers.some((q) => 'networks' in q);
      return { action: pick(['Accept', 'Deny', 'Pass']), [k]: peers, ...(chance(0.5) ? { protocols: Array.from({ length: 1 + Math.floor(r() * 2) }, () => cnpPort(named)) } : {}) };
    });
  const clusterPolicies: ClusterNetworkPolicy[] = chance(0.5)
    ? Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => {
        const spec = {
          tier: pick(['Admin', 'Baseline']),
          priority: pick([1, 5, 10]),
          subject: chance(0.5) ? { namespaces: nsSel() } : { pods: { namespaceSelector: nsSel(), podSelector: selector() } },
          ingress: cnpRules('from'),
          egress: cnpRules('to'),
        } as ClusterNetworkPolicySpec;
        return normalizeClusterPolicy(`cnp${i}`, spec);
      })
    : [];
  const policies = Array.from({ length: Math.floor(r() * 4) + (clusterPolicies.length ? 0 : 1) }, (_, i) => {
    const spec: NetworkPolicySpec = { namespace: pick(nsNames), podSelector: selector() };
    if (chance(0.8)) spec.ingress = rules('from');
    if (chance(0.5)) spec.egress = rules('to');
    if (chance(0.4)) spec.policyTypes = pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    return normalizePolicy(`np${i}`, spec);
  });
  return { namespaces, pods, policies, clusterPolicies };
}

describe('property: compiled rules agree with the reference evaluator', () => {
  it('on 300 random labs (half with ClusterNetworkPolicies of both tiers), for every pair of pods (and an outside address), TCP and UDP, ports 80, 81, 85, 8080, and a ping', () => {
    let cells = 0;
    let denied = 0;
    let cnpCells = 0;
    let cnpDenied = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const w = randomWorld(seed);
      const ends: (PolicyPod | string)[] = [...w.pods, '192.168.7.7'];
      const tables = new Map<string, ReturnType<typeof policyTable>>();
      for (const from of ends)
        for (const to of ends) {
          if (typeof from === 'string' && typeof to === 'string') continue;
          for (const proto of ['TCP', 'UDP', 'ICMP'] as const)
            for (const port of proto === 'ICMP' ? [0] : [80, 81, 85, 8080]) {
              const v = both(w.policies, from, to, proto, port, w.pods, w.namespaces, tables, w.clusterPolicies);
              cells++;
              if (!v.reference) denied++;
              if (w.clusterPolicies.length) {
                cnpCells++;
                if (!v.reference) cnpDenied++;
              }
              if (v.reference !== v.compiled)
                throw new Error(`seed ${seed}: ${typeof from === 'string' ? from : `${from.namespace}/${from.name}`} → ${typeof to === 'string' ? to : `${to.namespace}/${to.name}`} ${proto}/${port}: evaluator ${v.reference}, compiled ${v.compiled}\n${JSON.stringify(w, null, 1)}`);
            }
        }
    }
    // Both verdicts occur often enough for the agreement to mean something.
    expect(denied).toBeGreaterThan(cells * 0.15);
    expect(cells - denied).toBeGreaterThan(cells * 0.15);
    // About half the worlds have ClusterNetworkPolicies, and there too both verdicts are common.
    expect(cnpCells).toBeGreaterThan(cells * 0.3);
    expect(cnpDenied).toBeGreaterThan(cnpCells * 0.1);
    expect(cnpCells - cnpDenied).toBeGreaterThan(cnpCells * 0.1);
  });
});

describe('IPv6 (dual stack): the ip6 table over the pods\' IPv6 addresses', () => {
  // As the plan gives a dual-stack pod its IPv6 address: the same host number in its node's /64 (10.244.1.5 → fd00:10:244:1::5).
  const v6 = (p: PolicyPod): PolicyPod => ({ ...p, ips: [p.ip!, formatAddr(parseAddr(p.ip!.replace(/^10\.244\.(\d+)\.(\d+)$/, (_, n, h) => `fd00:10:244:${n}::${Number(h).toString(16)}`))!)] });
  const pods = PODS.map(v6);
  const P6 = (ns: string, name: string) => pods.find((p) => p.namespace === ns && p.name === name)!;
  const policies = [
    policy('v6-block', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: 'fd00:10:244:1::/64', except: ['fd00:10:244:1::3/128'] } }, { ipBlock: { cidr: '10.244.0.0/24' } }] }] }),
    policy('y-egress', { namespace: 'y', podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }, { ipBlock: { cidr: 'fd00:10:244::/56' } }], ports: [{ port: 'web' }, { protocol: 'UDP' }] }] }),
  ];
  const ctx6: PolicyContext = { policies, namespaces: NAMESPACES, pods, family: 'ip6' };
  const ctx4: PolicyContext = { policies, namespaces: NAMESPACES, pods };
  const addr = (p: PolicyPod, family: 'ip' | 'ip6') => (family === 'ip' ? p.ips![0]! : p.ips![1]!);

  it('each family\'s table agrees with the evaluator on every pair of pods, and ignores the other family\'s CIDRs', () => {
    let denied = 0;
    for (const [family, ctx] of [['ip6', ctx6], ['ip', ctx4]] as const)
      for (const from of pods)
        for (const to of pods)
          for (const [proto, port] of [['TCP', 80], ['TCP', 8080], ['TCP', 9090], ['UDP', 53]] as const) {
            const t: Traffic = { from: { ip: addr(from, family), pod: from }, to: { ip: addr(to, family), pod: to }, protocol: proto, port };
            const reference = evaluate({ policies, namespaces: NAMESPACES }, t).allowed;
            let compiled = true;
            for (const node of new Set([from.node, to.node])) {
              const r = interpret(policyTable(ctx, node)!, { saddr: t.from.ip, daddr: t.to.ip, protocol: proto === 'TCP' ? 'tcp' : 'udp', dport: port, ct: 'new' });
              if (r.verdict !== 'accept') compiled = false;
            }
            expect(compiled, `${family} ${from.namespace}/${from.name} → ${to.namespace}/${to.name} ${proto}/${port}`).toBe(reference);
            if (!reference) denied++;
          }
    expect(denied).toBeGreaterThan(10);
    // Over IPv6, x/b (fd00:10:244:1::2, in the block) reaches x/a; y/b (::3, the except) does not; over IPv4 x/b is outside 10.244.0.0/24.
    const at = (f: PolicyPod, t: PolicyPod, family: 'ip' | 'ip6') => evaluate({ policies, namespaces: NAMESPACES }, { from: { ip: addr(f, family), pod: f }, to: { ip: addr(t, family), pod: t }, protocol: 'TCP', port: 8080 });
    expect([at(P6('x', 'b'), P6('x', 'a'), 'ip6').allowed, at(P6('y', 'b'), P6('x', 'a'), 'ip6').allowed, at(P6('x', 'b'), P6('x', 'a'), 'ip').allowed]).toEqual([true, false, false]);
    // y's egress admits fd00:10:244::/56: x/a's IPv6 address, not its IPv4 one.
    expect([at(P6('y', 'a'), P6('x', 'a'), 'ip6').egress.allowed, at(P6('y', 'a'), P6('x', 'a'), 'ip').egress.allowed]).toEqual([true, false]);
  });

  it('the ip6 table: family ip6, ip6 matches, ipv6_addr sets; an ipBlock of the other family writes no rule', () => {
    const t = policyTable(ctx6, 'n1')!;
    expect(t.family).toBe('ip6');
    expect(t.chains.find((c) => c.name === 'np.x/v6-block.ingress')!.rules).toEqual([
      'ip6 saddr fd00:10:244:1::/64 ip6 saddr != { fd00:10:244:1::3/128 } counter accept comment "x/v6-block ingress[0] from[0]"',
    ]);
    expect(t.sets.find((s) => s.name === 'self')!.spec).toEqual(['type ipv6_addr . ipv6_addr']);
    expect(t.sets.find((s) => s.name === 'ingress-pods')!.elements).toEqual([['fd00:10:244::2', 'goto ingress.x/a']]);
    expect(policyTable(ctx4, 'n1')!.chains.find((c) => c.name === 'np.x/v6-block.ingress')!.rules).toEqual(['ip saddr 10.244.0.0/24 counter accept comment "x/v6-block ingress[0] from[1]"']);
  });
});
