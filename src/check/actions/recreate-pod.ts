/** recreate-pod: delete the pod and create it again, as a ReplicaSet does: a new sandbox and a new IP. */
import { recreatePod } from '../../runtime/pods.ts';
import { validatePodRef, type ScenarioAction } from './action.ts';

export const recreatePodAction: ScenarioAction<'recreate-pod'> = {
  action: 'recreate-pod',
  normalize: (a) => a,
  validate: validatePodRef,
  describe: (a) => `${a.action} ${a.pod}`,
  async run(ex, state, a) {
    const r = await recreatePod(ex, state, a.pod);
    return `${a.pod}: ${r.oldIp ?? '(not running)'} → ${r.ip}`;
  },
};
