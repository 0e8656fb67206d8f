/** A wrong answer to "isolate-db": only the ingress policy; the database may still connect anywhere. */
export default {
  networkPolicies: {
    'db-ingress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
    },
  },
};
