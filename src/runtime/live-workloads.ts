/**
 * Deployments and Ingresses of a live lab changing, as `kubectl apply` and `kubectl delete` change
 * them. Each change is made holding the lab's mutex (runtime/mutex.ts), on the journal read inside
 * it, so the agent's rounds and these writes never lose each other's changes.
 *
 * - A Deployment is the control loops' own (plan.loops.deployments): a new one, or new replicas,
 *   is left to the agent's ReplicaSet loop, which makes and places its pods exactly as for the
 *   lab file's Deployments (runtime/agent.ts); the desired replicas go where `podlab scale` puts
 *   them (loops-control.json). A new pod template (labels, image, ports, probes: a new
 *   pod-template-hash) is rolled out by the agent as `podlab set env`'s is, by the Deployment's
 *   strategy (loops/rollout.ts): RollingUpdate within its maxSurge and maxUnavailable,
 *   readiness-gated, or Recreate. Deleting a Deployment deletes its pods; the Services that
 *   selected them are synced at once.
 * - An Ingress is the controller's (plan.ingress.ingresses): nginx.conf is rendered again and
 *   nginx reloaded (runtime/ingress.ts), the path every endpoint change takes; one of another
 *   class is only kept (plan.ingress.others), as ingress-nginx ignores it.
 */
import { served, type Ingress } from '../ingress/types.ts';
import type { PlanDeployment } from '../plan/loops.ts';
import type { PlanPod } from '../plan/plan.ts';
import { RuntimeError } from './errors.ts';
import { recordChange } from './events.ts';
import type { Executor } from './exec.ts';
import { syncIngress } from './ingress.ts';
import { updateControl } from './loops-state.ts';
import { withLabMutex } from './mutex.ts';
import { deletePod } from './pods.ts';
import { liveEndpoints, syncServices } from './services.ts';
import { readState, writeState, type LabState } from './state.ts';

export class WorkloadError extends RuntimeError {}

function upState(lab: string): LabState {
  const state = readState(lab);
  if (!state || state.status !== 'up') throw new WorkloadError('PL3072', `lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}`);
  return state;
}

/** Deletes the running pods among `pods` and takes them out of the plan; Services follow in one sync. */
async function removePods(ex: Executor, state: LabState, pods: readonly PlanPod[]): Promise<string[]> {
  const gone: string[] = [];
  for (const p of pods) {
    if (state.pods[p.name]) await deletePod(ex, state, p.name, { sync: false });
    gone.push(p.name);
  }
  state.plan = { ...state.plan, pods: state.plan.pods.filter((p) => !pods.includes(p)) };
  writeState(state);
  if (gone.length) {
    await syncServices(ex, state);
    writeState(state);
  }
  return gone;
}

/**
 * `kubectl delete pod`: the pod is deleted (processes, CNI DEL, namespace; Services synced). A
 * Deployment's pod stays in the plan until the agent's next round sees it gone and starts its
 * replacement, with a new name and IP, as a ReplicaSet does.
 */
export async function deletePodLive(ex: Executor, lab: string, name: string): Promise<void> {
  await withLabMutex(lab, async () => {
    const state = upState(lab);
    const owner = state.plan.pods.find((p) => p.name === name)?.owner;
    await deletePod(ex, state, name);
    recordChange(lab, { type: 'Normal', reason: 'Killing', object: `pod/${name}`, message: `deleted through the API${owner ? `; Deployment ${owner} replaces it` : ''}` });
  });
}

/** Creates the Deployment or replaces the one of its name; `rolling` says whether a new template is now rolled out by the agent. */
export async function applyDeployment(ex: Executor, lab: string, d: PlanDeployment<PlanPod>): Promise<{ created: boolean; rolling: boolean }> {
  return withLabMutex(lab, async () => {
    const state = upState(lab);
    const loops = state.plan.loops;
    if (!loops) throw new WorkloadError('PL3073', `lab "${lab}" runs no control loops, so nothing would make a Deployment's pods: give the lab \`loops: {}\``);
    const old = loops.deployments.find((k) => k.name === d.name);
    if (old && old.namespace !== d.namespace) throw new WorkloadError('PL3074', `Deployment "${d.name}" exists in namespace "${old.namespace}"; podlab's Deployment names are lab-wide: choose another name`);
    const clash = state.plan.pods.find((p) => p.name.startsWith(`${d.name}-${d.hash}-`) && p.owner !== d.name);
    if (clash) throw new WorkloadError('PL3074', `pod "${clash.name}" (not of Deployment "${d.name}") has the names this Deployment's pods would get: choose another name`);
    // The agent's next round sees pods of another pod-template-hash and rolls them over (runtime/agent.ts).
    const rolling = !!old && old.hash !== d.hash && state.plan.pods.some((p) => p.owner === d.name);
    state.plan = { ...state.plan, loops: { ...loops, deployments: old ? loops.deployments.map((k) => (k.name === d.name ? d : k)) : [...loops.deployments, d] } };
    writeState(state);
    updateControl(lab, (c) => (c.replicas[d.name] = d.replicas));
    const how = d.strategy?.type === 'Recreate' ? 'Recreate: every old pod goes, then the new ones start' : `rolling update (maxSurge ${d.strategy?.maxSurge ?? '25%'}, maxUnavailable ${d.strategy?.maxUnavailable ?? '25%'})`;
    recordChange(lab, {
      type: 'Normal',
      reason: old ? (rolling ? 'TemplateChanged' : 'ScalingReplicaSet') : 'DeploymentCreated',
      object: `deployment/${d.name}`,
      message: old ? (rolling ? `new pod template ${d.hash}: ${how}` : `replicas ${d.replicas}`) : `created with ${d.replicas} replica(s), template ${d.hash}`,
    });
    return { created: !old, rolling };
  });
}

