/**
 * NetworkPolicy as the rest of podlab reads it: resolved (every default of the API filled in,
 * `policyTypes` defaulted as the API server does), plain JSON, the same in the Lab, the Plan and
 * the live state. Pure types and the normalization from the authoring form; no decisions here.
 */
import type { LabelSelectorSpec, NetworkPolicySpec, PolicyPeerSpec, PolicyPortSpec } from '../schema/network-policy-schema.ts';

/** The label every namespace carries, set by the API server (immutable). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface LabelSelector {
  matchLabels: Record<string, string>;
  /** Operators other than In, NotIn, Exists and DoesNotExist are rejected by validation. */
  matchExpressions: { key: string; operator: string; values: string[] }[];
}

/** One peer of a rule as written; validation ensures ipBlock stands alone. */
export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except: string[] };
}

export interface PolicyPort {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Absent: every port of the protocol. A string is a named container port of the destination pod. */
  port?: number | string;
  endPort?: number;
}

/** One ingress or egress rule: `peers` empty means every peer, `ports` empty every port. */
export interface PolicyRule {
  peers: PolicyPeer[];
  ports: PolicyPort[];
}

export type PolicyDirection = 'ingress' | 'egress';

export interface NetworkPolicy {
  name: string;
  namespace: string;
  podSelector: LabelSelector;
  /** As defaulted by the API server: ['Ingress'] plus 'Egress' when egress rules are given. Validation rejects anything but these two. */
  policyTypes: string[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

/** What policy decisions need of the lab: namespaces' labels. */
export type NamespaceLabels = Record<string, Record<string, string>>;

/** What policy decisions need of a pod. */
export interface PolicyPod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  node: string;
  hostNetwork: boolean;
  /** Its current address; a pod without one (not running) is in no set. */
  ip?: string;
  /** Every address, one per family, primary first (dual stack: the IPv6 policy table reads the IPv6 one). */
  ips?: string[];
  containers: { ports: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP' }[] }[];
}

export function normalizeSelector(s: LabelSelectorSpec | undefined): LabelSelector {
  return {
    matchLabels: s?.matchLabels ?? {},
    matchExpressions: (s?.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? [] })),
  };
}

function normalizePeer(p: PolicyPeerSpec): PolicyPeer {
  return {
    ...(p.podSelector ? { podSelector: normalizeSelector(p.podSelector) } : {}),
    ...(p.namespaceSelector ? { namespaceSelector: normalizeSelector(p.namespaceSelector) } : {}),
    ...(p.ipBlock ? { ipBlock: { cidr: p.ipBlock.cidr, except: p.ipBlock.except ?? [] } } : {}),
  };
}

/** Fills the API's defaults: namespace 'default', protocol TCP, policyTypes ['Ingress'] (+ 'Egress' with egress rules). */
export function normalizePolicy(name: string, p: NetworkPolicySpec): NetworkPolicy {
  const rule = (peers: PolicyPeerSpec[] | undefined, ports: PolicyPortSpec[] | undefined) => ({
    peers: (peers ?? []).map(normalizePeer),
    ports: (ports ?? []).map((q) => ({ protocol: q.protocol ?? 'TCP', ...(q.port !== undefined ? { port: q.port } : {}), ...(q.endPort !== undefined ? { endPort: q.endPort } : {}) })),
  });
  return {
    name,
    namespace: p.namespace ?? 'default',
    podSelector: normalizeSelector(p.podSelector),
    policyTypes: p.policyTypes ?? ['Ingress', ...((p.egress?.length ?? 0) > 0 ? ['Egress'] : [])],
    ingress: (p.ingress ?? []).map((r) => rule(r.from, r.ports)),
    egress: (p.egress ?? []).map((r) => rule(r.to, r.ports)),
  };
}

export const policyKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
