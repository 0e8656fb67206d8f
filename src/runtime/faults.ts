/**
 * Failures made on demand, for the control loops to answer: a container crashes (SIGKILL: the
 * agent restarts it, exit code 137), a built-in http-echo turns unhealthy or healthy (SIGUSR1 /
 * SIGUSR2: its /healthz answers 503 or 200, so its probes fail or pass), a node fails (its link to
 * the node network is unplugged and the agent stops acting for it) or is restored, and a
 * Deployment is scaled. Each is recorded as an event; the agent does the rest.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NETNS_RUN_DIR } from '../constants.ts';
import { hostPort } from '../net/addr.ts';
import { httpGetIn } from './http-probe.ts';
import { recordChange } from './events.ts';
import type { Executor, RunResult } from './exec.ts';
import { PodError } from './pods.ts';
import { isAlive } from './procs.ts';
import { readControl, updateControl } from './loops-state.ts';
import type { LabState } from './state.ts';

function container(state: LabState, pod: string, name?: string) {
  const planned = state.plan.pods.find((p) => p.name === pod);
  const ps = state.pods[pod];
  if (!planned || !ps) throw new PodError('PL3030', `lab "${state.lab}" has no running pod "${pod}"; pods: ${Object.keys(state.pods).filter((n) => state.plan.pods.some((p) => p.name === n)).join(', ')}`);
  const c = name ? planned.containers.find((k) => k.name === name) : planned.containers[0];
  const rec = c && ps.containers[c.name];
  if (!c || !rec) throw new PodError('PL3032', `pod "${pod}" has no container "${name}"; containers: ${planned.containers.map((k) => k.name).join(', ')}`);
  return { c, rec, ip: ps.ip };
}

/** Kills a container as a crash would (SIGKILL); the agent restarts it in the same sandbox. */
export function crashContainer(ex: Executor, state: LabState, pod: string, name?: string): { container: string; pid: number; ip?: string } {
  const { c, rec, ip } = container(state, pod, name);
  if (!isAlive(rec)) throw new PodError('PL3033', `container "${c.name}" of pod "${pod}" is not running`);
  recordChange(state.lab, { type: 'Warning', reason: 'Crash', object: `pod/${pod}`, message: `container ${c.name} (pid ${rec.pid}) killed with SIGKILL` });
  ex.signal(rec.pid, 'SIGKILL');
  return { container: c.name, pid: rec.pid, ip };
}

/**
 * Makes a pod's built-in http-echo servers answer /healthz with 503 (healthy false) or 200, and
 * waits until each does (asked from the pod's network namespace, as the kubelet's prober asks).
 * Signals are not queued in order: a make-ready sent while the make-unready before it was still
 * pending could be handled first and leave the pod unhealthy for good. Waiting for the answer
 * orders them.
 */
export async function setHealth(ex: Executor, state: LabState, pod: string, healthy: boolean, waitMs = HEALTH_WAIT_MS): Promise<string[]> {
  const planned = state.plan.pods.find((p) => p.name === pod);
  const ps = state.pods[pod];
  if (!planned || !ps) throw new PodError('PL3030', `lab "${state.lab}" has no running pod "${pod}"`);
  const servers = planned.containers.filter((c) => c.argv[0] === '@workload' && c.argv[1] === 'http-echo' && ps.containers[c.name] && isAlive(ps.containers[c.name]!));
  if (!servers.length) throw new PodError('PL3037', `pod "${pod}" runs no http-echo workload to make ${healthy ? 'healthy' : 'unhealthy'}`);
  for (const c of servers) ex.signal(ps.containers[c.name]!.pid, healthy ? 'SIGUSR2' : 'SIGUSR1');
  recordChange(state.lab, { type: healthy ? 'Normal' : 'Warning', reason: healthy ? 'Healed' : 'Sickened', object: `pod/${pod}`, message: `${servers.map((c) => c.name).join(', ')}: /healthz answers ${healthy ? 200 : 503}` });
  const want = healthy ? 200 : 503;
  const deadline = Date.now() + waitMs;
  for (const c of servers) {
    const port = c.ports.find((q) => q.protocol === 'TCP')?.containerPort;
    if (port === undefined || !ps.ip) continue;
    for (;;) {
      const got = await httpGetIn(ex, planned.netns, `http://${hostPort(ps.ip, port)}/healthz`, 500);
      if (got.status === want) break;
      if (Date.now() > deadline) throw new PodError('PL3037', `pod "${pod}" container "${c.name}": /healthz does not answer ${want} ${waitMs} ms after the signal (it answered: ${got.said})`);
      await sleep(20);
    }
  }
  return servers.map((c) => c.name);
}

