import { defineLab } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer: the missing global BGPPeer for c1-node2, in the nodes' AS (64512, Calico's
 * default), as `calicoctl apply` of a BGPPeer { peerIP: 172.16.94.12, asNumber: 64512 } would add.
 * (Turning the node-to-node mesh back on is right too.)
 */
export default defineLab({
  ...starter,
  cni: {
    type: 'calico',
    nodeToNodeMesh: false,
    peers: [
      { peerIP: '172.16.94.10', asNumber: 64512 },
      { peerIP: '172.16.94.11', asNumber: 64512 },
      { peerIP: '172.16.94.12', asNumber: 64512 },
    ],
  },
});
