/**
 * Deployments and Ingresses written through the API, pure: a Kubernetes object in, what the lab
 * makes of it out, or a 422 Status naming the field. Each goes the way a manifest in the lab file
 * goes (src/k8s/manifests.ts, then the lab's own normalisation): the API schema first (types,
 * required fields, enums, misspelt fields), then podlab's conversion (images to built-in
 * workloads, probes, selectors), so `kubectl apply` accepts exactly what a lab's `manifests:` does.
 * A Deployment becomes the control loops' PlanDeployment with its pod template (the agent makes
 * its pods, runtime/live-deployments.ts); an Ingress becomes the controller's Ingress (nginx.conf
 * is rendered from it, runtime/live-ingresses.ts).
 */
import { normalizeContainer } from '../compile/lab.ts';
import { expandDeployments } from '../compile/loops.ts';
import { hostProblem } from '../compile/rules-ingress.ts';
import { resolvConf } from '../dns/cluster.ts';
import { annotationBool, PATH_TYPES, INGRESS, type Ingress, type IngressBackend } from '../ingress/types.ts';
import { normalizeIngress } from '../ingress/normalize.ts';
import { validateObject } from '../k8s/api-schema.ts';
import { convertManifests, formatObjectPath, type LabContext } from '../k8s/manifests.ts';
import type { LabSpec } from '../schema/lab-schema.ts';
import { DEFAULT_STRATEGY, percentOf, type DeploymentStrategy, type IntOrPercent } from '../loops/rollout.ts';
import { stableJson, templateHashWith } from '../loops/replicaset.ts';
import * as ipv4 from '../net/ipv4.ts';
import { containerId, netns } from '../plan/names.ts';
import type { PlanDeployment } from '../plan/loops.ts';
import { planContainer, type PlanPod } from '../plan/plan.ts';
import { containerObject, shownImage } from './kinds/containers.ts';
import { isDnsSubdomain } from '../lib/object-name.ts';
import { invalid, type ApiKind, type K8sObject, type LabView, type StatusCause } from './types.ts';

/** The object against the Kubernetes API schema (kubernetes-models): every issue a cause naming its field. */
export function schemaCauses(obj: K8sObject): StatusCause[] {
  const { status: _status, ...rest } = obj as Record<string, unknown>;
  const meta = { ...(obj.metadata as Record<string, unknown>) };
  // Set by the API server, not the author's: the schema knows them, but kubectl's own copies may differ in shape.
  for (const k of ['managedFields', 'uid', 'resourceVersion', 'creationTimestamp', 'generation']) delete meta[k];
  return validateObject({ ...rest, metadata: meta }).map((i) => ({
    field: formatObjectPath(i.path) || undefined,
    reason: i.kind === 'required' ? 'FieldValueRequired' : i.kind === 'unknown-field' ? 'FieldValueNotSupported' : 'FieldValueInvalid',
    message: i.kind === 'required' ? `Required value: ${i.message}` : i.kind === 'unknown-field' ? `${i.message}${i.suggestion ? ` (did you mean "${i.suggestion}"?)` : ''}` : `Invalid value: ${i.message}`,
  })) as StatusCause[];
}

/** What manifests-in needs to know of the lab: its nodes and namespaces; the object is converted alone. */
function context(view: LabView): LabContext {
  return {
    nodes: view.plan.nodes.map((n) => ({ name: n.name, role: n.role })),
    pods: {},
    services: [],
    deployments: [],
    networkPolicies: [],
    clusterNetworkPolicies: [],
    ingresses: [],
    ingressClasses: [],
    namespaces: view.plan.namespaces,
    dns: view.plan.dns ? { corefile: false } : false,
  };
}

