/**
 * The policy compiler: NetworkPolicies + pods (labels, namespaces, current IPs, named ports) → the
 * nftables table `ip podlab-policy` of one node. Pure; a table builder beside kube-proxy's (its
 * own table, so neither touches the other), synced by runtime/nft-sync.ts. The layout, read top
 * down in `nft list table ip podlab-policy`:
 *
 *   forward (hook forward, priority filter): every packet a node routes or bridges between pods
 *     (br_netfilter), seen after kube-proxy's DNAT in prerouting, so with the endpoint's real address:
 *       ct state established,related accept   replies and the rest of allowed connections
 *       ip saddr . ip daddr @self counter accept   a pod reaching itself through a Service (hairpin), counted
 *       ip saddr vmap @egress-pods             a local pod isolated for egress → egress.<ns>/<pod>
 *       goto ingress
 *   ingress: ip daddr vmap @ingress-pods (a local pod isolated for ingress → ingress.<ns>/<pod>), else accept
 *   egress.<ns>/<pod>: jump to each selecting policy's egress chain, then drop (nothing allowed it)
 *   ingress.<ns>/<pod>: jump to each selecting policy's ingress chain, then drop
 *   np.<ns>/<policy>.egress / .ingress: one nft rule per (peer × port) of each API rule, each with
 *     a counter and a comment naming the policy, rule, peer and port; a match goes on to the
 *     destination's ingress check (egress) or accepts (ingress)
 *   np.<ns>/<policy>.<dir>.<i>.peer.<j>: the addresses of the pods a selector peer chooses
 *   np.<ns>/<policy>.<dir>.<i>.port.<k>: for a named port, address . protocol . port of each pod that has it
 *
 * With ClusterNetworkPolicies the tiers become chains of their own, per direction, each ending
 * in a goto to the next:
 *
 *   forward: ct state …, @self …, goto egress
 *   egress (Admin tier): ip saddr @cnp.<name>.subject jump cnp.<name>.egress, per Admin policy in
 *     order (priority, then name); goto egress-np
 *   egress-np: ip saddr vmap @egress-pods (the NetworkPolicies, final for a pod they isolate); goto egress-baseline
 *   egress-baseline: the Baseline policies likewise; goto ingress
 *   ingress, ingress-np, ingress-baseline: the same for the destination, ending in accept
 *   cnp.<name>.egress / .ingress: one rule per (peer × port) of each API rule, in written order:
 *     Accept → goto ingress (egress) or accept (ingress); Deny → counter drop; Pass → goto the
 *     next tier's chain (egress-np / ingress-np in Admin; after Baseline: goto ingress / accept)
 *   cnp.<name>.subject: the addresses of this node's pods the policy applies to
 *
 * Without ClusterNetworkPolicies the table is exactly the NetworkPolicy layout above.
 *
 * Traffic from the node itself (and hostNetwork pods) to its pods leaves through the output hook,
 * not forward: it is never filtered, as kube-router also allows it. Cross-node traffic is checked
 * twice, for egress on the source's node and for ingress on the destination's: each node's maps
 * hold only its own pods. Denied packets are dropped, as Calico (Felix's default
 * iptablesFilterDenyAction), Cilium and Antrea do: the client hears nothing and times out. With
 * `denyAction: 'reject'` (the lab's `policyDenyAction: 'Reject'`) they are rejected with ICMP port
 * unreachable instead, so a denied connection fails at once, as kube-router does. (Not a TCP reset:
 * for a bridged packet after DNAT the kernel sends the reset straight out of the bridge port without
 * undoing the DNAT, so the client, which spoke to the ClusterIP, ignores it.)
 */
import { POLICY } from '../constants.ts';
import { parseAddr, parsePrefix } from '../net/addr.ts';
import type { NftChain, NftSet, NftTable } from '../nft/table.ts';
import { clusterPeerSelectsPod, clusterRuleLabel, clusterSubjectSelects, inTierOrder, type ClusterNetworkPolicy, type ClusterTier } from './cluster.ts';
import { isolates, peerSelectsPod, policySelects } from './selectors.ts';
import { resolvePort } from './evaluate.ts';
import { policyKey, type NamespaceLabels, type NetworkPolicy, type PolicyDirection, type PolicyPod, type PolicyPort } from './types.ts';
import { compareText } from '../lib/order.ts';

