/**
 * Rules for ClusterNetworkPolicies, with the CRD's validation (kubernetes-sigs/network-policy-api,
 * apis/v1alpha2): tier Admin or Baseline, priority 0–1000, rule action Accept, Deny or Pass (Pass
 * is allowed in both tiers: the API does not forbid it in Baseline, where it hands on to the
 * default, allow), "exactly one of" subjects, peers and protocol matches, at least one peer per
 * rule, at most 25 rules per direction and 25 peers or protocols per rule, CIDRs in `networks`,
 * port ranges with start < end, no named port beside a `networks` peer; plus what podlab does not
 * implement (the experimental `nodes` and `domainNames` peers, SCTP on this kernel). Codes
 * PL2115–PL2139 (and PL2100 for label selectors, PL2105 for SCTP, shared with NetworkPolicy).
 */
import { formatPrefix, parsePrefix } from '../net/addr.ts';
import { nearest } from '../lib/edit-distance.ts';
import { CLUSTER_ACTIONS, CLUSTER_TIERS, type ClusterNetworkPolicy, type NamespacedPod } from '../policy/cluster.ts';
import { diag, type Diagnostic } from './diagnostics.ts';
import type { Lab } from './lab.ts';
import { selectorIsValid } from './rules-policy.ts';

type At = (...p: (string | number)[]) => (string | number)[];

const MAX_ITEMS = 25;
const IANA_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const didYouMean = (value: string, options: readonly string[]) => {
  const near = nearest(value, [...options]) ?? options.find((o) => o.toLowerCase() === value.toLowerCase());
  return near ? `Did you mean "${near}"? (case matters)` : `Use one of ${options.join(', ')}.`;
};

function namespacedPodIsValid(p: NamespacedPod, at: At, what: string, out: Diagnostic[]): void {
  selectorIsValid(p.namespaceSelector, (...q) => at('namespaceSelector', ...q), `${what} namespaceSelector`, out);
  selectorIsValid(p.podSelector, (...q) => at('podSelector', ...q), `${what} podSelector`, out);
}

