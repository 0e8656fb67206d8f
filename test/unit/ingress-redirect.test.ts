/**
 * HTTP to HTTPS as ingress-nginx decides it, per location (src/ingress/router.ts httpsRedirectOf,
 * src/ingress/tls.ts): the ConfigMap's ssl-redirect "true" redirects every location of a host
 * with a certificate (a tls entry, with or without a secretName) unless its Ingress says
 * `ssl-redirect: "false"`; `force-ssl-redirect: "true"` redirects whatever the host;
 * /.well-known/acme-challenge never. The router's decision, the explanation and the rendered
 * nginx.conf must say the same.
 */
import { describe, expect, it } from 'vitest';
import ingressLab from '../../labs/ingress.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { explainHttp } from '../../src/ingress/explain.ts';
import { renderNginxConf } from '../../src/ingress/nginx-conf.ts';
import { buildRoutes, describeDecision, httpsLocation, route } from '../../src/ingress/router.ts';
import { certFor, serverCerts, type ServerCert } from '../../src/ingress/tls.ts';
import type { Ingress, IngressRule } from '../../src/ingress/types.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { bodyExcerpt, curlArgv, http, readCurl, type HttpCheck } from '../../src/check/kinds/http.ts';
import { planFrom } from '../live/host.ts';
import { testAttempt } from './proofs.ts';

const SSL = 'nginx.ingress.kubernetes.io/ssl-redirect';
const FORCE = 'nginx.ingress.kubernetes.io/force-ssl-redirect';

const rule = (host: string | undefined, ...paths: string[]): IngressRule => ({
  ...(host !== undefined ? { host } : {}),
  paths: paths.map((path) => ({ path, pathType: path === '/status' ? 'Exact' : 'Prefix', backend: { service: 'web', port: 80 } })),
});
const ingress = (name: string, rules: IngressRule[], o: { annotations?: Record<string, string>; tls?: Ingress['tls']; defaultBackend?: boolean } = {}): Ingress => ({
  name,
  namespace: 'default',
  className: 'nginx',
  annotations: o.annotations ?? {},
  ...(o.defaultBackend ? { defaultBackend: { service: 'web', port: 80 } } : {}),
  rules,
  tls: o.tls ?? [],
});

/** What plain HTTP to host+path meets: 'redirect (why)', or the kind of answer. */
function meets(ingresses: Ingress[], host: string, path = '/'): string {
  const d = route(buildRoutes(ingresses), host, path);
  return d.httpsRedirect ? `308 (${d.httpsRedirect})` : d.kind;
}

const conf = (ingresses: Ingress[]) =>
  renderNginxConf({
    lab: 'l',
    source: 'labs/l.lab.ts',
    ingresses,
    services: [{ name: 'web', namespace: 'default', ports: [{ key: 'TCP-80', port: 80, protocol: 'TCP' }] }],
    endpoints: { 'default/web': [{ pod: 'w', ip: '10.244.1.2', ports: { 'TCP-80': 8080 } }] },
    runDir: '/run/x',
    tlsDir: '/run/x/tls',
  });

/** One server block of nginx.conf, by its host comment. */
const server = (text: string, host: string) => {
  const start = text.indexOf(`    # ${host}\n    server {`);
  expect(start, host).toBeGreaterThan(0);
  return text.slice(start, text.indexOf('\n    }\n', start));
};
/** One location block of a server block. */
const location = (block: string, match: string) => {
  const start = block.indexOf(`location ${match} {`);
  expect(start, match).toBeGreaterThan(0);
  return block.slice(start, block.indexOf('\n        }', start));
};
const REDIRECT = /if \(\$scheme = http\) \{\n\s+return 308 https:\/\/\$host\$redirect_uri;\n\s+\}/;

