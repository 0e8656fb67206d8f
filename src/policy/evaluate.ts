/**
 * The reference evaluator: the NetworkPolicy API's semantics as a plain function, written from the
 * API documentation rather than from the nft compiler, so that each can check the other (the
 * property test in test/unit/policy-property.test.ts). Given the policies, the namespaces' labels
 * and one connection attempt (source, destination pod address after Service DNAT, protocol, port),
 * it says whether the first packet is allowed, and why, per direction:
 *
 * - a pod is isolated for a direction iff some policy selects it with that policyType; then only
 *   the union of the selecting policies' rules allows; a connection needs egress allowed at the
 *   source and ingress allowed at the destination (replies are then allowed: stateful);
 * - a pod reaching itself, and its own node (or a hostNetwork pod on it) reaching it, are allowed
 *   (the API leaves both to the implementation; upstream's e2e ignores the first, kube-router
 *   allows the second);
 * - hostNetwork pods are not subject to policy and are not chosen by pod selectors.
 */
import * as ipv4 from '../net/ipv4.ts';
import { isolates, peerSelectsPod } from './selectors.ts';
import { policyKey, type NamespaceLabels, type NetworkPolicy, type PolicyDirection, type PolicyPeer, type PolicyPod, type PolicyPort } from './types.ts';

export interface PolicyWorld {
  policies: readonly NetworkPolicy[];
  namespaces: NamespaceLabels;
}

/** One end of a connection: a pod (with its current IP), a node, or any other address. */
export interface TrafficEnd {
  ip: string;
  pod?: PolicyPod;
  /** The node this end is, or runs on as hostNetwork: its own pods' ingress does not apply to it. */
  node?: string;
}

export interface Traffic {
  from: TrafficEnd;
  to: TrafficEnd;
  protocol: 'TCP' | 'UDP';
  port: number;
}

export interface DirectionVerdict {
  allowed: boolean;
  /** Why: 'not isolated', 'pod to itself', 'from its own node', 'allowed by <ns>/<policy> ingress[i]', 'isolated by …, no rule matched'. */
  reason: string;
  /** The policies that isolate the pod in this direction. */
  policies: string[];
  /** The first rule that allowed, if any. */
  rule?: { policy: string; index: number };
}

export interface Verdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

const inCidr = (cidr: string, ip: string) => {
  const c = ipv4.parseCidr(cidr, false);
  const a = ipv4.parseIp(ip);
  return !!c && a !== undefined && ipv4.contains(c, a);
};

function peerMatches(peer: PolicyPeer, policy: NetworkPolicy, other: TrafficEnd, world: PolicyWorld): boolean {
  if (peer.ipBlock) return inCidr(peer.ipBlock.cidr, other.ip) && !peer.ipBlock.except.some((e) => inCidr(e, other.ip));
  return !!other.pod && peerSelectsPod(peer, policy.namespace, other.pod, world.namespaces);
}

/** The port a rule's port entry stands for on the destination pod (a name resolves through its container ports of that protocol). */
export function resolvePort(p: PolicyPort, dest: PolicyPod | undefined): number | undefined {
  if (typeof p.port !== 'string') return p.port;
  if (!dest || dest.hostNetwork) return undefined;
  for (const c of dest.containers) for (const q of c.ports) if (q.name === p.port && q.protocol === p.protocol) return q.containerPort;
  return undefined;
}

function portMatches(p: PolicyPort, t: Traffic): boolean {
  if (p.protocol !== t.protocol) return false;
  if (p.port === undefined) return true;
  const port = resolvePort(p, t.to.pod);
  if (port === undefined) return false;
  return typeof p.port === 'number' && p.endPort !== undefined ? t.port >= port && t.port <= p.endPort : t.port === port;
}

function direction(world: PolicyWorld, dir: PolicyDirection, subject: PolicyPod | undefined, other: TrafficEnd, t: Traffic): DirectionVerdict {
  const selecting = subject ? world.policies.filter((p) => isolates(p, dir, subject)) : [];
  const policies = selecting.map(policyKey);
  if (!selecting.length) return { allowed: true, reason: 'not isolated', policies };
  for (const p of selecting)
    for (const [index, rule] of p[dir].entries()) {
      const peerOk = !rule.peers.length || rule.peers.some((peer) => peerMatches(peer, p, other, world));
      const portOk = !rule.ports.length || rule.ports.some((q) => portMatches(q, t));
      if (peerOk && portOk) return { allowed: true, reason: `allowed by ${policyKey(p)} ${dir}[${index}]`, policies, rule: { policy: policyKey(p), index } };
    }
  return { allowed: false, reason: `isolated by ${policies.join(', ')}; no rule matched`, policies };
}

/** Whether the first packet of a connection is allowed, with the reason per direction. */
export function evaluate(world: PolicyWorld, t: Traffic): Verdict {
  const src = t.from.pod && !t.from.pod.hostNetwork ? t.from.pod : undefined;
  const dst = t.to.pod && !t.to.pod.hostNetwork ? t.to.pod : undefined;
  if (src && dst && src.namespace === dst.namespace && src.name === dst.name) {
    const self: DirectionVerdict = { allowed: true, reason: 'pod to itself', policies: [] };
    return { allowed: true, egress: self, ingress: self };
  }
  const egress = direction(world, 'egress', src, t.to, t);
  const fromOwnNode = !!dst && !src && t.from.node === dst.node;
  const ingress = fromOwnNode ? { allowed: true, reason: 'from its own node', policies: [] } : direction(world, 'ingress', dst, t.from, t);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}

