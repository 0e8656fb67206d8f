import { container, defineLab, workloads } from 'podlab';

/**
 * Services, the way kube-proxy builds them in nftables on every node. Read the rules with
 *   podlab exec services node/worker-1 -- nft list table ip podlab
 * and watch what each kind of Service does to a packet's addresses: the http-echo pods answer
 * with their name and the client address they saw.
 */
export default defineLab({
  name: 'services',
  description:
    'ClusterIP, NodePort, LoadBalancer, headless and ExternalName Services; session affinity; external and internal traffic policies; hostPort, hostNetwork and NAT to the outside.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  pods: {
    // Three replicas of a web app: two on worker-1, one on worker-2.
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-2': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-3': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    // One replica only, on worker-2: externalTrafficPolicy Local makes the difference visible.
    'solo': { node: 'worker-2', labels: { app: 'solo' }, containers: [container(workloads.httpEcho(8080))] },
    // A UDP server behind a UDP Service.
    'echo': { node: 'worker-2', labels: { app: 'echo' }, containers: [container(workloads.udpEcho(5353))] },
    // A pod with a hostPort: node worker-1's port 8081 leads to it (CNI portmap plugin).
    'hostport-web': {
      node: 'worker-1',
      containers: [{ name: 'web', workload: workloads.httpEcho(8080), ports: [{ name: 'http', containerPort: 8080, hostPort: 8081 }] }],
    },
    // A node agent in the node's own network namespace, still selectable by a Service.
    'agent': { node: 'worker-2', hostNetwork: true, labels: { app: 'agent' }, containers: [container(workloads.httpEcho(9090))] },
    'client': { node: 'control-plane' },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    'web-sticky': { selector: { app: 'web' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] },
    'web-nodeport': { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
    'solo-local': {
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
      selector: { app: 'solo' },
      ports: [{ port: 80, targetPort: 8080, nodePort: 30081 }],
    },
    'web-lb': { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    'echo-udp': { selector: { app: 'echo' }, ports: [{ protocol: 'UDP', port: 53, targetPort: 5353 }] },
    agent: { selector: { app: 'agent' }, ports: [{ port: 9090 }] },
    // No rules for these two: their DNS records (endpoints, a CNAME) are the cluster DNS's work.
    'web-headless': { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 8080 }] },
    db: { type: 'ExternalName', externalName: 'db.example.com' },
  },
  // Outside the cluster: a server on the "internet" beyond the lab's gateway, which also holds the
  // load-balancer addresses.
  hosts: {
    internet: { network: 'external', containers: [container(workloads.httpEcho(80))] },
  },
  // One CIDR per family, as MetalLB's IPAddressPool lists addresses: the lab uses those of its families,
  // so ipFamilies: ['IPv6'] (or ['IPv4', 'IPv6']) is the one line that switches it (docs/dual-stack.md).
  loadBalancer: { pool: ['172.16.94.240/28', 'fd00:172:16:94::f0/124'] },
  natOutgoing: true,
  checks: [
    // ClusterIP: load-balanced over all three replicas, and the backend sees the client pod's own IP.
    { kind: 'http', from: 'client', to: 'svc/web', requests: 60, expectSpread: 3, expectNoNat: true },
    // Hairpin: a backend reaching its own Service sometimes lands on itself.
    { kind: 'http', from: 'web-3', to: 'svc/web', requests: 30, expectSpread: 3 },
    { kind: 'http', from: 'client', to: 'svc/web-sticky', requests: 20, expectSticky: true },
    { kind: 'udp', from: 'client', to: 'svc/echo-udp' },
    { kind: 'http', from: 'client', to: 'svc/agent', expectPod: 'agent' },
    // NodePort, externalTrafficPolicy Cluster: any node answers, the backend sees a node address.
    { kind: 'http', from: 'host/internet', to: 'node/control-plane', port: 30080, requests: 20, expectSpread: 3, expectSource: 'nodes' },
    // externalTrafficPolicy Local: only the node with the endpoint answers, and the client IP survives.
    { kind: 'http', from: 'host/internet', to: 'node/worker-2', port: 30081, expectPod: 'solo', expectSource: 'host/internet' },
    { kind: 'tcp', from: 'host/internet', to: 'node/worker-1', port: 30081, expect: 'no-reach', timeoutMs: 1500 },
    // LoadBalancer: the gateway's pool address forwards to the NodePorts.
    { kind: 'http', from: 'host/internet', to: 'lb/web-lb', requests: 20, expectSpread: 3, expectSource: 'nodes' },
    { kind: 'http', from: 'node/control-plane', to: 'node/worker-1', port: 8081, expectPod: 'hostport-web' },
    // NAT outgoing: the internet host sees the node's address, not the pod's.
    { kind: 'http', from: 'client', to: 'host/internet', port: 80, expectSource: 'node/control-plane' },
    // Who reaches what: a ClusterIP exists only inside the cluster; a NodePort is reachable from outside.
    {
      kind: 'matrix',
      name: 'ClusterIP inside, NodePort outside',
      from: ['client', 'web-3', 'host/internet'],
      to: ['svc/web', 'node/worker-1:30080', 'host/internet:80'],
      expect: [
        ['reach', 'reach', 'reach'],
        ['reach', 'reach', 'reach'],
        ['no-reach', 'reach', 'reach'],
      ],
    },
  ],
  scenarios: {
    // podlab scenario services pod-ip-changes
    'pod-ip-changes': {
      description: 'a re-created pod gets a new IP; the Service follows it',
      steps: [
        { action: 'recreate-pod', pod: 'web-1' },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 60, expectSpread: 3 } },
        { check: { kind: 'http', from: 'client', to: 'web-1', port: 8080, expectPod: 'web-1' } },
      ],
    },
    // podlab scenario services scale
    scale: {
      description: 'scale solo to 3 replicas: the Service spreads over all of them; back to 1',
      steps: [
        { action: 'scale', pod: 'solo', replicas: 3 },
        { check: { kind: 'http', from: 'client', to: 'svc/solo-local', requests: 40, expectSpread: 3 } },
        { action: 'scale', pod: 'solo', replicas: 1 },
        { check: { kind: 'http', from: 'client', to: 'svc/solo-local', requests: 20, expectPod: 'solo' } },
      ],
    },
    // podlab scenario services restart-keeps-ip
    'restart-keeps-ip': {
      description: 'a restarted container keeps its pod IP (the sandbox holds it)',
      steps: [
        { action: 'restart-container', pod: 'web-2', container: 'http-echo' },
        { check: { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2' } },
      ],
    },
    // podlab scenario services node-unplugged
    'node-unplugged': {
      description: "unplug worker-2's link: its pods drop out of reach; plug it back in",
      steps: [
        { action: 'link-down', node: 'worker-2' },
        { check: { kind: 'ping', from: 'client', to: 'web-3', expect: 'no-reach', timeoutMs: 1500 } },
        { check: { kind: 'ping', from: 'client', to: 'web-1' } },
        { action: 'link-up', node: 'worker-2' },
        { check: { kind: 'ping', from: 'client', to: 'web-3' } },
      ],
    },
  },
});
