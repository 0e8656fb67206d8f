/**
 * The lab's agent: one background process per lab (`podlab agent <lab>`, started by `up` after the
 * lab is built, recorded as `agent` in the state, stopped first by `down`) running the control
 * loops a kubelet and the workload controllers run in a cluster:
 *
 * - restarts: a container that exited is started again in its pod's sandbox (same IP: the pause
 *   process holds the network) per its restartPolicy, with the kubelet's back-off (loops/backoff.ts);
 * - probes: readiness and liveness probes (exec, tcpSocket, httpGet) run inside the pod's network
 *   namespace on their period; a failed liveness probe restarts the container;
 * - endpoints: whenever the endpoints of the moment (running and ready pods) differ from those the
 *   kube-proxy tables hold, they are synced through `syncServices` — the same incremental nft
 *   diffs and DNS view podlab's own commands use;
 * - Deployments: pods deleted, or evicted from a failed node after the grace, are replaced by new
 *   pods (new name, new IP) on a node the scheduler picks (loops/replicaset.ts);
 * - node failure: a failed node's pods are left alone (its kubelet is "down") until the grace ends,
 *   then they are marked not ready and Deployment pods there are evicted.
 *
 * Each decision is recorded as an event (runtime/events.ts); what the agent knows is published in
 * loops.json (runtime/loops-state.ts). The state journal is re-read every tick and written right
 * after each change, so commands and scenario actions that change the lab meanwhile are seen.
 */
import type { PlanPod } from '../plan/plan.ts';
import type { PlanProbe } from '../plan/loops.ts';
import { containerId, netns } from '../plan/names.ts';
import { serviceKey } from '../plan/services.ts';
import { newHistory, nextRestart, recordExit, recordRestart, type RestartHistory } from '../loops/backoff.ts';
import { isDue, newProbe, recordResult, type ProbeState } from '../loops/probe.ts';
import { reconcile, type OwnedPod, type Reconcile } from '../loops/replicaset.ts';
import type { Placed, SchedNode } from '../loops/scheduler.ts';
import type { PlanDeployment } from '../plan/loops.ts';
import { noteRevision } from '../loops/revisions.ts';
import { rolloutStep, type RolloutStep } from '../loops/rollout.ts';
import { NETNS_RUN_DIR } from '../constants.ts';
import { formatAddr, hostPort, nth, parseAddr, parsePrefix } from '../net/addr.ts';
import { PROBE_BIN, REPO_ROOT } from './artifacts.ts';
import { httpGetIn } from './http-probe.ts';
import { recordEvent, recordPodStarted, type EventReason } from './events.ts';
import { ownNodeEnv, type Executor } from './exec.ts';
import { readExit, reasonOf } from './exits.ts';
import { exitFileOf } from '../render/render.ts';
import { withLabMutex } from './mutex.ts';
import { readControl, readLoops, writeLoops, type LoopsFile } from './loops-state.ts';
import { createPod, deletePod } from './pods.ts';
import { isAlive, killProcesses, recordOf, stopProcesses } from './procs.ts';
import { startedAtIso } from '../lib/proc.ts';
import { spawnContainers, waitContainers } from './sandbox.ts';
import { joinArgs } from './sandbox-join.ts';
import { liveEndpoints, syncServices, type Endpoints } from './services.ts';
import { readState, stateDir, writeState, type LabState } from './state.ts';
import { isoSeconds } from '../lib/time.ts';

interface ContainerMemory {
  pid?: number;
  history: RestartHistory;
  readiness?: ProbeState;
  liveness?: ProbeState;
  /** The exit code the agent caused (a liveness kill), or a crash action announced. */
  knownExit?: number;
  announcedBackoff?: boolean;
}

export class Agent {
  readonly mem = new Map<string, ContainerMemory>();
  file: LoopsFile;
  private probing = new Set<string>();

  constructor(
    readonly lab: string,
    readonly ex: Executor,
    readonly now: () => number = Date.now,
  ) {
    this.file = readLoops(lab) ?? { agent: { pid: process.pid }, pods: {}, failedNodes: {}, evictedNodes: [], seq: {} };
    this.file.agent = { pid: process.pid };
  }

  private event(type: 'Normal' | 'Warning', reason: EventReason, object: string, message: string): void {
    recordEvent(this.lab, { type, reason, object, message });
  }

