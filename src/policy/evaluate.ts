/**
 * The reference evaluator: the NetworkPolicy API's semantics as a plain function, written from the
 * API documentation rather than from the nft compiler, so that each can check the other (the
 * property test in test/unit/policy-property.test.ts). Given the policies, the namespaces' labels
 * and one connection attempt (source, destination pod address after Service DNAT, protocol, port),
 * it says whether the first packet is allowed, and why, per direction:
 *
 * - a pod is isolated for a direction iff some policy selects it with that policyType; then only
 *   the union of the selecting policies' rules allows; a connection needs egress allowed at the
 *   source and ingress allowed at the destination (replies are then allowed: stateful);
 * - a pod reaching itself, and its own node (or a hostNetwork pod on it) reaching it, are allowed
 *   (the API leaves both to the implementation; upstream's e2e ignores the first, kube-router
 *   allows the second);
 * - hostNetwork pods are not subject to policy and are not chosen by pod selectors;
 * - ClusterNetworkPolicies (src/policy/cluster.ts) come in tiers, per direction: the Admin tier
 *   (by priority, then rule order: the first matching rule's Accept or Deny decides, Pass skips
 *   the rest of the tier), then the NetworkPolicies (for a pod they isolate, their decision is
 *   final), then the Baseline tier likewise, then the default: allowed.
 */
import { contains, parseAddr, parsePrefix } from '../net/addr.ts';
import { clusterPeerSelectsPod, clusterPoliciesFor, clusterRuleLabel, type ClusterNetworkPolicy, type ClusterPolicyPort, type ClusterPolicyRule, type ClusterTier } from './cluster.ts';
import { isolates, peerSelectsPod } from './selectors.ts';
import { policyKey, type NamespaceLabels, type NetworkPolicy, type PolicyDirection, type PolicyPeer, type PolicyPod, type PolicyPort } from './types.ts';

export interface PolicyWorld {
  policies: readonly NetworkPolicy[];
  namespaces: NamespaceLabels;
  /** ClusterNetworkPolicies of both tiers (none: the NetworkPolicy semantics alone). */
  clusterPolicies?: readonly ClusterNetworkPolicy[];
}

/** One end of a connection: a pod (with its current IP), a node, or any other address. */
export interface TrafficEnd {
  ip: string;
  pod?: PolicyPod;
  /** The node this end is, or runs on as hostNetwork: its own pods' ingress does not apply to it. */
  node?: string;
}

export interface Traffic {
  from: TrafficEnd;
  to: TrafficEnd;
  /** ICMP (a ping): no port; only rules without ports admit it, as in every CNI. */
  protocol: 'TCP' | 'UDP' | 'ICMP';
  /** The destination port (0 for ICMP). */
  port: number;
}

export interface DirectionVerdict {
  allowed: boolean;
  /** Why: 'not isolated', 'pod to itself', 'from its own node', 'allowed by <ns>/<policy> ingress[i]', 'isolated by …, no rule matched'. */
  reason: string;
  /** The policies that isolate the pod in this direction. */
  policies: string[];
  /** The first rule that allowed, if any. */
  rule?: { policy: string; index: number };
  /** The tier that decided: a ClusterNetworkPolicy tier, the NetworkPolicies, or the default (not isolated). */
  tier?: 'Admin' | 'NetworkPolicy' | 'Baseline' | 'default';
  /** The ClusterNetworkPolicy rule that decided (Accept or Deny). */
  cluster?: ClusterRuleRef;
  /** Pass rules that handed the decision on to the next tier, in order. */
  passed?: ClusterRuleRef[];
}

/** One rule of a ClusterNetworkPolicy, as explain and the why-message name it. */
export interface ClusterRuleRef {
  policy: string;
  tier: string;
  priority: number;
  index: number;
  action: string;
  name?: string;
  /** `cnp/<name> ingress[0] "rule name"` */
  label: string;
}

export interface Verdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

/** Whether an address is in a CIDR; either may be IPv4 or IPv6 (across families: never). */
const inCidr = (cidr: string, ip: string) => {
  const c = parsePrefix(cidr, false);
  const a = parseAddr(ip);
  return !!c && !!a && contains(c, a);
};

function peerMatches(peer: PolicyPeer, policy: NetworkPolicy, other: TrafficEnd, world: PolicyWorld): boolean {
  if (peer.ipBlock) return inCidr(peer.ipBlock.cidr, other.ip) && !peer.ipBlock.except.some((e) => inCidr(e, other.ip));
  return !!other.pod && peerSelectsPod(peer, policy.namespace, other.pod, world.namespaces);
}

/** The port a rule's port entry stands for on the destination pod (a name resolves through its container ports of that protocol). */
export function resolvePort(p: PolicyPort, dest: PolicyPod | undefined): number | undefined {
  if (typeof p.port !== 'string') return p.port;
  if (!dest || dest.hostNetwork) return undefined;
  for (const c of dest.containers) for (const q of c.ports) if (q.name === p.port && q.protocol === p.protocol) return q.containerPort;
  return undefined;
}

function portMatches(p: PolicyPort, t: Traffic): boolean {
  if (p.protocol !== t.protocol) return false;
  if (p.port === undefined) return true;
  const port = resolvePort(p, t.to.pod);
  if (port === undefined) return false;
  return typeof p.port === 'number' && p.endPort !== undefined ? t.port >= port && t.port <= p.endPort : t.port === port;
}

