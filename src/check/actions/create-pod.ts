/** create-pod: create a deleted pod again (a new IP). */
import { validatePodRef, type ScenarioAction } from './action.ts';

export const createPodAction: ScenarioAction<'create-pod'> = {
  action: 'create-pod',
  normalize: (a) => a,
  validate: validatePodRef,
  describe: (a) => `${a.action} ${a.pod}`,
  async run(live, a) {
    const r = await live.createPod(a.pod);
    return `${a.pod} created at ${r.ip}`;
  },
};
