/**
 * `podlab explain`, the pure part: for one connection attempt (from, to, port, protocol) it says
 * which NetworkPolicies select each side, which rule allowed it or that the pod is isolated and
 * no rule matched, the verdict per direction (egress at the source, ingress at the destination,
 * judged after Service DNAT: one case per endpoint when `to` is a Service), and the nft rules of
 * the `ip podlab-policy` table that fire on each node. The verdict is the reference evaluator's
 * (src/policy/evaluate.ts); the nft rules come from running the very tables the runtime loads
 * through the rule interpreter (src/policy/interpret.ts), so the prediction names rules by the
 * chain and comment that `nft list table ip podlab-policy` shows and the live counters confirm.
 */
import { policyContextOf, type NftView } from '../plan/nft-tables.ts';
import type { Endpoint, PlanService, PlanServicePort } from '../plan/services.ts';
import { portEndpoints, serviceKey } from '../plan/services.ts';
import { clusterPoliciesFor, type ClusterNetworkPolicy, type ClusterPolicyPeer, type ClusterPolicyPort, type ClusterPolicyRule } from '../policy/cluster.ts';
import { evaluate, type ClusterRuleRef, type DirectionVerdict, type PolicyWorld, type TrafficEnd } from '../policy/evaluate.ts';
import { interpret } from '../policy/interpret.ts';
import { policyTable } from '../policy/nft.ts';
import { isolates } from '../policy/selectors.ts';
import { selectorText, ruleText } from '../policy/text.ts';
import { policyKey, type NamespaceLabels, type NetworkPolicy, type PolicyDirection, type PolicyPod } from '../policy/types.ts';
import { noVirtualIp, resolveEnd, servicePort, TraceProblem, type End } from './ends.ts';
import { arrivesFromWords, extClient, extMasquerades, loadBalancerPath, nodePortPath, sentToWords, type ExtClient } from './nat.ts';
import { hostPort, type Family } from '../net/addr.ts';
import { compareText } from '../lib/order.ts';

export interface ExplainRequest {
  from: string;
  to: string;
  /** The destination port: a Service's port (or nodePort), or the pod's. @default the only port there is */
  port?: number;
  /** @default TCP, or the only protocol of the Service's ports. ICMP: a ping to a pod, node or address (no port). */
  protocol?: 'TCP' | 'UDP' | 'ICMP';
  /** The packets' family: which address of each end, and which policy table (`ip` or `ip6` podlab-policy). @default the lab's primary family */
  family?: Family;
}

/** One selecting policy and the rules it has in a direction, as a person reads them. */
export interface SelectingPolicy {
  policy: string;
  rules: string[];
}

export interface DirectionExplanation {
  direction: PolicyDirection;
  /** The pod judged (ns/name), when the end is a pod subject to policy. */
  subject?: string;
  /** The node whose policy table judges this direction. */
  node?: string;
  selecting: SelectingPolicy[];
  allowed: boolean;
  /** 'not isolated', 'pod to itself', 'from its own node', 'allowed by …', 'isolated by …; no rule matched'. */
  reason: string;
  /** The rule that allowed, as written and described. */
  rule?: { policy: string; index: number; text: string };
  /** The tier that decided, when the lab has ClusterNetworkPolicies. */
  tier?: DirectionVerdict['tier'];
  /** The ClusterNetworkPolicies of each tier that apply to the subject in this direction, in evaluation order. */
  clusterTiers?: { Admin: SelectingClusterPolicy[]; Baseline: SelectingClusterPolicy[] };
  /** The ClusterNetworkPolicy rule that decided (Accept or Deny), described. */
  cluster?: ClusterRuleRef & { text: string };
  /** Pass rules that handed the decision on. */
  passed?: (ClusterRuleRef & { text: string })[];
  /**
   * Denied, though a rule of a selecting policy allows the Service's own port: the packet, DNATed
   * by kube-proxy, is judged at the endpoint's port (the targetPort), which the rule does not allow.
   * The classic mistake of allowing the port the client dials.
   */
  servicePortRule?: { policy: string; index: number; text: string; service: string; servicePort: number; targetPort: number; protocol: 'TCP' | 'UDP' };
}

/** What a denial by the Service port a rule allows says: `rule shop/fe-be egress[0] allows TCP/80, …`. */
export function servicePortWords(r: NonNullable<DirectionExplanation['servicePortRule']>): string {
  return `rule ${r.policy} ${r.text.split(':')[0]} allows ${r.protocol}/${r.servicePort}, the port of Service ${r.service}, but kube-proxy DNATs the packet to the endpoint's ${r.protocol}/${r.targetPort} (targetPort) before the policies judge it: that rule needs port ${r.targetPort}`;
}

