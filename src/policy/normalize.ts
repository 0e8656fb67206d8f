/**
 * Normalization of the policy parts of a lab: namespaces with labels (written as a name or as
 * { name, labels }), and the apply-policy scenario action (its policy resolved like the lab's).
 */
import type { NamespaceSpec, NetworkPolicySpec } from '../schema/network-policy-schema.ts';
import { normalizePolicy, type NamespaceLabels, type NetworkPolicy } from './types.ts';

export interface PolicyAction {
  action: 'apply-policy';
  name: string;
  policy: NetworkPolicy;
}

/** 'default' and 'kube-system' always exist; the order is the author's, after those two. */
export function normalizeNamespaces(spec: (string | NamespaceSpec)[] | undefined): { namespaces: string[]; namespaceLabels: NamespaceLabels } {
  const namespaceLabels: NamespaceLabels = {};
  const names = (spec ?? []).map((n) => {
    if (typeof n === 'string') return n;
    if (n.labels && Object.keys(n.labels).length) namespaceLabels[n.name] = { ...namespaceLabels[n.name], ...n.labels };
    return n.name;
  });
  return { namespaces: [...new Set(['default', 'kube-system', ...names])], namespaceLabels };
}

export function normalizePolicyAction(a: { action: 'apply-policy'; name: string; policy: NetworkPolicySpec }): PolicyAction {
  return { action: 'apply-policy', name: a.name, policy: normalizePolicy(a.name, a.policy) };
}
