import type { LabSpec } from 'podlab';
import { container, workloads } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer: each web container gets a readinessProbe on its /healthz, asked every
 * second and given up on at the first failure, so a replica that stops answering 200 leaves the
 * Service's endpoints within about a second, and comes back at its first success. The pods are
 * otherwise the starter's.
 */
const web = (node: string) => ({
  node,
  labels: { app: 'web' },
  containers: [{ ...container(workloads.httpEcho(8080), 'web'), readinessProbe: { httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 } }],
});

const solution: LabSpec = { ...starter, pods: { ...starter.pods, 'web-1': web('worker-1'), 'web-2': web('worker-2') } };
export default solution;
