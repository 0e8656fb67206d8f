/** A wrong answer to "isolate-db": the namespace and the pod selector as two peers (OR), so every pod of web, the frontend too, reaches the database. */
export default {
  networkPolicies: {
    'db-ingress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } } }, { podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
    },
    'db-egress': { namespace: 'data', podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] },
  },
};
