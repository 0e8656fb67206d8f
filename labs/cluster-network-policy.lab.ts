import { defineLab, type CheckSpec, type ContainerSpec, type LabSpec, type NetworkPolicySpec } from 'podlab';

/**
 * ClusterNetworkPolicy (sig-network's policy.networking.k8s.io, tiers Admin and Baseline) beside
 * NetworkPolicies, on the upstream e2e model of labs/network-policy.lab.ts: namespaces x, y, z
 * with pods a, b, c serving TCP and UDP on 80 and 81, a Service per pod, every probe to a
 * ClusterIP. Per direction the tiers are evaluated Admin (by priority) → NetworkPolicy →
 * Baseline → allow; the first Accept or Deny decides, Pass hands on to the next tier.
 *
 *   Admin 10   deny-z-to-x-a   x/a: Deny TCP/80 from namespace z   (overrides x's allow-all NetworkPolicy)
 *   Admin 20   pass-y          x:   Pass from namespace y          (the NetworkPolicies of x decide for y…)
 *   Admin 30   deny-y-to-x     x:   Deny from namespace y          (…so this never applies: Pass skipped it)
 *   NP         x/allow-all     every pod of x admits everything
 *   NP         z/allow-x-to-c  z/c admits namespace x only
 *   Baseline   default-deny-z  z:   Deny from every namespace      (only for pods no NetworkPolicy selects: z/a, z/b)
 *
 * Read the tiers each node enforces with
 *   podlab exec cluster-network-policy node/worker-1 -- nft list table ip podlab-policy
 * and ask why a cell is what it is with `podlab explain cluster-network-policy z-a svc/x/s-x-a --port 80`.
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

/** A truth table as upstream prints it: one row per source, one column per target, '.' reaches, 'X' does not. */
function truthTable(port: 80 | 81, protocol: 'tcp' | 'udp', rows: string[], name: string): CheckSpec {
  return {
    kind: 'matrix',
    name,
    probe: protocol,
    from: ALL,
    to: ALL.map((p) => `svc/${p.slice(0, 1)}/s-${p}:${port}`),
    expect: rows.map((r) => [...r.replaceAll(' ', '')].map((c) => (c === '.' ? 'reach' : 'no-reach'))),
  };
}

const ns = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });
const allowAllX: NetworkPolicySpec = { namespace: 'x', podSelector: {}, ingress: [{}] };

/** TCP/80: z cannot reach x/a (Admin Deny over x's allow-all); nothing reaches z/a and z/b (Baseline); z/c admits x only (its NetworkPolicy, so no Baseline). */
const TCP80 = [
  '... ... XX.',
  '... ... XX.',
  '... ... XX.',
  '... ... XXX',
  '... ... XXX',
  '... ... XXX',
  'X.. ... .XX',
  'X.. ... X.X',
  'X.. ... XX.',
];
/** UDP/81: the Admin Deny matches TCP/80 only, so z reaches x/a through x's allow-all. */
const UDP81 = [
  '... ... XX.',
  '... ... XX.',
  '... ... XX.',
  '... ... XXX',
  '... ... XXX',
  '... ... XXX',
  '... ... .XX',
  '... ... X.X',
  '... ... XX.',
];

const lab: LabSpec = {
  name: 'cluster-network-policy',
  description: 'ClusterNetworkPolicy tiers (Admin → NetworkPolicy → Baseline → allow) with Accept, Deny and Pass, on the upstream e2e model: 3 namespaces × 3 pods, probed through Services.',
  nodes: { 'worker-1': {}, 'worker-2': {} },
  cni: 'flannel',
  namespaces: NAMESPACES.map((n) => ({ name: n, labels: { ns: n } })),
  pods: Object.fromEntries(
    NAMESPACES.flatMap((n) =>
      PODS.map((p) => [`${n}-${p}`, { namespace: n, node: NODE[p], labels: { pod: p }, containers: [serve(80, 'TCP'), serve(80, 'UDP'), serve(81, 'TCP'), serve(81, 'UDP')] }]),
    ),
  ),
  services: Object.fromEntries(
    NAMESPACES.flatMap((n) =>
      PODS.map((p) => [
        `s-${n}-${p}`,
        {
          namespace: n,
          selector: { pod: p },
          ports: [80, 81].flatMap((port) => (['TCP', 'UDP'] as const).map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, protocol, port, targetPort: `serve-${port}-${protocol.toLowerCase()}` }))),
        },
      ]),
    ),
  ),
  clusterNetworkPolicies: {
    'deny-z-to-x-a': {
      tier: 'Admin',
      priority: 10,
      subject: { pods: { namespaceSelector: ns('x'), podSelector: { matchLabels: { pod: 'a' } } } },
      ingress: [{ name: 'no z on 80', action: 'Deny', from: [{ namespaces: ns('z') }], protocols: [{ tcp: { destinationPort: { number: 80 } } }] }],
    },
    'pass-y': {
      tier: 'Admin',
      priority: 20,
      subject: { namespaces: ns('x') },
      ingress: [{ name: 'x decides for y', action: 'Pass', from: [{ namespaces: ns('y') }] }],
    },
    'deny-y-to-x': {
      tier: 'Admin',
      priority: 30,
      subject: { namespaces: ns('x') },
      ingress: [{ action: 'Deny', from: [{ namespaces: ns('y') }] }],
    },
    'default-deny-z': {
      tier: 'Baseline',
      priority: 10,
      subject: { namespaces: ns('z') },
      ingress: [{ name: 'closed unless a NetworkPolicy opens', action: 'Deny', from: [{ namespaces: {} }] }],
    },
  },
  networkPolicies: {
    'allow-all': allowAllX,
    'allow-x-to-c': { namespace: 'z', podSelector: { matchLabels: { pod: 'c' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }] }] },
  },
  checks: [truthTable(80, 'tcp', TCP80, 'tiers: TCP/80'), truthTable(81, 'udp', UDP81, 'tiers: UDP/81')],
  scenarios: {
    'baseline-yields': {
      description: 'A NetworkPolicy selecting z/a (admitting y) takes z/a out of the Baseline tier: y now reaches it, x and the rest of z still do not (the NetworkPolicy isolates it).',
      steps: [
        { action: 'apply-policy', name: 'allow-y-to-a', policy: { namespace: 'z', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] } },
        { check: truthTable(80, 'tcp', [...TCP80.slice(0, 3), ...Array(3).fill('... ... .XX'), ...TCP80.slice(6)], 'z/a selected by a NetworkPolicy: TCP/80') },
        { action: 'delete-policy', namespace: 'z', name: 'allow-y-to-a' },
        { check: truthTable(80, 'tcp', TCP80, 'back to the Baseline: TCP/80') },
      ],
    },
    'pass-to-network-policy': {
      description: "x's NetworkPolicy changes to admit only z: y, passed on by the Admin tier, is now denied by it; z still cannot reach x/a on TCP/80 (the Admin Deny comes first).",
      steps: [
        { action: 'apply-policy', name: 'allow-all', policy: { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }] } },
        {
          check: truthTable(
            80,
            'tcp',
            ['.XX ... XX.', 'X.X ... XX.', 'XX. ... XX.', 'XXX ... XXX', 'XXX ... XXX', 'XXX ... XXX', 'X.. ... .XX', 'X.. ... X.X', 'X.. ... XX.'],
            'x admits z only: TCP/80',
          ),
        },
        { action: 'apply-policy', name: 'allow-all', policy: allowAllX },
        { check: truthTable(80, 'tcp', TCP80, 'x admits everyone again: TCP/80') },
      ],
    },
  },
};

export default defineLab(lab);
