/**
 * A pod's processes: its sandbox (the pause process holding its namespaces) and its containers,
 * started, waited for until they listen, and restarted — for `up`, `pod create` and scenario
 * actions alike. A host outside the cluster runs its programs the same way, in its own namespace.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { IDENTITY } from '../constants.ts';
import { LISTENING_MARK } from '../dns/marks.ts';
import type { Plan, PlanPod } from '../plan/plan.ts';
import { wildcardPorts } from '../net/proc-net.ts';
import { containerArgv, containerEnv, containerOnly, dnsListeners, exitFileOf, GRADED_MAX_PROCS, hostSandbox, nodeSandboxArgv, pauseArgv, podPidNs, sandboxFiles, SYSTEM_TREES } from '../render/render.ts';
import type { Executor } from './exec.ts';
import { PAUSE_BIN, PROGRAMS } from './artifacts.ts';
import { allowLowPorts, launchContainer } from './container.ts';
import { dnsServerView } from './dns.ts';
import { identityOf, provesItself, workloadKeyFile } from './identity.ts';
import { nginxContainer } from './ingress.ts';
import { killAllOfUid, recordOf, stopProcesses } from './procs.ts';
import { endContainerUids } from './uids.ts';
import { containerLogOf, previousLogOf, stateDir, writeState, type LabState } from './state.ts';
import { joinArgs, sandboxPid } from './sandbox-join.ts';

/** Starts every node's sandbox (node identity: hostname, /etc/hosts), in parallel. */
export async function startNodeSandboxes(ex: Executor, plan: Plan, state: LabState, template: string | undefined): Promise<void> {
  const records = await Promise.all(plan.nodes.map(async (n) => [n.name, recordOf(await ex.spawn(nodeSandboxArgv(plan, n, PAUSE_BIN, template), { readyLine: 'ready' }))] as const));
  state.nodeSandboxes = Object.fromEntries(records);
}

/**
 * Whether `up` treats a pod as the cluster's DNS: a network of its own and podlab-dns in it. Its
 * sandbox starts with the nodes' and its network first among the pods; its containers start once
 * every pod has its network (up.ts).
 */
export function startsEarly(pod: PlanPod): boolean {
  return !pod.hostNetwork && pod.containers.some((c) => c.argv[0] === '@dns');
}

/**
 * A pod's entry in the state, and its sandbox (the pause process). A hostNetwork pod's sandbox is in
 * its node's network namespace, with the node's hostname: it holds the pod's own mount namespace,
 * whose /etc/resolv.conf follows the pod's dnsPolicy (ClusterFirstWithHostNet: the cluster DNS) as
 * kubelet's does, where the node's sandbox has the node's resolvers.
 */
export async function startSandbox(ex: Executor, plan: Plan, state: LabState, pod: PlanPod, files: string, template: string | undefined, save?: () => void): Promise<void> {
  const ps: LabState['pods'][string] = (state.pods[pod.name] = { containers: {} });
  ps.pause = recordOf(await ex.spawn(pauseArgv(plan, pod, PAUSE_BIN, files, template), { readyLine: 'ready' }));
  save?.();
}

/** Starts a pod's containers (or only the one named) and waits until the built-in servers among them listen. */
export async function startContainers(ex: Executor, plan: Plan, state: LabState, pod: PlanPod, only?: string, save: (state: LabState) => void = writeState): Promise<void> {
  await spawnContainers(ex, plan, state, pod, only, save);
  await waitContainers(state, pod, only);
}

export async function spawnContainers(ex: Executor, plan: Plan, state: LabState, pod: PlanPod, only?: string, save: (state: LabState) => void = () => {}, lowPortsAllowed = false): Promise<void> {
  const ps = state.pods[pod.name]!;
  // Low ports: a pod's own sandbox allowed them when it started (pause --low-ports); in its node's
  // network (hostNetwork), one sysctl for the namespace, not one per container (`up` writes it beside the pod's CNI ADD).
  const starts = pod.containers.filter((c) => !only || c.name === only);
  if (starts.length && pod.hostNetwork && !lowPortsAllowed) await allowLowPorts(ex, pod.netns);
  // The containers start side by side (each one spawner request), and are recorded in the pod's
  // order once all have started or failed; one that failed fails the pod, the others recorded.
  const box = sandboxPid(state, pod);
  const started = await Promise.allSettled(
    starts.map(async (c) => {
      const log = containerLogOf(plan.lab, pod, c.name);
      // Started again in the same pod (its last instance's record is still there): as kubelet, the
      // new instance logs afresh and the last one's log stays for `logs --previous`, replacing any older.
      if (ps.containers[c.name] && existsSync(log)) renameSync(log, previousLogOf(log));
      const exitFile = exitFileOf(plan, stateDir(plan.lab), pod, c);
      if (exitFile) mkdirSync(dirname(exitFile), { recursive: true });
      const only = c.argv[0] === '@dns' ? dnsServerView(c.argv, pod) : plan.ownRoots ? ownRoot(plan, pod, c, box !== undefined) : undefined;
      const listen = dnsListeners(c, pod);
      // podlab's own http-echo proves its pod's answers: its key, made again for each start (a new uid), on a descriptor of its own.
      const keyFile = provesItself(c) ? workloadKeyFile(plan.lab, identityOf(plan, pod)) : undefined;
      const program = containerArgv(c.argv, PROGRAMS, pod);
      const { pid, startTime, argv, uid } = await launchContainer(ex, { ...(exitFile ? { exitFile } : {}), ...(listen.length ? { listen } : {}), ...(keyFile ? { keyFile } : {}), netns: pod.netns, join: joinArgs(pod, box), argv: keyFile ? [...program, '--key-fd', String(IDENTITY.keyFd)] : program, env: containerEnv(pod, c.env), log, lowPortsAllowed: true, ...podPidNs(pod), ...(only ? { only } : {}), ...(plan.ownRoots ? { maxProcs: GRADED_MAX_PROCS } : {}), ...(state.cgroup ? { cgroups: state.cgroup } : {}), ...(c.argv[0] === '@nginx' ? nginxContainer(plan) : {}) });
      return { pid, startTime, argv, log, uid };
    }),
  );
  starts.forEach((c, i) => {
    const r = started[i]!;
    if (r.status === 'fulfilled') ps.containers[c.name] = r.value;
  });
  save(state);
  for (const r of started) if (r.status === 'rejected') throw r.reason;
}

