/**
 * OpenAPI v3 for the served kinds, as much as kubectl reads: the root document listing one
 * document per group version, and in each, every kind's paths (with the
 * `x-kubernetes-group-version-kind` extension and the `fieldValidation` query parameter on
 * PATCH, so kubectl 1.27+ leaves validation to the server, which answers 422 naming the field)
 * and a schema per kind for `kubectl explain` down to every field (`kubectl explain
 * pod.spec.containers.ports`): the Kubernetes types with their descriptions, from kubernetes-models
 * (src/k8s/api-fields.json for the shape, src/api/openapi-docs.json for the text). Kinds without a
 * model there (Node, Endpoints, EndpointSlice) are described at their top level.
 */
import fieldsIndex from '../k8s/api-fields.json' with { type: 'json' };
import { KINDS } from './kinds/index.ts';
import docsIndex from './openapi-docs.json' with { type: 'json' };
import { apiVersionOf, fnv, type ApiKind } from './types.ts';

type Shape = 's' | { t: string } | { a: Shape } | { m: Shape };
const FIELDS = fieldsIndex as unknown as { roots: Record<string, string>; types: Record<string, Record<string, Shape>> };
/** Per type (api-fields.json's keys): description, and per field its description, scalar type, required (scripts/k8s-docs.ts). */
const DOCS = docsIndex as unknown as Record<string, { d: string; f: Record<string, { d: string; s?: 's' | 'i' | 'b'; r?: 1 }> }>;

const gvPath = (k: Pick<ApiKind, 'group' | 'version'>) => (k.group ? `apis/${k.group}/${k.version}` : `api/${k.version}`);
/** io.k8s.api.core.v1.Pod; a CRD's group reversed, as the API server names it (org.projectcalico.crd.v1.IPPool). */
const schemaName = (k: ApiKind) => (k.schema ? `${k.group.split('.').reverse().join('.')}.${k.version}.${k.kind}` : `io.k8s.api.${k.group ? k.group.split('.')[0] : 'core'}.${k.version}.${k.kind}`);

