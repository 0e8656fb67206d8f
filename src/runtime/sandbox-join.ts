/**
 * Where a pod's processes join its sandbox: the pause process's pid (or its node's sandbox's, for a
 * hostNetwork pod) and nsenter's options for it, and the lab's mount template. Read from the
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
 * Where a pod's container processes join: the sandbox's namespaces (network, UTS, IPC, mount) —
 * the pod's pause process, or for a hostNetwork pod its node's sandbox (the node's hostname and
 * /etc/hosts) — or, without a live sandbox, only the network namespace.
 */
export function joinArgs(pod: PlanPod, sandboxPid: number | undefined): string[] {
  return sandboxPid === undefined ? [`--net=${NETNS_RUN_DIR}/${pod.netns}`] : ['-t', String(sandboxPid), '--net', '--uts', '--ipc', '--mount'];
}

/** The pid of a node's sandbox while it lives. */
export function nodeSandboxPid(state: Pick<LabState, 'nodeSandboxes'>, node: string): number | undefined {
  const r = state.nodeSandboxes?.[node];
  return r && isAlive(r) ? r.pid : undefined;
}

/** The sandbox a pod's processes join: its pause process, or its node's for a hostNetwork pod. */
export function sandboxPid(state: Pick<LabState, 'nodeSandboxes' | 'pods'>, pod: PlanPod): number | undefined {
  return pod.hostNetwork ? nodeSandboxPid(state, pod.node) : state.pods[pod.name]?.pause?.pid;
}
