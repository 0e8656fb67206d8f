/**
 * ClusterNetworkPolicy (src/policy/cluster.ts): the tiers as the API defines them, by the
 * reference evaluator and by the compiled table (read by the rule interpreter), what the verdict
 * names (which policy, tier and rule decided, which Pass handed it on), the table's layout, and
 * that a relabel or a new pod is a few set elements. The random agreement of evaluator and table
 * with ClusterNetworkPolicies is the property test in policy.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { diffTable } from '../../src/nft/table.ts';
import { normalizeClusterPolicy } from '../../src/policy/cluster.ts';
import { evaluate, type Traffic } from '../../src/policy/evaluate.ts';
import { interpret } from '../../src/policy/interpret.ts';
import { policyTable } from '../../src/policy/nft.ts';
import { normalizePolicy, type NamespaceLabels, type PolicyPod } from '../../src/policy/types.ts';
import type { ClusterNetworkPolicySpec } from '../../src/schema/cluster-network-policy-schema.ts';
import type { NetworkPolicySpec } from '../../src/schema/network-policy-schema.ts';
import { policyPod } from './policy-builders.ts';

const pod = policyPod;

const NAMESPACES: NamespaceLabels = { x: { ns: 'x' }, y: { ns: 'y' }, db: { tier: 'data' } };
const web = [{ name: 'web', containerPort: 80, protocol: 'TCP' as const }];
const PODS = [
  pod('x', 'a', 'n1', '10.244.0.2', { app: 'a' }, web),
  pod('x', 'b', 'n2', '10.244.1.2', { app: 'b' }, web),
  pod('y', 'a', 'n1', '10.244.0.3', { app: 'a' }, web),
  pod('db', 'pg', 'n2', '10.244.1.3', { app: 'pg' }, [{ name: 'pg', containerPort: 5432, protocol: 'TCP' }]),
];
const P = (ns: string, name: string) => PODS.find((p) => p.namespace === ns && p.name === name)!;
const cnp = (name: string, spec: ClusterNetworkPolicySpec) => normalizeClusterPolicy(name, spec);
const np = (name: string, spec: NetworkPolicySpec) => normalizePolicy(name, spec);
const nsIs = (ns: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': ns } });

interface World {
  policies?: ReturnType<typeof np>[];
  clusterPolicies: ReturnType<typeof cnp>[];
  pods?: PolicyPod[];
}

/** The evaluator's verdict, and the compiled tables' of the source's and destination's nodes. */
function judge(w: World, from: PolicyPod | string, to: PolicyPod | string, protocol: 'TCP' | 'UDP' = 'TCP', port = 80) {
  const end = (e: PolicyPod | string) => (typeof e === 'string' ? { ip: e } : { ip: e.ip!, pod: e });
  const t: Traffic = { from: end(from), to: end(to), protocol, port };
  const world = { policies: w.policies ?? [], namespaces: NAMESPACES, clusterPolicies: w.clusterPolicies };
  const v = evaluate(world, t);
  const ctx = { ...world, pods: w.pods ?? PODS };
  let compiled = true;
  const trail: string[] = [];
  for (const node of new Set([typeof from === 'string' ? undefined : from.node, typeof to === 'string' ? undefined : to.node])) {
    if (!node) continue;
    const table = policyTable(ctx, node)!;
    const r = interpret(table, { saddr: t.from.ip, daddr: t.to.ip, protocol: protocol === 'TCP' ? 'tcp' : 'udp', dport: port, ct: 'new' });
    if (r.verdict !== 'accept') compiled = false;
    trail.push(...r.trail.map((x) => /comment "([^"]*)"/.exec(x.rule)?.[1] ?? x.rule));
  }
  expect(compiled, `compiled table disagrees with the evaluator (${v.egress.reason} / ${v.ingress.reason})`).toBe(v.allowed);
  return { ...v, trail };
}

const allowFromX = np('allow-from-x', { namespace: 'db', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }] }] });

