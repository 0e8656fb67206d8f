/**
 * Rules for Ingress (networking.k8s.io/v1) in a lab: what the API server's validation and
 * ingress-nginx's admission webhook would refuse, each at the line it was written at. Codes
 * PL2250–PL2279 (docs/errors.md).
 */
import { diag, warning, type Diagnostic } from './diagnostics.ts';
import type { Lab } from './lab.ts';
import { annotationBool, INGRESS, PATH_TYPES, served, type IngressBackend } from '../ingress/types.ts';
import { buildRoutes, pathRegex } from '../ingress/router.ts';
import { nearest } from '../lib/edit-distance.ts';
import { compareText } from '../lib/order.ts';

type Rule = (lab: Lab, out: Diagnostic[]) => void;

const HOST_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** One nginx token: no whitespace, quotes, ';' or braces (it is written into nginx.conf). */
const NGINX_TOKEN = /^[^\s"';{}\\]+$/;
/** A path nginx.conf can hold as one token: NGINX_TOKEN, no '#' and no control character. */
// eslint-disable-next-line no-control-regex
const NGINX_PATH = /^\/[^\s"';{}\\#\u0000-\u001f\u007f]*$/;
const ingPath = (name: string, ...rest: (string | number)[]) => ['ingresses', name, ...rest];

/** A rule host as the API accepts it: a lower-case DNS name, or `*.` and a DNS name (the wildcard only as the whole first label); never an IP address. */
export function hostProblem(host: string): string | undefined {
  if (/^\d+(\.\d+){3}$/.test(host)) return 'is an IP address; rules name hosts (the Host header), and any address reaches the controller';
  const labels = host.split('.');
  if (labels.some((l, i) => l.includes('*') && !(i === 0 && l === '*'))) return "has a '*' other than as the whole first label (a wildcard is `*.example.com`, covering exactly one label)";
  if (labels[0] === '*' && labels.length < 3) return 'is a wildcard of a top-level name; write at least `*.example.com`';
  const rest = labels[0] === '*' ? labels.slice(1) : labels;
  if (host.length > 253 || rest.some((l) => l.length > 63 || !HOST_LABEL.test(l))) return "is not a DNS name (lower-case letters, digits, '-' and '.')";
  return undefined;
}

/** Classes: at most one default; the controller's node exists; podlab's controller names are its own. */
const ingressClassesAreValid: Rule = (lab, out) => {
  const ing = lab.ingress;
  if (!ing) return;
  const defaults = ing.classes.filter((c) => c.isDefault);
  for (const c of defaults.slice(1))
    out.push(diag('PL2250', ['ingressClasses', c.name, 'default'], `IngressClasses "${defaults[0]!.name}" and "${c.name}" are both the default class`, 'Mark one class default: true; Ingresses without ingressClassName get it.'));
  if (!lab.nodes.some((n) => n.name === ing.controller.node))
    out.push(diag('PL2006', ['ingressController', 'node'], `the ingress controller is placed on node "${ing.controller.node}", which the lab does not declare`, `Nodes: ${lab.nodes.map((n) => n.name).join(', ')}.`));
  if (ing.controller.serviceType === 'LoadBalancer' && !lab.loadBalancer)
    out.push(diag('PL2251', ['ingressController', 'serviceType'], 'the ingress controller is exposed by a LoadBalancer Service, but the lab has no loadBalancer pool', "Add loadBalancer: { pool: '172.16.94.240/28' }, or use serviceType: 'NodePort'."));
  for (const p of lab.pods)
    if (p.name === INGRESS.podName)
      out.push(diag('PL2252', ['pods', p.name], `pod name "${p.name}" is the ingress controller's (${INGRESS.namespace}/${INGRESS.podName}), which podlab adds to labs with Ingresses`, 'Give the pod another name.'));
  for (const s of lab.services)
    if (s.namespace === INGRESS.namespace)
      out.push(diag('PL2252', ['services', s.name, 'namespace'], `namespace "${INGRESS.namespace}" belongs to the ingress controller podlab adds to labs with Ingresses`, 'Put the Service in another namespace.'));
};

/** Each Ingress: its class, namespace, backends, paths, hosts and TLS hosts. */
const ingressesAreValid: Rule = (lab, out) => {
  const ing = lab.ingress;
  if (!ing) return;
  const namespaces = new Set(lab.namespaces);
  for (const i of ing.ingresses) {
    const where = `Ingress "${i.namespace}/${i.name}"`;
    if (!namespaces.has(i.namespace)) out.push(diag('PL2007', ingPath(i.name, 'namespace'), `${where} is in namespace "${i.namespace}", which the lab does not declare`, `Add "${i.namespace}" to namespaces.`));
    if (i.className === undefined)
      out.push(warning('PL2253', ingPath(i.name), `${where} has no ingressClassName and the lab has no default IngressClass: no controller serves it`, "Set ingressClassName: 'nginx' and declare ingressClasses: { nginx: { default: true } }."));
    else if (!ing.classes.some((c) => c.name === i.className))
      out.push(diag('PL2254', ingPath(i.name, 'ingressClassName'), `${where} asks for IngressClass "${i.className}", which the lab does not declare`, `Classes: ${ing.classes.map((c) => c.name).join(', ') || '(none)'}.`));
    else if (!served(ing, i))
      out.push(warning('PL2253', ingPath(i.name, 'ingressClassName'), `${where} is of class "${i.className}", whose controller is not ${INGRESS.controller}: podlab's controller does not serve it`));
    if (!i.rules.length && !i.defaultBackend)
      out.push(diag('PL2255', ingPath(i.name), `${where} has neither rules nor a defaultBackend`, 'Give it rules (host and paths) or a defaultBackend.'));
    if (i.defaultBackend) backendIsValid(lab, i.namespace, i.defaultBackend, ingPath(i.name, 'defaultBackend', 'service'), where, out);
    i.rules.forEach((r, ri) => {
      if (r.host !== undefined) {
        const problem = hostProblem(r.host);
        if (problem) out.push(diag('PL2256', ingPath(i.name, 'rules', ri, 'host'), `host "${r.host}" of ${where} ${problem}`));
      }
      if (!r.paths.length) out.push(diag('PL2255', ingPath(i.name, 'rules', ri), `rule ${ri} of ${where} has no http paths`, "Add http: { paths: [{ path: '/', pathType: 'Prefix', backend: … }] }."));
      r.paths.forEach((p, pi) => {
        const at = (...rest: (string | number)[]) => ingPath(i.name, 'rules', ri, 'http', 'paths', pi, ...rest);
        if (!p.path.startsWith('/')) out.push(diag('PL2257', at('path'), `path "${p.path}" of ${where} does not start with '/'`, `Write "/${p.path}".`));
        // Every path is one token of a `location` line in nginx.conf (ingress-nginx's path validation refuses these too).
        else if (!NGINX_PATH.test(p.path))
          out.push(diag('PL2257', at('path'), `path ${JSON.stringify(p.path)} of ${where} has a space, a control character, a quote, ';', '#', a brace or a backslash, which no URL path holds and nginx.conf cannot hold in a location`, 'Write a URL path such as /api/v1 (percent-encode other characters).'));
        if (!(PATH_TYPES as readonly string[]).includes(p.pathType)) {
          const near = nearest(p.pathType, PATH_TYPES);
          out.push(diag('PL2258', at('pathType'), `pathType "${p.pathType}" of ${where} is not one of ${PATH_TYPES.join(', ')}`, `${near ? `Did you mean "${near}"? (case matters) ` : ''}Prefix matches whole path elements (/api matches /api/v1, not /apiv1); Exact the whole path.`));
        }
        backendIsValid(lab, i.namespace, p.backend, at('backend', 'service'), where, out);
      });
    });
    const hosts = new Set(i.rules.flatMap((r) => (r.host !== undefined ? [r.host] : [])));
    i.tls.forEach((t, ti) =>
      t.hosts.forEach((h, hi) => {
        if (!hosts.has(h))
          out.push(diag('PL2259', ingPath(i.name, 'tls', ti, 'hosts', hi), `TLS host "${h}" of ${where} is in none of its rules`, `Rules' hosts: ${[...hosts].join(', ') || '(none)'}. A certificate is served only for a host some rule routes.`));
      }),
    );
    for (const [k, v] of Object.entries(i.annotations)) {
      // An ingress-nginx annotation podlab's controller does not act on: most likely a typo of one it does.
      const understood: string[] = [INGRESS.sslRedirect, INGRESS.forceSslRedirect, INGRESS.useRegex, INGRESS.rewriteTarget];
      if (k.startsWith('nginx.ingress.kubernetes.io/') && !understood.includes(k)) {
        const near = nearest(k, understood);
        out.push(warning('PL2260', ingPath(i.name, 'annotations', k), `annotation ${k} of ${where} is not one podlab's controller acts on: it does nothing here`, near ? `Did you mean ${near}?` : `podlab's controller acts on ${understood.join(', ')} (docs/ingress.md).`));
      }
      if ((k === INGRESS.sslRedirect || k === INGRESS.forceSslRedirect || k === INGRESS.useRegex) && annotationBool(v) === undefined)
        out.push(diag('PL2260', ingPath(i.name, 'annotations', k), `annotation ${k} of ${where} is "${v}"`, "Write 'true' or 'false' (ingress-nginx also reads 1, t, True, TRUE and 0, f, False, FALSE)."));
      // The target goes into nginx.conf as one token of `rewrite … <target> break;`.
      if (k === INGRESS.rewriteTarget && !NGINX_TOKEN.test(v))
        out.push(diag('PL2260', ingPath(i.name, 'annotations', k), `annotation ${k} of ${where} is "${v}": a rewrite target is a path such as /$2, without spaces, quotes, ';' or braces`, 'Write the path the backend should see, with $1, $2 … for the groups of the path\'s regular expression (docs/ingress.md).'));
    }
  }
};

/** The backend Service exists in the Ingress's namespace and has the port, by number (its `port`) or by name. */
function backendIsValid(lab: Lab, namespace: string, b: IngressBackend, path: (string | number)[], where: string, out: Diagnostic[]): void {
  const svc = lab.services.find((s) => s.name === b.service && s.namespace === namespace);
  if (!svc) {
    const elsewhere = lab.services.find((s) => s.name === b.service);
    out.push(
      diag('PL2261', [...path, 'name'], `${where} sends requests to Service "${namespace}/${b.service}", which the lab does not declare`, elsewhere ? `Service "${b.service}" is in namespace "${elsewhere.namespace}"; an Ingress reaches only Services of its own namespace.` : `Services in "${namespace}": ${lab.services.filter((s) => s.namespace === namespace).map((s) => s.name).join(', ') || '(none)'}.`),
    );
    return;
  }
  if (b.port === '') {
    out.push(diag('PL2262', [...path, 'port'], `${where} names no port of Service "${b.service}"`, 'Give port: { number: 80 } or port: { name: "http" }.'));
    return;
  }
  const ok = typeof b.port === 'number' ? svc.ports.some((p) => p.port === b.port && p.protocol === 'TCP') : svc.ports.some((p) => p.name === b.port && p.protocol === 'TCP');
  if (!ok)
    out.push(
      diag('PL2262', [...path, 'port', typeof b.port === 'number' ? 'number' : 'name'], `${where} sends requests to port ${typeof b.port === 'number' ? b.port : `"${b.port}"`} of Service "${b.service}", which has no such TCP port`, `Its ports: ${svc.ports.map((p) => (p.name ? `${p.name} (${p.port})` : String(p.port))).join(', ') || '(none)'}.`),
    );
}

/** Two served Ingresses must not claim the same host, path and pathType (ingress-nginx's admission refuses it), nor both set a defaultBackend. */
const ingressesDoNotClash: Rule = (lab, out) => {
  const ing = lab.ingress;
  if (!ing) return;
  const mine = ing.ingresses.filter((i) => served(ing, i));
  const seen = new Map<string, string>();
  for (const i of [...mine].sort((a, b) => compareText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`)))
    i.rules.forEach((r, ri) =>
      r.paths.forEach((p, pi) => {
        const key = `${(r.host ?? '').toLowerCase()} ${p.pathType} ${p.path}`;
        const owner = seen.get(key);
        const me = `${i.namespace}/${i.name}`;
        if (owner && owner !== me)
          out.push(diag('PL2263', ingPath(i.name, 'rules', ri, 'http', 'paths', pi, 'path'), `Ingress "${me}" claims host ${r.host ?? '(any host)'} path ${p.pathType} ${p.path}, which Ingress "${owner}" already serves`, 'ingress-nginx refuses the second Ingress; merge the rules into one Ingress or change the path.'));
        else seen.set(key, me);
      }),
    );
  // The first by namespace/name keeps its default backend, whether it has rules (its hosts' fallback) or not (the catch-all's).
  const withDefault = mine.filter((i) => i.defaultBackend).map((i) => ({ i, key: `${i.namespace}/${i.name}` })).sort((a, b) => compareText(a.key, b.key));
  const first = withDefault[0]?.key;
  for (const { i } of withDefault)
    if (`${i.namespace}/${i.name}` !== first)
      out.push(diag('PL2264', ingPath(i.name, 'defaultBackend'), `Ingress "${i.namespace}/${i.name}" sets a defaultBackend, and so does Ingress "${first}"`, 'The controller has one default backend; keep it on one Ingress.'));
};

/**
 * On a host where regular expressions are in force (an Ingress's use-regex or rewrite-target),
 * every path of the host must be one: it is written as `location ~* "^<path>"` (PL2274).
 */
const regexPathsAreValid: Rule = (lab, out) => {
  const ing = lab.ingress;
  if (!ing) return;
  const mine = ing.ingresses.filter((i) => served(ing, i));
  for (const routes of buildRoutes(mine).hosts.values())
    for (const r of routes) {
      // A path nginx.conf cannot hold is PL2257 already (ingressesAreValid).
      if (!r.regex || !NGINX_PATH.test(r.path)) continue;
      const name = r.ingress.slice(r.ingress.indexOf('/') + 1);
      if (!pathRegex(r.path, true))
        out.push(diag('PL2274', ingPath(name, 'rules', r.rule, 'http', 'paths', r.index, 'path'), `path "${r.path}" of Ingress "${r.ingress}" is not a regular expression; on host ${r.host || '(any host)'} every path is a regular expression (an Ingress of it sets use-regex or rewrite-target)`, 'Write the path as a regular expression, e.g. /api(/|$)(.*) (docs/ingress.md).'));
    }
};

export const INGRESS_RULES: Rule[] = [ingressClassesAreValid, ingressesAreValid, ingressesDoNotClash, regexPathsAreValid];
