/** restart-container: stop one container and start it again; the pod keeps its sandbox and its IP. */
import { diag } from '../../compile/diagnostics.ts';
import { didYouMean, podOf, type ScenarioAction } from './action.ts';

export const restartContainerAction: ScenarioAction<'restart-container'> = {
  action: 'restart-container',
  normalize: (a) => a,
  validate(a, step, out) {
    const pod = podOf(a, step, out);
    if (pod && !pod.containers.some((c) => c.name === a.container))
      out.push(diag('PL2029', step.at('container'), `${step.what}: pod "${a.pod}" has no container "${a.container}"`, didYouMean(a.container, pod.containers.map((c) => c.name))));
  },
  describe: (a) => `restart-container ${a.pod}/${a.container}`,
  async run(live, a) {
    const r = await live.restartContainer(a.pod, a.container);
    return `${a.pod}/${a.container}: pid ${r.pidBefore} → ${r.pid}, IP ${r.ip} kept`;
  },
};
