/** create-pod: create a deleted pod again (a new IP). */
import { createPod } from '../../runtime/pods.ts';
import { validatePodRef, type ScenarioAction } from './action.ts';

export const createPodAction: ScenarioAction<'create-pod'> = {
  action: 'create-pod',
  normalize: (a) => a,
  validate: validatePodRef,
  describe: (a) => `${a.action} ${a.pod}`,
  async run(ex, state, a) {
    const r = await createPod(ex, state, a.pod);
    return `${a.pod} created at ${r.ip}`;
  },
};
