/**
 * make-unready / make-ready: a pod's built-in http-echo answers /healthz with 503, or 200 again,
 * so the probes on it fail or pass; the agent moves the pod out of, or back into, its endpoints.
 */
import { type ScenarioAction, validatePodRef } from './action.ts';
import { needsLoops } from './loops-common.ts';

function healthAction<K extends 'make-unready' | 'make-ready'>(action: K): ScenarioAction<K, { action: K; pod: string }, { action: K; pod: string }> {
  const healthy = action === 'make-ready';
  return {
    action,
    normalize: (a) => a,
    validate(a, step, out) {
      needsLoops(step, out);
      validatePodRef(a, step, out);
    },
    describe: (a) => `${a.action} ${a.pod}`,
    async run(live, a) {
      const containers = await live.setHealth(a.pod, healthy);
      return `${a.pod}: /healthz of ${containers.join(', ')} answers ${healthy ? 200 : 503}`;
    },
  };
}

export const makeUnreadyAction = healthAction('make-unready');
export const makeReadyAction = healthAction('make-ready');
