/**
 * A wrong answer to "calico-bgp": c1-node2 added, but in AS 64513. The others then expect an eBGP
 * peer in AS 64513, c1-node2's BIRD opens in 64512 (the nodes' AS), and they refuse it: "Bad peer AS".
 */
export default {
  cni: {
    type: 'calico',
    nodeToNodeMesh: false,
    peers: [
      { peerIP: '172.16.94.10', asNumber: 64512 },
      { peerIP: '172.16.94.11', asNumber: 64512 },
      { peerIP: '172.16.94.12', asNumber: 64513 },
    ],
  },
};
