/**
 * The nginx configuration of the ingress controller, built the way ingress-nginx builds it:
 * one upstream per Service port with the ready endpoint addresses (nginx's round robin over pod
 * IPs, not through the ClusterIP), one server per host (its TLS certificate chosen by SNI), the
 * host-less rules and the default backend in the default server, and locations that nginx's own
 * matching resolves exactly as the router (router.ts) decides:
 *
 *   Exact p                  → `location = p`
 *   Prefix /                 → `location /`
 *   Prefix p                 → `location = p` and `location p/` (element-wise: not /pfoo)
 *   ImplementationSpecific p → `location p` (nginx's plain prefix)
 *
 * nginx takes an exact location first, else the longest prefix: the API's "longest path, Exact
 * first". Where two routes give one location, the one the router ranks first keeps it. On a host
 * where an Ingress asks for regular expressions (`use-regex`, or a `rewrite-target`), every path
 * is `location ~* "^p"`, longest first (nginx takes the first regex that matches), and a route
 * with a rewrite-target rewrites before it proxies: `rewrite "(?i)p" target break;`, as
 * ingress-nginx's template writes them. A location whose route redirects plain HTTP to HTTPS
 * (router.ts httpsRedirectOf) begins with `if ($scheme = http) { return 308 https://…; }`: per
 * location, as ingress-nginx's rewrite phase decides it, before any rewrite or proxying. Pure: the
 * runtime calls it again with the live endpoints and reloads nginx.
 */
import { template } from '../lib/templates.ts';
import { buildRoutes, byPrecedence, describeRedirect, fallbackOf, type HttpsRedirect, type Route } from './router.ts';
import { certFor, serverCerts } from './tls.ts';
import { INGRESS, type Ingress, type IngressBackend } from './types.ts';
import { compareText } from '../lib/order.ts';

/** The minimum of a Service the renderer needs (PlanService fits). */
export interface BackendService {
  name: string;
  namespace: string;
  ports: { key: string; name?: string; port: number; protocol: 'TCP' | 'UDP' }[];
}

/** The minimum of an endpoint (plan/services.ts Endpoint fits). */
export interface BackendEndpoint {
  pod: string;
  ip: string;
  ports: Record<string, number>;
}

export interface NginxInput {
  lab: string;
  source: string;
  /** The served Ingresses. */
  ingresses: readonly Ingress[];
  services: readonly BackendService[];
  /** By `<namespace>/<name>`. */
  endpoints: Record<string, readonly BackendEndpoint[]>;
  /** Where nginx keeps its pid file and temporary files (writable by it). */
  runDir: string;
  /** An IPv6-only lab: nginx listens on [::] (its pod has no IPv4 address) and the upstreams are IPv6. */
  ipv6Only?: boolean;
  /** Where the certificates are: `<tlsDir>/<namespace>-<secret>.crt|.key`, and `default.crt|.key`. */
  tlsDir: string;
}

/** ingress-nginx's upstream name: `<namespace>-<service>-<port>`. */
export const upstreamName = (namespace: string, b: IngressBackend) => `${namespace}-${b.service}-${b.port}`;

interface Location {
  match: string;
  comment: string;
  /** `"(?i)<path>" <target>`: nginx's rewrite before the proxy (rewrite-target). */
  rewrite?: string;
  upstream?: string;
  status?: number;
  /** Plain HTTP is answered with a redirect to HTTPS: its status and why. */
  redirect?: { code: number; why: string };
}

const redirectOf = (r: HttpsRedirect | undefined): Pick<Location, 'redirect'> => (r ? { redirect: { code: INGRESS.httpRedirectCode, why: describeRedirect(r) } } : {});

function servicePort(services: readonly BackendService[], namespace: string, b: IngressBackend) {
  const svc = services.find((s) => s.name === b.service && s.namespace === namespace);
  return svc?.ports.find((p) => p.protocol === 'TCP' && (typeof b.port === 'number' ? p.port === b.port : p.name === b.port));
}

