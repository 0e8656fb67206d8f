import { defineExercise } from 'podlab';
import { solution } from './solution.lab.ts';

/**
 * From the course's chapter on dual stack: a dual-stack cluster gives a Service one cluster IP per
 * family only when it asks (ipFamilyPolicy), and a NodePort then answers on the nodes' addresses of
 * both families. Students submit a lab: the starter with a Service added; only its `services` are
 * taken (submission.editable).
 *   podlab exercise show exercises/dual-stack-service --student alice
 *   podlab exercise test exercises/dual-stack-service
 *   podlab grade exercises/dual-stack-service submissions/*.lab.ts
 *
 * Per student, the Service's name and its NodePort differ. The broken answers are the classic
 * mistakes, each failing exactly its items: the Service left single stack (the default), IPv6
 * alone, and a ClusterIP Service (no NodePort).
 */
export const variants = { service: ['shop', 'store'], nodePort: [30090, 30091, 30092] };

export default defineExercise((v) => {
  const service = String(v.service);
  const nodePort = Number(v.nodePort);
  const fqdn = `${service}.default.svc.cluster.local.`;
  return {
    title: 'Serve a Service over both families',
    task: `
This cluster is dual stack: every node and pod has an IPv4 address and an IPv6 address (IPv4
primary). The web app runs as two pods labelled \`app=web\` (\`web-1\` on worker-1, \`web-2\` on
worker-2), answering HTTP on 8080. The laptop, outside the cluster beyond its gateway, has an
address in each family too. Nothing exposes the app yet.

Add a Service called \`${service}\` so that:

- pods reach the app at its cluster IP, port 80, over **IPv4 and over IPv6**, spread over both
  replicas;
- the cluster DNS answers \`${service}\` with an AAAA record as well as an A record;
- from outside, the app answers on port **${nodePort}** of every node, over IPv4 and over IPv6.

A Service is single stack unless it asks otherwise: which field makes it dual stack, and what does
\`podlab get svc dual-stack-service -o wide\` show when it is?

Try it: \`podlab up exercises/dual-stack-service/starter.lab.ts\` (then your own copy),
\`podlab exec dual-stack-service client -- dig +short AAAA ${service}.default.svc.cluster.local\`
and \`podlab exec dual-stack-service host/laptop -- curl -6 -s http://[<a node's IPv6 address>]:${nodePort}/\`
(\`podlab status dual-stack-service\` lists the nodes' addresses).

Submit your lab file (e.g. \`yourname.lab.ts\`): the starter with your Service added. Only
\`services\` is taken from it; the rest of the cluster stays as given.
`,
    starter: 'starter.lab.ts',
    solution: solution(service, nodePort),
    submission: { editable: ['services'] },
    rubric: [
      {
        id: 'ipv4-cluster-ip',
        title: `a pod reaches svc/${service} at its IPv4 cluster IP, port 80, spread over both replicas`,
        points: 2,
        hint: `The Service must be called ${service}, select app=web, and send port 80 to the pods' 8080.`,
        check: { kind: 'http', from: 'client', to: `svc/${service}`, port: 80, family: 'IPv4', requests: 12, expectSpread: 2 },
      },
      {
        id: 'ipv6-cluster-ip',
        title: `a pod reaches svc/${service} at its IPv6 cluster IP, spread over both replicas`,
        points: 3,
        hint: 'A Service gets a cluster IP of each family only when it asks: ipFamilyPolicy PreferDualStack or RequireDualStack (the default, SingleStack, gives it the primary family only).',
        check: { kind: 'http', from: 'client', to: `svc/${service}`, port: 80, family: 'IPv6', requests: 12, expectSpread: 2 },
      },
      {
        id: 'aaaa-record',
        title: `the cluster DNS answers ${service} with its IPv6 cluster IP (AAAA)`,
        points: 2,
        hint: "CoreDNS answers AAAA for a Service with an IPv6 cluster IP; an IPv4-only Service's AAAA answer is empty (NODATA).",
        check: { kind: 'dns', from: 'client', query: fqdn, type: 'AAAA', expectAnswers: [`svc/${service}`] },
      },
      {
        id: 'ipv6-node-port',
        title: `the laptop reaches the app on NodePort ${nodePort} of worker-1 over IPv6`,
        points: 3,
        hint: `A NodePort Service of both families answers on every node's IPv4 and IPv6 addresses; give nodePort: ${nodePort}.`,
        check: { kind: 'http', from: 'host/laptop', to: 'node/worker-1', port: nodePort, family: 'IPv6' },
      },
      {
        id: 'ipv4-node-port',
        title: `the laptop reaches the app on NodePort ${nodePort} of the control-plane over IPv4`,
        points: 2,
        hidden: true,
        hint: 'A NodePort is open on every node, those without a replica too, in every family of the Service.',
        check: { kind: 'http', from: 'host/laptop', to: 'node/control-plane', port: nodePort, family: 'IPv4' },
      },
    ],
    broken: [
      { file: 'broken/single-stack.lab.ts', fails: ['ipv6-cluster-ip', 'aaaa-record', 'ipv6-node-port'], why: 'no ipFamilyPolicy: SingleStack, IPv4 only' },
      { file: 'broken/ipv6-only.lab.ts', fails: ['ipv4-cluster-ip', 'ipv4-node-port'], why: "ipFamilies: ['IPv6'] alone" },
      { file: 'broken/cluster-ip.lab.ts', fails: ['ipv6-node-port', 'ipv4-node-port'], why: 'a ClusterIP Service: no port on the nodes' },
    ],
  };
});
