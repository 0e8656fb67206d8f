/**
 * The API's hold on the live lab: a view read from the state journal exactly as `podlab status`
 * reads it (runtime/status.ts), and a write's intent carried out through the runtime's own
 * incremental paths: pods re-created as `podlab pod recreate` does, policies as the scenario
 * actions apply them, Services through runtime/live-services.ts, the Corefile as `podlab dns
 * reload` installs it. The labels and annotations (kubectl's last-applied configuration) an
 * object was written with, and when it was first created, are kept beside the state, in
 * api/objects.json: podlab's own model has no place for them.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { bootTimeMs } from '../lib/proc.ts';
import { reloadDnsAndWait, DnsError } from '../runtime/dns.ts';
import type { Executor } from '../runtime/exec.ts';
import { applyService, deleteService, ServiceError, type ServiceRequest } from '../runtime/live-services.ts';
import { PodError, recreatePod } from '../runtime/pods.ts';
import { applyPolicy, deletePolicy, livePolicies, PolicyError } from '../runtime/policies.ts';
import { readState, stateDir } from '../runtime/state.ts';
import { plannedDeployment, scaleDeployment } from '../runtime/faults.ts';
import { readControl, readLoops } from '../runtime/loops-state.ts';
import { labStatus } from '../runtime/status.ts';
import { applyDeployment, applyIngress, deleteDeployment, deleteIngress, deletePodLive, WorkloadError } from '../runtime/live-workloads.ts';
import { deploymentKind, withEnv } from './kinds/deployments.ts';
import { familiesOf } from './kinds/services.ts';
import { settleFamilies } from './service-families.ts';
import { ApiError, type Intent, type K8sObject, type KeptMeta, type LabView } from './types.ts';
import { isoSeconds } from '../lib/time.ts';

export const apiDir = (lab: string) => `${stateDir(lab)}/api`;
const keptPath = (lab: string) => `${apiDir(lab)}/objects.json`;

function readKept(lab: string): LabView['kept'] {
  try {
    return JSON.parse(readFileSync(keptPath(lab), 'utf8')) as LabView['kept'];
  } catch {
    return {};
  }
}

export function readView(lab: string): LabView | undefined {
  const state = readState(lab);
  if (!state) return undefined;
  const loops = state.plan.loops ? readLoops(lab) : undefined;
  const status = labStatus(lab, state, loops)!;
  const control = state.plan.loops ? readControl(lab) : undefined;
  const revisions = loops?.revisions;
  return { lab, createdAt: state.createdAt, plan: state.plan, state, status, policies: livePolicies(state), replicas: control?.replicas ?? {}, nodeFailures: control?.failedNodes ?? {}, ...(revisions ? { revisions } : {}), kept: readKept(lab), bootTime: bootTimeMs() };
}

/** Keeps what an object was written with (a new one is created now), or forgets a deleted one. */
function keep(lab: string, key: string, meta: KeptMeta | undefined, now = new Date()): void {
  // A write made without the server (podlab set env in a lab whose API server never started): its folder, made as the server makes it.
  try {
    mkdirSync(apiDir(lab), { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const all = readKept(lab);
  if (meta) all[key] = { ...meta, creationTimestamp: meta.creationTimestamp ?? isoSeconds(now) };
  else delete all[key];
  writeFileAtomic(keptPath(lab), `${JSON.stringify(all)}\n`);
}

/**
 * A Service object as the runtime's allocation request (validated already by the kind:
 * kinds/services.ts), its families settled against the live lab's as the API server settles them
 * (service-families.ts): SingleStack in the lab's primary family unless it asks for more.
 */
export function serviceRequest(o: K8sObject, plan: LabView['plan']): ServiceRequest {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const settled = settleFamilies(spec, { namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }, familiesOf(plan));
  const ports = (spec.ports as Record<string, unknown>[]).map((p) => ({
    ...(p.name ? { name: p.name as string } : {}),
    protocol: ((p.protocol as string | undefined) ?? 'TCP') as 'TCP' | 'UDP',
    port: p.port as number,
    targetPort: (p.targetPort as number | string | undefined) ?? (p.port as number),
    ...(typeof p.nodePort === 'number' ? { nodePort: p.nodePort } : {}),
  }));
  return {
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? 'default',
    type: ((spec.type as string | undefined) ?? 'ClusterIP') as ServiceRequest['type'],
    ...(spec.selector ? { selector: spec.selector as Record<string, string> } : {}),
    ports,
    ...(settled.clusterIPs ? { clusterIP: settled.clusterIPs[0]!, clusterIPs: settled.clusterIPs } : {}),
    sessionAffinity: spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None',
    externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    internalTrafficPolicy: spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    ipFamilyPolicy: settled.ipFamilyPolicy,
    ipFamilies: settled.ipFamilies,
  };
}

/** Carries out a write on the lab as it is now (the journal read afresh); runtime refusals become Status errors. */
export async function carryOut(ex: Executor, lab: string, intent: Intent): Promise<void> {
  const state = readState(lab);
  if (!state || state.status !== 'up') throw new ApiError(503, 'ServiceUnavailable', `lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}`);
  try {
    switch (intent.op) {
      case 'recreate-pod':
        await recreatePod(ex, state, intent.pod);
        return;
      case 'delete-pod':
        await deletePodLive(ex, lab, intent.pod);
        return;
      case 'apply-policy':
        await applyPolicy(ex, state, intent.policy);
        keep(lab, `NetworkPolicy/${intent.policy.namespace}/${intent.policy.name}`, intent.meta);
        return;
      case 'delete-policy':
        await deletePolicy(ex, state, intent.namespace, intent.name);
        keep(lab, `NetworkPolicy/${intent.namespace}/${intent.name}`, undefined);
        return;
      case 'reload-dns':
        await reloadDnsAndWait(ex, state, intent.corefile);
        keep(lab, 'ConfigMap/kube-system/coredns', intent.meta);
        return;
      case 'apply-service':
        await applyService(ex, state, serviceRequest(intent.object, state.plan));
        keep(lab, `Service/${intent.object.metadata.namespace ?? 'default'}/${intent.object.metadata.name}`, intent.meta);
        return;
      case 'delete-service':
        await deleteService(ex, state, intent.namespace, intent.name);
        keep(lab, `Service/${intent.namespace}/${intent.name}`, undefined);
        return;
      case 'scale-deployment':
        // The path `podlab scale` takes: the desired replicas for the agent's ReplicaSet loop.
        scaleDeployment(state, intent.deployment, intent.replicas);
        return;
      case 'apply-deployment':
        await applyDeployment(ex, lab, intent.deployment);
        keep(lab, `Deployment/${intent.deployment.namespace}/${intent.deployment.name}`, intent.meta);
        return;
      case 'delete-deployment':
        await deleteDeployment(ex, lab, intent.namespace, intent.name);
        keep(lab, `Deployment/${intent.namespace}/${intent.name}`, undefined);
        return;
      case 'apply-ingress':
        await applyIngress(ex, lab, intent.ingress);
        keep(lab, `Ingress/${intent.ingress.namespace}/${intent.ingress.name}`, intent.meta);
        return;
      case 'delete-ingress':
        await deleteIngress(ex, lab, intent.namespace, intent.name);
        keep(lab, `Ingress/${intent.namespace}/${intent.name}`, undefined);
        return;
    }
  } catch (e) {
    if (e instanceof DnsError)
      throw new ApiError(422, 'Invalid', `ConfigMap "coredns" is invalid: data.Corefile: ${e.message}${e.diagnostics.length ? `: ${e.diagnostics.map((d) => `${d.code} ${d.message}${d.within ? ` (line ${d.within.line})` : ''}`).join('; ')}` : ''}`, {
        name: 'coredns',
        kind: 'ConfigMap',
        causes: e.diagnostics.map((d) => ({ reason: 'FieldValueInvalid', message: `${d.code}: ${d.message}${d.within ? ` (Corefile line ${d.within.line})` : ''}`, field: 'data.Corefile' })),
      });
    if (e instanceof ServiceError) throw new ApiError(422, 'Invalid', e.message, { kind: 'Service' });
    if (e instanceof PolicyError || e instanceof PodError || e instanceof WorkloadError) throw new ApiError(e instanceof WorkloadError && (e.code === 'PL3075' || e.code === 'PL3077') ? 404 : 409, e instanceof WorkloadError && (e.code === 'PL3075' || e.code === 'PL3077') ? 'NotFound' : 'Conflict', `${e.code}: ${e.message}`);
    throw e;
  }
}

/**
 * `podlab set env` and the set-deployment-env scenario action: kubectl's `set env` without
 * kubectl. The Deployment as the API serves it, every container's env set (withEnv), written back
 * through the Deployment kind and carried out as a kubectl write is: one template, which kubectl
 * then reads with the variables on it, and the next `kubectl set env`, `rollout undo` or `apply`
 * starts from. A template that does not change (the same values again) rolls nothing.
 */
export async function setTemplateEnv(ex: Executor, lab: string, deployment: string, env: Record<string, string>): Promise<{ env: Record<string, string>; rolling: boolean; warnings: string[] }> {
  const view = readView(lab);
  if (!view || view.state.status !== 'up') throw new ApiError(503, 'ServiceUnavailable', `lab "${lab}" is not up`);
  // PL3036 (a PodError) naming the lab's Deployments, as podlab scale says it.
  const planned = plannedDeployment(view.state, deployment);
  const current = deploymentKind.list(view).find((o) => o.metadata.name === deployment)!;
  const intent = deploymentKind.write!(withEnv(current, env), { view, namespace: planned.namespace, name: deployment, exists: true, created: current.metadata.creationTimestamp as string });
  if (intent.op !== 'apply-deployment') throw new Error(`set env: unexpected ${intent.op}`);
  await carryOut(ex, lab, intent);
  const first = (intent.deployment.written?.spec as { containers?: { env?: { name: string; value?: string }[] }[] } | undefined)?.containers?.[0]?.env ?? [];
  return { env: Object.fromEntries(first.map((e) => [e.name, e.value ?? ''])), rolling: intent.deployment.hash !== planned.hash, warnings: intent.warnings };
}
