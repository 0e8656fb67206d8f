/** delete-pod: the pod's containers stop and its sandbox and address go. */
import { deletePod } from '../../runtime/pods.ts';
import { validatePodRef, type ScenarioAction } from './action.ts';

export const deletePodAction: ScenarioAction<'delete-pod'> = {
  action: 'delete-pod',
  normalize: (a) => a,
  validate: validatePodRef,
  describe: (a) => `${a.action} ${a.pod}`,
  async run(ex, state, a) {
    await deletePod(ex, state, a.pod);
    return `${a.pod} deleted`;
  },
};
