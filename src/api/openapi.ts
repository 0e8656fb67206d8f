/**
 * OpenAPI v3 for the served kinds, as much as kubectl reads: the root document listing one
 * document per group version, and in each, every kind's paths (with the
 * `x-kubernetes-group-version-kind` extension and the `fieldValidation` query parameter on
 * PATCH, so kubectl 1.27+ leaves validation to the server, which answers 422 naming the field)
 * and a schema per kind for `kubectl explain` (top-level fields, from the objects served).
 */
import { KINDS } from './kinds/index.ts';
import { apiVersionOf, fnv, type ApiKind } from './types.ts';

const gvPath = (k: Pick<ApiKind, 'group' | 'version'>) => (k.group ? `apis/${k.group}/${k.version}` : `api/${k.version}`);
const schemaName = (k: ApiKind) => `io.k8s.api.${k.group ? k.group.split('.')[0] : 'core'}.${k.version}.${k.kind}`;

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

/** The document of one group version, or undefined when no served kind is in it. */
export function openapiDocument(path: string): object | undefined {
  const kinds = KINDS.filter((k) => gvPath(k) === path);
  if (!kinds.length) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'podlab', version: 'v1.32.0-podlab' },
    paths: Object.assign({}, ...kinds.map(kindPaths)),
    components: { schemas: Object.fromEntries(kinds.map((k) => [schemaName(k), kindSchema(k)])) },
  };
}

export function openapiRoot(): object {
  const paths = [...new Set(KINDS.map(gvPath))];
  return { paths: Object.fromEntries(paths.map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${fnv(JSON.stringify(openapiDocument(p))).toString(16).toUpperCase()}` }])) };
}
