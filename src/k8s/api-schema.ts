/**
 * Kubernetes objects checked against the real API schemas, through kubernetes-models: its
 * validators (compiled from the Kubernetes OpenAPI document) check types, required fields and
 * enums; `api-fields.json`, generated from the same package's declarations by
 * `scripts/k8s-fields.ts`, lists each type's fields so a misspelt one is rejected with a "did you
 * mean", as `kubectl --validate=strict` would. Pure: objects in, issues (with paths) out.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { editDistance } from '../lib/edit-distance.ts';
import fieldsIndex from './api-fields.json' with { type: 'json' };

type Shape = 's' | { t: string } | { a: Shape } | { m: Shape };
const INDEX = fieldsIndex as unknown as { roots: Record<string, string>; types: Record<string, Record<string, Shape>> };

/** A path inside one object, e.g. ['spec', 'containers', 0, 'image']. */
export type ObjectPath = (string | number)[];

export interface SchemaIssue {
  path: ObjectPath;
  /** 'unknown-field' (path ends at the field), 'invalid' (a type, an enum, a format) or 'required'. */
  kind: 'unknown-field' | 'invalid' | 'required';
  message: string;
  /** For an unknown field: the nearest field the schema has; for a value not in an enum, the nearest allowed value. */
  suggestion?: string;
}

interface Model {
  new (data: unknown): { validate(): void };
}

/** Every apiVersion/kind kubernetes-models knows, as `apiVersion/kind` → the module exporting its model. */
export const MODELS: Record<string, string> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/Pod': 'kubernetes-models/v1/Pod',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'apps/v1/ReplicaSet': 'kubernetes-models/apps/v1/ReplicaSet',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress': 'kubernetes-models/networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/IngressClass': 'kubernetes-models/networking.k8s.io/v1/IngressClass',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job',
  'rbac.authorization.k8s.io/v1/Role': 'kubernetes-models/rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
};

const require = createRequire(import.meta.url);
const loaded = new Map<string, Model>();

/** Whether podlab has the schema of this apiVersion/kind. */
export function hasSchema(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in MODELS;
}

/** The apiVersions podlab knows for a kind (for "did you mean apps/v1"). */
export function apiVersionsOf(kind: string): string[] {
  return Object.keys(MODELS)
    .filter((k) => k.endsWith(`/${kind}`))
    .map((k) => k.slice(0, -kind.length - 1));
}

/** Kinds known for any apiVersion. */
export function knownKinds(): string[] {
  return [...new Set(Object.keys(MODELS).map((k) => k.split('/').at(-1)!))].sort();
}

/** Checks one object (whose apiVersion and kind have a schema) against it. */
export function validateObject(obj: Record<string, unknown>): SchemaIssue[] {
  const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const module = MODELS[key];
  if (!module) throw new Error(`no schema for ${key}`);
  let model = loaded.get(key);
  if (!model) {
    const kind = String(obj.kind);
    model = (require(module) as Record<string, Model>)[kind]!;
    loaded.set(key, model);
  }
  const issues = unknownFields(obj, { t: INDEX.roots[key]! }, []);
  try {
    new model(obj).validate();
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (!errors) throw e;
    issues.push(...fromAjv(errors, obj));
  }
  return dedupe(issues);
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function pathOf(pointer: string): ObjectPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function fromAjv(errors: AjvError[], value: unknown): SchemaIssue[] {
  // An int-or-string field fails both branches and then the union: report the union once.
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  return errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf' || !unions.has(e.instancePath))
    .map((e): SchemaIssue => {
      const path = pathOf(e.instancePath);
      if (e.keyword === 'required') return { path, kind: 'required', message: `missing required field "${String(e.params.missingProperty)}"` };
      if (e.keyword === 'enum') {
        const allowed = e.params.allowedValues as unknown[];
        // The value written, to offer the one meant (a case slip: pathType exact → Exact).
        const written = path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
        const near = typeof written === 'string' ? nearest(written, allowed.filter((a): a is string => typeof a === 'string')) : undefined;
        return { path, kind: 'invalid', message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}${typeof written === 'string' ? ` (got ${JSON.stringify(written)})` : ''}`, ...(near ? { suggestion: near } : {}) };
      }
      if (e.keyword === 'anyOf' || e.keyword === 'oneOf') return { path, kind: 'invalid', message: 'must be an integer or a string' };
      return { path, kind: 'invalid', message: e.message ?? `fails the schema's ${e.keyword} rule` };
    });
}

function unknownFields(value: unknown, shape: Shape, path: ObjectPath): SchemaIssue[] {
  if (shape === 's' || value === null || typeof value !== 'object') return [];
  if ('a' in shape) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, shape.a, [...path, i])) : [];
  if (Array.isArray(value)) return [];
  const entries = Object.entries(value as Record<string, unknown>);
  if ('m' in shape) return entries.flatMap(([k, v]) => unknownFields(v, shape.m, [...path, k]));
  const fields = INDEX.types[shape.t];
  // A type without fields in the index is an alias of a scalar or free-form JSON: nothing to check.
  if (!fields || !Object.keys(fields).length) return [];
  return entries.flatMap(([k, v]): SchemaIssue[] => {
    const f = fields[k];
    if (f) return unknownFields(v, f, [...path, k]);
    const suggestion = nearest(k, Object.keys(fields));
    return [{ path: [...path, k], kind: 'unknown-field', message: `unknown field "${k}"`, suggestion }];
  });
}

function nearest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function dedupe(issues: SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path.join('/')}|${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Whether Kubernetes has this apiVersion/kind at all (kubernetes-models ships a model for it), built by podlab or not. */
export function existsInKubernetes(apiVersion: string, kind: string): boolean {
  if (!/^[A-Za-z0-9.]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return false;
  try {
    // The package's export map matches any path under a group: the file must be there too.
    return existsSync(require.resolve(`kubernetes-models/${apiVersion}/${kind}`));
  } catch {
    return false;
  }
}
