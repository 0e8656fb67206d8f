/**
 * Rules for NetworkPolicies (the lab's, and those a scenario applies), with the API server's
 * validation (pkg/apis/networking/validation): label selectors, peers, ipBlock CIDRs and their
 * `except`, ports and endPort, policyTypes; plus what podlab cannot do (SCTP: this kernel has no
 * SCTP) and references to namespaces and policies the lab does not have. Codes PL2100–PL2149.
 */
import { contains, formatPrefix, parsePrefix, type Prefix } from '../net/addr.ts';
import { NAMESPACE_NAME_LABEL, type LabelSelector, type NetworkPolicy, type PolicyPod } from '../policy/types.ts';
import { diag, warning, type Diagnostic } from './diagnostics.ts';
import { matchesSelector, namespaceLabelsOf, peerSelectsPod, policySelects } from '../policy/selectors.ts';
import type { Lab } from './lab.ts';
import { DNS } from '../constants.ts';
import { nearest } from '../lib/edit-distance.ts';
import { ingressPod } from '../ingress/controller.ts';
import { INGRESS } from '../ingress/types.ts';

type At = (...p: (string | number)[]) => (string | number)[];

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Why a label key is invalid, or undefined (a qualified name: optional DNS-subdomain prefix, '/', a name of ≤ 63). */
export function badKey(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash === -1 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `its prefix "${prefix}" is not a DNS subdomain`;
  if (!name || name.length > 63 || !LABEL_NAME.test(name)) return 'a label name has at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  return undefined;
}

export const badValue = (v: string) => v.length > 63 || (v !== '' && !LABEL_NAME.test(v));

export function selectorIsValid(sel: LabelSelector, at: At, what: string, out: Diagnostic[]): void {
  for (const [k, v] of Object.entries(sel.matchLabels)) {
    const why = badKey(k);
    if (why) out.push(diag('PL2100', at('matchLabels', k), `${what}: label key "${k}" is invalid: ${why}`, 'Write a key such as "app" or "example.com/tier".'));
    else if (badValue(v)) out.push(diag('PL2100', at('matchLabels', k), `${what}: label value "${v}" is invalid`, 'A label value is empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit.'));
  }
  for (const [i, e] of sel.matchExpressions.entries()) {
    const why = badKey(e.key);
    if (why) out.push(diag('PL2100', at('matchExpressions', i, 'key'), `${what}: label key "${e.key}" is invalid: ${why}`));
    if (!OPERATORS.includes(e.operator)) {
      out.push(diag('PL2100', at('matchExpressions', i, 'operator'), `${what}: operator "${e.operator}" is not a label selector operator`, `Use one of ${OPERATORS.join(', ')}.`));
      continue;
    }
    const setOp = e.operator === 'In' || e.operator === 'NotIn';
    if (setOp && !e.values.length) out.push(diag('PL2100', at('matchExpressions', i, 'values'), `${what}: operator ${e.operator} needs at least one value`, 'List the values, or use Exists / DoesNotExist.'));
    if (!setOp && e.values.length) out.push(diag('PL2100', at('matchExpressions', i, 'values'), `${what}: operator ${e.operator} takes no values`, 'Remove values, or use In / NotIn.'));
    for (const [j, v] of e.values.entries()) if (badValue(v)) out.push(diag('PL2100', at('matchExpressions', i, 'values', j), `${what}: label value "${v}" is invalid`));
  }
}

/** An IPv4 or IPv6 CIDR (IPv6 ones are enforced in a dual-stack lab's `ip6` policy table). */
function cidrIsValid(text: string, at: (string | number)[], what: string, out: Diagnostic[]): Prefix | undefined {
  const c = parsePrefix(text);
  if (c) return c;
  const loose = parsePrefix(text, false);
  out.push(diag('PL2101', at, loose ? `${what}: "${text}" has host bits set (a CIDR names a network)` : `${what}: "${text}" is not a valid IPv4 or IPv6 CIDR`, loose ? `Host bits are set; did you mean "${formatPrefix(loose)}"?` : 'Write it as a.b.c.d/n, e.g. "10.244.0.0/16" (a single address is a.b.c.d/32), or an IPv6 prefix such as "fd00:10:244::/56".'));
  return undefined;
}

