/** delete-pod: the pod's containers stop and its sandbox and address go. */
import { validatePodRef, type ScenarioAction } from './action.ts';

export const deletePodAction: ScenarioAction<'delete-pod'> = {
  action: 'delete-pod',
  normalize: (a) => a,
  validate: validatePodRef,
  describe: (a) => `${a.action} ${a.pod}`,
  async run(live, a) {
    await live.deletePod(a.pod);
    return `${a.pod} deleted`;
  },
};