export interface PolicyContext {
  policies: readonly NetworkPolicy[];
  namespaces: NamespaceLabels;
  /** Every pod of the lab with its current IP (none: not running). */
  pods: readonly PolicyPod[];
  /** ClusterNetworkPolicies of both tiers. */
  clusterPolicies?: readonly ClusterNetworkPolicy[];
  /** The table's family: `ip` (IPv4, the default) or `ip6` (a dual-stack lab's IPv6 addresses). */
  family?: 'ip' | 'ip6';
  /** What a denial does: `drop` (the default, as Calico, Cilium and Antrea) or `reject` (ICMP port unreachable, as kube-router). */
  denyAction?: 'drop' | 'reject';
}

const FAMILY = { ip: 'IPv4', ip6: 'IPv6' } as const;

/** A pod's address in a family: its `ip` or the one of its `ips` of that family. */
export function addressIn(pod: PolicyPod, family: 'ip' | 'ip6'): string | undefined {
  for (const a of [pod.ip, ...(pod.ips ?? [])]) if (a && (family === 'ip6') === a.includes(':')) return a;
  return undefined;
}

/** Whether a CIDR (ipBlock, networks, except) belongs in the table of a family; the other family's match nothing there. */
const inFamily = (cidr: string, family: 'ip' | 'ip6') => parsePrefix(cidr, false)?.family === FAMILY[family];

const DIRS: PolicyDirection[] = ['egress', 'ingress'];
const TYPE: Record<PolicyDirection, string> = { egress: 'Egress', ingress: 'Ingress' };
/** The packet field that names the peer, and the one that names the destination. */
const PEER_FIELD: Record<PolicyDirection, string> = { egress: 'ip daddr', ingress: 'ip saddr' };

/** A policy's namespace/name as part of chain and set names: validated DNS names (lib/object-name.ts), checked again where nft is written. */
function nftName(key: string): string {
  if (!/^[a-z0-9][a-z0-9.-]*(\/[a-z0-9][a-z0-9.-]*)?$/.test(key)) throw new Error(`refusing to write ${JSON.stringify(key)} into an nft chain name: not a DNS-1123 name`);
  return key;
}
const policyChain = (p: NetworkPolicy, dir: PolicyDirection) => `np.${nftName(policyKey(p))}.${dir}`;
const podChain = (pod: PolicyPod, dir: PolicyDirection) => `${dir}.${pod.namespace}/${pod.name}`;
/** Pods (with addresses) in address order; each address parsed once, not once per comparison. */
function sortedByAddress(pods: readonly PolicyPod[]): PolicyPod[] {
  return pods.map((p) => [parseAddr(p.ip!)!.value, p] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, p]) => p);
}
const byKey = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) => compareText(policyKey(a), policyKey(b));

/** Pods that can be in a set: running, with an address of their own. */
const addressed = (pods: readonly PolicyPod[]) => pods.filter((p) => p.ip && !p.hostNetwork);

