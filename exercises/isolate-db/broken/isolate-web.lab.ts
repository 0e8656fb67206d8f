/** A wrong answer to "isolate-db": the policy put in namespace web with an empty podSelector, isolating the whole web namespace instead of the database. */
export default {
  networkPolicies: {
    'db-ingress': {
      namespace: 'web',
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
    },
    'db-egress': { namespace: 'data', podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] },
  },
};
