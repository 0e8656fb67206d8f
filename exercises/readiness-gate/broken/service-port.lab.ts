import { container, workloads } from 'podlab';

/** A wrong answer to "readiness-gate": a probe of the Service's port (80): the container listens on 8080, so the probe never passes and no replica is ever ready. */
const web = (node: string) => ({
  node,
  labels: { app: 'web' },
  containers: [{ ...container(workloads.httpEcho(8080), 'web'), readinessProbe: { httpGet: { port: 80, path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 } }],
});

export default { pods: { 'web-1': web('worker-1'), 'web-2': web('worker-2'), client: { node: 'worker-1' } } };
