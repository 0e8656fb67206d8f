import starter from './starter.lab.ts';

/** The reference answer: kubeadm's Corefile with `forward . 203.0.113.53` instead of /etc/resolv.conf. */
export const corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . 203.0.113.53
    cache 30
    loop
    reload
    loadbalance
}
`;

export default { ...starter, dns: { corefile } };
