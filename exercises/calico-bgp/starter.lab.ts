import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "Pods on c1-node2 cannot be reached": the course's Calico cluster
 * (c1-master1, c1-node1, c1-node2 on 172.16.94.0/24), a pod on each node, routed by BGP (BIRD in
 * every node). Its BGP design turns Calico's node-to-node mesh off and lists the peers every node
 * has (global BGPPeers), and the list forgets c1-node2: c1-node2's BIRD dials the others, but they
 * do not know it, so no session comes up and nobody learns c1-node2's block.
 */
export default defineLab({
  name: 'calico-bgp',
  description: 'Calico BGP with the node-to-node mesh off and explicit peers; one node is left out.',
  nodeNetwork: { cidr: '172.16.94.0/24' },
  nodes: {
    'c1-master1': { role: 'control-plane', ip: '172.16.94.10' },
    'c1-node1': { ip: '172.16.94.11' },
    'c1-node2': { ip: '172.16.94.12' },
  },
  // The missing session is the learner's to find with birdc: validate would name it (PL2189).
  quietWarnings: ['PL2189'],
  podCidr: '10.244.0.0/16',
  cni: {
    type: 'calico',
    // calicoctl patch bgpconfiguration default -p '{"spec": {"nodeToNodeMeshEnabled": false}}'
    nodeToNodeMesh: false,
    // One global BGPPeer per node: every node peers with each address here but its own.
    peers: [
      { peerIP: '172.16.94.10', asNumber: 64512 },
      { peerIP: '172.16.94.11', asNumber: 64512 },
    ],
  },
  pods: {
    'pod-a': { node: 'c1-master1', containers: [container(workloads.httpEcho(8080))] },
    'pod-b': { node: 'c1-node1', containers: [container(workloads.httpEcho(8080))] },
    'pod-c': { node: 'c1-node2', containers: [container(workloads.httpEcho(8080))] },
  },
  // No cluster DNS: this exercise is about the pod network only.
  dns: false,
});
