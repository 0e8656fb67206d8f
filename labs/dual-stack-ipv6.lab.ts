/**
 * Dual stack with IPv6 primary: labs/dual-stack.lab.ts with its ipFamilies line flipped. Every
 * node and pod lists its IPv6 address first (status.podIPs), a Service without ipFamilies is
 * IPv6-only, pods ask kube-dns at its IPv6 cluster IP, and a check without `family` goes over
 * IPv6 (see docs/dual-stack.md).
 */
import { container, defineLab, workloads } from 'podlab';

export default defineLab({
  name: 'dual-stack-ipv6',
  description: 'Dual stack, IPv6 primary: IPv6 first everywhere, IPv4 where a Service asks for it',
  ipFamilies: ['IPv6', 'IPv4'],
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
    'web-v6': { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    'web-lb': { type: 'LoadBalancer', selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, targetPort: 8080 }] },
    'web-np': { type: 'NodePort', selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
  },
  checks: [
    { kind: 'ping', from: 'client', to: 'web-2', name: 'cross-node ping at the primary (IPv6) address' },
    { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true, name: 'cross-node pod-to-pod over IPv6, no NAT' },
    { kind: 'http', from: 'client', to: 'svc/web', expectNoNat: true, name: 'dual-stack Service at its primary (IPv6) cluster IP' },
    { kind: 'http', from: 'client', to: 'svc/web', family: 'IPv4', name: 'dual-stack Service at its IPv4 cluster IP' },
    { kind: 'http', from: 'client', to: 'svc/web-v4', name: 'IPv4-only Service' },
    { kind: 'http', from: 'client', to: 'svc/web-v6', name: 'a Service without ipFamilies is IPv6-only' },
    { kind: 'ping', from: 'node/worker-1', to: 'node/worker-2', name: 'node to node over IPv6' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'AAAA', expectAnswers: ['fd00:10:96::1'], name: 'AAAA, asked at kube-dns’s IPv6 cluster IP (resolv.conf)' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'A', expectAnswers: ['10.96.0.1'] },
    { kind: 'dns', from: 'client', query: 'web-v6.default.svc.cluster.local.', type: 'A', expectEmpty: true, name: 'A for an IPv6-only Service is NODATA' },
    { kind: 'http', from: 'client', to: 'host/internet', port: 8000, expectSource: 'node/worker-1', name: 'pod to an outside host over IPv6: source-NATed to its node (natOutgoing)' },
    { kind: 'http', from: 'host/internet', to: 'node/worker-2', port: 30080, name: 'outside host to a NodePort over IPv6, through the gateway' },
    { kind: 'http', from: 'host/internet', to: 'lb/web-lb', name: 'outside host to a LoadBalancer’s IPv6 address, through the gateway' },
  ],
});
