/**
 * Calico in an IPv6-only cluster (Calico installed with CALICO_IPV6POOL_CIDR alone, IP=none,
 * IP6=autodetect and CALICO_ROUTER_ID=hash): no IPv4 pool and no IPv4 on any pod or node interface
 * beyond loopback. The IPv6 podCidr is Calico's default-ipv6-ippool in /122 blocks, each pod a
 * /128 behind fe80::ecee:eeff:feee:eeee, and BIRD runs bird6's half alone: an IPv6 mesh between the
 * nodes' IPv6 addresses, its router id hashed from the node name (a BGP router id is four octets
 * even over IPv6). Try `podlab exec calico-ipv6-only node/c1-node1 -- ip -6 route` (a blackhole
 * for its own block, `proto bird` routes to the others') and `podlab status calico-ipv6-only`.
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'calico-ipv6-only',
  description: 'Calico IPv6-only: /128 pods, /122 blocks per node, BIRD IPv6 mesh with hashed router ids',
  ipFamilies: ['IPv6'],
  nodes: {
    'c1-master1': { role: 'control-plane' },
    'c1-node1': {},
    'c1-node2': {},
  },
  cni: { type: 'calico' },
  pods: {
    'web-1': { node: 'c1-node1', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-2': { node: 'c1-node2', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    client: { node: 'c1-node1', containers: [container(workloads.httpEcho())] },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  checks: [
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true, name: 'pod to pod across nodes over IPv6, routed by BGP, no NAT' },
    { kind: 'http', from: 'client', to: 'svc/web', expectNoNat: true, name: 'a Service at its IPv6 cluster IP' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'AAAA', expectAnswers: ['svc/web'], name: 'AAAA for the Service, asked at kube-dns’s IPv6 cluster IP' },
    { kind: 'command', from: 'client', command: ['ip', '-6', 'route', 'show', 'default'], expectMatch: '^default via fe80::ecee:eeff:feee:eeee dev eth0', name: 'the pod routes IPv6 via its host veth link-local address' },
    { kind: 'bgp', from: 'node/c1-master1', peer: 'node/c1-node2', name: 'the IPv6 iBGP session c1-master1 ⇄ c1-node2 is Established' },
    { kind: 'bgp', from: 'node/c1-node1', peer: 'node/c1-node2', learned: 'blocks', name: "c1-node1 learned c1-node2's IPv6 block over BGP" },
    { kind: 'block', from: 'node/c1-node1', holds: ['fd00:10:244::40/122'], name: 'c1-node1 holds its IPv6 block (a blackhole route)' },
    { kind: 'block', from: 'node/c1-node2', pod: 'web-2', borrowed: false, name: "web-2's address is from a block of c1-node2" },
  ],
});
