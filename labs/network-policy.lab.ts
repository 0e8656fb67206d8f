import { defineLab, type CheckSpec, type ContainerSpec, type LabSpec, type NetworkPolicySpec } from 'podlab';

/**
 * NetworkPolicy on the upstream e2e model (kubernetes test/e2e/network/netpol): namespaces x, y
 * and z, each with pods a, b and c serving TCP and UDP on ports 80 and 81 (container ports named
 * serve-80-tcp, serve-80-udp, serve-81-tcp, serve-81-udp), a Service s-<ns>-<pod> per pod, and
 * every probe aimed at a Service's ClusterIP, so policies are judged after kube-proxy's DNAT.
 * Pods a and c run on worker-1, b on worker-2: every truth table mixes same-node and cross-node cells.
 *
 * The lab starts with one policy, default-deny ingress in namespace x; each scenario applies the
 * policies of one classic idiom, checks the full 9×9 truth table, and deletes them again. Read the
 * rules each node enforces with
 *   podlab exec network-policy node/worker-1 -- nft list table ip podlab-policy
 * (chains np.<ns>/<policy>.ingress|egress, one counter per rule, docs/network-policy.md).
 */

const NAMESPACES = ['x', 'y', 'z'] as const;
const PODS = ['a', 'b', 'c'] as const;
const NODE: Record<(typeof PODS)[number], string> = { a: 'worker-1', b: 'worker-2', c: 'worker-1' };
/** The 9 pods, row and column order of every truth table: x/a x/b x/c y/a … z/c. */
const ALL = NAMESPACES.flatMap((ns) => PODS.map((p) => `${ns}-${p}`));

const serve = (port: 80 | 81, protocol: 'TCP' | 'UDP'): ContainerSpec => ({
  name: `cont-${port}-${protocol.toLowerCase()}`,
  workload: protocol === 'TCP' ? { kind: 'tcp-echo', port } : { kind: 'udp-echo', port },
  ports: [{ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol }],
});

/**
 * A truth table as upstream prints it: one row per source (x/a … z/c), one column per target,
 * '.' reaches and 'X' does not; spaces between the namespaces' groups are for reading only.
 */
function truthTable(port: 80 | 81, protocol: 'tcp' | 'udp', rows: string[], name?: string): CheckSpec {
  return {
    kind: 'matrix',
    name: name ?? `${protocol.toUpperCase()}/${port} truth table`,
    probe: protocol,
    from: ALL,
    to: ALL.map((p) => `svc/${p.slice(0, 1)}/s-${p}:${port}`),
    expect: rows.map((r) => [...r.replaceAll(' ', '')].map((c) => (c === '.' ? 'reach' : 'no-reach'))),
  };
}

/** Everything reaches everything. */
const OPEN = Array(9).fill('... ... ...');
/** Nothing reaches a pod of x but the pod itself (a pod reaching itself through its Service is always allowed). */
const X_DENIED = [
  '.XX ... ...',
  'X.X ... ...',
  'XX. ... ...',
  ...Array(6).fill('XXX ... ...'),
];

const defaultDenyX: NetworkPolicySpec = { namespace: 'x', podSelector: {}, policyTypes: ['Ingress'] };

const apply = (name: string, policy: NetworkPolicySpec) => ({ action: 'apply-policy' as const, name, policy });
const remove = (namespace: string, name: string) => ({ action: 'delete-policy' as const, namespace, name });

