/**
 * label-pod: set (or, with null, remove) labels of a running pod, as `kubectl label pod` does;
 * the policies that select it and the Services whose selector it matches follow at once. The
 * labels themselves are checked by compile/rules-policy.ts (PL2111).
 */
import { describeNft, validatePodRef, type ScenarioAction } from './action.ts';

const show = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';

export const labelPodAction: ScenarioAction<'label-pod'> = {
  action: 'label-pod',
  normalize: (a) => a,
  validate: validatePodRef,
  describe: (a) => `label-pod ${a.pod} ${Object.entries(a.labels).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`)).join(' ')}`,
  async run(live, a) {
    const r = await live.labelPod(a.pod, a.labels);
    return `${a.pod}: labels ${show(r.before)} → ${show(r.after)}; ${describeNft(r.applied)}`;
  },
};
