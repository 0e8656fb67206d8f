/**
 * NetworkPolicies (networking.k8s.io/v1): the policies in force (runtime/policies.ts), applied
 * and deleted through the same path as the scenario actions, so every node's policy table
 * follows in one nft transaction. A new policy is checked by the lab's own rules first
 * (schema/network-policy-schema.ts, compile/rules-policy.ts); any problem is a 422 naming the field.
 * One whose selectors select no running pod is applied, with validate's warning (PL2112) sent back
 * as a `Warning` header, which kubectl prints.
 */
import type { Lab } from '../../compile/lab.ts';
import { appliedPolicyWarnings, policyIsValid } from '../../compile/rules-policy.ts';
import { formatPath, type Diagnostic } from '../../compile/diagnostics.ts';
import { networkPolicySchema } from '../../schema/network-policy-schema.ts';
import { viewPods } from '../../runtime/services.ts';
import type { LabState } from '../../runtime/state.ts';
import { normalizePolicy, type LabelSelector, type NetworkPolicy, type PolicyPeer, type PolicyRule } from '../../policy/types.ts';
import { age, keptMetaOf, finish, invalid, type ApiKind, type K8sObject, type LabView, type StatusCause } from '../types.ts';

const selector = (s: LabelSelector) => ({ ...(Object.keys(s.matchLabels).length ? { matchLabels: s.matchLabels } : {}), ...(s.matchExpressions.length ? { matchExpressions: s.matchExpressions } : {}) });
const peer = (p: PolicyPeer) => ({
  ...(p.podSelector ? { podSelector: selector(p.podSelector) } : {}),
  ...(p.namespaceSelector ? { namespaceSelector: selector(p.namespaceSelector) } : {}),
  ...(p.ipBlock ? { ipBlock: { cidr: p.ipBlock.cidr, ...(p.ipBlock.except.length ? { except: p.ipBlock.except } : {}) } } : {}),
});
const rule = (r: PolicyRule, key: 'from' | 'to') => ({ ...(r.peers.length ? { [key]: r.peers.map(peer) } : {}), ...(r.ports.length ? { ports: r.ports } : {}) });

export function policyObject(p: NetworkPolicy): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      podSelector: selector(p.podSelector),
      policyTypes: p.policyTypes,
      ...(p.ingress.length ? { ingress: p.ingress.map((r) => rule(r, 'from')) } : {}),
      ...(p.egress.length ? { egress: p.egress.map((r) => rule(r, 'to')) } : {}),
    },
  };
}

/** The Kubernetes object → podlab's resolved policy, or the causes the API server would give. */
export function toPolicy(o: K8sObject, namespaces: readonly string[]): { policy?: NetworkPolicy; causes: StatusCause[] } {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const parsed = networkPolicySchema.safeParse({ ...spec, namespace: o.metadata.namespace ?? 'default' });
  if (!parsed.success)
    return {
      causes: parsed.error.issues.map((i) => ({
        field: `spec${i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}${i.code === 'unrecognized_keys' ? `.${i.keys[0]}` : ''}`,
        reason: i.code === 'unrecognized_keys' ? 'FieldValueNotSupported' : i.code === 'invalid_type' && i.input === undefined ? 'FieldValueRequired' : 'FieldValueInvalid',
        message: i.code === 'unrecognized_keys' ? `unknown field "${i.keys.join('", "')}"` : i.code === 'invalid_type' && i.input === undefined ? 'Required value' : `Invalid value: ${i.message}`,
      })),
    };
  const policy = normalizePolicy(o.metadata.name, parsed.data);
  const out: Diagnostic[] = [];
  policyIsValid({ namespaces } as Lab, policy, (...q) => q, out);
  const causes = out
    .filter((d) => d.severity === 'error')
    .map((d) => ({ field: d.path.length ? `spec.${formatPath(d.path)}`.replace('spec.namespace', 'metadata.namespace') : 'spec', message: `Invalid value: ${d.message}` }));
  return causes.length ? { causes } : { policy, causes };
}

/**
 * What `validate` would warn of the policy (a selector that selects no pod or namespace: PL2112; a
 * named port no pod declares: PL2113), judged against the lab's running pods, paths from `spec`:
 * kubectl prints them as the API server's `Warning:`s, `podlab policy apply` as warnings.
 */
export function policyWarnings(state: LabState, policy: NetworkPolicy): Diagnostic[] {
  const running = viewPods(state).filter((p) => p.ip !== undefined && state.pods[p.name]);
  const namespaces = { namespaces: state.plan.namespaces, namespaceLabels: state.plan.networkPolicy?.namespaces ?? {} };
  return appliedPolicyWarnings(namespaces, policy, running, (...q) => ['spec', ...q]);
}

export const networkPolicyKind: ApiKind = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  resource: 'networkpolicies',
  singular: 'networkpolicy',
  shortNames: ['netpol'],
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  list: (view: LabView) => view.policies.map((p) => finish(policyObject(p), view, networkPolicyKind)),
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the policy' },
    { name: 'Pod-Selector', type: 'string', priority: 0, description: 'the pods it isolates' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row(o) {
    const sel = (o.spec as { podSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] } }).podSelector;
    const parts = [...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`), ...(sel.matchExpressions ?? []).map((e) => `${e.key} ${e.operator.toLowerCase()} (${e.values.join(',')})`)];
    return [o.metadata.name, parts.join(',') || '<none>', age(o.metadata.creationTimestamp as string)];
  },
  write(o, ctx) {
    const { policy, causes } = toPolicy(o, ctx.view.plan.namespaces);
    if (!policy) throw invalid(networkPolicyKind, ctx.name, causes);
    // Accepted, as the API server accepts it; what validate would warn of (PL2112) comes back as kubectl's `Warning:`s.
    const warnings = policyWarnings(ctx.view.state, policy).map((d) => `${formatPath(d.path)}: ${d.message} (${d.code})`);
    return { op: 'apply-policy', policy, meta: keptMetaOf(o, ctx), warnings };
  },
  remove: (o) => ({ op: 'delete-policy', namespace: o.metadata.namespace!, name: o.metadata.name }),
};
