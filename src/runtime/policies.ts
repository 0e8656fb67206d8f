/**
 * NetworkPolicies of a live lab changing, as `kubectl apply -f policy.yaml` and `kubectl delete
 * networkpolicy` would change them: the state records the policies in force, and every node's
 * policy table follows in one nft transaction per node (only the chains and sets that differ).
 */
import { policyKey, type NetworkPolicy } from '../policy/types.ts';
import type { Executor } from './exec.ts';
import { syncServices, type SyncReport } from './services.ts';
import { writeState, type LabState } from './state.ts';
import { RuntimeError } from './errors.ts';

export class PolicyError extends RuntimeError {}

export function livePolicies(state: LabState): NetworkPolicy[] {
  return state.policies ?? state.plan.networkPolicy?.policies ?? [];
}

/** Creates the policy, or replaces the one with its namespace and name. */
export async function applyPolicy(ex: Executor, state: LabState, policy: NetworkPolicy): Promise<{ replaced: boolean; sync: SyncReport }> {
  const current = livePolicies(state);
  const replaced = current.some((p) => policyKey(p) === policyKey(policy));
  state.policies = [...current.filter((p) => policyKey(p) !== policyKey(policy)), policy];
  writeState(state);
  const sync = await syncServices(ex, state);
  writeState(state);
  return { replaced, sync };
}

export async function deletePolicy(ex: Executor, state: LabState, namespace: string, name: string): Promise<SyncReport> {
  const current = livePolicies(state);
  const key = `${namespace}/${name}`;
  if (!current.some((p) => policyKey(p) === key))
    throw new PolicyError('PL3044', `lab "${state.lab}" has no NetworkPolicy "${key}"; policies: ${current.map(policyKey).join(', ') || '(none)'}`);
  state.policies = current.filter((p) => policyKey(p) !== key);
  writeState(state);
  const sync = await syncServices(ex, state);
  writeState(state);
  return sync;
}

/** The lab's pods as a refusal lists them (PL3030 of exec, pod and label alike): `namespace/name, …`. */
export const podList = (state: Pick<LabState, 'plan'>): string => state.plan.pods.map((p) => `${p.namespace}/${p.name}`).join(', ');

/** Sets (or, with null, removes) labels of a pod; its policies and Services follow in one sync. */
export async function labelPod(ex: Executor, state: LabState, name: string, labels: Record<string, string | null>): Promise<{ before: Record<string, string>; after: Record<string, string>; sync: SyncReport }> {
  const pod = state.plan.pods.find((p) => p.name === name);
  if (!pod) throw new PolicyError('PL3030', `lab "${state.lab}" has no pod "${name}"; pods: ${podList(state)}`);
  const after = { ...pod.labels };
  for (const [k, v] of Object.entries(labels)) {
    if (v === null) delete after[k];
    else after[k] = v;
  }
  // A plan is never changed in place (state.ts serializes each plan once): a new one replaces it.
  state.plan = { ...state.plan, pods: state.plan.pods.map((p) => (p === pod ? { ...p, labels: after } : p)) };
  writeState(state);
  const sync = await syncServices(ex, state);
  writeState(state);
  return { before: pod.labels, after, sync };
}
