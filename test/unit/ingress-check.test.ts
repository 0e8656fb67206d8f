/**
 * The http check through an ingress: the curl command it builds (Host header, SNI with --resolve,
 * the lab CA) and its judge on curl output recorded from labs/ingress.lab.ts live
 * (test/fixtures/outputs/curl-*.json): which Service answered, the headers the backend saw, a
 * certificate that does not fit, and the ingress rule a failing check names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ingressLab from '../../labs/ingress.lab.ts';
import { curlArgv, http, readCurl, type HttpCheck } from '../../src/check/kinds/http.ts';
import type { CheckSpec } from '../../src/schema/lab-schema.ts';
import { planFrom } from '../live/host.ts';
import { provenCurl, testAttempt } from './proofs.ts';

const recorded = (name: string) => JSON.parse(readFileSync(`test/fixtures/outputs/${name}.json`, 'utf8')) as { exitCode: number; stdout: string; stderr: string };
const LB = 'lb/ingress-nginx/ingress-nginx-controller';

const specs: CheckSpec[] = [
  { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/api/v1', expectService: 'api' },
  { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/api/v1', expectService: 'web' },
  { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', requests: 4, expectService: 'web', expectSpread: 2 },
  { kind: 'http', from: 'host/internet', to: LB, https: true, sni: 'shop.example.com', path: '/api', expectHeaders: { 'X-Forwarded-Proto': 'https', 'x-forwarded-host': 'shop.example.com' } },
  { kind: 'http', from: 'host/internet', to: LB, https: true, sni: 'blog.example.com' },
  { kind: 'http', from: 'host/internet', to: LB, host: 'nowhere.example.org', path: '/x', expectService: 'web' },
];
const plan = planFrom({ ...ingressLab, name: 'ingress-unit', checks: specs });
const check = (i: number) => plan.checks[i] as HttpCheck<'plan'>;
/** One attempt's nonces, and the recorded answers as their pods' http-echo proves them for those (test/unit/proofs.ts). */
const attempt = testAttempt(4);
const proven = (name: string) => {
  const r = recorded(name);
  return { ...r, stdout: provenCurl(plan, r.stdout, attempt) };
};
const judge = (i: number, output: string) => http.judge(plan, check(i), proven(output), attempt);

describe('http checks through the ingress: their default names', () => {
  it('say the request (scheme, host, path), so two checks of one controller are told apart in every report', () => {
    expect(plan.checks.slice(0, 5).map((c) => c.name)).toEqual([
      `http host/internet → ${LB}: http://shop.example.com/api/v1`,
      `http host/internet → ${LB}: http://shop.example.com/api/v1`,
      `http host/internet → ${LB}: http://shop.example.com/`,
      `http host/internet → ${LB}: https://shop.example.com/api`,
      `http host/internet → ${LB}: https://blog.example.com/`,
    ]);
  });
});

describe('http checks through the ingress: the curl command', () => {
  it('sends the Host header to the load-balancer address', () => {
    const argv = curlArgv(check(0));
    expect(argv).toContain('Host: shop.example.com');
    expect(argv.at(-1)).toBe(`http://${check(0).to.ip}:80/api/v1`);
  });

  it('speaks HTTPS to port 443 with the server name as SNI, verified against the lab CA', () => {
    const argv = curlArgv(check(3));
    expect(argv.at(-1)).toBe('https://shop.example.com:443/api');
    expect(argv).toContain(`shop.example.com:443:${check(3).to.ip}`);
    expect(argv[argv.indexOf('--cacert') + 1]).toBe('/run/podlab/ingress-unit/ingress/tls/ca.crt');
    expect(argv).not.toContain('--insecure');
  });

  it('sends `requests` requests', () => {
    expect(curlArgv(check(2)).filter((a) => a.startsWith('http://'))).toHaveLength(4);
  });
});

describe('http checks through the ingress: judged on recorded curl output', () => {
  it('reads each answer and its status', () => {
    const r = readCurl(recorded('curl-host-spread'));
    expect(r.ok).toBe(true);
    expect(r.answers?.map((a) => a.pod)).toEqual(['web-1', 'web-2', 'web-1', 'web-2']);
  });

  it('passes when the expected Service answered', () => {
    expect(judge(0, 'curl-host-one')).toMatchObject({ ok: true, expected: expect.stringContaining('answered by Service api') });
    expect(judge(2, 'curl-host-spread').ok).toBe(true);
  });

  it('fails when another Service answered, naming the rule the router chose', () => {
    const v = judge(1, 'curl-host-one');
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('answered by pod api-1, not a pod of Service web (web-1, web-2)');
    expect(v.seen).toContain('[ingress: matched Ingress default/shop rule shop.example.com Prefix /api → Service default/api:8080]');
  });

  it('names the default backend when no rule matches', () => {
    const v = judge(5, 'curl-host-one');
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('[ingress: no rule matched (no rule for this host) → default backend Service default/fallback:80 of Ingress default/fallback]');
  });

  it('expectPath as written reaches the planned check (it was dropped there, so a rewrite went unchecked)', () => {
    const p = planFrom({ ...ingressLab, name: 'ingress-unit', checks: [{ kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/api/v1', expectPath: '/old' }] });
    const planned = p.checks[0] as HttpCheck<'plan'>;
    expect(planned.expectPath).toBe('/old');
    const v = http.judge(p, planned, { ...recorded('curl-host-one'), stdout: provenCurl(p, recorded('curl-host-one').stdout, attempt) }, attempt);
    expect(v).toMatchObject({ ok: false, expected: expect.stringContaining('server saw path /old') });
  });

  it('checks the path the backend was sent (expectPath: what a rewrite-target made of it)', () => {
    expect(http.judge(plan, { ...check(0), expectPath: '/api/v1' }, proven('curl-host-one'), attempt)).toMatchObject({ ok: true, expected: expect.stringContaining('server saw path /api/v1') });
    const rewritten = http.judge(plan, { ...check(0), expectPath: '/v1' }, proven('curl-host-one'), attempt);
    expect(rewritten.ok).toBe(false);
    expect(rewritten.seen).toContain('server saw path /api/v1');
  });

  it('checks the forwarding headers the backend saw', () => {
    expect(judge(3, 'curl-https-sni')).toMatchObject({ ok: true });
    const wrong = http.judge(plan, { ...check(3), expectHeaders: { 'x-forwarded-proto': 'http' } }, proven('curl-https-sni'), attempt);
    expect(wrong.ok).toBe(false);
    expect(wrong.seen).toContain('server saw x-forwarded-proto: https');
  });

  it('fails on a certificate that is not for the server name, with curl\'s own reason', () => {
    const v = judge(4, 'curl-https-wrong-cert');
    expect(v.ok).toBe(false);
    expect(v.seen).toContain("curl: (60) SSL: no alternative certificate subject name matches target host name 'blog.example.com'");
  });
});
