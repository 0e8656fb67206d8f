/**
 * Step "apply" for a whole lab: runs what render produced, in order, journaling each step before
 * it runs so that `down` can undo any prefix of it. Nodes and pods are wired in parallel.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { NETNS_RUN_DIR, POLICY } from '../constants.ts';
import type { Plan, PlanPod } from '../plan/plan.ts';
import { LISTENING_MARK } from '../dns/marks.ts';
import { containerArgv, containerEnv, mountTemplateArgv, pauseArgv, podFilesRoot, type Rendered } from '../render/render.ts';
import { writeRendered } from '../render/files.ts';
import { cniAdd } from './cni.ts';
import { must, parallel, realExecutor, spawnDaemon, type Executor } from './exec.ts';
import { ensureDnsServer, ensureNative, PAUSE_BIN, PROGRAMS } from './host.ts';
import { isAlive, recordOf, stopProcesses } from './procs.ts';
import { startHosts } from './pods.ts';
import { mountStateDir } from './statefs.ts';
import { syncServices } from './services.ts';
import { coalescedWriter, journal, stateDir, writeState, type LabState } from './state.ts';

export interface UpOptions {
  ex?: Executor;
  /** Called as each phase starts, for progress output. */
  onStep?: (step: string) => void;
  /** Test hook: stop (as if killed) right after this many steps have been journaled. */
  crashAfterStep?: number;
  /**
   * Ctrl-C: once aborted, `up` starts nothing new (no further step, no further pod), lets what is
   * in flight finish, and throws `Interrupted`, so the caller's `down` cannot race a process being started.
   */
  signal?: AbortSignal;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** The journaled steps of `up`, in order (the crash tests kill it after each). */
export const STEPS = ['state', 'namespaces', 'node-network', 'nodes', 'pods', 'services', 'up'] as const;

/** How many pods are wired at once (each runs a few short-lived processes). */
const POD_CONCURRENCY = 8;

