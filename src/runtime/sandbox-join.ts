/**
 * Where a pod's processes join its sandbox: the pause process's pid (a hostNetwork pod's is in its
 * node's network namespace; its node's sandbox when it has none) and nsenter's options for it, and
 * the lab's mount template. Read from the
 * state, nothing started: what `podlab exec` needs without the code that starts pods (sandbox.ts).
 */
import { NETNS_RUN_DIR } from '../constants.ts';
import type { PlanPod } from '../plan/plan.ts';
import { isAlive } from './procs.ts';
import type { LabState } from './state.ts';

/** The lab's mount template as a file for `pause --mount-from`, while its process lives. */
export function mountFrom(state: LabState): string | undefined {
  return state.mountTemplate && isAlive(state.mountTemplate) ? `/proc/${state.mountTemplate.pid}/ns/mnt` : undefined;
}

/**
 * Where a pod's container processes join: the sandbox's namespaces (network, UTS, IPC, mount) of
 * the pod's pause process (for a hostNetwork pod: the node's network and hostname, the pod's own
 * resolv.conf and the node's /etc/hosts) — or, without a live sandbox, only the network namespace.
 */
export function joinArgs(pod: PlanPod, sandboxPid: number | undefined): string[] {
  return sandboxPid === undefined ? [`--net=${NETNS_RUN_DIR}/${pod.netns}`] : ['-t', String(sandboxPid), '--net', '--uts', '--ipc', '--mount'];
}

/** The pid of a node's sandbox while it lives. */
export function nodeSandboxPid(state: Pick<LabState, 'nodeSandboxes'>, node: string): number | undefined {
  const r = state.nodeSandboxes?.[node];
  return r && isAlive(r) ? r.pid : undefined;
}

/**
 * The sandbox a pod's processes join: its pause process; a hostNetwork pod whose sandbox is not
 * alive (none recorded: a lab brought up before hostNetwork pods had one) its node's.
 */
export function sandboxPid(state: Pick<LabState, 'nodeSandboxes' | 'pods'>, pod: PlanPod): number | undefined {
  const own = state.pods[pod.name]?.pause;
  if (!pod.hostNetwork) return own?.pid;
  return own && isAlive(own) ? own.pid : nodeSandboxPid(state, pod.node);
}