  /** One round of every loop; 'gone' when the lab is being taken down (the agent then exits). */
  async tick(): Promise<'gone' | 'ok'> {
    const probe = readState(this.lab);
    if (!probe || probe.status === 'deleting' || probe.status === 'failed') return 'gone';
    if (probe.status !== 'up' || !probe.plan.loops) return 'ok';
    const before = JSON.stringify(this.file);
    // Changes to the lab are made holding its mutex (runtime/mutex.ts), each part on the state
    // read inside it; the probes, which change nothing but the agent's memory, run outside.
    await withLabMutex(this.lab, async () => {
      const state = readState(this.lab);
      if (!state || state.status !== 'up') return;
      this.nodes(state);
      await this.containers(state);
    });
    const state = readState(this.lab);
    if (state?.status === 'up') await this.probes(state);
    await withLabMutex(this.lab, async () => {
      let state = readState(this.lab);
      if (!state || state.status !== 'up') return;
      this.readiness(state);
      state = (await this.deployments(state)) ?? state;
      if (JSON.stringify(this.file) !== before) writeLoops(this.lab, this.file);
      await this.syncEndpoints(state);
    });
    return 'ok';
  }

  /** Nodes failed by `podlab node fail` (loops-control.json); after the grace their pods are evicted. */
  private nodes(state: LabState): void {
    const failed = readControl(this.lab).failedNodes;
    const grace = state.plan.loops!.settings.nodeGraceMs;
    for (const [node, at] of Object.entries(failed)) {
      if (this.file.failedNodes[node] === undefined) {
        this.file.failedNodes[node] = at;
        this.event('Warning', 'NodeNotReady', `node/${node}`, `node ${node} stopped posting status; its pods are evicted after ${grace} ms`);
      }
      if (!this.file.evictedNodes.includes(node) && this.now() - at >= grace) {
        this.file.evictedNodes.push(node);
        for (const p of state.plan.pods.filter((q) => q.node === node && state.pods[q.name])) this.setReady(p.name, false, `node ${node} is not ready`);
      }
    }
    for (const node of Object.keys(this.file.failedNodes)) {
      if (failed[node] !== undefined) continue;
      delete this.file.failedNodes[node];
      this.file.evictedNodes = this.file.evictedNodes.filter((n) => n !== node);
      this.event('Normal', 'NodeReady', `node/${node}`, `node ${node} is ready again`);
    }
  }

  private onFailedNode(pod: PlanPod): boolean {
    return this.file.failedNodes[pod.node] !== undefined;
  }

  private podFile(name: string): LoopsFile['pods'][string] {
    return (this.file.pods[name] ??= { ready: false, containers: {} });
  }

  private setReady(pod: string, ready: boolean, why: string): void {
    const f = this.podFile(pod);
    if (f.ready === ready) return;
    f.ready = ready;
    this.event(ready ? 'Normal' : 'Warning', ready ? 'Ready' : 'NotReady', `pod/${pod}`, `pod ${pod} is ${ready ? 'ready' : 'not ready'}: ${why}`);
  }

  private probesFor(c: PlanPod['containers'][number], now: number): Pick<ContainerMemory, 'readiness' | 'liveness'> {
    return { ...(c.readinessProbe ? { readiness: newProbe('readiness', now) } : {}), ...(c.livenessProbe ? { liveness: newProbe('liveness', now) } : {}) };
  }

