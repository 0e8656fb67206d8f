/**
 * The ingress router, pure: which rule of the served Ingresses a request (Host, path) reaches,
 * with the precedence of the networking.k8s.io/v1 API and ingress-nginx's choice of server:
 *
 * - host: an exact host rule first, then a wildcard (`*.example.com` covers exactly one label),
 *   then the rules without a host; once a host is chosen only its paths are considered (as
 *   ingress-nginx's server block for that host): no path of it matching → the default backend;
 * - path: the longest matching path; at equal length Exact before Prefix before
 *   ImplementationSpecific; Prefix is element-wise on '/' with a trailing slash ignored,
 *   ImplementationSpecific is nginx's plain prefix match (documented in docs/ingress.md);
 * - nothing matches, as ingress-nginx's createServers builds its servers: on a host's server, the
 *   defaultBackend of the Ingress that made that server (the first, by namespace/name, with a rule
 *   for the host), if it has one; on the catch-all server (rules without a host, hosts no rule
 *   names), the defaultBackend of the first Ingress without rules; else the controller's 404;
 * - regular expressions, as ingress-nginx does them: when any Ingress of a host has
 *   `nginx.ingress.kubernetes.io/use-regex: "true"` or a `rewrite-target` (other than its path),
 *   every path of that host, of every Ingress, is a case-insensitive regular expression anchored
 *   at the start (`location ~* "^<path>"`), tried longest path first (ingress-nginx sorts its
 *   locations by length), the first that matches winning, whatever the pathType; a
 *   `rewrite-target` then replaces the whole path the backend sees with the target, `$1`, `$2` …
 *   the groups of the path's expression (`rewrite "(?i)<path>" <target> break;`), the query
 *   string kept;
 * - HTTP to HTTPS, per location as ingress-nginx decides it (httpsRedirectOf): plain HTTP meeting
 *   a location is answered 308 to https:// when its Ingress says `force-ssl-redirect: "true"`, or
 *   when the host has TLS (tls.ts) and its Ingress does not say `ssl-redirect: "false"`; a host's
 *   own root location (no path of it matched) follows the Ingress that made the server.
 *
 * The same module explains a decision (which rules were considered and why each lost) for
 * failing checks, and the nginx renderer (nginx-conf.ts) turns routes into locations that nginx's
 * own matching resolves the same way (test/unit/ingress-router.test.ts checks both on one table).
 */
import { annotationBool, INGRESS, ingressKey, type Ingress, type IngressBackend, type PathType } from './types.ts';
import { certFor, serverCerts } from './tls.ts';
import { compareText } from '../lib/order.ts';

/** Why plain HTTP meeting a location is redirected to HTTPS: its Ingress's `force-ssl-redirect`, or `ssl-redirect` on a TLS host. */
export type HttpsRedirect = 'ssl-redirect' | 'force-ssl-redirect';

export interface Route {
  /** `<namespace>/<name>` of the Ingress. */
  ingress: string;
  namespace: string;
  /** '' for a rule without a host. */
  host: string;
  path: string;
  pathType: PathType;
  backend: IngressBackend;
  /** Where it was written: rules[i].http.paths[j]. */
  rule: number;
  index: number;
  /** Its Ingress says `use-regex: "true"`. */
  useRegex: boolean;
  /** Its Ingress's rewrite-target, when it differs from the path (ingress-nginx's needsRewrite). */
  rewrite?: string;
  /** Matched as a regular expression: set on every route of a host where any route uses regex or a rewrite. */
  regex: boolean;
  /** Plain HTTP meeting it is redirected to HTTPS, and why. */
  httpsRedirect?: HttpsRedirect;
}

export interface Fallback {
  ingress: string;
  namespace: string;
  backend: IngressBackend;
}

export interface RouteTable {
  /** Routes by host key ('' = no host), each list in precedence order. */
  hosts: Map<string, Route[]>;
  /** The catch-all server's: the first Ingress without rules that has a defaultBackend. */
  defaultBackend?: Fallback;
  /** A host's server's, by host key: the defaultBackend of the Ingress that made the server, when it has one. */
  fallbacks: Map<string, Fallback>;
  /** By host key: the redirect of a host's own root location (where no path of it matches), from the Ingress that made the server. */
  rootRedirects: Map<string, HttpsRedirect>;
}

