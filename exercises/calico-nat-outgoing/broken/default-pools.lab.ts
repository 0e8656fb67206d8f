/**
 * A wrong answer to "calico-nat-outgoing" (variant: rack a NATed): the `natOutgoing: false` lines
 * deleted instead of one of them turned to true. A pool that says nothing takes the lab's
 * natOutgoing, true by default (as Calico's CALICO_IPV4POOL_NAT_OUTGOING), so both pools are NATed.
 */
export default {
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'rack-a', cidr: '10.244.0.0/20', nodeSelector: "rack == 'a'" },
      { name: 'rack-b', cidr: '10.244.16.0/20', nodeSelector: "rack == 'b'" },
    ],
  },
};