function clusterPortMatches(q: ClusterPolicyPort, t: Traffic): boolean {
  if ('invalid' in q) return false;
  if ('namedPort' in q) {
    const dest = t.to.pod;
    if (!dest || dest.hostNetwork) return false;
    return dest.containers.some((c) => c.ports.some((p) => p.name === q.namedPort && p.protocol === t.protocol && p.containerPort === t.port));
  }
  return q.protocol === t.protocol && t.port >= q.port && t.port <= (q.endPort ?? q.port);
}

function clusterRuleMatches(r: ClusterPolicyRule, other: TrafficEnd, t: Traffic, world: PolicyWorld): boolean {
  const peerOk = r.peers.some((peer) => (peer.networks ? peer.networks.some((n) => inCidr(n, other.ip)) : !!other.pod && clusterPeerSelectsPod(peer, other.pod, world.namespaces)));
  return peerOk && (!r.ports.length || r.ports.some((q) => clusterPortMatches(q, t)));
}

/** One ClusterNetworkPolicy tier for a pod in a direction: the first matching rule of the policies in order, or nothing. */
function clusterTier(world: PolicyWorld, tier: ClusterTier, dir: PolicyDirection, subject: PolicyPod, other: TrafficEnd, t: Traffic): ClusterRuleRef | undefined {
  for (const p of clusterPoliciesFor(world.clusterPolicies ?? [], tier, dir, subject, world.namespaces))
    for (const [index, r] of p[dir].entries())
      if (clusterRuleMatches(r, other, t, world))
        return { policy: p.name, tier: p.tier, priority: p.priority, index, action: r.action, ...(r.name !== undefined ? { name: r.name } : {}), label: clusterRuleLabel(p, dir, index) };
  return undefined;
}

const decidedBy = (ref: ClusterRuleRef, dir: PolicyDirection, policies: string[], passed: ClusterRuleRef[]): DirectionVerdict => {
  // Fail closed: an action validation would reject counts as Deny.
  const allowed = ref.action === 'Accept';
  return {
    allowed,
    reason: `${allowed ? 'accepted' : 'denied'} by ClusterNetworkPolicy ${ref.policy} (${ref.tier}, priority ${ref.priority}) ${dir}[${ref.index}]${ref.name ? ` "${ref.name}"` : ''}`,
    policies,
    tier: ref.tier as 'Admin' | 'Baseline',
    cluster: ref,
    ...(passed.length ? { passed } : {}),
  };
};

function direction(world: PolicyWorld, dir: PolicyDirection, subject: PolicyPod | undefined, other: TrafficEnd, t: Traffic): DirectionVerdict {
  const selecting = subject ? world.policies.filter((p) => isolates(p, dir, subject)) : [];
  const policies = selecting.map(policyKey);
  const passed: ClusterRuleRef[] = [];
  const after = (v: DirectionVerdict): DirectionVerdict => (passed.length ? { ...v, passed, reason: `${v.reason} (after ${passed.map((r) => `${r.label} passed`).join(', ')})` } : v);
  if (subject) {
    const admin = clusterTier(world, 'Admin', dir, subject, other, t);
    if (admin && admin.action !== 'Pass') return decidedBy(admin, dir, policies, passed);
    if (admin) passed.push(admin);
  }
  if (selecting.length) {
    for (const p of selecting)
      for (const [index, rule] of p[dir].entries()) {
        const peerOk = !rule.peers.length || rule.peers.some((peer) => peerMatches(peer, p, other, world));
        const portOk = !rule.ports.length || rule.ports.some((q) => portMatches(q, t));
        if (peerOk && portOk) return after({ allowed: true, reason: `allowed by ${policyKey(p)} ${dir}[${index}]`, policies, rule: { policy: policyKey(p), index }, tier: 'NetworkPolicy' });
      }
    return after({ allowed: false, reason: `isolated by ${policies.join(', ')}; no rule matched`, policies, tier: 'NetworkPolicy' });
  }
  if (subject) {
    const baseline = clusterTier(world, 'Baseline', dir, subject, other, t);
    if (baseline && baseline.action !== 'Pass') return decidedBy(baseline, dir, policies, passed);
    if (baseline) passed.push(baseline);
  }
  return after({ allowed: true, reason: 'not isolated', policies, ...(world.clusterPolicies?.length ? { tier: 'default' as const } : {}) });
}

/** Whether the first packet of a connection is allowed, with the reason per direction. */
export function evaluate(world: PolicyWorld, t: Traffic): Verdict {
  const src = t.from.pod && !t.from.pod.hostNetwork ? t.from.pod : undefined;
  const dst = t.to.pod && !t.to.pod.hostNetwork ? t.to.pod : undefined;
  if (src && dst && src.namespace === dst.namespace && src.name === dst.name) {
    const self: DirectionVerdict = { allowed: true, reason: 'pod to itself', policies: [] };
    return { allowed: true, egress: self, ingress: self };
  }
  const egress = direction(world, 'egress', src, t.to, t);
  const fromOwnNode = !!dst && !src && t.from.node === dst.node;
  const ingress = fromOwnNode ? { allowed: true, reason: 'from its own node', policies: [] } : direction(world, 'ingress', dst, t.from, t);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}

