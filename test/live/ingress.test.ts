/**
 * Live Ingress: labs/ingress.lab.ts (renamed) built for real on nginx, and the points of the
 * Ingress issue checked with real requests from the "internet" host through the load-balancer
 * address: routing by path and host, wildcard hosts, the default backend, TLS with SNI against
 * the lab's CA, plain HTTP redirected to HTTPS per location as ingress-nginx does (the lab plus
 * one Ingress with force-ssl-redirect), the forwarding headers, a backend re-created (nginx
 * reloads, traffic follows), nginx's confinement (contained: its own uid, read-only but for its
 * run directory, in the pod's network and mount namespaces) and `down` leaving nothing behind.
 */
import { readFileSync, readlinkSync, statSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { PODLAB_UIDS } from '../../src/constants.ts';
import { describe, expect, it } from 'vitest';
import ingressLab from '../../labs/ingress.lab.ts';
import { runChecks } from '../../src/check/run.ts';
import { down } from '../../src/runtime/down.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { readState } from '../../src/runtime/state.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();

interface Echo {
  pod: string;
  path: string;
  host: string;
  headers: Record<string, string>;
}

describe.skipIf(!live)('live Ingress on nginx (labs/ingress.lab.ts)', () => {
  const name = 'ingress-live';
  let before: ScopedSnapshot;
  // The example lab, and one Ingress more: force-ssl-redirect on a host without TLS.
  const legacy = { annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' }, rules: [{ host: 'legacy.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] };
  const state = labAroundSuite({ ...ingressLab, name, ingresses: { ...ingressLab.ingresses, legacy } }, { beforeUp: async () => { before = await scopedSnapshot([name]); } }).lab;
  const lb = () => state().plan.services.find((s) => s.name === 'ingress-nginx-controller')!.loadBalancerIP!;
  const ca = () => `${state().plan.ingress!.tlsDir}/ca.crt`;

  /** curl from the internet host; returns the exit code, status and the echo (when the answer is one). */
  async function get(args: string[]): Promise<{ exit: number; status: number; echo?: Echo; stderr: string }> {
    const r = await inLab(state(), 'host/internet', ['curl', '-sS', '--max-time', '3', '-o', '-', '-w', '\\n%{http_code}', ...args]);
    const lines = r.stdout.split('\n');
    const status = Number(lines.at(-1));
    let echo: Echo | undefined;
    try {
      echo = JSON.parse(lines.slice(0, -1).join('\n'));
    } catch {
      /* not an echo */
    }
    return { exit: r.exitCode ?? -1, status, echo, stderr: r.stderr };
  }
  const http = (host: string, path = '/') => get(['-H', `Host: ${host}`, `http://${lb()}${path}`]);
  const https = (sni: string, path = '/') => get(['--resolve', `${sni}:443:${lb()}`, '--cacert', ca(), `https://${sni}${path}`]);
  /** Plain HTTP, the answer's status line and Location header (curl does not follow it). */
  async function plain(host: string, path = '/'): Promise<{ status: number; location?: string }> {
    const r = await inLab(state(), 'host/internet', ['curl', '-sS', '--max-time', '3', '-o', '/dev/null', '-D', '-', '-H', `Host: ${host}`, `http://${lb()}${path}`]);
    return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(r.stdout)?.[1]), location: /^location: (\S+)\r?$/im.exec(r.stdout)?.[1] };
  }

  it('passes every check of the example lab', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.length).toBe(ingressLab.checks!.length);
  }, 120_000);

  it('routes by path on one host (Prefix is element-wise) and by host, exact and one-label wildcard', async () => {
    expect((await http('shop.example.com', '/api/v1?x=1')).echo).toMatchObject({ pod: 'api-1', path: '/api/v1?x=1', host: 'shop.example.com' });
    expect((await http('shop.example.com', '/api')).echo?.pod).toBe('api-1');
    expect((await http('shop.example.com', '/apiary')).echo?.pod).toMatch(/^web-/);
    expect((await http('blog.example.com')).echo?.pod).toBe('blog-1');
    expect((await http('Dev.Blog.example.com')).echo?.pod).toBe('blog-1');
    // Two labels below the wildcard, or an unknown host: the default backend.
    expect((await http('a.dev.blog.example.com')).echo?.pod).toBe('fallback');
    expect((await http('nothing.example.org')).echo?.pod).toBe('fallback');
  });

  it('balances over the ready endpoints (round robin, not through the ClusterIP)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await http('shop.example.com')).echo!.pod);
    expect(seen).toEqual(new Set(['web-1', 'web-2']));
    const conf = readFileSync(state().plan.ingress!.confFile, 'utf8');
    const web = state().plan.services.find((s) => s.name === 'web')!;
    expect(conf).not.toContain(web.clusterIP);
    expect(conf).toContain(`server ${readState(name)!.pods['web-1']!.ip}:8080;`);
  });

  it('sets X-Forwarded-For/-Proto/-Host and X-Real-IP, keeping path, query and headers', async () => {
    const a = await get(['-H', 'Host: shop.example.com', '-H', 'X-Custom: kept', `http://${lb()}/api/x?y=z`]);
    expect(a.echo!.path).toBe('/api/x?y=z');
    expect(a.echo!.headers).toMatchObject({ 'x-forwarded-host': 'shop.example.com', 'x-forwarded-proto': 'http', 'x-forwarded-port': '80', 'x-custom': 'kept' });
    // The LoadBalancer Service (externalTrafficPolicy Cluster) SNATs to a node: that is the client nginx saw.
    expect(a.echo!.headers['x-real-ip']).toBe(a.echo!.headers['x-forwarded-for']);
    const s = await https('shop.example.com', '/api');
    expect(s.echo!.headers['x-forwarded-proto']).toBe('https');
  });

  it('terminates TLS with the certificate SNI asks for, issued by the lab CA; other hosts get the fake certificate', async () => {
    const ok = await https('shop.example.com', '/');
    expect(ok.exit).toBe(0);
    expect(ok.echo?.pod).toMatch(/^web-/);
    expect((await https('secure.example.com')).exit).toBe(0);
    // blog.example.com has no TLS: nginx answers with the default certificate, which is not for it.
    const bad = await https('blog.example.com');
    expect(bad.exit).toBe(60);
    expect(bad.stderr).toMatch(/certificate/i);
  });

  it('redirects plain HTTP to HTTPS per location: a TLS host by default, not the paths of an Ingress saying ssl-redirect "false", any host with force-ssl-redirect', async () => {
    // secure.example.com has TLS and says nothing: 308 to https://, the URI kept but one trailing slash.
    expect(await plain('secure.example.com')).toEqual({ status: 308, location: 'https://secure.example.com' });
    expect(await plain('secure.example.com', '/a/b/')).toEqual({ status: 308, location: 'https://secure.example.com/a/b' });
    expect(await plain('Secure.Example.com:80', '/a?b=c')).toEqual({ status: 308, location: 'https://secure.example.com/a?b=c' });
    // /status of the same host is Ingress secure-status's, which says ssl-redirect "false".
    expect((await http('secure.example.com', '/status')).echo?.pod).toMatch(/^web-/);
    expect(await plain('secure.example.com', '/status/')).toMatchObject({ status: 308 });
    // shop.example.com has TLS but opts out; blog.example.com has no TLS.
    expect((await http('shop.example.com')).status).toBe(200);
    expect((await http('blog.example.com')).status).toBe(200);
    // force-ssl-redirect: redirected though the host has no TLS (HTTPS then meets the default certificate).
    expect(await plain('legacy.example.com', '/x/')).toEqual({ status: 308, location: 'https://legacy.example.com/x' });
    expect((await https('legacy.example.com')).exit).toBe(60);
    // What podlab explain --http says of the same requests.
    const { explainHttp } = await import('../../src/ingress/explain.ts');
    expect(explainHttp(state().plan.ingress!.ingresses, 'secure.example.com', '/a/b/').redirect?.location).toBe('https://secure.example.com/a/b');
    expect(explainHttp(state().plan.ingress!.ingresses, 'legacy.example.com', '/x/').redirect).toMatchObject({ status: 308, location: 'https://legacy.example.com/x', because: 'force-ssl-redirect' });
    expect(explainHttp(state().plan.ingress!.ingresses, 'secure.example.com', '/status').redirect).toBeUndefined();
  });

  it('runs nginx contained in the controller pod: its own uid, no capabilities, its network and mount namespaces', async () => {
    const rec = readState(name)!.pods['controller']!.containers['controller']!;
    const master = rec.pid;
    const status = readFileSync(`/proc/${master}/status`, 'utf8');
    const uid = PODLAB_UIDS.container;
    const u = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    expect(u).toBeGreaterThanOrEqual(uid.first);
    expect(u).toBeLessThan(uid.first + uid.count);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${u}\\s+${u}\\s+${u}\\s+${u}$`, 'm'));
    expect(status).toMatch(/^CapEff:\s+0000000000000000$/m);
    expect(status).toMatch(/^CapBnd:\s+0000000000000000$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    const pod = state().plan.pods.find((p) => p.name === 'controller')!;
    expect(readlinkSync(`/proc/${master}/ns/net`)).toBe(`net:[${statSync(`/run/netns/${pod.netns}`).ino}]`);
    expect(readlinkSync(`/proc/${master}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
    // No private key is readable by anyone but its owner: the controller's uid for the leaves, root for the CA.
    expect(statSync(`${state().plan.ingress!.tlsDir}/default-shop-tls.key`).mode & 0o077).toBe(0);
    expect(statSync(`${state().plan.ingress!.tlsDir}/default-shop-tls.key`).uid).toBe(u);
    expect(statSync(`${state().plan.ingress!.tlsDir}/ca.key`).uid).toBe(0);
  });

  it('lets nginx write its run directory and nothing else (contain --writable)', async () => {
    const master = readState(name)!.pods['controller']!.containers['controller']!.pid;
    const u = String(statSync(`/proc/${master}`).uid);
    const ing = state().plan.ingress!;
    // The attacker is nginx itself: a shell in its mount and network namespaces, as its uid, no capabilities.
    const asNginx = (script: string) =>
      execa('nsenter', ['-t', String(master), '--mount', '--net', '-S', u, '-G', u, '--', 'setpriv', '--no-new-privs', '--bounding-set=-all', '--inh-caps=-all', '--', 'sh', '-c', script], { reject: false });
    const ok = await asNginx(`echo ok > ${ing.runDir}/attack && cat ${ing.runDir}/attack`);
    expect(ok.stdout).toBe('ok');
    expect(readFileSync(`${ing.runDir}/attack`, 'utf8')).toBe('ok\n');
    for (const target of [`${ing.tlsDir}/planted`, `${dirname(ing.runDir)}/planted`, `${dirname(ing.confFile)}/nginx.conf`, '/etc/podlab-planted', '/var/tmp/podlab-planted', '/root/podlab-planted', `${process.cwd()}/podlab-planted`]) {
      const r = await asNginx(`echo pwned > '${target}'`);
      expect(r.exitCode, target).not.toBe(0);
      // Read-only, not ours, or not there at all (a checkout under /tmp is hidden by nginx's private /tmp).
      expect(r.stderr, target).toMatch(/Read-only file system|Permission denied|Directory nonexistent/);
      if (target.endsWith('nginx.conf')) expect(readFileSync(target, 'utf8')).not.toContain('pwned');
      else expect(existsSync(target), target).toBe(false);
    }
    // The CA's key is not nginx's to read.
    expect((await asNginx(`cat ${ing.tlsDir}/ca.key`)).exitCode).not.toBe(0);
    // Seen from its mountinfo: the run directory is the only writable mount outside its own /tmp, /dev/shm and /proc.
    const rw = readFileSync(`/proc/${master}/mountinfo`, 'utf8').trim().split('\n').map((l) => l.split(' ')).filter((f) => f[5]!.split(',').includes('rw')).map((f) => f[4]!);
    expect(rw.filter((m) => !['/tmp', '/dev/shm'].includes(m) && !m.startsWith('/proc')).sort()).toEqual([ing.runDir]);
  });

  it('follows a re-created backend: nginx reloads (same master) with the new address and traffic goes there', async () => {
    const master = readState(name)!.pods['controller']!.containers['controller']!.pid;
    const { oldIp, ip } = await recreatePod(realExecutor, readState(name)!, 'api-1');
    expect(ip).not.toBe(oldIp);
    const conf = readFileSync(state().plan.ingress!.confFile, 'utf8');
    expect(conf).toContain(`server ${ip}:9000;`);
    expect(conf).not.toContain(`server ${oldIp}:9000;`);
    // The sync returned once nginx runs the new configuration: the very next request reaches the new pod.
    const a = await http('shop.example.com', '/api');
    expect(a.status).toBe(200);
    expect(a.echo?.pod).toBe('api-1');
    expect(readState(name)!.pods['controller']!.containers['controller']!.pid).toBe(master);
  });

  it('down stops nginx and removes everything, certificates included', async () => {
    const master = readState(name)!.pods['controller']!.containers['controller']!.pid;
    const tls = state().plan.ingress!.tlsDir;
    await down(name);
    expect(existsSync(`/proc/${master}`)).toBe(false);
    expect(existsSync(tls)).toBe(false);
    expect(await scopedSnapshot([name])).toEqual(before);
  });
});