describe('ssl-redirect: on by default for a host with TLS', () => {
  const tls = ingress('shop', [rule('shop.example.com', '/api', '/')], { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] });
  const plain = ingress('blog', [rule('blog.example.com', '/')]);

  it('a TLS host redirects every path; a host without TLS does not', () => {
    expect(meets([tls, plain], 'shop.example.com', '/api/v1')).toBe('308 (ssl-redirect)');
    expect(meets([tls, plain], 'shop.example.com', '/')).toBe('308 (ssl-redirect)');
    expect(meets([tls, plain], 'blog.example.com', '/')).toBe('rule');
    const text = conf([tls, plain]);
    expect(location(server(text, 'shop.example.com'), '/api/')).toMatch(REDIRECT);
    expect(location(server(text, 'shop.example.com'), '/')).toMatch(REDIRECT);
    expect(server(text, 'blog.example.com')).not.toContain('$scheme');
    // The redirect keeps the request URI but one trailing slash (lua_ingress.lua), so the map is there.
    expect(text).toContain('map $request_uri $redirect_uri {\n        "~^(.*)/$" $1;\n        default $request_uri;\n    }');
  });

  it('ssl-redirect: "false" opts out; "true" says what the default says', () => {
    const off = { ...tls, annotations: { [SSL]: 'false' } };
    expect(meets([off], 'shop.example.com', '/api')).toBe('rule');
    const text = conf([off]);
    expect(text).not.toContain('$scheme = http');
    // No location redirects: no map either (labs without a redirect render as before).
    expect(text).not.toContain('$redirect_uri');
    expect(conf([{ ...tls, annotations: { [SSL]: 'true' } }])).toBe(conf([tls]));
  });

  it('the values are read as ingress-nginx reads them (Go strconv.ParseBool): False, 0, f opt out; True, 1, t force', () => {
    for (const v of ['False', 'FALSE', '0', 'f']) expect(meets([{ ...tls, annotations: { [SSL]: v } }], 'shop.example.com', '/api'), v).toBe('rule');
    for (const v of ['True', 'TRUE', '1', 't']) expect(meets([ingress('plain', [rule('plain.example.com', '/')], { annotations: { [FORCE]: v } })], 'plain.example.com'), v).toBe('308 (force-ssl-redirect)');
    const lab = (v: string) => validateValue({ name: 'b', nodes: { n: {} }, pods: { w: { node: 'n', labels: { app: 'w' }, containers: [{ name: 'w', workload: { kind: 'http-echo' } }] } }, services: { web: { selector: { app: 'w' }, ports: [{ port: 80, targetPort: 8080 }] } }, ingresses: { shop: { annotations: { [SSL]: v }, rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } } }, 'b.lab.ts');
    expect(lab('False').diagnostics.filter((d) => d.code === 'PL2260')).toEqual([]);
    expect(lab('yes').diagnostics.filter((d) => d.code === 'PL2260').map((d) => d.message)).toEqual([`annotation ${SSL} of Ingress "default/shop" is "yes"`]);
  });

  it('a tls entry without secretName: the default certificate, and still a TLS host', () => {
    const fake = ingress('shop', [rule('shop.example.com', '/')], { tls: [{ hosts: ['shop.example.com'] }] });
    expect(meets([fake], 'shop.example.com')).toBe('308 (ssl-redirect)');
    const block = server(conf([fake]), 'shop.example.com');
    expect(block).toContain("# the controller's default (fake) certificate: TLS without a Secret for this host\n        ssl_certificate /run/x/tls/default.crt;");
    expect(block).toMatch(REDIRECT);
  });

  it('an Ingress with a tls section gives its other rule hosts the default certificate, so they redirect too (createServers)', () => {
    const two = ingress('two', [rule('a.example.com', '/'), rule('b.example.com', '/')], { tls: [{ hosts: ['a.example.com'], secretName: 'a-tls' }] });
    expect(serverCerts([two])).toEqual(new Map<string, ServerCert>([['a.example.com', { file: 'default-a-tls', namespace: 'default', secret: 'a-tls', hosts: ['a.example.com'] }], ['b.example.com', 'default']]));
    expect(meets([two], 'b.example.com')).toBe('308 (ssl-redirect)');
    expect(server(conf([two]), 'b.example.com')).toContain('ssl_certificate /run/x/tls/default.crt;');
  });

  it("a host without a certificate of its own borrows the wildcard's one label up, for SNI and the redirect (certificate.lua)", () => {
    const wild = ingress('wild', [rule('*.example.com', '/')], { tls: [{ hosts: ['*.example.com'], secretName: 'wild-tls' }] });
    const exact = ingress('exact', [rule('a.example.com', '/'), rule('a.b.example.com', '/')]);
    const certs = serverCerts([wild, exact]);
    expect(certFor(certs, 'a.example.com')).toMatchObject({ secret: 'wild-tls' });
    expect(certFor(certs, 'a.b.example.com')).toBeUndefined();
    expect(certFor(certs, '')).toBeUndefined();
    expect(meets([wild, exact], 'a.example.com')).toBe('308 (ssl-redirect)');
    expect(meets([wild, exact], 'x.example.com')).toBe('308 (ssl-redirect)');
    expect(meets([wild, exact], 'a.b.example.com')).toBe('rule');
    expect(server(conf([wild, exact]), 'a.example.com')).toContain('# Secret default/wild-tls\n        ssl_certificate /run/x/tls/default-wild-tls.crt;');
  });

  it('the host-less rules and the catch-all default backend never redirect by ssl-redirect', () => {
    const any = ingress('any', [rule(undefined, '/app')], { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] });
    const shop = ingress('shop', [rule('shop.example.com', '/')]);
    expect(meets([any, shop], 'whatever.example.org', '/app')).toBe('rule');
    expect(meets([any, shop], 'whatever.example.org', '/')).toBe('not-found');
    expect(server(conf([any, shop]), '(any host) and every host no rule names')).not.toContain('$scheme');
  });

  it('/.well-known/acme-challenge is never redirected (no-tls-redirect-locations), forced or not', () => {
    const acme = ingress('acme', [rule('shop.example.com', '/.well-known/acme-challenge', '/')], { annotations: { [FORCE]: 'true' }, tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] });
    expect(meets([acme], 'shop.example.com', '/.well-known/acme-challenge/token')).toBe('rule');
    expect(meets([acme], 'shop.example.com', '/')).toBe('308 (force-ssl-redirect)');
  });
});

