import { container, defineLab, workloads } from 'podlab';

/**
 * A lab built from Kubernetes manifests (labs/k8s/*.yaml), in the course's shapes: a Deployment
 * behind a NodePort Service, kubeadm's CoreDNS ConfigMap with a forwarder for a company domain,
 * and a pod with dnsPolicy None. The lab file adds what a cluster has no YAML for: the nodes, the
 * company's DNS server on the node network, and the checks. Try:
 *   podlab validate labs/from-manifests.lab.ts      (a misspelt field is reported at its YAML line)
 *   podlab exec from-manifests client -- getent hosts intranet.corp.example
 *   podlab export labs/from-manifests.lab.ts --out /tmp/fm   (and back to manifests)
 */
const corpZone = `
$ORIGIN corp.example.
$TTL 300
@         IN SOA ns1.corp.example. hostmaster.corp.example. ( 2026120601 7200 1800 86400 300 )
          IN NS  ns1
ns1       IN A   172.16.94.53
intranet  IN A   172.16.94.80
`;

export default defineLab({
  name: 'from-manifests',
  description: 'Pods, a Deployment, a NodePort Service and the CoreDNS ConfigMap read from Kubernetes YAML; nodes, an outside DNS server and the checks from TypeScript.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  manifests: ['k8s/*.yaml'],
  hosts: {
    // The company's DNS server, authoritative for corp.example (the Corefile's stub domain).
    'corp-dns': { ip: '172.16.94.53', dns: { zones: { 'corp.example': corpZone } } },
    // A machine beside the nodes, to reach the NodePort from outside the cluster.
    laptop: { containers: [container(workloads.httpEcho(8000))] },
  },
  dns: {
    // The nodes' resolver: where `forward . /etc/resolv.conf` sends other names.
    nameservers: ['host/corp-dns'],
  },
  checks: [
    // The Deployment's three replicas answer behind the Service, by name and by NodePort.
    { kind: 'http', from: 'client', to: 'svc/web', requests: 30, expectSpread: 3 },
    { kind: 'dns', from: 'client', query: 'web.default', expectAnswers: ['svc/web'] },
    { kind: 'http', from: 'host/laptop', to: 'node/worker-1', port: 30080, requests: 20, expectSpread: 3 },
    // netexec's UDP port became a udp-echo container.
    { kind: 'udp', from: 'client', to: 'svc/web', port: 8081 },
    // The stub domain: cluster DNS forwards corp.example to the company's server.
    { kind: 'dns', from: 'client', query: 'intranet.corp.example', expectAnswers: ['172.16.94.80'] },
    // dnsPolicy None: the search list is dnsConfig's, so a short name finds corp.example and web.default.
    { kind: 'dns', from: 'custom-dns', query: 'intranet', expectAnswers: ['172.16.94.80'] },
    { kind: 'dns', from: 'custom-dns', query: 'web', expectAnswers: ['svc/web'] },
  ],
});
