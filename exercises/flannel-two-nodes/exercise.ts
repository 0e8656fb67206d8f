import { defineExercise } from 'podlab';

/**
 * From the course's pod-networking chapter: pod-to-pod across nodes without NAT, over flannel's
 * VXLAN overlay instead of plain routes. Students submit a whole lab: the starter with its CNI
 * changed.
 *   podlab exercise show exercises/flannel-two-nodes
 *   podlab grade exercises/flannel-two-nodes submissions/*.lab.ts
 *
 * The starter's node network drops packets from or to pod addresses (nodeNetwork.podTraffic
 * 'drop', a cloud network that knows the nodes only), so its kubenet routes lead nowhere: pods
 * reach each other across the nodes only once VXLAN carries their packets between node addresses.
 * A submission may change `cni` only (submission.editable), so the network cannot be switched back.
 */
export default defineExercise({
  title: 'Make pods on two nodes reach each other with flannel',
  task: `
This two-node cluster routes pod traffic the kubenet way: worker-1 has a route to worker-2's pod
CIDR via worker-2's address, and back (look at them with
\`podlab exec flannel-two-nodes node/worker-1 -- ip route\`). That works only when the network
between the nodes delivers packets addressed to pod IPs. The cluster has moved to a cloud
network that does not: it knows the nodes' addresses only and drops everything else. So the
pods on the two nodes no longer reach each other.

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

Submit your lab file (e.g. \`yourname.lab.ts\`): the starter with its CNI changed. Only \`cni\` is
taken from it; the rest of the cluster, the cloud network included, stays as given.
`,
  starter: 'starter.lab.ts',
  solution: 'solution.lab.ts',
  submission: { editable: ['cni'] },
  rubric: [
    {
      id: 'pods-reach',
      title: 'pod-a (worker-1) pings pod-b (worker-2)',
      points: 2,
      hint: 'The node network drops packets addressed to pod IPs: they must cross it inside packets between node addresses (an overlay).',
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
    { file: 'broken/kubenet.lab.ts', fails: ['pods-reach', 'no-nat', 'vxlan-device', 'overlay-route', 'no-underlay-route'], why: 'the starter unchanged: routes via node addresses, which the cloud network drops' },
    { file: 'broken/network-delivers.lab.ts', fails: ['pods-reach', 'no-nat', 'vxlan-device', 'overlay-route', 'no-underlay-route'], why: "kubenet kept, the node network switched to podTraffic 'deliver': only cni is taken from a submission" },
    { file: 'broken/default-flannel.lab.ts', fails: ['vxlan-device', 'overlay-route'], why: "cni: 'flannel' with its defaults (VNI 1 on 8472, device flannel.1)" },
    { file: 'broken/default-port.lab.ts', fails: ['vxlan-device'], why: 'VNI 42 on the default port 8472' },
  ],
});
