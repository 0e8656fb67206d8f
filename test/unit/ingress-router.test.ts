/**
 * The ingress router against the path-matching table of the Kubernetes Ingress documentation
 * (concepts/services-networking/ingress, "Examples" and "Hostname wildcards"), its precedence
 * rules, and the nginx locations rendered from the same routes: nginx's own location choice
 * (simulated: exact first, else the longest prefix) must pick the rule the router picks.
 */
import { describe, expect, it } from 'vitest';
import { buildRoutes, describeDecision, hostMatches, pathMatches, route, type Decision } from '../../src/ingress/router.ts';
import { locationsOf, renderNginxConf } from '../../src/ingress/nginx-conf.ts';
import type { Ingress, PathType } from '../../src/ingress/types.ts';

const ingress = (paths: [PathType, string][], extra: Partial<Ingress> = {}): Ingress => ({
  name: 'test',
  namespace: 'default',
  className: 'nginx',
  annotations: {},
  rules: [{ paths: paths.map(([pathType, path]) => ({ path, pathType, backend: { service: `svc${path.replace(/\//g, '-')}-${pathType}`, port: 80 } })) }],
  tls: [],
  ...extra,
});

/** Kind, rule path(s), request path, matches? and (when it matters) which path wins. */
const TABLE: [string, [PathType, string][], string, boolean, string?][] = [
  ['Prefix', [['Prefix', '/']], '/anything/at/all', true],
  ['Exact', [['Exact', '/foo']], '/foo', true],
  ['Exact', [['Exact', '/foo']], '/bar', false],
  ['Exact', [['Exact', '/foo']], '/foo/', false],
  ['Exact', [['Exact', '/foo/']], '/foo', false],
  ['Prefix', [['Prefix', '/foo']], '/foo', true],
  ['Prefix', [['Prefix', '/foo']], '/foo/', true],
  ['Prefix', [['Prefix', '/foo/']], '/foo', true],
  ['Prefix', [['Prefix', '/foo/']], '/foo/', true],
  ['Prefix', [['Prefix', '/aaa/bb']], '/aaa/bbb', false],
  ['Prefix', [['Prefix', '/aaa/bbb']], '/aaa/bbb', true],
  ['Prefix (ignores trailing slash)', [['Prefix', '/aaa/bbb/']], '/aaa/bbb', true],
  ['Prefix (matches trailing slash)', [['Prefix', '/aaa/bbb']], '/aaa/bbb/', true],
  ['Prefix (matches subpath)', [['Prefix', '/aaa/bbb']], '/aaa/bbb/ccc', true],
  ['Prefix (not a string prefix)', [['Prefix', '/aaa/bbb']], '/aaa/bbbxyz', false],
  ['Prefix (matches /aaa)', [['Prefix', '/'], ['Prefix', '/aaa']], '/aaa/ccc', true, '/aaa'],
  ['Prefix (matches /aaa/bbb)', [['Prefix', '/'], ['Prefix', '/aaa'], ['Prefix', '/aaa/bbb']], '/aaa/bbb', true, '/aaa/bbb'],
  ['Prefix (matches /)', [['Prefix', '/'], ['Prefix', '/aaa'], ['Prefix', '/aaa/bbb']], '/ccc', true, '/'],
  ['Prefix (default backend)', [['Prefix', '/aaa']], '/ccc', false],
  ['Mixed (prefers Exact)', [['Prefix', '/foo'], ['Exact', '/foo']], '/foo', true, 'Exact /foo'],
];

/** nginx's location choice, as its documentation defines it: `=` exact, else the longest prefix. */
function nginxChoose(locations: { match: string }[], path: string): string | undefined {
  const exact = locations.find((l) => l.match === `= ${path}`);
  if (exact) return exact.match;
  return locations.filter((l) => !l.match.startsWith('= ') && path.startsWith(l.match)).sort((a, b) => b.match.length - a.match.length)[0]?.match;
}

const winner = (d: Decision) => (d.kind === 'rule' ? `${d.route.pathType} ${d.route.path}` : d.kind);