  /** Restarts: every container of every running pod (not on a failed node), alive or due a restart. */
  private async containers(state: LabState): Promise<void> {
    const { backoff } = state.plan.loops!.settings;
    for (const pod of state.plan.pods) {
      const ps = state.pods[pod.name];
      if (!ps || this.onFailedNode(pod)) continue;
      if (!pod.hostNetwork && (!ps.pause || !isAlive(ps.pause))) continue;
      for (const c of pod.containers) {
        const key = `${pod.name}/${c.name}`;
        const rec = ps.containers[c.name];
        const now = this.now();
        let m = this.mem.get(key);
        if (!m) this.mem.set(key, (m = { pid: rec?.pid, history: newHistory(now), ...this.probesFor(c, now) }));
        const cf = (this.podFile(pod.name).containers[c.name] ??= { restarts: 0, state: 'running' });
        if (rec && rec.pid !== m.pid) {
          // Started again by someone else (`restart-container`): a new run.
          Object.assign(m, { pid: rec.pid, history: { ...m.history, startedAt: now, exitedAt: undefined }, announcedBackoff: false }, this.probesFor(c, now));
        }
        if (rec && isAlive(rec)) {
          cf.state = 'running';
          delete cf.reason;
          delete cf.backoffMs;
          continue;
        }
        const policy = c.restartPolicy ?? 'Always';
        if (m.history.exitedAt === undefined) {
          // Seen dead this round: the pod leaves the endpoints now (readiness below, then the
          // sync), and the restart comes on a later round, never before the endpoints moved.
          // The exit code is the one the container's shim wrote (runtime/exits.ts). A shim that
          // wrote none was itself killed outright (SIGKILL: a liveness kill, crash-container, or a
          // learner's `kill -9` of the pid status shows), and its program died with it of SIGKILL
          // (PR_SET_PDEATHSIG, native/contain.c): 137, signal 9, as the kubelet reports a container
          // killed so. A container without a shim (the DNS server) has no code to tell.
          const exit = rec ? readExit(this.lab, state.plan, pod, c, rec.pid) : undefined;
          const shimmed = rec !== undefined && exitFileOf(state.plan, stateDir(this.lab), pod, c) !== undefined;
          const code = exit?.code ?? m.knownExit ?? (shimmed ? 137 : undefined);
          const signal = exit ? exit.signal : code === 137 ? 9 : undefined;
          m.knownExit = undefined;
          m.history = recordExit(m.history, code ?? 1, now, backoff);
          cf.lastExitCode = code;
          const startedAt = rec ? startedAtIso(rec.startTime) : undefined;
          if (startedAt) cf.lastStartedAt = startedAt;
          else delete cf.lastStartedAt;
          cf.lastFinishedAt = isoSeconds(now);
          const reason = code === undefined ? undefined : reasonOf(code);
          if (reason) cf.lastReason = reason;
          else delete cf.lastReason;
          this.event('Warning', 'Exited', `pod/${pod.name}`, `container ${c.name} exited${code === undefined ? '' : ` with code ${code}${signal ? ` (signal ${signal})` : ''} (${reason})`}`);
          cf.state = 'waiting';
          continue;
        }
        const d = nextRestart(m.history, policy, backoff);
        if (!d.restart) {
          if (cf.state !== 'terminated') this.event('Normal', 'NotRestarted', `pod/${pod.name}`, `container ${c.name} stays terminated: restartPolicy ${policy} and exit code ${m.history.lastExitCode}`);
          cf.state = 'terminated';
          cf.reason = reasonOf(m.history.lastExitCode ?? 1);
          delete cf.backoffMs;
          continue;
        }
        if (now < d.at) {
          cf.state = 'waiting';
          cf.reason = 'CrashLoopBackOff';
          cf.backoffMs = Math.round(d.at - m.history.exitedAt!);
          if (!m.announcedBackoff) this.event('Warning', 'BackOff', `pod/${pod.name}`, `back-off ${Math.round(d.at - m.history.exitedAt!)} ms restarting failed container ${c.name}`);
          m.announcedBackoff = true;
          continue;
        }
        await spawnContainers(this.ex, state.plan, state, pod, c.name);
        const fresh = readState(this.lab);
        if (fresh?.pods[pod.name]) {
          fresh.pods[pod.name]!.containers[c.name] = state.pods[pod.name]!.containers[c.name]!;
          writeState(fresh);
        }
        await waitContainers(state, pod, c.name).catch(() => undefined);
        const started = this.now();
        Object.assign(m, { pid: state.pods[pod.name]!.containers[c.name]!.pid, history: recordRestart(m.history, started), announcedBackoff: false }, this.probesFor(c, started));
        cf.restarts = m.history.restarts;
        cf.state = 'running';
        delete cf.reason;
        delete cf.backoffMs;
        this.event('Normal', 'Restarted', `pod/${pod.name}`, `container ${c.name} restarted (restart ${cf.restarts}); the pod keeps ${ps.ip ?? 'its address'}`);
      }
    }
  }

