/** A wrong answer to "calico-nat-outgoing" (variant: rack a NATed): the IP pools as the starter has them, natOutgoing off in both. */
export default {
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'rack-a', cidr: '10.244.0.0/20', nodeSelector: "rack == 'a'", natOutgoing: false },
      { name: 'rack-b', cidr: '10.244.16.0/20', nodeSelector: "rack == 'b'", natOutgoing: false },
    ],
  },
};
