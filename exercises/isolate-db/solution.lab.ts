import { defineLab } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer to "Isolate the database": one policy admits the api of namespace web
 * (both selectors in ONE peer: namespace AND pod) on the postgres port only; another lets the
 * database reach nothing but the cluster DNS.
 */
export default defineLab({
  ...starter,
  networkPolicies: {
    'db-ingress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'api' } } }],
          ports: [{ port: 'postgres' }],
        },
      ],
    },
    'db-egress': {
      namespace: 'data',
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
        },
      ],
    },
  },
});
