import { defineExercise } from 'podlab';
import { solution } from './solution.lab.ts';

/**
 * From the course's "NAT outgoing": Calico masquerades a pod's traffic to anything outside every IP
 * pool when the pod's pool has natOutgoing, and never its traffic to other pods. Students submit a
 * lab: the starter with its IP pools changed; only `cni.ipPools` is taken (submission.editable).
 *   podlab exercise show exercises/calico-nat-outgoing --student alice
 *   podlab exercise test exercises/calico-nat-outgoing
 *   podlab grade exercises/calico-nat-outgoing submissions/*.lab.ts
 *
 * Per student, the rack whose pool must be NATed differs (the other keeps its pods' addresses), so
 * two students' answers differ. `podlab exercise test` grades the variant of the seed "solution"
 * (rack a NATed); the shipped broken labs are written for that variant.
 */
export const variants = { natRack: ['a', 'b'] };

/** Each rack's pool, and the node of the rack that runs its pod. */
const RACK = {
  a: { pool: 'rack-a', pod: 'app-a', node: 'c1-node1', cidr: '10.244.0.0/20' },
  b: { pool: 'rack-b', pod: 'app-b', node: 'c1-node2', cidr: '10.244.16.0/20' },
} as const;

export default defineExercise((v) => {
  const natRack = v.natRack === 'a' ? 'a' : 'b';
  const nat = RACK[natRack];
  const keep = RACK[natRack === 'a' ? 'b' : 'a'];
  return {
    title: 'NAT outgoing: which pods leave the cluster with their node\'s address',
    task: `
This Calico cluster has two IP pools, one per rack of nodes: \`rack-a\` (${RACK.a.cidr}, for
c1-master1 and c1-node1) and \`rack-b\` (${RACK.b.cidr}, for c1-node2). \`app-a\` runs on c1-node1
and has its address from rack-a, \`app-b\` on c1-node2 from rack-b. A server on the internet,
\`host/internet\` (203.0.113.10, beyond the lab's gateway), answers HTTP on port 80 with the client
address it saw. Both pools have \`natOutgoing: false\`.

Look first: \`podlab up exercises/calico-nat-outgoing/starter.lab.ts\`, then
\`podlab exec calico-nat-outgoing ${nat.pod} -- curl -s http://203.0.113.10/\`: the server sees the
pod's own address, 10.244.x.y, as the source. Its answer is addressed to 10.244.x.y, so it comes back
only because the gateway knows where that is: \`podlab exec calico-nat-outgoing gateway -- ip route\`
shows a route to each block of a pool without natOutgoing, via its node (as a router that learns
them from the nodes would). An upstream network that has no route to the pod network (a cloud VPC,
an office router, the internet) would send the answer anywhere but to the pod, and the connection
would hang.

**natOutgoing** on a pool is Felix's \`cali-nat-outgoing\` rule in every node: a packet *from* an
address of a pool with natOutgoing *to* an address outside **every** pool is masqueraded to the
address of the node it leaves (\`podlab exec calico-nat-outgoing node/${nat.node} -- nft list table ip calico\`
once it is on). The outside host then sees the node, answers the node, and the node's conntrack
hands the answer back to the pod: no route to the pod network is needed outside the cluster. A
packet to another pod, of the same pool or of another one, stays inside the pools and is **never**
NATed: the other pod always sees the sender's own address.

The network team wants:

- the pods of **rack ${natRack}** (pool \`${nat.pool}\`) reach the internet with their node's address:
  the upstream network on that side has no route to the pod network;
- the pods of the other rack (pool \`${keep.pool}\`) keep reaching it with their own addresses: a
  partner's firewall lets in ${keep.cidr} by address, and the upstream router learns that pool's
  routes;
- pods still reach each other, across the pools, each seeing the other's own address.

Change the IP pools (\`cni.ipPools\`) to do it, then check with \`curl\` from both pods, the gateway's
routes, \`podlab calicoctl calico-nat-outgoing get ippool -o wide\` (its NAT column) and
\`podlab trace calico-nat-outgoing ${nat.pod} host/internet --port 80\` (the masquerade is its \`snat\` hop).

Submit your lab file (e.g. \`yourname.lab.ts\`): the starter with its \`cni.ipPools\` changed. Only
\`cni.ipPools\` is taken from it; the rest of the cluster stays as given.
`,
    starter: 'starter.lab.ts',
    solution: solution(natRack),
    submission: { editable: ['cni.ipPools'] },
    rubric: [
      {
        id: 'nat-source',
        title: `${nat.pod} (pool ${nat.pool}) reaches the internet, which sees ${nat.node}'s address`,
        points: 3,
        hint: `Set natOutgoing: true on the pool ${nat.pool}: its pods' traffic to addresses outside every pool is then masqueraded to the node's address (natOutgoing is a setting of the pool, not of a pod or a node).`,
        check: { kind: 'http', from: nat.pod, to: 'host/internet', port: 80, expectSource: `node/${nat.node}` },
      },
      {
        id: 'keep-pod-address',
        title: `${keep.pod} (pool ${keep.pool}) reaches the internet with its own address`,
        points: 2,
        hint: `Keep natOutgoing: false on the pool ${keep.pool}: natOutgoing is a setting of each pool, and a pool that leaves it out takes the lab's, true.`,
        check: { kind: 'http', from: keep.pod, to: 'host/internet', port: 80, expectNoNat: true },
      },
      {
        id: 'pod-to-pod',
        title: `${nat.pod} reaches ${keep.pod} across the pools, seen with its own address`,
        points: 2,
        hint: 'Pod-to-pod traffic is routed by BGP between the nodes; keep both pools, each with its nodeSelector, so every node still has a pool.',
        check: { kind: 'http', from: nat.pod, to: keep.pod, port: 8080, expectPod: keep.pod, expectNoNat: true },
      },
      {
        id: 'pod-to-pod-back',
        title: `${keep.pod} reaches ${nat.pod}, seen with its own address`,
        points: 1,
        hidden: true,
        hint: 'natOutgoing masquerades only what leaves every pool: the answer of a pod of a NATed pool to another pod, and that pod\'s own requests, keep their addresses.',
        check: { kind: 'http', from: keep.pod, to: nat.pod, port: 8080, expectPod: nat.pod, expectNoNat: true },
      },
      {
        id: 'no-route-from-outside',
        title: `the internet cannot open a connection to ${nat.pod}'s own address`,
        points: 2,
        hidden: true,
        hint: `Pods of a pool with natOutgoing are seen outside as their node only: the gateway learns no route to ${nat.pool}'s blocks (podlab exec calico-nat-outgoing gateway -- ip route), so nothing outside reaches ${nat.pod} at its own address.`,
        check: { kind: 'tcp', from: 'host/internet', to: nat.pod, port: 8080, expect: 'no-reach' },
      },
      {
        id: 'block-still-routed',
        title: `${keep.node} still learns ${nat.node}'s block over BGP`,
        points: 1,
        hidden: true,
        hint: 'natOutgoing changes what leaves the cluster, not how the nodes route the pools among themselves: every node still exports its blocks to its BGP peers.',
        check: { kind: 'bgp', from: `node/${keep.node}`, peer: `node/${nat.node}`, learned: 'blocks' },
      },
    ],
    broken: [
      { file: 'broken/starter.lab.ts', fails: ['nat-source', 'no-route-from-outside'], why: 'the pools unchanged: natOutgoing off in both' },
      { file: 'broken/wrong-pool.lab.ts', fails: ['nat-source', 'keep-pod-address', 'no-route-from-outside'], why: 'natOutgoing on in the other rack\'s pool, rack-b, not in rack-a' },
      { file: 'broken/both-pools.lab.ts', fails: ['keep-pod-address'], why: 'natOutgoing on in both pools: rack-b\'s pods are NATed too' },
      { file: 'broken/lab-wide.lab.ts', fails: ['nat-source', 'no-route-from-outside'], why: 'natOutgoing: true at the lab\'s top level: not taken (only cni.ipPools is), and each pool\'s own natOutgoing: false wins' },
      { file: 'broken/default-pools.lab.ts', fails: ['keep-pod-address'], why: 'the natOutgoing: false lines removed: a pool without natOutgoing takes the lab\'s, true' },
    ],
  };
});