describe('ingress router: the Kubernetes documentation table', () => {
  for (const [kind, paths, request, matches, wins] of TABLE)
    it(`${kind}: ${paths.map(([t, p]) => `${t} ${p}`).join(', ')} ← ${request}: ${matches ? 'match' : 'no match'}`, () => {
      const d = route(buildRoutes([ingress(paths)]), 'any.example.com', request);
      expect(d.kind).toBe(matches ? 'rule' : 'not-found');
      if (wins) expect(winner(d)).toBe(wins.includes(' ') ? wins : `Prefix ${wins}`);
    });

  it("a request nothing matches goes to its server's default backend, as ingress-nginx's createServers sets them", () => {
    const fb = (service: string) => ({ defaultBackend: { service, port: 80 } });
    const hosted = (name: string, host: string, extra = {}) => ({ ...ingress([['Prefix', '/aaa']], { name, ...extra }), rules: [{ host, paths: [{ path: '/aaa', pathType: 'Prefix' as const, backend: { service: 'svc', port: 80 } }] }] });
    // An Ingress without rules: the catch-all server's, for hosts no rule names.
    const catchAll = { ...ingress([], { name: 'all', ...fb('fallback') }), rules: [] };
    const table = buildRoutes([catchAll, hosted('shop', 'shop.example.com', fb('shop-fallback')), hosted('only', 'only.example.com')]);
    const d = route(table, 'nowhere.example.org', '/ccc');
    expect(d.kind).toBe('default-backend');
    expect(describeDecision(d)).toContain('default backend Service default/fallback:80');
    // A host's server: the default backend of the Ingress that made it ...
    expect(describeDecision(route(table, 'shop.example.com', '/ccc'))).toContain('default backend Service default/shop-fallback:80');
    // ... and none when that Ingress has none: not another Ingress's, the controller's 404.
    expect(route(table, 'only.example.com', '/ccc').kind).toBe('not-found');
    // Rules without a host join the catch-all server, whose root an Ingress with rules does not change.
    expect(route(buildRoutes([ingress([['Prefix', '/aaa']], fb('fallback'))]), 'x', '/ccc').kind).toBe('not-found');
  });

  it('matching is case-sensitive and ignores the query string', () => {
    expect(pathMatches('Prefix', '/foo', '/FOO')).toBe(false);
    expect(route(buildRoutes([ingress([['Exact', '/foo']])]), 'x', '/foo?a=1').kind).toBe('rule');
  });

  it('ImplementationSpecific is nginx prefix matching: /foo matches /foobar', () => {
    expect(pathMatches('ImplementationSpecific', '/foo', '/foobar')).toBe(true);
    expect(pathMatches('Prefix', '/foo', '/foobar')).toBe(false);
  });
});

describe('ingress router: hosts', () => {
  it('wildcards cover exactly one label (the documentation table)', () => {
    expect(hostMatches('*.foo.com', 'bar.foo.com')).toBe(true);
    expect(hostMatches('*.foo.com', 'baz.bar.foo.com')).toBe(false);
    expect(hostMatches('*.foo.com', 'foo.com')).toBe(false);
  });

  const two: Ingress = {
    ...ingress([]),
    rules: [
      { host: 'shop.example.com', paths: [{ path: '/api', pathType: 'Prefix', backend: { service: 'api', port: 80 } }] },
      { host: '*.example.com', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'wild', port: 80 } }] },
      { paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'any', port: 80 } }] },
    ],
  };
  const table = buildRoutes([two]);
  const svc = (d: Decision) => (d.kind === 'rule' ? d.route.backend.service : d.kind);

  it('an exact host before a wildcard before the host-less rules; Host is case-insensitive and its port ignored', () => {
    expect(svc(route(table, 'shop.example.com', '/api/x'))).toBe('api');
    expect(svc(route(table, 'SHOP.example.com:80', '/api'))).toBe('api');
    expect(svc(route(table, 'blog.example.com', '/api'))).toBe('wild');
    expect(svc(route(table, 'a.b.example.com', '/'))).toBe('any');
    expect(svc(route(table, 'other.org', '/'))).toBe('any');
  });

  it("a host's server does not fall back to the host-less rules (ingress-nginx: its default backend)", () => {
    const d = route(table, 'shop.example.com', '/');
    expect(d.kind).toBe('not-found');
    expect(describeDecision(d)).toBe("no rule matched (no path of shop.example.com matched) and no default backend → the controller's 404");
  });

  it('explains why the other rules lost', () => {
    const d = route(buildRoutes([ingress([['Prefix', '/'], ['Prefix', '/aaa'], ['Exact', '/aaa/bbb']])]), 'x', '/aaa/bbb');
    expect(winner(d)).toBe('Exact /aaa/bbb');
    expect(d.considered.map((c) => c.lost)).toEqual(['shorter than /aaa/bbb', 'shorter than /aaa/bbb']);
  });
});

