/**
 * Cluster DNS in the plan and render: the kube-system pod and kube-dns Service podlab adds, the
 * resolv.conf kubelet would write for each dnsPolicy, the cluster view, and the DNS check's
 * command and judge (on dig output recorded from a live lab).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderResolvConf, resolvConf, type ResolvInput } from '../../src/dns/cluster.ts';
import { defaultCorefile } from '../../src/dns/corefile/defaults.ts';
import { loadCorefile } from '../../src/dns/corefile/setup.ts';
import { dns, parseDig } from '../../src/check/kinds/dns.ts';
import { pauseArgv, render } from '../../src/render/render.ts';
import type { LabSpec } from '../../src/index.ts';
import { planFrom } from '../live/host.ts';
import type { PlanCheck } from '../../src/plan/plan.ts';

const cluster = { serviceIP: '10.96.0.10', domain: 'cluster.local' };
const base: ResolvInput = { policy: 'ClusterFirst', hostNetwork: false, namespace: 'shop', cluster, nodeNameservers: ['203.0.113.53'] };

describe('resolv.conf per dnsPolicy (kubelet)', () => {
  it('ClusterFirst: the DNS Service, the namespace search list, ndots:5', () => {
    expect(resolvConf(base)).toEqual({ nameservers: ['10.96.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] });
  });
  it('ClusterFirst on a hostNetwork pod falls back to Default; ClusterFirstWithHostNet does not', () => {
    expect(resolvConf({ ...base, hostNetwork: true })).toEqual({ nameservers: ['203.0.113.53'], searches: [], options: [] });
    expect(resolvConf({ ...base, hostNetwork: true, policy: 'ClusterFirstWithHostNet' }).nameservers).toEqual(['10.96.0.10']);
  });
  it('ClusterFirst without cluster DNS (dns: false) falls back to Default', () => {
    expect(resolvConf({ ...base, cluster: undefined }).nameservers).toEqual(['203.0.113.53']);
  });
  it('Default: the node resolvers only; None: dnsConfig only', () => {
    expect(resolvConf({ ...base, policy: 'Default' })).toEqual({ nameservers: ['203.0.113.53'], searches: [], options: [] });
    const none = resolvConf({ ...base, policy: 'None', dnsConfig: { nameservers: ['9.9.9.9'], searches: ['db1.ns1.svc.cluster.local'], options: [] } });
    expect(none).toEqual({ nameservers: ['9.9.9.9'], searches: ['db1.ns1.svc.cluster.local'], options: [] });
  });
  it('dnsConfig merges: nameservers appended (at most 3), searches appended without duplicates, options replaced by name', () => {
    const r = resolvConf({
      ...base,
      dnsConfig: { nameservers: ['10.96.0.10', '1.1.1.1', '2.2.2.2', '3.3.3.3'], searches: ['svc.cluster.local', 'corp.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
    });
    expect(r.nameservers).toEqual(['10.96.0.10', '1.1.1.1', '2.2.2.2']);
    expect(r.searches).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example']);
    expect(r.options).toEqual(['ndots:2', 'edns0']);
  });
  it('renders as resolv(5) text', () => {
    expect(renderResolvConf(resolvConf(base), 'banner')).toBe('# banner\nnameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
  });
});

describe('the cluster DNS in a plan', () => {
  const spec: LabSpec = {
    name: 'p',
    nodes: { a: {}, cp: { role: 'control-plane' } },
    pods: { web: { node: 'a', labels: { app: 'web' } }, db: { node: 'a', hostname: 'db-0', subdomain: 'db', labels: { app: 'db' } } },
    services: { web: { selector: { app: 'web' }, ports: [{ port: 80 }] }, db: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] } },
  };

  it('adds kube-system/coredns on the control-plane node after the authors pods, and kube-dns at .10', () => {
    const p = planFrom(spec);
    expect(p.pods.map((x) => `${x.namespace}/${x.name}@${x.node}:${x.ip}`)).toEqual(['default/web@a:10.244.0.2', 'default/db@a:10.244.0.3', 'kube-system/coredns@cp:10.244.1.2']);
    const kubeDns = p.services.find((s) => s.name === 'kube-dns')!;
    expect(kubeDns).toMatchObject({ namespace: 'kube-system', clusterIP: '10.96.0.10' });
    expect(kubeDns.ports.map((x) => `${x.port}/${x.protocol}`)).toEqual(['53/UDP', '53/TCP', '9153/TCP']);
    expect(p.endpoints['kube-system/kube-dns']!.map((e) => e.ip)).toEqual(['10.244.1.2']);
    expect(p.dns).toMatchObject({ serviceIP: '10.96.0.10', node: 'cp', corefileGiven: false });
    expect(p.pods.find((x) => x.name === 'coredns')!.resolv.nameservers).toEqual([]);
  });

  it('dns: false adds nothing, and pods fall back to the node resolvers', () => {
    const p = planFrom({ ...spec, dns: false });
    expect(p.pods.map((x) => x.name)).toEqual(['web', 'db']);
    expect(p.services.map((s) => s.name)).toEqual(['web', 'db']);
    expect(p.dns).toBeUndefined();
    expect(p.pods[0]!.resolv).toEqual({ nameservers: [], searches: [], options: [] });
  });

  it('renders the Corefile, the cluster view and each pod\'s resolv.conf and hosts', () => {
    const files = render(planFrom(spec));
    expect(files.get('dns/Corefile')).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa');
    const view = JSON.parse(files.get('dns/cluster.json')!);
    expect(view.endpoints.find((e: { service: string }) => e.service === 'db').addresses).toEqual([{ ip: '10.244.0.3', hostname: 'db-0', podName: 'db', nodeName: 'a', ready: true }]);
    expect(files.get('pods/db/hosts')).toContain('10.244.0.3\tdb-0.db.default.svc.cluster.local\tdb-0');
    expect(files.get('pods/web/resolv.conf')).toContain('search default.svc.cluster.local svc.cluster.local cluster.local');
  });

  it("a hostNetwork pod's sandbox gets its own resolv.conf (ClusterFirstWithHostNet: the cluster's) and its node's hosts, in the node's network", () => {
    const plan = planFrom({ ...spec, pods: { ...spec.pods, hn: { node: 'a', hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', containers: [{ name: 'c', command: ['sleep', 'infinity'] }] }, hd: { node: 'a', hostNetwork: true } } });
    const files = render(plan);
    expect(files.get('pods/hn/resolv.conf')).toMatch(/^nameserver 10\.96\.0\.10\nsearch default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\noptions ndots:5$/m);
    expect(files.get('pods/hd/resolv.conf')).not.toContain('nameserver');
    expect(files.get('pods/hn/hosts')).toBe(files.get('nodes/a/hosts')!);
    const hn = plan.pods.find((p) => p.name === 'hn')!;
    const argv = pauseArgv(plan, hn, 'pause', 'files');
    expect(argv.slice(0, 5)).toEqual(['pause', '--netns', `/run/netns/${plan.nodes.find((n) => n.name === 'a')!.netns}`, '--hostname', 'a']);
    expect(argv.find((x) => x.startsWith('/etc/resolv.conf='))).toContain('nameserver 10.96.0.10');
    // The node's sysctl for low ports is written once by up, not by each hostNetwork sandbox.
    expect(argv).not.toContain('--low-ports');
  });

  it("kubeadm's default Corefile loads without a single issue", () => {
    expect(loadCorefile(defaultCorefile('cluster.local')).issues).toEqual([]);
  });
});

// Recorded from `podlab exec dns client -- dig +search web` and friends on a live lab.
const DIG_WEB = readFileSync('test/fixtures/outputs/dig-web.txt', 'utf8');
const DIG_SRV = `
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1
;; ANSWER SECTION:
_postgres._tcp.db.shop.svc.cluster.local. 30 IN	SRV 0 50 5432 db-0.db.shop.svc.cluster.local.
_postgres._tcp.db.shop.svc.cluster.local. 30 IN	SRV 0 50 5432 db-1.db.shop.svc.cluster.local.

`;
const DIG_NX = `;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 2\n;; flags: qr aa rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1\n`;
const DIG_TIMEOUT = `;; communications error to 10.96.0.10#53: timed out\n\n; <<>> DiG 9.18.41 <<>> web\n;; global options: +cmd\n;; no servers could be reached\n`;

describe('the DNS check', () => {
  const plan = planFrom({
    name: 'c',
    nodes: { a: {} },
    namespaces: ['shop'],
    pods: { client: { node: 'a' }, 'db-0': { namespace: 'shop', node: 'a', labels: { app: 'db' } } },
    services: { web: { ports: [{ port: 80 }] } },
    checks: [
      { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['svc/web'] },
      { kind: 'dns', from: 'client', query: '_postgres._tcp.db.shop.svc.cluster.local.', type: 'SRV', tcp: true, server: 'svc/kube-system/kube-dns', expectAnswers: ['db-1.db.shop.svc.cluster.local'] },
      { kind: 'dns', from: 'client', query: 'nope', expectRcode: 'NXDOMAIN' },
      { kind: 'dns', from: 'client', query: '10.96.0.10', type: 'PTR', expectAnswers: ['kube-dns.kube-system.svc.cluster.local'] },
    ],
  });
  const [web, srv, nx, ptr] = plan.checks as PlanCheck<'dns'>[];
  const out = (stdout: string, exitCode = 0) => ({ stdout, stderr: '', exitCode });

  it('builds dig with the search list for relative names, @server, +tcp, and -x for PTR', () => {
    expect(dns.probe(web!, '')).toEqual(['dig', '+tries=1', '+time=1', '+search', 'web', 'A']);
    expect(dns.probe(srv!, '')).toEqual(['dig', '+tries=1', '+time=1', '+tcp', '@10.96.0.10', '_postgres._tcp.db.shop.svc.cluster.local.', 'SRV']);
    expect(dns.probe(ptr!, '')).toEqual(['dig', '+tries=1', '+time=1', '-x', '10.96.0.10']);
  });

  it('reads dig: status and answer records', () => {
    expect(parseDig(DIG_WEB)).toEqual({ status: 'NOERROR', answers: [{ name: 'web.default.svc.cluster.local.', ttl: 30, type: 'A', data: '10.96.0.1' }] });
    expect(parseDig(DIG_TIMEOUT)).toMatchObject({ answers: [], error: 'communications error to 10.96.0.10#53: timed out' });
  });

  it('passes when svc/web resolves to its cluster IP; fails naming what was seen otherwise', () => {
    expect(dns.judge(plan, web!, out(DIG_WEB))).toMatchObject({ ok: true, seen: 'NOERROR: web.default.svc.cluster.local. A 10.96.0.1' });
    const wrong = dns.judge(plan, web!, out(DIG_WEB.replace('10.96.0.1\n', '10.96.0.7\n')));
    expect(wrong.ok).toBe(false);
    expect(wrong.seen).toContain('missing 10.96.0.1');
  });

  it('matches an SRV target among the record fields; an NXDOMAIN check passes only on NXDOMAIN', () => {
    expect(dns.judge(plan, srv!, out(DIG_SRV)).ok).toBe(true);
    expect(dns.judge(plan, nx!, out(DIG_NX)).ok).toBe(true);
    expect(dns.judge(plan, nx!, out(DIG_WEB))).toMatchObject({ ok: false });
  });

  it('no answer at all is a failure that says why', () => {
    expect(dns.judge(plan, web!, out(DIG_TIMEOUT, 9))).toEqual({ ok: false, expected: 'A web: NOERROR, answers include 10.96.0.1', seen: 'no DNS answer (communications error to 10.96.0.10#53: timed out)' });
  });
});
