import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "Isolate the database": a web namespace (frontend, api), a staging
 * namespace with its own api, and a data namespace with the database (postgres on 5432, a metrics
 * exporter on 9187). No NetworkPolicy yet: every pod reaches every other.
 */
export default defineLab({
  name: 'isolate-db',
  description: 'A shop: web (frontend, api), staging (api) and data (db on 5432, metrics on 9187), with no NetworkPolicy yet.',
  nodes: { 'worker-1': {}, 'worker-2': {} },
  cni: 'flannel',
  namespaces: [
    { name: 'web', labels: { env: 'prod', tier: 'web' } },
    { name: 'staging', labels: { env: 'staging', tier: 'web' } },
    { name: 'data', labels: { env: 'prod', tier: 'data' } },
  ],
  pods: {
    frontend: { namespace: 'web', node: 'worker-1', labels: { app: 'frontend' }, containers: [container(workloads.httpEcho(8080))] },
    api: { namespace: 'web', node: 'worker-2', labels: { app: 'api' }, containers: [container(workloads.httpEcho(8080))] },
    'staging-api': { namespace: 'staging', node: 'worker-1', labels: { app: 'api' }, containers: [container(workloads.httpEcho(8080))] },
    db: {
      namespace: 'data',
      node: 'worker-2',
      labels: { app: 'db' },
      containers: [
        { name: 'postgres', workload: { kind: 'tcp-echo', port: 5432 }, ports: [{ name: 'postgres', containerPort: 5432 }] },
        { name: 'metrics', workload: { kind: 'tcp-echo', port: 9187 }, ports: [{ name: 'metrics', containerPort: 9187 }] },
      ],
    },
  },
  services: {
    frontend: { namespace: 'web', selector: { app: 'frontend' }, ports: [{ port: 80, targetPort: 8080 }] },
    api: { namespace: 'web', selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] },
    db: { namespace: 'data', selector: { app: 'db' }, ports: [{ name: 'postgres', port: 5432 }, { name: 'metrics', port: 9187 }] },
  },
});
