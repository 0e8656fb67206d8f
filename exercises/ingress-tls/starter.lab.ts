import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "Route a host by path with an Ingress, and serve it over TLS": a
 * web app (two replicas) and an API (one), each behind a Service with a port named http, the
 * ingress-nginx IngressClass (default), and a laptop outside the cluster. No Ingress yet.
 */
export default defineLab({
  name: 'ingress-tls',
  description: 'A web app and an API behind Services, an nginx IngressClass, a laptop outside; no Ingress yet.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'api-1': { node: 'worker-2', labels: { app: 'api' }, containers: [container(workloads.httpEcho(9000))] },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    api: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8080, targetPort: 9000 }] },
  },
  hosts: { laptop: { network: 'external' } },
  loadBalancer: { pool: '172.16.94.240/28' },
  ingressClasses: { nginx: { default: true } },
});
