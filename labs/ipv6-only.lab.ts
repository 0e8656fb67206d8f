/**
 * IPv6-only: the flagship lab's shape (labs/pod-networking.lab.ts, flannel) with one address
 * family, IPv6. No node, pod or Service has an IPv4 address: each node has an IPv6 address on the
 * node network (fd00:172:16:94::/64) and a /64 slice of fd00:10:244::/56, flannel's VXLAN device flannel-v6.1 runs over
 * IPv6, Services get IPv6 cluster IPs only, kube-proxy and NetworkPolicy keep only their `ip6`
 * tables, cluster DNS answers AAAA at an IPv6 cluster IP, and an outside host beyond the gateway
 * reaches a NodePort, a LoadBalancer's IPv6 address and an Ingress (nginx on [::]) while pods
 * reach it masqueraded in ip6 (see docs/dual-stack.md).
 */
import { container, defineLab, workloads } from 'podlab';

const INGRESS = 'lb/ingress-nginx/ingress-nginx-controller';

export default defineLab({
  name: 'ipv6-only',
  description: 'IPv6-only: IP per pod, pod-to-pod across nodes over flannel VXLAN in IPv6, Services and DNS in IPv6',
  ipFamilies: ['IPv6'],
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
    'worker-3': {},
  },
  cni: 'flannel',
  hosts: {
    // A machine on the "internet", beyond the gateway: fd00:203:0:113::a, its default route the gateway's fd00:203:0:113::1.
    internet: { network: 'external', containers: [container(workloads.httpEcho(8000))] },
  },
  // Load-balancer addresses in IPv6, in the node network (the gateway holds them, as MetalLB's layer-2 mode does).
  loadBalancer: { pool: 'fd00:172:16:94::f0/124' },
  pods: {
    // Two containers in one pod: the web server and a sidecar sharing its IP and localhost.
    web: {
      node: 'worker-1',
      labels: { app: 'web' },
      containers: [container(workloads.httpEcho(8080), 'web'), { name: 'sidecar', command: ['sleep', 'infinity'] }],
    },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080), 'web')] },
    echo: { node: 'worker-3', containers: [container(workloads.tcpEcho(9000)), container(workloads.udpEcho(9001))] },
    client: { node: 'worker-1', containers: [container(workloads.httpEcho(8080), 'shell')] },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    'web-np': { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
    'web-lb': { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  // Ingress on real nginx, listening on [::] behind an IPv6 LoadBalancer address from the pool.
  ingressClasses: { nginx: { default: true } },
  ingresses: {
    shop: {
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  },
  checks: [
    { kind: 'ping', from: 'client', to: 'web', name: 'same-node pod-to-pod' },
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true, name: 'cross-node pod-to-pod over IPv6, no NAT' },
    { kind: 'tcp', from: 'client', to: 'echo', port: 9000, name: 'TCP to a pod on another node' },
    { kind: 'http', from: 'node/worker-1', to: 'web', port: 8080, expectPod: 'web', name: 'node agent reaches its pod' },
    { kind: 'http', from: 'node/control-plane', to: 'web-2', port: 8080, name: 'control plane reaches a pod on a worker' },
    { kind: 'ping', from: 'web', to: 'node/worker-3', name: 'pod reaches another node' },
    { kind: 'http', from: 'client', to: 'svc/web', expectNoNat: true, name: 'a Service at its IPv6 cluster IP' },
    { kind: 'http', from: 'node/worker-3', to: 'node/worker-2', port: 30080, name: 'NodePort on a node’s IPv6 address' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'AAAA', expectAnswers: ['svc/web'], name: 'AAAA for a Service, asked at kube-dns’s IPv6 cluster IP' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'A', expectEmpty: true, name: 'A for a Service is NODATA: it has no IPv4 cluster IP' },
    { kind: 'http', from: 'client', to: 'host/internet', port: 8000, expectSource: 'node/worker-1', name: 'pod to an outside host through the gateway: masqueraded to its node in ip6 (natOutgoing)' },
    { kind: 'http', from: 'host/internet', to: 'node/worker-2', port: 30080, name: 'outside host to a NodePort over IPv6, through the gateway' },
    { kind: 'http', from: 'host/internet', to: 'lb/web-lb', name: 'outside host to a LoadBalancer’s IPv6 address, held by the gateway' },
    // shop.example.com has TLS, so plain HTTP to it is redirected to HTTPS (ingress-nginx's default).
    { kind: 'http', from: 'host/internet', to: INGRESS, host: 'shop.example.com', path: '/', expectStatus: 308, name: 'an Ingress answers over IPv6 at its LoadBalancer address (plain HTTP to a TLS host: 308 to https://)' },
    { kind: 'http', from: 'host/internet', to: INGRESS, host: 'shop.example.com', https: true, path: '/', expectService: 'web', name: 'the Ingress over HTTPS in IPv6 (SNI, the lab CA)' },
    { kind: 'vxlan', from: 'node/worker-1', vni: 1, port: 8472, dev: 'flannel-v6.1' },
    { kind: 'route', from: 'node/worker-1', to: 'node/worker-2', dev: 'flannel-v6.1', name: 'flannel: the IPv6 slice of worker-2 over flannel-v6.1, the IPv6 VXLAN device (ip -6 route)' },
  ],
});
