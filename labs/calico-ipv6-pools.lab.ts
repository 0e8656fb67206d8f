/**
 * Calico's IPv6 side in a dual-stack cluster: two IPv6 IP pools beside the IPv4 one. Pool v6-rack-a
 * (fd00:10:244:a::/120, /124 blocks, natOutgoing) serves the nodes labelled rack=a; pool v6-rest
 * (fd00:10:244:b::/112, /122 blocks, no natOutgoing) the others. A pod takes its IPv6 address from
 * the pool of its node; BIRD's IPv6 mesh carries the /124 beside the /122s; pods of the two pools
 * reach each other without NAT; an outside host reached over IPv6 sees the node's IPv6 address for
 * v6-rack-a (Felix's ip6 nat table: `podlab exec calico-ipv6-pools node/c1-node1 -- nft list table
 * ip6 calico`) and the pod's own for v6-rest. Try `podlab status calico-ipv6-pools` (pools, blocks6).
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'calico-ipv6-pools',
  description: 'Calico dual stack with two IPv6 pools: per-node nodeSelector, /124 and /122 blocks, natOutgoing per IPv6 pool',
  ipFamilies: ['IPv4', 'IPv6'],
  nodeNetwork: { cidr: '172.16.94.0/24' },
  nodes: {
    'c1-master1': { role: 'control-plane', ip: '172.16.94.10' },
    'c1-node1': { ip: '172.16.94.11', labels: { rack: 'a' } },
    'c1-node2': { ip: '172.16.94.12' },
  },
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'default-ipv4-ippool', cidr: '10.244.0.0/16' },
      { name: 'v6-rack-a', cidr: 'fd00:10:244:a::/120', blockSize: 124, nodeSelector: "rack == 'a'", natOutgoing: true },
      { name: 'v6-rest', cidr: 'fd00:10:244:b::/112', nodeSelector: '!has(rack)', natOutgoing: false },
    ],
  },
  pods: {
    'web-a': { node: 'c1-node1', containers: [container(workloads.httpEcho())] },
    'web-b': { node: 'c1-node2', containers: [container(workloads.httpEcho())] },
  },
  hosts: { internet: { network: 'external', containers: [container(workloads.httpEcho(80))] } },
  dns: false,
  checks: [
    { kind: 'block', from: 'node/c1-node1', holds: ['fd00:10:244:a::/124'], name: 'c1-node1 holds a /124 of pool v6-rack-a' },
    { kind: 'block', from: 'node/c1-node2', holds: ['fd00:10:244:b::40/122'], name: 'c1-node2 holds a /122 of pool v6-rest' },
    { kind: 'bgp', from: 'node/c1-node2', peer: 'node/c1-node1', learned: 'fd00:10:244:a::/124', name: "c1-node2 learned c1-node1's /124 over the IPv6 mesh" },
    { kind: 'http', from: 'web-a', to: 'web-b', port: 8080, family: 'IPv6', expectPod: 'web-b', expectNoNat: true, name: 'pool v6-rack-a → pool v6-rest over IPv6, no NAT' },
    { kind: 'http', from: 'web-a', to: 'host/internet', port: 80, family: 'IPv6', expectSource: 'node/c1-node1', name: "v6-rack-a has natOutgoing: the outside host sees c1-node1's IPv6 address" },
    { kind: 'http', from: 'web-b', to: 'host/internet', port: 80, family: 'IPv6', expectNoNat: true, name: "v6-rest has none: the outside host sees web-b's own IPv6 address" },
  ],
});
