/** Small builders shared by the NetworkPolicy tests (policy.test.ts, cluster-policy.test.ts). */
import type { PolicyPod } from '../../src/policy/types.ts';

/** A pod as the policy code sees it: not hostNetwork, one container with `ports`. */
export const policyPod = (namespace: string, name: string, node: string, ip: string, labels: Record<string, string> = {}, ports: PolicyPod['containers'][number]['ports'] = []): PolicyPod => ({
  namespace,
  name,
  node,
  ip,
  labels,
  hostNetwork: false,
  containers: [{ ports }],
});
