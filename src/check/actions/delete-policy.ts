/**
 * delete-policy: delete a NetworkPolicy; every node's policy table follows. That the policy
 * exists at that step is checked by compile/rules-policy.ts (PL2110), which follows the steps.
 */
import { describeNft, type ScenarioAction } from './action.ts';

export const deletePolicyAction: ScenarioAction<'delete-policy'> = {
  action: 'delete-policy',
  normalize: (a) => a,
  validate: () => {},
  describe: (a) => `delete-policy ${a.namespace ?? 'default'}/${a.name}`,
  async run(live, a) {
    const r = await live.deletePolicy(a.namespace ?? 'default', a.name);
    return `NetworkPolicy ${a.namespace ?? 'default'}/${a.name} deleted; ${describeNft(r.applied)}`;
  },
};