  /** Runs every probe that is due, in parallel; a failed liveness probe kills its container. */
  private async probes(state: LabState): Promise<void> {
    const runs: Promise<void>[] = [];
    for (const pod of state.plan.pods) {
      const ps = state.pods[pod.name];
      if (!ps?.ip || this.onFailedNode(pod) || (!pod.hostNetwork && !ps.pause)) continue;
      for (const c of pod.containers) {
        const m = this.mem.get(`${pod.name}/${c.name}`);
        const rec = ps.containers[c.name];
        if (!m || !rec || !isAlive(rec)) continue;
        for (const kind of ['readiness', 'liveness'] as const) {
          const probe = kind === 'readiness' ? c.readinessProbe : c.livenessProbe;
          const st = m[kind];
          const key = `${pod.name}/${c.name}/${kind}`;
          if (!probe || !st || this.probing.has(key) || !isDue(st, probe.settings, this.now())) continue;
          this.probing.add(key);
          runs.push(
            this.runProbe(probe, pod, ps.ip, ps.pause?.pid)
              .then(async (ok) => {
                const cur = m[kind];
                if (!cur || m.pid !== rec.pid) return;
                const r = recordResult(cur, ok.ok, this.now(), probe.settings);
                m[kind] = r.state;
                if (!ok.ok && r.state.failures === probe.settings.failureThreshold) this.event('Warning', 'Unhealthy', `pod/${pod.name}`, `${kind === 'readiness' ? 'Readiness' : 'Liveness'} probe failed on container ${c.name}: ${ok.why}`);
                if (kind === 'liveness' && r.changed && !r.state.ok) {
                  this.event('Normal', 'Killing', `pod/${pod.name}`, `container ${c.name} failed its liveness probe, will be restarted`);
                  // SIGKILL at once (exit 137, as the event says): a SIGTERM would race the kill and,
                  // through the container's shim, make the exit code 143 or 137 by chance.
                  m.knownExit = 137;
                  await killProcesses(this.ex, [rec]);
                }
              })
              .finally(() => this.probing.delete(key)),
          );
        }
      }
    }
    await Promise.all(runs);
  }

  private async runProbe(p: PlanProbe, pod: PlanPod, ip: string, pausePid: number | undefined): Promise<{ ok: boolean; why: string }> {
    const timeoutMs = p.settings.timeoutSeconds * 1000;
    const a = p.action;
    const inNet = ['nsenter', `--net=${NETNS_RUN_DIR}/${pod.netns}`, '--'];
    if (a.kind === 'exec') {
      const r = await this.ex.run(['nsenter', ...joinArgs(pod, pausePid), '--', ...a.command], { timeoutMs: timeoutMs + 500 });
      return { ok: r.exitCode === 0, why: `${a.command.join(' ')} exited ${r.exitCode}` };
    }
    if (a.kind === 'tcpSocket') {
      const r = await this.ex.run([...inNet, PROBE_BIN, 'tcp-connect', '--host', ip, '--port', String(a.port), '--timeout-ms', String(timeoutMs)], { timeoutMs: timeoutMs + 500 });
      return { ok: r.exitCode === 0, why: `dial tcp ${hostPort(ip, a.port)}: ${r.stdout.trim() || r.stderr.trim()}` };
    }
    // An IPv6 pod address is bracketed in the URL (RFC 3986), or the URL does not parse.
    const url = `http://${hostPort(ip, a.port)}${a.path}`;
    const got = await httpGetIn(this.ex, pod.netns, url, timeoutMs);
    const ok = got.ok && got.status !== undefined && got.status >= 200 && got.status < 400;
    return { ok, why: got.status !== undefined ? `HTTP probe ${url} answered ${got.status}` : `GET ${url}: ${got.error}` };
  }

  /** A pod is ready when its sandbox and every container run and every readiness probe passes. */
  private readiness(state: LabState): void {
    for (const name of Object.keys(this.file.pods)) if (!state.pods[name]) delete this.file.pods[name];
    for (const pod of state.plan.pods) {
      const ps = state.pods[pod.name];
      if (!ps || this.onFailedNode(pod)) continue;
      const sandbox = pod.hostNetwork || (!!ps.pause && isAlive(ps.pause));
      const down = pod.containers.find((c) => !ps.containers[c.name] || !isAlive(ps.containers[c.name]!));
      const unready = pod.containers.find((c) => c.readinessProbe && !this.mem.get(`${pod.name}/${c.name}`)?.readiness?.ok);
      const why = !sandbox ? 'its sandbox is gone' : down ? `container ${down.name} is not running` : unready ? `container ${unready.name} is not ready` : 'every container runs and passes its readiness probe';
      this.setReady(pod.name, sandbox && !down && !unready, why);
    }
  }

