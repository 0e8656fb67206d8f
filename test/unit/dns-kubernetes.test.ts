/**
 * The `kubernetes` plugin's answers, as a table: question (and config change) → rcode and the
 * records of each section, written as zone-file lines. Expected values follow the Kubernetes DNS
 * specification 1.1.0 and CoreDNS's own tests (plugin/kubernetes/handler_test.go): SRV weights
 * shared out of 100, SOA `ns.dns.<zone> hostmaster.<zone> <serial> 7200 1800 86400 <ttl>`.
 */
import type { Answer, OptAnswer, Packet } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { kubernetesPlugin, lookupKubernetes } from '../../src/dns/plugin/kubernetes/handler.ts';
import type { ClusterView, DnsRequest, DnsResponse, KubernetesConfig } from '../../src/dns/types.ts';

const view: ClusterView = {
  namespaces: ['default', 'kube-system', 'prod', 'empty'],
  services: [
    {
      name: 'web',
      namespace: 'default',
      type: 'ClusterIP',
      clusterIP: '10.96.0.20',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
        { port: 8080, protocol: 'TCP' },
      ],
    },
    { name: 'db', namespace: 'default', type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] },
    { name: 'ext', namespace: 'default', type: 'ExternalName', externalName: 'www.example.com', ports: [] },
    { name: 'alias', namespace: 'default', type: 'ExternalName', externalName: 'web.default.svc.cluster.local', ports: [] },
    {
      name: 'kube-dns',
      namespace: 'kube-system',
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
    },
    { name: 'api', namespace: 'prod', type: 'NodePort', clusterIP: '10.96.5.5', ports: [{ name: 'grpc', port: 9000, protocol: 'TCP' }] },
    { name: 'quiet', namespace: 'prod', type: 'ClusterIP', clusterIP: '10.96.5.6', ports: [] },
    { name: 'lonely', namespace: 'prod', type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'x', port: 1, protocol: 'TCP' }] },
  ],
  endpoints: [
    {
      service: 'web',
      namespace: 'default',
      addresses: [
        { ip: '10.244.1.10', podName: 'web-1', ready: true },
        { ip: '10.244.2.11', podName: 'web-2', ready: true },
      ],
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'https', port: 8443, protocol: 'TCP' },
        { port: 8081, protocol: 'TCP' },
      ],
    },
    {
      service: 'db',
      namespace: 'default',
      addresses: [
        { ip: '10.244.1.5', hostname: 'db-0', podName: 'db-0', ready: true },
        { ip: '10.244.2.6', podName: 'db-1', ready: true },
        { ip: '10.244.2.7', podName: 'db-2', ready: false },
      ],
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    },
    { service: 'lonely', namespace: 'prod', addresses: [{ ip: '10.244.3.9', ready: false }], ports: [{ name: 'x', port: 1, protocol: 'TCP' }] },
  ],
  pods: [
    { name: 'web-1', namespace: 'default', ip: '10.244.1.10', hostNetwork: false },
    { name: 'web-2', namespace: 'default', ip: '10.244.2.11', hostNetwork: false },
    { name: 'db-0', namespace: 'default', ip: '10.244.1.5', hostNetwork: false },
    { name: 'worker', namespace: 'prod', ip: '10.244.3.3', hostNetwork: false },
  ],
};

const base: KubernetesConfig = {
  plugin: 'kubernetes',
  zones: ['cluster.local.', 'in-addr.arpa.', 'ip6.arpa.'],
  pods: 'insecure',
  fallthrough: undefined,
  ttl: 5,
  endpointPodNames: false,
  noendpoints: false,
};
const kubeadm: Partial<KubernetesConfig> = { fallthrough: ['in-addr.arpa.', 'ip6.arpa.'] };

