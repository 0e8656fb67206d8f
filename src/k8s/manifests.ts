/**
 * Manifests in: Kubernetes objects (already parsed and checked against the API schemas) become
 * the lab's own structures — namespaces, pods, Services, Deployments, the cluster DNS Corefile —
 * before the lab's schema and semantic rules run, so a manifest pod is a pod like any other. A
 * Deployment becomes a lab Deployment (its pods named, placed and kept by the control loops, as
 * the lab file's are); a ReplicaSet is expanded into its pods here, placed by a small scheduler (`schedule`): it
 * honours `nodeName` and `nodeSelector` (on the labels every node has), keeps pods off a
 * control-plane node that has workers beside it (kubeadm's taint) unless they tolerate it, and
 * spreads replicas over the nodes that fit. Pure: objects in, lab fragments and diagnostics out.
 */
import { createHash } from '../lib/crypto.ts';
import { diag, warning, type Diagnostic } from '../compile/diagnostics.ts';
import type { ContainerSpec, LabSpec, PodSpec, ServiceSpec } from '../schema/lab-schema.ts';
import { CONTROL_PLANE_TAINT, type Toleration } from '../loops/scheduler.ts';
import type { ObjectPath } from './api-schema.ts';
import { findImageRule, imageTable } from './images.ts';

/**
 * sig-network's ClusterNetworkPolicy (kubernetes-sigs/network-policy-api, a CRD, not in the
 * Kubernetes API): its spec is the lab's own `clusterNetworkPolicies` shape, checked by the lab's
 * schema and placed back at the YAML (compile/manifests.ts).
 */
export const CLUSTER_NETWORK_POLICY = 'policy.networking.k8s.io/v1alpha2/ClusterNetworkPolicy';
/** The kinds built from manifests that are CRDs: no Kubernetes API schema to check them against. */
export const CRD_KINDS: readonly string[] = [CLUSTER_NETWORK_POLICY];

/** The kinds manifests may hold, by apiVersion/kind. */
export const BUILT_KINDS = [
  'v1/Namespace',
  'v1/Pod',
  'v1/Service',
  'v1/ConfigMap',
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/IngressClass',
  CLUSTER_NETWORK_POLICY,
] as const;

/** ingress-nginx's annotations live under this prefix; the rest of an Ingress's annotations do nothing here. */
const NGINX_ANNOTATIONS = 'nginx.ingress.kubernetes.io/';
/** The annotation that makes an IngressClass the default (Kubernetes' own, on the IngressClass). */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The label the API server puts on every namespace (immutable): not the author's to set. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Where something in one manifest object is: diagnostic fields (file, line, column, or a path inside the lab). */
export type Locate = (path: ObjectPath, key?: boolean) => Partial<Diagnostic>;

export interface ManifestObject {
  obj: Record<string, unknown>;
  at: Locate;
}

/** What the lab file itself declares, that manifests must fit beside. */
export interface LabContext {
  nodes: { name: string; role: 'control-plane' | 'worker' }[];
  /** Pods of the lab file: name → node (for spreading and clashes). */
  pods: Record<string, string>;
  services: string[];
  deployments: string[];
  networkPolicies: string[];
  clusterNetworkPolicies: string[];
  ingresses: string[];
  ingressClasses: string[];
  namespaces: string[];
  /** The lab's `dns` as written: false, or whether it sets a corefile. */
  dns: false | { corefile: boolean };
}

export type DeploymentSpec = NonNullable<LabSpec['deployments']>[string];

export type NetworkPolicySpec = NonNullable<LabSpec['networkPolicies']>[string];
export type ClusterNetworkPolicySpec = NonNullable<LabSpec['clusterNetworkPolicies']>[string];
export type IngressSpec = NonNullable<LabSpec['ingresses']>[string];
export type IngressClassSpec = NonNullable<LabSpec['ingressClasses']>[string];

export interface Converted {
  /** A name, or the name with the labels the manifest gave it. */
  namespaces: (string | { name: string; labels: Record<string, string> })[];
  pods: Record<string, PodSpec>;
  deployments: Record<string, DeploymentSpec>;
  networkPolicies: Record<string, NetworkPolicySpec>;
  clusterNetworkPolicies: Record<string, ClusterNetworkPolicySpec>;
  ingresses: Record<string, IngressSpec>;
  ingressClasses: Record<string, IngressClassSpec>;
  services: Record<string, ServiceSpec>;
  dns?: { corefile?: string; files: Record<string, string> };
  diagnostics: Diagnostic[];
}

