/**
 * The lab language for NetworkPolicy: the `networking.k8s.io/v1` NetworkPolicy spec, as an author
 * writes it in a lab (structure only). What the API server would reject beyond structure (selector
 * operators, CIDRs, `except` inside `cidr`, endPort, policyTypes, SCTP) is checked by the rules in
 * compile/rules-policy.ts, each with a code and the line it was written at.
 */
import { z } from 'zod';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const name = z
  .string()
  .max(63, { message: 'must be at most 63 characters (a DNS-1123 label)' })
  .regex(DNS1123_LABEL, { message: "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit" });

/** One requirement of a label selector: `key In [a, b]`, `key NotIn [a]`, `key Exists`, `key DoesNotExist`. */
export const labelSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  /** 'In', 'NotIn', 'Exists' or 'DoesNotExist'. */
  operator: z.string(),
  /** Non-empty for In and NotIn; empty (or absent) for Exists and DoesNotExist. */
  values: z.array(z.string()).optional(),
});

/** A Kubernetes label selector: every matchLabels pair and every expression must hold. `{}` selects everything. */
export const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(labelSelectorRequirementSchema).optional(),
});

/** An address range a peer may be in: `cidr` minus every `except` (each inside `cidr`). */
export const ipBlockSchema = z.strictObject({
  /** An IPv4 CIDR, e.g. '10.244.0.0/16'. */
  cidr: z.string(),
  /** CIDRs inside `cidr` that are not part of the block. */
  except: z.array(z.string()).optional(),
});

/**
 * Who a rule allows: pods chosen by `podSelector` (in the policy's namespace) and/or
 * `namespaceSelector` (all pods of the chosen namespaces; with a podSelector both must hold: AND),
 * or an `ipBlock` (alone). Several peers in a rule: any of them (OR).
 */
export const policyPeerSchema = z.strictObject({
  podSelector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
  ipBlock: ipBlockSchema.optional(),
});

/** A destination port (or range) a rule allows. */
export const policyPortSchema = z.strictObject({
  /** 'TCP', 'UDP' (or 'SCTP', which this kernel cannot filter: a coded error). @default 'TCP' */
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  /** A number, or the name of a container port of the destination pod (resolved per pod). Absent: every port of the protocol. */
  port: z.union([z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be between 1 and 65535' }).max(65535, { message: 'must be between 1 and 65535' }), z.string()]).optional(),
  /** With a numeric `port`: the last port of an inclusive range `port`–`endPort`. */
  endPort: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be between 1 and 65535' }).max(65535, { message: 'must be between 1 and 65535' }).optional(),
});

export const ingressRuleSchema = z.strictObject({
  /** Sources; absent or empty: every source. */
  from: z.array(policyPeerSchema).optional(),
  /** Ports; absent or empty: every port and protocol. */
  ports: z.array(policyPortSchema).optional(),
});

export const egressRuleSchema = z.strictObject({
  /** Destinations; absent or empty: every destination. */
  to: z.array(policyPeerSchema).optional(),
  /** Ports; absent or empty: every port and protocol. */
  ports: z.array(policyPortSchema).optional(),
});

/**
 * A NetworkPolicy (networking.k8s.io/v1), keyed by its name in the lab's `networkPolicies`.
 * The pods it selects become isolated for each of its policyTypes: only what some selecting
 * policy's rules allow still gets through (and replies to it).
 */
export const networkPolicySchema = z.strictObject({
  /** @default 'default' */
  namespace: name.optional(),
  /** The pods (of the policy's namespace) it applies to; `{}` selects every pod of the namespace. */
  podSelector: labelSelectorSchema,
  /** 'Ingress' and/or 'Egress'. @default ['Ingress'], plus 'Egress' when `egress` is given (the API's defaulting) */
  policyTypes: z.array(z.string()).optional(),
  /** Allowed incoming traffic; absent or [] with Ingress in policyTypes: nothing is allowed in. */
  ingress: z.array(ingressRuleSchema).optional(),
  /** Allowed outgoing traffic; absent or [] with Egress in policyTypes: nothing is allowed out. */
  egress: z.array(egressRuleSchema).optional(),
});

/** A Kubernetes namespace with labels (`kubernetes.io/metadata.name` is always set to its name). */
export const namespaceSchema = z.strictObject({
  name,
  labels: z.record(z.string(), z.string()).optional(),
});

/** Scenario actions for policies: apply one (create or replace by namespace/name), delete one, relabel a pod. */
export const policyActionSchemas = [
  /** Create a NetworkPolicy, or replace the one of the same namespace and name; every node's rules follow. */
  z.strictObject({ action: z.literal('apply-policy'), name, policy: networkPolicySchema }),
  /** Delete a NetworkPolicy; every node's rules follow. */
  z.strictObject({ action: z.literal('delete-policy'), name, /** @default 'default' */ namespace: name.optional() }),
  /**
   * Change a running pod's labels, as `kubectl label pod` does: each given label is set, or
   * removed when its value is null. Policies that select the pod (as subject or peer) and Services
   * whose selector it matches follow at once; the pod keeps its sandbox and IP.
   */
  z.strictObject({ action: z.literal('label-pod'), pod: z.string(), labels: z.record(z.string(), z.string().nullable()) }),
] as const;

export type LabelSelectorSpec = z.input<typeof labelSelectorSchema>;
export type NetworkPolicySpec = z.input<typeof networkPolicySchema>;
export type PolicyPeerSpec = z.input<typeof policyPeerSchema>;
export type PolicyPortSpec = z.input<typeof policyPortSchema>;
export type NamespaceSpec = z.input<typeof namespaceSchema>;