/** A ClusterNetworkPolicy applying to a pod, with its rules in the direction as a person reads them. */
export interface SelectingClusterPolicy {
  policy: string;
  priority: number;
  rules: string[];
}

/** A rule of the podlab-policy table predicted to count this packet. */
export interface NftHit {
  node: string;
  chain: string;
  rule: string;
  /** The rule's comment (how the live table's counters are matched). */
  comment?: string;
}

export interface ExplainCase {
  /** The pod the packet reaches after DNAT, when `to` is a Service (or a node's NodePort). */
  endpoint?: { pod: string; namespace: string; node: string; ip: string; port: number };
  /** A load-balancer address from outside: the node whose NodePort the gateway sent it to, which DNATs it. */
  through?: string;
  /**
   * A NodePort's path, where it made a side judge another packet than the client's to the endpoint:
   * what the source's egress was judged to (the node's NodePort), what the endpoint's ingress was
   * judged from (the masquerading node's address), in words.
   */
  path?: { egress?: string; ingress?: string };
  dest: { ip: string; port: number; what: string };
  allowed: boolean;
  egress: DirectionExplanation;
  ingress: DirectionExplanation;
  /** Per node the table's verdict for the first packet, and the counting rules on the way. */
  nft: { node: string; verdict: 'accept' | 'drop' | 'reject'; hits: NftHit[] }[];
}

export interface Explanation {
  lab: string;
  from: { ref: string; what: string; ip: string };
  to: { ref: string; what: string; ip?: string };
  protocol: 'TCP' | 'UDP' | 'ICMP';
  port: number;
  service?: {
    key: string;
    clusterIP?: string;
    port: number;
    protocol: 'TCP' | 'UDP';
    targetPort: number | string;
    endpoints: number;
    /**
     * `to` is a node and the port its NodePort: the node that DNATs, and the endpoints it sends to
     * (`local`: externalTrafficPolicy Local keeps this client, from outside, to the node's own).
     */
    nodePort?: { node: string; port: number; local: boolean };
    /**
     * `to` is a load-balancer address: the nodes whose kube-proxy may DNAT it (the source's own; from
     * outside, those the gateway spreads it over, at their `nodePort`), whom kube-proxy's ext chain
     * takes the client for, whether it masquerades towards an endpoint on another node, and `local`
     * when externalTrafficPolicy Local keeps the client to each node's own endpoints.
     */
    loadBalancer?: { address: string; nodes: string[]; nodePort?: number; client: ExtClient; masquerade: boolean; local: boolean };
  };
  /** True when the lab has no NetworkPolicy at all (everything is allowed). */
  noPolicies: boolean;
  cases: ExplainCase[];
  /** Overall: allowed for every case (the client gets through whichever endpoint it is sent to). */
  allowed: boolean;
}

const clusterPeerText = (p: ClusterPolicyPeer): string => {
  if (p.networks) return `networks ${p.networks.join(', ')}`;
  if (p.namespaces) return `namespaces ${selectorText(p.namespaces)}`;
  if (p.pods) return `pods ${selectorText(p.pods.podSelector)} in namespaces ${selectorText(p.pods.namespaceSelector)}`;
  return '(nothing)';
};
const clusterPortText = (q: ClusterPolicyPort) => ('invalid' in q ? '(invalid)' : 'namedPort' in q ? `named port ${q.namedPort}` : `${q.protocol}/${q.port}${q.endPort !== undefined ? `-${q.endPort}` : ''}`);

/** `ingress[0] Deny "no b": from pods {app=b} in namespaces {} (all); any port` */
export function clusterRuleText(dir: PolicyDirection, index: number, r: ClusterPolicyRule): string {
  return `${dir}[${index}] ${r.action}${r.name ? ` "${r.name}"` : ''}: ${dir === 'ingress' ? 'from' : 'to'} ${r.peers.map(clusterPeerText).join(' or ')}; ${r.ports.length ? `ports ${r.ports.map(clusterPortText).join(', ')}` : 'any port'}`;
}

