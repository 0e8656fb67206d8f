/**
 * apply-policy: create a NetworkPolicy, or replace the one of the same namespace and name, as
 * `kubectl apply` would; every node's policy table follows (runtime/policies.ts). Its policy is
 * validated with the lab's own (compile/rules-policy.ts, which follows the scenario's steps).
 */
import { normalizePolicyAction } from '../../policy/normalize.ts';
import { describeNft, type ScenarioAction } from './action.ts';

export const applyPolicyAction: ScenarioAction<'apply-policy'> = {
  action: 'apply-policy',
  normalize: normalizePolicyAction,
  validate: () => {},
  describe: (a) => `apply-policy ${a.policy.namespace}/${a.name}`,
  async run(live, a) {
    const r = await live.applyPolicy(a.policy);
    return `NetworkPolicy ${a.policy.namespace}/${a.name} ${r.replaced ? 'replaced' : 'created'}; ${describeNft(r.applied)}`;
  },
};