/** One policy, wherever it was written (`at` is its path). */
export function policyIsValid(lab: Lab, p: NetworkPolicy, at: At, out: Diagnostic[]): void {
  const where = `NetworkPolicy "${p.namespace}/${p.name}"`;
  if (!lab.namespaces.includes(p.namespace))
    out.push(diag('PL2106', at('namespace'), `${where} is in namespace "${p.namespace}", which the lab does not declare`, `Add "${p.namespace}" to namespaces.`));
  selectorIsValid(p.podSelector, (...q) => at('podSelector', ...q), `${where} podSelector`, out);
  for (const [i, t] of p.policyTypes.entries())
    if (t !== 'Ingress' && t !== 'Egress') out.push(diag('PL2104', at('policyTypes', i), `${where}: policyType "${t}" is neither "Ingress" nor "Egress"`, 'policyTypes lists "Ingress" and/or "Egress" (case matters); omitted, it is ["Ingress"] plus "Egress" when egress rules are given.'));
  if (new Set(p.policyTypes).size !== p.policyTypes.length) out.push(diag('PL2104', at('policyTypes'), `${where}: policyTypes lists a type twice`));
  for (const dir of ['ingress', 'egress'] as const)
    for (const [i, rule] of p[dir].entries()) {
      const peersKey = dir === 'ingress' ? 'from' : 'to';
      for (const [j, peer] of rule.peers.entries()) {
        const pat: At = (...q) => at(dir, i, peersKey, j, ...q);
        const what = `${where} ${dir}[${i}].${peersKey}[${j}]`;
        if (peer.ipBlock && (peer.podSelector || peer.namespaceSelector))
          out.push(diag('PL2107', pat('ipBlock'), `${what}: ipBlock cannot be combined with podSelector or namespaceSelector in one peer`, 'Write the ipBlock as a peer of its own (peers of a rule are OR-ed).'));
        if (!peer.ipBlock && !peer.podSelector && !peer.namespaceSelector)
          out.push(diag('PL2107', pat(), `${what}: a peer must give podSelector, namespaceSelector or ipBlock`, `To allow every ${dir === 'ingress' ? 'source' : 'destination'}, leave ${peersKey} out of the rule.`));
        if (peer.podSelector) selectorIsValid(peer.podSelector, (...q) => pat('podSelector', ...q), `${what} podSelector`, out);
        if (peer.namespaceSelector) selectorIsValid(peer.namespaceSelector, (...q) => pat('namespaceSelector', ...q), `${what} namespaceSelector`, out);
        if (peer.ipBlock) {
          const block = cidrIsValid(peer.ipBlock.cidr, pat('ipBlock', 'cidr'), `${what} ipBlock.cidr`, out);
          for (const [k, e] of peer.ipBlock.except.entries()) {
            const ex = cidrIsValid(e, pat('ipBlock', 'except', k), `${what} ipBlock.except[${k}]`, out);
            if (block && ex && !(contains(block, { family: ex.family, value: ex.network }) && ex.bits > block.bits))
              out.push(diag('PL2102', pat('ipBlock', 'except', k), `${what}: except "${e}" is not inside the block's cidr "${peer.ipBlock.cidr}"`, 'Each except must be a strictly smaller range inside cidr (the API server rejects it otherwise).'));
          }
        }
      }
      for (const [k, q] of rule.ports.entries()) {
        const qat: At = (...r) => at(dir, i, 'ports', k, ...r);
        const what = `${where} ${dir}[${i}].ports[${k}]`;
        if (q.protocol === 'SCTP')
          out.push(diag('PL2105', qat('protocol'), `${what}: protocol SCTP cannot be filtered here: this kernel has no SCTP (the sctp module, CONFIG_IP_SCTP)`, 'Use TCP or UDP; podlab checks SCTP only where the kernel has it.'));
        if (typeof q.port === 'string' && (q.port.length > 15 || !IANA_NAME.test(q.port) || !/[a-z]/.test(q.port)))
          out.push(diag('PL2108', qat('port'), `${what}: "${q.port}" is not a port name (an IANA service name: at most 15 lower-case letters, digits and '-', with a letter)`, 'Give a number, or the name of a container port.'));
        if (q.endPort !== undefined) {
          if (q.port === undefined) out.push(diag('PL2103', qat('endPort'), `${what}: endPort needs a numeric port to start the range`, 'Add port: the first port of the range.'));
          else if (typeof q.port === 'string') out.push(diag('PL2103', qat('endPort'), `${what}: endPort cannot follow a named port ("${q.port}")`, 'A range needs a numeric port; name ports one by one instead.'));
          else if (q.endPort < q.port) out.push(diag('PL2103', qat('endPort'), `${what}: endPort ${q.endPort} is below port ${q.port}`, `Write the range as port: ${q.endPort}, endPort: ${q.port}?`));
        }
      }
    }
}