/** The Kubernetes name of a type key: kubernetes-models/v1/Container → io.k8s.api.core.v1.Container. */
function typeName(key: string): string {
  const apimachinery = /^@kubernetes-models\/apimachinery\/(.*)$/.exec(key);
  if (apimachinery) return `io.k8s.apimachinery.pkg.${apimachinery[1]!.replace(/\//g, '.')}`;
  const parts = key.replace(/^kubernetes-models\//, '').split('/');
  return parts.length === 2 ? `io.k8s.api.core.${parts.join('.')}` : `io.k8s.api.${parts[0]!.split('.')[0]}.${parts.slice(1).join('.')}`;
}

const SCALAR = { s: 'string', i: 'integer', b: 'boolean' } as const;

/** A field's schema (OpenAPI v3 as the API server writes it: a reference wrapped in allOf). */
function fieldSchema(shape: Shape, doc: { d: string; s?: 's' | 'i' | 'b' } | undefined, refs: Set<string>): Record<string, unknown> {
  const description = doc?.d ? { description: doc.d } : {};
  if (shape === 's') return { ...description, type: SCALAR[doc?.s ?? 's'] };
  if ('a' in shape) return { ...description, type: 'array', items: fieldSchema(shape.a, undefined, refs) };
  if ('m' in shape) return { ...description, type: 'object', additionalProperties: fieldSchema(shape.m, undefined, refs) };
  const fields = FIELDS.types[shape.t] ?? {};
  // A type without fields is an alias of a scalar (Quantity, Time, IntOrString) or free-form JSON.
  if (!Object.keys(fields).length) return { ...description, type: /FieldsV1|RawExtension/.test(shape.t) ? 'object' : 'string', ...(/IntOrString/.test(shape.t) ? { format: 'int-or-string' } : {}) };
  refs.add(shape.t);
  return { ...description, default: {}, allOf: [{ $ref: `#/components/schemas/${typeName(shape.t)}` }] };
}

function typeSchema(key: string, refs: Set<string>): Record<string, unknown> {
  const fields = FIELDS.types[key] ?? {};
  const docs = DOCS[key];
  const required = Object.keys(fields).filter((f) => docs?.f[f]?.r);
  return {
    ...(docs?.d ? { description: docs.d } : {}),
    type: 'object',
    ...(required.length ? { required } : {}),
    properties: Object.fromEntries(Object.entries(fields).map(([f, shape]) => [f, fieldSchema(shape, docs?.f[f], refs)])),
  };
}

/** Every type a kind reaches, as component schemas (the kind's own under its name, with its group-version-kind). */
function kindSchemas(k: ApiKind): Record<string, unknown> {
  const root = FIELDS.roots[`${apiVersionOf(k)}/${k.kind}`];
  if (k.schema) return { [schemaName(k)]: { ...k.schema, 'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }] } };
  if (!root) return { [schemaName(k)]: kindSchema(k) };
  const refs = new Set<string>();
  const out: Record<string, unknown> = {
    [schemaName(k)]: { ...typeSchema(root, refs), description: `${DOCS[root]?.d ?? k.kind} (served by podlab from the live lab. Verbs: ${k.verbs.join(', ')}.)`, 'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }] },
  };
  const done = new Set<string>([root]);
  for (let todo = [...refs]; todo.length; ) {
    const t = todo.pop()!;
    if (done.has(t)) continue;
    done.add(t);
    const more = new Set<string>();
    out[typeName(t)] = typeSchema(t, more);
    todo.push(...[...more].filter((m) => !done.has(m)));
  }
  return out;
}

const FIELD_DOCS: Record<string, string> = {
  apiVersion: 'APIVersion defines the versioned schema of this representation of an object.',
  kind: 'Kind is a string value representing the REST resource this object represents.',
  metadata: "Standard object's metadata: name, namespace, labels, annotations, uid, resourceVersion.",
  spec: 'The desired state of the object, as podlab builds it in the lab.',
  status: 'The most recently observed state, read from the live lab (the same state podlab status reads).',
  data: 'The ConfigMap\'s keys; for kube-system/coredns, "Corefile" is the cluster DNS server\'s configuration.',
  subsets: 'The addresses and ports of the ready pods behind the Service.',
  endpoints: "The slice's endpoints: the ready pods' addresses, nodes and conditions.",
  ports: "The slice's ports.",
  addressType: 'IPv4 or IPv6.',
};

const TOP_FIELDS: Record<string, string[]> = {
  ConfigMap: ['apiVersion', 'kind', 'metadata', 'data'],
  Endpoints: ['apiVersion', 'kind', 'metadata', 'subsets'],
  EndpointSlice: ['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints', 'ports'],
  NetworkPolicy: ['apiVersion', 'kind', 'metadata', 'spec'],
};

function kindSchema(k: ApiKind) {
  const fields = TOP_FIELDS[k.kind] ?? ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
  return {
    description: `${k.kind} (${apiVersionOf(k)}), served by podlab from the live lab. Verbs: ${k.verbs.join(', ')}.`,
    type: 'object',
    properties: Object.fromEntries(
      fields.map((f) => [f, { description: FIELD_DOCS[f] ?? f, type: f === 'apiVersion' || f === 'kind' || f === 'addressType' ? 'string' : f === 'endpoints' || f === 'ports' || f === 'subsets' ? 'array' : 'object', ...(f === 'endpoints' || f === 'ports' || f === 'subsets' ? { items: { type: 'object' } } : {}) }]),
    ),
    'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }],
  };
}

const query = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });

function kindPaths(k: ApiKind) {
  const base = `/${gvPath(k)}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.resource}`;
  const gvk = { group: k.group, version: k.version, kind: k.kind };
  const ref = { $ref: `#/components/schemas/${schemaName(k)}` };
  const op = (action: string, params: string[] = []) => ({
    description: `${action} ${k.kind}`,
    operationId: `${action}${k.kind}`,
    parameters: params.map(query),
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const write = ['dryRun', 'fieldManager', 'fieldValidation'];
  return {
    [base]: { get: op('list', ['labelSelector', 'fieldSelector', 'watch']), post: op('post', write) },
    [`${base}/{name}`]: { get: op('get'), put: op('put', write), patch: op('patch', [...write, 'force']), delete: op('delete', ['dryRun']) },
  };
}

/** The document of one group version, or undefined when no served kind is in it (`served`: the lab's kinds). */
export function openapiDocument(path: string, served: readonly ApiKind[] = KINDS): object | undefined {
  const kinds = served.filter((k) => gvPath(k) === path);
  if (!kinds.length) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'podlab', version: 'v1.32.0-podlab' },
    paths: Object.assign({}, ...kinds.map(kindPaths)),
    components: { schemas: Object.assign({}, ...kinds.map(kindSchemas)) },
  };
}

export function openapiRoot(served: readonly ApiKind[] = KINDS): object {
  const paths = [...new Set(served.map(gvPath))];
  return { paths: Object.fromEntries(paths.map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${fnv(JSON.stringify(openapiDocument(p, served))).toString(16).toUpperCase()}` }])) };
}
