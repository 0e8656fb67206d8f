import { defineExercise } from 'podlab';

/**
 * From the course's "Local Cluster – Calico CNI Plugin": Calico routes pods with BGP, and a BGP
 * session needs both ends configured, in the right AS. Students submit a whole lab: the starter
 * with its Calico BGP configuration fixed.
 *   podlab exercise show exercises/calico-bgp
 *   podlab grade exercises/calico-bgp submissions/*.lab.ts
 *
 * The starter turns the node-to-node mesh off and lists global BGPPeers that forget c1-node2. A
 * submission may change `cni` only (submission.editable). Each item is checked on the live lab:
 * BIRD's sessions (birdc on the node's socket), the route BIRD installed, and HTTP between pods.
 */
export default defineExercise({
  title: 'Pods on c1-node2 cannot be reached: fix the Calico BGP configuration',
  task: `
This Calico cluster routes pods without any overlay: every node runs BIRD, and the nodes tell each
other over BGP which IP blocks their pods live in. The network team turned Calico's node-to-node
mesh off (\`nodeToNodeMesh: false\`) and configured the BGP peers by hand, as \`BGPPeer\`
resources: a peer without \`node\` applies to every node. Since then, nothing reaches the pods on
**c1-node2**, while c1-master1 and c1-node1 reach each other's pods fine.

Find out why: \`podlab up exercises/calico-bgp/starter.lab.ts\`, then
\`podlab exec calico-bgp node/c1-master1 -- birdc show protocols\` (podlab exec finds the node's BIRD socket itself),
the same on c1-node2, and \`podlab exec calico-bgp node/c1-master1 -- ip route show proto bird\`
(\`podlab status calico-bgp\` shows the sessions of every node).

Fix the Calico configuration (\`cni\`) so that every node has an Established BGP session with
c1-node2, learns c1-node2's block from it, and pods on the other nodes reach pods on c1-node2
without NAT. The nodes are all in Calico's default AS, 64512.

Submit your lab file (e.g. \`yourname.lab.ts\`): the starter with its \`cni\` changed. Only \`cni\`
is taken from it.
`,
  starter: 'starter.lab.ts',
  solution: 'solution.lab.ts',
  submission: { editable: ['cni'] },
  rubric: [
    {
      id: 'session-master',
      title: "c1-master1's BGP session with c1-node2 is Established",
      points: 2,
      hint: 'A BGP session needs both ends: c1-node2 dials c1-master1, but c1-master1 has no peer with c1-node2\'s address, and in the AS c1-node2 is in (see birdc show protocols on both).',
      check: { kind: 'bgp', from: 'node/c1-master1', peer: 'node/c1-node2' },
    },
    {
      id: 'session-node1',
      title: "c1-node1's BGP session with c1-node2 is Established",
      points: 2,
      hint: 'A peer with node: set applies to that node only; a peer for every node leaves node out.',
      check: { kind: 'bgp', from: 'node/c1-node1', peer: 'node/c1-node2' },
    },
    {
      id: 'block-route',
      title: "c1-master1 has a route to c1-node2's block, installed by BIRD",
      points: 2,
      hint: "Once the session is up, c1-node2 advertises its block and BIRD installs it: ip route show proto bird.",
      check: { kind: 'route', from: 'node/c1-master1', to: 'node/c1-node2', via: 'node/c1-node2', proto: 'bird' },
    },
    {
      id: 'reach-from-master',
      title: "pod-a (c1-master1) reaches pod-c (c1-node2) over HTTP, seen with its own address",
      points: 2,
      hint: 'Pod traffic follows the routes BIRD learned; without a route to the block, the node has nowhere to send it.',
      check: { kind: 'http', from: 'pod-a', to: 'pod-c', port: 8080, expectPod: 'pod-c', expectNoNat: true },
    },
    {
      id: 'reach-from-node1',
      title: "pod-b (c1-node1) reaches pod-c (c1-node2) over HTTP, seen with its own address",
      points: 2,
      hint: 'iBGP passes on no route learned from another iBGP peer (there is no route reflector here): every node needs its own session with c1-node2.',
      check: { kind: 'http', from: 'pod-b', to: 'pod-c', port: 8080, expectPod: 'pod-c', expectNoNat: true },
    },
  ],
  broken: [
    { file: 'broken/starter.lab.ts', fails: ['session-master', 'session-node1', 'block-route', 'reach-from-master', 'reach-from-node1'], why: 'the starter unchanged: c1-node2 is nobody\'s peer' },
    { file: 'broken/wrong-as.lab.ts', fails: ['session-master', 'session-node1', 'block-route', 'reach-from-master', 'reach-from-node1'], why: 'c1-node2 added in AS 64513: the others refuse its OPEN (Bad peer AS)' },
    { file: 'broken/master-only.lab.ts', fails: ['session-node1', 'reach-from-node1'], why: 'c1-node2 a peer of c1-master1 only: c1-node1 still has no session, and iBGP does not pass routes on' },
    { file: 'broken/no-peers.lab.ts', fails: ['session-master', 'session-node1', 'block-route', 'reach-from-master', 'reach-from-node1'], why: 'the mesh off and no peers at all' },
  ],
});