/** The nginx locations of one server's routes, precedence first, one per location key. */
export function locationsOf(routes: readonly Route[]): { match: string; route: Route }[] {
  const seen = new Map<string, Route>();
  if (routes.some((r) => r.regex)) {
    // Already in ingress-nginx's order (longest path first): nginx tries regex locations in the order written.
    for (const r of routes) if (!seen.has(`~* "^${r.path}"`)) seen.set(`~* "^${r.path}"`, r);
    return [...seen].map(([match, route]) => ({ match, route }));
  }
  for (const r of [...routes].sort(byPrecedence)) {
    const keys =
      r.pathType === 'Exact'
        ? [`= ${r.path}`]
        : r.pathType === 'ImplementationSpecific'
          ? [r.path]
          : r.path.replace(/\/+$/, '') === ''
            ? ['/']
            : [`= ${r.path.replace(/\/+$/, '')}`, `${r.path.replace(/\/+$/, '')}/`];
    for (const k of keys) if (!seen.has(k)) seen.set(k, r);
  }
  return [...seen].map(([match, route]) => ({ match, route }));
}

/** nginx.conf for the served Ingresses and the given endpoints. */
export function renderNginxConf(input: NginxInput): string {
  const table = buildRoutes(input.ingresses);
  const upstreams = new Map<string, string[]>();
  const target = (namespace: string, b: IngressBackend): Pick<Location, 'upstream' | 'status'> => {
    const port = servicePort(input.services, namespace, b);
    const eps = port ? (input.endpoints[`${namespace}/${b.service}`] ?? []).filter((e) => e.ports[port.key] !== undefined) : [];
    // ingress-nginx answers 503 for a Service without ready endpoints.
    if (!eps.length) return { status: 503 };
    const name = upstreamName(namespace, b);
    upstreams.set(name, eps.map((e) => `${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${e.ports[port!.key]}`).sort());
    return { upstream: name };
  };
  // A server's root location when no path of it matches: its own default backend (router.ts fallbackOf), else 404.
  const fallbackFor = (host: string): Location => {
    const fb = fallbackOf(table, host || undefined);
    const redirect = redirectOf(host ? table.rootRedirects.get(host) : undefined);
    return fb
      ? { match: '/', comment: `default backend of Ingress ${fb.ingress}`, ...redirect, ...target(fb.namespace, fb.backend) }
      : { match: '/', comment: 'no rule matched and no default backend: 404', ...redirect, status: 404 };
  };
  const certs = serverCerts(input.ingresses);
  const serverOf = (host: string, routes: readonly Route[]) => {
    const locations: Location[] = locationsOf(routes).map(({ match, route }) => ({
      match,
      comment: `Ingress ${route.ingress}: ${route.pathType} ${route.path}${route.regex ? ' (a regular expression on this host)' : ''}${route.rewrite !== undefined ? `, rewrite-target ${route.rewrite}` : ''}`,
      ...redirectOf(route.httpsRedirect),
      ...(route.rewrite !== undefined ? { rewrite: `"(?i)${route.path}" ${route.rewrite}` } : {}),
      ...target(route.namespace, route.backend),
    }));
    if (!locations.some((l) => l.match === '/')) locations.push(fallbackFor(host));
    const cert = certFor(certs, host);
    const secret = cert && cert !== 'default' ? cert : undefined;
    return {
      host: host || '(any host) and every host no rule names',
      defaultServer: host === '',
      serverName: host === '' ? '_' : host.startsWith('*.') ? `~^[^.]+${host.slice(1).replace(/\./g, '\\.')}$` : host,
      crt: `${input.tlsDir}/${secret?.file ?? 'default'}.crt`,
      key: `${input.tlsDir}/${secret?.file ?? 'default'}.key`,
      certComment: secret
        ? `Secret ${secret.namespace}/${secret.secret}`
        : `the controller's default (fake) certificate${cert ? ': TLS without a Secret for this host' : host ? ': the host has no TLS' : ''}`,
      locations,
    };
  };
  const servers = [...table.hosts].filter(([h]) => h !== '').map(([h, routes]) => serverOf(h, routes));
  const defaultServer = serverOf('', table.hosts.get('') ?? []);
  return template('nginx.conf')({
    banner: `Generated by podlab from ${input.source}; do not edit, run \`podlab render ${input.source}\`.`,
    lab: input.lab,
    runDir: input.runDir,
    upstreams: [...upstreams].sort(([a], [b]) => compareText(a, b)).map(([name, servers]) => ({ name, servers })),
    servers: [defaultServer, ...servers],
    redirects: [defaultServer, ...servers].some((sv) => sv.locations.some((l) => l.redirect)),
    httpPort: INGRESS.httpPort,
    httpsPort: INGRESS.httpsPort,
    listenAt: input.ipv6Only ? '[::]:' : '',
  });
}
