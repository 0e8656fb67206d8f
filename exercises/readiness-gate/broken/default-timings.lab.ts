import { container, workloads } from 'podlab';

/** A wrong answer to "readiness-gate": the right probe with the default timings: asked every 10 s, unready after 3 failures (up to 30 s). */
const web = (node: string) => ({
  node,
  labels: { app: 'web' },
  containers: [{ ...container(workloads.httpEcho(8080), 'web'), readinessProbe: { httpGet: { port: 8080, path: '/healthz' } } }],
});

export default { pods: { 'web-1': web('worker-1'), 'web-2': web('worker-2'), client: { node: 'worker-1' } } };