function describeCluster(clusterPolicies: readonly ClusterNetworkPolicy[], namespaces: NamespaceLabels, dir: PolicyDirection, v: DirectionVerdict, pod: PolicyPod | undefined, out: DirectionExplanation): void {
  if (!clusterPolicies.length) return;
  const tier = (t: 'Admin' | 'Baseline') => (pod ? clusterPoliciesFor(clusterPolicies, t, dir, pod, namespaces) : []).map((p) => ({ policy: p.name, priority: p.priority, rules: p[dir].map((r, i) => clusterRuleText(dir, i, r)) }));
  const text = (ref: ClusterRuleRef) => ({ ...ref, text: clusterRuleText(dir, ref.index, clusterPolicies.find((p) => p.name === ref.policy)![dir][ref.index]!) });
  out.clusterTiers = { Admin: tier('Admin'), Baseline: tier('Baseline') };
  if (v.tier) out.tier = v.tier;
  if (v.cluster) out.cluster = text(v.cluster);
  if (v.passed) out.passed = v.passed.map(text);
}

function describe(policies: readonly NetworkPolicy[], dir: PolicyDirection, v: DirectionVerdict, end: End | undefined, clusterPolicies: readonly ClusterNetworkPolicy[] = [], namespaces: NamespaceLabels = {}): DirectionExplanation {
  const pod = end?.kind === 'pod' && !end.pod.hostNetwork ? end.policyPod : undefined;
  const selecting = pod ? policies.filter((p) => isolates(p, dir, pod)).sort((a, b) => compareText(policyKey(a), policyKey(b))) : [];
  const out: DirectionExplanation = {
    direction: dir,
    ...(pod ? { subject: `${pod.namespace}/${pod.name}`, node: pod.node } : {}),
    selecting: selecting.map((p) => ({ policy: policyKey(p), rules: p[dir].map((r, i) => ruleText(dir, i, r)) })),
    allowed: v.allowed,
    reason: v.reason,
  };
  if (v.rule) {
    const p = policies.find((x) => policyKey(x) === v.rule!.policy)!;
    out.rule = { ...v.rule, text: ruleText(dir, v.rule.index, p[dir][v.rule.index]!) };
  }
  describeCluster(clusterPolicies, namespaces, dir, v, pod, out);
  return out;
}

const trafficEnd = (e: End): TrafficEnd => {
  if (e.kind === 'pod') return { ip: e.ip, pod: e.policyPod, ...(e.pod.hostNetwork ? { node: e.node } : {}) };
  if (e.kind === 'node') return { ip: e.ip, node: e.node };
  if (e.kind === 'service') throw new Error('a Service is resolved to its endpoints first');
  return { ip: e.ip };
};

const describeEnd = (e: End): string => {
  switch (e.kind) {
    case 'pod':
      return `pod ${e.pod.namespace}/${e.pod.name} ${e.ip} on ${e.node}${e.pod.hostNetwork ? ' (hostNetwork)' : ''}`;
    case 'node':
      return `node ${e.node} ${e.ip}`;
    case 'host':
      return `host ${e.host} ${e.ip}`;
    case 'gateway':
      return `the gateway ${e.ip}`;
    case 'service':
      return e.address ? `Service ${serviceKey(e.service)} load-balancer address ${e.address}` : `Service ${serviceKey(e.service)}${e.service.clusterIP ? ` ${e.service.clusterIP}` : ''}`;
  }
};

/** A connection's source: any end but a Service. */
type SourceEnd = Exclude<End, { kind: 'service' }>;

/**
 * The passes through a forward hook that judge the first packet, with the addresses it has there:
 * the source pod's node, then the destination pod's node (not for traffic from that node itself).
 * A path that leaves the source's node for another node's address (`sentTo`, a NodePort there), or
 * comes back to it masqueraded (`arrivesFrom`), passes the destination's node anew, even when it is
 * the source's.
 */
function judgingPasses(from: SourceEnd, dest: { node?: string; hostNetwork?: boolean; ip: string; port: number }, seen: PathSeen): { node: string; saddr: string; daddr: string; dport: number }[] {
  const passes: { node: string; saddr: string; daddr: string; dport: number }[] = [];
  if (from.kind === 'pod' && !from.pod.hostNetwork) passes.push({ node: from.node, saddr: from.ip, daddr: seen.sentTo?.ip ?? dest.ip, dport: seen.sentTo?.port ?? dest.port });
  const fromNode = from.kind === 'node' ? from.node : from.kind === 'pod' && from.pod.hostNetwork ? from.node : undefined;
  // The node's own traffic to its pod never meets its forward hook, unless it went out and came back masqueraded.
  const local = fromNode === dest.node && !seen.arrivesFrom;
  if (dest.node && !dest.hostNetwork && !local && (seen.sentTo || !passes.some((p) => p.node === dest.node))) passes.push({ node: dest.node, saddr: seen.arrivesFrom ?? from.ip, daddr: dest.ip, dport: dest.port });
  return passes;
}

