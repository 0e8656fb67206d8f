import { container, defineLab, workloads } from 'podlab';

/** A wrong answer to "flannel-two-nodes": kubenet kept, and the cloud network "fixed" to deliver pod traffic. Only `cni` counts, so it fails like the starter. */
export default defineLab({
  name: 'flannel-two-nodes',
  description: 'Two nodes, a pod on each, pod traffic routed kubenet-style over the node network.',
  nodeNetwork: { podTraffic: 'deliver' },
  nodes: {
    'worker-1': {},
    'worker-2': {},
  },
  podCidr: '10.244.0.0/16',
  cni: 'kubenet',
  pods: {
    'pod-a': { node: 'worker-1', containers: [container(workloads.httpEcho(8080))] },
    'pod-b': { node: 'worker-2', containers: [container(workloads.httpEcho(8080))] },
  },
  // No cluster DNS: this exercise is about the pod network only.
  dns: false,
});
