/**
 * Manifests in, the front end: the lab's `manifests` (files and globs relative to the lab file,
 * or inline YAML) are read, parsed with positions (`yaml`: every node keeps its offset, a
 * LineCounter turns offsets into line and column), checked against the Kubernetes API schemas
 * (src/k8s/api-schema.ts) and converted (src/k8s/manifests.ts) into pods, Services, namespaces
 * and the cluster DNS Corefile, merged into the lab value before the lab's own schema and rules
 * run. Every problem is a diagnostic at the YAML file's own line and column (or, for inline YAML,
 * inside the lab file's string).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import { apiVersionsOf, existsInKubernetes, knownKinds, validateObject, type ObjectPath, type SchemaIssue } from '../k8s/api-schema.ts';
import { BUILT_KINDS, CRD_KINDS, convertManifests, located, type LabContext, type Locate, type ManifestObject } from '../k8s/manifests.ts';
import { editDistance } from '../lib/edit-distance.ts';
import { diag, type Diagnostic } from './diagnostics.ts';
import { readUntrustedText, SafeReadError } from '../lib/safe-read.ts';
import { plainPathProblem } from '../lib/plain-name.ts';
import { isInlineYaml } from './validate-cache.ts';

/** The most of one manifest file that is read: far above any honest set of manifests. */
const MANIFEST_LIMIT = 4 * 1024 * 1024;

export interface Expanded {
  /** The lab value with the manifests' objects merged in. */
  value: unknown;
  diagnostics: Diagnostic[];
  /** Text of each YAML file read, by the file name diagnostics carry (for code frames). */
  sources: Record<string, string>;
  /** Where each object from a manifest was declared, for diagnostics of later rules: by `<lab record>/<name>`. */
  origins: Record<string, Origin>;
}

/** A manifest object behind a lab record entry: how to locate its fields, and a lab path (after the name) as its field. */
export interface Origin {
  at: Locate;
  field: (rest: (string | number)[]) => ObjectPath;
}

/** The object's name (or namespace): what a diagnostic about the whole object points at. */
const byName = (rest: (string | number)[]): ObjectPath => (rest[0] === 'namespace' ? ['metadata', 'namespace'] : ['metadata', 'name']);

/**
 * Lab paths of objects whose lab shape is the spec's (NetworkPolicy, Ingress, Service), or close to it
 * (Deployment), mapped to the field in the YAML, so a rule's finding lands on the YAML line.
 */
const FIELDS: Record<string, (rest: (string | number)[]) => ObjectPath> = {
  NetworkPolicy: (rest) => (rest.length && rest[0] !== 'namespace' ? ['spec', ...rest] : byName(rest)),
  ClusterNetworkPolicy: (rest) => (rest.length ? ['spec', ...rest] : byName(rest)),
  Ingress: (rest) => (rest[0] === 'annotations' ? ['metadata', ...rest] : rest.length && rest[0] !== 'namespace' ? ['spec', ...rest] : byName(rest)),
  // convertService (k8s/manifests.ts) keeps the spec's field names and the ports in their order.
  Service: (rest) => (rest.length && rest[0] !== 'namespace' ? ['spec', ...rest] : byName(rest)),
  IngressClass: (rest) => (rest[0] === 'controller' ? ['spec', 'controller'] : byName(rest)),
  Deployment: (rest) => {
    if (rest[0] === 'replicas' || rest[0] === 'selector') return ['spec', ...rest];
    if (rest[0] !== 'template') return byName(rest);
    if (rest[1] === 'labels') return ['spec', 'template', 'metadata', ...rest.slice(1)];
    return rest.length > 1 ? ['spec', 'template', 'spec', ...rest.slice(1)] : ['spec', 'template'];
  },
};

/** Which lab record a built kind's objects go to. */
const RECORD: Record<string, string> = { Service: 'services', Deployment: 'deployments', NetworkPolicy: 'networkPolicies', ClusterNetworkPolicy: 'clusterNetworkPolicies', Ingress: 'ingresses', IngressClass: 'ingressClasses' };

export interface ExpandOptions {
  /** Read manifest files (a lab file on disk); false where only inline YAML may be given (graded submissions). @default true */
  readFiles?: boolean;
}