function predictNft(view: NftView, passes: ReturnType<typeof judgingPasses>, protocol: 'TCP' | 'UDP' | 'ICMP', family: Family): ExplainCase['nft'] {
  // Each family has its own table: IPv6 packets meet `table ip6 podlab-policy` (the pods' IPv6 addresses).
  const ctx = policyContextOf(view, family === 'IPv6' ? 'ip6' : 'ip');
  const out: ExplainCase['nft'] = [];
  for (const { node, saddr, daddr, dport: port } of passes) {
    const table = policyTable(ctx, node);
    if (!table) continue;
    const l4 = protocol === 'ICMP' ? (family === 'IPv6' ? 'icmpv6' : 'icmp') : protocol === 'TCP' ? 'tcp' : 'udp';
    const r = interpret(table, { saddr, daddr, protocol: l4, dport: port, ct: 'new' });
    const hits = r.trail
      .filter((t) => /\bcounter\b/.test(t.rule))
      .map((t) => {
        const comment = /comment "([^"]*)"/.exec(t.rule)?.[1];
        return { node, chain: t.chain, rule: t.rule, ...(comment ? { comment } : {}) };
      });
    out.push({ node, verdict: r.verdict, hits });
  }
  return out;
}

/** The port a pod destination is reached on: the one given, or the pod's only declared container port. */
function podPort(e: Extract<End, { kind: 'pod' }>, port: number | undefined, protocol: 'TCP' | 'UDP' | undefined): { port: number; protocol: 'TCP' | 'UDP' } {
  if (port !== undefined) return { port, protocol: protocol ?? 'TCP' };
  const ports = e.pod.containers.flatMap((c) => c.ports).filter((p) => !protocol || p.protocol === protocol);
  if (ports.length === 1) return { port: ports[0]!.containerPort, protocol: ports[0]!.protocol };
  throw new TraceProblem(
    'PL3115',
    `which port of pod ${e.pod.namespace}/${e.pod.name}? ${ports.length ? 'it declares several' : 'it declares none'}`,
    `Add --port N/proto${ports.length ? `, e.g. ${ports.map((p) => `${p.containerPort}/${p.protocol.toLowerCase()}`).join(', ')}` : ''}.`,
  );
}

/** The Service port whose NodePort `port` is (of `protocol`, when given), as kube-proxy's nodeport rules match it on every node. */
function nodePortOf(view: NftView, port: number | undefined, protocol: 'TCP' | 'UDP' | 'ICMP' | undefined): { s: PlanService; sp: PlanServicePort } | undefined {
  if (port === undefined || protocol === 'ICMP') return undefined;
  for (const s of view.plan.services) {
    const sp = s.ports.find((p) => p.nodePort === port && (!protocol || p.protocol === protocol));
    if (sp) return { s, sp };
  }
  return undefined;
}

/** The endpoints one Service port reaches, with the pod's port. */
export function endpointsOf(view: NftView, key: string, sp: PlanServicePort): (Endpoint & { port: number })[] {
  return portEndpoints(view.endpoints, key, sp.key).filter((e): e is Endpoint & { port: number } => e.port !== undefined);
}

/**
 * What the packet looks like where each side is judged, on a path that translates it between the
 * two (`podlab trace`). Both absent: the connection as explain judges it, source and destination
 * as they are.
 */
export interface PathSeen {
  /**
   * Where the source's node forwards it when the DNAT is on another node (a NodePort there): the
   * source's egress is judged to that address and port, as its node's policy table sees it.
   */
  sentTo?: { ip: string; port: number };
  /**
   * The source address the destination's node sees, after a masquerade on the way (natOutgoing on
   * the source's node, kube-proxy's on the node that DNATs a NodePort, the gateway's): the
   * destination's ingress is judged from that address, not from the client's own.
   */
  arrivesFrom?: string;
}

/** A source address after a masquerade: a node's (as policy sees traffic from that node), or any other. */
function arrivingEnd(view: NftView, ip: string): TrafficEnd {
  const node = view.plan.nodes.find((n) => (n.ips ?? [n.ip]).includes(ip));
  return node ? { ip, node: node.name } : { ip };
}

