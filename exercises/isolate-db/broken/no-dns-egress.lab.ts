/** A wrong answer to "isolate-db": egress closed entirely, DNS forgotten: the database can no longer resolve a name. */
export default {
  networkPolicies: {
    'db-ingress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
    },
    'db-egress': { namespace: 'data', podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'] },
  },
};