describe('force-ssl-redirect: whatever the host', () => {
  it('redirects a host without TLS, even beside ssl-redirect: "false"', () => {
    const legacy = ingress('legacy', [rule('legacy.example.com', '/')], { annotations: { [FORCE]: 'true', [SSL]: 'false' } });
    expect(meets([legacy], 'legacy.example.com')).toBe('308 (force-ssl-redirect)');
    const block = server(conf([legacy]), 'legacy.example.com');
    expect(block).toContain("# the controller's default (fake) certificate: the host has no TLS");
    expect(location(block, '/')).toContain('# plain HTTP is answered 308 to https:// (force-ssl-redirect)');
    expect(location(block, '/')).toMatch(REDIRECT);
    expect(meets([{ ...legacy, annotations: { [FORCE]: 'false' } }], 'legacy.example.com')).toBe('rule');
  });

  it('on host-less rules too, but not on the catch-all default backend (ingress-nginx keeps its rewrite settings)', () => {
    const any = ingress('any', [rule(undefined, '/app')], { annotations: { [FORCE]: 'true' } });
    const fallback = ingress('fallback', [], { annotations: { [FORCE]: 'true' }, defaultBackend: true });
    expect(meets([any, fallback], 'x.example.org', '/app')).toBe('308 (force-ssl-redirect)');
    expect(meets([any, fallback], 'x.example.org', '/other')).toBe('default-backend');
    const block = server(conf([any, fallback]), '(any host) and every host no rule names');
    expect(location(block, '/app/')).toMatch(REDIRECT);
    expect(location(block, '/')).not.toContain('$scheme');
  });
});