export async function up(plan: Plan, rendered: Rendered, options: UpOptions = {}): Promise<LabState> {
  const ex = options.ex ?? realExecutor;
  const dir = stateDir(plan.lab);
  const files = `${dir}/rendered`;
  const state: LabState = { lab: plan.lab, status: 'creating', createdAt: new Date().toISOString(), steps: [], plan, pods: {}, owner: recordOf(process.pid) };
  let stepCount = 0;
  const step = (name: string) => {
    if (options.signal?.aborted) throw new Interrupted();
    journal(state, name);
    options.onStep?.(name);
    if (options.crashAfterStep !== undefined && ++stepCount > options.crashAfterStep) process.kill(process.pid, 'SIGKILL');
  };

  // The state directory is a tmpfs of the lab's own (statefs.ts), before anything is written to it.
  await mountStateDir(ex, plan.lab);
  step('state');
  // The native binaries (pause, workload, probe, spawner): (re)built if missing or older than native/.
  const native = await ensureNative(ex);
  if (native) throw new Error(native.message);
  if (plan.dns || plan.hosts.some((h) => h.dns)) {
    // The DNS server runs as a bundle: (re)build it if missing or older than its sources.
    const problem = await ensureDnsServer();
    if (problem) throw new Error(problem.message);
  }
  mkdirSync(`${dir}/logs`, { recursive: true });
  for (const pod of plan.pods) if (pod.system === 'dns') for (const d of ['upper', 'work']) mkdirSync(`${dir}/overlay/${pod.name}/${d}`, { recursive: true });

  step('namespaces');
  // The namespaces are made (one batch, on stdin) while the rendered files are written: neither
  // needs the other, and for 1000 pods each takes about a second. Nothing returns or throws while
  // the batch still runs, so a failure never leaves `down` racing it.
  const namespaces = must(ex, ['ip', '-batch', '-'], { input: rendered.get('ip/root.batch')! });
  try {
    writeRendered(files, runtimeFiles(rendered));
  } catch (e) {
    await namespaces.catch(() => undefined);
    throw e;
  }
  await namespaces;
  // Pods' mount namespaces start as copies of this one, which has the host's nsfs mounts dropped
  // already: copying and dropping a thousand of them per pod cost 4 ms of each pod's start.
  state.mountTemplate = recordOf(await spawnDaemon(mountTemplateArgv(plan, PAUSE_BIN), { readyLine: 'ready' }));
  const template = mountFrom(state);
  // Pods running podlab-dns (a Node process: about 100 ms to start) get their sandbox and
  // containers now, so that start-up overlaps the node network and the CNI calls; the server binds
  // only once its pod has a route (-podlab.wait-network). Everything else waits for its network.
  const early = new Set(plan.pods.filter(startsEarly));
  for (const pod of early) {
    await startSandbox(plan, state, pod, files, template);
    await spawnContainers(plan, state, pod);
  }
  writeState(state);

  step('node-network');
  await must(ex, ['ip', '-n', plan.fabric.netns, '-batch', `${files}/ip/fabric.batch`]);
  if (plan.nodeNetwork.podTraffic === 'drop') await must(ex, ['nsenter', `--net=${NETNS_RUN_DIR}/${plan.fabric.netns}`, '--', 'nft', '-f', `${files}/nft/fabric.nft`]);

  step('nodes');
  await Promise.all([
    parallel(plan.nodes, plan.nodes.length, async (node) => {
      await must(ex, ['ip', '-n', node.netns, '-batch', `${files}/ip/node-${node.name}.batch`]);
      if (node.vxlan) await must(ex, ['bridge', '-n', node.netns, '-batch', `${files}/ip/fdb-${node.name}.batch`]);
      // Nodes route for their pods; bridged pod-to-pod packets pass the node's nftables hooks (br_netfilter), as kube-proxy needs.
      await must(ex, ['nsenter', `--net=${NETNS_RUN_DIR}/${node.netns}`, '--', 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1', ...(plan.networkPolicy ? POLICY.nodeSysctls : [])]);
    }),
    ...(plan.gateway
      ? [
          (async () => {
            await must(ex, ['ip', '-n', plan.gateway!.netns, '-batch', `${files}/ip/gateway.batch`]);
            await must(ex, ['nsenter', `--net=${NETNS_RUN_DIR}/${plan.gateway!.netns}`, '--', 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
          })(),
        ]
      : []),
    ...plan.hosts.map((h) => must(ex, ['ip', '-n', h.netns, '-batch', `${files}/ip/host-${h.name}.batch`])),
  ]);

  step('pods');
  const nodes = new Map(plan.nodes.map((n) => [n.name, n]));
  const saver = coalescedWriter(state);
  // The early pods first: their servers are starting already and wait for their network.
  const order = [...early, ...plan.pods.filter((p) => !early.has(p))];
  const wiring = parallel(order, POD_CONCURRENCY, async (pod) => {
    if (options.signal?.aborted) return;
    if (!early.has(pod)) await startSandbox(plan, state, pod, files, template, saver.save);
    const ps = state.pods[pod.name]!;
    if (!pod.hostNetwork) ps.cniResult = await cniAdd(ex, nodes.get(pod.node)!, pod);
    ps.ip = pod.ip;
    saver.save();
    if (!early.has(pod)) await spawnContainers(plan, state, pod, undefined, saver.save);
    await waitContainers(state, pod);
  }).finally(saver.flush);

  // kube-proxy's tables are loaded while the pods come up, with the endpoints the plan expects
  // once every pod is ready; `up` succeeds only when they all are, and then (step 'services')
  // syncs the live endpoints: no change, unless a pod is not where the plan put it. The DNS
  // server's view of the cluster is published only then, from the live pods. Nothing returns or
  // throws while pods are still being wired.
  const programming = syncServices(ex, state, plan.endpoints, { publish: false, planned: true });
  const [w, p] = await Promise.allSettled([wiring, programming]);
  for (const r of [w, p]) if (r.status === 'rejected') throw r.reason;
  await startHosts(plan, state);

  step('services');
  await syncServices(ex, state);
  writeState(state);

  state.status = 'up';
  step('up');
  return state;
}

/**
 * What `up` writes to the state directory: the rendered files but the pods' own (resolv.conf,
 * hosts), which pause writes inside each pod's mount namespace instead; 2000 fewer files on disk
 * for 1000 pods. generated/ still shows them.
 */
export function runtimeFiles(rendered: Rendered): Rendered {
  return new Map([...rendered].filter(([rel]) => !rel.startsWith(`${podFilesRoot}/`)));
}

/** The lab's mount template as a file for `pause --mount-from`, while its process lives. */
export function mountFrom(state: LabState): string | undefined {
  return state.mountTemplate && isAlive(state.mountTemplate) ? `/proc/${state.mountTemplate.pid}/ns/mnt` : undefined;
}

/** Where a pod's container processes join: the pause process's namespaces (network, UTS, IPC, mount), or the node's network for hostNetwork pods. */
export function joinArgs(pod: PlanPod, pausePid: number | undefined): string[] {
  return pod.hostNetwork || pausePid === undefined ? [`--net=${NETNS_RUN_DIR}/${pod.netns}`] : ['-t', String(pausePid), '--net', '--uts', '--ipc', '--mount'];
}

/** Whether `up` starts a pod before its network: it has a network of its own and runs podlab-dns, which waits for it. */
export function startsEarly(pod: PlanPod): boolean {
  return !pod.hostNetwork && pod.containers.some((c) => c.argv[0] === '@dns');
}

/** A pod's entry in the state, and its sandbox (the pause process) unless it shares its node's network. */
async function startSandbox(plan: Plan, state: LabState, pod: PlanPod, files: string, template: string | undefined, save?: () => void): Promise<void> {
  const ps: LabState['pods'][string] = (state.pods[pod.name] = { containers: {} });
  if (pod.hostNetwork) return;
  ps.pause = recordOf(await spawnDaemon(pauseArgv(plan, pod, PAUSE_BIN, files, template), { readyLine: 'ready' }));
  save?.();
}

/** Starts a pod's containers (or only the one named) and waits until the built-in servers among them listen. */
export async function startContainers(plan: Plan, state: LabState, pod: PlanPod, only?: string, save: (state: LabState) => void = writeState): Promise<void> {
  await spawnContainers(plan, state, pod, only, save);
  await waitContainers(state, pod, only);
}

async function spawnContainers(plan: Plan, state: LabState, pod: PlanPod, only?: string, save: (state: LabState) => void = () => {}): Promise<void> {
  const ps = state.pods[pod.name]!;
  for (const c of pod.containers) {
    if (only && c.name !== only) continue;
    const argv = ['nsenter', ...joinArgs(pod, ps.pause?.pid), '--', ...containerArgv(c.argv, PROGRAMS, pod)];
    const log = `${stateDir(plan.lab)}/logs/${pod.namespace}_${pod.name}_${c.name}.log`;
    const pid = await spawnDaemon(argv, { logFile: log, env: containerEnv(pod, c.env), cleanEnv: true });
    ps.containers[c.name] = { ...recordOf(pid), argv, log };
  }
  save(state);
}

const LISTENING: Record<string, string> = { '@workload': '"event":"listening"', '@dns': LISTENING_MARK };

async function waitContainers(state: LabState, pod: PlanPod, only?: string): Promise<void> {
  const ps = state.pods[pod.name]!;
  await Promise.all(
    pod.containers
      .filter((c) => LISTENING[c.argv[0]!] && (!only || c.name === only))
      .map((c) => waitListening(ps.containers[c.name]!.log, c.name, LISTENING[c.argv[0]!]!)),
  );
}

/** Built-in programs log a line once their sockets are bound (workloads `{"event":"listening",…}`, the DNS server its mark); `up` returns only after that. */
async function waitListening(log: string, container: string, mark: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Polls after 2, 4, 8, then every 10 ms: the log is a few lines, and a 15 ms poll made `up` wait
  // 7 ms on average after the DNS server was listening.
  for (let wait = 2; ; wait = Math.min(10, wait * 2)) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    if (text.includes(mark)) return;
    if (Date.now() > deadline) throw new Error(`container "${container}" did not start listening within ${timeoutMs} ms: ${text.trim().split('\n').at(-1) ?? ''}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Restarts one container of a live pod: the process is replaced, the pod's sandbox (and so its IP) stays. */
export async function restartContainer(state: LabState, podName: string, container: string): Promise<void> {
  const pod = state.plan.pods.find((p) => p.name === podName);
  const rec = state.pods[podName]?.containers[container];
  if (!pod || !rec) throw new Error(`no container "${container}" in pod "${podName}" of lab "${state.lab}"`);
  await stopProcesses([rec]);
  await startContainers(state.plan, state, pod, container);
}
