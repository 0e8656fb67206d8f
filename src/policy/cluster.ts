/**
 * ClusterNetworkPolicy as the rest of podlab reads it: resolved from the authoring form (one port
 * shape, selectors normalized, every list present), plain JSON, the same in the Lab and the Plan;
 * and which pods a policy's subject and peers choose. The semantics follow the sig-network API
 * (kubernetes-sigs/network-policy-api, apis/v1alpha2/clusternetworkpolicy_types.go):
 *
 * - tiers Admin and Baseline; within a tier lower `priority` first (equal priorities: the API
 *   leaves the order undefined, podlab takes the policies' names in order), rules in written order;
 * - a subject is `namespaces` (every pod of them) or `pods` (namespace AND pod selector);
 *   hostNetwork pods are never subjects nor pod peers;
 * - a rule's peers: any of them; `protocols` absent: any protocol and port;
 * - actions Accept, Deny, Pass (Pass: skip the rest of this tier). The API allows Pass in the
 *   Baseline tier too; there the next tier is the default, allow.
 */
import type { ClusterNetworkPolicySpec, ClusterPolicyProtocolSpec } from '../schema/cluster-network-policy-schema.ts';
import { matchesSelector, namespaceLabelsOf } from './selectors.ts';
import { normalizeSelector, type LabelSelector, type NamespaceLabels, type PolicyDirection, type PolicyPod } from './types.ts';
import { compareText } from '../lib/order.ts';

export const CLUSTER_TIERS = ['Admin', 'Baseline'] as const;
export const CLUSTER_ACTIONS = ['Accept', 'Deny', 'Pass'] as const;
export type ClusterTier = (typeof CLUSTER_TIERS)[number];
export type ClusterAction = (typeof CLUSTER_ACTIONS)[number];

/** Pods by namespace AND pod selector. */
export interface NamespacedPod {
  namespaceSelector: LabelSelector;
  podSelector: LabelSelector;
}

/** One peer; validation ensures exactly one field is set (`networks` only in egress rules). */
export interface ClusterPolicyPeer {
  namespaces?: LabelSelector;
  pods?: NamespacedPod;
  networks?: string[];
  /** Peer kinds written that podlab does not implement (experimental upstream); validation rejects them. */
  unsupported?: string[];
}

/** A destination port match: a number or inclusive range of one protocol, or a named container port of the destination pod. */
export type ClusterPolicyPort =
  | { protocol: 'TCP' | 'UDP' | 'SCTP'; port: number; endPort?: number }
  | { namedPort: string }
  /** Not "exactly one of": what was written instead (validation rejects it; nothing matches it). */
  | { invalid: string; field?: string };

export interface ClusterPolicyRule {
  name?: string;
  /** Validation rejects anything but Accept, Deny and Pass; the evaluator fails closed (Deny) on others. */
  action: string;
  peers: ClusterPolicyPeer[];
  /** Empty: any protocol and port. */
  ports: ClusterPolicyPort[];
}

export interface ClusterNetworkPolicy {
  name: string;
  /** Validation rejects anything but Admin and Baseline. */
  tier: string;
  priority: number;
  subject: { namespaces?: LabelSelector; pods?: NamespacedPod };
  ingress: ClusterPolicyRule[];
  egress: ClusterPolicyRule[];
}

const namespacedPod = (p: { namespaceSelector?: Parameters<typeof normalizeSelector>[0]; podSelector: Parameters<typeof normalizeSelector>[0] }): NamespacedPod => ({
  namespaceSelector: normalizeSelector(p.namespaceSelector),
  podSelector: normalizeSelector(p.podSelector),
});

const PROTOCOL_KEYS = [['tcp', 'TCP'], ['udp', 'UDP'], ['sctp', 'SCTP']] as const;

function normalizePort(q: ClusterPolicyProtocolSpec): ClusterPolicyPort {
  const given = [...PROTOCOL_KEYS.map(([k]) => k).filter((k) => q[k] !== undefined), ...(q.destinationNamedPort !== undefined ? ['destinationNamedPort'] : [])];
  if (given.length !== 1) return { invalid: given.length ? `sets ${given.join(' and ')}` : 'sets none of tcp, udp, destinationNamedPort' };
  if (q.destinationNamedPort !== undefined) return { namedPort: q.destinationNamedPort };
  const [key, protocol] = PROTOCOL_KEYS.find(([k]) => q[k] !== undefined)!;
  const d = q[key]!.destinationPort;
  if ((d.number === undefined) === (d.range === undefined)) return { invalid: d.number === undefined ? 'its destinationPort sets neither number nor range' : 'its destinationPort sets both number and range', field: `${key}.destinationPort` };
  return d.range ? { protocol, port: d.range.start, endPort: d.range.end } : { protocol, port: d.number! };
}

