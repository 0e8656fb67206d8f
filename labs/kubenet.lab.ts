/**
 * Routed pod network without encapsulation (kubenet-style): each node's pod CIDR is reached by a
 * plain route via that node's IP on the node network. Compare `ip route` on a node here with the
 * flannel lab. Pods hang off each node's cbr0 bridge, as kubelet's kubenet names it (flannel's is
 * cni0). Also shows a hostNetwork pod, which shares its node's IP. Try:
 *   podlab exec kubenet node/worker-1 -- ip -br addr show cbr0
 *   podlab capture kubenet node/worker-2 -i cbr0 -c 2 -- icmp
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'kubenet',
  description: 'Pod CIDR per node, routes via node IPs, no overlay; a hostNetwork pod shares the node IP',
  nodeNetwork: { cidr: '192.168.56.0/24' },
  nodes: {
    'control-plane': { role: 'control-plane', interface: 'enp0s8' },
    'worker-1': { interface: 'enp0s8' },
    'worker-2': { interface: 'enp0s8' },
  },
  podCidr: '10.244.0.0/16',
  cni: 'kubenet',
  pods: {
    'web-a': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-b': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    agent: { node: 'worker-2', hostNetwork: true, containers: [container(workloads.tcpEcho(9100), 'agent')] },
  },
  checks: [
    { kind: 'http', from: 'web-a', to: 'web-b', port: 8080, expectPod: 'web-b', expectNoNat: true, name: 'pod to pod across nodes, routed, no NAT' },
    { kind: 'ping', from: 'node/control-plane', to: 'web-b', name: 'control plane reaches a pod via its route' },
    { kind: 'tcp', from: 'web-a', to: 'node/worker-2', port: 9100, name: 'pod reaches a hostNetwork pod on its node IP' },
    { kind: 'tcp', from: 'web-a', to: 'web-b', port: 9999, expect: 'no-reach', timeoutMs: 1000, name: 'nothing listens on 9999' },
    // kubenet: a plain route per peer node, next hop the peer itself; no overlay device.
    { kind: 'route', from: 'node/control-plane', to: 'node/worker-2', via: 'node/worker-2' },
  ],
});
