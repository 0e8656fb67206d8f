import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "Gate a Service on readiness": two replicas of a web app (http-echo,
 * label app=web, one per worker) behind the Service `web`, a client pod, and the lab's control
 * loops (a kubelet that probes, an endpoint controller). No container has a probe yet, so a replica
 * whose /healthz fails keeps receiving the Service's traffic. Its scenarios make a replica
 * unhealthy and healthy again, and ask the Service (`podlab scenario readiness-gate web-1-sick`).
 */
const sick = (pod: string, other: string) => ({
  description: `${pod}'s /healthz answers 503 (its / still answers); then only ${other} should answer the Service`,
  steps: [
    { action: 'make-unready' as const, pod },
    { check: { kind: 'http' as const, from: 'client', to: 'svc/web', requests: 12, expectPod: other, timeoutMs: 5000, name: `the Service answered by ${other} alone` } },
  ],
});
const well = (pod: string) => ({
  description: `${pod}'s /healthz answers 200 again; then both should answer the Service`,
  steps: [
    { action: 'make-ready' as const, pod },
    { check: { kind: 'http' as const, from: 'client', to: 'svc/web', requests: 12, expectSpread: 2, timeoutMs: 5000, name: 'the Service spreads over both' } },
  ],
});

export default defineLab({
  name: 'readiness-gate',
  description: 'Two web replicas behind a Service, control loops on, no readiness probe yet.',
  nodes: {
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  // The control loops, with the agent looking every 100 ms.
  loops: { tickMs: 100 },
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080), 'web')] },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080), 'web')] },
    client: { node: 'worker-1' },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  },
  checks: [{ kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 2, name: 'the Service spreads over both replicas' }],
  scenarios: {
    'web-1-sick': sick('web-1', 'web-2'),
    'web-1-well': well('web-1'),
    'web-2-sick': sick('web-2', 'web-1'),
    'web-2-well': well('web-2'),
  },
});