describe('the tiers: Admin → NetworkPolicy → Baseline → allow', () => {
  it('an Admin Deny overrides a NetworkPolicy that allows', () => {
    const deny = cnp('deny-b-to-db', { tier: 'Admin', priority: 10, subject: { namespaces: nsIs('db') }, ingress: [{ name: 'no b', action: 'Deny', from: [{ pods: { namespaceSelector: nsIs('x'), podSelector: { matchLabels: { app: 'b' } } } }] }] });
    const w = { policies: [allowFromX], clusterPolicies: [deny] };
    expect(judge({ policies: [allowFromX], clusterPolicies: [] }, P('x', 'b'), P('db', 'pg')).allowed).toBe(true);
    const v = judge(w, P('x', 'b'), P('db', 'pg'));
    expect(v.allowed).toBe(false);
    expect(v.ingress).toMatchObject({ tier: 'Admin', reason: 'denied by ClusterNetworkPolicy deny-b-to-db (Admin, priority 10) ingress[0] "no b"', cluster: { policy: 'deny-b-to-db', index: 0, action: 'Deny' } });
    expect(v.trail).toContain("cnp/deny-b-to-db ingress[0] 'no b' Deny from[0]");
    // x/a is not in the Deny's peer: the NetworkPolicy decides.
    expect(judge(w, P('x', 'a'), P('db', 'pg')).ingress).toMatchObject({ allowed: true, tier: 'NetworkPolicy', reason: 'allowed by db/allow-from-x ingress[0]' });
  });

  it('an Admin Accept overrides a NetworkPolicy that isolates', () => {
    const accept = cnp('monitoring', { tier: 'Admin', priority: 1, subject: { namespaces: {} }, ingress: [{ action: 'Accept', from: [{ namespaces: nsIs('y') }] }] });
    const v = judge({ policies: [allowFromX], clusterPolicies: [accept] }, P('y', 'a'), P('db', 'pg'));
    expect(v.ingress).toMatchObject({ allowed: true, tier: 'Admin', policies: ['db/allow-from-x'] });
    expect(judge({ policies: [allowFromX], clusterPolicies: [] }, P('y', 'a'), P('db', 'pg')).allowed).toBe(false);
  });

  it('a Pass hands the decision to the NetworkPolicies, skipping the rest of the Admin tier', () => {
    const pass = cnp('pass-x', { tier: 'Admin', priority: 5, subject: { namespaces: nsIs('db') }, ingress: [{ name: 'x decides', action: 'Pass', from: [{ namespaces: nsIs('x') }] }] });
    const denyAll = cnp('deny-all', { tier: 'Admin', priority: 50, subject: { namespaces: nsIs('db') }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const w = { policies: [allowFromX], clusterPolicies: [pass, denyAll] };
    const v = judge(w, P('x', 'b'), P('db', 'pg'));
    expect(v.allowed).toBe(true);
    expect(v.ingress).toMatchObject({ tier: 'NetworkPolicy', reason: 'allowed by db/allow-from-x ingress[0] (after cnp/pass-x ingress[0] "x decides" passed)', passed: [{ policy: 'pass-x', action: 'Pass' }] });
    // Without a NetworkPolicy selecting db/pg, Pass reaches the (empty) Baseline tier and the default: allowed.
    expect(judge({ clusterPolicies: [pass, denyAll] }, P('x', 'b'), P('db', 'pg')).ingress).toMatchObject({ allowed: true, tier: 'default' });
    // y is not passed: the later Deny of the Admin tier applies.
    expect(judge(w, P('y', 'a'), P('db', 'pg')).ingress).toMatchObject({ allowed: false, cluster: { policy: 'deny-all' } });
  });

  it('priority orders the Admin tier (lower first), then the name', () => {
    const accept = (priority: number) => cnp(`accept-${priority}`, { tier: 'Admin', priority, subject: { namespaces: nsIs('db') }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }] }] });
    const deny = (priority: number) => cnp(`deny-${priority}`, { tier: 'Admin', priority, subject: { namespaces: nsIs('db') }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    expect(judge({ clusterPolicies: [deny(20), accept(10)] }, P('x', 'a'), P('db', 'pg')).allowed).toBe(true);
    expect(judge({ clusterPolicies: [deny(10), accept(20)] }, P('x', 'a'), P('db', 'pg')).allowed).toBe(false);
    expect(judge({ clusterPolicies: [deny(10), accept(10)] }, P('x', 'a'), P('db', 'pg')).ingress.cluster!.policy).toBe('accept-10');
  });

  it('a Baseline Deny applies only to pods no NetworkPolicy selects', () => {
    const baseline = cnp('default-deny', { tier: 'Baseline', priority: 0, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const allowPg = np('allow-pg', { namespace: 'db', podSelector: { matchLabels: { app: 'pg' } }, ingress: [{}] });
    const w = { policies: [allowPg], clusterPolicies: [baseline] };
    expect(judge(w, P('x', 'a'), P('db', 'pg')).ingress).toMatchObject({ allowed: true, tier: 'NetworkPolicy' });
    const v = judge(w, P('x', 'a'), P('x', 'b'));
    expect(v.ingress).toMatchObject({ allowed: false, tier: 'Baseline', reason: 'denied by ClusterNetworkPolicy default-deny (Baseline, priority 0) ingress[0]' });
    // A pod reaching itself stays allowed whatever the tiers say.
    expect(judge(w, P('x', 'a'), P('x', 'a')).allowed).toBe(true);
  });

  it('egress: Accept still needs the destination ingress; networks match any address, pods included', () => {
    const egress = cnp('egress', {
      tier: 'Admin',
      priority: 1,
      subject: { pods: { namespaceSelector: nsIs('x'), podSelector: { matchLabels: { app: 'a' } } } },
      egress: [
        { action: 'Accept', to: [{ networks: ['10.244.1.3/32'] }], protocols: [{ tcp: { destinationPort: { number: 5432 } } }] },
        { action: 'Deny', to: [{ networks: ['10.244.0.0/16', '192.168.0.0/16'] }] },
      ],
    });
    const denyIn = np('deny-in', { namespace: 'db', podSelector: {} });
    expect(judge({ clusterPolicies: [egress] }, P('x', 'a'), P('db', 'pg'), 'TCP', 5432).allowed).toBe(true);
    expect(judge({ clusterPolicies: [egress], policies: [denyIn] }, P('x', 'a'), P('db', 'pg'), 'TCP', 5432)).toMatchObject({ allowed: false, egress: { allowed: true, tier: 'Admin' }, ingress: { allowed: false, tier: 'NetworkPolicy' } });
    expect(judge({ clusterPolicies: [egress] }, P('x', 'a'), P('x', 'b')).egress).toMatchObject({ allowed: false, cluster: { index: 1 } });
    expect(judge({ clusterPolicies: [egress] }, P('x', 'a'), '192.168.1.1').allowed).toBe(false);
    expect(judge({ clusterPolicies: [egress] }, P('x', 'a'), '172.16.0.1').allowed).toBe(true);
  });

  it('ports: a number, a range, a named port resolved on the destination pod', () => {
    const only = (protocols: NonNullable<ClusterNetworkPolicySpec['ingress']>[number]['protocols']) => [
      cnp('p', { tier: 'Admin', priority: 1, subject: { namespaces: {} }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }], protocols }, { action: 'Deny', from: [{ namespaces: {} }] }] }),
    ];
    expect(judge({ clusterPolicies: only([{ udp: { destinationPort: { range: { start: 50, end: 60 } } } }]) }, P('x', 'a'), P('x', 'b'), 'UDP', 53).allowed).toBe(true);
    expect(judge({ clusterPolicies: only([{ udp: { destinationPort: { range: { start: 50, end: 60 } } } }]) }, P('x', 'a'), P('x', 'b'), 'TCP', 53).allowed).toBe(false);
    expect(judge({ clusterPolicies: only([{ destinationNamedPort: 'pg' }]) }, P('x', 'a'), P('db', 'pg'), 'TCP', 5432).allowed).toBe(true);
    expect(judge({ clusterPolicies: only([{ destinationNamedPort: 'pg' }]) }, P('x', 'a'), P('x', 'b'), 'TCP', 5432).allowed).toBe(false);
  });

  it('hostNetwork pods are never subjects, and a Pass in the Baseline tier ends in the default', () => {
    const host = { ...pod('x', 'h', 'n1', '10.244.0.9', { app: 'a' }), hostNetwork: true };
    const pods = [...PODS, host];
    const deny = cnp('deny', { tier: 'Admin', priority: 1, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    expect(evaluate({ policies: [], namespaces: NAMESPACES, clusterPolicies: [deny] }, { from: { ip: P('x', 'a').ip!, pod: P('x', 'a') }, to: { ip: host.ip!, pod: host }, protocol: 'TCP', port: 80 }).allowed).toBe(true);
    const passThenDeny = [
      cnp('a-pass', { tier: 'Baseline', priority: 1, subject: { namespaces: {} }, ingress: [{ action: 'Pass', from: [{ namespaces: nsIs('x') }] }] }),
      cnp('b-deny', { tier: 'Baseline', priority: 2, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] }),
    ];
    expect(judge({ clusterPolicies: passThenDeny, pods }, P('x', 'a'), P('db', 'pg')).ingress).toMatchObject({ allowed: true, tier: 'default' });
    expect(judge({ clusterPolicies: passThenDeny, pods }, P('y', 'a'), P('db', 'pg')).allowed).toBe(false);
  });
});

