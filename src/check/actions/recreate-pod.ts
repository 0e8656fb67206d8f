/** recreate-pod: delete the pod and create it again, as a ReplicaSet does: a new sandbox and a new IP. */
import { validatePodRef, type ScenarioAction } from './action.ts';

export const recreatePodAction: ScenarioAction<'recreate-pod'> = {
  action: 'recreate-pod',
  normalize: (a) => a,
  validate: validatePodRef,
  describe: (a) => `${a.action} ${a.pod}`,
  async run(live, a) {
    const r = await live.recreatePod(a.pod);
    return `${a.pod}: ${r.oldIp ?? '(not running)'} → ${r.ip}`;
  },
};
