/**
 * The plan's NetworkPolicy part: the lab's policies and namespace labels, carried as they are
 * (already resolved) so that render, the runtime's table sync and the scenario actions read one
 * object. Present only when the lab has policies, a scenario applies one, or it asks for rejects
 * (`policyDenyAction: 'Reject'`), so that the plan of a lab without policies is the same as before
 * policies existed.
 */
import type { Lab } from '../compile/lab.ts';
import type { ClusterNetworkPolicy } from '../policy/cluster.ts';
import type { NamespaceLabels, NetworkPolicy } from '../policy/types.ts';

export interface PlanNetworkPolicy {
  /** Namespace labels as written (the name label is added where they are read). */
  namespaces: NamespaceLabels;
  /** The policies in force when the lab comes up. */
  policies: NetworkPolicy[];
  /** The lab's ClusterNetworkPolicies, both tiers (absent when it has none). */
  clusterPolicies?: ClusterNetworkPolicy[];
  /** What the rules do to a packet no rule allows, or a Deny rule matches: drop it, or reject it (ICMP port unreachable). */
  denyAction: 'drop' | 'reject';
}

/** What a lab's policies do to a packet they deny: its own choice, else drop (a plan without policies drops those applied later). */
export const denyActionOf = (plan: { networkPolicy?: Pick<PlanNetworkPolicy, 'denyAction'> }): 'drop' | 'reject' => plan.networkPolicy?.denyAction ?? 'drop';

export function planNetworkPolicy(lab: Lab): PlanNetworkPolicy | undefined {
  const scenarioPolicies = lab.scenarios.some((sc) => sc.steps.some((st) => st.action?.action === 'apply-policy' || st.action?.action === 'delete-policy'));
  // A lab that asks for rejects keeps them for policies applied while it runs (podlab policy apply, kubectl).
  if (!lab.networkPolicies.length && !lab.clusterNetworkPolicies.length && !scenarioPolicies && lab.policyDenyAction === 'Drop') return undefined;
  return { namespaces: lab.namespaceLabels, policies: lab.networkPolicies, ...(lab.clusterNetworkPolicies.length ? { clusterPolicies: lab.clusterNetworkPolicies } : {}), denyAction: lab.policyDenyAction === 'Reject' ? 'reject' : 'drop' };
}
