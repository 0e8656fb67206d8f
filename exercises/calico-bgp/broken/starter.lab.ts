/** A wrong answer to "calico-bgp": the starter's peers unchanged, c1-node2 still missing from the list. */
export default {
  cni: {
    type: 'calico',
    nodeToNodeMesh: false,
    peers: [
      { peerIP: '172.16.94.10', asNumber: 64512 },
      { peerIP: '172.16.94.11', asNumber: 64512 },
    ],
  },
};
