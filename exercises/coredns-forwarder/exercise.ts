import { defineExercise } from 'podlab';
import starter, { netZone, zone } from './starter.lab.ts';
import { corefile } from './solution.lab.ts';

/**
 * From the course's CoreDNS chapter: "configure CoreDNS to use a custom forwarder". Students
 * submit a Corefile; it replaces the starter lab's and the lab is built and checked.
 *   podlab exercise show exercises/coredns-forwarder
 *   podlab grade exercises/coredns-forwarder submissions/*.Corefile
 */
/**
 * Per-student record of the company's zone, which the task does not name: a TXT record (the hosts
 * plugin answers only A, AAAA and PTR) whose name is the variant and whose text is not derived
 * from it, so neither a hosts table nor one template of the names in the task answers it; only
 * forwarding to the company's server does. `podlab exercise test` grades the seed "solution"'s.
 */
const offices: Record<string, string> = {
  amber: 'k3f9x2', cobalt: 'q7m2w8', jade: 'z4n6r1', ochre: 'h8t3v5', teal: 'b2y9p7', umber: 'm5c1d4',
};
export const variants = { office: Object.keys(offices) };

export default defineExercise((v) => {
  const office = String(v.office);
  const record = `${office}.example.org`;
  const token = `office=${offices[office]}`;
  // The starter's upstream with this student's record in example.org.
  const lab = {
    ...starter,
    hosts: { upstream: { ...starter.hosts!.upstream!, dns: { zones: { 'example.org': `${zone}${office} IN TXT "${token}"\n`, 'example.net': netZone } } } },
  };
  return {
    title: 'A custom CoreDNS forwarder',
    task: `
Pods in this cluster cannot resolve names outside it: \`dig www.example.org\` in a pod answers
SERVFAIL. The cluster's DNS runs kubeadm's default Corefile, which forwards such names to the
node's /etc/resolv.conf, and the nodes have no resolver.

The company's DNS server is \`203.0.113.53\`; it serves example.org and example.net. Write a Corefile for the
cluster DNS that sends every name outside the cluster to it, while the cluster's own names
(Services, pods, reverse lookups of their addresses) keep working.

Try it: \`podlab up exercises/coredns-forwarder/starter.lab.ts\`, then
\`podlab dns reload coredns-forwarder --corefile my.Corefile\` and
\`podlab exec coredns-forwarder client -- dig +search www.example.org\`.

Submit your Corefile (a file such as \`yourname.Corefile\`).
`,
    starter: lab,
    solution: { ...lab, dns: { corefile } },
    submission: { editable: ['dns.corefile'], text: 'dns.corefile' },
    rubric: [
      {
        id: 'upstream-resolves',
        title: 'a pod resolves www.example.org through the forwarder',
        points: 4,
        hint: 'The forward plugin takes the zone (. for everything) and the upstream address: forward . <address>.',
        check: { kind: 'dns', from: 'client', query: 'www.example.org', expectAnswers: ['203.0.113.80'] },
      },
      {
        id: 'cluster-names',
        title: 'Service names still resolve (web → its ClusterIP)',
        points: 3,
        hint: 'Keep the kubernetes plugin for cluster.local: the forwarder only knows the company\'s names.',
        check: { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['svc/web'] },
      },
      {
        id: 'reverse-lookups',
        title: 'reverse lookups of Service addresses still work',
        points: 1,
        hint: 'The kubernetes plugin answers in-addr.arpa for the cluster\'s addresses.',
        check: { kind: 'dns', from: 'client', query: '10.96.0.10', type: 'PTR', expectAnswers: ['kube-dns.kube-system.svc.cluster.local'] },
      },
      {
        id: 'any-upstream-name',
        title: 'names in other domains (www.example.net) are forwarded too',
        points: 2,
        hidden: true,
        hint: 'Forward every name outside the cluster (the zone "."), not one domain.',
        check: { kind: 'dns', from: 'client', query: 'www.example.net', expectAnswers: ['198.51.100.7'] },
      },
      {
        id: 'new-pod-found',
        title: 'a re-created pod is found at its new address',
        points: 2,
        hint: 'The kubernetes plugin must stay in the chain for cluster.local.',
        scenario: {
          steps: [
            { action: 'recreate-pod', pod: 'web-1' },
            { check: { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['svc/web'] } },
            { check: { kind: 'dns', from: 'client', query: 'api.example.org', expectAnswers: ['203.0.113.81'] } },
          ],
        },
      },
      {
        id: 'upstream-only-record',
        title: `a record only the company's server has (TXT ${record}) is answered by it`,
        points: 2,
        hidden: true,
        hint: 'Forward the names outside the cluster to the company\'s server instead of answering them yourself: a hosts table knows only the names you wrote in it, and only their addresses.',
        check: { kind: 'dns', from: 'client', query: `${record}.`, type: 'TXT', expectAnswers: [token] },
      },
    ],
    broken: [
      { file: 'broken/default.Corefile', fails: ['upstream-resolves', 'any-upstream-name', 'new-pod-found', 'upstream-only-record'], why: 'kubeadm\'s default: the nodes have no resolver' },
      // Without the kubernetes plugin even www.example.org fails: with ndots:5 the pod asks for
      // www.example.org.default.svc.cluster.local first, the upstream refuses that zone, and a
      // REFUSED ends the search.
      { file: 'broken/forward-only.Corefile', fails: ['upstream-resolves', 'cluster-names', 'reverse-lookups', 'any-upstream-name', 'new-pod-found'], why: 'the kubernetes plugin was dropped' },
      { file: 'broken/wrong-upstream.Corefile', fails: ['upstream-resolves', 'any-upstream-name', 'new-pod-found', 'upstream-only-record'], why: 'a typo in the upstream address' },
      { file: 'broken/zone-only.Corefile', fails: ['any-upstream-name'], why: 'only example.org is forwarded' },
      { file: 'broken/hosts-table.Corefile', fails: ['upstream-only-record'], why: 'no forwarder: the names of the task answered from a hosts table' },
    ],
  };
});
