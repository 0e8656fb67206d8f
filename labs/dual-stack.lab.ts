/**
 * Dual stack: every node and pod has an IPv4 and an IPv6 address (IPv4 primary), Services ask
 * for one or both families, and pods reach each other across nodes over IPv6 without NAT.
 * Switch to IPv6 primary with ipFamilies: ['IPv6', 'IPv4'] (see docs/dual-stack.md).
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'dual-stack',
  description: 'Dual-stack pods and Services: one address per family, pod-to-pod over IPv6 without NAT',
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'kubenet',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    client: { node: 'worker-1', containers: [container(workloads.httpEcho())] },
  },
  hosts: {
    // A machine on the "internet", beyond the gateway: it has an address in each family too.
    internet: { network: 'external', containers: [container(workloads.httpEcho(8000))] },
  },
  // The gateway holds the load-balancer addresses: one per family for a dual-stack LoadBalancer Service.
  loadBalancer: { pool: '172.16.94.240/28' },
  services: {
    web: { selector: { app: 'web' }, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80, targetPort: 8080 }] },
    'web-v4': { selector: { app: 'web' }, ipFamilies: ['IPv4'], ports: [{ port: 80, targetPort: 8080 }] },
    'web-v6': { selector: { app: 'web' }, ipFamilies: ['IPv6'], ports: [{ port: 80, targetPort: 8080 }] },
    'web-lb': { type: 'LoadBalancer', selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, targetPort: 8080 }] },
    'web-np': { type: 'NodePort', selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
  },
  checks: [
    { kind: 'ping', from: 'client', to: 'web-2' },
    { kind: 'http', from: 'client', to: 'svc/web', expectNoNat: true },
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, family: 'IPv6', expectPod: 'web-2', name: 'cross-node pod-to-pod over IPv6' },
    { kind: 'http', from: 'client', to: 'svc/web', family: 'IPv6', name: 'dual-stack Service at its IPv6 cluster IP' },
    { kind: 'http', from: 'client', to: 'svc/web-v6', name: 'IPv6-only Service' },
    { kind: 'ping', from: 'node/worker-1', to: 'node/worker-2', family: 'IPv6', name: 'node to node over IPv6' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'AAAA', expectAnswers: ['fd00:10:96::1'] },
    { kind: 'dns', from: 'client', query: 'web-v4.default.svc.cluster.local.', type: 'AAAA', expectEmpty: true, name: 'AAAA for an IPv4-only Service is NODATA' },
    { kind: 'dns', from: 'client', server: 'svc/kube-system/kube-dns', family: 'IPv6', query: 'web.default.svc.cluster.local.', expectAnswers: ['svc/web'], name: 'kube-dns asked at its IPv6 cluster IP' },
    { kind: 'dns', from: 'client', query: 'fd00:10:96::1', type: 'PTR', expectAnswers: ['web.default.svc.cluster.local.'], name: 'PTR of an IPv6 cluster IP, under ip6.arpa' },
    { kind: 'tcp', from: 'client', to: 'web-2', port: 8080, family: 'IPv6', name: 'TCP to a pod at its IPv6 address' },
    { kind: 'route', from: 'node/worker-1', to: 'node/worker-2', family: 'IPv6', via: 'node/worker-2', dev: 'eth0', name: 'kubenet: the IPv6 slice of worker-2 via its IPv6 address (ip -6 route)' },
    { kind: 'http', from: 'client', to: 'host/internet', port: 8000, family: 'IPv6', expectSource: 'node/worker-1', name: 'pod to an outside host over IPv6: source-NATed to its node (natOutgoing)' },
    { kind: 'http', from: 'host/internet', to: 'node/worker-2', port: 30080, family: 'IPv6', name: 'outside host to a NodePort over IPv6, through the gateway' },
    { kind: 'http', from: 'host/internet', to: 'lb/web-lb', family: 'IPv6', name: 'outside host to a LoadBalancer’s IPv6 address, through the gateway' },
  ],
});