describe('the compiled table', () => {
  const ctx = (clusterPolicies: ReturnType<typeof cnp>[], pods = PODS) => ({ policies: [], namespaces: NAMESPACES, pods, clusterPolicies });
  const deny = cnp('deny-b', { tier: 'Admin', priority: 10, subject: { namespaces: nsIs('db') }, ingress: [{ action: 'Deny', from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'b' } } } }] }] });

  it('tier chains in order, a subject set of the node\'s own pods, one counted rule per peer × port', () => {
    const t = policyTable(ctx([deny]), 'n2')!;
    const chain = (n: string) => t.chains.find((c) => c.name === n)!.rules;
    expect(chain('forward')).toEqual(['ct state established,related accept', 'ip saddr . ip daddr @self counter accept comment "a pod reaching itself through a Service (hairpin)"', 'goto egress']);
    expect(chain('ingress')).toEqual(['ip daddr @cnp.deny-b.subject jump cnp.deny-b.ingress', 'goto ingress-np']);
    expect(chain('ingress-np')).toEqual(['ip daddr vmap @ingress-pods', 'goto ingress-baseline']);
    expect(chain('ingress-baseline')).toEqual(['accept']);
    expect(chain('egress')).toEqual(['goto egress-np']);
    expect(chain('cnp.deny-b.ingress')).toEqual(['ip saddr @cnp.deny-b.ingress.0.peer.0 counter drop comment "cnp/deny-b ingress[0] Deny from[0]"']);
    // A lab that rejects (policyDenyAction 'Reject'): the same rule, rejecting.
    const rejecting = policyTable({ ...ctx([deny]), denyAction: 'reject' }, 'n2')!;
    expect(rejecting.chains.find((c) => c.name === 'cnp.deny-b.ingress')!.rules).toEqual(['ip saddr @cnp.deny-b.ingress.0.peer.0 counter reject comment "cnp/deny-b ingress[0] Deny from[0]"']);
    expect(t.sets.find((s) => s.name === 'cnp.deny-b.subject')!.elements).toEqual([['10.244.1.3']]);
    expect(t.sets.find((s) => s.name === 'cnp.deny-b.ingress.0.peer.0')!.elements).toEqual([['10.244.1.2']]);
    // n1 has no pod of db: an empty subject set, the same chains.
    expect(policyTable(ctx([deny]), 'n1')!.sets.find((s) => s.name === 'cnp.deny-b.subject')!.elements).toEqual([]);
  });

  it('a pod relabelled into a peer is one set element, nothing else', () => {
    const relabelled = PODS.map((p) => (p.namespace === 'x' && p.name === 'a' ? { ...p, labels: { app: 'b' } } : p));
    const script = diffTable(policyTable(ctx([deny]), 'n2')!, policyTable(ctx([deny], relabelled), 'n2')!);
    expect(script).toBe('add element ip podlab-policy cnp.deny-b.ingress.0.peer.0 { 10.244.0.2 }\n');
  });

  it('without ClusterNetworkPolicies the table is the NetworkPolicy layout, with them a CNP alone makes a table', () => {
    expect(policyTable(ctx([]), 'n1')).toBeUndefined();
    expect(policyTable({ ...ctx([]), policies: [allowFromX] }, 'n1')!.chains.find((c) => c.name === 'forward')!.rules.at(-1)).toBe('goto ingress');
  });
});