export type Decision = (
  | { kind: 'rule'; route: Route; server: string; considered: Considered[]; /** The path (and query) the backend is sent, after a rewrite-target. */ rewritten?: string }
  | { kind: 'default-backend'; server: string | undefined; ingress: string; namespace: string; backend: IngressBackend; considered: Considered[] }
  | { kind: 'not-found'; server: string | undefined; considered: Considered[] }
) & {
  /** The location that answers redirects plain HTTP to HTTPS (over HTTPS the decision above stands). */
  httpsRedirect?: HttpsRedirect;
};

export interface Considered {
  route: Route;
  /** Why it did not win. */
  lost: string;
}

const RANK: Record<PathType, number> = { Exact: 0, Prefix: 1, ImplementationSpecific: 2 };

/** The length that decides precedence: the path as written, a Prefix's trailing slash not counted. */
export function pathLength(r: Pick<Route, 'path' | 'pathType'>): number {
  return r.pathType === 'Prefix' ? trimSlash(r.path).length : r.path.length;
}

const trimSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p);

/** Orders routes as the API gives them precedence: longest path first, then Exact, Prefix, ImplementationSpecific; then by Ingress and position (stable). */
export function byPrecedence(a: Route, b: Route): number {
  return pathLength(b) - pathLength(a) || RANK[a.pathType] - RANK[b.pathType] || compareText(a.ingress, b.ingress) || a.rule - b.rule || a.index - b.index;
}

/** A path as nginx's case-insensitive regular expression (PCRE; JavaScript's RegExp reads the forms labs use alike), or undefined when it does not compile. */
export function pathRegex(path: string, anchored: boolean): RegExp | undefined {
  try {
    return new RegExp(anchored ? `^${path}` : path, 'i');
  } catch {
    return undefined;
  }
}

/** Whether `request` (a path, no query) matches the route: as a regular expression on a regex host, else by its pathType. */
export function routeMatches(r: Pick<Route, 'pathType' | 'path' | 'regex'>, request: string): boolean {
  return r.regex ? (pathRegex(r.path, true)?.test(request) ?? false) : pathMatches(r.pathType, r.path, request);
}

/**
 * nginx's `rewrite "(?i)<path>" <target> break;`: the first match of the path's expression in the
 * request path (unanchored, as nginx's rewrite is) replaces the whole path with the target, `$N`
 * its groups (an unmatched one empty); the request's query string follows (after `&` when the
 * target has one of its own).
 */
export function rewritePath(path: string, target: string, requestPath: string, query: string): string {
  const m = pathRegex(path, false)?.exec(requestPath);
  if (!m) return requestPath + (query ? `?${query}` : '');
  const out = target.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? '');
  return query ? `${out}${out.includes('?') ? '&' : '?'}${query}` : out;
}

/** Whether `request` (a path, no query) matches `path` of `pathType`. */
export function pathMatches(pathType: PathType, path: string, request: string): boolean {
  switch (pathType) {
    case 'Exact':
      return request === path;
    case 'Prefix': {
      const want = path.split('/').filter(Boolean);
      const got = request.split('/').filter(Boolean);
      return want.length <= got.length && want.every((e, i) => got[i] === e);
    }
    case 'ImplementationSpecific':
      return request.startsWith(path);
  }
}

/**
 * ingress-nginx's redirect_to_https (rootfs/etc/nginx/lua/lua_ingress.lua) for a location of an
 * Ingress with these annotations: never under a no-tls-redirect location; `force-ssl-redirect:
 * "true"` whatever the host; else `ssl-redirect`, which the ConfigMap turns on by default, when
 * the request's host has a certificate (tls.ts: a tls entry for it, with or without a secretName).
 */
export function httpsRedirectOf(annotations: Readonly<Record<string, string>>, tlsHost: boolean, path: string): HttpsRedirect | undefined {
  if (INGRESS.noTlsRedirectLocations.some((l) => path.startsWith(l))) return undefined;
  if (annotationBool(annotations[INGRESS.forceSslRedirect]) === true) return 'force-ssl-redirect';
  return tlsHost && annotationBool(annotations[INGRESS.sslRedirect]) !== false ? 'ssl-redirect' : undefined;
}