describe('nginx locations resolve as the router does', () => {
  const pathSets: [PathType, string][][] = [
    ...TABLE.map(([, p]) => p),
    [['Prefix', '/foo'], ['ImplementationSpecific', '/foo/'], ['Exact', '/foo/bar']],
    [['ImplementationSpecific', '/foo'], ['Prefix', '/foo'], ['Prefix', '/fo']],
    [['ImplementationSpecific', '/'], ['Prefix', '/api'], ['Exact', '/api']],
    [['Prefix', '/a/b/'], ['ImplementationSpecific', '/a/b/c'], ['Prefix', '/a']],
  ];
  const requests = ['/', '/foo', '/foo/', '/foobar', '/foo/bar', '/foo/bar/', '/fo', '/fox', '/api', '/api/', '/apix', '/a', '/a/b', '/a/b/', '/a/b/c', '/a/b/cd', '/aaa', '/aaa/bbb', '/aaa/bbbxyz', '/aaa/ccc', '/ccc'];
  for (const paths of pathSets)
    it(paths.map(([t, p]) => `${t} ${p}`).join(', '), () => {
      const table = buildRoutes([ingress(paths)]);
      const locations = locationsOf(table.hosts.get('')!);
      for (const req of requests) {
        const d = route(table, 'x', req);
        const chosen = nginxChoose(locations, req);
        const byNginx = chosen === undefined ? 'not-found' : (() => {
          const r = locations.find((l) => l.match === chosen)!.route;
          return `${r.pathType} ${r.path}`;
        })();
        expect(`${req} → ${byNginx}`).toBe(`${req} → ${winner(d)}`);
      }
    });
});

