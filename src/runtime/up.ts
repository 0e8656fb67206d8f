/**
 * Step "apply" for a whole lab: runs what render produced, in order, journaling each step before
 * it runs so that `down` can undo any prefix of it. Nodes and pods are wired in parallel.
 */
import { startAgent } from './agent.ts';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { NETNS_RUN_DIR, PODLAB_CNI_PLUGINS } from '../constants.ts';
import { cniMode } from '../cni/registry.ts';
import type { Plan } from '../plan/plan.ts';
import { GRADED_LAB_LIMITS, gatewaySysctls, hostSysctls, mountTemplateArgv, nodeSysctls, podFilesRoot, type Rendered } from '../render/render.ts';
import { writeRendered } from '../render/files.ts';
import { cniAdd } from './cni.ts';
import { allowLowPorts } from './container.ts';
import { must, parallel, realExecutor, type Executor } from './exec.ts';
import { ensureCniPlugins, ensureDnsServer, ensureNative, PAUSE_BIN } from './artifacts.ts';
import { isAlive, recordOf } from './procs.ts';
import { spawnContainers, startHosts, startNodeSandboxes, startSandbox, startsEarly, waitContainers } from './sandbox.ts';
import { mountFrom } from './sandbox-join.ts';
import { mountStateDir } from './statefs.ts';
import { ensureLabSecret } from './identity.ts';
import { syncServices } from './services.ts';
import { prepareIngress, waitIngress } from './ingress.ts';
import { mark, traced } from '../lib/trace.ts';
import { cgroupHost, labCgroupName, makeCgroup } from '../lib/cgroups.ts';
import { coalescedWriter, journal, stateDir, writeState, type LabState, type ProcessRecord } from './state.ts';
import { startAsUid } from './uids.ts';

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
    mark(`up: step ${name}`);
    options.onStep?.(name);
    if (options.crashAfterStep !== undefined && ++stepCount > options.crashAfterStep) process.kill(process.pid, 'SIGKILL');
  };

  // The state directory is a tmpfs of the lab's own (statefs.ts), before anything is written to
  // it; mounted (by the spawner) while this process checks what podlab builds for itself.
  const mounting = mountStateDir(ex, plan.lab);
  try {
    // The native binaries (pause, workload, probe, spawner): (re)built if missing or older than native/.
    const native = await traced('up: native binaries fresh?', () => ensureNative(ex));
    if (native) throw new Error(native.message);
    if (plan.dns || plan.hosts.some((h) => h.dns)) {
      // The DNS server runs as a bundle: (re)build it if missing or older than its sources.
      const problem = await traced('up: DNS server bundle fresh?', () => ensureDnsServer());
      if (problem) throw new Error(problem.message);
    }
    // podlab's own CNI plugins that the nodes' conflists name (e.g. calico): (re)compiled if missing or stale.
    const own = PODLAB_CNI_PLUGINS.filter((t) => plan.nodes.some((n) => n.conflist.plugins.some((p) => p.type === t)));
    if (own.length) {
      const problem = await ensureCniPlugins(own, ex);
      if (problem) throw new Error(problem.message);
    }
  } finally {
    // Nothing returns or throws while the mount is in flight (the caller's `down` unmounts it).
    await mounting.catch(() => undefined);
  }
  await mounting;
  step('state');
  mkdirSync(`${dir}/logs`, { recursive: true });
  // The lab's secret, root's alone: its http-echo servers' keys are made from it (identity.ts).
  ensureLabSecret(plan.lab);
  // A graded lab's containers share one cgroup, held to GRADED_LAB_LIMITS: a submission's memory
  // hog is OOM-killed there, not beside another student's lab (SECURITY.md). Where the host has no
  // memory cgroup podlab can use, they run without one (grade says so).
  const cgroups = plan.ownRoots ? cgroupHost() : undefined;
  if (cgroups && !('missing' in cgroups)) state.cgroup = makeCgroup(cgroups, labCgroupName(plan.lab), GRADED_LAB_LIMITS);
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
  // The ingress controller's certificates and run directory, before its pod starts.
  await prepareIngress(ex, plan);
  // Pods' mount namespaces start as copies of this one, which has the host's nsfs mounts dropped
  // already: copying and dropping a thousand of them per pod cost 4 ms of each pod's start.
  // Pods running podlab-dns get their sandbox now, alongside the node network and the nodes
  // (neither needs the other; together 10-15 ms). Their containers start once every pod has its
  // network (below).
  const early = new Set(plan.pods.filter(startsEarly));
  const starting = traced('up: mount template, node sandboxes, early pods (DNS)', async () => {
    state.mountTemplate = recordOf(await ex.spawn(mountTemplateArgv(plan, PAUSE_BIN), { readyLine: 'ready' }));
    const template = mountFrom(state);
    // Each node's identity (hostname, /etc/hosts), before any hostNetwork pod's sandbox joins its
    // network; the early pods' sandboxes (none is hostNetwork) alongside. Both settle before this returns.
    const settled = await Promise.allSettled([
      startNodeSandboxes(ex, plan, state, template),
      (async () => {
        for (const pod of early) await startSandbox(ex, plan, state, pod, files, template);
      })(),
    ]);
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    writeState(state);
    return template;
  });
  try {
    step('node-network');
    await must(ex, ['ip', '-n', plan.fabric.netns, '-batch', `${files}/ip/fabric.batch`]);

    step('nodes');
    await Promise.all([
      parallel(plan.nodes, plan.nodes.length, async (node) => {
        // Before the node's batch: with IPv6, DAD is off before any of its interfaces comes up.
        await must(ex, ['nsenter', `--net=${NETNS_RUN_DIR}/${node.netns}`, '--', 'sysctl', '-qw', ...nodeSysctls(plan, node)]);
        await must(ex, ['ip', '-n', node.netns, '-batch', `${files}/ip/node-${node.name}.batch`]);
        for (const argv of cniMode(node.cni.type).nodeCommands(node, files)) await must(ex, argv);
        await startNodeDaemons(ex, plan, state, node, files);
      }),
      ...(plan.gateway
        ? [
            (async () => {
              await must(ex, ['nsenter', `--net=${NETNS_RUN_DIR}/${plan.gateway!.netns}`, '--', 'sysctl', '-qw', ...gatewaySysctls(plan)]);
              await must(ex, ['ip', '-n', plan.gateway!.netns, '-batch', `${files}/ip/gateway.batch`]);
            })(),
          ]
        : []),
      ...plan.hosts.map(async (h) => {
        const sysctls = hostSysctls(plan, h);
        if (sysctls.length) await must(ex, ['nsenter', `--net=${NETNS_RUN_DIR}/${h.netns}`, '--', 'sysctl', '-qw', ...sysctls]);
        await must(ex, ['ip', '-n', h.netns, '-batch', `${files}/ip/host-${h.name}.batch`]);
      }),
    ]);
  } finally {
    // Nothing returns or throws while the early pods are still starting.
    await starting.catch(() => undefined);
  }
  const template = await starting;

  step('pods');
  const nodes = new Map(plan.nodes.map((n) => [n.name, n]));
  const saver = coalescedWriter(state);
  // The early pods' network first: the cluster's DNS.
  const order = [...early, ...plan.pods.filter((p) => !early.has(p))];
  // Counts down as each pod's network is done (its CNI ADD), or the pod failed or was skipped.
  let adding = order.length;
  let podFailed = false;
  let allAdded!: () => void;
  const added = new Promise<void>((resolve) => (allAdded = resolve));
  if (!adding) allAdded();
  // The outside hosts' daemons (an upstream DNS server, a web server) need only their own network,
  // built in step 'nodes': they start now, their Node start-up beside the pods' CNI calls.
  const hostsStarted = traced('up: outside hosts serving', () => startHosts(ex, plan, state));
  const hostsServing = hostsStarted.then(
    () => true,
    () => false,
  );
  const podsWired = parallel(order, POD_CONCURRENCY, async (pod) => {
    let lowPorts: Promise<void> | undefined;
    try {
      if (options.signal?.aborted) return;
      if (!early.has(pod)) await startSandbox(ex, plan, state, pod, files, template, saver.save);
      // A pod's own sandbox let its containers bind low ports (pause --low-ports); in a node's
      // network (hostNetwork) the sysctl is written while the CNI plugins run: neither needs the other.
      lowPorts = pod.containers.length && pod.hostNetwork ? allowLowPorts(ex, pod.netns) : undefined;
      try {
        if (!pod.hostNetwork) state.pods[pod.name]!.cniResult = await cniAdd(ex, nodes.get(pod.node)!, pod);
      } finally {
        await lowPorts?.catch(() => undefined);
      }
      await lowPorts;
      state.pods[pod.name]!.ip = pod.ip;
      saver.save();
    } catch (e) {
      podFailed = true;
      throw e;
    } finally {
      if (--adding === 0) allAdded();
    }
    if (early.has(pod) || options.signal?.aborted) return;
    await spawnContainers(ex, plan, state, pod, undefined, saver.save, true);
    await traced(`up: pod ${pod.name}: containers listening`, () => waitContainers(state, pod));
  });
  // The DNS server once every pod has its network, beside the other pods' containers: its
  // container binds the DNS sockets first (contain --listen; a few ms) and `up` waits for that
  // only, so Node's start-up (some 60 ms of CPU) runs after `up` rather than beside the CNI calls.
  // A query sent before the server has started waits in its socket; nothing is refused
  // (src/dns/activation.ts). Nothing of it starts once a pod has failed. It also waits for the
  // outside hosts to serve (long done by then, as a rule): its `loop` probe goes through `forward`
  // to an upstream host as soon as it has started, and an upstream still starting would make that
  // probe time out, an error in a healthy lab's log (CoreDNS would log the same).
  const dnsStarted = Promise.race([added, podsWired.then(() => undefined, () => 'failed' as const)]).then(async (r) => {
    if (!(await hostsServing)) return;
    for (const pod of early) {
      if (r === 'failed' || podFailed || options.signal?.aborted) return;
      await spawnContainers(ex, plan, state, pod, undefined, saver.save, true);
      await traced(`up: pod ${pod.name}: containers listening`, () => waitContainers(state, pod));
    }
  });
  const wiring = Promise.allSettled([podsWired, dnsStarted, hostsStarted])
    .then((rs) => {
      for (const r of rs) if (r.status === 'rejected') throw r.reason;
    })
    .finally(saver.flush);

  // kube-proxy's tables are loaded while the pods come up, with the endpoints the plan expects
  // once every pod is ready; `up` succeeds only when they all are, and then (step 'services')
  // syncs the live endpoints: no change, unless a pod is not where the plan put it. The DNS
  // server's view of the cluster is published only then, from the live pods. Nothing returns or
  // throws while pods are still being wired. The namespaces are this `up`'s own, new: the tables
  // are added, not replaced.
  const programming = traced('up: kube-proxy tables (planned endpoints)', () => syncServices(ex, state, plan.endpoints, { publish: false, planned: true, fresh: true }));
  const [w, p] = await Promise.allSettled([wiring, programming]);
  for (const r of [w, p]) if (r.status === 'rejected') throw r.reason;

  step('services');
  await traced('up: kube-proxy tables (live endpoints), DNS view', () => syncServices(ex, state));
  await waitIngress(state);
  writeState(state);

  state.status = 'up';
  step('up');
  // The control loops run once the lab is up (docs/control-loops.md).
  if (plan.loops) await startAgent(ex, state);
  return state;
}

