/**
 * The API's answers, pure: a request and a view of the live lab in, a response (or what to do:
 * a write's intent, a watch, a log or an exec stream) out. The HTTP layer (server.ts) does the
 * I/O. Routing follows the Kubernetes URL scheme: /api/v1/…, /apis/<group>/<version>/…, with
 * `namespaces/<ns>/` for namespaced kinds; discovery at /api, /apis and each group version.
 */
import jsonPatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { findKind, servedKinds } from './kinds/index.ts';
import { openapiDocument, openapiRoot } from './openapi.ts';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { apiVersionOf, ApiError, invalid, notFound, type ApiKind, type Intent, type K8sObject, type LabView } from './types.ts';
import { isDnsSubdomain } from '../lib/object-name.ts';
import { KUBE_VERSION } from '../lib/node-info.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: KUBE_VERSION, gitCommit: '', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'podlab', compiler: 'podlab', platform: 'linux/amd64' };

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  accept: string;
  contentType: string;
  body?: string;
}

export interface Scope {
  kind: ApiKind;
  namespace?: string;
  name?: string;
}

export type ApiResult =
  | { type: 'json'; code: number; body: unknown; contentType?: string; /** A list's objects at its resourceVersion, for a watch from that version to catch up from. */ snapshot?: { resource: string; version: string; objects: K8sObject[] } }
  | { type: 'text'; code: number; body: string }
  | { type: 'write'; scope: Scope & { name: string }; intent: Intent; dryRun: boolean; object: K8sObject; created: boolean; deleted?: boolean; /** A subresource's answer after the write (the Scale), instead of the object. */ reply?: (after: K8sObject) => K8sObject }
  | { type: 'watch'; scope: Scope; filter: (o: K8sObject) => boolean; table: boolean; /** What each Table row carries of its object (includeObject). */ include: IncludeObject; /** The list's resourceVersion for these selectors now: a watch from it has nothing to catch up. */ listVersion: string }
  | { type: 'logs'; namespace: string; pod: string; container: string; follow: boolean; tailLines?: number; /** `previous=true`: the container's instance before its last restart (kubectl logs -p). */ previous: boolean }
  | { type: 'exec'; namespace: string; pod: string; container: string; command: string[]; stdin: boolean; tty: boolean };

const json = (body: unknown, code = 200): ApiResult => ({ type: 'json', code, body });

/** What the API changes, for the message of a refused verb. */
export function writableSummary(kinds: readonly ApiKind[]): string {
  return kinds.filter((k) => k.write || k.remove)
    .map((k) => `${k.resource} (${k.verbs.filter((v) => !['get', 'list', 'watch'].includes(v)).join(', ')})`)
    .join(', ');
}

function groups(kinds: readonly ApiKind[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of kinds) if (k.group) m.set(k.group, k.version);
  return m;
}

/** The resources of the `all` category, as Kubernetes lists them (`kubectl get all`). */
const ALL_CATEGORY = new Set(['pods', 'services', 'deployments', 'replicasets', 'statefulsets', 'daemonsets']);

function resourceList(kinds: readonly ApiKind[], group: string, version: string) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: kinds.filter((k) => k.group === group && k.version === version).flatMap((k) => [
      { name: k.resource, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, verbs: k.verbs, ...(k.shortNames.length ? { shortNames: k.shortNames } : {}), ...(ALL_CATEGORY.has(k.resource) ? { categories: ['all'] } : {}) },
      ...(k.kind === 'Pod' ? [{ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }, { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] }] : []),
      // kubectl scale finds the Scale's group and version here (client-go's scale client).
      ...(k.scale ? [{ name: `${k.resource}/scale`, singularName: '', namespaced: k.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }] : []),
    ]),
  };
}

