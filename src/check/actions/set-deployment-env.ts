/** set-deployment-env: environment variables on a Deployment's pod template; the agent rolls the new template out. */
import { diag } from '../../compile/diagnostics.ts';
import { didYouMean, type ScenarioAction } from './action.ts';
import { needsLoops } from './loops-common.ts';

export const setDeploymentEnvAction: ScenarioAction<'set-deployment-env'> = {
  action: 'set-deployment-env',
  normalize: (a) => a,
  validate(a, step, out) {
    needsLoops(step, out);
    const names = (step.lab.deployments ?? []).map((d) => d.name);
    if (!names.includes(a.deployment)) out.push(diag('PL2029', step.at('deployment'), `${step.what}: the lab has no Deployment "${a.deployment}"`, didYouMean(a.deployment, names)));
  },
  describe: (a) => `set-deployment-env ${a.deployment} ${Object.entries(a.env).map(([k, v]) => `${k}=${v}`).join(' ')}`,
  async run(live, a) {
    await live.setDeploymentEnv(a.deployment, a.env);
    return `deployment/${a.deployment}: template env ${Object.entries(a.env).map(([k, v]) => `${k}=${v}`).join(' ')}, rolling out`;
  },
};
