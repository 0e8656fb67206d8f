/**
 * Calico in dual stack: every pod holds an IPv4 /32 behind 169.254.1.1 and an IPv6 /128 behind
 * fe80::ecee:eeff:feee:eeee (its host veth's own link-local address, EUI-64 of ee:ee:ee:ee:ee:ee).
 * Two pools: 10.244.0.0/16 in /26 blocks and the IPv6 podCidr (Calico's default-ipv6-ippool) in
 * /122 blocks, claimed per node in node order. BIRD in every node runs both halves Calico splits
 * between bird and bird6: an IPv4 mesh between the nodes' IPv4 addresses and an IPv6 mesh between
 * their IPv6 addresses, each exporting the node's blocks of its family. Try
 * `podlab exec calico-dual-stack node/c1-node1 -- ip -6 route` (a blackhole for its own /122 block,
 * `proto bird` routes to the others') and, in a pod, `ip -6 route` (default via fe80::ecee:…).
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'calico-dual-stack',
  description: 'Calico dual stack: /32 + /128 pods, /26 and /122 blocks per node, BIRD meshes in IPv4 and IPv6',
  ipFamilies: ['IPv4', 'IPv6'],
  nodeNetwork: { cidr: '172.16.94.0/24' },
  nodes: {
    'c1-master1': { role: 'control-plane', ip: '172.16.94.10' },
    'c1-node1': { ip: '172.16.94.11' },
    'c1-node2': { ip: '172.16.94.12' },
  },
  cni: { type: 'calico' },
  pods: {
    'web-1': { node: 'c1-node1', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-2': { node: 'c1-node2', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    client: { node: 'c1-node1', containers: [container(workloads.httpEcho())] },
  },
  services: {
    web: { selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, targetPort: 8080 }] },
  },
  checks: [
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, family: 'IPv6', expectPod: 'web-2', expectNoNat: true, name: 'pod to pod across nodes over IPv6, routed by BGP, no NAT' },
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true, name: 'pod to pod across nodes over IPv4, routed by BGP, no NAT' },
    { kind: 'http', from: 'client', to: 'svc/web', family: 'IPv6', name: 'the dual-stack Service at its IPv6 cluster IP' },
    { kind: 'command', from: 'client', command: ['ip', '-6', 'route', 'show', 'default'], expectMatch: '^default via fe80::ecee:eeff:feee:eeee dev eth0', name: 'the pod routes IPv6 via its host veth link-local address' },
    { kind: 'command', from: 'node/c1-master1', command: ['ip', '-6', 'route', 'show', 'proto', 'bird'], expectMatch: 'fd00:10:244::80/122 via fd00:172:16:94::c dev eth0', name: "c1-node2's IPv6 block is a route BIRD installed, via its IPv6 address" },
    { kind: 'command', from: 'node/c1-node1', command: ['ip', '-6', 'route', 'show', 'proto', 'bird'], expectMatch: '^blackhole fd00:10:244::40/122', name: 'c1-node1 holds a blackhole route for its own IPv6 block' },
    { kind: 'bgp', from: 'node/c1-master1', peer: 'node/c1-node1', name: 'the IPv4 iBGP session c1-master1 ⇄ c1-node1 is Established' },
  ],
});