/** One case: the verdict per direction (each judged on the packet as it is there) and each node's table. */
function judgeCase(view: NftView, world: PolicyWorld & { clusterPolicies: readonly ClusterNetworkPolicy[] }, from: SourceEnd, destEnd: End, destIp: string, destPort: number, protocol: 'TCP' | 'UDP' | 'ICMP', family: Family, seen: PathSeen, endpoint?: ExplainCase['endpoint'], path?: ExplainCase['path'], through?: string, dialed?: { service: string; port: number }): ExplainCase {
  const plain = evaluate(world, { from: trafficEnd(from), to: trafficEnd(destEnd), protocol, port: destPort });
  // The egress as sent from the source's node, the ingress as it arrives at the destination's: each its own first packet.
  const egressTraffic = seen.sentTo ? { from: trafficEnd(from), to: arrivingEnd(view, seen.sentTo.ip), protocol, port: seen.sentTo.port } : undefined;
  const ingressTraffic = seen.arrivesFrom ? { from: arrivingEnd(view, seen.arrivesFrom), to: trafficEnd(destEnd), protocol, port: destPort } : undefined;
  const egress = egressTraffic ? evaluate(world, egressTraffic).egress : plain.egress;
  const ingress = ingressTraffic ? evaluate(world, ingressTraffic).ingress : plain.ingress;
  const dest = destEnd.kind === 'pod' ? { node: destEnd.node, hostNetwork: destEnd.pod.hostNetwork } : {};
  // A NetworkPolicy denial that a rule would allow at the port the client dialed (the Service's), not the one DNAT sends it to.
  const dialedRule = (dir: PolicyDirection, v: DirectionVerdict, t: Parameters<typeof evaluate>[1] | undefined): DirectionExplanation['servicePortRule'] => {
    if (v.allowed || v.cluster || !dialed || dialed.port === destPort || protocol === 'ICMP' || (t && t.port !== destPort)) return undefined;
    const alt = evaluate(world, { ...(t ?? { from: trafficEnd(from), to: trafficEnd(destEnd), protocol }), port: dialed.port })[dir];
    if (!alt.allowed || !alt.rule) return undefined;
    const p = view.policies.find((x) => policyKey(x) === alt.rule!.policy)!;
    return { ...alt.rule, text: ruleText(dir, alt.rule.index, p[dir][alt.rule.index]!), service: dialed.service, servicePort: dialed.port, targetPort: destPort, protocol };
  };
  const described = (dir: PolicyDirection, v: DirectionVerdict, end: End, t: Parameters<typeof evaluate>[1] | undefined): DirectionExplanation => {
    const d = describe(view.policies, dir, v, end, world.clusterPolicies, world.namespaces);
    const r = dialedRule(dir, v, t);
    return r ? { ...d, reason: `${d.reason}; ${servicePortWords(r)}`, servicePortRule: r } : d;
  };
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(through ? { through } : {}),
    ...(path && (path.egress || path.ingress) ? { path } : {}),
    dest: { ip: destIp, port: destPort, what: describeEnd(destEnd) },
    allowed: egress.allowed && ingress.allowed,
    egress: described('egress', egress, from, egressTraffic),
    ingress: described('ingress', ingress, destEnd, ingressTraffic),
    nft: predictNft(view, judgingPasses(from, { ...dest, ip: destIp, port: destPort }, seen), protocol, family),
  };
}

/**
 * One connection to a pod (or node, host) judged as the packet is where each side is judged: the
 * source's egress on its node, the destination's ingress on its node, after what the path did to
 * the packet in between (`seen`). `podlab trace` asks this of the path it follows.
 */
export function explainPath(view: NftView, req: { from: string; to: string; port: number; protocol: 'TCP' | 'UDP' | 'ICMP'; family: Family }, seen: PathSeen, dialed?: { service: string; port: number }): ExplainCase {
  const from = resolveEnd(view, req.from, false, req.family);
  const to = resolveEnd(view, req.to, false, req.family);
  if (from.kind === 'service' || to.kind === 'service') throw new Error('unreachable');
  const world = { policies: view.policies, namespaces: view.plan.networkPolicy?.namespaces ?? {}, clusterPolicies: view.plan.networkPolicy?.clusterPolicies ?? [] };
  return judgeCase(view, world, from, to, to.ip, req.port, req.protocol, req.family, seen, undefined, undefined, undefined, dialed);
}