/** A comment naming where an nft rule comes from, within nft's 128-byte limit. */
function comment(text: string): string {
  // A quote, a backslash or a line break would end the comment and start nft syntax of its own.
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/["\\\u0000-\u001f\u007f]/g, '?');
  const t = safe.length > 120 ? `${safe.slice(0, 117)}...` : safe;
  return `comment "${t}"`;
}

function portMatch(q: PolicyPort, setName: string): string {
  const proto = q.protocol.toLowerCase();
  if (q.port === undefined) return `meta l4proto ${proto}`;
  if (typeof q.port === 'string') return `ip daddr . meta l4proto . th dport @${setName}`;
  return `${proto} dport ${q.endPort !== undefined && q.endPort !== q.port ? `${q.port}-${q.endPort}` : q.port}`;
}

/** The sets and the chain of one policy in one direction. */
function policyRules(ctx: PolicyContext, p: NetworkPolicy, dir: PolicyDirection, sets: NftSet[]): NftChain {
  const rules: string[] = [];
  const verdict = dir === 'egress' ? 'goto ingress' : 'accept';
  const field = PEER_FIELD[dir];
  // Named ports resolve against the destination pod: the policy's own pods for ingress, any pod for egress.
  const destinations = addressed(dir === 'ingress' ? ctx.pods.filter((pod) => policySelects(p, pod)) : ctx.pods);
  for (const [i, rule] of p[dir].entries()) {
    const base = `${policyChain(p, dir)}.${i}`;
    const peers: { match: string; label: string }[] = rule.peers.length ? [] : [{ match: '', label: '' }];
    for (const [j, peer] of rule.peers.entries()) {
      if (peer.ipBlock) {
        if (!inFamily(peer.ipBlock.cidr, ctx.family ?? 'ip')) continue;
        const excepts = peer.ipBlock.except.filter((e) => inFamily(e, ctx.family ?? 'ip'));
        const except = excepts.length ? ` ${field} != { ${excepts.join(', ')} }` : '';
        peers.push({ match: `${field} ${peer.ipBlock.cidr}${except} `, label: ` ${dir === 'egress' ? 'to' : 'from'}[${j}]` });
        continue;
      }
      const name = `${base}.peer.${j}`;
      const members = addressed(ctx.pods).filter((pod) => peerSelectsPod(peer, p.namespace, pod, ctx.namespaces));
      sets.push({ kind: 'set', name, spec: ['type ipv4_addr'], elements: [...new Set(sortedByAddress(members).map((m) => m.ip!))].map((a) => [a]) });
      peers.push({ match: `${field} @${name} `, label: ` ${dir === 'egress' ? 'to' : 'from'}[${j}]` });
    }
    const ports: { match: string; label: string }[] = rule.ports.length ? [] : [{ match: '', label: '' }];
    for (const [k, q] of rule.ports.entries()) {
      const name = `${base}.port.${k}`;
      if (typeof q.port === 'string') {
        const elements = new Set<string>();
        for (const d of destinations) {
          const n = resolvePort(q, d);
          if (n !== undefined) elements.add(`${d.ip} . ${q.protocol.toLowerCase()} . ${n}`);
        }
        sets.push({ kind: 'set', name, spec: ['type ipv4_addr . inet_proto . inet_service'], elements: [...elements].sort().map((e) => [e]) });
      }
      ports.push({ match: `${portMatch(q, name)} `, label: ` ports[${k}]` });
    }
    for (const peer of peers)
      for (const port of ports) rules.push(`${peer.match}${port.match}counter ${verdict} ${comment(`${policyKey(p)} ${dir}[${i}]${peer.label}${port.label}`)}`);
  }
  return { name: policyChain(p, dir), rules };
}

const cnpChain = (p: ClusterNetworkPolicy, dir: PolicyDirection) => `cnp.${nftName(p.name)}.${dir}`;
const cnpSubject = (p: ClusterNetworkPolicy) => `cnp.${nftName(p.name)}.subject`;
/** The chain each tier hands on to, per direction: after Admin the NetworkPolicies, after Baseline the destination's ingress check (egress) or accept. */
const NEXT: Record<ClusterTier, Record<PolicyDirection, string>> = {
  Admin: { egress: 'goto egress-np', ingress: 'goto ingress-np' },
  Baseline: { egress: 'goto ingress', ingress: 'accept' },
};

/** The sets and the chain of one ClusterNetworkPolicy in one direction. */
function clusterRules(ctx: PolicyContext, p: ClusterNetworkPolicy, dir: PolicyDirection, sets: NftSet[]): NftChain {
  const rules: string[] = [];
  const field = PEER_FIELD[dir];
  const tier = p.tier as ClusterTier;
  const verdict = (action: string) => {
    if (action === 'Accept') return dir === 'egress' ? 'goto ingress' : 'accept';
    if (action === 'Pass') return NEXT[tier][dir];
    return ctx.denyAction ?? 'drop'; // Deny, and fail closed on anything else
  };
  const destinations = addressed(dir === 'ingress' ? ctx.pods.filter((pod) => clusterSubjectSelects(p, pod, ctx.namespaces)) : ctx.pods);
  for (const [i, rule] of p[dir].entries()) {
    const base = `${cnpChain(p, dir)}.${i}`;
    const peers: { match: string; label: string }[] = [];
    for (const [j, peer] of rule.peers.entries()) {
      const label = ` ${dir === 'egress' ? 'to' : 'from'}[${j}]`;
      if (peer.networks) {
        const networks = peer.networks.filter((n) => inFamily(n, ctx.family ?? 'ip'));
        if (networks.length) peers.push({ match: `${field} ${networks.length === 1 ? networks[0] : `{ ${networks.join(', ')} }`} `, label });
        continue;
      }
      const name = `${base}.peer.${j}`;
      const members = addressed(ctx.pods).filter((pod) => clusterPeerSelectsPod(peer, pod, ctx.namespaces));
      sets.push({ kind: 'set', name, spec: ['type ipv4_addr'], elements: [...new Set(sortedByAddress(members).map((m) => m.ip!))].map((a) => [a]) });
      peers.push({ match: `${field} @${name} `, label });
    }
    const ports: { match: string; label: string }[] = rule.ports.length ? [] : [{ match: '', label: '' }];
    for (const [k, q] of rule.ports.entries()) {
      if ('invalid' in q) continue; // validation rejects it: it matches nothing
      if ('namedPort' in q) {
        const name = `${base}.port.${k}`;
        const elements = new Set<string>();
        for (const d of destinations)
          for (const c of d.containers) for (const cp of c.ports) if (cp.name === q.namedPort) elements.add(`${d.ip} . ${cp.protocol.toLowerCase()} . ${cp.containerPort}`);
        sets.push({ kind: 'set', name, spec: ['type ipv4_addr . inet_proto . inet_service'], elements: [...elements].sort().map((e) => [e]) });
        ports.push({ match: `ip daddr . meta l4proto . th dport @${name} `, label: ` protocols[${k}]` });
      } else {
        const range = q.endPort !== undefined && q.endPort !== q.port ? `${q.port}-${q.endPort}` : `${q.port}`;
        ports.push({ match: `${q.protocol.toLowerCase()} dport ${range} `, label: ` protocols[${k}]` });
      }
    }
    const counted = `counter ${verdict(rule.action)}`;
    for (const peer of peers)
      for (const port of ports) rules.push(`${peer.match}${port.match}${counted} ${comment(`${clusterRuleLabel(p, dir, i).replaceAll('"', "'")} ${rule.action}${peer.label}${port.label}`)}`);
  }
  return { name: cnpChain(p, dir), rules };
}

/**
 * The policy table of one node, or undefined when the lab has no policy (then no table at all).
 * With `family: 'ip6'` the same table over the pods' IPv6 addresses and the IPv6 ipBlocks and
 * networks (`table ip6 podlab-policy`, `ip6 saddr`, `ipv6_addr` sets); each family's table
 * ignores the other family's CIDRs, so a peer written only in the other family matches nothing.
 */
export function policyTable(ctx: PolicyContext, node: string): NftTable | undefined {
  if (!ctx.policies.length && !ctx.clusterPolicies?.length) return undefined;
  const family = ctx.family ?? 'ip';
  // Each pod at its address of this family (none: in no set of this table).
  const pods = ctx.pods.map((p) => {
    const ip = addressIn(p, family);
    return ip === p.ip ? p : { ...p, ip };
  });
  const table = familyTable({ ...ctx, pods }, node);
  return family === 'ip' || !table ? table : ip6(table);
}

/**
 * Neighbour discovery passes the IPv6 table untouched: it is IPv6's ARP, and ARP never meets an
 * `ip` table. Without it a pod isolated for egress could not answer a neighbour solicitation from
 * a pod on its bridge, so the replies of a connection the policies allow (to it, from that pod)
 * would never leave it.
 */
export const ND_ACCEPT = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept';

/** The IPv4 table's words in IPv6: the match fields and the set types; and neighbour discovery let through. */
function ip6(t: NftTable): NftTable {
  const words = (s: string) => s.replaceAll('ip saddr', 'ip6 saddr').replaceAll('ip daddr', 'ip6 daddr').replaceAll('ipv4_addr', 'ipv6_addr');
  return {
    ...t,
    family: 'ip6',
    sets: t.sets.map((s) => ({ ...s, spec: s.spec.map(words) })),
    chains: t.chains.map((c) => {
      const rules = c.rules.map((r) => {
        // Only the rule's matches: a comment keeps its text.
        const at = r.indexOf(' comment "');
        return at < 0 ? words(r) : words(r.slice(0, at)) + r.slice(at);
      });
      // In the hooked chain, right after the accept of established connections.
      return c.hook ? { ...c, rules: [rules[0]!, ND_ACCEPT, ...rules.slice(1)] } : { ...c, rules };
    }),
  };
}

function familyTable(ctx: PolicyContext, node: string): NftTable {
  const clusterPolicies = ctx.clusterPolicies ?? [];
  const policies = [...ctx.policies].sort(byKey);
  const local = addressed(ctx.pods).filter((p) => p.node === node).sort(byKey);
  const sets: NftSet[] = [];
  const policyChains: NftChain[] = [];
  for (const p of policies)
    for (const dir of DIRS) if (p.policyTypes.includes(TYPE[dir])) policyChains.push(policyRules(ctx, p, dir, sets));

  const podChains: NftChain[] = [];
  const maps: Record<PolicyDirection, [string, string][]> = { egress: [], ingress: [] };
  for (const pod of local)
    for (const dir of DIRS) {
      const selecting = policies.filter((p) => isolates(p, dir, pod));
      if (!selecting.length) continue;
      const chain = podChain(pod, dir);
      podChains.push({
        name: chain,
        rules: [
          ...selecting.map((p) => `jump ${policyChain(p, dir)}`),
          `counter ${ctx.denyAction ?? 'drop'} ${comment(`${pod.namespace}/${pod.name} isolated for ${dir} by ${selecting.map(policyKey).join(', ')}: no rule allowed`)}`,
        ],
      });
      maps[dir].push([pod.ip!, `${dir === 'egress' ? 'jump' : 'goto'} ${chain}`]);
    }

  const baseSets: NftSet[] = [
    { kind: 'set', name: 'self', spec: ['type ipv4_addr . ipv4_addr'], elements: sortedByAddress(local).map((p) => [`${p.ip} . ${p.ip}`]) },
    { kind: 'map', name: 'egress-pods', spec: ['type ipv4_addr : verdict'], elements: maps.egress },
    { kind: 'map', name: 'ingress-pods', spec: ['type ipv4_addr : verdict'], elements: maps.ingress },
  ];
  const hook = `type filter hook forward priority ${POLICY.priority}; policy accept;`;
  // Counted, so that `podlab trace` and `explain` see a hairpin connection pass here (the rule that let it through).
  const forwardStart = ['ct state established,related accept', `ip saddr . ip daddr @self counter accept ${comment('a pod reaching itself through a Service (hairpin)')}`];
  if (!clusterPolicies.length)
    return {
      family: 'ip',
      name: POLICY.table,
      sets: [...baseSets, ...sets],
      chains: [
        ...policyChains,
        ...podChains,
        { name: 'ingress', rules: ['ip daddr vmap @ingress-pods', 'accept'] },
        { name: 'forward', hook, rules: [...forwardStart, 'ip saddr vmap @egress-pods', 'goto ingress'] },
      ],
    };

  // The tiers: each ClusterNetworkPolicy's rule chains, its subject set (this node's pods), and per tier and direction a chain that jumps to them in order.
  const clusterSets: NftSet[] = [];
  const clusterChains: NftChain[] = [];
  const tierJumps: Record<ClusterTier, Record<PolicyDirection, string[]>> = { Admin: { egress: [], ingress: [] }, Baseline: { egress: [], ingress: [] } };
  for (const tier of ['Admin', 'Baseline'] as const)
    for (const p of inTierOrder(clusterPolicies, tier)) {
      if (!p.egress.length && !p.ingress.length) continue;
      const subjects = sortedByAddress(local.filter((pod) => clusterSubjectSelects(p, pod, ctx.namespaces)));
      clusterSets.push({ kind: 'set', name: cnpSubject(p), spec: ['type ipv4_addr'], elements: subjects.map((pod) => [pod.ip!]) });
      for (const dir of DIRS) {
        if (!p[dir].length) continue;
        clusterChains.push(clusterRules(ctx, p, dir, clusterSets));
        tierJumps[tier][dir].push(`${dir === 'egress' ? 'ip saddr' : 'ip daddr'} @${cnpSubject(p)} jump ${cnpChain(p, dir)}`);
      }
    }
  return {
    family: 'ip',
    name: POLICY.table,
    sets: [...baseSets, ...clusterSets, ...sets],
    chains: [
      ...clusterChains,
      ...policyChains,
      ...podChains,
      { name: 'ingress-baseline', rules: [...tierJumps.Baseline.ingress, 'accept'] },
      { name: 'ingress-np', rules: ['ip daddr vmap @ingress-pods', 'goto ingress-baseline'] },
      { name: 'ingress', rules: [...tierJumps.Admin.ingress, 'goto ingress-np'] },
      { name: 'egress-baseline', rules: [...tierJumps.Baseline.egress, 'goto ingress'] },
      { name: 'egress-np', rules: ['ip saddr vmap @egress-pods', 'goto egress-baseline'] },
      { name: 'egress', rules: [...tierJumps.Admin.egress, 'goto egress-np'] },
      { name: 'forward', hook, rules: [...forwardStart, 'goto egress'] },
    ],
  };
}
