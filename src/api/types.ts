/**
 * The API server's vocabulary: the live lab as the handlers see it (`LabView`, one snapshot of
 * the state journal and the liveness `podlab status` reads), a served kind (`ApiKind`: one
 * module per kind under kinds/, listed in kinds/index.ts), Kubernetes Status errors, and the
 * changes a write asks the runtime for (`Intent`). Pure: no I/O here.
 */
import type { LabStatus } from '../runtime/status.ts';
import type { Plan, PlanPod } from '../plan/plan.ts';
import type { PlanDeployment } from '../plan/loops.ts';
import type { Ingress } from '../ingress/types.ts';
import type { NetworkPolicy } from '../policy/types.ts';
import type { LabState } from '../runtime/state.ts';
import type { LabEvent } from '../runtime/events.ts';
import type { TemplateRevision } from '../loops/revisions.ts';
import { isoSeconds } from '../lib/time.ts';
import { humanDuration } from '../k8s/printers.ts';

export type K8sObject = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string; namespace?: string } };

/** One consistent look at a live lab: everything a handler answers from. */
export interface LabView {
  lab: string;
  createdAt: string;
  plan: Plan;
  state: LabState;
  status: LabStatus;
  policies: NetworkPolicy[];
  /** When the host booted (ms since the epoch): process start times in the journal are clock ticks since boot. */
  bootTime?: number;
  /** Deployments' desired replicas as `scale` last set them (loops-control.json); a Deployment not there has its planned number. */
  replicas?: Record<string, number>;
  /** Nodes failed with `podlab node fail`, and when (ms since the epoch; loops-control.json): their Leases stop renewing. */
  nodeFailures?: Record<string, number>;
  /** Deployments' rollout histories as the agent recorded them (loops.json; loops/revisions.ts). */
  revisions?: Record<string, readonly TemplateRevision<PlanPod>[]>;
  /** What the API keeps of objects it was given (labels, annotations such as kubectl's last-applied configuration, when first created), by `kind/namespace/name`. */
  kept: Record<string, KeptMeta>;
  /** The control loops' events; read from the lab's state when not given. */
  events?: LabEvent[];
}

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number';
  format?: string;
  /** 0: `kubectl get`; 1: only `-o wide`. */
  priority: 0 | 1;
  description: string;
}

/** The metadata the API keeps of an object written through it: podlab's own model has no place for it. */
export interface KeptMeta {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** When the object was first created; a replace keeps it, a delete forgets it. */
  creationTimestamp?: string;
}

/** What a write asks of the live lab; the server carries it out through the runtime's own paths. */
export type Intent =
  | { op: 'recreate-pod'; pod: string }
  /** Deleted; a Deployment's pod is then replaced by the agent (a new name and IP). */
  | { op: 'delete-pod'; pod: string }
  | { op: 'apply-policy'; policy: NetworkPolicy; meta: KeptMeta; warnings: string[] }
  | { op: 'delete-policy'; namespace: string; name: string }
  | { op: 'reload-dns'; corefile: string; meta: KeptMeta }
  | { op: 'apply-service'; object: K8sObject; meta: KeptMeta }
  | { op: 'delete-service'; namespace: string; name: string }
  | { op: 'scale-deployment'; deployment: string; replicas: number }
  | { op: 'apply-deployment'; deployment: PlanDeployment<PlanPod>; meta: KeptMeta; warnings: string[] }
  | { op: 'delete-deployment'; namespace: string; name: string }
  | { op: 'apply-ingress'; ingress: Ingress; meta: KeptMeta; warnings: string[] }
  | { op: 'delete-ingress'; namespace: string; name: string };

/** A write a kind accepts: the new object as the client sent it (already merged for PATCH), checked, turned into an intent. */
export interface WriteContext {
  view: LabView;
  namespace?: string;
  name: string;
  /** Whether the object exists now (create vs replace). */
  exists: boolean;
  /** The existing object's creationTimestamp: a replace keeps it. */
  created?: string;
}

/** The metadata a write keeps: the object's labels and annotations as sent, and the creation time of the object it replaces. */
export function keptMetaOf(o: K8sObject, ctx: Pick<WriteContext, 'created'>): KeptMeta {
  const m = o.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
  return { ...(m.labels ? { labels: m.labels } : {}), ...(m.annotations ? { annotations: m.annotations } : {}), ...(ctx.created ? { creationTimestamp: ctx.created } : {}) };
}