function discovery(parts: string[], port: number, kinds: readonly ApiKind[]): ApiResult | undefined {
  const p = parts.join('/');
  if (p === 'api') return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] });
  if (p === 'apis')
    return json({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups(kinds)].map(([name, version]) => ({ name, versions: [{ groupVersion: `${name}/${version}`, version }], preferredVersion: { groupVersion: `${name}/${version}`, version } })),
    });
  if (p === 'api/v1') return json(resourceList(kinds, '', 'v1'));
  if (parts[0] === 'apis' && parts.length === 2) {
    const v = groups(kinds).get(parts[1]!);
    if (!v) return undefined;
    return json({ kind: 'APIGroup', apiVersion: 'v1', name: parts[1], versions: [{ groupVersion: `${parts[1]}/${v}`, version: v }], preferredVersion: { groupVersion: `${parts[1]}/${v}`, version: v } });
  }
  if (parts[0] === 'apis' && parts.length === 3 && groups(kinds).get(parts[1]!) === parts[2]) return json(resourceList(kinds, parts[1]!, parts[2]!));
  if (p === 'version') return json(SERVER_VERSION);
  if (p === 'healthz' || p === 'livez' || p === 'readyz' || p === '') return { type: 'text', code: 200, body: 'ok' };
  return undefined;
}

/** Objects of a kind in scope, filtered by the request's selectors. */
export function select(view: LabView, kind: ApiKind, namespace: string | undefined, query: URLSearchParams): K8sObject[] {
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  return kind
    .list(view)
    .filter((o) => (!namespace || o.metadata.namespace === namespace) && labelsMatch(labels, (o.metadata.labels as Record<string, string>) ?? {}) && fieldsMatch(fields, o));
}

export const wantsTable = (accept: string) => /as=Table/.test(accept);

/**
 * What a Table row carries of its object, as the request's `includeObject` asks: `Metadata` (the
 * default) a PartialObjectMetadata, `Object` the whole object (kubectl asks for it to `--sort-by`
 * a field outside metadata, such as an event's lastTimestamp), `None` nothing.
 */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export const includeOf = (query: URLSearchParams): IncludeObject => {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
};

function rowObject(o: K8sObject, include: IncludeObject): { object?: unknown } {
  if (include === 'None') return {};
  if (include === 'Object') return { object: o };
  return { object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } };
}

export function tableOf(kind: ApiKind, view: LabView, objects: K8sObject[], withColumns = true, resourceVersion = '', include: IncludeObject = 'Metadata'): K8sObject {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion } as unknown as K8sObject['metadata'],
    columnDefinitions: withColumns ? kind.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority })) : [],
    rows: objects.map((o) => ({ cells: kind.row(o, view), ...rowObject(o, include) })),
  };
}

export function listOf(kind: ApiKind, objects: K8sObject[]): K8sObject {
  const rv = String(objects.reduce((h, o) => (Math.imul(h ^ Number(o.metadata.resourceVersion ?? 0), 16777619) >>> 0), 2166136261));
  return { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: rv } as unknown as K8sObject['metadata'], items: objects };
}

/** Splits a resource URL into the kind, namespace, name and subresource; undefined when it is not one. */
function route(parts: string[], kinds: readonly ApiKind[]): { kind?: ApiKind; group: string; version: string; resource: string; namespace?: string; name?: string; sub?: string } | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') [group, version, rest] = ['', 'v1', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource || rest.length > 3) return undefined;
  return { kind: findKind(kinds, group, version, resource), group, version, resource, namespace, name, sub };
}

/**
 * A JSON merge patch (RFC 7386); strategic-merge directives ($patch, $setElementOrder, $retainKeys,
 * $deleteFromPrimitiveList) are dropped. With `strategic`, a list whose patchMergeKey is `name` (a pod's
 * containers, a container's env: NAME_KEYED) is merged element by element, as a
 * strategic merge patch does, so `kubectl set env` and `kubectl set image` change one container
 * without dropping the others or their other fields; an element `{ name, $patch: delete }` goes.
 */
export function mergePatch(target: unknown, patch: unknown, strategic = false): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (k.startsWith('$')) continue;
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/') || k.startsWith('$retainKeys')) continue;
    if (v === null) delete out[k];
    else if (strategic && NAME_KEYED.has(k) && Array.isArray(v) && Array.isArray(out[k]) && [...v, ...(out[k] as unknown[])].every(named)) out[k] = mergeByName(out[k] as unknown[], v);
    else out[k] = mergePatch(out[k], v, strategic);
  }
  return out;
}

/** The lists whose patchMergeKey is `name` in the Kubernetes API (others, such as a Service's ports, merge by another key: replaced whole here). */
const NAME_KEYED = new Set(['containers', 'initContainers', 'ephemeralContainers', 'env', 'volumes', 'imagePullSecrets']);

