import { container, defineLab, workloads } from 'podlab';

/**
 * The cluster of the exercise "Make pods on two nodes reach each other with flannel": two nodes,
 * a pod on each, and kubenet-style routing — each node reaches the other's pod CIDR by a plain
 * route via the other node's address. That needs a node network that delivers packets addressed
 * to pod IPs, and this one is the task's cloud network: it knows the nodes' addresses only and
 * drops the rest (nodeNetwork.podTraffic 'drop'), so the pods cannot reach each other yet.
 */
export default defineLab({
  name: 'flannel-two-nodes',
  description: 'Two nodes, a pod on each, pod traffic routed kubenet-style over a cloud network that drops it.',
  // The cloud network: it delivers packets between node addresses only.
  nodeNetwork: { podTraffic: 'drop' },
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
