/**
 * How to run a command inside a live lab's pod or node: the nsenter argv prefix, from the state
 * journal (the pod's pause pid) and the plan (the node's namespace).
 */
import { NETNS_RUN_DIR } from '../constants.ts';
import type { LabState } from './state.ts';
import { isAlive } from './procs.ts';
import { joinArgs } from './up.ts';

export class TargetError extends Error {}

/** Accepts `pod`, `namespace/pod` and `node/<name>`. */
export function sourceArgv(state: LabState, target: string): string[] {
  const plan = state.plan;
  if (target.startsWith('node/')) {
    const node = plan.nodes.find((n) => n.name === target.slice(5));
    if (!node) throw new TargetError(`lab "${plan.lab}" has no node "${target.slice(5)}"; nodes: ${plan.nodes.map((n) => n.name).join(', ')}`);
    return ['nsenter', `--net=${NETNS_RUN_DIR}/${node.netns}`, '--'];
  }
  const [ns, name] = target.includes('/') ? target.split('/', 2) : [undefined, target];
  const pod = plan.pods.find((p) => p.name === name && (!ns || p.namespace === ns));
  if (!pod) throw new TargetError(`lab "${plan.lab}" has no pod "${target}"; pods: ${plan.pods.map((p) => `${p.namespace}/${p.name}`).join(', ')}, or use node/<name>`);
  const pause = state.pods[pod.name]?.pause;
  if (!pod.hostNetwork && (!pause || !isAlive(pause)))
    throw new TargetError(`pod "${pod.name}" has no running sandbox (pause process); is the lab fully up? Try podlab status ${plan.lab}`);
  return ['nsenter', ...joinArgs(pod, pause?.pid), '--'];
}
