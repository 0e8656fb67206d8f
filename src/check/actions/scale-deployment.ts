/** scale-deployment: set a Deployment's replicas; the agent's ReplicaSet loop creates or deletes pods to match. */
import { diag } from '../../compile/diagnostics.ts';
import { didYouMean, type ScenarioAction } from './action.ts';
import { needsLoops } from './loops-common.ts';

export const scaleDeploymentAction: ScenarioAction<'scale-deployment'> = {
  action: 'scale-deployment',
  normalize: (a) => a,
  validate(a, step, out) {
    needsLoops(step, out);
    const names = (step.lab.deployments ?? []).map((d) => d.name);
    if (!names.includes(a.deployment)) out.push(diag('PL2029', step.at('deployment'), `${step.what}: the lab has no Deployment "${a.deployment}"`, didYouMean(a.deployment, names)));
  },
  describe: (a) => `scale-deployment ${a.deployment} to ${a.replicas}`,
  async run(live, a) {
    const r = await live.scaleDeployment(a.deployment, a.replicas);
    return `deployment/${a.deployment}: ${r.from} → ${a.replicas} replicas`;
  },
};