function clusterPolicyIsValid(p: ClusterNetworkPolicy, out: Diagnostic[]): void {
  const at: At = (...q) => ['clusterNetworkPolicies', p.name, ...q];
  const where = `ClusterNetworkPolicy "${p.name}"`;
  if (!(CLUSTER_TIERS as readonly string[]).includes(p.tier))
    out.push(diag('PL2115', at('tier'), `${where}: tier "${p.tier}" is neither "Admin" nor "Baseline"`, `${didYouMean(p.tier, CLUSTER_TIERS)} Admin is evaluated before NetworkPolicies, Baseline after them.`));
  if (p.priority < 0 || p.priority > 1000)
    out.push(diag('PL2117', at('priority'), `${where}: priority ${p.priority} is outside 0–1000`, 'Lower values are evaluated first within the tier; use 0 to 1000.'));
  const subjects = [p.subject.namespaces ? 'namespaces' : '', p.subject.pods ? 'pods' : ''].filter(Boolean);
  if (subjects.length !== 1)
    out.push(diag('PL2118', at('subject'), `${where}: subject must set exactly one of namespaces or pods, not ${subjects.length ? subjects.join(' and ') : 'neither'}`, 'namespaces: {…} selects every pod of those namespaces; pods: { namespaceSelector, podSelector } selects pods by both.'));
  if (p.subject.namespaces) selectorIsValid(p.subject.namespaces, (...q) => at('subject', 'namespaces', ...q), `${where} subject.namespaces`, out);
  if (p.subject.pods) namespacedPodIsValid(p.subject.pods, (...q) => at('subject', 'pods', ...q), `${where} subject.pods`, out);

  for (const dir of ['ingress', 'egress'] as const) {
    const peersKey = dir === 'ingress' ? 'from' : 'to';
    if (p[dir].length > MAX_ITEMS) out.push(diag('PL2124', at(dir), `${where}: ${p[dir].length} ${dir} rules; the API allows at most ${MAX_ITEMS}`, 'Merge rules that share an action, or split the policy.'));
    for (const [i, rule] of p[dir].entries()) {
      const rat: At = (...q) => at(dir, i, ...q);
      const what = `${where} ${dir}[${i}]`;
      if (!(CLUSTER_ACTIONS as readonly string[]).includes(rule.action))
        out.push(diag('PL2116', rat('action'), `${what}: action "${rule.action}" is not one of Accept, Deny, Pass`, `${didYouMean(rule.action, CLUSTER_ACTIONS)} Pass hands the decision to the next tier.`));
      if (rule.name !== undefined && rule.name.length > 100) out.push(diag('PL2124', rat('name'), `${what}: the rule's name has ${rule.name.length} characters; the API allows at most 100`));
      if (!rule.peers.length)
        out.push(diag('PL2119', rat(peersKey), `${what}: ${peersKey} is empty; a ClusterNetworkPolicy rule needs at least one peer`, dir === 'ingress' ? 'To match every source, write from: [{ namespaces: {} }].' : "To match every destination, write to: [{ namespaces: {} }, { networks: ['0.0.0.0/0'] }]."));
      if (rule.peers.length > MAX_ITEMS) out.push(diag('PL2124', rat(peersKey), `${what}: ${rule.peers.length} peers; the API allows at most ${MAX_ITEMS}`));
      if (rule.ports.length > MAX_ITEMS) out.push(diag('PL2124', rat('protocols'), `${what}: ${rule.ports.length} protocols; the API allows at most ${MAX_ITEMS}`));
      for (const [j, peer] of rule.peers.entries()) {
        const pat: At = (...q) => rat(peersKey, j, ...q);
        const pwhat = `${what}.${peersKey}[${j}]`;
        for (const k of peer.unsupported ?? [])
          out.push(diag('PL2121', pat(k), `${pwhat}: the ${k} peer is experimental upstream and podlab does not implement it`, k === 'nodes' ? "Use networks with the nodes' addresses." : 'Use networks with the addresses the names resolve to.'));
        const kinds = [peer.namespaces ? 'namespaces' : '', peer.pods ? 'pods' : '', peer.networks ? 'networks' : '', ...(peer.unsupported ?? [])].filter(Boolean);
        if (kinds.length !== 1)
          out.push(diag('PL2119', pat(), `${pwhat}: a peer sets exactly one of namespaces, pods${dir === 'egress' ? ', networks' : ''}, not ${kinds.length ? kinds.join(' and ') : 'none'}`, 'Write each as a peer of its own (peers of a rule are OR-ed); for pods in some namespaces use pods: { namespaceSelector, podSelector }.'));
        if (peer.namespaces) selectorIsValid(peer.namespaces, (...q) => pat('namespaces', ...q), `${pwhat} namespaces`, out);
        if (peer.pods) namespacedPodIsValid(peer.pods, (...q) => pat('pods', ...q), `${pwhat} pods`, out);
        if (peer.networks) {
          if (!peer.networks.length) out.push(diag('PL2120', pat('networks'), `${pwhat}: networks is empty`, 'List at least one CIDR.'));
          if (peer.networks.length > MAX_ITEMS) out.push(diag('PL2124', pat('networks'), `${pwhat}: ${peer.networks.length} networks; the API allows at most ${MAX_ITEMS}`));
          for (const [k, n] of peer.networks.entries()) {
            if (parsePrefix(n)) continue;
            const loose = parsePrefix(n, false);
            out.push(diag('PL2120', pat('networks', k), loose ? `${pwhat}: networks[${k}] "${n}" has host bits set (a CIDR names a network)` : `${pwhat}: networks[${k}] "${n}" is not a valid IPv4 or IPv6 CIDR`, loose ? `Host bits are set; did you mean "${formatPrefix(loose)}"?` : 'Write it as a.b.c.d/n, e.g. "10.0.0.0/8", or an IPv6 prefix such as "fd00::/8".'));
          }
        }
      }
      const hasNetworks = rule.peers.some((x) => x.networks);
      for (const [k, q] of rule.ports.entries()) {
        const qat: At = (...r) => rat('protocols', k, ...r);
        const qwhat = `${what}.protocols[${k}]`;
        if ('invalid' in q) {
          out.push(diag('PL2122', q.field ? qat(...q.field.split('.')) : qat(), `${qwhat}: ${q.invalid}; each entry sets exactly one of tcp, udp or destinationNamedPort, and a destinationPort exactly one of number or range`, "Write { tcp: { destinationPort: { number: 80 } } } or { udp: { destinationPort: { range: { start: 5000, end: 5010 } } } }; several entries are OR-ed."));
          continue;
        }
        if ('namedPort' in q) {
          if (q.namedPort.length > 15 || !IANA_NAME.test(q.namedPort) || !/[a-z]/.test(q.namedPort))
            out.push(diag('PL2123', qat('destinationNamedPort'), `${qwhat}: "${q.namedPort}" is not a port name (an IANA service name: at most 15 lower-case letters, digits and '-', with a letter)`, 'Give the name of a container port of the destination pods.'));
          if (hasNetworks) out.push(diag('PL2123', qat('destinationNamedPort'), `${qwhat}: destinationNamedPort cannot be used in a rule with a networks peer: addresses outside pods have no named ports`, 'Give the port by number for the networks, in a rule of its own.'));
          continue;
        }
        const key = q.protocol.toLowerCase();
        if (q.protocol === 'SCTP')
          out.push(diag('PL2105', qat(key), `${qwhat}: protocol SCTP cannot be filtered here: this kernel has no SCTP (the sctp module, CONFIG_IP_SCTP)`, 'Use tcp or udp; podlab checks SCTP only where the kernel has it.'));
        const range = q.endPort !== undefined;
        const pat = range ? qat(key, 'destinationPort', 'range') : qat(key, 'destinationPort', 'number');
        const bad = (n: number) => n < 1 || n > 65535;
        if (bad(q.port) || (range && bad(q.endPort!))) out.push(diag('PL2122', pat, `${qwhat}: port ${range ? `range ${q.port}–${q.endPort}` : q.port} is outside 1–65535`));
        else if (range && q.endPort! <= q.port) out.push(diag('PL2122', pat, `${qwhat}: range start ${q.port} is not below end ${q.endPort}`, q.endPort === q.port ? `A single port is { number: ${q.port} }.` : `Write { start: ${q.endPort}, end: ${q.port} }?`));
      }
    }
  }
}

export function clusterPoliciesAreValid(lab: Lab, out: Diagnostic[]): void {
  for (const p of lab.clusterNetworkPolicies) clusterPolicyIsValid(p, out);
}