/** `spec.template.spec.containers[0].image` */
export function formatObjectPath(path: ObjectPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

/** `Deployment "shop/web"`, the way an object is named in messages. */
export function objectName(obj: Record<string, unknown>): string {
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  const ns = meta.namespace && meta.namespace !== 'default' ? `${meta.namespace}/` : '';
  return `${String(obj.kind)} "${ns}${meta.name ?? '?'}"`;
}

/** A message naming the object and the field: `Deployment "web" spec.replicas: …`. */
export function located(obj: Record<string, unknown>, at: Locate, d: Diagnostic, path: ObjectPath, key = false): Diagnostic {
  const field = path.length ? ` ${formatObjectPath(path)}` : '';
  return { ...d, message: `${objectName(obj)}${field}: ${d.message}`, ...at(path, key) };
}

type Obj = Record<string, unknown>;
interface Meta { name: string; namespace?: string; labels?: Record<string, string> }

// Kubernetes' random-suffix alphabet (no vowels, no 0/1/3): names look like the real ones, but
// come from a hash so the same manifests give the same names every time.
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
function suffix(input: string, length: number): string {
  const h = createHash('sha256').update(input).digest();
  return Array.from({ length }, (_, i) => SAFE[h[i]! % SAFE.length]).join('');
}

/** The node label `podlab export` puts on each node of its kind cluster: the lab's node name. */
export const NODE_LABEL = 'podlab.dev/node';

/** Labels every node has, as the kubelet and kubeadm set them, and podlab's own. */
export function nodeLabels(node: { name: string; role: string; labels?: Readonly<Record<string, string>> }): Record<string, string> {
  return {
    ...node.labels,
    'kubernetes.io/hostname': node.name,
    [NODE_LABEL]: node.name,
    'kubernetes.io/os': 'linux',
    ...(node.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
  };
}

export function convertManifests(objects: readonly ManifestObject[], ctx: LabContext): Converted {
  const out: Converted = { namespaces: [], pods: {}, deployments: {}, networkPolicies: {}, clusterNetworkPolicies: {}, ingresses: {}, ingressClasses: {}, services: {}, diagnostics: [] };
  const load = new Map(ctx.nodes.map((n) => [n.name, 0]));
  for (const node of Object.values(ctx.pods)) load.set(node, (load.get(node) ?? 0) + 1);
  const podOwner = new Map<string, string>();
  const push = (m: ManifestObject, d: Diagnostic, path: ObjectPath, key = false) => out.diagnostics.push(located(m.obj, m.at, d, path, key));

  const addPod = (m: ManifestObject, name: string, spec: PodSpec, path: ObjectPath) => {
    if (name in ctx.pods) return push(m, diag('PL2209', [], `pod "${name}" is declared in the lab file too`, 'Rename one of them, or remove the pod from the lab file or the manifest.'), path);
    if (name in out.pods) {
      return push(m, diag('PL2210', [], `pod "${name}" is also made by ${podOwner.get(name)}`, "podlab's pod names are lab-wide, across namespaces: rename one."), path);
    }
    out.pods[name] = spec;
    podOwner.set(name, objectName(m.obj));
    load.set(spec.node, (load.get(spec.node) ?? 0) + 1);
  };

  for (const m of objects) {
    const { obj } = m;
    const meta = obj.metadata as Meta;
    const kind = `${String(obj.apiVersion)}/${String(obj.kind)}`;
    switch (kind) {
      case 'v1/Namespace': {
        const labels = Object.fromEntries(Object.entries(meta.labels ?? {}).filter(([k]) => k !== NAMESPACE_NAME_LABEL));
        const known = out.namespaces.some((n) => (typeof n === 'string' ? n : n.name) === meta.name);
        if (!['default', 'kube-system'].includes(meta.name) && !ctx.namespaces.includes(meta.name) && !known) out.namespaces.push(Object.keys(labels).length ? { name: meta.name, labels } : meta.name);
        break;
      }
      case 'networking.k8s.io/v1/NetworkPolicy':
        addNamed(m, 'NetworkPolicy', meta.name, ctx.networkPolicies, out.networkPolicies, convertNetworkPolicy(meta, obj.spec as Obj), push);
        break;
      case CLUSTER_NETWORK_POLICY:
        // Cluster-scoped; its spec is the lab's shape as is (the lab's schema checks it).
        addNamed(m, 'ClusterNetworkPolicy', meta.name, ctx.clusterNetworkPolicies, out.clusterNetworkPolicies, (obj.spec ?? {}) as ClusterNetworkPolicySpec, push);
        break;
      case 'networking.k8s.io/v1/Ingress': {
        const ing = convertIngress(m, meta, obj, out);
        if (ing) addNamed(m, 'Ingress', meta.name, ctx.ingresses, out.ingresses, ing, push);
        break;
      }
      case 'networking.k8s.io/v1/IngressClass': {
        const spec = (obj.spec ?? {}) as { controller?: string; parameters?: unknown };
        if (spec.parameters !== undefined) push(m, warning('PL2212', [], "an IngressClass's parameters are not read by podlab's controller", 'The class is served without them.'), ['spec', 'parameters'], true);
        const annotations = ((obj.metadata as { annotations?: Record<string, string> }).annotations ?? {});
        const cls: IngressClassSpec = { ...(spec.controller !== undefined ? { controller: spec.controller } : {}), ...(annotations[DEFAULT_CLASS_ANNOTATION] === 'true' ? { default: true } : {}) };
        addNamed(m, 'IngressClass', meta.name, ctx.ingressClasses, out.ingressClasses, cls, push);
        break;
      }
      case 'v1/Pod': {
        const spec = obj.spec as Obj;
        const node = schedule(m, meta, spec, ['spec'], ctx, load, new Map(), out);
        const pod = node === undefined ? undefined : convertPod(m, meta, spec, ['spec'], node, out);
        if (pod) addPod(m, meta.name, pod, ['metadata', 'name']);
        break;
      }
      case 'apps/v1/Deployment': {
        const d = convertDeployment(m, meta, out);
        if (!d) break;
        if (ctx.deployments.includes(meta.name)) push(m, diag('PL2209', [], `Deployment "${meta.name}" is declared in the lab file too`, 'Rename one of them, or remove it from the lab file or the manifest.'), ['metadata', 'name']);
        else if (meta.name in out.deployments) push(m, diag('PL2210', [], `Deployment "${meta.name}" is declared twice in the manifests`, "podlab's Deployment names are lab-wide, across namespaces: rename one."), ['metadata', 'name']);
        else out.deployments[meta.name] = d;
        break;
      }
      case 'apps/v1/ReplicaSet': {
        const spec = obj.spec as { replicas?: number; selector: Selector; template: { metadata?: Partial<Meta>; spec: Obj } };
        const labels = spec.template.metadata?.labels ?? {};
        if (!selectorMatches(spec.selector, labels)) {
          push(m, diag('PL2207', [], `selector ${JSON.stringify(spec.selector.matchLabels ?? spec.selector)} does not match the template's labels ${JSON.stringify(labels)}`, 'spec.selector must select spec.template.metadata.labels (the API server rejects it too): make the labels match.'), ['spec', 'selector']);
          break;
        }
        const replicas = spec.replicas ?? 1;
        const mine = new Map<string, number>();
        for (let i = 0; i < replicas; i++) {
          // A ReplicaSet's pods are named <rs>-<suffix>.
          const name = `${meta.name}-${suffix(`${meta.namespace ?? 'default'}/${meta.name}/${i}`, 5)}`;
          const podMeta: Meta = { name, namespace: meta.namespace, labels: { ...labels } };
          const node = schedule(m, podMeta, spec.template.spec, ['spec', 'template', 'spec'], ctx, load, mine, out);
          if (node === undefined) break;
          const pod = convertPod(m, podMeta, spec.template.spec, ['spec', 'template', 'spec'], node, out);
          if (!pod) break;
          mine.set(node, (mine.get(node) ?? 0) + 1);
          addPod(m, name, pod, ['metadata', 'name']);
        }
        break;
      }
      case 'v1/Service': {
        if (ctx.services.includes(meta.name)) {
          push(m, diag('PL2209', [], `Service "${meta.name}" is declared in the lab file too`, 'Rename one of them, or remove it from the lab file or the manifest.'), ['metadata', 'name']);
          break;
        }
        if (meta.name in out.services) {
          push(m, diag('PL2210', [], `Service "${meta.name}" is declared twice in the manifests`, "podlab's Service names are lab-wide, across namespaces: rename one."), ['metadata', 'name']);
          break;
        }
        out.services[meta.name] = convertService(meta, obj.spec as Obj);
        break;
      }
      case 'v1/ConfigMap': {
        if (meta.name !== 'coredns' || meta.namespace !== 'kube-system') {
          push(m, warning('PL2213', [], 'only the kube-system/coredns ConfigMap is built (its Corefile configures the cluster DNS); this one is ignored', 'Remove it, or name it kube-system/coredns if it is the DNS configuration.'), ['metadata', 'name']);
          break;
        }
        const data = (obj.data ?? {}) as Record<string, string>;
        if (ctx.dns === false) {
          push(m, diag('PL2209', [], 'the lab file says `dns: false`, so there is no cluster DNS to configure', 'Remove `dns: false` from the lab file, or this ConfigMap.'), ['metadata', 'name']);
        } else if (ctx.dns.corefile && data.Corefile !== undefined) {
          push(m, diag('PL2209', [], 'the lab file sets `dns.corefile` too', 'Keep one Corefile: remove `dns.corefile` from the lab file, or this ConfigMap.'), ['data', 'Corefile'], true);
        } else if (out.dns) {
          push(m, diag('PL2210', [], 'a second kube-system/coredns ConfigMap', 'Keep one.'), ['metadata', 'name']);
        } else {
          const { Corefile: corefile, ...files } = data;
          out.dns = { corefile, files };
        }
        break;
      }
      default:
        throw new Error(`convertManifests: ${kind} is not a built kind`);
    }
  }
  return out;
}

/**
 * A Deployment as the lab's own: replicas, matchLabels, the template's labels, placement
 * (nodeName, nodeSelector, tolerations) and containers. Its pods are named, placed and kept by
 * the control loops (compile/loops.ts, the agent), exactly as a lab file's Deployment.
 */
function convertDeployment(m: ManifestObject, meta: Meta, out: Converted): DeploymentSpec | undefined {
  const spec = m.obj.spec as { replicas?: number; selector: Selector; template: { metadata?: Partial<Meta>; spec: Obj } };
  const labels = spec.template.metadata?.labels ?? {};
  const push = (d: Diagnostic, path: ObjectPath, key = false) => out.diagnostics.push(located(m.obj, m.at, d, path, key));
  if (!selectorMatches(spec.selector, labels)) {
    push(diag('PL2207', [], `selector ${JSON.stringify(spec.selector.matchLabels ?? spec.selector)} does not match the template's labels ${JSON.stringify(labels)}`, 'spec.selector must select spec.template.metadata.labels (the API server rejects it too): make the labels match.'), ['spec', 'selector']);
    return undefined;
  }
  if (spec.selector.matchExpressions?.length) {
    push(diag('PL2270', [], "a Deployment's selector with matchExpressions is not built by podlab (its Deployments select by matchLabels)", 'Write the selector as matchLabels.'), ['spec', 'selector', 'matchExpressions'], true);
    return undefined;
  }
  const tspec = spec.template.spec;
  const path: ObjectPath = ['spec', 'template', 'spec'];
  if (tspec.restartPolicy !== undefined && tspec.restartPolicy !== 'Always') {
    push(diag('PL2271', [], `restartPolicy "${String(tspec.restartPolicy)}": a Deployment's pods always restart`, 'The API server accepts only `Always` in a Deployment template: remove the field, or use a Pod (or a Job on a real cluster).'), [...path, 'restartPolicy']);
    return undefined;
  }
  let ok = true;
  const containers: ContainerSpec[] = [];
  (tspec.containers as Obj[]).forEach((c, i) => {
    const converted = convertContainer(m, c, [...path, 'containers', i], out);
    if (converted) containers.push(...converted);
    else ok = false;
  });
  if (!ok) return undefined;
  const d: DeploymentSpec = { replicas: spec.replicas ?? 1, template: { labels: { ...labels }, containers } };
  if (meta.namespace && meta.namespace !== 'default') d.namespace = meta.namespace;
  if (spec.selector.matchLabels && stableEq(spec.selector.matchLabels, labels) === false) d.selector = { matchLabels: { ...spec.selector.matchLabels } };
  if (typeof tspec.nodeName === 'string') d.template.nodeName = tspec.nodeName;
  if (tspec.nodeSelector) d.template.nodeSelector = { ...(tspec.nodeSelector as Record<string, string>) };
  const tolerations = (tspec.tolerations ?? []) as (Toleration & { tolerationSeconds?: number })[];
  if (tolerations.length) d.template.tolerations = tolerations.map(({ key, operator, value, effect }) => ({ ...(key !== undefined ? { key } : {}), ...(operator ? { operator } : {}), ...(value !== undefined ? { value } : {}), ...(effect ? { effect } : {}) }));
  return d;
}

const stableEq = (a: Record<string, string>, b: Record<string, string>) => Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** A named object into its lab record: a clash with the lab file is PL2209, with another manifest PL2210. */
function addNamed<T>(m: ManifestObject, kind: string, name: string, lab: string[], into: Record<string, T>, value: T, push: (m: ManifestObject, d: Diagnostic, path: ObjectPath) => void): void {
  if (lab.includes(name)) push(m, diag('PL2209', [], `${kind} "${name}" is declared in the lab file too`, 'Rename one of them, or remove it from the lab file or the manifest.'), ['metadata', 'name']);
  else if (name in into) push(m, diag('PL2210', [], `${kind} "${name}" is declared twice in the manifests`, `podlab's ${kind} names are lab-wide, across namespaces: rename one.`), ['metadata', 'name']);
  else into[name] = value;
}

/** A NetworkPolicy's spec is the lab's own shape (docs/network-policy.md): taken field by field. */
function convertNetworkPolicy(meta: Meta, spec: Obj): NetworkPolicySpec {
  const p: NetworkPolicySpec = { podSelector: (spec.podSelector ?? {}) as NetworkPolicySpec['podSelector'] };
  if (meta.namespace && meta.namespace !== 'default') p.namespace = meta.namespace;
  if (spec.policyTypes !== undefined) p.policyTypes = spec.policyTypes as string[];
  if (spec.ingress !== undefined) p.ingress = spec.ingress as NetworkPolicySpec['ingress'];
  if (spec.egress !== undefined) p.egress = spec.egress as NetworkPolicySpec['egress'];
  return p;
}

type K8sBackend = { service?: { name: string; port?: { number?: number; name?: string } }; resource?: unknown };

/**
 * An Ingress in the lab's terms (docs/ingress.md): class, ingress-nginx annotations, default
 * backend, rules and TLS. A `resource` backend (a CRD, not a Service) is PL2273; the legacy
 * `kubernetes.io/ingress.class` annotation stands for ingressClassName, as controllers still read it.
 */
function convertIngress(m: ManifestObject, meta: Meta, obj: Obj, out: Converted): IngressSpec | undefined {
  const spec = (obj.spec ?? {}) as { ingressClassName?: string; defaultBackend?: K8sBackend; rules?: { host?: string; http?: { paths: { path?: string; pathType: string; backend: K8sBackend }[] } }[]; tls?: { hosts?: string[]; secretName?: string }[] };
  const annotations = ((obj.metadata as { annotations?: Record<string, string> }).annotations ?? {});
  let ok = true;
  const backend = (b: K8sBackend, path: ObjectPath) => {
    if (!b.service) {
      ok = false;
      out.diagnostics.push(located(m.obj, m.at, diag('PL2273', [], 'a resource backend is not built by podlab (its controller proxies to Services)', 'Give the path a service backend: { service: { name, port: { number } } }.'), [...path, 'resource'], true));
      return { service: { name: '', port: {} } };
    }
    const port = b.service.port ?? {};
    return { service: { name: b.service.name, port: { ...(port.number !== undefined ? { number: port.number } : {}), ...(port.name !== undefined ? { name: port.name } : {}) } } };
  };
  const i: IngressSpec = {};
  if (meta.namespace && meta.namespace !== 'default') i.namespace = meta.namespace;
  const className = spec.ingressClassName ?? annotations['kubernetes.io/ingress.class'];
  if (className !== undefined) i.ingressClassName = className;
  const nginx = Object.fromEntries(Object.entries(annotations).filter(([k]) => k.startsWith(NGINX_ANNOTATIONS)));
  if (Object.keys(nginx).length) i.annotations = nginx;
  if (spec.defaultBackend) i.defaultBackend = backend(spec.defaultBackend, ['spec', 'defaultBackend']);
  if (spec.rules) {
    i.rules = spec.rules.map((r, ri) => ({
      ...(r.host !== undefined ? { host: r.host } : {}),
      ...(r.http ? { http: { paths: r.http.paths.map((p, pi) => ({ path: p.path ?? '/', pathType: p.pathType, backend: backend(p.backend, ['spec', 'rules', ri, 'http', 'paths', pi, 'backend']) })) } } : {}),
    }));
  }
  if (spec.tls) i.tls = spec.tls.map((t) => ({ ...(t.hosts ? { hosts: t.hosts } : {}), ...(t.secretName !== undefined ? { secretName: t.secretName } : {}) }));
  return ok ? i : undefined;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** A label selector against a set of labels (metav1.LabelSelector semantics). */
export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (sel.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
  // An empty selector selects everything, but the API server refuses it for a workload.
  return byLabels && byExpr && (Object.keys(sel.matchLabels ?? {}).length > 0 || (sel.matchExpressions ?? []).length > 0);
}

/**
 * Picks the node for one pod: `nodeName` as given (no scheduling, as the kubelet takes it);
 * otherwise the nodes whose labels satisfy `nodeSelector`, without a tainted control plane unless
 * tolerated, the one with fewest replicas of this workload, then fewest pods, then the first.
 */
function schedule(m: ManifestObject, meta: Meta, spec: Obj, path: ObjectPath, ctx: LabContext, load: Map<string, number>, mine: Map<string, number>, out: Converted): string | undefined {
  const names = ctx.nodes.map((n) => n.name);
  const fail = (message: string, hint: string, at: ObjectPath) => {
    out.diagnostics.push(located(m.obj, m.at, diag('PL2211', [], message, hint), at));
    return undefined;
  };
  if (typeof spec.nodeName === 'string') {
    if (!names.includes(spec.nodeName)) return fail(`pod "${meta.name}": no node "${spec.nodeName}"`, `The lab's nodes: ${names.join(', ')}.`, [...path, 'nodeName']);
    return spec.nodeName;
  }
  const selector = (spec.nodeSelector ?? {}) as Record<string, string>;
  const tolerations = (spec.tolerations ?? []) as { key?: string; operator?: string }[];
  const tolerated = tolerations.some((t) => (t.operator === 'Exists' && !t.key) || t.key === 'node-role.kubernetes.io/control-plane');
  const hasWorkers = ctx.nodes.some((n) => n.role === 'worker');
  const fits = ctx.nodes.filter((n) => {
    const labels = nodeLabels(n);
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
    return !(n.role === 'control-plane' && hasWorkers && !tolerated);
  });
  if (!fits.length) {
    const where = Object.keys(selector).length ? [...path, 'nodeSelector'] : path;
    return fail(
      `pod "${meta.name}": no node fits${Object.keys(selector).length ? ` nodeSelector ${JSON.stringify(selector)}` : ''}`,
      `Node labels: ${ctx.nodes.map((n) => `${n.name} ${JSON.stringify(nodeLabels(n))}`).join('; ')}. A control-plane node takes pods only when there is no worker or they tolerate node-role.kubernetes.io/control-plane.`,
      where,
    );
  }
  const best = [...fits].sort((a, b) => (mine.get(a.name) ?? 0) - (mine.get(b.name) ?? 0) || (load.get(a.name) ?? 0) - (load.get(b.name) ?? 0) || names.indexOf(a.name) - names.indexOf(b.name))[0]!;
  return best.name;
}

function convertPod(m: ManifestObject, meta: Meta, spec: Obj, path: ObjectPath, node: string, out: Converted): PodSpec | undefined {
  const pod: PodSpec = { node };
  if (meta.namespace && meta.namespace !== 'default') pod.namespace = meta.namespace;
  if (meta.labels && Object.keys(meta.labels).length) pod.labels = { ...meta.labels };
  if (spec.hostNetwork === true) pod.hostNetwork = true;
  if (spec.shareProcessNamespace === true) pod.shareProcessNamespace = true;
  if (typeof spec.hostname === 'string') pod.hostname = spec.hostname;
  if (typeof spec.subdomain === 'string') pod.subdomain = spec.subdomain;
  if (typeof spec.dnsPolicy === 'string') pod.dnsPolicy = spec.dnsPolicy as PodSpec['dnsPolicy'];
  const dc = spec.dnsConfig as { nameservers?: string[]; searches?: string[]; options?: { name?: string; value?: string }[] } | undefined;
  if (dc) {
    pod.dnsConfig = {};
    if (dc.nameservers) pod.dnsConfig.nameservers = dc.nameservers;
    if (dc.searches) pod.dnsConfig.searches = dc.searches;
    if (dc.options) pod.dnsConfig.options = dc.options.map((o) => (o.value === undefined ? { name: o.name ?? '' } : { name: o.name ?? '', value: o.value }));
  }
  if (Array.isArray(spec.initContainers) && spec.initContainers.length) {
    out.diagnostics.push(located(m.obj, m.at, warning('PL2212', [], 'init containers are not run by podlab', 'The pod starts without them.'), [...path, 'initContainers'], true));
  }
  let ok = true;
  const containers: ContainerSpec[] = [];
  (spec.containers as Obj[]).forEach((c, i) => {
    const converted = convertContainer(m, c, [...path, 'containers', i], out);
    if (converted) containers.push(...converted);
    else ok = false;
  });
  // The pod's restartPolicy is each of its containers' in the lab language.
  const restart = spec.restartPolicy as 'Always' | 'OnFailure' | 'Never' | undefined;
  if (containers.length) pod.containers = restart && restart !== 'Always' ? containers.map((c) => ({ ...c, restartPolicy: restart })) : containers;
  return ok ? pod : undefined;
}

interface K8sContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string; hostPort?: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  readinessProbe?: K8sProbe;
  livenessProbe?: K8sProbe;
}

interface K8sProbe {
  exec?: { command?: string[] };
  tcpSocket?: { port: number | string; host?: string };
  httpGet?: { port: number | string; path?: string; host?: string; scheme?: string; httpHeaders?: unknown[] };
  grpc?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

type ProbeSpec = NonNullable<ContainerSpec['readinessProbe']>;

/** A probe in the lab's terms; what podlab's prober cannot do (gRPC, HTTPS, another host) is PL2272. */
function convertProbe(m: ManifestObject, p: K8sProbe, path: ObjectPath, out: Converted): ProbeSpec | undefined {
  const fail = (message: string, at: ObjectPath) => {
    out.diagnostics.push(located(m.obj, m.at, diag('PL2272', [], message, "podlab's prober runs exec, tcpSocket and httpGet (HTTP) against the pod itself: use one of those."), at, true));
    return undefined;
  };
  if (p.grpc !== undefined) return fail('a grpc probe is not built by podlab', [...path, 'grpc']);
  if (p.httpGet?.scheme !== undefined && p.httpGet.scheme !== 'HTTP') return fail(`an httpGet probe with scheme ${p.httpGet.scheme} is not built by podlab`, [...path, 'httpGet', 'scheme']);
  if (p.httpGet?.host !== undefined) return fail("an httpGet probe of another host is not built by podlab (it probes the pod's own address)", [...path, 'httpGet', 'host']);
  if (p.tcpSocket?.host !== undefined) return fail("a tcpSocket probe of another host is not built by podlab (it probes the pod's own address)", [...path, 'tcpSocket', 'host']);
  if (p.httpGet?.httpHeaders !== undefined) out.diagnostics.push(located(m.obj, m.at, warning('PL2212', [], 'httpHeaders of a probe are not sent by podlab', 'The probe asks without them.'), [...path, 'httpGet', 'httpHeaders'], true));
  const port = (v: number | string) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  const probe: ProbeSpec = {};
  if (p.exec) probe.exec = { command: p.exec.command ?? [] };
  if (p.tcpSocket) probe.tcpSocket = { port: port(p.tcpSocket.port) };
  if (p.httpGet) probe.httpGet = { port: port(p.httpGet.port), ...(p.httpGet.path !== undefined ? { path: p.httpGet.path } : {}) };
  for (const k of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const) if (p[k] !== undefined) probe[k] = p[k];
  return probe;
}

function convertContainer(m: ManifestObject, raw: Obj, path: ObjectPath, out: Converted): ContainerSpec[] | undefined {
  const c = raw as unknown as K8sContainer;
  const env: Record<string, string> = {};
  for (const [i, e] of (c.env ?? []).entries()) {
    if (e.valueFrom !== undefined) out.diagnostics.push(located(m.obj, m.at, warning('PL2212', [], `env "${e.name}": valueFrom is not built by podlab; the variable is left unset`, 'Give it a `value`.'), [...path, 'env', i, 'valueFrom'], true));
    else env[e.name] = e.value ?? '';
  }
  const ports: NonNullable<ContainerSpec['ports']> = [];
  for (const [i, p] of (c.ports ?? []).entries()) {
    if (p.protocol === 'SCTP') {
      out.diagnostics.push(located(m.obj, m.at, diag('PL2212', [], 'SCTP ports are not built by podlab (TCP and UDP are)', 'Use TCP or UDP.'), [...path, 'ports', i, 'protocol']));
      return undefined;
    }
    ports.push({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, ...(p.protocol && p.protocol !== 'TCP' ? { protocol: p.protocol as 'UDP' } : {}), ...(p.hostPort ? { hostPort: p.hostPort } : {}) });
  }
  const probes: Pick<ContainerSpec, 'readinessProbe' | 'livenessProbe'> = {};
  for (const k of ['readinessProbe', 'livenessProbe'] as const) {
    const p = c[k];
    if (!p) continue;
    const probe = convertProbe(m, p, [...path, k], out);
    if (!probe) return undefined;
    probes[k] = probe;
  }
  const extra = { ...(ports.length ? { ports } : {}), ...(Object.keys(env).length ? { env } : {}), ...probes };
  if (c.command?.length) return [{ name: c.name, command: [...c.command, ...(c.args ?? [])], ...extra }];
  const args = c.args ?? [];
  const rule = findImageRule(c.image ?? '', args);
  if (!rule) {
    out.diagnostics.push(
      located(
        m.obj,
        m.at,
        diag('PL2208', [], `unknown image "${c.image ?? ''}"${args[0] ? ` (args ${JSON.stringify(args)})` : ''}: podlab runs no images, only its built-in workloads`, `Images it maps: ${imageTable()}. Or give the container a \`command\` (an argv of this host's programs, e.g. ["sleep", "infinity"]), which it then runs as is.`),
        [...path, 'image'],
      ),
    );
    return undefined;
  }
  const tcpPorts = ports.filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.containerPort);
  const mapped = rule.map({ args, env, tcpPorts });
  // A declared port goes with the workload that serves it (netexec's UDP port with its udp-echo), the rest with the first.
  const proto = (k: string) => (k === 'udp-echo' ? 'UDP' : 'TCP');
  const owner = (p: (typeof ports)[number]) => Math.max(0, mapped.workloads.findIndex((w) => w.workload.port === p.containerPort && proto(w.workload.kind) === (p.protocol ?? 'TCP')));
  return mapped.workloads.map((w, i) => {
    const mine = ports.filter((p) => owner(p) === i);
    return { name: `${c.name}${w.suffix}`, workload: w.workload, ...(mine.length ? { ports: mine } : {}), ...(i === 0 && Object.keys(env).length ? { env } : {}), ...(i === 0 ? probes : {}) };
  });
}

function convertService(meta: Meta, spec: Obj): ServiceSpec {
  const s: ServiceSpec = {};
  const pick = <K extends keyof ServiceSpec>(k: K) => {
    if (spec[k] !== undefined) s[k] = spec[k] as ServiceSpec[K];
  };
  if (meta.namespace && meta.namespace !== 'default') s.namespace = meta.namespace;
  for (const k of ['type', 'selector', 'clusterIP', 'externalName', 'loadBalancerIP', 'sessionAffinity', 'externalTrafficPolicy', 'internalTrafficPolicy', 'ipFamilyPolicy', 'ipFamilies', 'clusterIPs'] as const) pick(k);
  const ports = spec.ports as { name?: string; protocol?: string; port: number; targetPort?: number | string; nodePort?: number }[] | undefined;
  if (ports) {
    s.ports = ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      ...(p.protocol && p.protocol !== 'TCP' ? { protocol: p.protocol as 'UDP' } : {}),
      port: p.port,
      ...(p.targetPort !== undefined ? { targetPort: typeof p.targetPort === 'string' && /^\d+$/.test(p.targetPort) ? Number(p.targetPort) : p.targetPort } : {}),
      ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
    }));
  }
  return s;
}