const named = (v: unknown): v is Record<string, unknown> & { name: string } => !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { name?: unknown }).name === 'string';

function mergeByName(target: unknown[], patch: unknown[]): unknown[] {
  const out = [...target] as (Record<string, unknown> & { name: string })[];
  for (const p of patch as (Record<string, unknown> & { name: string })[]) {
    const i = out.findIndex((t) => t.name === p.name);
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = mergePatch(out[i], p, true) as (typeof out)[number];
    else out.push(mergePatch({}, p, true) as (typeof out)[number]);
  }
  return out;
}

function decode(body: string | undefined, yamlOk: boolean): Record<string, unknown> {
  try {
    const v: unknown = yamlOk ? parseYaml(body ?? '') : JSON.parse(body ?? '');
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `the request body is not a ${yamlOk ? 'YAML' : 'JSON'} object: ${(e as Error).message}`);
  }
}

/** The object a PATCH leads to: server-side apply and kubectl's client-side apply give the whole desired object; other patches are merged into the current one. */
function patched(current: K8sObject, contentType: string, body: string | undefined): K8sObject {
  const ct = contentType.split(';')[0]!.trim();
  if (ct === 'application/apply-patch+yaml') {
    const desired = decode(body, true) as K8sObject;
    return { ...desired, metadata: { ...(desired.metadata ?? {}), name: current.metadata.name, namespace: current.metadata.namespace } } as K8sObject;
  }
  if (ct === 'application/strategic-merge-patch+json' || ct === 'application/merge-patch+json') {
    const patch = decode(body, false);
    const annotations = (patch.metadata as { annotations?: Record<string, string | null> } | undefined)?.annotations;
    const lastApplied = annotations?.[LAST_APPLIED];
    if (typeof lastApplied === 'string') {
      // kubectl apply (client side) sends the difference from what it applied last, and the whole
      // new configuration in this annotation: the object it wants is that configuration.
      const desired = decode(lastApplied, false) as K8sObject;
      const kept = Object.fromEntries(Object.entries({ ...((current.metadata.annotations as Record<string, string>) ?? {}), ...annotations }).filter(([, v]) => v !== null)) as Record<string, string>;
      return { ...desired, metadata: { ...desired.metadata, name: current.metadata.name, namespace: current.metadata.namespace, annotations: kept } } as K8sObject;
    }
    return mergePatch(current, patch, ct === 'application/strategic-merge-patch+json') as K8sObject;
  }
  if (ct === 'application/json-patch+json') {
    // RFC 6902 operations (kubectl patch --type json, kubectl rollout undo), applied to a copy: a
    // failed `test` or a path that is not there refuses the whole patch, as the API server does.
    const ops = (() => {
      try {
        return JSON.parse(body ?? '') as unknown;
      } catch (e) {
        throw new ApiError(400, 'BadRequest', `the JSON patch is not JSON: ${(e as Error).message}`);
      }
    })();
    if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'a JSON patch is a list of operations (RFC 6902)');
    try {
      return jsonPatch.applyPatch(jsonPatch.deepClone(current), ops as jsonPatch.Operation[], true, false).newDocument as K8sObject;
    } catch (e) {
      throw new ApiError(422, 'Invalid', `the JSON patch cannot be applied: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new ApiError(415, 'UnsupportedMediaType', `the patch type "${ct}" is not supported by podlab; use kubectl apply (client or server side), kubectl patch --type merge, --type strategic or --type json`);
}

const WRITE_VERB: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export function handle(view: LabView, req: ApiRequest, port: number): ApiResult {
  const parts = req.path.split('/').filter(Boolean);
  const kinds = servedKinds(view.plan);
  if (req.method === 'GET') {
    const d = discovery(parts, port, kinds);
    if (d) return d;
    if (parts[0] === 'openapi' && parts[1] === 'v3') {
      const doc = parts.length === 2 ? openapiRoot(kinds) : openapiDocument(parts.slice(2).join('/'), kinds);
      if (doc) return json(doc);
    }
    if (parts[0] === 'openapi') throw new ApiError(404, 'NotFound', `podlab serves OpenAPI v3 only (/openapi/v3), for the kinds it serves; not ${req.path}`);
  }
  const r = route(parts, kinds);
  if (!r) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.path})`);
  // (`/api/v1/namespaces/<ns>` is the namespace itself: resource namespaces, name <ns>.)
  const kind = r.kind;
  if (!kind)
    throw new ApiError(404, 'NotFound', `the server could not find the requested resource: podlab serves ${kinds.map((k) => `${k.resource}${k.group ? `.${k.group}` : ''}`).join(', ')}`);
  const namespace = kind.namespaced ? r.namespace : undefined;
  const name = r.name;
  const verb = req.method === 'GET' ? (name ? 'get' : req.query.get('watch') === 'true' || req.query.get('watch') === '1' ? 'watch' : 'list') : (WRITE_VERB[req.method] ?? req.method.toLowerCase());

  if (r.sub) {
    if (kind.kind === 'Pod' && name && namespace && (r.sub === 'log' || r.sub === 'exec')) {
      const pod = select(view, kind, namespace, new URLSearchParams()).find((o) => o.metadata.name === name);
      if (!pod) throw notFound(kind, name);
      const containers = ((pod.spec as { containers: { name: string }[] }).containers ?? []).map((c) => c.name);
      const container = req.query.get('container') ?? containers[0]!;
      if (!containers.includes(container)) throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}; its containers: ${containers.join(', ')}`);
      if (r.sub === 'log') {
        if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `pods/log answers GET only`);
        const tail = req.query.get('tailLines');
        return { type: 'logs', namespace, pod: name, container, follow: req.query.get('follow') === 'true', ...(tail ? { tailLines: Number(tail) } : {}), previous: req.query.get('previous') === 'true' };
      }
      const command = req.query.getAll('command');
      if (!command.length) throw new ApiError(400, 'BadRequest', 'you must specify at least one command for the container');
      return { type: 'exec', namespace, pod: name, container, command, stdin: req.query.get('stdin') === 'true', tty: req.query.get('tty') === 'true' };
    }
    if (r.sub === 'scale' && kind.scale && name) {
      const current = kind.list(view).find((o) => o.metadata.name === name && (!namespace || o.metadata.namespace === namespace));
      if (!current) throw notFound(kind, name);
      const scale = kind.scale.get(current);
      if (req.method === 'GET') return json(scale);
      if (req.method !== 'PATCH' && req.method !== 'PUT') throw new ApiError(405, 'MethodNotAllowed', `${kind.resource}/scale answers GET, PATCH and PUT`);
      const wanted = req.method === 'PUT' ? (decode(req.body, /yaml/.test(req.contentType)) as K8sObject) : patched(scale, req.contentType, req.body);
      const intent = kind.scale.write(wanted, { view, namespace, name, exists: true });
      const get = kind.scale.get;
      return { type: 'write', scope: { kind, namespace, name }, intent, dryRun: req.query.has('dryRun'), object: current, created: false, reply: (after) => ({ ...get(after), spec: wanted.spec }) };
    }
    throw new ApiError(404, 'NotFound', `podlab serves the subresources pods/log, pods/exec${kinds.filter((k) => k.scale).map((k) => ` and ${k.resource}/scale`).join('')} only, not ${kind.resource}/${r.sub}`);
  }
  if (!kind.verbs.includes(verb))
    throw new ApiError(405, 'MethodNotAllowed', `podlab does not ${verb} ${kind.resource}: it serves ${kind.verbs.join(', ')} for ${kind.resource}. What it changes: ${writableSummary(kinds)}`, { kind: kind.resource, group: kind.group, ...(name ? { name } : {}) });

  if (verb === 'list' || verb === 'watch') {
    if (verb === 'watch') {
      const labels = parseLabelSelector(req.query.get('labelSelector') ?? '');
      const fields = parseFieldSelector(req.query.get('fieldSelector') ?? '');
      return {
        type: 'watch',
        scope: { kind, namespace },
        table: wantsTable(req.accept),
        include: includeOf(req.query),
        listVersion: String(listOf(kind, select(view, kind, namespace, req.query)).metadata.resourceVersion),
        filter: (o) => (!namespace || o.metadata.namespace === namespace) && labelsMatch(labels, (o.metadata.labels as Record<string, string>) ?? {}) && fieldsMatch(fields, o),
      };
    }
    const objects = select(view, kind, namespace, req.query);
    const list = listOf(kind, objects);
    const snapshot = { resource: kind.resource, version: String(list.metadata.resourceVersion), objects };
    return wantsTable(req.accept)
      ? { type: 'json', code: 200, body: tableOf(kind, view, objects, true, String(list.metadata.resourceVersion), includeOf(req.query)), contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io', snapshot }
      : { type: 'json', code: 200, body: list, snapshot };
  }
  const current = name ? kind.list(view).find((o) => o.metadata.name === name && (!namespace || o.metadata.namespace === namespace)) : undefined;
  if (verb === 'get') {
    if (!current) throw notFound(kind, name!);
    return wantsTable(req.accept) ? { type: 'json', code: 200, body: tableOf(kind, view, [current], true, '', includeOf(req.query)), contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io' } : json(current);
  }
  const dryRun = req.query.has('dryRun');
  if (verb === 'delete') {
    if (!current) throw notFound(kind, name!);
    if (!kind.remove) throw new ApiError(405, 'MethodNotAllowed', `podlab does not delete ${kind.resource}`);
    return { type: 'write', scope: { kind, namespace, name: name! }, intent: kind.remove(current, { view, namespace, name: name!, exists: true }), dryRun, object: current, created: false, deleted: true };
  }
  // create, update, patch (and apply, a patch)
  let object: K8sObject;
  if (verb === 'create') {
    object = decode(req.body, /yaml/.test(req.contentType)) as K8sObject;
    const n = (object.metadata as { name?: string } | undefined)?.name;
    if (!n) throw new ApiError(422, 'Invalid', `${kind.kind} is invalid: metadata.name: Required value: name or generateName is required`, { kind: kind.kind, causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }] });
    if (kind.list(view).some((o) => o.metadata.name === n && (!namespace || o.metadata.namespace === namespace)))
      throw new ApiError(409, 'AlreadyExists', `${kind.resource}${kind.group ? `.${kind.group}` : ''} "${n}" already exists`, { name: n, group: kind.group, kind: kind.resource });
  } else if (verb === 'update') {
    if (!current) throw notFound(kind, name!);
    object = decode(req.body, /yaml/.test(req.contentType)) as K8sObject;
  } else {
    const ct = req.contentType.split(';')[0]!.trim();
    if (!current && ct !== 'application/apply-patch+yaml') throw notFound(kind, name!);
    object = patched(current ?? ({ metadata: { name: name!, ...(namespace ? { namespace } : {}) } } as K8sObject), req.contentType, req.body);
  }
  const objName = verb === 'create' ? (object.metadata as { name: string }).name : name!;
  // As the API server's ValidateObjectMeta: a name becomes nft chain names, nginx.conf lines and file names.
  if (typeof objName !== 'string' || !isDnsSubdomain(objName))
    throw invalid(kind, String(objName), [{ field: 'metadata.name', message: `Invalid value: ${JSON.stringify(objName)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')` }]);
  const bodyNs = (object.metadata as { namespace?: string } | undefined)?.namespace;
  if (namespace && bodyNs && bodyNs !== namespace)
    throw new ApiError(400, 'BadRequest', `the namespace of the provided object (${bodyNs}) does not match the namespace sent on the request (${namespace})`);
  const kindOf = (object as { kind?: string }).kind;
  if (kindOf && kindOf !== kind.kind) throw new ApiError(400, 'BadRequest', `the object is a ${kindOf}, sent to ${kind.resource}`);
  object = { ...object, apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { ...(object.metadata ?? {}), name: objName, ...(namespace ? { namespace } : {}) } } as K8sObject;
  if (!kind.write) throw new ApiError(405, 'MethodNotAllowed', `podlab does not change ${kind.resource}. What it changes: ${writableSummary(kinds)}`);
  const intent = kind.write(object, { view, namespace, name: objName, exists: !!current, ...(current ? { created: current.metadata.creationTimestamp as string } : {}) });
  return { type: 'write', scope: { kind, namespace, name: objName }, intent, dryRun, object, created: !current };
}
