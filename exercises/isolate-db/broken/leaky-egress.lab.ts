/**
 * A wrong answer to "isolate-db": the egress policy shuts out only namespace web and the pod
 * network as addresses, so the database still reaches staging and kube-system (beyond DNS).
 */
export default {
  networkPolicies: {
    'db-ingress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
    },
    'db-egress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['web'] }] } },
            { ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16'] } },
          ],
        },
      ],
    },
  },
};