export function expandManifests(value: unknown, labFile: string, options: ExpandOptions = {}): Expanded {
  const none: Expanded = { value, diagnostics: [], sources: {}, origins: {} };
  if (typeof value !== 'object' || value === null || !('manifests' in value)) return none;
  const lab = value as Record<string, unknown>;
  const entries = lab.manifests;
  // A wrong shape is the lab schema's to report.
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) return none;

  const diagnostics: Diagnostic[] = [];
  const sources: Record<string, string> = {};
  const objects: ManifestObject[] = [];
  entries.forEach((entry, i) => {
    if (isInlineYaml(entry)) {
      const inlineAt = (line: number, col: number): Partial<Diagnostic> => ({ path: ['manifests', i], within: { line, col } });
      objects.push(...documents(entry, inlineAt, diagnostics));
      return;
    }
    if (options.readFiles === false) {
      diagnostics.push(diag('PL2214', ['manifests', i], `manifest files cannot be read here ("${entry}")`, 'A graded submission may give manifests only as inline YAML strings.'));
      return;
    }
    // A lab file may be from elsewhere (SECURITY.md): root reads its manifests only inside the lab's
    // folder (no absolute path, no `..`), through no link below it, regular files of at most
    // MANIFEST_LIMIT bytes — `manifests: ['/etc/shadow']` would otherwise print the file's lines.
    const outside = plainPathProblem(entry.replace(/^(\.\/)+/, ''));
    if (outside) {
      diagnostics.push(diag('PL2030', ['manifests', i], `manifest path "${entry}" is not inside the lab's folder (${outside})`, "Name manifest files relative to the lab file, inside its folder (e.g. 'k8s/*.yaml'), or give the YAML inline."));
      return;
    }
    const files = expandGlob(dirname(labFile), entry);
    if (!files.length) {
      diagnostics.push(diag('PL2200', ['manifests', i], `no manifest file matches "${entry}" (relative to ${dirname(labFile)}/)`, 'Paths and globs (*, ?) are relative to the lab file.'));
      return;
    }
    for (const f of files) {
      const name = relative(process.cwd(), f) || f;
      let text: string;
      try {
        text = readUntrustedText(f, MANIFEST_LIMIT, { beneath: dirname(resolve(labFile)) });
      } catch (e) {
        if (!(e instanceof SafeReadError)) throw e;
        diagnostics.push({ ...e.diagnostic, path: ['manifests', i], message: `manifest "${entry}": ${e.diagnostic.message}` });
        continue;
      }
      sources[name] = text;
      objects.push(...documents(text, (line, column) => ({ file: name, line, column }), diagnostics));
    }
  });

  const ctx = contextOf(lab);
  const converted = convertManifests(objects, ctx);
  diagnostics.push(...converted.diagnostics);
  const origins: Record<string, Origin> = {};
  const merged: Record<string, unknown> = { ...lab };
  if (converted.namespaces.length) merged.namespaces = [...((lab.namespaces as string[] | undefined) ?? []), ...converted.namespaces];
  for (const key of ['pods', 'deployments', 'services', 'networkPolicies', 'clusterNetworkPolicies', 'ingresses', 'ingressClasses'] as const) {
    if (Object.keys(converted[key]).length) merged[key] = { ...((lab[key] as object | undefined) ?? {}), ...converted[key] };
  }
  if (converted.dns) {
    const dns = (typeof lab.dns === 'object' && lab.dns !== null ? lab.dns : {}) as Record<string, unknown>;
    merged.dns = { ...dns, ...(converted.dns.corefile !== undefined ? { corefile: converted.dns.corefile } : {}), ...(Object.keys(converted.dns.files).length ? { files: { ...((dns.files as object | undefined) ?? {}), ...converted.dns.files } } : {}) };
  }
  for (const m of objects) {
    const meta = m.obj.metadata as { name?: string; namespace?: string } | undefined;
    const record = RECORD[String(m.obj.kind)];
    if (meta?.name && record && meta.name in (converted as unknown as Record<string, Record<string, unknown>>)[record]!) origins[`${record}/${meta.name}`] = { at: m.at, field: FIELDS[String(m.obj.kind)] ?? byName };
    if (m.obj.kind === 'ConfigMap' && meta?.name === 'coredns' && meta.namespace === 'kube-system' && converted.dns) origins['dns/corefile'] = { at: m.at, field: byName };
  }
  for (const [pod] of Object.entries(converted.pods)) {
    const owner = objects.find((m) => pod.startsWith(String((m.obj.metadata as { name?: string }).name)) && (m.obj.kind === 'Pod' || m.obj.kind === 'ReplicaSet'));
    if (owner) origins[`pods/${pod}`] = { at: owner.at, field: byName };
  }
  return { value: merged, diagnostics, sources, origins };
}