/**
 * Where the redirect sends a request: `https://`, the Host (nginx's `$host`: lower case, without
 * its port or a final dot), then the request URI less one trailing slash (lua_ingress.lua:
 * preserve-trailing-slash is off by default), so `/` goes to `https://host`.
 */
export function httpsLocation(hostHeader: string, requestUri: string): string {
  const host = hostHeader.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return `https://${host}${requestUri.endsWith('/') ? requestUri.slice(0, -1) : requestUri}`;
}

/** The routes of the served Ingresses (call with those only), grouped by host and sorted by precedence. */
export function buildRoutes(ingresses: readonly Ingress[]): RouteTable {
  const hosts = new Map<string, Route[]>();
  let defaultBackend: RouteTable['defaultBackend'];
  const fallbacks = new Map<string, Fallback>();
  const rootRedirects = new Map<string, HttpsRedirect>();
  const certs = serverCerts(ingresses);
  for (const ing of [...ingresses].sort((a, b) => compareText(ingressKey(a), ingressKey(b)))) {
    const own = ing.defaultBackend ? { ingress: ingressKey(ing), namespace: ing.namespace, backend: ing.defaultBackend } : undefined;
    if (own && !ing.rules.length && !defaultBackend) defaultBackend = own;
    const useRegex = annotationBool(ing.annotations[INGRESS.useRegex]) === true;
    const target = ing.annotations[INGRESS.rewriteTarget];
    ing.rules.forEach((rule, ri) => {
      const key = (rule.host ?? '').toLowerCase();
      const tlsHost = certFor(certs, key) !== undefined;
      // The first Ingress with a rule for a host makes its server, root location and all.
      if (key !== '' && !hosts.has(key)) {
        if (own) fallbacks.set(key, own);
        const redirect = httpsRedirectOf(ing.annotations, tlsHost, '/');
        if (redirect) rootRedirects.set(key, redirect);
      }
      const list = hosts.get(key) ?? [];
      rule.paths.forEach((p, pi) => {
        const rewrite = target !== undefined && target !== '' && target !== p.path ? { rewrite: target } : {};
        const redirect = httpsRedirectOf(ing.annotations, tlsHost, p.path);
        list.push({ ingress: ingressKey(ing), namespace: ing.namespace, host: key, path: p.path, pathType: p.pathType as PathType, backend: p.backend, rule: ri, index: pi, useRegex, ...rewrite, regex: false, ...(redirect ? { httpsRedirect: redirect } : {}) });
      });
      hosts.set(key, list);
    });
  }
  for (const [key, list] of hosts) {
    // ingress-nginx's enforceRegexModifier: one Ingress's use-regex or rewrite turns every path of the host into a regex.
    if (!list.some((r) => r.useRegex || r.rewrite !== undefined)) {
      list.sort(byPrecedence);
      continue;
    }
    // Then nginx takes the first regex location that matches, in the order ingress-nginx writes them: longest path first.
    const regex = list.map((r) => ({ ...r, regex: true }));
    regex.sort((a, b) => b.path.length - a.path.length || compareText(a.ingress, b.ingress) || a.rule - b.rule || a.index - b.index);
    hosts.set(key, regex);
  }
  return { hosts: new Map([...hosts].sort(([a], [b]) => compareText(a, b))), fallbacks, rootRedirects, ...(defaultBackend ? { defaultBackend } : {}) };
}

/** What a server answers when no path of it matches: its own fallback, the catch-all's, or none (404). */
export function fallbackOf(table: RouteTable, server: string | undefined): Fallback | undefined {
  return server ? table.fallbacks.get(server) : table.defaultBackend;
}

/** Whether a request's Host matches a rule's host (exact, or a wildcard covering exactly one label). */
export function hostMatches(ruleHost: string, host: string): boolean {
  if (!ruleHost.startsWith('*.')) return ruleHost === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === ruleHost.slice(2);
}

