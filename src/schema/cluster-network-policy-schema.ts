/**
 * The lab language for ClusterNetworkPolicy: the sig-network `policy.networking.k8s.io`
 * ClusterNetworkPolicy spec (kubernetes-sigs/network-policy-api, apis/v1alpha2; formerly
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy), as an author writes it in a lab (structure
 * only). What the CRD's validation would reject beyond structure (a tier or action that is not
 * one of the API's, priority outside 0–1000, "exactly one of" subjects, peers and ports, CIDRs,
 * port ranges), and what podlab does not implement (the experimental `nodes` and `domainNames`
 * peers, SCTP) are checked by compile/rules-cluster-policy.ts, each with a code and its line.
 */
import { z } from 'zod';
import { labelSelectorSchema } from './network-policy-schema.ts';

/** Pods chosen by namespace AND pod: `namespaceSelector` `{}` (or absent) is every namespace. */
export const namespacedPodSchema = z.strictObject({
  /** The namespaces the pods are in; empty or absent: every namespace. */
  namespaceSelector: labelSelectorSchema.optional(),
  /** The pods within those namespaces; `{}` selects every pod. */
  podSelector: labelSelectorSchema,
});

/** The pods a ClusterNetworkPolicy applies to: exactly one of `namespaces` or `pods`. hostNetwork pods are never subjects. */
export const clusterPolicySubjectSchema = z.strictObject({
  /** Every pod of the namespaces this selects. */
  namespaces: labelSelectorSchema.optional(),
  /** Pods by namespace AND pod selector. */
  pods: namespacedPodSchema.optional(),
});

/** A destination port: exactly one of `number` or `range` (inclusive, start < end). */
export const clusterPolicyPortSchema = z.strictObject({
  number: z.number().int({ message: 'must be a whole number' }).optional(),
  range: z.strictObject({ start: z.number().int({ message: 'must be a whole number' }), end: z.number().int({ message: 'must be a whole number' }) }).optional(),
});

const protocolMatch = z.strictObject({
  /** The destination port (or range) of the protocol. */
  destinationPort: clusterPolicyPortSchema,
});

/** What a rule matches beyond its peers: exactly one of `tcp`, `udp` (`sctp`: this kernel has none) or `destinationNamedPort`. */
export const clusterPolicyProtocolSchema = z.strictObject({
  tcp: protocolMatch.optional(),
  udp: protocolMatch.optional(),
  sctp: protocolMatch.optional(),
  /** The name of a container port of the destination pod (its protocol and number, resolved per pod). */
  destinationNamedPort: z.string().optional(),
});

/** A source of an ingress rule: exactly one of `namespaces` or `pods`. */
export const clusterPolicyIngressPeerSchema = z.strictObject({
  namespaces: labelSelectorSchema.optional(),
  pods: namespacedPodSchema.optional(),
});

/** A destination of an egress rule: exactly one of `namespaces`, `pods` or `networks` (`nodes` and `domainNames` are experimental upstream and not implemented). */
export const clusterPolicyEgressPeerSchema = z.strictObject({
  namespaces: labelSelectorSchema.optional(),
  pods: namespacedPodSchema.optional(),
  /** IPv4 CIDRs (at most 25); note that pod addresses are in them too: `0.0.0.0/0` matches pod-to-pod traffic. */
  networks: z.array(z.string()).optional(),
  /** Experimental upstream; podlab rejects it with a coded error. */
  nodes: labelSelectorSchema.optional(),
  /** Experimental upstream; podlab rejects it with a coded error. */
  domainNames: z.array(z.string()).optional(),
});

const ruleFields = {
  /** A name for the rule (≤ 100 characters), shown by `podlab explain` and the rule's nft comment. */
  name: z.string().optional(),
  /** 'Accept', 'Deny' or 'Pass' (skip the rest of this tier: Admin → NetworkPolicy, Baseline → the default, allow). */
  action: z.string(),
  /** What it matches beyond the peers; absent: every protocol and port. */
  protocols: z.array(clusterPolicyProtocolSchema).optional(),
};

export const clusterPolicyIngressRuleSchema = z.strictObject({
  ...ruleFields,
  /** Sources (at least one): any of them. */
  from: z.array(clusterPolicyIngressPeerSchema),
});

export const clusterPolicyEgressRuleSchema = z.strictObject({
  ...ruleFields,
  /** Destinations (at least one): any of them. */
  to: z.array(clusterPolicyEgressPeerSchema),
});

/**
 * A ClusterNetworkPolicy, keyed by its name in the lab's `clusterNetworkPolicies` (cluster-scoped:
 * no namespace). Evaluated per direction: Admin tier (by priority, then rule order) → the
 * NetworkPolicies → Baseline tier → allow; the first Accept or Deny decides, Pass hands on to the
 * next tier.
 */
export const clusterNetworkPolicySchema = z.strictObject({
  /** 'Admin' (before NetworkPolicies: cannot be overridden) or 'Baseline' (after them: the default a NetworkPolicy can override). */
  tier: z.string(),
  /** 0–1000; lower is evaluated first within the tier (equal priorities: podlab goes by name; the API leaves it undefined). */
  priority: z.number().int({ message: 'must be a whole number' }),
  /** The pods it applies to. */
  subject: clusterPolicySubjectSchema,
  /** Rules for traffic into the subject pods, in order of precedence (at most 25). */
  ingress: z.array(clusterPolicyIngressRuleSchema).optional(),
  /** Rules for traffic out of the subject pods, in order of precedence (at most 25). */
  egress: z.array(clusterPolicyEgressRuleSchema).optional(),
});

export type ClusterNetworkPolicySpec = z.input<typeof clusterNetworkPolicySchema>;
export type ClusterPolicyEgressPeerSpec = z.input<typeof clusterPolicyEgressPeerSchema>;
export type ClusterPolicyProtocolSpec = z.input<typeof clusterPolicyProtocolSchema>;
