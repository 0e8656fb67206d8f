import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "Serve a Service over both families": a dual-stack cluster (every
 * node and pod has an IPv4 and an IPv6 address, IPv4 primary) with a web app (http-echo, label
 * app=web) on two workers, a client pod, and a laptop outside the cluster, beyond the lab's
 * gateway, with an address in each family. Nothing exposes the app yet: there is no Service.
 */
export default defineLab({
  name: 'dual-stack-service',
  description: 'A dual-stack cluster, a web app on two workers, a laptop outside, and no Service yet.',
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'kubenet',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'control-plane' },
  },
  hosts: {
    laptop: { network: 'external' },
  },
});
