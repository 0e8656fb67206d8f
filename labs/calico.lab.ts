/**
 * "Local Cluster – Calico CNI Plugin": the course's cluster (c1-master1 and three workers on
 * 172.16.94.0/24) on Calico. Each pod hangs off a `cali…` veth with no address on the node side and
 * has its IP as a /32 behind 169.254.1.1; the pool 10.244.0.0/16 is cut into /26 blocks that the
 * nodes claim; BIRD runs in every node and the nodes peer in a full iBGP mesh (AS 64512), each
 * exporting its blocks. Try `podlab exec calico node/c1-master1 -- ip route` (blackhole for its
 * own block, `proto bird` routes to the others') and, in a pod, `ip route` (default via 169.254.1.1).
 * Switch to VXLAN with one line: cni: { type: 'calico', encapsulation: 'VXLAN' }; the bgp checks are
 * then refused (PL2156: no BIRD runs) and those of BGP's routes (proto bird, via a peer's node
 * address) no longer hold; everything else does (test/live/calico-switch.test.ts).
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'calico',
  description: 'Calico: cali veths with /32 pod routes, /26 blocks per node, BIRD full-mesh iBGP (AS 64512) between the nodes',
  nodeNetwork: { cidr: '172.16.94.0/24' },
  nodes: {
    'c1-master1': { role: 'control-plane', ip: '172.16.94.10' },
    'c1-node1': { ip: '172.16.94.11' },
    'c1-node2': { ip: '172.16.94.12' },
    'c1-node3': { ip: '172.16.94.13' },
  },
  podCidr: '10.244.0.0/16',
  cni: { type: 'calico', ipPool: { blockSize: 26, natOutgoing: true } },
  pods: {
    'web-1': { node: 'c1-node1', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-2': { node: 'c1-node2', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-3': { node: 'c1-node3', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    client: { node: 'c1-node1', containers: [container(workloads.tcpEcho(9000), 'shell')] },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  // An "internet" host beyond the lab's gateway: what natOutgoing is for.
  hosts: { internet: { network: 'external', containers: [container(workloads.httpEcho(80))] } },
  checks: [
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true, name: 'pod to pod across nodes, routed by BGP, no NAT' },
    { kind: 'http', from: 'client', to: 'web-1', port: 8080, expectPod: 'web-1', expectNoNat: true, name: 'pod to pod on one node, through the node (/32 routes)' },
    { kind: 'http', from: 'client', to: 'svc/web', expectSpread: 3, requests: 30, name: 'the Service balances over pods on three nodes' },
    { kind: 'ping', from: 'node/c1-master1', to: 'web-3', name: 'the control plane reaches a pod through a route BIRD learned' },
    // The route to a peer's block was learned over BGP: via the peer's node address.
    { kind: 'route', from: 'node/c1-master1', to: 'node/c1-node2', via: 'node/c1-node2', name: "c1-node2's block is routed via c1-node2" },
    { kind: 'command', from: 'node/c1-master1', command: ['ip', 'route', 'show', 'proto', 'bird'], expectMatch: '^blackhole 10\\.244\\.0\\.0/26', name: 'the node holds a blackhole route for its own block' },
    { kind: 'route', from: 'node/c1-master1', to: '10.244.0.64/26', via: 'node/c1-node1', proto: 'bird', name: "c1-node1's block is a route BIRD installed (proto bird)" },
    { kind: 'route', from: 'node/c1-node1', to: '10.244.0.64/26', type: 'blackhole', name: 'c1-node1 holds a blackhole route for its own block' },
    // BGP, asked of BIRD itself (birdc on the node's control socket): the sessions, and what came over them.
    { kind: 'bgp', from: 'node/c1-master1', peer: 'node/c1-node1', name: 'the iBGP session c1-master1 ⇄ c1-node1 is Established' },
    { kind: 'bgp', from: 'node/c1-node3', peer: 'node/c1-node2', name: 'the iBGP session c1-node3 ⇄ c1-node2 is Established' },
    { kind: 'bgp', from: 'node/c1-node1', peer: 'node/c1-node3', learned: 'blocks', name: "c1-node1 learned c1-node3's block from c1-node3" },
    // Block IPAM: blocks are claimed in node order, one /26 each here; web-1's address is from its node's own block.
    { kind: 'block', from: 'node/c1-node2', holds: ['10.244.0.128/26'], name: 'c1-node2 holds the third block of the pool' },
    { kind: 'block', from: 'node/c1-node1', pod: 'web-1', borrowed: false, name: "web-1's address comes from c1-node1's own block" },
    { kind: 'command', from: 'client', command: ['ip', 'route'], expectMatch: '^default via 169\\.254\\.1\\.1 dev eth0', name: 'the pod routes everything via 169.254.1.1' },
    // natOutgoing: leaving every pool, the pod's traffic is masqueraded to its node's address (the node's calico nft table).
    { kind: 'http', from: 'client', to: 'host/internet', port: 80, expectSource: 'node/c1-node1', name: 'natOutgoing: the outside host sees the node, not the pod' },
  ],
});
