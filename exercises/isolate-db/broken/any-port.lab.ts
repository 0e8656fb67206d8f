/** A wrong answer to "isolate-db": no ports in the ingress rule, so the api reaches the metrics exporter on 9187 as well. */
export default {
  networkPolicies: {
    'db-ingress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'api' } } }], }],
    },
    'db-egress': { namespace: 'data', podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] },
  },
};