describe('per location: each Ingress on a shared host follows its own annotations', () => {
  const secure = ingress('secure', [rule('secure.example.com', '/')], { tls: [{ hosts: ['secure.example.com'], secretName: 'secure-tls' }] });
  const status = ingress('secure-status', [rule('secure.example.com', '/status')], { annotations: { [SSL]: 'false' } });

  it('the TLS comes from one Ingress, the opt-out from the other: only its path stays plain', () => {
    expect(meets([secure, status], 'secure.example.com', '/status')).toBe('rule');
    expect(meets([secure, status], 'secure.example.com', '/')).toBe('308 (ssl-redirect)');
    expect(meets([secure, status], 'secure.example.com', '/status/x')).toBe('308 (ssl-redirect)');
    const block = server(conf([secure, status]), 'secure.example.com');
    expect(location(block, '= /status')).not.toContain('$scheme');
    expect(location(block, '/')).toMatch(REDIRECT);
  });

  it("a host's own root location (no path matched) follows the Ingress that made the server: the first by namespace/name", () => {
    // a-api (ssl-redirect "false") makes the server of shop.example.com; z-web's paths still redirect.
    const first = ingress('a-api', [rule('shop.example.com', '/api')], { annotations: { [SSL]: 'false' }, tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] });
    const second = ingress('z-web', [rule('shop.example.com', '/web')]);
    expect(meets([second, first], 'shop.example.com', '/web')).toBe('308 (ssl-redirect)');
    expect(meets([second, first], 'shop.example.com', '/api')).toBe('rule');
    expect(meets([second, first], 'shop.example.com', '/nothing')).toBe('not-found');
    const block = server(conf([second, first]), 'shop.example.com');
    expect(location(block, '/')).not.toContain('$scheme');
    // The other way round: the server's maker redirects, so does the 404 at its root.
    const swapped = [{ ...first, name: 'z-api' }, { ...second, name: 'a-web' }];
    expect(meets(swapped, 'shop.example.com', '/nothing')).toBe('308 (ssl-redirect)');
    expect(location(server(conf(swapped), 'shop.example.com'), '/')).toMatch(/if \(\$scheme = http\) \{\n\s+return 308 [^\n]+\n\s+\}\n\s+return 404;/);
  });
});

