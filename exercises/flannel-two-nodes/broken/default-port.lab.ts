import { container, defineLab, workloads } from 'podlab';

/** A wrong answer to "flannel-two-nodes": VNI 42, but on flannel's default UDP port 8472, not the 4789 the network allows. */
export default defineLab({
  name: 'flannel-two-nodes',
  description: 'Two nodes, a pod on each, pod traffic routed kubenet-style over the node network.',
  nodes: {
    'worker-1': {},
    'worker-2': {},
  },
  podCidr: '10.244.0.0/16',
  cni: { type: 'flannel', vni: 42 },
  pods: {
    'pod-a': { node: 'worker-1', containers: [container(workloads.httpEcho(8080))] },
    'pod-b': { node: 'worker-2', containers: [container(workloads.httpEcho(8080))] },
  },
  // No cluster DNS: this exercise is about the pod network only.
  dns: false,
});
