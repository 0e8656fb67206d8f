/**
 * A NetworkPolicy's parts in words, one line each: what `podlab explain` lists of the policies it
 * met, and the graph's policy boxes. Pure.
 */
import type { LabelSelector, PolicyDirection, PolicyPeer, PolicyPort, PolicyRule } from './types.ts';

export const selectorText = (s: LabelSelector): string => {
  const parts = [...Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`), ...s.matchExpressions.map((e) => `${e.key} ${e.operator}${e.values.length ? ` (${e.values.join(',')})` : ''}`)];
  return parts.length ? `{${parts.join(', ')}}` : '{} (all)';
};

function peerText(p: PolicyPeer): string {
  if (p.ipBlock) return `ipBlock ${p.ipBlock.cidr}${p.ipBlock.except.length ? ` except ${p.ipBlock.except.join(', ')}` : ''}`;
  const parts = [p.namespaceSelector ? `namespaces ${selectorText(p.namespaceSelector)}` : '', p.podSelector ? `pods ${selectorText(p.podSelector)}` : ''].filter(Boolean);
  return parts.join(' and ');
}

const portText = (q: PolicyPort) => (q.port === undefined ? `any ${q.protocol} port` : `${q.protocol}/${q.port}${q.endPort !== undefined ? `-${q.endPort}` : ''}`);

/** `ingress[0]: from namespaces {ns=y} or pods {pod=b}; ports TCP/80` */
export function ruleText(dir: PolicyDirection, index: number, r: PolicyRule): string {
  const peers = r.peers.length ? r.peers.map(peerText).join(' or ') : dir === 'ingress' ? 'anywhere' : 'anywhere';
  const ports = r.ports.length ? r.ports.map(portText).join(', ') : 'any port';
  return `${dir}[${index}]: ${dir === 'ingress' ? 'from' : 'to'} ${peers}; ports ${ports}`;
}

