/**
 * Deployments and their ReplicaSets (apps/v1), read from the live lab: a Deployment's desired
 * replicas are the plan's or what `podlab scale` (or `kubectl scale`) last set, its status counts
 * the pods of it that run, those of its current template (UP-TO-DATE) and those the agent holds
 * ready; `spec.strategy` is the one it rolls a new template out with (loops/rollout.ts). One
 * ReplicaSet per pod-template-hash among its pods, `<deployment>-<pod-template-hash>`, and one
 * for the current template: two while a rollout runs, as Kubernetes shows them. The scale
 * subresource (autoscaling/v1 Scale) sets replicas through the same path as `podlab scale`: the
 * agent's ReplicaSet loop creates or deletes pods.
 */
import { DEFAULT_STRATEGY, newReplicaSetScale, type DeploymentStrategy } from '../../loops/rollout.ts';
import { noteRevision, type TemplateRevision } from '../../loops/revisions.ts';
import type { PlanPod } from '../../plan/plan.ts';
import { age, keptMetaOf, finish, invalid, type ApiKind, type K8sObject, type LabView } from '../types.ts';
import { deploymentOf } from '../workloads.ts';
import { containerObject } from './containers.ts';
import { isoSeconds } from '../../lib/time.ts';

type Planned = NonNullable<LabView['plan']['loops']>['deployments'][number];

interface Counts {
  desired: number;
  current: number;
  /** Running pods of the current template. */
  updated: number;
  ready: number;
  /** The current template's pod-template-hash. */
  hash: string;
  /** Running pods by their pod-template-hash. */
  byHash: Map<string, { current: number; ready: number }>;
}

function counts(view: LabView, d: Planned): Counts {
  const hash = d.hash;
  const labels = new Map(view.plan.pods.map((p) => [p.name, p.labels]));
  const pods = view.status.pods.filter((p) => p.owner === d.name && p.running);
  const byHash = new Map<string, { current: number; ready: number }>([[hash, { current: 0, ready: 0 }]]);
  for (const p of pods) {
    const h = labels.get(p.name)?.['pod-template-hash'] ?? d.hash;
    const c = byHash.get(h) ?? { current: 0, ready: 0 };
    c.current++;
    if (p.ready !== false) c.ready++;
    byHash.set(h, c);
  }
  return { desired: view.replicas?.[d.name] ?? d.replicas, current: pods.length, updated: byHash.get(hash)!.current, ready: pods.filter((p) => p.ready !== false).length, hash, byHash };
}

/** `spec.strategy` as the API shows it. */
function strategyObject(s: DeploymentStrategy = DEFAULT_STRATEGY): Record<string, unknown> {
  return s.type === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: s.maxSurge, maxUnavailable: s.maxUnavailable } };
}

/**
 * The Deployment's revisions with its current template last: as the agent recorded them, and the
 * current one numbered next when the agent has not yet seen it (a template just written).
 */
function revisionsOf(view: LabView, d: Planned): readonly TemplateRevision<PlanPod>[] {
  return noteRevision(view.revisions?.[d.name] ?? [], d.hash, new Date().toISOString(), d.template, d.written);
}

const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';

const selectorText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

/** The template's labels without pod-template-hash (a lab file's Deployment's selector too: its pods carry exactly these). */
const matchLabelsOf = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'pod-template-hash'));

/**
 * A template as the API serves it, the one source kubectl and `podlab set env` both change: as
 * written through the API (kubectl, podlab set env), else the lab file's, its containers as a
 * manifest would give its built-in workloads (image, args, ports, env, probes: containers.ts), so
 * that what is read and sent back validates and keeps its pod-template-hash.
 */
function servedTemplate(written: Record<string, unknown> | undefined, pod: PlanPod | undefined): Record<string, unknown> {
  return written ?? { metadata: { labels: matchLabelsOf(pod?.labels ?? {}) }, spec: { restartPolicy: 'Always', containers: (pod?.containers ?? []).map((c) => containerObject(c)) } };
}

/** A ReplicaSet's template: its Deployment's as it was, with the pod-template-hash label the controller adds. */
function withHash(template: Record<string, unknown>, hash: string): { metadata: { labels: Record<string, string> } } & Record<string, unknown> {
  const meta = (template.metadata ?? {}) as { labels?: Record<string, string> };
  return { ...template, metadata: { ...meta, labels: { ...(meta.labels ?? {}), 'pod-template-hash': hash } } };
}