/** The resolved form; validation (compile/rules-cluster-policy.ts) reads the spec for "exactly one of" problems, so nothing is lost here that it needs. */
export function normalizeClusterPolicy(name: string, p: ClusterNetworkPolicySpec): ClusterNetworkPolicy {
  type PeerSpec = { namespaces?: Parameters<typeof normalizeSelector>[0]; pods?: Parameters<typeof namespacedPod>[0]; networks?: string[]; nodes?: unknown; domainNames?: unknown };
  const peer = (x: PeerSpec): ClusterPolicyPeer => {
    const unsupported = (['nodes', 'domainNames'] as const).filter((k) => x[k] !== undefined);
    return {
      ...(x.namespaces ? { namespaces: normalizeSelector(x.namespaces) } : {}),
      ...(x.pods ? { pods: namespacedPod(x.pods) } : {}),
      ...(x.networks ? { networks: x.networks } : {}),
      ...(unsupported.length ? { unsupported } : {}),
    };
  };
  const rule = (r: { name?: string; action: string; protocols?: ClusterPolicyProtocolSpec[] }, peers: PeerSpec[]): ClusterPolicyRule => ({
    ...(r.name !== undefined ? { name: r.name } : {}),
    action: r.action,
    peers: peers.map(peer),
    ports: (r.protocols ?? []).map(normalizePort),
  });
  return {
    name,
    tier: p.tier,
    priority: p.priority,
    subject: {
      ...(p.subject.namespaces ? { namespaces: normalizeSelector(p.subject.namespaces) } : {}),
      ...(p.subject.pods ? { pods: namespacedPod(p.subject.pods) } : {}),
    },
    ingress: (p.ingress ?? []).map((r) => rule(r, r.from)),
    egress: (p.egress ?? []).map((r) => rule(r, r.to)),
  };
}

const podOf = (sel: NamespacedPod, pod: PolicyPod, namespaces: NamespaceLabels) =>
  matchesSelector(sel.namespaceSelector, namespaceLabelsOf(namespaces, pod.namespace)) && matchesSelector(sel.podSelector, pod.labels);

/** Whether a policy applies to a pod (hostNetwork pods never; a subject with neither field selects nothing: fail closed). */
export function clusterSubjectSelects(p: ClusterNetworkPolicy, pod: PolicyPod, namespaces: NamespaceLabels): boolean {
  if (pod.hostNetwork) return false;
  if (p.subject.namespaces) return matchesSelector(p.subject.namespaces, namespaceLabelsOf(namespaces, pod.namespace));
  if (p.subject.pods) return podOf(p.subject.pods, pod, namespaces);
  return false;
}

/** Whether a pod is one of a peer's (namespaces or pods; a networks peer chooses addresses, not pods). */
export function clusterPeerSelectsPod(peer: ClusterPolicyPeer, pod: PolicyPod, namespaces: NamespaceLabels): boolean {
  if (pod.hostNetwork) return false;
  if (peer.namespaces) return matchesSelector(peer.namespaces, namespaceLabelsOf(namespaces, pod.namespace));
  if (peer.pods) return podOf(peer.pods, pod, namespaces);
  return false;
}

/** A tier's policies in evaluation order: priority, then name. */
export function inTierOrder(policies: readonly ClusterNetworkPolicy[], tier: ClusterTier): ClusterNetworkPolicy[] {
  return policies.filter((p) => p.tier === tier).sort((a, b) => a.priority - b.priority || compareText(a.name, b.name));
}

/** The policies of a tier that apply to a pod in a direction (those with rules for it), in evaluation order. */
export function clusterPoliciesFor(policies: readonly ClusterNetworkPolicy[], tier: ClusterTier, dir: PolicyDirection, pod: PolicyPod, namespaces: NamespaceLabels): ClusterNetworkPolicy[] {
  return inTierOrder(policies, tier).filter((p) => p[dir].length > 0 && clusterSubjectSelects(p, pod, namespaces));
}

/** How a rule is named to a person: `cnp/deny-db ingress[0] "no-db"`. */
export function clusterRuleLabel(p: ClusterNetworkPolicy, dir: PolicyDirection, index: number): string {
  const r = p[dir][index]!;
  return `cnp/${p.name} ${dir}[${index}]${r.name ? ` "${r.name}"` : ''}`;
}