/**
 * A diagnostic of the lab's own rules about an object that came from a manifest: placed at that
 * object's YAML (the field, where the lab's shape follows the spec; else its namespace or name)
 * instead of the lab file.
 */
export function placeAtOrigin(d: Diagnostic, origins: Record<string, Origin>): Diagnostic {
  if (d.line !== undefined || d.path.length < 2) return d;
  const origin = origins[`${String(d.path[0])}/${String(d.path[1])}`];
  if (!origin) return d;
  const { at } = origin;
  if (d.path[0] === 'dns') {
    // A spot in the Corefile: a block scalar (`Corefile: |`) starts on the next line, indented two past its key.
    const key = at(['data', 'Corefile'], true);
    if (key.line === undefined || !d.within) return { ...d, ...key, path: key.path ?? d.path };
    return { ...d, file: key.file, line: key.line + d.within.line, column: (key.column ?? 1) + 2 + d.within.col - 1, within: undefined };
  }
  // At the field's key, as a lab file's diagnostic is at its property's name: a mapping's value starts a line below.
  const where = at(origin.field(d.path.slice(2)), true);
  return { ...d, ...where, path: where.path ?? d.path };
}

function contextOf(lab: Record<string, unknown>): LabContext {
  const rec = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const nodes = Object.entries(rec(lab.nodes)).map(([name, n]) => ({ name, role: rec(n).role === 'control-plane' ? ('control-plane' as const) : ('worker' as const) }));
  const pods = Object.fromEntries(Object.entries(rec(lab.pods)).map(([name, p]) => [name, String(rec(p).node ?? '')]));
  return {
    nodes,
    pods,
    services: Object.keys(rec(lab.services)),
    deployments: Object.keys(rec(lab.deployments)),
    networkPolicies: Object.keys(rec(lab.networkPolicies)),
    clusterNetworkPolicies: Object.keys(rec(lab.clusterNetworkPolicies)),
    ingresses: Object.keys(rec(lab.ingresses)),
    ingressClasses: Object.keys(rec(lab.ingressClasses)),
    namespaces: Array.isArray(lab.namespaces) ? lab.namespaces.map(String) : [],
    dns: lab.dns === false ? false : { corefile: typeof rec(lab.dns).corefile === 'string' },
  };
}