export function explain(view: NftView, req: ExplainRequest): Explanation {
  const family = req.family ?? view.plan.ipFamilies[0] ?? 'IPv4';
  const from = resolveEnd(view, req.from, false, family);
  const to = resolveEnd(view, req.to, true, family);
  if (from.kind === 'service') throw new Error('unreachable');
  const world = { policies: view.policies, namespaces: view.plan.networkPolicy?.namespaces ?? {}, clusterPolicies: view.plan.networkPolicy?.clusterPolicies ?? [] };
  const cases: ExplainCase[] = [];
  let protocol: 'TCP' | 'UDP' | 'ICMP';
  let port: number;
  let service: Explanation['service'];

  const judge = (destEnd: End, destIp: string, destPort: number, endpoint?: ExplainCase['endpoint'], dialed?: { service: string; port: number }): ExplainCase => judgeCase(view, world, from, destEnd, destIp, destPort, protocol, family, {}, endpoint, undefined, undefined, dialed);

  // A headless or ExternalName Service has no address whose packets could be judged, whatever the protocol.
  const none = to.kind === 'service' ? noVirtualIp(view, to.service, req.from) : undefined;
  if (none) throw none;
  if (req.protocol === 'ICMP') {
    // A ping: no port, and no Service (kube-proxy forwards only a Service's TCP and UDP ports).
    if (to.kind === 'service') throw new TraceProblem('PL3111', `Service ${serviceKey(to.service)} has no ICMP port: kube-proxy forwards only its TCP and UDP ports, so a ping of its virtual IP says nothing of its pods`, `Ping one of its pods instead: ${(view.endpoints[serviceKey(to.service)] ?? []).map((e) => `${e.namespace}/${e.pod}`).join(', ') || '(it has no endpoints)'}.`);
    protocol = 'ICMP';
    port = 0;
    cases.push(judge(to, to.ip, 0));
  } else if (to.kind === 'service') {
    const s = to.service;
    const sp = servicePort(s, req.port, req.protocol);
    protocol = sp.protocol;
    port = req.port ?? sp.port;
    const eps = endpointsOf(view, serviceKey(s), sp);
    service = { key: serviceKey(s), ...(s.clusterIP ? { clusterIP: s.clusterIP } : {}), port: sp.port, protocol: sp.protocol, targetPort: sp.targetPort, endpoints: eps.length };
    // A load-balancer address is DNATed as a NodePort is, by kube-proxy's ext chain: on the source's
    // own node, or from outside on the node whose NodePort the gateway chose (one case per node and
    // endpoint: where the gateway sends it decides whether the endpoint sees it masqueraded).
    const viaGateway = from.kind === 'host';
    const dnatNodes = !to.address || from.kind === 'gateway' ? [] : viaGateway ? (sp.nodePort === undefined ? [] : view.plan.nodes.filter((n) => s.externalTrafficPolicy !== 'Local' || eps.some((e) => e.node === n.name))) : view.plan.nodes.filter((n) => n.name === from.node);
    if (dnatNodes.length) {
      const client = extClient(view.plan, from, dnatNodes[0]!.name, viaGateway);
      const local = s.externalTrafficPolicy === 'Local' && client === 'outside';
      service.loadBalancer = { address: to.address!, nodes: dnatNodes.map((n) => n.name), ...(viaGateway ? { nodePort: sp.nodePort! } : {}), client, masquerade: extMasquerades(s, client), local };
    }
    for (const node of dnatNodes.length ? dnatNodes : [undefined])
      for (const e of eps.filter((x) => !node || !service!.loadBalancer!.local || x.node === node.name)) {
        const pod = view.plan.pods.find((p) => p.name === e.pod && p.namespace === e.namespace)!;
        const destEnd = resolveEnd(view, `${pod.namespace}/${pod.name}`, false, family) as Extract<End, { kind: 'pod' }>;
        const endpoint = { pod: e.pod, namespace: e.namespace, node: e.node, ip: destEnd.ip, port: e.port };
        if (!node) {
          cases.push(judge(destEnd, destEnd.ip, e.port, endpoint, { service: serviceKey(s), port: sp.port }));
          continue;
        }
        const nat = loadBalancerPath(view.plan, from, node, s, { node: e.node, hostNetwork: pod.hostNetwork }, family);
        const seen: PathSeen = nat.arrivesFrom ? { arrivesFrom: nat.arrivesFrom.ip } : {};
        const path = nat.arrivesFrom ? { ingress: arrivesFromWords(nat.arrivesFrom, from.ip) } : undefined;
        cases.push(judgeCase(view, world, from, destEnd, destEnd.ip, e.port, protocol, family, seen, endpoint, path, viaGateway ? node.name : undefined, { service: serviceKey(s), port: sp.port }));
      }
  } else if (to.kind === 'node' && nodePortOf(view, req.port, req.protocol)) {
    // A NodePort: the node DNATs it to an endpoint, and each side is judged on the packet as its node sees it.
    const { s, sp } = nodePortOf(view, req.port, req.protocol)!;
    const node = view.plan.nodes.find((n) => n.name === to.node)!;
    protocol = sp.protocol;
    port = sp.nodePort!;
    const client = extClient(view.plan, from, node.name, false);
    const local = s.externalTrafficPolicy === 'Local' && client === 'outside';
    const eps = endpointsOf(view, serviceKey(s), sp).filter((e) => !local || e.node === node.name);
    service = { key: serviceKey(s), ...(s.clusterIP ? { clusterIP: s.clusterIP } : {}), port: sp.port, protocol: sp.protocol, targetPort: sp.targetPort, endpoints: eps.length, nodePort: { node: node.name, port, local } };
    for (const e of eps) {
      const pod = view.plan.pods.find((p) => p.name === e.pod && p.namespace === e.namespace)!;
      const destEnd = resolveEnd(view, `${pod.namespace}/${pod.name}`, false, family) as Extract<End, { kind: 'pod' }>;
      const nat = nodePortPath(view.plan, from, node, s, port, { node: e.node, hostNetwork: pod.hostNetwork }, family);
      const seen: PathSeen = { ...(nat.sentTo ? { sentTo: nat.sentTo } : {}), ...(nat.arrivesFrom ? { arrivesFrom: nat.arrivesFrom.ip } : {}) };
      const path = { ...(nat.sentTo ? { egress: sentToWords(nat.sentTo) } : {}), ...(nat.arrivesFrom ? { ingress: arrivesFromWords(nat.arrivesFrom, from.ip) } : {}) };
      cases.push(judgeCase(view, world, from, destEnd, destEnd.ip, e.port, protocol, family, seen, { pod: e.pod, namespace: e.namespace, node: e.node, ip: destEnd.ip, port: e.port }, path));
    }
  } else {
    const pp = to.kind === 'pod' ? podPort(to, req.port, req.protocol) : { port: req.port, protocol: req.protocol ?? 'TCP' };
    if (pp.port === undefined) throw new TraceProblem('PL3115', `which port of ${describeEnd(to)}?`, 'Add --port N/proto.');
    protocol = pp.protocol;
    port = pp.port;
    cases.push(judge(to, to.ip, port));
  }
  return {
    lab: view.plan.lab,
    from: { ref: req.from, what: describeEnd(from), ip: from.ip },
    // Where the connection is sent: a Service's cluster IP, or the load-balancer address it was named by.
    to: { ref: req.to, what: describeEnd(to), ...(to.kind === 'service' ? (to.address ? { ip: to.address } : to.service.clusterIP ? { ip: to.service.clusterIP } : {}) : { ip: to.ip }) },
    protocol,
    port,
    ...(service ? { service } : {}),
    noPolicies: view.policies.length === 0 && !view.plan.networkPolicy?.clusterPolicies?.length,
    cases,
    allowed: cases.length > 0 && cases.every((c) => c.allowed),
  };
}