/** The server (host key) a Host header lands on: exact, then wildcard, then the host-less rules. */
export function chooseServer(table: RouteTable, hostHeader: string): string | undefined {
  const host = hostHeader.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  if (table.hosts.has(host) && !host.startsWith('*.')) return host;
  for (const key of table.hosts.keys()) if (key.startsWith('*.') && hostMatches(key, host)) return key;
  return table.hosts.has('') ? '' : undefined;
}

/** Routes a request: which rule wins, and why every other candidate of that server lost. */
export function route(table: RouteTable, hostHeader: string, requestPath: string): Decision {
  const path = requestPath.split('?')[0]!.split('#')[0]! || '/';
  const server = chooseServer(table, hostHeader);
  const routes = server === undefined ? [] : table.hosts.get(server)!;
  const considered: Considered[] = [];
  let winner: Route | undefined;
  for (const r of routes) {
    if (!routeMatches(r, path)) considered.push({ route: r, lost: r.regex ? `regex ~* ^${r.path} does not match ${path}` : `${r.pathType} ${r.path} does not match ${path}` });
    else if (!winner) winner = r;
    else if (r.regex) considered.push({ route: r, lost: `a longer (or earlier) regex, ${winner.path}, matched first` });
    else
      considered.push({
        route: r,
        lost: pathLength(r) < pathLength(winner) ? `shorter than ${winner.path}` : `${winner.pathType} is preferred over ${r.pathType} at equal length`,
      });
  }
  if (winner) {
    const query = requestPath.includes('?') ? requestPath.slice(requestPath.indexOf('?') + 1).split('#')[0]! : '';
    return { kind: 'rule', route: winner, server: server!, considered, ...(winner.rewrite !== undefined ? { rewritten: rewritePath(winner.path, winner.rewrite, path, query) } : {}), ...(winner.httpsRedirect ? { httpsRedirect: winner.httpsRedirect } : {}) };
  }
  // The server's root location answers: a host's follows the Ingress that made it; the catch-all's never redirects.
  const redirect = server ? table.rootRedirects.get(server) : undefined;
  const fallback = fallbackOf(table, server);
  if (fallback) return { kind: 'default-backend', server, ...fallback, considered, ...(redirect ? { httpsRedirect: redirect } : {}) };
  return { kind: 'not-found', server, considered, ...(redirect ? { httpsRedirect: redirect } : {}) };
}

/** `Ingress default/shop: host shop.example.com, Prefix /api → Service api:http` */
export function describeRoute(r: Route): string {
  return `Ingress ${r.ingress} rule ${r.host || '(any host)'} ${r.regex ? `regex ~* ^${r.path}` : `${r.pathType} ${r.path}`} → Service ${r.namespace}/${r.backend.service}:${r.backend.port}`;
}

/** Why a location redirects, in a few words: `ssl-redirect: the host has TLS` or `force-ssl-redirect`. */
export const redirectReason = (r: HttpsRedirect): string => (r === 'ssl-redirect' ? 'ssl-redirect: the host has TLS' : 'force-ssl-redirect');

/** `plain HTTP is answered 308 to https:// (ssl-redirect: the host has TLS)` */
export function describeRedirect(r: HttpsRedirect): string {
  return `plain HTTP is answered ${INGRESS.httpRedirectCode} to https:// (${redirectReason(r)})`;
}

/** One line for a report: the rule that matched, or "no rule matched → default backend / 404"; then, unless `redirect` is false, whether plain HTTP is redirected. */
export function describeDecision(d: Decision, redirect = true): string {
  const tail = redirect && d.httpsRedirect ? `; ${describeRedirect(d.httpsRedirect)}` : '';
  if (d.kind === 'rule') return `matched ${describeRoute(d.route)}${d.rewritten !== undefined ? `, rewritten to ${d.rewritten}` : ''}${tail}`;
  const why = d.server === undefined ? 'no rule for this host' : `no path of ${d.server || '(any host)'} matched`;
  if (d.kind === 'default-backend') return `no rule matched (${why}) → default backend Service ${d.namespace}/${d.backend.service}:${d.backend.port} of Ingress ${d.ingress}${tail}`;
  return `no rule matched (${why}) and no default backend → the controller's 404${tail}`;
}