export interface ApiKind {
  group: string;
  version: string;
  kind: string;
  /** Plural, lower case: `pods`. */
  resource: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Verbs served; anything else is a 405 Status naming these. */
  verbs: string[];
  list(view: LabView): K8sObject[];
  columns: Column[];
  row(obj: K8sObject, view: LabView): unknown[];
  /** create/update/patch/apply: the object → an intent, or an ApiError (422 naming the field). */
  write?(obj: K8sObject, ctx: WriteContext): Intent;
  /** delete: → an intent. */
  remove?(obj: K8sObject, ctx: WriteContext): Intent;
  /** The scale subresource (autoscaling/v1 Scale): the object's Scale, and a new Scale → an intent. */
  scale?: { get(obj: K8sObject): K8sObject; write(scale: K8sObject, ctx: WriteContext): Intent };
  /** A kind only some labs have (Calico's CRDs: a Calico lab): discovery lists it, and requests reach it, in those alone. */
  servedIn?(plan: Plan): boolean;
  /** The kind's OpenAPI schema when kubernetes-models has none (a CRD's openAPIV3Schema), for `kubectl explain`. */
  schema?: Record<string, unknown>;
}

export const apiVersionOf = (k: Pick<ApiKind, 'group' | 'version'>) => (k.group ? `${k.group}/${k.version}` : k.version);

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** A Kubernetes Status error (what kubectl prints as `Error from server (Reason): message`). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: { name?: string; group?: string; kind?: string; causes?: StatusCause[] } = {},
  ) {
    super(message);
  }
  toStatus(): K8sObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {} as K8sObject['metadata'],
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export const notFound = (k: ApiKind, name: string) => new ApiError(404, 'NotFound', `${k.resource}${k.group ? `.${k.group}` : ''} "${name}" not found`, { name, group: k.group, kind: k.resource });

export function invalid(k: ApiKind, name: string, causes: StatusCause[]): ApiError {
  const what = `${k.kind}${k.group ? `.${k.group}` : ''} "${name}" is invalid`;
  return new ApiError(422, 'Invalid', `${what}: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`, {
    name,
    group: k.group,
    kind: k.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, ...(c.field ? { field: c.field } : {}) })),
  });
}

/** A stable short decimal hash (FNV-1a, 32 bit): resourceVersions and uids derived from content. */
export function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A uid in the usual 8-4-4-4-12 form, derived from what makes the object this incarnation. */
export function uidOf(...parts: string[]): string {
  const hex = [0, 1, 2, 3].map((i) => fnv(`${i}:${parts.join('\0')}`).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Fills metadata the API server sets: uid, creationTimestamp, resourceVersion (a hash of the rest, so a change is a new version). */
export function finish(obj: K8sObject, view: Pick<LabView, 'lab' | 'createdAt' | 'kept'>, kind: Pick<ApiKind, 'kind'>, uidParts: string[] = []): K8sObject {
  const key = `${kind.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  const kept = view.kept[key];
  const labCreated = isoSeconds(view.createdAt);
  const created = (obj.metadata.creationTimestamp as string | undefined) ?? kept?.creationTimestamp ?? labCreated;
  // An object created through the API after `up` is a new incarnation each time: its uid follows its creation time.
  const incarnation = kept?.creationTimestamp && kept.creationTimestamp !== labCreated ? [kept.creationTimestamp] : [];
  const labels = kept?.labels ? { ...kept.labels, ...((obj.metadata.labels as Record<string, string>) ?? {}) } : obj.metadata.labels;
  const annotations = kept?.annotations ? { ...kept.annotations, ...((obj.metadata.annotations as Record<string, string>) ?? {}) } : obj.metadata.annotations;
  const metadata = {
    ...obj.metadata,
    uid: uidOf(view.lab, view.createdAt, key, ...incarnation, ...uidParts),
    creationTimestamp: created,
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
  const body = { ...obj, metadata };
  return { ...body, metadata: { ...metadata, resourceVersion: String(fnv(JSON.stringify(body))) } };
}

/** `45s`, `3m12s`, `5h3m`, `3d4h`: kubectl's AGE column (k8s/printers.ts humanDuration). */
export function age(from: string, now = Date.now()): string {
  return humanDuration(now - Date.parse(from));
}