/**
 * The CNI mode's daemons of a node (e.g. BIRD): started in the node's network namespace, recorded
 * (pid + start time) before anything waits on them, so `down` stops them by pid; ready once their
 * ready file exists (BIRD's control socket, created after its configuration was read).
 */
export async function startNodeDaemons(ex: Executor, plan: Plan, state: LabState, node: Plan['nodes'][number], files: string): Promise<void> {
  const dir = stateDir(plan.lab);
  for (const d of cniMode(node.cni.type).nodeDaemons(node, files, dir)) {
    const log = `${dir}/logs/${node.name}_${d.name}.log`;
    const start = async (uid?: number) => {
      const argv = ['nsenter', `--net=${NETNS_RUN_DIR}/${node.netns}`, '--', ...d.argv, ...(uid !== undefined ? d.dropTo!(uid) : [])];
      return { ...recordOf(await ex.spawn(argv, { logFile: log })), argv, log };
    };
    // A daemon that can give up root does (BIRD: its configuration is written from the lab, which is untrusted: SECURITY.md).
    const rec = d.dropTo ? await startAsUid('container', start) : await start();
    (state.daemons ??= {})[`${node.name}/${d.name}`] = rec;
    writeState(state);
    if (d.readyFile) await waitReady(rec, d.readyFile, `${d.name} on node ${node.name}`);
  }
}

/** Waits until `file` exists; fails (with the log's last lines) if the process exits first, or after `timeoutMs`. */
async function waitReady(rec: ProcessRecord & { log: string }, file: string, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const tail = () => (existsSync(rec.log) ? readFileSync(rec.log, 'utf8').trim().split('\n').slice(-3).join(' | ') : '');
  for (let wait = 1; ; wait = Math.min(20, wait * 2)) {
    if (existsSync(file)) return;
    if (!isAlive(rec)) throw new Error(`${what} exited before it was ready: ${tail()}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms: ${tail()}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * What `up` writes to the state directory: the rendered files but the pods' own (resolv.conf,
 * hosts), which pause writes inside each pod's mount namespace instead; 2000 fewer files on disk
 * for 1000 pods. generated/ still shows them.
 */
export function runtimeFiles(rendered: Rendered): Rendered {
  return new Map([...rendered].filter(([rel]) => !rel.startsWith(`${podFilesRoot}/`)));
}
