/**
 * `podlab explain <lab> --http host/path`: which Ingress rule an HTTP request meets, and why every
 * other rule of that host lost — the router's own decision (router.ts), the one nginx.conf is
 * rendered from, so the explanation and the controller cannot disagree. Over plain HTTP (a bare
 * host/path, as curl sends it) a location that redirects to HTTPS answers first: the explanation
 * says so, then what the request meets over HTTPS. Pure.
 */
import { buildRoutes, describeDecision, describeRoute, httpsLocation, redirectReason, route, type Decision, type HttpsRedirect } from './router.ts';
import { INGRESS, type Ingress } from './types.ts';

export type Scheme = 'http' | 'https';

export interface HttpExplanation {
  scheme: Scheme;
  host: string;
  path: string;
  /** Over plain HTTP, when the location redirects: nginx answers this instead of the backend below. */
  redirect?: { status: number; location: string; because: HttpsRedirect };
  /** The server block the Host header lands on: an exact host, a wildcard, or '' (the rules without a host). */
  server?: string;
  decision: Decision['kind'];
  /** One line: the rule that matched, or the default backend, or the controller's 404 (over HTTPS, after any redirect). */
  summary: string;
  /** `<namespace>/<service>:<port>` that answers, when one does. */
  service?: string;
  rewritten?: string;
  /** Every other rule of that server, each with why it lost. */
  lost: { rule: string; why: string }[];
  /** Hosts with rules, for a request that met none of them. */
  hosts: string[];
}

/** `shop.example.com/api?x=1`, `http://shop.example.com/api` or `https://…`: scheme (when written), host and path (path '/' when none). */
export function parseHttpTarget(target: string): { scheme?: Scheme; host: string; path: string } | undefined {
  const m = /^(?:(https?):\/\/)?([^/?#\s]+)(\/[^\s]*)?$/.exec(target.trim());
  return m ? { ...(m[1] ? { scheme: m[1] as Scheme } : {}), host: m[2]!, path: m[3] ?? '/' } : undefined;
}

export function explainHttp(ingresses: readonly Ingress[], host: string, path: string, scheme: Scheme = 'http'): HttpExplanation {
  const table = buildRoutes(ingresses);
  const d = route(table, host, path);
  const service = d.kind === 'rule' ? `${d.route.namespace}/${d.route.backend.service}:${d.route.backend.port}` : d.kind === 'default-backend' ? `${d.namespace}/${d.backend.service}:${d.backend.port}` : undefined;
  return {
    scheme,
    host,
    path,
    ...(scheme === 'http' && d.httpsRedirect ? { redirect: { status: INGRESS.httpRedirectCode, location: httpsLocation(host, path), because: d.httpsRedirect } } : {}),
    ...(d.server !== undefined ? { server: d.server } : {}),
    decision: d.kind,
    summary: describeDecision(d, false),
    ...(service ? { service } : {}),
    ...(d.kind === 'rule' && d.rewritten !== undefined ? { rewritten: d.rewritten } : {}),
    lost: d.considered.map((c) => ({ rule: describeRoute(c.route), why: c.lost })),
    hosts: [...table.hosts.keys()].map((h) => h || '(any host)'),
  };
}

export function formatHttpExplanation(x: HttpExplanation, c: { ok: (s: string) => string; bad: (s: string) => string; dim: (s: string) => string }): string {
  const out = [`GET ${x.scheme}://${x.host}${x.path}`];
  out.push(`  server: ${x.server === undefined ? c.bad(`none: no rule names this host (hosts with rules: ${x.hosts.join(', ') || 'none'})`) : x.server === '' ? 'the rules without a host' : x.server.startsWith('*.') ? `wildcard ${x.server}` : `host ${x.server}`}`);
  if (x.redirect) out.push(`  ↪ redirected: ${x.redirect.status} to ${x.redirect.location} (${redirectReason(x.redirect.because)})`);
  out.push(`  ${x.decision === 'not-found' ? c.bad('✗') : c.ok('✓')} ${x.redirect ? 'then over HTTPS: ' : ''}${x.summary}`);
  for (const l of x.lost) out.push(c.dim(`    lost: ${l.rule}: ${l.why}`));
  return `${out.join('\n')}\n`;
}