/** A record as a zone-file line, names with their trailing dot. */
function show(answer: Answer): string {
  const rr = answer as Exclude<Answer, OptAnswer>;
  const fq = (n: string) => `${n}.`;
  const head = `${fq(rr.name)} ${rr.ttl} IN ${rr.type}`;
  switch (rr.type) {
    case 'SRV':
      return `${head} ${rr.data.priority} ${rr.data.weight} ${rr.data.port} ${fq(rr.data.target)}`;
    case 'SOA': {
      const d = rr.data;
      return `${head} ${fq(d.mname)} ${fq(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    }
    case 'TXT':
      return `${head} ${([] as unknown[]).concat(rr.data).map((s) => `"${String(s)}"`).join(' ')}`;
    case 'MX':
      return `${head} ${rr.data.preference} ${fq(rr.data.exchange)}`;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return `${head} ${fq(rr.data)}`;
    case 'A':
    case 'AAAA':
      return `${head} ${rr.data}`;
    default:
      return head;
  }
}

interface Row {
  q: string;
  t: string;
  cfg?: Partial<KubernetesConfig>;
  rcode?: DnsResponse['rcode'] | 'fallthrough';
  an?: string[];
  ns?: string[];
  ad?: string[];
}

const SOA = 'cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5';
const ARPA_SOA = 'in-addr.arpa. 5 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 1 7200 1800 86400 5';
const nodata = { rcode: 'NOERROR' as const, ns: [SOA] };
const nx = { rcode: 'NXDOMAIN' as const, ns: [SOA] };

const rows: Row[] = [
  // ClusterIP Service (spec 2.3)
  { q: 'web.default.svc.cluster.local.', t: 'A', an: ['web.default.svc.cluster.local. 5 IN A 10.96.0.20'] },
  { q: 'web.default.svc.cluster.local', t: 'AAAA', ...nodata },
  { q: 'Web.Default.SVC.cluster.local.', t: 'A', an: ['Web.Default.SVC.cluster.local. 5 IN A 10.96.0.20'] },
  { q: 'api.prod.svc.cluster.local.', t: 'A', an: ['api.prod.svc.cluster.local. 5 IN A 10.96.5.5'] },
  { q: 'quiet.prod.svc.cluster.local.', t: 'A', an: ['quiet.prod.svc.cluster.local. 5 IN A 10.96.5.6'] },
  { q: 'quiet.prod.svc.cluster.local.', t: 'SRV', ...nodata },
  {
    q: '_http._tcp.web.default.svc.cluster.local.',
    t: 'SRV',
    an: ['_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local.'],
    ad: ['web.default.svc.cluster.local. 5 IN A 10.96.0.20'],
  },
  {
    q: '_https._TCP.web.default.svc.cluster.local.',
    t: 'SRV',
    an: ['_https._TCP.web.default.svc.cluster.local. 5 IN SRV 0 100 443 web.default.svc.cluster.local.'],
    ad: ['web.default.svc.cluster.local. 5 IN A 10.96.0.20'],
  },
  { q: '_http._udp.web.default.svc.cluster.local.', t: 'SRV', ...nx },
  { q: '_nope._tcp.web.default.svc.cluster.local.', t: 'SRV', ...nx },
  // SRV on the bare name: every port, unnamed too (CoreDNS); the zone keeps the asker's case.
  {
    q: 'web.default.svc.CLUSTER.local.',
    t: 'SRV',
    an: [
      'web.default.svc.CLUSTER.local. 5 IN SRV 0 33 80 web.default.svc.CLUSTER.local.',
      'web.default.svc.CLUSTER.local. 5 IN SRV 0 33 443 web.default.svc.CLUSTER.local.',
      'web.default.svc.CLUSTER.local. 5 IN SRV 0 33 8080 web.default.svc.CLUSTER.local.',
    ],
    ad: ['web.default.svc.CLUSTER.local. 5 IN A 10.96.0.20'],
  },
  // 53/UDP and 53/TCP make one SRV, but all three ports share the weight.
  {
    q: 'kube-dns.kube-system.svc.cluster.local.',
    t: 'SRV',
    an: [
      'kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 33 53 kube-dns.kube-system.svc.cluster.local.',
      'kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 33 9153 kube-dns.kube-system.svc.cluster.local.',
    ],
    ad: ['kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10'],
  },
  {
    q: '_dns._udp.kube-dns.kube-system.svc.cluster.local.',
    t: 'SRV',
    an: ['_dns._udp.kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local.'],
    ad: ['kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10'],
  },
  // Headless Service (spec 2.4): ready endpoints only.
  { q: 'db.default.svc.cluster.local.', t: 'A', an: ['db.default.svc.cluster.local. 5 IN A 10.244.1.5', 'db.default.svc.cluster.local. 5 IN A 10.244.2.6'] },
  { q: 'db-0.db.default.svc.cluster.local.', t: 'A', an: ['db-0.db.default.svc.cluster.local. 5 IN A 10.244.1.5'] },
  { q: '10-244-2-6.db.default.svc.cluster.local.', t: 'A', an: ['10-244-2-6.db.default.svc.cluster.local. 5 IN A 10.244.2.6'] },
  { q: '10-244-2-7.db.default.svc.cluster.local.', t: 'A', ...nx },
  { q: 'db-1.db.default.svc.cluster.local.', t: 'A', ...nx },
  { q: 'db-1.db.default.svc.cluster.local.', t: 'A', cfg: { endpointPodNames: true }, an: ['db-1.db.default.svc.cluster.local. 5 IN A 10.244.2.6'] },
  { q: 'db-0.db.default.svc.cluster.local.', t: 'AAAA', ...nodata },
  {
    q: '_pg._tcp.db.default.svc.cluster.local.',
    t: 'SRV',
    an: [
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.default.svc.cluster.local.',
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 10-244-2-6.db.default.svc.cluster.local.',
    ],
    ad: ['db-0.db.default.svc.cluster.local. 5 IN A 10.244.1.5', '10-244-2-6.db.default.svc.cluster.local. 5 IN A 10.244.2.6'],
  },
  {
    q: '_pg._tcp.db.default.svc.cluster.local.',
    t: 'SRV',
    cfg: { endpointPodNames: true },
    an: [
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.default.svc.cluster.local.',
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-1.db.default.svc.cluster.local.',
    ],
    ad: ['db-0.db.default.svc.cluster.local. 5 IN A 10.244.1.5', 'db-1.db.default.svc.cluster.local. 5 IN A 10.244.2.6'],
  },
  // No ready endpoint: NXDOMAIN (spec 2.4.1).
  { q: 'lonely.prod.svc.cluster.local.', t: 'A', ...nx },
  // Endpoint names of a ClusterIP Service answer too (CoreDNS).
  { q: '10-244-1-10.web.default.svc.cluster.local.', t: 'A', an: ['10-244-1-10.web.default.svc.cluster.local. 5 IN A 10.244.1.10'] },
  { q: 'db.default.svc.cluster.local.', t: 'A', cfg: { noendpoints: true }, ...nx },
  { q: 'web.default.svc.cluster.local.', t: 'A', cfg: { noendpoints: true }, an: ['web.default.svc.cluster.local. 5 IN A 10.96.0.20'] },
  // ExternalName (spec 2.5): a CNAME; followed inside the zone; outside it, what the server answers
  // for the target follows (below: none here, so the CNAME alone).
  { q: 'ext.default.svc.cluster.local.', t: 'A', an: ['ext.default.svc.cluster.local. 5 IN CNAME www.example.com.'] },
  { q: 'ext.default.svc.cluster.local.', t: 'AAAA', an: ['ext.default.svc.cluster.local. 5 IN CNAME www.example.com.'] },
  { q: 'ext.default.svc.cluster.local.', t: 'CNAME', an: ['ext.default.svc.cluster.local. 5 IN CNAME www.example.com.'] },
  { q: 'ext.default.svc.cluster.local.', t: 'SRV', ...nodata },
  { q: 'x.ext.default.svc.cluster.local.', t: 'A', ...nx },
  { q: 'alias.default.svc.cluster.local.', t: 'A', an: ['alias.default.svc.cluster.local. 5 IN CNAME web.default.svc.cluster.local.', 'web.default.svc.cluster.local. 5 IN A 10.96.0.20'] },
  { q: 'web.default.svc.cluster.local.', t: 'CNAME', ...nodata },
  // Names that do not exist, and names that exist without records.
  { q: 'missing.default.svc.cluster.local.', t: 'A', ...nx },
  { q: 'web.nowhere.svc.cluster.local.', t: 'A', ...nx },
  { q: 'a.b.c.web.default.svc.cluster.local.', t: 'A', ...nx },
  { q: 'foo.cluster.local.', t: 'A', ...nx },
  { q: 'default.svc.cluster.local.', t: 'A', ...nodata },
  { q: 'empty.svc.cluster.local.', t: 'A', ...nodata },
  { q: 'nowhere.svc.cluster.local.', t: 'A', ...nx },
  { q: 'svc.cluster.local.', t: 'A', ...nodata },
  { q: 'pod.cluster.local.', t: 'A', ...nodata },
  { q: 'cluster.local.', t: 'A', ...nodata },
  { q: 'web.default.svc.cluster.local.', t: 'TXT', ...nodata },
  { q: 'web.default.svc.cluster.local.', t: 'MX', ...nodata },
  { q: 'web.default.svc.cluster.local.', t: 'SOA', ...nodata },
  { q: 'web.default.svc.cluster.local.', t: 'NS', ...nodata },
  { q: 'web.default.svc.cluster.local.', t: 'PTR', ...nodata },
  // Namespaces filtered by `namespaces`.
  { q: 'api.prod.svc.cluster.local.', t: 'A', cfg: { namespaces: ['default'] }, ...nx },
  { q: 'prod.svc.cluster.local.', t: 'A', cfg: { namespaces: ['default'] }, ...nx },
  { q: 'web.default.svc.cluster.local.', t: 'A', cfg: { namespaces: ['default'] }, an: ['web.default.svc.cluster.local. 5 IN A 10.96.0.20'] },
  // Pods (spec 2.6): insecure answers any IP in an existing namespace, verified only real pods.
  { q: '10-244-1-10.default.pod.cluster.local.', t: 'A', an: ['10-244-1-10.default.pod.cluster.local. 5 IN A 10.244.1.10'] },
  { q: '1-2-3-4.default.pod.cluster.local.', t: 'A', an: ['1-2-3-4.default.pod.cluster.local. 5 IN A 1.2.3.4'] },
  { q: '1-2-3-4.nowhere.pod.cluster.local.', t: 'A', ...nx },
  { q: 'web-1.default.pod.cluster.local.', t: 'A', ...nx },
  { q: 'default.pod.cluster.local.', t: 'A', ...nodata },
  { q: '10-244-1-10.default.pod.cluster.local.', t: 'A', cfg: { pods: 'verified' }, an: ['10-244-1-10.default.pod.cluster.local. 5 IN A 10.244.1.10'] },
  { q: '1-2-3-4.default.pod.cluster.local.', t: 'A', cfg: { pods: 'verified' }, ...nx },
  { q: '10-244-3-3.default.pod.cluster.local.', t: 'A', cfg: { pods: 'verified' }, ...nx },
  { q: '10-244-1-10.default.pod.cluster.local.', t: 'A', cfg: { pods: 'disabled' }, ...nx },
  { q: 'default.pod.cluster.local.', t: 'A', cfg: { pods: 'disabled' }, ...nx },
  // The zone's own records.
  { q: 'dns-version.cluster.local.', t: 'TXT', an: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
  // CoreDNS: another type of dns-version is parsed as a Service name, and is none (NXDOMAIN).
  { q: 'dns-version.cluster.local.', t: 'A', ...nx },
  // CoreDNS: TXT and SOA below the apex are NOERROR without records, whether the name exists or not.
  { q: 'missing.default.svc.cluster.local.', t: 'TXT', ...nodata },
  { q: 'missing.default.svc.cluster.local.', t: 'SOA', ...nodata },
  { q: 'cluster.local.', t: 'NS', an: ['cluster.local. 5 IN NS kube-dns.kube-system.svc.cluster.local.'], ad: ['kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10'] },
  { q: 'cluster.local.', t: 'SOA', an: [SOA] },
  { q: 'ns.dns.cluster.local.', t: 'A', an: ['ns.dns.cluster.local. 5 IN A 10.96.0.10'] },
  { q: 'cluster.local.', t: 'SOA', cfg: { ttl: 30 }, an: ['cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30'] },
  { q: 'missing.default.svc.cluster.local.', t: 'A', cfg: { ttl: 600 }, rcode: 'NXDOMAIN', ns: ['cluster.local. 300 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 600'] },
  { q: 'cluster.local.', t: 'AXFR', rcode: 'REFUSED' },
  // Reverse (spec 2.3.3, 2.4.3): cluster IPs, then endpoint IPs.
  { q: '20.0.96.10.in-addr.arpa.', t: 'PTR', an: ['20.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.'] },
  { q: '5.1.244.10.in-addr.arpa.', t: 'PTR', an: ['5.1.244.10.in-addr.arpa. 5 IN PTR db-0.db.default.svc.cluster.local.'] },
  { q: '6.2.244.10.in-addr.arpa.', t: 'PTR', an: ['6.2.244.10.in-addr.arpa. 5 IN PTR 10-244-2-6.db.default.svc.cluster.local.'] },
  { q: '10.1.244.10.in-addr.arpa.', t: 'PTR', an: ['10.1.244.10.in-addr.arpa. 5 IN PTR 10-244-1-10.web.default.svc.cluster.local.'] },
  { q: '7.2.244.10.in-addr.arpa.', t: 'PTR', rcode: 'NXDOMAIN', ns: [ARPA_SOA] },
  // CoreDNS: a reverse name has PTR records only; another type is NXDOMAIN (TXT and SOA NOERROR).
  { q: '20.0.96.10.in-addr.arpa.', t: 'A', rcode: 'NXDOMAIN', ns: [ARPA_SOA] },
  { q: '20.0.96.10.in-addr.arpa.', t: 'TXT', rcode: 'NOERROR', ns: [ARPA_SOA] },
  { q: '7.2.244.10.in-addr.arpa.', t: 'SOA', rcode: 'NOERROR', ns: [ARPA_SOA] },
  { q: '96.10.in-addr.arpa.', t: 'PTR', rcode: 'NXDOMAIN', ns: [ARPA_SOA] },
  { q: '5.1.244.10.in-addr.arpa.', t: 'PTR', cfg: { noendpoints: true }, rcode: 'NXDOMAIN', ns: [ARPA_SOA] },
  { q: '5.5.96.10.in-addr.arpa.', t: 'PTR', cfg: { namespaces: ['default'] }, rcode: 'NXDOMAIN', ns: [ARPA_SOA] },
  { q: '99.99.99.10.in-addr.arpa.', t: 'PTR', cfg: kubeadm, rcode: 'fallthrough' },
  { q: '20.0.96.10.in-addr.arpa.', t: 'PTR', cfg: { zones: ['cluster.local.'] }, rcode: 'fallthrough' },
  // Fallthrough: outside the zones, or NXDOMAIN in a fallthrough zone.
  { q: 'www.example.com.', t: 'A', rcode: 'fallthrough' },
  { q: 'missing.default.svc.cluster.local.', t: 'A', cfg: { fallthrough: [] }, rcode: 'fallthrough' },
  { q: 'missing.default.svc.cluster.local.', t: 'A', cfg: kubeadm, ...nx },
  { q: 'web.default.svc.cluster.local.', t: 'AAAA', cfg: { fallthrough: [] }, ...nodata },
];

describe('lookupKubernetes', () => {
  it.each(rows.map((r) => [`${r.q} ${r.t}${r.cfg ? ` ${JSON.stringify(r.cfg)}` : ''}`, r] as const))('%s', (_, row) => {
    const res = lookupKubernetes({ ...base, ...row.cfg }, view, row.q, row.t);
    if (row.rcode === 'fallthrough') return expect(res).toBe('fallthrough');
    expect(res).not.toBe('fallthrough');
    const r = res as DnsResponse;
    expect({ rcode: r.rcode, an: r.answers.map(show), ns: r.authorities.map(show), ad: r.additionals.map(show) }).toEqual({
      rcode: row.rcode ?? 'NOERROR',
      an: row.an ?? [],
      ns: row.ns ?? [],
      ad: row.ad ?? [],
    });
    expect(r.aa).toBe(r.rcode !== 'REFUSED');
  });

  it('has at least 40 rows', () => expect(rows.length).toBeGreaterThanOrEqual(40));
});

describe('kubernetesPlugin', () => {
  const request = (name: string, type: string): DnsRequest => ({
    msg: { type: 'query', id: 1, questions: [{ name, type: type as never, class: 'IN' }] } as Packet,
    qname: `${name.toLowerCase().replace(/\.$/, '')}.`,
    qtype: type,
    qclass: 'IN',
    client: { address: '10.244.1.10', port: 5353, transport: 'udp' },
    maxSize: 512,
    zone: 'cluster.local.',
  });
  const passed: DnsResponse = { rcode: 'NOERROR', aa: false, answers: [], authorities: [], additionals: [], note: 'next' };

  it('reads the view per query, keeps the asker’s case, and passes on what it does not answer', async () => {
    let current = view;
    const plugin = kubernetesPlugin({ ...base, ...kubeadm }, () => current);
    const next = async () => passed;
    const first = await plugin.serve(request('WEB.default.svc.cluster.local', 'A'), next);
    expect(first.answers.map(show)).toEqual(['WEB.default.svc.cluster.local. 5 IN A 10.96.0.20']);
    expect(await plugin.serve(request('www.example.com', 'A'), next)).toBe(passed);
    expect(await plugin.serve(request('1.1.1.1.in-addr.arpa', 'PTR'), next)).toBe(passed);

    const soa1 = (await plugin.serve(request('cluster.local', 'SOA'), next)).answers[0]!;
    current = { ...view, services: view.services.map((s) => (s.name === 'web' ? { ...s, clusterIP: '10.96.0.21' } : s)) };
    const second = await plugin.serve(request('web.default.svc.cluster.local', 'A'), next);
    expect(second.answers.map(show)).toEqual(['web.default.svc.cluster.local. 5 IN A 10.96.0.21']);
    const soa2 = (await plugin.serve(request('cluster.local', 'SOA'), next)).answers[0]!;
    // The serial moves when the cluster data changes, as CoreDNS's does.
    expect(soa1.type === 'SOA' && soa2.type === 'SOA' && soa2.data.serial! > soa1.data.serial!).toBe(true);
  });
});

describe('an ExternalName outside the zone (CoreDNS: backend_lookup.go A/AAAA and its upstream)', () => {
  const outside = (name: string, qtype: 'A' | 'AAAA'): Answer[] =>
    name === 'www.example.com' && qtype === 'A' ? [{ name: 'www.example.com', type: 'A', class: 'IN', ttl: 300, data: '203.0.113.80' }] : [];
  const show2 = (r: DnsResponse | 'fallthrough') => (r === 'fallthrough' ? [r] : [r.rcode, ...r.answers.map(show)]);

  it('A: the CNAME with the plugin’s ttl, then the target’s records as the server answered them', () => {
    expect(show2(lookupKubernetes({ ...base, ttl: 30 }, view, 'ext.default.svc.cluster.local.', 'A', 1, outside))).toEqual([
      'NOERROR',
      'ext.default.svc.cluster.local. 30 IN CNAME www.example.com.',
      'www.example.com. 300 IN A 203.0.113.80',
    ]);
  });

  it('a target without records of the type: the CNAME alone, NOERROR', () => {
    expect(show2(lookupKubernetes({ ...base, ttl: 30 }, view, 'ext.default.svc.cluster.local.', 'AAAA', 1, outside))).toEqual([
      'NOERROR',
      'ext.default.svc.cluster.local. 30 IN CNAME www.example.com.',
    ]);
  });

  it('the plugin asks the server itself (req.upstream) for the target, in the question’s type', async () => {
    const asked: string[] = [];
    const upstream = async (name: string, qtype: string): Promise<DnsResponse> => {
      asked.push(`${name} ${qtype}`);
      return { rcode: 'NOERROR', aa: false, answers: outside(name, qtype as 'A'), authorities: [], additionals: [] };
    };
    const plugin = kubernetesPlugin({ ...base, ttl: 30 }, () => view);
    const req: DnsRequest = {
      msg: { type: 'query', id: 1, questions: [{ name: 'ext.default.svc.cluster.local', type: 'A', class: 'IN' }] } as Packet,
      qname: 'ext.default.svc.cluster.local.',
      qtype: 'A',
      qclass: 'IN',
      client: { address: '10.244.1.10', port: 5353, transport: 'udp' },
      maxSize: 512,
      zone: 'cluster.local.',
      upstream,
    };
    const res = await plugin.serve(req, async () => {
      throw new Error('not passed on');
    });
    expect(show2(res)).toEqual(['NOERROR', 'ext.default.svc.cluster.local. 30 IN CNAME www.example.com.', 'www.example.com. 300 IN A 203.0.113.80']);
    expect(asked).toEqual(['www.example.com A']);
    // A Service inside the zone asks nothing.
    await plugin.serve({ ...req, qname: 'alias.default.svc.cluster.local.', msg: { ...req.msg, questions: [{ name: 'alias.default.svc.cluster.local', type: 'A', class: 'IN' }] } }, async () => res);
    expect(asked).toHaveLength(1);
  });
});

describe('IPv6 endpoints', () => {
  const v6: ClusterView = {
    namespaces: ['default'],
    services: [{ name: 'hl', namespace: 'default', type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
    endpoints: [{ service: 'hl', namespace: 'default', addresses: [{ ip: 'fd00:10:244::5', ready: true }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    pods: [],
  };
  /** fd00:0010:0244:0000:0000:0000:0000:0005, nibbles reversed. */
  const REV6 = [...'fd000010024400000000000000000005'].reverse().join('.');
  const cases: [string, string, string[]][] = [
    ['hl.default.svc.cluster.local', 'AAAA', ['hl.default.svc.cluster.local. 5 IN AAAA fd00:10:244::5']],
    ['fd00-10-244--5.hl.default.svc.cluster.local', 'AAAA', ['fd00-10-244--5.hl.default.svc.cluster.local. 5 IN AAAA fd00:10:244::5']],
    [`${REV6}.ip6.arpa`, 'PTR', [`${REV6}.ip6.arpa. 5 IN PTR fd00-10-244--5.hl.default.svc.cluster.local.`]],
    ['fd00-10-244--5.default.pod.cluster.local', 'AAAA', ['fd00-10-244--5.default.pod.cluster.local. 5 IN AAAA fd00:10:244::5']],
  ];
  it.each(cases)('%s %s', (q, t, an) => {
    const res = lookupKubernetes(base, v6, q, t) as DnsResponse;
    expect(res.answers.map(show)).toEqual(an);
  });
});

describe('dual-stack Services (clusterIPs per family)', () => {
  const dual: ClusterView = {
    namespaces: ['default'],
    services: [
      { name: 'web', namespace: 'default', type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1', 'fd00:10:96::1'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      { name: 'v4', namespace: 'default', type: 'ClusterIP', clusterIP: '10.96.0.2', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      { name: 'v6', namespace: 'default', type: 'ClusterIP', clusterIP: 'fd00:10:96::2', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    ],
    endpoints: [],
    pods: [],
  };
  const REV = [...'fd000010009600000000000000000001'].reverse().join('.');
  const cases: [string, string, string, string[]][] = [
    ['web.default.svc.cluster.local', 'A', 'NOERROR', ['web.default.svc.cluster.local. 5 IN A 10.96.0.1']],
    ['web.default.svc.cluster.local', 'AAAA', 'NOERROR', ['web.default.svc.cluster.local. 5 IN AAAA fd00:10:96::1']],
    // CoreDNS: the name exists, only not in this family: NODATA (NOERROR, no answer), never NXDOMAIN.
    ['v4.default.svc.cluster.local', 'AAAA', 'NOERROR', []],
    ['v6.default.svc.cluster.local', 'A', 'NOERROR', []],
    ['v6.default.svc.cluster.local', 'AAAA', 'NOERROR', ['v6.default.svc.cluster.local. 5 IN AAAA fd00:10:96::2']],
    [`${REV}.ip6.arpa`, 'PTR', 'NOERROR', [`${REV}.ip6.arpa. 5 IN PTR web.default.svc.cluster.local.`]],
    ['1.0.96.10.in-addr.arpa', 'PTR', 'NOERROR', ['1.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.']],
  ];
  it.each(cases)('%s %s → %s', (q, t, rcode, an) => {
    const res = lookupKubernetes(base, dual, q, t) as DnsResponse;
    expect(res.rcode).toBe(rcode);
    expect(res.answers.map(show)).toEqual(an);
  });
});
