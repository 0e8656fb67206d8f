/**
 * Label selectors with the API's semantics (k8s.io/apimachinery labels.Selector): every
 * matchLabels pair and every expression must hold; `{}` matches everything. NotIn and
 * DoesNotExist match objects that lack the key. And which pods a policy or a peer chooses.
 */
import { NAMESPACE_NAME_LABEL, type LabelSelector, type NamespaceLabels, type NetworkPolicy, type PolicyPeer, type PolicyPod } from './types.ts';

export function matchesSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // Validation rejects other operators; an invalid selector selects nothing (fail closed).
        return false;
    }
  }
  return true;
}

/** Per namespaces object (never changed in place: plans and views are replaced, not edited), each namespace's full labels, built once. */
const fullLabels = new WeakMap<NamespaceLabels, Map<string, Record<string, string>>>();

/** A namespace's labels as the API server keeps them: the author's, plus its name label. */
export function namespaceLabelsOf(namespaces: NamespaceLabels, ns: string): Record<string, string> {
  let byName = fullLabels.get(namespaces);
  if (!byName) fullLabels.set(namespaces, (byName = new Map()));
  let labels = byName.get(ns);
  if (!labels) byName.set(ns, (labels = Object.freeze({ ...(namespaces[ns] ?? {}), [NAMESPACE_NAME_LABEL]: ns })));
  return labels;
}

/** Policies select pods of their own namespace; hostNetwork pods are never subject to policy. */
export function policySelects(p: NetworkPolicy, pod: PolicyPod): boolean {
  return !pod.hostNetwork && pod.namespace === p.namespace && matchesSelector(p.podSelector, pod.labels);
}

/** Whether a pod is one of a pod peer's (podSelector and/or namespaceSelector; ipBlock peers choose no pod). */
export function peerSelectsPod(peer: PolicyPeer, policyNamespace: string, pod: PolicyPod, namespaces: NamespaceLabels): boolean {
  if (peer.ipBlock || pod.hostNetwork) return false;
  if (!peer.podSelector && !peer.namespaceSelector) return false;
  const nsOk = peer.namespaceSelector ? matchesSelector(peer.namespaceSelector, namespaceLabelsOf(namespaces, pod.namespace)) : pod.namespace === policyNamespace;
  return nsOk && (!peer.podSelector || matchesSelector(peer.podSelector, pod.labels));
}

/** Whether a policy makes a pod isolated in a direction. */
export function isolates(p: NetworkPolicy, dir: 'ingress' | 'egress', pod: PolicyPod): boolean {
  return p.policyTypes.includes(dir === 'ingress' ? 'Ingress' : 'Egress') && policySelects(p, pod);
}
