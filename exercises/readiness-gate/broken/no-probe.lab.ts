import { container, workloads } from 'podlab';

/** A wrong answer to "readiness-gate": the starter's pods handed in as they are, with no probe, so nothing takes an unhealthy replica out. */
const web = (node: string) => ({ node, labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080), 'web')] });

export default { pods: { 'web-1': web('worker-1'), 'web-2': web('worker-2'), client: { node: 'worker-1' } } };