const lab: LabSpec = {
  name: 'network-policy',
  description: 'NetworkPolicy on the upstream e2e model: 3 namespaces × 3 pods, TCP and UDP on ports 80 and 81, judged through Services; the classic idioms as scenarios, each with its 9×9 truth table.',
  nodes: { 'worker-1': {}, 'worker-2': {} },
  cni: 'flannel',
  namespaces: NAMESPACES.map((ns) => ({ name: ns, labels: { ns } })),
  pods: Object.fromEntries(
    NAMESPACES.flatMap((ns) =>
      PODS.map((p) => [`${ns}-${p}`, { namespace: ns, node: NODE[p], labels: { pod: p }, containers: [serve(80, 'TCP'), serve(80, 'UDP'), serve(81, 'TCP'), serve(81, 'UDP')] }]),
    ),
  ),
  services: Object.fromEntries(
    NAMESPACES.flatMap((ns) =>
      PODS.map((p) => [
        `s-${ns}-${p}`,
        {
          namespace: ns,
          selector: { pod: p },
          ports: [80, 81].flatMap((port) => (['TCP', 'UDP'] as const).map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, protocol, port, targetPort: `serve-${port}-${protocol.toLowerCase()}` }))),
        },
      ]),
    ),
  ),
  networkPolicies: { 'default-deny-ingress': defaultDenyX },
  checks: [truthTable(80, 'tcp', X_DENIED, 'default-deny ingress in x: TCP/80'), truthTable(81, 'udp', X_DENIED, 'default-deny ingress in x: UDP/81')],
  scenarios: {
    'allow-from-namespace': {
      description: 'x admits every pod of namespace y (namespaceSelector), on top of default-deny.',
      steps: [
        apply('allow-from-y', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] }),
        { check: truthTable(80, 'tcp', ['.XX ... ...', 'X.X ... ...', 'XX. ... ...', ...Array(3).fill('... ... ...'), ...Array(3).fill('XXX ... ...')]) },
        { check: truthTable(80, 'udp', ['.XX ... ...', 'X.X ... ...', 'XX. ... ...', ...Array(3).fill('... ... ...'), ...Array(3).fill('XXX ... ...')]) },
        remove('x', 'allow-from-y'),
      ],
    },
    'and-vs-or': {
      description: 'One peer with namespaceSelector and podSelector (AND: only y/b) against two peers (OR: every pod of y, and x/b).',
      steps: [
        apply('allow-a', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }] }),
        { check: truthTable(80, 'tcp', ['.XX ... ...', 'X.X ... ...', 'XX. ... ...', 'XXX ... ...', '.XX ... ...', 'XXX ... ...', ...Array(3).fill('XXX ... ...')], 'AND: TCP/80') },
        apply('allow-a', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }] }),
        { check: truthTable(80, 'tcp', ['.XX ... ...', '..X ... ...', 'XX. ... ...', ...Array(3).fill('.XX ... ...'), ...Array(3).fill('XXX ... ...')], 'OR: TCP/80') },
        remove('x', 'allow-a'),
      ],
    },
    'ipblock-except': {
      description: "x/a admits the pod network except worker-2's slice (10.244.1.0/24): pods on worker-1 (a and c) reach it, pods on worker-2 (b) do not.",
      steps: [
        apply('allow-cidr', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.1.0/24'] } }] }] }),
        { check: truthTable(80, 'tcp', ['.XX ... ...', 'X.X ... ...', '.X. ... ...', '.XX ... ...', 'XXX ... ...', '.XX ... ...', '.XX ... ...', 'XXX ... ...', '.XX ... ...']) },
        remove('x', 'allow-cidr'),
      ],
    },
    'named-port': {
      description: "x admits everyone, but only on the port named serve-81-tcp (resolved on each destination pod): TCP/81 reaches x, TCP/80 does not.",
      steps: [
        apply('allow-81', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'serve-81-tcp' }] }] }),
        { check: truthTable(81, 'tcp', OPEN) },
        { check: truthTable(80, 'tcp', X_DENIED) },
        { check: truthTable(81, 'udp', X_DENIED, 'UDP/81 truth table: serve-81-tcp names a TCP port only') },
        remove('x', 'allow-81'),
      ],
    },
    'egress-dns-only': {
      description: 'Pods of y may only reach the cluster DNS (kube-system, k8s-app=kube-dns, port 53): names still resolve, every connection out of y is dropped.',
      steps: [
        apply('dns-only', {
          namespace: 'y',
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
        }),
        { check: { kind: 'dns', from: 'y-a', query: 's-z-c.z', name: 'y/a still resolves names (egress to the cluster DNS allowed)' } },
        { check: truthTable(80, 'tcp', ['.XX ... ...', 'X.X ... ...', 'XX. ... ...', 'XXX .XX XXX', 'XXX X.X XXX', 'XXX XX. XXX', 'XXX ... ...', 'XXX ... ...', 'XXX ... ...']) },
        remove('y', 'dns-only'),
      ],
    },
    'port-range': {
      description: 'x admits TCP ports 80–81 (port with endPort) from z only: both ports open for z, UDP still closed.',
      steps: [
        apply('allow-range', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }], ports: [{ protocol: 'TCP', port: 80, endPort: 81 }] }] }),
        { check: truthTable(81, 'tcp', ['.XX ... ...', 'X.X ... ...', 'XX. ... ...', ...Array(3).fill('XXX ... ...'), ...Array(3).fill('... ... ...')]) },
        { check: truthTable(80, 'udp', X_DENIED) },
        remove('x', 'allow-range'),
      ],
    },
    relabel: {
      description: 'x admits pods labelled role=client from any namespace; labelling y/a moves it into the policy, removing the label moves it out again.',
      steps: [
        apply('allow-clients', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'client' } } }] }] }),
        { check: truthTable(80, 'tcp', X_DENIED, 'no client yet: TCP/80') },
        { action: 'label-pod', pod: 'y-a', labels: { role: 'client' } },
        { check: truthTable(80, 'tcp', ['.XX ... ...', 'X.X ... ...', 'XX. ... ...', '... ... ...', ...Array(5).fill('XXX ... ...')], 'y/a labelled role=client: TCP/80') },
        { action: 'label-pod', pod: 'y-a', labels: { role: null } },
        { check: truthTable(80, 'tcp', X_DENIED, 'label removed again: TCP/80') },
        remove('x', 'allow-clients'),
      ],
    },
    'deny-all-egress': {
      description: 'Default-deny all (Ingress and Egress) in z: z reaches nothing but itself, nothing reaches z.',
      steps: [
        apply('deny-all', { namespace: 'z', podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
        { check: truthTable(80, 'tcp', ['.XX ... XXX', 'X.X ... XXX', 'XX. ... XXX', 'XXX ... XXX', 'XXX ... XXX', 'XXX ... XXX', 'XXX XXX .XX', 'XXX XXX X.X', 'XXX XXX XX.']) },
        remove('z', 'deny-all'),
      ],
    },
  },
};

export default defineLab(lab);