/** The object through manifests-in: its error diagnostics as causes (the path is the object's). */
function converted(kind: ApiKind, obj: K8sObject, view: LabView) {
  const out = convertManifests([{ obj, at: (path) => ({ path }) }], context(view));
  const causes = out.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => ({ field: formatObjectPath(d.path as (string | number)[]) || undefined, message: `Invalid value: ${d.code}: ${d.message.replace(/^\S+ "[^"]*"( \S+)?: /, '')}${d.hint ? ` ${d.hint}` : ''}` }) as StatusCause);
  if (causes.length) throw invalid(kind, obj.metadata.name, causes);
  return { ...out, warnings: out.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${formatObjectPath(d.path as (string | number)[])}: ${d.message.replace(/^\S+ "[^"]*"( \S+)?: /, '')} (${d.code})`) };
}

/** What a write accepted but podlab does otherwise (kubectl prints each as `Warning: …`). */
export type Warned<T> = T & { warnings: string[] };

function checkNamespace(kind: ApiKind, obj: K8sObject, view: LabView): void {
  const ns = obj.metadata.namespace ?? 'default';
  if (!view.plan.namespaces.includes(ns))
    throw invalid(kind, obj.metadata.name, [{ field: 'metadata.namespace', reason: 'FieldValueNotFound', message: `Not found: namespace "${ns}"; the lab's namespaces: ${view.plan.namespaces.join(', ')}` }]);
}

/**
 * A Deployment object as the control loops' Deployment: replicas, pod-template-hash (the same
 * hash a lab file's Deployment of the same template gets, so applying an unchanged template
 * keeps its pods), placement and the pod template the agent copies for every pod.
 */
export function deploymentOf(kind: ApiKind, obj: K8sObject, view: LabView): Warned<{ deployment: PlanDeployment<PlanPod> }> {
  const schema = schemaCauses(obj);
  if (schema.length) throw invalid(kind, obj.metadata.name, schema);
  checkNamespace(kind, obj, view);
  if (!view.plan.loops)
    throw invalid(kind, obj.metadata.name, [{ message: 'Forbidden: this lab runs no control loops (no agent makes pods): give the lab `loops: {}` or a Deployment of its own to create Deployments through the API' }]);
  const out = converted(kind, obj, view);
  const name = obj.metadata.name;
  const d = out.deployments[name]!;
  const labSpec = { nodes: Object.fromEntries(view.plan.nodes.map((n) => [n.name, { role: n.role }])), deployments: { [name]: d } } as unknown as LabSpec;
  const [ld] = expandDeployments(labSpec, normalizeContainer).deployments;
  // The template's annotations are part of it, as in Kubernetes: a new one (kubectl rollout restart
  // sets kubectl.kubernetes.io/restartedAt) is a new pod-template-hash, so the pods are rolled.
  const written = (obj.spec as { template?: { metadata?: { annotations?: Record<string, string> }; spec?: { containers?: { name?: string; image?: string; args?: unknown; command?: unknown }[] } } }).template;
  const annotations = written?.metadata?.annotations ?? {};
  // So is an image other than the one podlab shows for the program (kubectl set image): the pods
  // run the same program, but the template is new and rolls out, and going back to the shown image
  // is the first template again.
  const images = new Map((written?.spec?.containers ?? []).map((c) => [c.name, c.image]));
  const planned = ld!.containers.map((c) => planContainer(c, `${name}-${ld!.hash}`));
  const otherImages = Object.fromEntries(
    planned.flatMap((c) => {
      const image = images.get(c.name);
      return image && image !== shownImage(c) ? [[c.name, image]] : [];
    }),
  );
  // And so are args or a command other than those podlab shows for the program (an http-echo's
  // -text=, which it does not run): the template is new, so it rolls out, as a changed template does.
  const shown = new Map(planned.map((c) => [c.name, containerObject(c)]));
  const otherArgs = Object.fromEntries(
    (written?.spec?.containers ?? []).flatMap((w) => {
      const own = shown.get(w.name ?? '');
      const differs = own && ((w.args !== undefined && stableJson(w.args) !== stableJson(own.args ?? [])) || (w.command !== undefined && stableJson(w.command) !== stableJson(own.command ?? [])));
      return differs ? [[w.name!, stableJson({ args: w.args ?? null, command: w.command ?? null })]] : [];
    }),
  );
  const hash = templateHashWith(templateHashWith(templateHashWith(ld!.hash, annotations, 'annotations/'), otherImages, 'images/'), otherArgs, 'args/');
  const node = view.plan.nodes.find((n) => n.role === 'worker') ?? view.plan.nodes[0]!;
  const podName = `${name}-${hash}`;
  const dns = view.plan.dns;
  const placeholder = ipv4.formatIp(ipv4.parseCidr(node.podCidr)!.network + 1);
  const template: PlanPod = {
    name: podName,
    namespace: ld!.namespace,
    node: node.name,
    hostNetwork: false,
    netns: netns.pod(view.lab, ld!.namespace, podName),
    hostname: podName,
    // A placeholder: createPod gives every pod its node's next free address.
    ip: placeholder,
    ips: [placeholder],
    labels: { ...ld!.labels, 'pod-template-hash': hash },
    containerId: containerId(view.lab, ld!.namespace, podName),
    containers: ld!.containers.map((c) => planContainer(c, podName)).map((c) => (otherImages[c.name] ? { ...c, image: otherImages[c.name] } : c)),
    dnsPolicy: 'ClusterFirst',
    resolv: resolvConf({ policy: 'ClusterFirst', hostNetwork: false, namespace: ld!.namespace, cluster: dns ? { serviceIP: dns.serviceIP, domain: dns.domain } : undefined, nodeNameservers: dns?.nameservers ?? [] }),
    owner: name,
  };
  const strategy = strategyOf(kind, obj);
  return { deployment: { name, namespace: ld!.namespace, replicas: Math.max(0, ld!.replicas), hash, placement: ld!.placement, strategy, selector: { ...((obj.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {}) }, written: (obj.spec as { template: Record<string, unknown> }).template, template }, warnings: out.warnings };
}

/**
 * `spec.strategy` checked as the API server's ValidateDeploymentStrategy does: Recreate takes no
 * rollingUpdate; maxSurge and maxUnavailable are counts ≥ 0 or percentages, maxUnavailable at
 * most 100 %, and not both 0. The defaults are Kubernetes': RollingUpdate, 25 % and 25 %.
 */
export function strategyOf(kind: ApiKind, obj: K8sObject): DeploymentStrategy {
  const s = ((obj.spec as { strategy?: unknown }).strategy ?? {}) as { type?: string; rollingUpdate?: { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent } };
  const type = s.type ?? 'RollingUpdate';
  const causes: StatusCause[] = [];
  if (type === 'Recreate') {
    if (s.rollingUpdate) causes.push({ field: 'spec.strategy.rollingUpdate', reason: 'FieldValueForbidden', message: "Forbidden: may not be specified when strategy `type` is 'Recreate'" });
    if (causes.length) throw invalid(kind, obj.metadata.name, causes);
    return { type: 'Recreate' };
  }
  if (type !== 'RollingUpdate') throw invalid(kind, obj.metadata.name, [{ field: 'spec.strategy.type', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(type)}: supported values: "Recreate", "RollingUpdate"` }]);
  const maxSurge = s.rollingUpdate?.maxSurge ?? DEFAULT_ROLLING.maxSurge;
  const maxUnavailable = s.rollingUpdate?.maxUnavailable ?? DEFAULT_ROLLING.maxUnavailable;
  const amount = (v: IntOrPercent, field: string): number | undefined => {
    const n = typeof v === 'number' ? v : percentOf(v);
    if (n === undefined) causes.push({ field: `spec.strategy.rollingUpdate.${field}`, message: `Invalid value: ${JSON.stringify(v)}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')` });
    else if (!Number.isInteger(n) || n < 0) causes.push({ field: `spec.strategy.rollingUpdate.${field}`, message: `Invalid value: ${JSON.stringify(v)}: must be greater than or equal to 0` });
    else return n;
    return undefined;
  };
  const surge = amount(maxSurge, 'maxSurge');
  const unavailable = amount(maxUnavailable, 'maxUnavailable');
  if (typeof maxUnavailable === 'string' && unavailable !== undefined && unavailable > 100) causes.push({ field: 'spec.strategy.rollingUpdate.maxUnavailable', message: `Invalid value: ${JSON.stringify(maxUnavailable)}: must not be greater than 100%` });
  if (surge === 0 && unavailable === 0) causes.push({ field: 'spec.strategy.rollingUpdate.maxUnavailable', message: `Invalid value: ${JSON.stringify(maxUnavailable)}: may not be 0 when \`maxSurge\` is 0` });
  if (causes.length) throw invalid(kind, obj.metadata.name, causes);
  return { type: 'RollingUpdate', maxSurge, maxUnavailable };
}

const DEFAULT_ROLLING = DEFAULT_STRATEGY as Extract<DeploymentStrategy, { type: 'RollingUpdate' }>;

const backendText = (b: IngressBackend) => `${b.service}:${b.port}`;

/** An Ingress object as the controller's Ingress, checked as a lab's Ingress is (docs/ingress.md). */
export function ingressOf(kind: ApiKind, obj: K8sObject, view: LabView): Warned<{ ingress: Ingress }> {
  const name = obj.metadata.name;
  const schema = schemaCauses(obj);
  if (schema.length) throw invalid(kind, name, schema);
  checkNamespace(kind, obj, view);
  const ing = view.plan.ingress;
  if (!ing) throw invalid(kind, name, [{ message: 'Forbidden: this lab runs no ingress controller: declare ingressClasses (or an Ingress) in the lab file for podlab to add one' }]);
  const out = converted(kind, obj, view);
  const spec = out.ingresses[name]!;
  const normalized = normalizeIngress(
    Object.fromEntries(ing.classes.map((c) => [c.name, { controller: c.controller, default: c.isDefault }])),
    { [name]: spec },
    undefined,
    { node: ing.node, hasPool: false },
  )!.ingresses[0]!;
  const causes: StatusCause[] = [];
  const warnings = [...out.warnings];
  // As kube-apiserver validates an Ingress: its structure only (ValidateIngressSpec). Whether its
  // class has a controller and its Services exist is not the API server's to judge: ingress-nginx
  // ignores an Ingress of another class, and answers 503 for a backend without a Service, a port
  // or ready endpoints (nginx-conf.ts). Those come back as warnings, as validate gives PL2253.
  if (normalized.className !== undefined && !isDnsSubdomain(normalized.className))
    causes.push({ field: 'spec.ingressClassName', message: `Invalid value: ${JSON.stringify(normalized.className)}: ${DNS_SUBDOMAIN_RULE}` });
  const cls = ing.classes.find((c) => c.name === normalized.className);
  const mine = !!cls && cls.controller === INGRESS.controller;
  if (!mine)
    warnings.push(
      `spec.ingressClassName: ${normalized.className === undefined ? 'no class and no default IngressClass' : cls ? `IngressClass "${cls.name}" is ${cls.controller}'s` : `no IngressClass "${normalized.className}" in this lab`}: podlab's controller (${INGRESS.controller}, classes ${ing.classes.filter((c) => c.controller === INGRESS.controller).map((c) => `"${c.name}"`).join(', ') || '(none)'}) ignores this Ingress (PL2253)`,
    );
  if (!normalized.rules.length && !normalized.defaultBackend) causes.push({ field: 'spec', reason: 'FieldValueRequired', message: 'Required value: either `defaultBackend` or `rules` must be specified' });
  const checkBackend = (b: IngressBackend, field: string) => {
    if (!DNS_1035.test(b.service) || b.service.length > 63) causes.push({ field: `${field}.service.name`, message: `Invalid value: ${JSON.stringify(b.service)}: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')` });
    const portField = `${field}.service.port${typeof b.port === 'number' ? '.number' : '.name'}`;
    if (b.port === '') causes.push({ field: `${field}.service.port`, reason: 'FieldValueRequired', message: 'Required value: port name or number is required' });
    else if (typeof b.port === 'number' && (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535)) causes.push({ field: portField, message: `Invalid value: ${b.port}: must be between 1 and 65535, inclusive` });
    else if (typeof b.port === 'string' && (b.port.length > 15 || !IANA_SVC_NAME.test(b.port) || !/[a-z]/.test(b.port))) causes.push({ field: portField, message: `Invalid value: ${JSON.stringify(b.port)}: must be no more than 15 characters, contain only lowercase alphanumeric characters or '-', contain at least one letter, and not start or end with '-'` });
    else if (mine) {
      const svc = view.plan.services.find((s) => s.namespace === normalized.namespace && s.name === b.service);
      if (!svc) warnings.push(`${field}.service.name: no Service "${normalized.namespace}/${b.service}" (yet): the controller answers 503 here until there is one (PL2261)`);
      else if (!svc.ports.some((p) => p.protocol === 'TCP' && (typeof b.port === 'number' ? p.port === b.port : p.name === b.port)))
        warnings.push(`${portField}: Service "${b.service}" has no TCP port ${typeof b.port === 'number' ? b.port : `"${b.port}"`} (its ports: ${svc.ports.map((p) => (p.name ? `${p.name} (${p.port})` : String(p.port))).join(', ')}): the controller answers 503 here (PL2262)`);
    }
  };
  if (normalized.defaultBackend) checkBackend(normalized.defaultBackend, 'spec.defaultBackend');
  normalized.rules.forEach((r, ri) => {
    if (r.host !== undefined) {
      const problem = hostProblem(r.host);
      if (problem) causes.push({ field: `spec.rules[${ri}].host`, message: `Invalid value: "${r.host}": ${problem}` });
    }
    if (!r.paths.length) causes.push({ field: `spec.rules[${ri}].http`, reason: 'FieldValueRequired', message: 'Required value: a rule needs http paths' });
    r.paths.forEach((p, pi) => {
      const at = `spec.rules[${ri}].http.paths[${pi}]`;
      if (!p.path.startsWith('/')) causes.push({ field: `${at}.path`, message: `Invalid value: "${p.path}": must be an absolute path` });
      if (!PATH_TYPES.includes(p.pathType as never)) causes.push({ field: `${at}.pathType`, reason: 'FieldValueNotSupported', message: `Unsupported value: "${p.pathType}": supported values: ${PATH_TYPES.map((t) => `"${t}"`).join(', ')}` });
      checkBackend(p.backend, `${at}.backend`);
    });
  });
  // ingress-nginx's own admission (the certificates it holds, its annotations, a host and path
  // claimed twice) judges the Ingresses of its class alone.
  if (mine) controllerCauses(normalized, name, ing, causes);
  if (causes.length) throw invalid(kind, name, causes);
  return { ingress: normalized, warnings };
}

/** What podlab's controller (as ingress-nginx's admission webhook) refuses of an Ingress of its class. */
function controllerCauses(normalized: Ingress, name: string, ing: NonNullable<LabView['plan']['ingress']>, causes: StatusCause[]): void {
  normalized.tls.forEach((t, ti) => {
    const file = t.secretName ? `${normalized.namespace}-${t.secretName}` : undefined;
    const secret = file ? ing.secrets.find((s) => s.file === file) : undefined;
    const missing = t.hosts.filter((h) => !secret?.hosts.includes(h.toLowerCase()));
    if (t.secretName && (!secret || missing.length))
      causes.push({
        field: `spec.tls[${ti}]`,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: certificates are issued at \`up\` (for the TLS Secrets the lab file's Ingresses name): ${secret ? `Secret "${t.secretName}" covers ${secret.hosts.join(', ')}, not ${missing.join(', ')}` : `no certificate for Secret "${normalized.namespace}/${t.secretName}"`}; available: ${ing.secrets.map((s) => `${s.namespace}/${s.secret} (${s.hosts.join(', ')})`).join('; ') || '(none)'}`,
      });
  });
  for (const [k, v] of Object.entries(normalized.annotations)) {
    if ((k === INGRESS.useRegex || k === INGRESS.sslRedirect || k === INGRESS.forceSslRedirect) && annotationBool(v) === undefined) causes.push({ field: `metadata.annotations[${k}]`, message: `Invalid value: "${v}": write "true" or "false"` });
    if (k.endsWith('/rewrite-target') && /[\s"';{}]/.test(v)) causes.push({ field: `metadata.annotations[${k}]`, message: `Invalid value: "${v}": a rewrite target is a path such as /$2, without spaces, quotes, ';' or braces` });
  }
  // Another Ingress of the controller serving the same host and path first: ingress-nginx refuses the second.
  for (const other of ing.ingresses.filter((i) => !(i.namespace === normalized.namespace && i.name === name)))
    normalized.rules.forEach((r, ri) =>
      r.paths.forEach((p, pi) => {
        const clash = other.rules.some((o) => (o.host ?? '') === (r.host ?? '') && o.paths.some((q) => q.path === p.path && q.pathType === p.pathType));
        if (clash) causes.push({ field: `spec.rules[${ri}].http.paths[${pi}].path`, reason: 'FieldValueDuplicate', message: `Duplicate value: host ${r.host ?? '(any host)'} path ${p.pathType} ${p.path} is served by Ingress "${other.namespace}/${other.name}" already` });
      }),
    );
  if (normalized.defaultBackend) {
    const other = ing.ingresses.find((i) => i.defaultBackend && !(i.namespace === normalized.namespace && i.name === name));
    if (other) causes.push({ field: 'spec.defaultBackend', reason: 'FieldValueDuplicate', message: `Duplicate value: Ingress "${other.namespace}/${other.name}" sets the controller's default backend already` });
  }
}

/** kube-apiserver's name rules a backend and a class are held to (ValidateServiceName, ValidatePortName, ValidateIngressClassName). */
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const DNS_SUBDOMAIN_RULE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";
