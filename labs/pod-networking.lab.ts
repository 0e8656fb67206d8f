/**
 * The classic lab of the course: one control plane and three workers on 172.16.94.10–13, flannel
 * VXLAN between them. Shows IP-per-pod, the pause container (two containers sharing one pod IP
 * and localhost), pod-to-pod on one node and across nodes without NAT, and node agents reaching pods.
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'pod-networking',
  // ipFamilies: ['IPv4', 'IPv6'], // dual stack: every node and pod gets an IPv6 address too (docs/dual-stack.md)
  description: 'IP per pod, shared pod namespaces, pod-to-pod across nodes over flannel VXLAN, no NAT',
  nodeNetwork: { cidr: '172.16.94.0/24' },
  nodes: {
    'control-plane': { role: 'control-plane', ip: '172.16.94.10' },
    'worker-1': { ip: '172.16.94.11' },
    'worker-2': { ip: '172.16.94.12' },
    'worker-3': { ip: '172.16.94.13' },
  },
  podCidr: '10.244.0.0/16',
  cni: 'flannel',
  pods: {
    // Two containers in one pod: the web server and a sidecar sharing its IP and localhost.
    web: {
      node: 'worker-1',
      labels: { app: 'web' },
      containers: [container(workloads.httpEcho(8080), 'web'), { name: 'sidecar', command: ['sleep', 'infinity'] }],
    },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080), 'web')] },
    echo: { node: 'worker-3', containers: [container(workloads.tcpEcho(9000)), container(workloads.udpEcho(9001))] },
    client: { node: 'worker-1', containers: [{ name: 'shell', command: ['sleep', 'infinity'] }] },
  },
  checks: [
    { kind: 'ping', from: 'client', to: 'web', name: 'same-node pod-to-pod' },
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true, name: 'cross-node pod-to-pod, no NAT' },
    { kind: 'tcp', from: 'client', to: 'echo', port: 9000, name: 'TCP to a pod on another node' },
    { kind: 'http', from: 'node/worker-1', to: 'web', port: 8080, expectPod: 'web', name: 'node agent reaches its pod' },
    { kind: 'http', from: 'node/control-plane', to: 'web-2', port: 8080, name: 'control plane reaches a pod on a worker' },
    { kind: 'ping', from: 'web', to: 'node/worker-3', name: 'pod reaches another node' },
    // The plumbing behind it: flannel's VXLAN device, and a route to each peer's pod CIDR over it.
    { kind: 'vxlan', from: 'node/worker-1', vni: 1, port: 8472, dev: 'flannel.1' },
    { kind: 'route', from: 'node/worker-1', to: 'node/worker-2', dev: 'flannel.1' },
    { kind: 'command', from: 'client', command: ['hostname'], expectOutput: 'client', name: 'a pod has its own hostname (UTS namespace)' },
  ],
});