describe('saying so: the decision, the check line and podlab explain --http', () => {
  const plan = buildPlan(validateValue(ingressLab, 'labs/ingress.lab.ts').lab!);
  const ingresses = plan.ingress!.ingresses;

  it('where the redirect sends a request: https://, the host without its port, the URI less one trailing slash', () => {
    expect(httpsLocation('Secure.Example.com:80', '/')).toBe('https://secure.example.com');
    expect(httpsLocation('secure.example.com.', '/a/b/')).toBe('https://secure.example.com/a/b');
    expect(httpsLocation('secure.example.com', '/a/?x=1')).toBe('https://secure.example.com/a/?x=1');
    expect(httpsLocation('secure.example.com', '/a?b=c')).toBe('https://secure.example.com/a?b=c');
  });

  it('a failing check through the controller is told that plain HTTP is redirected', () => {
    const table = buildRoutes(ingresses);
    expect(describeDecision(route(table, 'secure.example.com', '/'))).toBe(
      'matched Ingress default/secure rule secure.example.com Prefix / → Service default/web:80; plain HTTP is answered 308 to https:// (ssl-redirect: the host has TLS)',
    );
    expect(describeDecision(route(table, 'secure.example.com', '/'), false)).toBe('matched Ingress default/secure rule secure.example.com Prefix / → Service default/web:80');
    expect(describeDecision(route(table, 'shop.example.com', '/api'))).not.toContain('308');
  });

  it('a check that met an unasked-for 308: where it points, the page by its title, one line, definite; over HTTPS no redirect note, but a fake certificate is named', () => {
    const LB = 'lb/ingress-nginx/ingress-nginx-controller';
    const p = planFrom({ ...ingressLab, name: 'redir-unit', checks: [
      { kind: 'http', from: 'host/internet', to: LB, host: 'secure.example.com', expectService: 'web' },
      { kind: 'http', from: 'host/internet', to: LB, https: true, sni: 'secure.example.com', path: '/nowhere-else', expectService: 'api' },
      { kind: 'http', from: 'host/internet', to: LB, https: true, sni: 'blog.example.com', expectService: 'api' },
    ] });
    const page = '<html>\r\n<head><title>308 Permanent Redirect</title></head>\r\n<body>\r\n<center><h1>308 Permanent Redirect</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
    const out = { exitCode: 0, stdout: `${page}\n@@podlab-status 308 https://secure.example.com\n`, stderr: '' };
    expect(readCurl(out)).toMatchObject({ ok: true, status: 308, location: 'https://secure.example.com' });
    const v = http.judge(p, p.checks[0] as HttpCheck<'plan'>, out, testAttempt(1));
    expect(v).toMatchObject({ ok: false, definite: true });
    expect(v.seen).toMatch(/^HTTP 308 → https:\/\/secure\.example\.com: 308 Permanent Redirect \(an HTML page\) — /);
    expect(v.seen).not.toContain('\n');
    expect(bodyExcerpt('{"a":\n  1}')).toBe('{"a": 1}');
    // Asked for: the status and where it points.
    const want = (location: string) => ({ ...(p.checks[0] as HttpCheck<'plan'>), expectService: undefined, expectStatus: 308, expectLocation: location }) as HttpCheck<'plan'>;
    expect(http.judge(p, want('https://secure.example.com'), out, testAttempt(1))).toMatchObject({ ok: true, expected: expect.stringContaining('Location https://secure.example.com') });
    const elsewhere = http.judge(p, want('https://secure.example.com/x'), out, testAttempt(1));
    expect(elsewhere).toMatchObject({ ok: false });
    expect(elsewhere.seen).toContain('Location was https://secure.example.com');
    expect(curlArgv(want('https://secure.example.com'))).toContain('\\n@@podlab-status %{http_code} %{redirect_url}\\n');
    // Over HTTPS the redirect of plain HTTP is not the story; a host without TLS of its own meets the fake certificate.
    expect((p.checks[1] as HttpCheck<'plan'>).ingressRoute).not.toContain('308');
    expect((p.checks[2] as HttpCheck<'plan'>).ingressRoute).toContain("over HTTPS blog.example.com meets the controller's default (fake) certificate: no tls entry lists it");
  });

  it('an https check to a host without a certificate of its own is warned at validate (PL2014), and a failing one says why in its words', () => {
    const LB = 'lb/ingress-nginx/ingress-nginx-controller';
    const web = { service: { name: 'web', port: { number: 80 } } };
    const spec = {
      ...ingressLab,
      name: 'nocert-unit',
      ingresses: {
        ...ingressLab.ingresses,
        // Two rule hosts, one in the tls entry: www meets the default certificate (ingress-nginx gives it to every rule host of an Ingress with tls).
        extra: { rules: ['a.example.org', 'www.example.org'].map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix' as const, backend: web }] } })), tls: [{ hosts: ['a.example.org'], secretName: 'a-tls' }] },
      },
      checks: [
        { kind: 'http' as const, from: 'host/internet', to: LB, https: true, sni: 'a.example.org' },
        { kind: 'http' as const, from: 'host/internet', to: LB, https: true, sni: 'www.example.org' },
        { kind: 'http' as const, from: 'host/internet', to: LB, https: true, host: 'blog.example.com' },
        { kind: 'http' as const, from: 'host/internet', to: LB, https: true, sni: 'www.example.org', expect: 'no-reach' as const },
        { kind: 'http' as const, from: 'host/internet', to: LB, host: 'www.example.org', expectStatus: 308 },
      ],
    };
    const warned = validateValue(spec, 'nocert.lab.ts').diagnostics.filter((d) => d.code === 'PL2014');
    expect(warned.map((d) => [d.severity, d.path.join('.')])).toEqual([
      ['warning', 'checks.1.sni'],
      ['warning', 'checks.2.host'],
    ]);
    expect(warned[0]!.message).toContain('speaks HTTPS to www.example.org, but no tls entry of an Ingress lists it');
    expect(warned[0]!.hint).toContain("Add 'www.example.org' to the hosts of a tls entry of Ingress default/extra");
    // Its tls entry lists a.example.org only: the reason is that, not a Secret missing from an entry for www.
    const p = planFrom(spec);
    expect((p.checks[1] as HttpCheck<'plan'>).ingressRoute).toContain("over HTTPS www.example.org meets the controller's default (fake) certificate: no tls entry lists it");
  });

  it('labs/ingress.lab.ts: secure.example.com redirects but for /status; shop opted out', () => {
    expect(explainHttp(ingresses, 'secure.example.com', '/a/?x=1')).toMatchObject({
      scheme: 'http',
      redirect: { status: 308, location: 'https://secure.example.com/a/?x=1', because: 'ssl-redirect' },
      decision: 'rule',
      service: 'default/web:80',
    });
    expect(explainHttp(ingresses, 'secure.example.com', '/', 'https').redirect).toBeUndefined();
    expect(explainHttp(ingresses, 'secure.example.com', '/status').redirect).toBeUndefined();
    expect(explainHttp(ingresses, 'shop.example.com', '/').redirect).toBeUndefined();
    const text = conf(ingresses);
    expect(location(server(text, 'secure.example.com'), '= /status')).not.toContain('$scheme');
    expect(server(text, 'shop.example.com')).not.toContain('$scheme');
  });
});
