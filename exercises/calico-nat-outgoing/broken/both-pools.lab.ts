/**
 * A wrong answer to "calico-nat-outgoing" (variant: rack a NATed): natOutgoing on in both pools.
 * app-a is NATed as asked, but so is app-b, whose partner lets in rack-b's addresses. Pod to
 * pod is still not NATed: both ends are inside the pools.
 */
export default {
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'rack-a', cidr: '10.244.0.0/20', nodeSelector: "rack == 'a'", natOutgoing: true },
      { name: 'rack-b', cidr: '10.244.16.0/20', nodeSelector: "rack == 'b'", natOutgoing: true },
    ],
  },
};