/**
 * `kubectl set env` on the template as served (every container, an entry of the same name
 * replaced, a new one added after the others): what `podlab set env` writes back through the
 * Deployment kind, as kubectl's strategic merge patch would.
 */
export function withEnv(deployment: K8sObject, env: Record<string, string>): K8sObject {
  const spec = deployment.spec as { template: { spec: { containers: { env?: { name: string; value?: string; valueFrom?: unknown }[] }[] } } };
  const containers = spec.template.spec.containers.map((c) => {
    const list = [...(c.env ?? [])];
    for (const [name, value] of Object.entries(env)) {
      const i = list.findIndex((e) => e.name === name);
      if (i >= 0) list[i] = { name, value };
      else list.push({ name, value });
    }
    return { ...c, env: list };
  });
  return { ...deployment, spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers } } } };
}

function deploymentObjects(view: LabView): K8sObject[] {
  return (view.plan.loops?.deployments ?? []).map((d) => {
    const c = counts(view, d);
    const matchLabels = d.selector ?? matchLabelsOf(d.template?.labels ?? {});
    const revision = revisionsOf(view, d).at(-1)!.revision;
    // Rolled out: every pod of the current template, as many as desired (kubectl rollout status waits for this).
    const complete = c.updated >= c.desired && c.current === c.updated;
    const obj: K8sObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: d.name, namespace: d.namespace, generation: 1, annotations: { [REVISION]: String(revision) } },
      spec: {
        replicas: c.desired,
        selector: { matchLabels },
        template: servedTemplate(d.written, d.template),
        strategy: strategyObject(d.strategy),
      },
      status: {
        observedGeneration: 1,
        replicas: c.current,
        updatedReplicas: c.updated,
        readyReplicas: c.ready,
        availableReplicas: c.ready,
        ...(c.current - c.ready > 0 ? { unavailableReplicas: c.current - c.ready } : {}),
        conditions: [
          { type: 'Available', status: c.ready >= c.desired ? 'True' : 'False', reason: c.ready >= c.desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', lastUpdateTime: view.createdAt, lastTransitionTime: view.createdAt },
          { type: 'Progressing', status: 'True', reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', message: complete ? `ReplicaSet "${d.name}-${c.hash}" has successfully progressed.` : `ReplicaSet "${d.name}-${c.hash}" is progressing.`, lastUpdateTime: view.createdAt, lastTransitionTime: view.createdAt },
        ],
      },
    };
    return finish(obj, view, deploymentKind);
  });
}