/**
 * A pod created anew (a new sandbox: in Kubernetes a new pod, with a new uid) starts with empty
 * logs: what the containers of a pod of that name logged before it was deleted is not its own.
 */
export function freshLogs(lab: string, pod: PlanPod): void {
  for (const c of pod.containers) {
    const log = containerLogOf(lab, pod, c.name);
    rmSync(log, { force: true });
    rmSync(previousLogOf(log), { force: true });
  }
}

/** A container's root of its own in a lab built from a submission (plan.ownRoots): render's containerOnly with the trees that exist here. */
export function ownRoot(plan: Plan, pod: PlanPod, c: PlanPod['containers'][number], hasSandbox: boolean): string[] {
  return containerOnly(c, plan, PROGRAMS, SYSTEM_TREES.filter((p) => existsSync(p)), sandboxFiles(hasSandbox));
}

const LISTENING: Record<string, string> = { '@workload': '"event":"listening"', '@dns': LISTENING_MARK };

/**
 * Waits until the built-in programs among a pod's containers listen: a workload and a DNS server
 * log a line once their sockets are bound. A DNS server whose container binds its sockets
 * (dnsListeners) is listening once they show in the pod's /proc/net, before Node has started (or
 * once it says so): the server takes them when it has, and what was sent meanwhile waits there.
 */
export async function waitContainers(state: LabState, pod: PlanPod, only?: string): Promise<void> {
  const ps = state.pods[pod.name]!;
  const box = sandboxPid(state, pod);
  await Promise.all(
    pod.containers
      .filter((c) => LISTENING[c.argv[0]!] && (!only || c.name === only))
      .map((c) => {
        const listen = box === undefined ? [] : dnsListeners(c, pod);
        const mark = LISTENING[c.argv[0]!]!;
        return waitListening(ps.containers[c.name]!.log, c.name, (text) => text.includes(mark) || (listen.length > 0 && socketsBound(box!, listen)), listen.length ? 1 : 10);
      }),
  );
}

/**
 * Whether contain has bound its `udp4:53`-style sockets (on the wildcard address) in the network
 * namespace of process `pid`: it binds them in order and stops at the first it cannot, so the last
 * one bound means all are (dnsListeners puts a UDP one last, the cheap table to read).
 */
function socketsBound(pid: number, specs: readonly string[]): boolean {
  const [kind, port] = specs.at(-1)!.split(':') as [string, string];
  return wildcardPorts(readText(`/proc/${pid}/net/${kind.replace('4', '')}`), kind.startsWith('tcp') ? 'tcp' : 'udp').has(Number(port));
}

const readText = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** Polls until `listening` holds for the container's log (or the sockets it checks are bound); `up` returns only after that. */
async function waitListening(log: string, container: string, listening: (logText: string) => boolean, everyMs: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Polls after 2, 4, 8, then every 10 ms (a workload's log: a 15 ms poll made `up` wait 7 ms on
  // average after the DNS server was listening); every 1 ms for sockets contain binds, a few ms
  // after the spawn (a read of /proc/net is some 50 µs).
  for (let wait = Math.min(2, everyMs); ; wait = Math.min(everyMs, wait * 2)) {
    const text = readText(log);
    if (listening(text)) return;
    if (Date.now() > deadline) throw new Error(`container "${container}" did not start listening within ${timeoutMs} ms: ${text.trim().split('\n').at(-1) ?? ''}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * Restarts one container of a live pod: the process is replaced (what it left running as its uid
 * ended, and the uid freed), the pod's sandbox (and so its IP) stays.
 */
export async function restartContainer(ex: Executor, state: LabState, podName: string, container: string): Promise<void> {
  const pod = state.plan.pods.find((p) => p.name === podName);
  const rec = state.pods[podName]?.containers[container];
  if (!pod || !rec) throw new Error(`no container "${container}" in pod "${podName}" of lab "${state.lab}"`);
  await stopProcesses(ex, [rec]);
  if (rec.uid !== undefined) await endContainerUids([{ uid: rec.uid, holder: rec }], killAllOfUid(ex));
  await startContainers(ex, state.plan, state, pod, container);
}

/** Starts every outside host's programs (a host's sandbox is its namespace: no pause process). */
export async function startHosts(ex: Executor, plan: Plan, state: LabState): Promise<void> {
  await Promise.all(
    plan.hosts.map(async (h) => {
      const sandbox = hostSandbox(h);
      state.pods[sandbox.name] = { ip: h.ip, containers: {} };
      await startContainers(ex, plan, state, sandbox);
    }),
  );
}
