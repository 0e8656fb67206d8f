/** A wrong answer to "isolate-db": the namespace chosen by tier=web, which staging carries too, so staging's api reaches the production database. */
export default {
  networkPolicies: {
    'db-ingress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { tier: 'web' } }, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
    },
    'db-egress': { namespace: 'data', podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] },
  },
};
