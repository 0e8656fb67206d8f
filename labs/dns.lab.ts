import { container, defineLab, workloads } from 'podlab';

/**
 * Cluster DNS, as a kubeadm cluster has it: a kube-system/coredns pod behind the kube-dns Service
 * (10.96.0.10), configured by a Corefile — here the course's "custom forwarder" one, which sends
 * every name outside cluster.local to an upstream DNS host on the "internet". Try:
 *   podlab exec dns client -- cat /etc/resolv.conf
 *   podlab exec dns client -- dig +search web          (the search list finds web.default.svc.cluster.local)
 *   podlab exec dns client -- dig +search db.shop SRV  (a headless Service: one record per pod)
 *   podlab exec dns client -- getent hosts www.example.org
 *   podlab exec dns client -- getent hosts search.shop    (an ExternalName: CNAME, then its target's A)
 *   podlab logs dns kube-system/coredns
 */
const exampleOrg = `
$ORIGIN example.org.
$TTL 300
@       IN SOA ns1.example.org. hostmaster.example.org. ( 2026112101 7200 1800 86400 300 )
        IN NS  ns1
ns1     IN A   203.0.113.53
www     IN A   203.0.113.80
search  IN A   203.0.113.81
mail    IN A   203.0.113.25
@       IN MX  10 mail
@       IN TXT "podlab upstream zone"
`;

// The course's ConfigMap, with `forward . /etc/resolv.conf` replaced by the custom forwarder.
const corefile = `
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . 203.0.113.53
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload 2s
    loadbalance
}
`;

// The same without any forwarder: names outside the cluster have nowhere to go.
const noForwarder = corefile.replace(/^ *forward .*\n/m, '');

export default defineLab({
  name: 'dns',
  description:
    'Cluster DNS: Service, headless, ExternalName and pod records in two namespaces; pods with each dnsPolicy; a custom-forwarder Corefile and an upstream DNS host outside the cluster.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  namespaces: ['shop'],
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    // A StatefulSet's pods: hostname + subdomain give each a name under the headless Service "db".
    'db-0': { namespace: 'shop', node: 'worker-1', hostname: 'db-0', subdomain: 'db', labels: { app: 'db' }, containers: [container(workloads.tcpEcho(5432))] },
    'db-1': { namespace: 'shop', node: 'worker-2', hostname: 'db-1', subdomain: 'db', labels: { app: 'db' }, containers: [container(workloads.tcpEcho(5432))] },
    // dnsPolicy ClusterFirst (the default): nameserver 10.96.0.10, search default.svc.cluster.local svc.cluster.local cluster.local, ndots:5.
    client: { node: 'worker-2' },
    // The same in namespace shop: "db" is found through shop.svc.cluster.local first.
    'shop-client': { namespace: 'shop', node: 'worker-1' },
    // dnsPolicy Default: the node's resolvers (here the upstream host), so no cluster names.
    'node-resolver': { node: 'worker-1', dnsPolicy: 'Default' },
    // dnsPolicy None: the resolver is what dnsConfig says, as in the course's example.
    custom: {
      node: 'worker-1',
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['10.96.0.10'], searches: ['db.shop.svc.cluster.local', 'shop.svc.cluster.local'], options: [{ name: 'ndots', value: '2' }] },
    },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    db: { namespace: 'shop', clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'postgres', port: 5432 }] },
    // An alias: a CNAME to a name the upstream DNS host serves.
    search: { namespace: 'shop', type: 'ExternalName', externalName: 'search.example.org' },
  },
  hosts: {
    // An upstream DNS server on the "internet", authoritative for example.org.
    upstream: { network: 'external', ip: '203.0.113.53', dns: { zones: { 'example.org': exampleOrg } } },
  },
  dns: {
    // The nodes' own resolver: what a dnsPolicy Default pod (and `forward . /etc/resolv.conf`) uses.
    nameservers: ['host/upstream'],
    corefile,
  },
  checks: [
    { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['svc/web'] },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', tcp: true, expectAnswers: ['svc/web'] },
    { kind: 'dns', from: 'client', query: 'db.shop', expectAnswers: ['pod/db-0', 'pod/db-1'] },
    { kind: 'dns', from: 'shop-client', query: 'db-0.db', expectAnswers: ['pod/db-0'] },
    { kind: 'dns', from: 'client', query: '_postgres._tcp.db.shop.svc.cluster.local.', type: 'SRV', expectAnswers: ['db-0.db.shop.svc.cluster.local', 'db-1.db.shop.svc.cluster.local'] },
    { kind: 'dns', from: 'client', query: 'search.shop', type: 'CNAME', expectAnswers: ['search.example.org'] },
    // CoreDNS resolves an ExternalName's outside target through its own chain (here forward).
    { kind: 'dns', from: 'client', query: 'search.shop', expectAnswers: ['203.0.113.81'], name: 'an ExternalName resolves to its target\'s address' },
    { kind: 'dns', from: 'client', query: 'www.example.org', expectAnswers: ['203.0.113.80'] },
    { kind: 'dns', from: 'client', query: 'nothing.default.svc.cluster.local.', expectRcode: 'NXDOMAIN' },
    { kind: 'dns', from: 'client', query: 'dns-version.cluster.local.', type: 'TXT', expectAnswers: ['1.1.0'] },
    { kind: 'dns', from: 'client', query: '10.96.0.10', type: 'PTR', expectAnswers: ['kube-dns.kube-system.svc.cluster.local'] },
    { kind: 'dns', from: 'custom', query: 'db-1', expectAnswers: ['pod/db-1'] },
    { kind: 'dns', from: 'node-resolver', query: 'www.example.org', expectAnswers: ['203.0.113.80'], name: 'a Default-policy pod resolves through the node\'s resolver' },
    { kind: 'dns', from: 'node-resolver', query: 'web', expectRcode: 'REFUSED', name: 'a Default-policy pod does not know cluster names' },
    { kind: 'http', from: 'client', to: 'svc/web', expectSpread: 2, requests: 20 },
  ],
  scenarios: {
    // podlab scenario dns forwarder-removed
    'forwarder-removed': {
      description: 'take the forwarder out of the Corefile and reload: outside names fail, cluster names still resolve; put it back',
      steps: [
        { check: { kind: 'dns', from: 'client', query: 'www.example.org', expectAnswers: ['203.0.113.80'] } },
        { action: 'reload-dns', corefile: noForwarder },
        { check: { kind: 'dns', from: 'client', query: 'www.example.org', expectRcode: 'SERVFAIL', name: 'without a forwarder www.example.org fails' } },
        { check: { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['svc/web'] } },
        { action: 'reload-dns', corefile },
        { check: { kind: 'dns', from: 'client', query: 'www.example.org', expectAnswers: ['203.0.113.80'], name: 'with the forwarder back it resolves again' } },
      ],
    },
    // podlab scenario dns new-pod-ip-in-dns
    'new-pod-ip-in-dns': {
      description: 'a re-created pod of a headless Service gets a new IP, and its DNS name follows',
      steps: [
        { action: 'recreate-pod', pod: 'db-0' },
        { check: { kind: 'dns', from: 'shop-client', query: 'db-0.db', expectAnswers: ['pod/db-0'] } },
        { check: { kind: 'dns', from: 'client', query: 'db.shop', expectAnswers: ['pod/db-0', 'pod/db-1'] } },
      ],
    },
  },
});
