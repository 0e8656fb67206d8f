/**
 * Calico's VXLAN in dual stack: what Felix builds for an IPv4 and an IPv6 pool with VXLAN
 * encapsulation. Each node has two VTEPs: vxlan.calico (IPv4 outer headers between the nodes'
 * IPv4 addresses, MTU 1450) and vxlan-v6.calico (IPv6 outer headers between their IPv6 addresses,
 * MTU 1430: an IPv6 header is 20 bytes longer); both VNI 4096 on UDP 4789, Felix's one setting for
 * both. Each holds the node's tunnel address of its family, the first address of its first block;
 * per peer a neighbour and an FDB entry, and a route to each peer block via the peer's tunnel
 * address, onlink. No BGP. Switch it to IPv6-only by its ipFamilies line (['IPv6']): only
 * vxlan-v6.calico is built. Try `podlab exec calico-vxlan-dual-stack node/c1-node1 -- ip -6 route`.
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'calico-vxlan-dual-stack',
  description: 'Calico VXLAN in dual stack: vxlan.calico and vxlan-v6.calico per node, no BGP',
  ipFamilies: ['IPv4', 'IPv6'],
  nodes: {
    'c1-master1': { role: 'control-plane' },
    'c1-node1': {},
    'c1-node2': {},
  },
  cni: { type: 'calico', encapsulation: 'VXLAN' },
  pods: {
    'web-1': { node: 'c1-node1', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-2': { node: 'c1-node2', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    client: { node: 'c1-node1', containers: [container(workloads.httpEcho())] },
  },
  services: {
    web: { selector: { app: 'web' }, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80, targetPort: 8080 }] },
  },
  checks: [
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, family: 'IPv6', expectPod: 'web-2', expectNoNat: true, name: 'pod to pod across nodes over IPv6 through vxlan-v6.calico, no NAT' },
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true, name: 'pod to pod across nodes over IPv4 through vxlan.calico, no NAT' },
    { kind: 'http', from: 'client', to: 'svc/web', family: 'IPv6', name: 'the Service at its IPv6 cluster IP' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'AAAA', expectAnswers: ['svc/web'], name: 'AAAA for the Service' },
    { kind: 'vxlan', from: 'node/c1-node1', vni: 4096, port: 4789, dev: 'vxlan-v6.calico', name: 'vxlan-v6.calico: VNI 4096, UDP 4789' },
    { kind: 'command', from: 'node/c1-node1', command: ['ip', '-6', 'route', 'show', 'dev', 'vxlan-v6.calico'], expectMatch: 'fd00:10:244::80/122 via fd00:10:244::80 .*onlink', name: "c1-node2's IPv6 block via its IPv6 tunnel address, onlink" },
    { kind: 'block', from: 'node/c1-node1', holds: ['fd00:10:244::40/122'], name: 'c1-node1 holds its IPv6 block (a blackhole route)' },
  ],
});