function replicaSetObjects(view: LabView): K8sObject[] {
  const owners = new Map(deploymentObjects(view).map((o) => [o.metadata.name, o]));
  return (view.plan.loops?.deployments ?? []).flatMap((d) => {
    const c = counts(view, d);
    const owner = owners.get(d.name)!;
    // One ReplicaSet per template in the history (scaled to 0 when old), and per template pods still run.
    const revisions = revisionsOf(view, d);
    const hashes = [...new Set([...revisions.map((r) => r.hash), ...c.byHash.keys()])];
    return hashes.map((hash) => {
      const n = c.byHash.get(hash) ?? { current: 0, ready: 0 };
      const rev = revisions.find((r) => r.hash === hash);
      // Its template as its Deployment had it (the recorded one for an old template: the plan keeps
      // only the current one), so `kubectl rollout undo` sends back exactly that, and gets this
      // ReplicaSet back (the same pod-template-hash) rather than a new one.
      const template = withHash(hash === c.hash ? servedTemplate(d.written, d.template) : servedTemplate(rev?.written, rev?.template ?? d.template), hash);
      const labels = template.metadata.labels;
      const obj: K8sObject = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.name}-${hash}`,
          namespace: d.namespace,
          labels,
          ...(rev ? { annotations: { [REVISION]: String(rev.revision), ...(rev.history?.length ? { [REVISION_HISTORY]: rev.history.join(',') } : {}) } } : {}),
          ...(rev && rev.at > view.createdAt ? { creationTimestamp: isoSeconds(rev.at) } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        // The current template's ReplicaSet wants the Deployment's replicas, or during a rollout what the
        // deployment controller scaled it to (loops/rollout.ts: within maxSurge); an old one what it still runs.
        spec: { replicas: hash === c.hash ? (c.current > c.updated ? newReplicaSetScale(c.desired, c.updated, c.current, d.strategy) : c.desired) : n.current, selector: { matchLabels: labels }, template },
        status: { replicas: n.current, fullyLabeledReplicas: n.current, readyReplicas: n.ready, availableReplicas: n.ready, observedGeneration: 1 },
      };
      return finish(obj, view, replicaSetKind);
    });
  });
}

const wideColumns = [
  { name: 'Containers', type: 'string', priority: 1, description: 'the template\'s containers' },
  { name: 'Images', type: 'string', priority: 1, description: 'their images' },
  { name: 'Selector', type: 'string', priority: 1, description: 'the pods it owns' },
] as const;

function wide(o: K8sObject): string[] {
  const spec = o.spec as { selector: { matchLabels: Record<string, string> }; template: { spec: { containers: { name: string; image: string }[] } } };
  const cs = spec.template.spec.containers;
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(','), selectorText(spec.selector.matchLabels)];
}

/** autoscaling/v1 Scale of a Deployment: what `kubectl scale` reads and patches. */
export function scaleOf(o: K8sObject): K8sObject {
  const spec = o.spec as { replicas: number; selector: { matchLabels: Record<string, string> } };
  const status = o.status as { replicas: number };
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: spec.replicas },
    status: { replicas: status.replicas, selector: selectorText(spec.selector.matchLabels) },
  };
}

export const deploymentKind: ApiKind = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  resource: 'deployments',
  singular: 'deployment',
  shortNames: ['deploy'],
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  list: deploymentObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the Deployment' },
    { name: 'Ready', type: 'string', priority: 0, description: 'ready pods / desired' },
    { name: 'Up-to-date', type: 'integer', priority: 0, description: 'pods of the current template' },
    { name: 'Available', type: 'integer', priority: 0, description: 'pods ready' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
    ...wideColumns,
  ],
  row(o) {
    const spec = o.spec as { replicas: number };
    const st = o.status as { updatedReplicas: number; readyReplicas: number; availableReplicas: number };
    return [o.metadata.name, `${st.readyReplicas}/${spec.replicas}`, st.updatedReplicas, st.availableReplicas, age(o.metadata.creationTimestamp as string), ...wide(o)];
  },
  write(o, ctx) {
    const { deployment, warnings } = deploymentOf(deploymentKind, o, ctx.view);
    // apps/v1: a Deployment's selector is immutable once created, as the API server holds it.
    const current = ctx.exists ? deploymentObjects(ctx.view).find((k) => k.metadata.name === ctx.name) : undefined;
    const before = (current?.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
    const after = (o.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
    const sorted = (l: Record<string, string>) => selectorText(Object.fromEntries(Object.entries(l).sort()));
    if (before && sorted(before) !== sorted(after))
      throw invalid(deploymentKind, ctx.name, [{ field: 'spec.selector', message: `Invalid value: ${JSON.stringify({ matchLabels: after })}: field is immutable` }]);
    return { op: 'apply-deployment', deployment, meta: keptMetaOf(o, ctx), warnings };
  },
  remove: (o) => ({ op: 'delete-deployment', namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }),
  scale: {
    get: scaleOf,
    write(scale, ctx) {
      const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > 500)
        throw invalid(deploymentKind, ctx.name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be a whole number from 0 to 500` }]);
      return { op: 'scale-deployment', deployment: ctx.name, replicas };
    },
  },
};

export const replicaSetKind: ApiKind = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  resource: 'replicasets',
  singular: 'replicaset',
  shortNames: ['rs'],
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  list: replicaSetObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the ReplicaSet' },
    { name: 'Desired', type: 'integer', priority: 0, description: 'pods wanted' },
    { name: 'Current', type: 'integer', priority: 0, description: 'pods that run' },
    { name: 'Ready', type: 'integer', priority: 0, description: 'pods ready' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
    ...wideColumns,
  ],
  row(o) {
    const spec = o.spec as { replicas: number };
    const st = o.status as { replicas: number; readyReplicas: number };
    return [o.metadata.name, spec.replicas, st.replicas, st.readyReplicas, age(o.metadata.creationTimestamp as string), ...wide(o)];
  },
};
