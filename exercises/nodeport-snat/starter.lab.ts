import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "Expose an app with a NodePort Service, and observe source NAT": a
 * shop app (http-echo, label app=shop) with a replica on each worker, a client pod, and a laptop
 * outside the cluster, beyond the lab's gateway. Nothing exposes the app yet: there is no Service.
 */
export default defineLab({
  name: 'nodeport-snat',
  description: 'Two replicas of a shop app on two workers, a laptop outside the cluster, and no Service yet.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  pods: {
    'shop-1': { node: 'worker-1', labels: { app: 'shop' }, containers: [container(workloads.httpEcho(8080))] },
    'shop-2': { node: 'worker-2', labels: { app: 'shop' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'control-plane' },
  },
  hosts: {
    laptop: { network: 'external' },
  },
});