/** How long make-unready / make-ready wait for /healthz to answer as asked. */
const HEALTH_WAIT_MS = 3000;

function node(state: LabState, name: string) {
  const n = state.plan.nodes.find((k) => k.name === name);
  if (!n) throw new PodError('PL3030', `lab "${state.lab}" has no node "${name}"; nodes: ${state.plan.nodes.map((k) => k.name).join(', ')}`);
  return n;
}

/** Fails a node: its link to the node network goes down and the agent stops acting for it. */
export async function failNode(ex: Executor, state: LabState, name: string, now = Date.now()): Promise<RunResult> {
  const n = node(state, name);
  const r = await ex.run(['nsenter', `--net=${NETNS_RUN_DIR}/${state.plan.fabric.netns}`, '--', 'ip', 'link', 'set', n.fabricPort, 'down']);
  // Failing a failed node changes nothing: it keeps the time it failed (its grace counts from then), and no second event.
  let was = false;
  updateControl(state.lab, (c) => {
    was = c.failedNodes[name] !== undefined;
    if (!was) c.failedNodes[name] = now;
  });
  if (!was) recordChange(state.lab, { type: 'Warning', reason: 'NodeFailed', object: `node/${name}`, message: `node ${name} failed: link down, its agent stopped` });
  return r;
}

/** Restores a failed node: link up; it rejoins (empty of the Deployment pods evicted meanwhile). */
export async function restoreNode(ex: Executor, state: LabState, name: string): Promise<RunResult> {
  const n = node(state, name);
  const r = await ex.run(['nsenter', `--net=${NETNS_RUN_DIR}/${state.plan.fabric.netns}`, '--', 'ip', 'link', 'set', n.fabricPort, 'up']);
  // Restoring a node that is not failed changes nothing, and says nothing in the events.
  let was = false;
  updateControl(state.lab, (c) => {
    was = c.failedNodes[name] !== undefined;
    delete c.failedNodes[name];
  });
  if (was) recordChange(state.lab, { type: 'Normal', reason: 'NodeRestored', object: `node/${name}`, message: `node ${name} restored: link up` });
  return r;
}

/** Sets a Deployment's desired replicas; the agent's ReplicaSet loop creates or deletes pods. */
/** The planned Deployment of that name, or PL3036 naming the lab's Deployments. */
export function plannedDeployment(state: LabState, deployment: string) {
  const loops = state.plan.loops;
  const d = loops?.deployments.find((k) => k.name === deployment);
  if (!loops || !d) throw new PodError('PL3036', `lab "${state.lab}" has no Deployment "${deployment}"${loops?.deployments.length ? `; Deployments: ${loops.deployments.map((k) => k.name).join(', ')}` : ''}`);
  return d;
}

export function scaleDeployment(state: LabState, deployment: string, replicas: number): { from: number } {
  const d = plannedDeployment(state, deployment);
  const from = readControl(state.lab).replicas[deployment] ?? d.replicas;
  updateControl(state.lab, (c) => (c.replicas[deployment] = replicas));
  recordChange(state.lab, { type: 'Normal', reason: 'ScalingReplicaSet', object: `deployment/${deployment}`, message: `scaled from ${from} to ${replicas}` });
  return { from };
}
