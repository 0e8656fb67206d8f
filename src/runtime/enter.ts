/**
 * How to run a command inside a live lab's pod or node: the nsenter argv prefix, from the state
 * journal (the pod's pause pid) and the plan (the node's namespace).
 */
import { NETNS_RUN_DIR } from '../constants.ts';
import type { Plan, PlanPod } from '../plan/plan.ts';
import { stateDir, type LabState } from './state.ts';
import { birdSocket } from '../cni/calico/index.ts';
import { isAlive } from './procs.ts';
import { joinArgs, nodeSandboxPid, sandboxPid } from './sandbox-join.ts';
import { RuntimeError } from './errors.ts';
import { PACKAGE_ROOT } from './build-dir.ts';

export class TargetError extends RuntimeError {}

/** What a target reference names in a lab: a host, the gateway, a node or a pod, and its network namespace. */
export type LabTarget =
  | { kind: 'host' | 'gateway' | 'node'; netns: string; what: string }
  | { kind: 'pod'; netns: string; what: string; pod: PlanPod };

/**
 * Resolves `pod`, `namespace/pod`, `node/<name>`, `host/<name>` or `gateway` against the plan;
 * a TargetError naming what the lab has otherwise.
 */
export function findTarget(plan: Plan, target: string): LabTarget {
  if (target.startsWith('host/')) {
    const host = plan.hosts.find((h) => h.name === target.slice(5));
    if (!host) throw new TargetError('PL3030', `lab "${plan.lab}" has no host "${target.slice(5)}"; hosts: ${plan.hosts.map((h) => h.name).join(', ') || '(none)'}`);
    return { kind: 'host', netns: host.netns, what: `host ${host.name}` };
  }
  if (target === 'gateway') {
    if (!plan.gateway) throw new TargetError('PL3038', `lab "${plan.lab}" has no gateway (it has no external hosts and no load-balancer pool)`);
    return { kind: 'gateway', netns: plan.gateway.netns, what: 'the gateway' };
  }
  if (target.startsWith('node/')) {
    const node = plan.nodes.find((n) => n.name === target.slice(5));
    if (!node) throw new TargetError('PL3030', `lab "${plan.lab}" has no node "${target.slice(5)}"; nodes: ${plan.nodes.map((n) => n.name).join(', ')}`);
    return { kind: 'node', netns: node.netns, what: `node ${node.name}` };
  }
  const [ns, name] = target.includes('/') ? target.split('/', 2) : [undefined, target];
  const pod = plan.pods.find((p) => p.name === name && (!ns || p.namespace === ns));
  if (!pod) throw new TargetError('PL3030', `lab "${plan.lab}" has no pod "${target}"; pods: ${plan.pods.map((p) => `${p.namespace}/${p.name}`).join(', ')}, or use node/<name>`);
  return { kind: 'pod', netns: pod.netns, what: `pod ${pod.namespace}/${pod.name}${pod.hostNetwork ? ` (hostNetwork, node ${pod.node})` : ''}`, pod };
}

/**
 * The nsenter prefix that runs a command in a target, as the target itself would: a pod's sandbox
 * namespaces; a node's sandbox (its network, its hostname, its /etc/hosts listing the nodes), so a
 * check from a node resolves `c1-node1` as `podlab exec … node/c1-master1` does; the network
 * namespace of anything else (hosts, the gateway, a node whose sandbox is gone).
 */
export function sourceArgv(state: LabState, target: string): string[] {
  const t = findTarget(state.plan, target);
  if (t.kind === 'node') {
    const pid = nodeSandboxPid(state, t.what.slice('node '.length));
    if (pid !== undefined) return ['nsenter', '-t', String(pid), '--net', '--uts', '--ipc', '--mount', '--'];
  }
  if (t.kind !== 'pod') return ['nsenter', `--net=${NETNS_RUN_DIR}/${t.netns}`, '--'];
  const pause = state.pods[t.pod.name]?.pause;
  if (!t.pod.hostNetwork && (!pause || !isAlive(pause)))
    throw new TargetError('PL3033', `pod "${t.pod.name}" has no running sandbox (pause process); is the lab fully up? Try podlab status ${state.plan.lab}`);
  return ['nsenter', ...joinArgs(t.pod, sandboxPid(state, t.pod)), '--'];
}

/**
 * What `podlab exec` runs a command in: as `sourceArgv` (what checks, traces and scenario steps
 * run in too); with `container`, a pod's container's own view — its mount namespace (read-only
 * files, its private /tmp) and its uid; in a shareProcessNamespace pod, its PID namespace too.
 */
export function execArgv(state: LabState, target: string, container?: string): string[] {
  const t = findTarget(state.plan, target);
  if (container !== undefined && t.kind !== 'pod') throw new TargetError('PL3032', `-c names a container of a pod; ${t.what} has none`);
  if (t.kind !== 'pod') return sourceArgv(state, target);
  // A shareProcessNamespace pod: its PID namespace too (nsenter forks into it), where ps sees only the pod.
  const pause = state.pods[t.pod.name]?.pause;
  const pid = t.pod.shareProcessNamespace && pause ? [`--pid=/proc/${pause.pid}/ns/pid_for_children`] : [];
  if (container === undefined) {
    const argv = sourceArgv(state, target);
    return pid.length ? [...argv.slice(0, -1), ...pid, '--'] : argv;
  }
  const names = t.pod.containers.map((c) => c.name);
  const rec = state.pods[t.pod.name]?.containers[container];
  if (!names.includes(container)) throw new TargetError('PL3032', `pod ${t.pod.namespace}/${t.pod.name} has no container "${container}"; its containers: ${names.join(', ') || '(none: it is only a sandbox)'}`);
  if (!rec || !isAlive(rec)) throw new TargetError('PL3033', `container "${container}" of pod ${t.pod.namespace}/${t.pod.name} is not running; see podlab status ${state.plan.lab}`);
  // Its namespaces (network, UTS, IPC from the sandbox; the mount namespace contain made), as its own uid.
  return ['nsenter', '-t', String(rec.pid), '--net', '--uts', '--ipc', '--mount', ...pid, ...(rec.uid !== undefined ? [`--setuid=${rec.uid}`, `--setgid=${rec.uid}`] : []), '--'];
}

/**
 * The command `podlab exec` runs in a target. On a Calico BGP node, `birdc` (or `birdcl`) without
 * `-s` talks to that node's BIRD: its control socket is under the lab's state directory, not
 * BIRD's default /run/bird/bird.ctl, so `-s <socket>` is added. On any Calico node `calicoctl …`
 * is `podlab calicoctl <lab> …` (no calicoctl binary is installed; its `node status` is the node's
 * own, as calicoctl run on a node reports it). Anything else runs as written.
 */
export function targetCommand(state: LabState, target: string, command: readonly string[]): string[] {
  const node = state.plan.nodes.find((n) => `node/${n.name}` === target);
  if (node?.cni.type === 'calico' && command[0] === 'calicoctl') {
    const nodeStatus = command[1] === 'node' && command[2] === 'status' && !command.includes('--node');
    return [process.execPath, `${PACKAGE_ROOT}bin/podlab.js`, 'calicoctl', state.lab, ...command.slice(1), ...(nodeStatus ? ['--node', node.name] : [])];
  }
  const bgp = node?.cni.type === 'calico' && (node.cni as unknown as { routing: { kind: string } }).routing.kind === 'bgp';
  if (!node || !bgp || !['birdc', 'birdcl'].includes(command[0] ?? '') || command.includes('-s')) return [...command];
  return [command[0]!, '-s', birdSocket(stateDir(state.lab), node.name), ...command.slice(1)];
}
