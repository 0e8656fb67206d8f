import { defineExercise } from 'podlab';

/**
 * From the course's pod-networking chapter: pod-to-pod across nodes without NAT, over flannel's
 * VXLAN overlay instead of plain routes. Students submit a whole lab: the starter with its CNI
 * changed.
 *   podlab exercise show exercises/flannel-two-nodes
 *   podlab grade exercises/flannel-two-nodes submissions/*.lab.ts
 *
 * podlab's node network is one switch that delivers any packet, so the starter's pods already
 * reach each other: the rubric credits the overlay (the VXLAN device, its VNI and port, routes
 * through it) and that pod-to-pod keeps working without NAT; no lab setting models an underlay
 * that drops pod-addressed packets.
 */
export default defineExercise({
  title: 'Make pods on two nodes reach each other with flannel',
  task: `
This two-node cluster routes pod traffic the kubenet way: worker-1 has a route to worker-2's pod
CIDR via worker-2's address, and back. That works only when the network between the nodes
delivers packets addressed to pod IPs. The cluster is moving to a cloud network that does not:
it knows the nodes' addresses only and drops everything else. (The lab's node network is a
plain switch, so here the routes still work: look at them with
\`podlab exec flannel-two-nodes node/worker-1 -- ip route\`.)

Move the cluster to flannel's VXLAN backend, so that pod packets travel between the nodes inside
UDP datagrams addressed to the nodes themselves. The network team has opened UDP port **4789**
(the IANA port for VXLAN; flannel and Linux default to 8472) and reserved VNI **42** for this
cluster. Pods must keep reaching each other across the nodes, and keep seeing each other's own
addresses (no NAT between pods).

Then compare \`ip route\` and \`ip -d link show\` on a node with what you saw before: which device
does a packet for the other node's pods leave through now, and where does the VNI appear?

Try it: \`podlab up exercises/flannel-two-nodes/starter.lab.ts\` (then your own copy), and
\`podlab exec flannel-two-nodes pod-a -- ping -c1 <pod-b's IP>\` (\`podlab status flannel-two-nodes\`
shows the pod IPs).

Submit your lab file (e.g. \`yourname.lab.ts\`): the starter with its CNI changed.
`,
  starter: 'starter.lab.ts',
  solution: 'solution.lab.ts',
  rubric: [
    {
      id: 'pods-reach',
      title: 'pod-a (worker-1) pings pod-b (worker-2)',
      points: 2,
      hint: 'Keep one pod on each node; the CNI must connect the nodes\' pod CIDRs.',
      check: { kind: 'ping', from: 'pod-a', to: 'pod-b' },
    },
    {
      id: 'no-nat',
      title: "pod-b sees pod-a's own address (no NAT between pods)",
      points: 2,
      hint: 'Pod-to-pod traffic is never masqueraded, whether routed or encapsulated.',
      check: { kind: 'http', from: 'pod-a', to: 'pod-b', port: 8080, expectPod: 'pod-b', expectNoNat: true },
    },
    {
      id: 'vxlan-device',
      title: 'worker-1 has the VXLAN device flannel.42: VNI 42, UDP port 4789',
      points: 3,
      hint: "cni can be an object: { type: 'flannel', vni: …, port: … }; flannel names its device flannel.<VNI>.",
      check: { kind: 'vxlan', from: 'node/worker-1', vni: 42, port: 4789, dev: 'flannel.42' },
    },
    {
      id: 'overlay-route',
      title: "worker-1 reaches worker-2's pod CIDR through flannel.42",
      points: 3,
      hint: 'With the VXLAN backend, flannel routes each peer\'s pod CIDR through its VXLAN device, not via the peer\'s address.',
      check: { kind: 'route', from: 'node/worker-1', to: 'node/worker-2', dev: 'flannel.42' },
    },
    {
      id: 'no-underlay-route',
      title: "no route to worker-2's pod CIDR via worker-2's node address (the cloud network would drop it)",
      points: 1,
      hidden: true,
      hint: 'A route via the peer node\'s address is kubenet\'s: it sends pod-addressed packets onto the node network unencapsulated.',
      check: { kind: 'route', from: 'node/worker-2', to: 'node/worker-1', via: 'node/worker-1', absent: true },
    },
  ],
  broken: [
    { file: 'broken/kubenet.lab.ts', fails: ['vxlan-device', 'overlay-route', 'no-underlay-route'], why: 'the starter unchanged: routes via node addresses, no overlay' },
    { file: 'broken/default-flannel.lab.ts', fails: ['vxlan-device', 'overlay-route'], why: "cni: 'flannel' with its defaults (VNI 1 on 8472, device flannel.1)" },
    { file: 'broken/default-port.lab.ts', fails: ['vxlan-device'], why: 'VNI 42 on the default port 8472' },
  ],
});
