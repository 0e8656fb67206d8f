import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "A custom CoreDNS forwarder". Its DNS runs kubeadm's default
 * Corefile, which forwards every name outside cluster.local to the node's /etc/resolv.conf, and
 * the nodes here have no resolver: names on the "internet" do not resolve. The company's DNS
 * server, dns.example.org at 203.0.113.53, does know them (example.org and example.net).
 */
export const zone = `
$ORIGIN example.org.
$TTL 300
@       IN SOA ns1.example.org. hostmaster.example.org. ( 2026112101 7200 1800 86400 300 )
        IN NS  ns1
ns1     IN A   203.0.113.53
www     IN A   203.0.113.80
api     IN A   203.0.113.81
mail    IN A   203.0.113.25
@       IN MX  10 mail
`;

export const netZone = `
$ORIGIN example.net.
$TTL 300
@       IN SOA ns1.example.org. hostmaster.example.org. ( 2026112101 7200 1800 86400 300 )
        IN NS  ns1.example.org.
www     IN A   198.51.100.7
`;

export default defineLab({
  name: 'coredns-forwarder',
  description: 'Cluster DNS with the default Corefile; an upstream DNS server outside the cluster that it does not use yet.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
  },
  pods: {
    client: { node: 'worker-1' },
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  hosts: {
    upstream: { network: 'external', ip: '203.0.113.53', dns: { zones: { 'example.org': zone, 'example.net': netZone } } },
  },
  dns: {},
});
