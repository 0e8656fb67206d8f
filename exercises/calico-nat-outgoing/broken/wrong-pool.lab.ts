/**
 * A wrong answer to "calico-nat-outgoing" (variant: rack a NATed): natOutgoing turned on in the
 * other pool, rack-b. app-b is NATed, which it must not be; app-a, whose pool is rack-a, still
 * leaves with its own address, and the gateway keeps its route to rack-a's blocks.
 */
export default {
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'rack-a', cidr: '10.244.0.0/20', nodeSelector: "rack == 'a'", natOutgoing: false },
      { name: 'rack-b', cidr: '10.244.16.0/20', nodeSelector: "rack == 'b'", natOutgoing: true },
    ],
  },
};