  /** The ReplicaSet loop: pods gone (deleted, or evicted from a failed node) are replaced. */
  private async deployments(state: LabState): Promise<LabState | undefined> {
    const loops = state.plan.loops!;
    let changed = false;
    const nodes = loops.nodes.map((n) => ({ ...n, ready: this.file.failedNodes[n.name] === undefined }));
    // A deleted Deployment's history goes with it: one created again under its name starts at revision 1.
    for (const name of Object.keys(this.file.revisions ?? {})) if (!loops.deployments.some((d) => d.name === name)) delete this.file.revisions![name];
    for (const d of loops.deployments) {
      // Evicted: a Deployment pod on a node whose grace ran out is deleted (a new one replaces it).
      for (const p of state.plan.pods.filter((q) => q.owner === d.name && state.pods[q.name] && this.file.evictedNodes.includes(q.node))) {
        await deletePod(this.ex, state, p.name, { sync: false });
        this.event('Warning', 'Evicted', `pod/${p.name}`, `pod ${p.name} evicted from failed node ${p.node}`);
        changed = true;
      }
      // A pod of the Deployment that is no longer running is gone for good: it leaves the plan.
      const gone = state.plan.pods.filter((q) => q.owner === d.name && !state.pods[q.name]);
      if (gone.length) {
        retireAddresses(state, gone);
        state.plan = { ...state.plan, pods: state.plan.pods.filter((q) => !gone.includes(q)) };
        writeState(state);
        changed = true;
      }
      // The template is the Deployment's own (the lab file's, or as last written: kubectl, podlab set env).
      const ctl = readControl(this.lab);
      const { hash, template } = d;
      const revisions = this.file.revisions?.[d.name] ?? [];
      const noted = noteRevision(revisions, hash, new Date(this.now()).toISOString(), template, d.written);
      if (noted !== revisions) (this.file.revisions ??= {})[d.name] = noted;
      const owned = state.plan.pods.filter((q) => q.owner === d.name);
      const others = state.plan.pods.filter((q) => q.owner !== d.name && state.pods[q.name]).map((q) => ({ node: q.node }));
      const seq = this.file.seq[d.name] ?? owned.length + gone.length;
      const replicas = ctl.replicas[d.name] ?? d.replicas;
      const { r, step } = deploymentRound(d, replicas, owned, (q) => this.file.pods[q.name]?.ready ?? false, nodes, others, seq);
      if (step) {
        for (const message of step.scaled) this.event('Normal', 'ScalingReplicaSet', `deployment/${d.name}`, message);
        this.rolling.add(d.name);
      } else {
        if (this.rolling.delete(d.name)) this.event('Normal', 'RolloutComplete', `deployment/${d.name}`, `deployment ${d.name} rolled out: every pod is of template ${hash}`);
      }
      this.file.seq[d.name] = r.nextSeq;
      // A pod being deleted leaves the endpoints first (Kubernetes: terminating endpoints are not
      // served), so its Service's tables never hold a pod that is already gone.
      const serving = r.delete.filter((n) => this.file.pods[n]?.ready);
      if (serving.length) {
        for (const n of serving) this.setReady(n, false, 'it is being deleted');
        writeLoops(this.lab, this.file);
        await this.syncEndpoints(state);
        // The sync wrote the tables' new endpoints to the state file; this copy must not write the old ones back.
        state.endpoints = readState(this.lab)?.endpoints ?? state.endpoints;
      }
      const gonePods = new Map(state.plan.pods.filter((q) => r.delete.includes(q.name)).map((q) => [q.name, q.labels['pod-template-hash'] ?? d.hash]));
      retireAddresses(state, state.plan.pods.filter((q) => r.delete.includes(q.name)));
      for (const name of r.delete) {
        await deletePod(this.ex, state, name, { sync: false });
        state.plan = { ...state.plan, pods: state.plan.pods.filter((q) => q.name !== name) };
        writeState(state);
        // The ReplicaSet's doing, as in Kubernetes (the Deployment's own event is ScalingReplicaSet): the pod's template's.
        this.event('Normal', 'SuccessfulDelete', `replicaset/${d.name}-${gonePods.get(name) ?? hash}`, `Deleted pod: ${name}`);
        changed = true;
      }
      for (const c of r.create) {
        if (!template) break;
        const t = template;
        const pod: PlanPod = {
          ...t,
          name: c.name,
          hostname: c.name,
          node: c.node,
          // A placeholder in the node's pod CIDR; createPod gives it the node's next free address.
          ip: formatAddr(nth(parsePrefix(state.plan.nodes.find((n) => n.name === c.node)!.podCidr)!, 1)!),
          netns: netns.pod(state.lab, t.namespace, c.name),
          containerId: containerId(state.lab, t.namespace, c.name),
          containers: t.containers.map((k) => ({ ...k, argv: k.argv.map((a, i) => (k.argv[i - 1] === '--pod' && a === t.name ? c.name : a)) })),
        };
        state.plan = { ...state.plan, pods: [...state.plan.pods, pod] };
        writeState(state);
        this.event('Normal', 'Scheduled', `pod/${c.name}`, `successfully assigned ${t.namespace}/${c.name} to ${c.node}`);
        try {
          const { ip } = await createPod(this.ex, state, c.name, { sync: false });
          this.event('Normal', 'SuccessfulCreate', `replicaset/${d.name}-${hash}`, `Created pod: ${c.name} (on ${c.node} at ${ip})`);
          recordPodStarted(this.lab, pod);
        } catch (e) {
          state.plan = { ...state.plan, pods: state.plan.pods.filter((q) => q.name !== c.name) };
          writeState(state);
          this.event('Warning', 'FailedCreate', `replicaset/${d.name}-${hash}`, `Error creating: pod ${c.name}: ${(e as Error).message}`);
        }
        changed = true;
      }
      if (r.pending && !r.create.length && !r.delete.length && this.pendingSaid.get(d.name) !== r.pending) {
        this.event('Warning', 'FailedScheduling', `deployment/${d.name}`, `${r.pending} pod(s) Pending: no node fits`);
      }
      this.pendingSaid.set(d.name, r.pending);
    }
    return changed ? state : undefined;
  }