export async function deleteDeployment(ex: Executor, lab: string, namespace: string, name: string): Promise<string[]> {
  return withLabMutex(lab, async () => {
    const state = upState(lab);
    const loops = state.plan.loops;
    const d = loops?.deployments.find((k) => k.name === name && k.namespace === namespace);
    if (!loops || !d) throw new WorkloadError('PL3075', `lab "${lab}" has no Deployment "${namespace}/${name}"`);
    // The Deployment leaves first, so no round of the agent replaces the pods being deleted.
    state.plan = { ...state.plan, loops: { ...loops, deployments: loops.deployments.filter((k) => k !== d) } };
    writeState(state);
    updateControl(lab, (c) => delete c.replicas[name]);
    const gone = await removePods(ex, state, state.plan.pods.filter((p) => p.owner === name));
    recordChange(lab, { type: 'Normal', reason: 'DeploymentDeleted', object: `deployment/${name}`, message: `deleted with its pods${gone.length ? `: ${gone.join(', ')}` : ''}` });
    return gone;
  });
}

/**
 * Creates or replaces the Ingress; nginx.conf is rendered again and nginx reloaded. One of a class
 * the controller does not serve is kept beside the served ones (plan.ingress.others), as the API
 * server stores it, and nginx.conf leaves it out, as ingress-nginx ignores it.
 */
export async function applyIngress(ex: Executor, lab: string, ingress: Ingress): Promise<{ created: boolean; reloaded: boolean }> {
  return withLabMutex(lab, async () => {
    const state = upState(lab);
    const ing = state.plan.ingress;
    if (!ing) throw new WorkloadError('PL3076', `lab "${lab}" runs no ingress controller`);
    const same = (i: Ingress) => i.namespace === ingress.namespace && i.name === ingress.name;
    const others = ing.others ?? [];
    const old = [...ing.ingresses, ...others].find(same);
    const mine = served(ing, ingress);
    // In its list, where it was (a new one last); out of the other list (its class changed).
    const put = (list: Ingress[], here: boolean) => (here ? (list.some(same) ? list.map((i) => (same(i) ? ingress : i)) : [...list, ingress]) : list.filter((i) => !same(i)));
    const rest = put(others, !mine);
    state.plan = { ...state.plan, ingress: { ...ing, ingresses: put(ing.ingresses, mine), ...(rest.length ? { others: rest } : { others: undefined }) } };
    writeState(state);
    const r = await syncIngress(ex, state, state.endpoints ?? liveEndpoints(state));
    recordChange(lab, {
      type: 'Normal',
      reason: 'Sync',
      object: `ingress/${ingress.namespace}/${ingress.name}`,
      message: `${old ? 'updated' : 'created'}: ${mine ? 'nginx.conf rendered' : `class ${ingress.className ?? '(none)'} is not the controller's: ignored`}${r.reloaded ? ', nginx reloaded' : ''}`,
    });
    return { created: !old, reloaded: r.reloaded };
  });
}

export async function deleteIngress(ex: Executor, lab: string, namespace: string, name: string): Promise<{ reloaded: boolean }> {
  return withLabMutex(lab, async () => {
    const state = upState(lab);
    const ing = state.plan.ingress;
    const same = (i: Ingress) => i.namespace === namespace && i.name === name;
    if (!ing || ![...ing.ingresses, ...(ing.others ?? [])].some(same)) throw new WorkloadError('PL3077', `lab "${lab}" has no Ingress "${namespace}/${name}"`);
    const rest = (ing.others ?? []).filter((i) => !same(i));
    state.plan = { ...state.plan, ingress: { ...ing, ingresses: ing.ingresses.filter((i) => !same(i)), ...(rest.length ? { others: rest } : { others: undefined }) } };
    writeState(state);
    const r = await syncIngress(ex, state, state.endpoints ?? liveEndpoints(state));
    recordChange(lab, { type: 'Normal', reason: 'Sync', object: `ingress/${namespace}/${name}`, message: `deleted: nginx.conf rendered${r.reloaded ? ', nginx reloaded' : ''}` });
    return { reloaded: r.reloaded };
  });
}
