/**
 * scale: run `replicas` copies of the pod, as a Deployment does: the pod itself and copies named
 * `<pod>-r2`, `<pod>-r3`, … on the same node with the same labels (so its Services select them).
 */
import { diag } from '../../compile/diagnostics.ts';
import { replicaName } from '../../plan/names.ts';
import { podOf, type ScenarioAction } from './action.ts';

export const scaleAction: ScenarioAction<'scale'> = {
  action: 'scale',
  normalize: (a) => a,
  /** A hostNetwork pod has one copy at most; no copy takes the name of a declared pod. */
  validate(a, step, out) {
    const pod = podOf(a, step, out);
    if (!pod) return;
    if (pod.hostNetwork && a.replicas > 1)
      out.push(diag('PL2029', step.at('replicas'), `${step.what}: pod "${a.pod}" uses the node's network; copies of it would take the same ports on the same node`));
    for (let n = 2; n <= a.replicas; n++)
      if (step.lab.pods.some((p) => p.name === replicaName(a.pod, n))) {
        out.push(diag('PL2029', step.at('replicas'), `${step.what}: copy ${n} of "${a.pod}" would be named "${replicaName(a.pod, n)}", which is a pod of the lab already`, 'Rename that pod, or scale a different one.'));
        break;
      }
  },
  describe: (a) => `scale ${a.pod} to ${a.replicas}`,
  async run(live, a) {
    const r = await live.scalePod(a.pod, a.replicas);
    const parts = [r.created.length ? `created ${r.created.map((p) => `${p.name} (${p.ip})`).join(', ')}` : '', r.deleted.length ? `deleted ${r.deleted.join(', ')}` : ''].filter(Boolean);
    return `${a.pod} × ${a.replicas}${parts.length ? `: ${parts.join('; ')}` : ' (already)'}`;
  },
};