describe('nginx.conf', () => {
  const services = [
    { name: 'web', namespace: 'default', ports: [{ key: 'http', name: 'http', port: 80, protocol: 'TCP' as const }] },
    { name: 'api', namespace: 'default', ports: [{ key: 'TCP-8080', port: 8080, protocol: 'TCP' as const }] },
  ];
  const ing: Ingress = {
    name: 'shop',
    namespace: 'default',
    className: 'nginx',
    annotations: {},
    rules: [
      { host: 'shop.example.com', paths: [{ path: '/api', pathType: 'Prefix', backend: { service: 'api', port: 8080 } }, { path: '/', pathType: 'Prefix', backend: { service: 'web', port: 'http' } }] },
      { host: '*.example.com', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'web', port: 'http' } }] },
    ],
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
  };
  const conf = (endpoints: Record<string, { pod: string; ip: string; ports: Record<string, number> }[]>) =>
    renderNginxConf({ lab: 'l', source: 'labs/l.lab.ts', ingresses: [ing], services, endpoints, runDir: '/run/x', tlsDir: '/run/x/tls' });

  it('has one upstream per Service port with the endpoint addresses, in the pods\' own ports', () => {
    const text = conf({ 'default/web': [{ pod: 'w1', ip: '10.244.1.3', ports: { http: 8080 } }, { pod: 'w2', ip: '10.244.1.2', ports: { http: 8080 } }], 'default/api': [{ pod: 'a', ip: '10.244.2.2', ports: { 'TCP-8080': 9000 } }] });
    expect(text).toContain('upstream default-web-http {\n        server 10.244.1.2:8080;\n        server 10.244.1.3:8080;\n    }');
    expect(text).toContain('upstream default-api-8080 {\n        server 10.244.2.2:9000;\n    }');
    expect(text).toContain('server_name ~^[^.]+\\.example\\.com$;');
    expect(text).toContain('ssl_certificate /run/x/tls/default-shop-tls.crt;');
    // shop.example.com has TLS: each of its locations redirects plain HTTP first, then proxies.
    const redirect = '            # plain HTTP is answered 308 to https:// (ssl-redirect: the host has TLS)\n            if ($scheme = http) {\n                return 308 https://$host$redirect_uri;\n            }\n';
    expect(text).toContain(`location = /api {\n${redirect}            proxy_pass http://default-api-8080;`);
    expect(text).toContain(`location /api/ {\n${redirect}            proxy_pass http://default-api-8080;`);
  });

  it('answers 503 for a backend without ready endpoints, and 404 where nothing matches', () => {
    const text = conf({ 'default/web': [], 'default/api': [] });
    expect(text).not.toContain('upstream ');
    // Over plain HTTP the redirect comes first, as ingress-nginx's rewrite phase runs before the balancer.
    expect(text).toMatch(/location \/api\/ \{\n(\s+#.*\n)?\s+if \(\$scheme = http\) \{\n\s+return 308 .*\n\s+\}\n\s+return 503;/);
    expect(text).toMatch(/# no rule matched and no default backend: 404\n\s+location \/ \{\n\s+return 404;/);
  });
});

describe('rewrite-target and use-regex (ingress-nginx)', () => {
  const rewrite = (paths: [PathType, string][], annotations: Record<string, string>, name = 'rw'): Ingress => ({
    name,
    namespace: 'default',
    className: 'nginx',
    annotations,
    rules: [{ host: 'rewrite.bar.com', paths: paths.map(([pathType, path]) => ({ path, pathType, backend: { service: `svc-${name}`, port: 80 } })) }],
    tls: [],
  });
  const TARGET = { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' };

  it("rewrites as ingress-nginx's documented example: /something(/|$)(.*) with /$2", () => {
    const table = buildRoutes([rewrite([['ImplementationSpecific', '/something(/|$)(.*)']], TARGET)]);
    const seen = (p: string) => {
      const d = route(table, 'rewrite.bar.com', p);
      return d.kind === 'rule' ? d.rewritten : `(${d.kind})`;
    };
    expect(seen('/something')).toBe('/');
    expect(seen('/something/')).toBe('/');
    expect(seen('/something/new')).toBe('/new');
    expect(seen('/SOMETHING/New?x=1')).toBe('/New?x=1');
    expect(seen('/somethingelse')).toBe('(not-found)');
    expect(describeDecision(route(table, 'rewrite.bar.com', '/something/new'))).toBe('matched Ingress default/rw rule rewrite.bar.com regex ~* ^/something(/|$)(.*) → Service default/svc-rw:80, rewritten to /new');
  });

  it('use-regex on one Ingress makes every path of the host a case-insensitive regex, longest first; other hosts keep their pathTypes', () => {
    const regex = rewrite([['ImplementationSpecific', '/api/v[0-9]+/.*']], { 'nginx.ingress.kubernetes.io/use-regex': 'true' }, 'a');
    // Exact /api on the same host, from another Ingress: a regex now, so /api/anything and /API match it too.
    const plain = rewrite([['Exact', '/api'], ['Prefix', '/']], {}, 'b');
    const other: Ingress = { ...rewrite([['Exact', '/api']], {}, 'c'), rules: [{ host: 'other.com', paths: [{ path: '/api', pathType: 'Exact', backend: { service: 'svc-c', port: 80 } }] }] };
    const table = buildRoutes([regex, plain, other]);
    expect(table.hosts.get('rewrite.bar.com')!.map((r) => [r.path, r.regex])).toEqual([['/api/v[0-9]+/.*', true], ['/api', true], ['/', true]]);
    const to = (host: string, p: string) => {
      const d = route(table, host, p);
      return d.kind === 'rule' ? d.route.backend.service : d.kind;
    };
    expect(to('rewrite.bar.com', '/api/v2/items')).toBe('svc-a');
    expect(to('rewrite.bar.com', '/API/V2/items')).toBe('svc-a');
    expect(to('rewrite.bar.com', '/api/other')).toBe('svc-b');
    expect(to('rewrite.bar.com', '/Apis')).toBe('svc-b');
    expect(to('rewrite.bar.com', '/x')).toBe('svc-b');
    // No rewrite-target: the backend sees the request's own path.
    expect((route(table, 'rewrite.bar.com', '/api/v2/items') as Extract<Decision, { kind: 'rule' }>).rewritten).toBeUndefined();
    expect(to('other.com', '/api')).toBe('svc-c');
    expect(to('other.com', '/API')).toBe('not-found');
  });

  it('a rewrite-target equal to the path is no rewrite (and turns no regex on), as ingress-nginx checks', () => {
    const table = buildRoutes([rewrite([['Prefix', '/app']], { 'nginx.ingress.kubernetes.io/rewrite-target': '/app' })]);
    expect(table.hosts.get('rewrite.bar.com')![0]!.regex).toBe(false);
    const d = route(table, 'rewrite.bar.com', '/app/x');
    expect(d.kind).toBe('rule');
    expect((d as Extract<Decision, { kind: 'rule' }>).rewritten).toBeUndefined();
  });

  it('nginx.conf: ~* "^path" locations longest first, the rewrite before the proxy', () => {
    const ing = rewrite([['ImplementationSpecific', '/something(/|$)(.*)'], ['Prefix', '/']], TARGET);
    const text = renderNginxConf({
      lab: 'l',
      source: 'labs/l.lab.ts',
      ingresses: [ing],
      services: [{ name: 'svc-rw', namespace: 'default', ports: [{ key: 'TCP-80', port: 80, protocol: 'TCP' }] }],
      endpoints: { 'default/svc-rw': [{ pod: 'p', ip: '10.244.1.2', ports: { 'TCP-80': 8080 } }] },
      runDir: '/run/x',
      tlsDir: '/run/x/tls',
    });
    const something = text.indexOf('location ~* "^/something(/|$)(.*)" {\n            rewrite "(?i)/something(/|$)(.*)" /$2 break;\n            proxy_pass http://default-svc-rw-80;');
    const root = text.indexOf('location ~* "^/" {\n            rewrite "(?i)/" /$2 break;');
    expect(something).toBeGreaterThan(0);
    expect(root).toBeGreaterThan(something);
    expect(locationsOf(buildRoutes([ing]).hosts.get('rewrite.bar.com')!).map((l) => l.match)).toEqual(['~* "^/something(/|$)(.*)"', '~* "^/"']);
  });
});
