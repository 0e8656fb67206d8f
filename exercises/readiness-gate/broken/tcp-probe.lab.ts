import { container, workloads } from 'podlab';

/** A wrong answer to "readiness-gate": a TCP probe: it passes while the port is open, and a replica whose /healthz answers 503 still has its port open. */
const web = (node: string) => ({
  node,
  labels: { app: 'web' },
  containers: [{ ...container(workloads.httpEcho(8080), 'web'), readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 1 } }],
});

export default { pods: { 'web-1': web('worker-1'), 'web-2': web('worker-2'), client: { node: 'worker-1' } } };