  private pendingSaid = new Map<string, number>();
  /** Deployments in the middle of a rolling update (a RolloutComplete event when it ends). */
  private rolling = new Set<string>();

  /** Endpoints follow the pods: synced (nft diffs, the DNS view) when they differ from the tables'. */
  private async syncEndpoints(state: LabState): Promise<void> {
    const fresh = readState(this.lab) ?? state;
    const want = liveEndpoints(fresh);
    const have: Endpoints = fresh.endpoints ?? {};
    if (JSON.stringify(want) === JSON.stringify(have)) return;
    await syncServices(this.ex, fresh, want);
    const latest = readState(this.lab);
    if (latest) {
      latest.endpoints = fresh.endpoints;
      writeState(latest);
    }
    for (const s of fresh.plan.services) {
      const k = serviceKey(s);
      const before = new Set((have[k] ?? []).map((e) => `${e.pod} ${e.ip}`));
      const after = new Set((want[k] ?? []).map((e) => `${e.pod} ${e.ip}`));
      for (const e of before) if (!after.has(e)) this.event('Normal', 'EndpointRemoved', `service/${k}`, `${e.replace(' ', ' (')}) left the endpoints of ${k}`);
      for (const e of after) if (!before.has(e)) this.event('Normal', 'EndpointAdded', `service/${k}`, `${e.replace(' ', ' (')}) joined the endpoints of ${k}`);
    }
  }
}

/**
 * One round of a Deployment's ReplicaSet loop, pure: its pods `owned` in the order they were made
 * (the plan's: the agent appends each new pod), so a later one is newer, as the ReplicaSet
 * controller ranks them to pick whom a scale-down deletes (loops/replicaset.ts); `step` when a new
 * template is being rolled out (loops/rollout.ts).
 */