/** Files matching a path whose segments may hold `*` and `?`, sorted; a plain path that exists is itself. */
export function expandGlob(base: string, pattern: string): string[] {
  let found = [pattern.startsWith('/') ? '/' : resolve(base)];
  for (const seg of pattern.split('/').filter((s) => s && s !== '.')) {
    if (!/[*?]/.test(seg)) {
      found = found.map((d) => join(d, seg)).filter((p) => existsSync(p));
      continue;
    }
    const re = new RegExp(`^${seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    found = found.flatMap((d) => (isDir(d) ? readdirSync(d).filter((n) => re.test(n) && !n.startsWith('.')).sort().map((n) => join(d, n)) : []));
  }
  return found.filter((f) => !isDir(f));
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The objects of one YAML stream, each with a way to locate its fields; problems pushed to `out`. */
function documents(text: string, place: (line: number, column: number) => Partial<Diagnostic>, out: Diagnostic[]): ManifestObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const objects: ManifestObject[] = [];
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return place(line, col);
  };
  for (const doc of list) {
    if (doc.errors.length) {
      for (const e of doc.errors) out.push({ ...diag('PL2201', [], `YAML: ${e.message.split('\n')[0]}`, 'Fix the YAML syntax (indentation, a missing colon or quote).'), ...pos(e.pos[0]) });
      continue;
    }
    if (doc.contents === null) continue; // an empty document (a trailing ---)
    const obj = doc.toJS({ maxAliasCount: 100 }) as unknown;
    const at: Locate = (path, key = false) => pos(offsetOf(doc, path, key));
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || typeof (obj as Record<string, unknown>).apiVersion !== 'string' || typeof (obj as Record<string, unknown>).kind !== 'string') {
      out.push({ ...diag('PL2202', [], 'not a Kubernetes object: a manifest is a mapping with apiVersion and kind', 'Start it with `apiVersion: v1` and `kind: Pod` (or Deployment, Service, …).'), ...at([]) });
      continue;
    }
    const o = obj as Record<string, unknown>;
    const m: ManifestObject = { obj: o, at };
    if (!checkKind(m, out)) continue;
    const issues = CRD_KINDS.includes(`${String(o.apiVersion)}/${String(o.kind)}`) ? crdIssues(o) : validateObject(o);
    for (const i of issues) {
      if (i.kind === 'unknown-field') out.push(located(o, at, diag('PL2206', [], `${i.message}: the Kubernetes API schema of ${String(o.kind)} has no such field there`, i.suggestion ? `Did you mean "${i.suggestion}"?` : 'Remove it, or check its place and spelling in the Kubernetes API reference.'), i.path, true));
      else out.push(located(o, at, diag('PL2205', [], i.message, `${i.suggestion ? `Did you mean "${i.suggestion}"? (case matters) ` : ''}The Kubernetes API schema rejects this; kubectl apply would too.`), i.path, i.kind === 'invalid'));
    }
    const name = (o.metadata as { name?: unknown } | undefined)?.name;
    if (!issues.length && typeof name !== 'string') {
      out.push(located(o, at, diag('PL2205', [], 'missing metadata.name', 'Name the object (podlab gives no generated names).'), o.metadata ? ['metadata'] : []));
      continue;
    }
    if (!issues.length) objects.push(m);
  }
  return objects;
}

/**
 * A CRD object podlab builds (CRD_KINDS) has no Kubernetes API schema: only its envelope is checked
 * here (apiVersion, kind, metadata, spec); its spec is the lab's shape, which the lab's schema checks.
 */
function crdIssues(o: Record<string, unknown>): SchemaIssue[] {
  const envelope = ['apiVersion', 'kind', 'metadata', 'spec'];
  const issues: SchemaIssue[] = Object.keys(o)
    .filter((k) => !envelope.includes(k))
    .map((k) => ({ kind: 'unknown-field' as const, path: [k], message: `unknown field "${k}"` }));
  if (typeof o.spec !== 'object' || o.spec === null || Array.isArray(o.spec)) issues.push({ kind: 'invalid', path: o.spec === undefined ? [] : ['spec'], message: 'spec must be an object' });
  return issues;
}

function checkKind(m: ManifestObject, out: Diagnostic[]): boolean {
  const { apiVersion, kind } = m.obj as { apiVersion: string; kind: string };
  const id = `${apiVersion}/${kind}`;
  if ((BUILT_KINDS as readonly string[]).includes(id)) return true;
  const built = BUILT_KINDS.filter((k) => k.endsWith(`/${kind}`)).map((k) => k.slice(0, -kind.length - 1));
  const push = (code: 'PL2203' | 'PL2204', path: ObjectPath, message: string, hint: string) => out.push({ ...diag(code, [], message, hint), ...m.at(path) });
  if (built.length) {
    push('PL2203', ['apiVersion'], `${kind} has no apiVersion "${apiVersion}" in the Kubernetes API podlab reads`, `Write \`apiVersion: ${built[0]}\`.`);
  } else if (existsInKubernetes(apiVersion, kind) || apiVersionsOf(kind).length) {
    push('PL2204', ['kind'], `${kind} (${apiVersion}) is a Kubernetes kind podlab does not build from manifests`, `Manifests may hold ${BUILT_KINDS.map((k) => k.split('/').at(-1)).join(', ')}; declare the rest in the lab file.`);
  } else {
    const kinds = [...new Set([...BUILT_KINDS.map((k) => k.split('/').at(-1)!), ...knownKinds()])];
    const near = kinds.map((k) => [k, editDistance(k.toLowerCase(), kind.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
    push('PL2203', ['kind'], `unknown kind "${kind}" (apiVersion ${apiVersion})`, near && near[1] <= 3 ? `Did you mean "${near[0]}"?` : `Manifests may hold ${BUILT_KINDS.map((k) => k.split('/').at(-1)).join(', ')}.`);
  }
  return false;
}

/** The offset of the node at `path` (its key, with `key` or when its value is a mapping or list), or of the deepest node the path reaches. */
function offsetOf(doc: Document, path: ObjectPath, key: boolean): number {
  let node: unknown = doc.contents;
  let at = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) return at;
      const k = pair.key as YamlNode | null;
      const v = pair.value as YamlNode | null;
      // A mapping or list value starts on the line below its key: the field is at its key.
      if (last && (key || isMap(v) || isSeq(v))) return k?.range?.[0] ?? at;
      at = v?.range?.[0] ?? k?.range?.[0] ?? at;
      node = v;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (!item) return at;
      at = item.range?.[0] ?? at;
      node = item;
    } else return at;
  }
  return at;
}
