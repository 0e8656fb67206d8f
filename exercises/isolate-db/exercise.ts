import { defineExercise } from 'podlab';

/**
 * From the course's network-policy chapter: "isolation (restricting what each pod can communicate
 * with) is defined using network policies". Students hand in NetworkPolicies only
 * (submission.editable: networkPolicies); the rubric is cells of the truth table they must
 * produce, some hidden, plus the database's DNS.
 *   podlab exercise show exercises/isolate-db
 *   podlab exercise test exercises/isolate-db
 *   podlab grade exercises/isolate-db submissions/*.lab.ts
 *
 * The broken answers are the classic mistakes, each failing exactly its cells: the two selectors
 * as two peers (OR instead of AND), egress closed without DNS, a namespace label staging shares,
 * no port, no egress policy, the policy in the wrong namespace, and egress open to every namespace
 * but web and to every address outside the pod network. The database's egress cells ask web, staging
 * and a node (an address outside the pod network: the lab has no host outside the cluster); none
 * asks kube-system beyond DNS, since nothing there serves another port.
 */
const db = (port: number) => ({ to: 'svc/data/db', port });

export default defineExercise({
  title: 'Isolate the database',
  task: `
The shop runs in three namespaces: \`web\` (pods \`frontend\` and \`api\`), \`staging\` (its own
\`staging-api\`, labelled \`app=api\` like production's) and \`data\` (pod \`db\`: postgres on TCP
5432, a metrics exporter on 9187; Service \`db\`). Today every pod reaches every other, and the
database could connect anywhere.

Write NetworkPolicies so that:

- only the **api of namespace web** reaches the database, and only on **postgres (5432)**: not the
  frontend, not staging's api, not the metrics port;
- the database itself reaches **nothing but the cluster DNS** (it must still resolve names);
- everything else in the cluster keeps working as before.

Namespaces carry labels (\`kubectl get ns --show-labels\` would show them): web \`env=prod, tier=web\`,
staging \`env=staging, tier=web\`, data \`env=prod, tier=data\`, and every namespace
\`kubernetes.io/metadata.name=<its name>\`.

Try it: \`podlab up exercises/isolate-db/starter.lab.ts\` (then your own copy), then
\`podlab trace isolate-db api svc/data/db --port 5432\` or \`podlab explain isolate-db frontend svc/data/db --port 5432\`.

Submit a file that exports your policies: \`export default { networkPolicies: { … } }\` (a lab
file with them works too). Only \`networkPolicies\` is taken from it; the rest of the cluster stays
as given.
`,
  starter: 'starter.lab.ts',
  solution: 'solution.lab.ts',
  submission: { editable: ['networkPolicies'] },
  rubric: [
    {
      id: 'api-reaches-db',
      title: 'web/api reaches the database on 5432',
      points: 4,
      hint: 'Admit pods labelled app=api of namespace web on port 5432 (or the container port named postgres).',
      check: { kind: 'tcp', from: 'api', ...db(5432) },
    },
    {
      id: 'frontend-refused',
      title: 'web/frontend cannot reach the database',
      points: 3,
      hint: 'namespaceSelector and podSelector in ONE peer means both must hold (AND); as two peers, either is enough (OR).',
      check: { kind: 'tcp', from: 'frontend', ...db(5432), expect: 'no-reach', timeoutMs: 1500 },
    },
    {
      id: 'staging-refused',
      title: "staging's api cannot reach the production database",
      points: 3,
      hint: 'staging carries tier=web too: choose the namespace by a label only web has, such as kubernetes.io/metadata.name.',
      check: { kind: 'tcp', from: 'staging-api', ...db(5432), expect: 'no-reach', timeoutMs: 1500 },
    },
    {
      id: 'db-resolves',
      title: 'the database still resolves names',
      points: 2,
      hint: 'An egress policy must allow DNS to the cluster DNS pods (kube-system, k8s-app=kube-dns), UDP and TCP port 53.',
      check: { kind: 'dns', from: 'db', query: 'api.web', expectAnswers: ['svc/web/api'] },
    },
    {
      id: 'db-egress-closed',
      title: 'the database cannot open connections to the web pods',
      points: 2,
      hint: 'Select the database with an egress policy (policyTypes: [Egress]); whatever it does not allow is dropped.',
      check: { kind: 'tcp', from: 'db', to: 'svc/web/frontend', port: 80, expect: 'no-reach', timeoutMs: 1500 },
    },
    {
      id: 'api-metrics-refused',
      title: 'web/api cannot reach the metrics port',
      points: 1,
      hidden: true,
      hint: 'List the port in the rule: without ports a rule admits every port.',
      check: { kind: 'tcp', from: 'api', ...db(9187), expect: 'no-reach', timeoutMs: 1500 },
    },
    {
      id: 'web-still-open',
      title: 'the frontend still reaches the api',
      points: 1,
      hidden: true,
      hint: 'A policy isolates the pods it selects in its own namespace: put it in data, selecting the database.',
      check: { kind: 'tcp', from: 'frontend', to: 'svc/web/api', port: 80 },
    },
    {
      id: 'db-staging-refused',
      title: "the database cannot open connections to staging's api",
      points: 1,
      hidden: true,
      hint: 'Nothing but the cluster DNS: allow egress to the DNS pods only, not to every namespace but web.',
      check: { kind: 'tcp', from: 'db', to: 'staging-api', port: 8080, expect: 'no-reach', timeoutMs: 1500 },
    },
    {
      id: 'db-outside-closed',
      title: 'the database cannot reach an address outside the pod network (worker-1, by ping)',
      points: 1,
      hidden: true,
      hint: 'Nothing but the cluster DNS: an ipBlock of 0.0.0.0/0 lets the database reach every node and every address outside the cluster.',
      check: { kind: 'ping', from: 'db', to: 'node/worker-1', expect: 'no-reach', timeoutMs: 1500 },
    },
  ],
  broken: [
    { file: 'broken/or-peers.lab.ts', fails: ['frontend-refused'], why: 'namespaceSelector and podSelector as two peers: OR' },
    { file: 'broken/no-dns-egress.lab.ts', fails: ['db-resolves'], why: 'egress closed, DNS forgotten' },
    { file: 'broken/wrong-namespace-selector.lab.ts', fails: ['staging-refused'], why: 'tier=web matches staging too' },
    { file: 'broken/any-port.lab.ts', fails: ['api-metrics-refused'], why: 'no ports: every port of the database' },
    { file: 'broken/ingress-only.lab.ts', fails: ['db-egress-closed', 'db-staging-refused', 'db-outside-closed'], why: 'no egress policy' },
    { file: 'broken/isolate-web.lab.ts', fails: ['frontend-refused', 'staging-refused', 'api-metrics-refused', 'web-still-open'], why: 'the policy in namespace web with podSelector {}: web isolated, the database open' },
    { file: 'broken/leaky-egress.lab.ts', fails: ['db-staging-refused', 'db-outside-closed'], why: 'egress to every namespace but web (and every address outside the pod network)' },
  ],
});