/**
 * What an author most likely mistyped, as warnings (the lab still builds; such a policy is legal):
 * a podSelector or peer that selects no pod, a namespaceSelector that selects no namespace
 * (PL2112), a named port no container of the pods it is about declares (PL2113). Pods that a
 * scenario labels later may be meant: with a label-pod step, selections are not judged.
 */
// A selector as kubectl writes one: app=web, tier in (a,b), !canary.
const term = (e: LabelSelector['matchExpressions'][number]) =>
  e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : e.operator === 'In' || e.operator === 'NotIn' ? `${e.key} ${e.operator.toLowerCase()} (${e.values.join(',')})` : `${e.key} ${e.operator} ${e.values.join(',')}`;
const labels = (sel: LabelSelector) => [...Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`), ...sel.matchExpressions.map(term)].join(', ');

/** The lab as every policy's mistyping check sees it: its pods that policy applies to, and whether a scenario relabels pods. */
interface PolicyPods {
  pods: readonly PolicyPod[];
  relabelled: boolean;
}

/** The namespaces a policy's selectors are judged against: their names and labels (a lab's, or a live lab's plan's). */
export type PolicyNamespaces = Pick<Lab, 'namespaces' | 'namespaceLabels'>;

function policyLooksMistyped(lab: PolicyNamespaces, p: NetworkPolicy, at: At, out: Diagnostic[], { pods, relabelled }: PolicyPods): void {
  const where = `NetworkPolicy "${p.namespace}/${p.name}"`;
  const selected = pods.filter((q) => policySelects(p, q));
  if (!relabelled && !selected.length && lab.namespaces.includes(p.namespace))
    out.push(
      warning(
        'PL2112',
        at('podSelector'),
        labels(p.podSelector) ? `${where} selects no pod: no pod in namespace "${p.namespace}" has ${labels(p.podSelector)}` : `${where} selects no pod: namespace "${p.namespace}" has none`,
        `It isolates nothing and allows nothing. ${podsWithLabels(pods.filter((q) => q.namespace === p.namespace), `namespace "${p.namespace}"`)}`,
      ),
    );
  for (const dir of ['ingress', 'egress'] as const)
    for (const [i, rule] of p[dir].entries()) {
      const peersKey = dir === 'ingress' ? 'from' : 'to';
      for (const [j, peer] of rule.peers.entries()) {
        if (peer.ipBlock) continue;
        const pat: At = (...q) => at(dir, i, peersKey, j, ...q);
        if (peer.namespaceSelector && !lab.namespaces.some((ns) => matchesSelector(peer.namespaceSelector!, namespaceLabelsOf(lab.namespaceLabels, ns))))
          out.push(warning('PL2112', pat('namespaceSelector'), `${where} ${dir}[${i}].${peersKey}[${j}]: namespaceSelector selects no namespace (${labels(peer.namespaceSelector)})`, `Namespaces: ${lab.namespaces.join(', ')}; each has the label ${NAMESPACE_NAME_LABEL}=<its name>.`));
        // In a namespace the lab lacks (PL2106 says so), a peer of that namespace is the same mistake.
        else if (!relabelled && peer.podSelector && (peer.namespaceSelector || lab.namespaces.includes(p.namespace)) && !pods.some((q) => peerSelectsPod(peer, p.namespace, q, lab.namespaceLabels)))
          out.push(warning('PL2112', pat('podSelector'), `${where} ${dir}[${i}].${peersKey}[${j}]: the peer selects no pod (${labels(peer.podSelector) || 'any pod'}${peer.namespaceSelector ? ', in the namespaces selected' : ` in namespace "${p.namespace}"`})`, `Traffic from or to no pod is allowed by it. ${podsWithLabels(peer.namespaceSelector ? pods.filter((q) => matchesSelector(peer.namespaceSelector!, namespaceLabelsOf(lab.namespaceLabels, q.namespace))) : pods.filter((q) => q.namespace === p.namespace), peer.namespaceSelector ? 'the namespaces selected' : `namespace "${p.namespace}"`)}`));
      }
      // A named port resolves against the pods traffic goes to: the policy's own for ingress, any pod for egress.
      const targets = dir === 'ingress' ? selected : pods;
      for (const [k, q] of rule.ports.entries())
        if (typeof q.port === 'string' && targets.length && !targets.some((t) => t.containers.some((c) => c.ports.some((cp) => cp.name === q.port && cp.protocol === q.protocol)))) {
          const named = targets.flatMap((t) => t.containers.flatMap((c) => c.ports.filter((cp) => cp.name && cp.protocol === q.protocol).map((cp) => cp.name!)));
          const near = nearest(q.port, [...new Set(named)]);
          out.push(warning('PL2113', at(dir, i, 'ports', k, 'port'), `${where} ${dir}[${i}].ports[${k}]: no container of ${dir === 'ingress' ? 'the pods it selects' : 'any pod'} has a ${q.protocol} port named "${q.port}": the rule allows nothing`, `${near ? `Did you mean "${near}"? ` : ''}Named ports: ${[...new Set(targets.flatMap((t) => t.containers.flatMap((c) => c.ports.flatMap((cp) => (cp.name ? [`${cp.name} (${cp.protocol} ${cp.containerPort})`] : [])))))].join(', ') || '(none)'}.`));
        }
    }
}

/** The pods a selector could have meant, with their labels: `Pods in namespace "shop": web (app=web), api (app=api, tier=back).` */
function podsWithLabels(pods: readonly PolicyPod[], where: string): string {
  if (!pods.length) return `No pod runs in ${where}.`;
  const shown = pods.slice(0, 6).map((q) => `${q.name} (${Object.entries(q.labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'no labels'})`);
  return `Pods in ${where}: ${shown.join(', ')}${pods.length > 6 ? `, and ${pods.length - 6} more` : ''}.`;
}

/**
 * The same warnings (PL2112, PL2113) for a policy applied to a live lab (`podlab policy apply`,
 * `kubectl apply`), judged against the pods that run now: a selector that matches none of them is
 * as likely a typo as in the lab file. `at` is where the policy's spec is.
 */
export function appliedPolicyWarnings(namespaces: PolicyNamespaces, p: NetworkPolicy, pods: readonly PolicyPod[], at: At): Diagnostic[] {
  const out: Diagnostic[] = [];
  policyLooksMistyped(namespaces, p, at, out, { pods: pods.filter((q) => !q.hostNetwork), relabelled: false });
  return out;
}

/**
 * The pods podlab adds to a lab, as policies see them: cluster DNS (kube-system, k8s-app=kube-dns)
 * and, with Ingresses, the controller (ingress-nginx, in a namespace of its own). A policy that
 * allows DNS or traffic from the controller selects them: no "selects nothing" warning.
 */
function systemPods(lab: Lab): PolicyPod[] {
  const pods: PolicyPod[] = [];
  if (lab.dns) pods.push({ name: DNS.podName, namespace: DNS.namespace, labels: { ...DNS.labels }, node: lab.dns.node, hostNetwork: false, containers: [{ ports: DNS.ports }] });
  if (lab.ingress) pods.push({ ...ingressPod(lab.ingress, ''), hostNetwork: false });
  return pods;
}

export function policiesAreValid(lab: Lab, out: Diagnostic[]): void {
  const policyPods: PolicyPods = {
    pods: [...lab.pods.filter((q) => !q.hostNetwork).map((q) => ({ ...q, hostNetwork: false, containers: q.containers.map((c) => ({ ports: c.ports })) })), ...systemPods(lab)],
    relabelled: lab.scenarios.some((sc) => sc.steps.some((st) => st.action?.action === 'label-pod')),
  };
  // The controller's namespace is the lab's as soon as it has Ingresses (the plan adds it).
  const namespaces: PolicyNamespaces = { namespaces: lab.ingress && !lab.namespaces.includes(INGRESS.namespace) ? [...lab.namespaces, INGRESS.namespace] : lab.namespaces, namespaceLabels: lab.namespaceLabels };
  for (const p of lab.networkPolicies) {
    policyIsValid(lab, p, (...q) => ['networkPolicies', p.name, ...q], out);
    policyLooksMistyped(namespaces, p, (...q) => ['networkPolicies', p.name, ...q], out, policyPods);
  }
  for (const [ns, labels] of Object.entries(lab.namespaceLabels)) {
    const i = lab.namespaces.indexOf(ns) - 2;
    const nsAt = (...q: (string | number)[]) => ['namespaces', i, 'labels', ...q];
    for (const [k, v] of Object.entries(labels)) {
      const why = badKey(k);
      if (why) out.push(diag('PL2109', nsAt(k), `namespace "${ns}": label key "${k}" is invalid: ${why}`));
      else if (badValue(v)) out.push(diag('PL2109', nsAt(k), `namespace "${ns}": label value "${v}" is invalid`));
      else if (k === NAMESPACE_NAME_LABEL && v !== ns)
        out.push(diag('PL2109', nsAt(k), `namespace "${ns}": label ${NAMESPACE_NAME_LABEL} is always the namespace's name, not "${v}"`, 'Leave it out: the API server sets it (and podlab does).'));
    }
  }
  // Scenario actions: the policies they apply, and the policies they delete must exist by then.
  for (const sc of lab.scenarios) {
    const live = new Set(lab.networkPolicies.map((p) => `${p.namespace}/${p.name}`));
    for (const step of sc.steps) {
      const a = step.action;
      if (a?.action === 'apply-policy') {
        policyIsValid(lab, a.policy, (...q) => [...step.path, 'policy', ...q], out);
        live.add(`${a.policy.namespace}/${a.name}`);
      } else if (a?.action === 'label-pod') {
        for (const [k, v] of Object.entries(a.labels)) {
          const why = badKey(k);
          if (why) out.push(diag('PL2111', [...step.path, 'labels', k], `scenario "${sc.name}", step ${Number(step.path.at(-1)) + 1} (label-pod): label key "${k}" is invalid: ${why}`));
          else if (v !== null && badValue(v)) out.push(diag('PL2111', [...step.path, 'labels', k], `scenario "${sc.name}", step ${Number(step.path.at(-1)) + 1} (label-pod): label value "${v}" is invalid`, 'A label value is empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit; null removes the label.'));
        }
      } else if (a?.action === 'delete-policy') {
        const key = `${a.namespace ?? 'default'}/${a.name}`;
        if (!live.has(key))
          out.push(diag('PL2110', [...step.path, 'name'], `scenario "${sc.name}", step ${Number(step.path.at(-1)) + 1} (delete-policy): no NetworkPolicy "${key}" exists at that step`, `In force then: ${[...live].join(', ') || '(none)'}.`));
        live.delete(key);
      }
    }
  }
}
