/** crash-container: kill a container (SIGKILL, exit 137); the lab's agent restarts it in the same sandbox, same IP. */
import { diag } from '../../compile/diagnostics.ts';
import { didYouMean, podOf, type ScenarioAction } from './action.ts';
import { needsLoops } from './loops-common.ts';

export const crashContainerAction: ScenarioAction<'crash-container'> = {
  action: 'crash-container',
  normalize: (a) => a,
  validate(a, step, out) {
    needsLoops(step, out);
    const pod = podOf(a, step, out);
    if (pod && a.container !== undefined && !pod.containers.some((c) => c.name === a.container))
      out.push(diag('PL2029', step.at('container'), `${step.what}: pod "${a.pod}" has no container "${a.container}"`, didYouMean(a.container, pod.containers.map((c) => c.name))));
  },
  describe: (a) => `crash-container ${a.pod}${a.container ? `/${a.container}` : ''}`,
  async run(live, a) {
    const r = await live.crashContainer(a.pod, a.container);
    return `${a.pod}/${r.container}: pid ${r.pid} killed (SIGKILL) at ${r.ip ?? 'no IP'}`;
  },
};
