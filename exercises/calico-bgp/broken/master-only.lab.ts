/**
 * A wrong answer to "calico-bgp": c1-node2 added as a peer of c1-master1 only (a node-specific
 * BGPPeer). c1-master1 learns c1-node2's block, but iBGP does not pass routes learned from one
 * peer on to another (no route reflector), so c1-node1 still has no route to it.
 */
export default {
  cni: {
    type: 'calico',
    nodeToNodeMesh: false,
    peers: [
      { peerIP: '172.16.94.10', asNumber: 64512 },
      { peerIP: '172.16.94.11', asNumber: 64512 },
      { node: 'c1-master1', peerIP: '172.16.94.12', asNumber: 64512 },
    ],
  },
};
