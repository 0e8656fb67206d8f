/**
 * How to run a command inside a live lab's pod or node: the nsenter argv prefix, from the state
 * journal (the pod's pause pid) and the plan (the node's namespace).
 */
import { NETNS_RUN_DIR } from '../constants.ts';
import type { LabState } from './state.ts';
import { isAlive } from './procs.ts';
import { joinArgs } from './sandbox.ts';

export class TargetError extends Error {}

/** Accepts `pod`, `namespace/pod`, `node/<name>` and `host/<name>`. */
export function sourceArgv(state: LabState, target: string): string[] {
  const plan = state.plan;
  if (target.startsWith('host/')) {
    const host = plan.hosts.find((h) => h.name === target.slice(5));
    if (!host) throw new TargetError(`lab "${plan.lab}" has no host "${target.slice(5)}"; hosts: ${plan.hosts.map((h) => h.name).join(', ') || '(none)'}`);
    return ['nsenter', `--net=${NETNS_RUN_DIR}/${host.netns}`, '--'];
  }
  if (target === 'gateway') {
    if (!plan.gateway) throw new TargetError(`lab "${plan.lab}" has no gateway (it has no external hosts and no load-balancer pool)`);
    return ['nsenter', `--net=${NETNS_RUN_DIR}/${plan.gateway.netns}`, '--'];
  }
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