/** Who DNATs a load-balancer address, and whether the endpoint sees the client's address, in words. */
function loadBalancerWords(lb: NonNullable<NonNullable<Explanation['service']>['loadBalancer']>): string {
  const many = lb.nodes.length > 1;
  const who = lb.nodePort !== undefined ? `the gateway sends it to NodePort ${lb.nodePort} of ${many ? `one of nodes ${lb.nodes.join(', ')} at random, one case per node and endpoint,` : `node ${lb.nodes[0]},`} and kube-proxy there DNATs it` : `kube-proxy on node ${lb.nodes[0]}, the source's own, DNATs it`;
  const masq = lb.local
    ? "externalTrafficPolicy Local keeps it to that node's own endpoints, the client's address kept"
    : lb.masquerade
      ? `${lb.client === 'node' ? 'from the node itself' : 'externalTrafficPolicy Cluster'}: masqueraded towards an endpoint on another node`
      : 'externalTrafficPolicy Local, but a pod is sent to every endpoint, unmasqueraded';
  return `${who}; ${masq}`;
}

/** The explanation as text, for a terminal (colours optional). */
export function formatExplanation(x: Explanation, paint: { ok: (s: string) => string; bad: (s: string) => string; dim: (s: string) => string } = { ok: (s) => s, bad: (s) => s, dim: (s) => s }): string {
  const lines: string[] = [];
  const icmp = x.protocol === 'ICMP';
  lines.push(`${x.from.what} → ${x.to.what} ${icmp ? 'ICMP (ping)' : `${x.protocol}/${x.port}`}`);
  const np = x.service?.nodePort;
  if (x.service && np)
    lines.push(
      `  NodePort ${np.port}/${x.service.protocol} of Service ${x.service.key} (port ${x.service.port}) → targetPort ${x.service.targetPort}: ${x.service.endpoints} endpoint${x.service.endpoints === 1 ? '' : 's'}${np.local ? ` on ${np.node}` : ''} (kube-proxy on ${np.node} DNATs it${np.local ? ", and externalTrafficPolicy Local keeps a client from outside the pod network to the node's own endpoints" : ''}; policies judge the endpoint's address after that DNAT, each side on the packet as its node sees it)`,
    );
  else if (x.service?.loadBalancer) {
    const lb = x.service.loadBalancer;
    lines.push(`  load-balancer address ${hostPort(lb.address, x.service.port)}/${x.service.protocol} of Service ${x.service.key} → targetPort ${x.service.targetPort}: ${x.service.endpoints} endpoint${x.service.endpoints === 1 ? '' : 's'} (${loadBalancerWords(lb)}; policies judge the endpoint's address after that DNAT, each side on the packet as its node sees it)`);
  } else if (x.service) lines.push(`  Service ${x.service.key} port ${x.service.port}/${x.service.protocol} → targetPort ${x.service.targetPort}: ${x.service.endpoints} endpoint${x.service.endpoints === 1 ? '' : 's'} (policies judge the endpoint's address, after kube-proxy's DNAT)`);
  if (x.service && !x.service.endpoints)
    lines.push(paint.bad(np?.local ? `  Service ${x.service.key} has no endpoint on node ${np.node}: kube-proxy there drops the connection (not a policy's doing).` : `  Service ${x.service.key} has no ready endpoints: kube-proxy has nowhere to send the connection.`));
  if (x.noPolicies) lines.push(paint.dim('  the lab has no NetworkPolicy and no ClusterNetworkPolicy: every pod is non-isolated, everything is allowed'));
  for (const c of x.cases) {
    lines.push(`${c.endpoint ? `endpoint ${c.endpoint.namespace}/${c.endpoint.pod} ${c.dest.ip}:${c.dest.port} on ${c.endpoint.node}${c.through ? `, through node ${c.through}` : ''}` : `to ${c.dest.what}${icmp ? '' : `:${c.dest.port}`}`}: ${c.allowed ? paint.ok('ALLOWED') : paint.bad('DENIED')}`);
    for (const d of [c.egress, c.ingress]) {
      const where = d.subject ? `${d.direction} at ${d.subject}${d.node ? ` (node ${d.node})` : ''}` : `${d.direction}`;
      const verdict = d.allowed ? paint.ok('allowed') : paint.bad('denied');
      const seenAs = d.direction === 'egress' ? c.path?.egress : c.path?.ingress;
      lines.push(`  ${where}: ${verdict}, ${d.reason}${seenAs ? `; ${seenAs}` : ''}`);
      const mark = (policy: string, index: number) => (d.cluster?.policy === policy && d.cluster.index === index) || d.passed?.some((p) => p.policy === policy && p.index === index);
      const clusterTier = (t: 'Admin' | 'Baseline') => {
        for (const s of d.clusterTiers?.[t] ?? []) {
          lines.push(paint.dim(`    ${t} tier: ClusterNetworkPolicy ${s.policy} (priority ${s.priority})`));
          for (const [i, r] of s.rules.entries()) lines.push(paint.dim(`      ${mark(s.policy, i) ? '▸' : ' '} ${r}`));
        }
      };
      clusterTier('Admin');
      for (const s of d.selecting) {
        lines.push(paint.dim(`    selected by ${s.policy}${s.rules.length ? '' : ' (no rules: isolates only)'}`));
        for (const r of s.rules) lines.push(paint.dim(`      ${d.rule && d.rule.policy === s.policy && r.startsWith(`${d.direction}[${d.rule.index}]`) ? '▸' : ' '} ${r}`));
      }
      clusterTier('Baseline');
    }
    for (const n of c.nft) {
      lines.push(paint.dim(`  nft on ${n.node} (table ip podlab-policy, hook forward): ${n.verdict}`));
      for (const h of n.hits) lines.push(paint.dim(`    chain ${h.chain}: ${h.rule}`));
    }
  }
  return `${lines.join('\n')}\n`;
}