export function deploymentRound(
  d: PlanDeployment<PlanPod>,
  replicas: number,
  owned: readonly PlanPod[],
  ready: (q: PlanPod) => boolean,
  nodes: readonly SchedNode[],
  others: readonly Placed[],
  seq: number,
): { r: Reconcile; step?: RolloutStep & { scaled: string[] } } {
  const hash = d.hash;
  const view = (q: PlanPod): OwnedPod => ({ name: q.name, node: q.node, createdAt: owned.indexOf(q), ready: ready(q) });
  const hashOf = (q: PlanPod) => q.labels['pod-template-hash'] ?? d.hash;
  if (!owned.some((q) => hashOf(q) !== hash)) return { r: reconcile({ ...d, hash, replicas }, owned.map(view), nodes, others, seq) };
  // A rolling update (loops/rollout.ts): new pods up to the surge, old ones down as new ones get
  // ready; or, for the Recreate strategy, every old pod down before the first new one.
  const step = rolloutStep(replicas, owned.map((q) => ({ ...view(q), current: hashOf(q) === hash })), d.strategy);
  const kept = owned.filter((q) => !step.delete.includes(q.name));
  // The deployment controller's ScalingReplicaSet events, one per ReplicaSet it scaled: "Scaled up
  // replica set web-<hash> from 1 to 2", "Scaled down replica set web-<old hash> from 3 to 2".
  const count = (h: string) => owned.filter((q) => hashOf(q) === h).length;
  const scaled: string[] = [];
  if (step.create) scaled.push(`Scaled up replica set ${d.name}-${hash} from ${count(hash)} to ${count(hash) + step.create}`);
  for (const h of [...new Set(owned.filter((q) => step.delete.includes(q.name)).map(hashOf))]) {
    const gone = owned.filter((q) => hashOf(q) === h && step.delete.includes(q.name)).length;
    scaled.push(`Scaled down replica set ${d.name}-${h} from ${count(h)} to ${count(h) - gone}`);
  }
  return { r: { ...reconcile({ ...d, hash, replicas: kept.length + step.create }, kept.map(view), nodes, others, seq), delete: step.delete }, step: { ...step, scaled } };
}

/** Addresses of pods that are gone are not handed out again at once: a replacement visibly gets a new IP. */
function retireAddresses(state: LabState, pods: readonly PlanPod[]): void {
  // Their addresses are not handed out again at once: a replacement visibly gets a new IP.
  const next = (state.nextPodHost ??= {});
  for (const q of pods) {
    const cidr = parsePrefix(state.plan.nodes.find((n) => n.name === q.node)!.podCidr)!;
    const host = Number(parseAddr(q.ip)!.value - cidr.network);
    if (host > 0 && host < 2 ** Math.min(32, (cidr.family === 'IPv4' ? 32 : 128) - cidr.bits)) next[q.node] = Math.max(next[q.node] ?? 0, host + 1);
  }
}

/** Runs the agent until the lab goes away (or SIGTERM); prints `ready` once its first round is done. */
export async function runAgent(lab: string, ex: Executor, onReady: () => void): Promise<void> {
  const agent = new Agent(lab, ex);
  let stop = false;
  // A SIGTERM (`down` stops the agent first, and waits for it) ends the wait between ticks at
  // once, not a tick later: a tick under way finishes, then the agent exits.
  let wake = () => {};
  const quit = () => {
    stop = true;
    wake();
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  const first = readState(lab);
  const tickMs = first?.plan.loops?.settings.tickMs ?? 200;
  writeLoops(lab, agent.file);
  let ready = false;
  while (!stop) {
    const t = Date.now();
    let r: 'gone' | 'ok' = 'ok';
    try {
      r = await agent.tick();
    } catch (e) {
      process.stderr.write(`agent: ${(e as Error).stack ?? e}\n`);
    }
    if (r === 'gone') break;
    if (!ready) {
      ready = true;
      onReady();
    }
    if (stop) break;
    await new Promise<void>((res) => {
      const timer = setTimeout(res, Math.max(0, tickMs - (Date.now() - t)));
      wake = () => {
        clearTimeout(timer);
        res();
      };
    });
  }
  process.off('SIGTERM', quit);
  process.off('SIGINT', quit);
}


/** Starts the lab's agent (`podlab agent <lab>`) and records it; `up` calls it once the lab is up. */
export async function startAgent(ex: Executor, state: LabState): Promise<void> {
  const log = `${stateDir(state.lab)}/logs/agent.log`;
  const pid = await ex.spawn([process.execPath, `${REPO_ROOT}bin/podlab.js`, 'agent', state.lab], { logFile: log, readyLine: 'ready', readyTimeoutMs: 60_000, cleanEnv: true, env: ownNodeEnv() });
  state.agent = { ...recordOf(pid), log };
  writeState(state);
}

// stopAgent lives with the process helpers, so that `down` stops an agent without loading this module.
export { stopAgent } from './procs.ts';
