/**
 * A wrong answer to "calico-nat-outgoing" (variant: rack a NATed): the lab's own natOutgoing
 * (flannel's ipMasq, the default of every pool that says nothing) set to true, the pools left as
 * they were. Only cni.ipPools is taken from a submission, so this is dropped; and were it taken,
 * each pool's own natOutgoing: false would still win.
 */
export default {
  natOutgoing: true,
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'rack-a', cidr: '10.244.0.0/20', nodeSelector: "rack == 'a'", natOutgoing: false },
      { name: 'rack-b', cidr: '10.244.16.0/20', nodeSelector: "rack == 'b'", natOutgoing: false },
    ],
  },
};
