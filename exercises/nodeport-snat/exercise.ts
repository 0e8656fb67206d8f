import { defineExercise } from 'podlab';
import { solution } from './solution.lab.ts';

/**
 * From the course's chapter on Services and kube-proxy: "expose an app with a NodePort Service"
 * and see what externalTrafficPolicy does to the client's address. Students submit a lab: the
 * starter with a Service added; only its `services` are taken (submission.editable).
 *   podlab exercise show exercises/nodeport-snat --student alice
 *   podlab grade exercises/nodeport-snat submissions/*.lab.ts
 */

/**
 * Per-student choices: each student gets one Service name and one NodePort (picked from their id),
 * so two students' answers differ. `podlab exercise test` grades the variant of the seed
 * "solution" (storefront, 30082); the shipped broken labs are written for that variant.
 */
export const variants = { nodePort: [30080, 30081, 30082], service: ['shop', 'storefront'] };

export default defineExercise((v) => {
  const nodePort = Number(v.nodePort);
  const service = String(v.service);
  return {
    title: 'Expose an app with a NodePort Service, and observe source NAT',
    task: `
The shop app runs as two pods labelled \`app=shop\` (\`shop-1\` on worker-1, \`shop-2\` on
worker-2); each answers HTTP on port 8080 with JSON naming the pod and the client address it saw.
Nothing exposes it yet: the laptop outside the cluster cannot reach it, and neither can a pod
through a Service.

Add a Service called \`${service}\` so that:

- inside the cluster, pods reach the app on the Service's ClusterIP, port 80;
- from outside, the app answers on port **${nodePort}** of **every** node (the control-plane too,
  which runs no replica), and requests are spread over both replicas whichever node they enter.

Then look at the client address the replicas report for a request from the laptop. Whose address
is it (a node has several: on its link to the node network, on cni0, on flannel.1), and why does
kube-proxy rewrite the source of a request that arrives on a NodePort?

Try it: \`podlab up exercises/nodeport-snat/starter.lab.ts\` (then your own copy),
\`podlab exec nodeport-snat host/laptop -- curl -s http://172.16.94.10:${nodePort}/\` and
\`podlab exec nodeport-snat node/worker-1 -- nft list table ip podlab\`.

Submit your lab file (e.g. \`yourname.lab.ts\`): the starter with your Service added. Only
\`services\` is taken from it; the rest of the cluster stays as given.
`,
    starter: 'starter.lab.ts',
    solution: solution(service, nodePort),
    submission: { editable: ['services'] },
    rubric: [
      {
        id: 'nodeport-reachable',
        title: `the laptop reaches the app on NodePort ${nodePort} of the control-plane, spread over both replicas`,
        points: 4,
        hint: `A Service of type NodePort opens its nodePort on every node's address; give nodePort: ${nodePort} and targetPort the pods' port.`,
        check: { kind: 'http', from: 'host/laptop', to: 'node/control-plane', port: nodePort, requests: 20, expectSpread: 2 },
      },
      {
        id: 'source-nat',
        title: "a replica sees a node's address, not the laptop's, as the client (externalTrafficPolicy Cluster)",
        points: 3,
        hint: 'With externalTrafficPolicy Cluster a request may be forwarded to a replica on another node, so kube-proxy masquerades it to a node address (the answer must come back the same way).',
        check: { kind: 'http', from: 'host/laptop', to: 'node/worker-1', port: nodePort, requests: 20, expectSource: 'nodes' },
      },
      {
        id: 'cluster-ip',
        title: `a pod reaches the app on the ClusterIP of svc/${service}, port 80, spread over both replicas and without NAT`,
        points: 2,
        hint: `The Service must be called ${service}, with port 80; a NodePort Service has a ClusterIP as well.`,
        check: { kind: 'http', from: 'client', to: `svc/${service}`, port: 80, requests: 20, expectSpread: 2, expectNoNat: true },
      },
      {
        id: 'every-node',
        title: `every node answers on NodePort ${nodePort}`,
        points: 2,
        hidden: true,
        hint: 'A NodePort is open on every node, also those running no replica, unless externalTrafficPolicy is Local.',
        check: {
          kind: 'matrix',
          from: ['host/laptop'],
          to: [`node/control-plane:${nodePort}`, `node/worker-1:${nodePort}`, `node/worker-2:${nodePort}`],
          probe: 'http',
        },
      },
      {
        id: 'pod-recreated',
        title: 'a re-created replica (new pod IP) is reached through the NodePort again',
        points: 2,
        hint: 'Select the pods by their label (app=shop), not by anything a new pod would not have.',
        scenario: {
          steps: [
            { action: 'recreate-pod', pod: 'shop-1' },
            { check: { kind: 'http', from: 'host/laptop', to: 'node/worker-2', port: nodePort, requests: 20, expectSpread: 2 } },
          ],
        },
      },
    ],
    broken: [
      { file: 'broken/cluster-ip.lab.ts', fails: ['nodeport-reachable', 'source-nat', 'every-node', 'pod-recreated'], why: 'a ClusterIP Service opens no port on the nodes' },
      { file: 'broken/allocated-node-port.lab.ts', fails: ['nodeport-reachable', 'source-nat', 'every-node', 'pod-recreated'], why: 'no nodePort given: 30000 is allocated' },
      { file: 'broken/wrong-target-port.lab.ts', fails: ['nodeport-reachable', 'source-nat', 'cluster-ip', 'every-node', 'pod-recreated'], why: 'targetPort left out: it defaults to port 80, where the pods do not listen' },
      { file: 'broken/wrong-selector.lab.ts', fails: ['nodeport-reachable', 'source-nat', 'cluster-ip', 'every-node', 'pod-recreated'], why: 'the selector matches no pod: no endpoints' },
      // Local: the control-plane has no replica, so it drops NodePort traffic; a worker sends it
      // only to its own replica, without SNAT (the laptop's address survives).
      { file: 'broken/local-policy.lab.ts', fails: ['nodeport-reachable', 'source-nat', 'every-node', 'pod-recreated'], why: 'externalTrafficPolicy Local' },
    ],
  };
});
