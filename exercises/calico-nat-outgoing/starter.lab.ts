import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "NAT outgoing per IP pool": the course's Calico cluster (c1-master1,
 * c1-node1, c1-node2 on 172.16.94.0/24, routed by BIRD's full iBGP mesh) with two IP pools, one per
 * rack of nodes, and a server on the internet beyond the lab's gateway. natOutgoing is off in both
 * pools, so every pod reaches the internet with its own address, and the gateway holds a route
 * back to each pool's blocks (as a router that learns the pools without natOutgoing would).
 */
export default defineLab({
  name: 'calico-nat-outgoing',
  description: 'Calico with two IP pools, one per rack, natOutgoing off in both, and a server on the internet beyond the gateway.',
  nodeNetwork: { cidr: '172.16.94.0/24' },
  nodes: {
    'c1-master1': { role: 'control-plane', ip: '172.16.94.10', labels: { rack: 'a' } },
    'c1-node1': { ip: '172.16.94.11', labels: { rack: 'a' } },
    'c1-node2': { ip: '172.16.94.12', labels: { rack: 'b' } },
  },
  podCidr: '10.244.0.0/16',
  cni: {
    type: 'calico',
    // Two IPPools, as `calicoctl get ippool -o wide` lists them: a node takes its blocks from the
    // pool whose nodeSelector matches its labels.
    ipPools: [
      { name: 'rack-a', cidr: '10.244.0.0/20', nodeSelector: "rack == 'a'", natOutgoing: false },
      { name: 'rack-b', cidr: '10.244.16.0/20', nodeSelector: "rack == 'b'", natOutgoing: false },
    ],
  },
  pods: {
    // app-a's address is from pool rack-a (c1-node1's block), app-b's from pool rack-b.
    'app-a': { node: 'c1-node1', containers: [container(workloads.httpEcho(8080))] },
    'app-b': { node: 'c1-node2', containers: [container(workloads.httpEcho(8080))] },
  },
  // A server on the internet (203.0.113.10), beyond the gateway: it answers with the client
  // address it saw.
  hosts: { internet: { network: 'external', containers: [container(workloads.httpEcho(80))] } },
  // No cluster DNS: this exercise is about the pod network only.
  dns: false,
});
