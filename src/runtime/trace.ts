/**
 * `podlab trace` on a live lab: the prediction (src/trace/trace.ts) from the live view, the facts
 * the live lab holds (`ip route get` in the source and on the forwarding node, each pod's veth
 * from its CNI result, who listens on the destination port, the DNS answer), then one real probe
 * between two reads of the path's interface counters and policy counters, and the conntrack entry
 * it left. Each hop is marked confirmed when what it predicts is what happened (a veth, tunnel or
 * bridge port counted the packet, the chosen endpoint is in conntrack, the policy rule counted),
 * and "differs" when not. Everything is read; nothing in the lab is changed but the probe's packets.
 */
import { denyActionOf } from '../plan/network-policy.ts';
import { serviceKey } from '../plan/services.ts';
import { NETNS_RUN_DIR, POLICY } from '../constants.ts';
import { podBridgeOf } from '../cni/bridge.ts';
import { PROBE_BIN } from './artifacts.ts';
import { inFamily } from '../trace/ends.ts';
import { hostPort, isUnreplied, predictTrace, serviceByName, traceFamily, type Hop, type TraceFacts, type TracePath, type TraceRequest, type VtepEntries } from '../trace/trace.ts';
import { sourceArgv } from './enter.ts';
import type { Executor } from './exec.ts';
import { liveView } from './explain.ts';
import { hostVeth } from './live-graph.ts';
import { readControl, readLoops } from './loops-state.ts';
import { labStatus, podReady } from './status.ts';
import { stoppedContainers, stoppedWords } from './stopped.ts';
import { firedBetween, readCounters, type Fired } from './policy-counters.ts';
import { readAppliedTables } from './nft-sync.ts';
import type { LabState } from './state.ts';
import type { Plan } from '../plan/plan.ts';
import type { NftView } from '../plan/nft-tables.ts';

export interface TraceObservation {
  probe: string;
  ok: boolean;
  ms: number;
  differences: string[];
}

/** The trace, what was observed, the facts read (recordable: `predictTrace(view, req, facts)` gives the same hops), and where the time went. */
export type LiveTrace = TracePath & { observed?: TraceObservation; facts: TraceFacts; timings: Record<string, number> };

const inNs = (netns: string, argv: string[]) => ['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', ...argv];

/** `ss -Hln{t,u}` lines → the ports listened on. */
export function parseListeners(ss: string): number[] {
  const ports = new Set<number>();
  for (const line of ss.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) ports.add(Number(m[1]));
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * `dig +short` output → the answers, and what dig said instead when there is none (its `;;`
 * comment lines: `communications error to 10.96.0.10#53: timed out`, `no servers could be reached`).
 */
export function parseDig(out: string): { answers: string[]; error?: string } {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const answers = lines.filter((l) => !l.startsWith(';'));
  const said = lines.filter((l) => l.startsWith(';')).map((l) => l.replace(/^;+\s*/, ''));
  return { answers, ...(said.length ? { error: [...new Set(said)].join(', ') } : {}) };
}

/** One `conntrack -L` line → the original and reply tuples. */
export function parseConntrack(line: string): { orig: { src: string; dst: string; sport?: number; dport?: number }; reply: { src: string; dst: string; sport?: number; dport?: number } } | undefined {
  const src = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]!);
  const dst = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]!);
  const sport = [...line.matchAll(/sport=(\d+)/g)].map((m) => Number(m[1]));
  const dport = [...line.matchAll(/dport=(\d+)/g)].map((m) => Number(m[1]));
  if (src.length < 2 || dst.length < 2) return undefined;
  return { orig: { src: src[0]!, dst: dst[0]!, sport: sport[0], dport: dport[0] }, reply: { src: src[1]!, dst: dst[1]!, sport: sport[1], dport: dport[1] } };
}

/** What the probe left behind besides conntrack: the policy rules that counted it per node, and what each pod's veth passed to it. */
export interface ProbeEvidence {
  /** Per node, the podlab-policy rules whose counters grew. */
  fired: Record<string, { chain: string; delta: number }[]>;
  /** Per pod (`ns/name`), the packets its node-side veth sent to it, and the veth's name. */
  toPod: Record<string, { veth: string; packets: number }>;
  /** The probe's error code: ECONNREFUSED (a reset, ICMP port unreachable), ETIMEDOUT (silence). */
  code?: string;
}

/**
 * A translating hop (dnat, snat) of a connection that was not delivered, seen with no conntrack
 * entry: why there is none, and what else confirms the translation. Conntrack lists a connection
 * only once its first packet leaves the node (the entry is confirmed in postrouting or input), so a
 * first packet a NetworkPolicy drops in the forward hook of the node that translated it leaves
 * none; and conntrack deletes an entry at once when a TCP reset is the only answer to the first
 * packet (nf_conntrack_proto_tcp: "we can consider ourselves not to have an established
 * connection"). kube-proxy's chains count nothing (src/plan/kube-proxy.ts, as kube-proxy's own), so
 * the DNAT is confirmed by the next thing that sees the packet by its new address: the endpoint
 * pod's ingress chain (entered only by a packet to that pod's address) or its veth; else it is
 * predicted, not contradicted. Undefined when neither case applies.
 */
export function withoutEntry(t: TracePath, h: Hop, seen: ProbeEvidence): { observed: string; confirmed: boolean } | undefined {
  if (h.kind !== 'dnat' && h.kind !== 'snat') return undefined;
  const last = t.hops.at(-1);
  const want = /dnat to (\S+)/.exec(h.linux)?.[1];
  const ep = t.endpoint;
  const toEndpoint = h.kind === 'dnat' && !!ep && !!want && (want === hostPort(ep.ip, ep.port) || want === `${ep.ip}:${ep.port}`);
  const what = h.kind === 'dnat' ? `the DNAT${want ? ` to ${want}` : ''}` : 'the masquerade';
  const unproven = `; ${what} is predicted, not contradicted (${h.kind === 'dnat' ? "kube-proxy's chains count nothing" : 'nothing counts it'})`;
  if (last?.kind === 'policy' && last.status === 'dropped' && last.at === h.at) {
    const node = h.at.slice('node '.length);
    const chain = ep ? `ingress.${ep.namespace}/${ep.pod}` : undefined;
    const counted = chain ? seen.fired[node]?.find((r) => r.chain === chain) : undefined;
    const why = `no conntrack entry, as expected: the first packet was ${last.action === 'reject' ? 'rejected' : 'dropped'} on ${h.at} by NetworkPolicy (hook forward) before conntrack confirms an entry, so it lists none`;
    if (toEndpoint && counted) return { observed: `${why}; ${what} is confirmed by chain ${chain} of the policy table, which only a packet to ${ep!.ip} enters: its rule counted +${counted.delta}`, confirmed: true };
    return { observed: `${why}${unproven}`, confirmed: false };
  }
  if (t.refused && t.protocol === 'tcp' && seen.code === 'ECONNREFUSED') {
    const why = 'no conntrack entry, as expected: a TCP reset answered the first packet, and conntrack deletes such an entry at once';
    const pod = ep ? seen.toPod[`${ep.namespace}/${ep.pod}`] : undefined;
    if (toEndpoint && pod && pod.packets > 0) return { observed: `${why}; ${what} is confirmed by ${pod.veth}, which passed ${pod.packets} packet${pod.packets === 1 ? '' : 's'} to pod ${ep!.namespace}/${ep!.pod}`, confirmed: true };
    return { observed: `${why}${unproven}`, confirmed: false };
  }
  return undefined;
}

/** `nft -j list table` → the number of rules in each chain of the table; null when it is not there (nft said nothing parseable). */
export function parseNftRules(json: string): Record<string, number> | null {
  let items: Record<string, { name?: string; chain?: string }>[];
  try {
    items = (JSON.parse(json) as { nftables: Record<string, { name?: string; chain?: string }>[] }).nftables;
  } catch {
    return null;
  }
  const counts: Record<string, number> = {};
  for (const x of items) {
    if (x.chain?.name !== undefined) counts[x.chain.name] ??= 0;
    if (x.rule?.chain !== undefined) counts[x.rule.chain] = (counts[x.rule.chain] ?? 0) + 1;
  }
  return items.some((x) => x.table) ? counts : null;
}

/**
 * A DNAT hop whose translation did not happen: no conntrack entry where it translates, and the
 * probe failed with neither a policy drop nor a reset to explain the missing entry. kube-proxy's
 * chains count nothing, so the table itself is read (`TraceFacts.natRules`): the chains the packet
 * passes there (the nat hook's base chain, `services`, the Service port's chains) that hold no
 * rule, in words; undefined when the table was not read, or every one of them has rules.
 */
export function natRulesMissing(plan: Plan, p: TracePath, h: Hop, rules: Record<string, number> | null | undefined): string | undefined {
  if (rules === undefined) return undefined;
  const fam = /nft table (ip6?) /.exec(h.linux)?.[1] ?? 'ip';
  const place = h.at === 'gateway' ? 'the gateway' : h.at;
  const svc = /^Service (\S+)/.exec(h.k8s)?.[1];
  const whose = `kube-proxy's rules${svc ? ` for Service ${svc}` : ''} are missing on ${place}`;
  if (rules === null) return `${whose}: table ${fam} podlab is not there`;
  // The node's own packets (from the node, or a hostNetwork pod on it) pass nat output; all others nat prerouting.
  const [ns, name] = p.from.includes('/') ? p.from.split('/', 2) : ['default', p.from];
  const local = h.at !== 'gateway' && (p.from === `node/${h.at.slice('node '.length)}` || plan.pods.some((x) => x.name === name && x.namespace === ns && x.hostNetwork && `node ${x.node}` === h.at));
  const named = [...h.linux.matchAll(/(?:chain|→) ((?:svc|ext|all|lb|ep)\.[^\s:(]+)/g)].map((m) => m[1]!);
  const path = [local ? 'nat-output' : 'nat-prerouting', ...(h.at === 'gateway' ? [] : ['services']), ...named];
  const empty = [...new Set(path)].filter((c) => !rules[c]);
  if (!empty.length) return undefined;
  const gone = empty.filter((c) => rules[c] === undefined);
  const bare = empty.filter((c) => rules[c] === 0);
  const said = [...(bare.length ? [`chain${bare.length > 1 ? 's' : ''} ${bare.join(', ')} hold${bare.length > 1 ? '' : 's'} no rule`] : []), ...(gone.length ? [`chain${gone.length > 1 ? 's' : ''} ${gone.join(', ')} ${gone.length > 1 ? 'are' : 'is'} not there`] : [])];
  return `${whose}: in table ${fam} podlab, ${said.join(', and ')}`;
}

/**
 * `nft -j list tables` → the tables podlab did not write, as `<family> <name>`: neither one it
 * applied there (`ours`, from its record of the tables it synced: kube-proxy's, the policies',
 * Calico's NAT) nor one named `podlab…`.
 */
export function parseForeignTables(json: string, ours: ReadonlySet<string>): string[] {
  try {
    const items = (JSON.parse(json) as { nftables?: { table?: { family: string; name: string } }[] }).nftables ?? [];
    return items.flatMap((x) => (x.table && !x.table.name.startsWith('podlab') && !ours.has(`${x.table.family} ${x.table.name}`) ? [`${x.table.family} ${x.table.name}`] : []));
  } catch {
    return [];
  }
}

/** `bridge -j fdb show dev X` and `ip -j neigh show dev X` → the device's entries (unparseable output: none). */
export function parseVtepEntries(fdbJson: string, neighJson: string): VtepEntries {
  const list = <T>(json: string): T[] => {
    try {
      const v = JSON.parse(json || '[]') as unknown;
      return Array.isArray(v) ? (v as T[]) : [];
    } catch {
      return [];
    }
  };
  return {
    fdb: list<{ mac?: string; dst?: string }>(fdbJson).flatMap((e) => (e.mac ? [{ mac: e.mac.toLowerCase(), ...(e.dst ? { dst: e.dst } : {}) }] : [])),
    neigh: list<{ dst?: string; lladdr?: string; state?: string[] }>(neighJson).flatMap((e) => (e.dst ? [{ ip: e.dst, ...(e.lladdr ? { mac: e.lladdr.toLowerCase() } : {}), state: e.state ?? [] }] : [])),
  };
}

/**
 * What a VXLAN device lacks for the hop's packet to cross (pure), in words, or undefined when its
 * entries are as predicted (or were not read). Two entries carry a packet over the tunnel, and the
 * CNI writes both, as nothing answers ARP across it: the neighbour entry that gives the peer's VTEP
 * address (the node route's `via`) its MAC, then the FDB entry that sends that MAC to the peer
 * node's address. A learner who deletes either sees the device send nothing, and this says why.
 */
export function vtepMissing(h: Hop, via: string | undefined, e: VtepEntries | undefined): string | undefined {
  const m = /outer \S+ → (\S+) UDP \d+, inner to (\S+)/.exec(h.linux);
  const dev = /dev (\S+)/.exec(h.see ?? '')?.[1];
  if (!e || !m || !dev) return undefined;
  const [, peerIp, mac] = m as unknown as [string, string, string];
  const n = via ? e.neigh.find((x) => x.ip === via) : undefined;
  if (via && (!n || !n.mac))
    return `no neighbour entry gives ${via} (the peer's VTEP) a MAC on ${dev}${n?.state.length ? ` (${n.state.join(', ')}: an ARP or NDP query that nothing answers across the tunnel)` : ''}, so the packet is not sent; the CNI writes it permanent: ip neigh replace ${via} lladdr ${mac} dev ${dev} nud permanent`;
  if (n?.mac && n.mac !== mac) return `the neighbour entry gives ${via} the MAC ${n.mac} on ${dev}, not the peer VTEP's ${mac}`;
  const f = e.fdb.filter((x) => x.mac === mac.toLowerCase());
  if (!f.length) return `no FDB entry for ${mac} on ${dev}: the kernel does not know which node to send the VXLAN packet to, so it is not sent; the CNI writes it: bridge fdb append ${mac} dev ${dev} dst ${peerIp}`;
  if (!f.some((x) => x.dst === peerIp)) return `the FDB of ${dev} sends ${mac} to ${f.map((x) => x.dst ?? 'no address').join(', ')}, not to ${peerIp}`;
  return undefined;
}

/** A link's counters, and when it cannot pass packets why (`down`: set down; `no carrier`: its peer or lower device is). */
type LinkStat = { rx: number; tx: number; down?: 'down' | 'no carrier' };
type LinkStats = Record<string, LinkStat>;

/** `ip -s -j link show` → each link's counters and whether it is down (pure). */
export function parseLinkStats(json: string): LinkStats {
  const out: LinkStats = {};
  let links: { ifname: string; flags?: string[]; operstate?: string; stats64?: { rx: { packets: number }; tx: { packets: number } } }[];
  try {
    links = JSON.parse(json) as typeof links;
  } catch {
    return out;
  }
  for (const l of links) {
    if (!l.stats64) continue;
    const down = !l.flags?.includes('UP') ? 'down' : l.flags.includes('NO-CARRIER') || l.operstate === 'LOWERLAYERDOWN' ? 'no carrier' : undefined;
    out[l.ifname] = { rx: l.stats64.rx.packets, tx: l.stats64.tx.packets, ...(down ? { down } : {}) };
  }
  return out;
}

async function linkStats(ex: Executor, netns: string): Promise<LinkStats> {
  const r = await ex.run(inNs(netns, ['ip', '-s', '-j', 'link', 'show']));
  return r.exitCode === 0 ? parseLinkStats(r.stdout) : {};
}

/**
 * A device a hop needs that cannot pass packets, in words (what `ip link` shows, and what it does to
 * the path), or undefined when it is up. A device set down takes the kernel's routes through it with
 * it, and they do not come back when it is set up again.
 */
export function linkDownWords(dev: string, down: LinkStat['down'], kind: Hop['kind']): string | undefined {
  if (!down) return undefined;
  if (down === 'no carrier') return `${dev} has no carrier (ip link: NO-CARRIER): the other end of its link is down`;
  return `${dev} is down (ip link: no UP flag)${kind === 'node-route' ? ', and the kernel removed the routes through it when it went down: ip link set up does not bring them back' : `: ip link set ${dev} up`}`;
}

const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';

/** The address a node-route hop routes (its `ip route get X`), else where the trace ends. */
const routedAddress = (h: Hop, t: TracePath): string => /route get (\S+)/.exec(h.see ?? '')?.[1] ?? t.dest.ip;

/** The network namespace of a trace end, from the plan. */
function netnsOf(state: LabState, ref: string): string | undefined {
  const plan = state.plan;
  if (ref.startsWith('node/')) return plan.nodes.find((n) => n.name === ref.slice(5))?.netns;
  if (ref.startsWith('host/')) return plan.hosts.find((h) => h.name === ref.slice(5))?.netns;
  if (ref === 'gateway') return plan.gateway?.netns;
  const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [undefined, ref];
  return plan.pods.find((p) => p.name === name && (!ns || p.namespace === ns))?.netns;
}

type CtTuple = { src?: string; sport?: number; dst: string; dport?: number };

const placeNetns = (state: LabState, place: string): string | undefined => (place === 'gateway' ? state.plan.gateway?.netns : state.plan.nodes.find((n) => `node ${n.name}` === place)?.netns);

/**
 * Where to read the probe's conntrack entries, in path order: each place that translates it (the
 * gateway, a node's DNAT or SNAT), else the node that forwards it; and the first packet's tuple.
 * Each entry's reply tuple says what the packet became there, which is what the next place sees.
 */
function conntrackPlan(state: LabState, view: ReturnType<typeof liveView>, req: TraceRequest, first: TracePath): { places: string[]; start: CtTuple } | undefined {
  const plan = state.plan;
  const of = (list: readonly (string | undefined)[]) => inFamily(list, first.family);
  const pod = view.pods.find((p) => `${p.namespace}/${p.name}` === req.from || p.name === req.from);
  const node = plan.nodes.find((n) => `node/${n.name}` === req.from);
  const host = plan.hosts.find((h) => `host/${h.name}` === req.from);
  // The gateway has an address on each of its networks (and the load-balancer addresses): its probe's source is the route's, found by its source port alone.
  const srcIp = pod ? of([pod.ip, ...(pod.ips ?? []), ...(plan.pods.find((p) => p.name === pod.name && p.namespace === pod.namespace)?.ips ?? [])]) : node ? of(node.ips ?? [node.ip]) : host ? of(host.ips ?? [host.ip]) : undefined;
  const natPlaces = [...new Set(first.hops.filter((h) => (h.kind === 'dnat' || h.kind === 'snat') && (h.at === 'gateway' || h.at.startsWith('node '))).map((h) => h.at))];
  const carrierAt = (first.hops.find((h) => h.kind === 'dnat') ?? first.hops.find((h) => h.kind === 'veth') ?? first.hops.find((h) => h.kind === 'reply'))?.at;
  const places = natPlaces.length ? natPlaces : carrierAt?.startsWith('node ') || carrierAt === 'gateway' ? [carrierAt] : [];
  return places.length ? { places, start: { src: srcIp, dst: first.daddr, dport: first.port } } : undefined;
}

/** The node the gateway chose, as the counters showed it (`TraceFacts.lbNodeSeen`), in words; `short` beside that node's own link counters. */
function gatewayPick(gw: NonNullable<TracePath['gateway']>, seen: NonNullable<TraceFacts['lbNodeSeen']>, short = false): string {
  if (seen.fits.length > 1) return `the counters fit the paths through ${seen.fits.join(' and ')} alike: followed ${gw.node}`;
  if (short) return `the gateway's pick, seen in the counters: it sent ${seen.sent} back, and of the paths through ${gw.nodes.join(', ')} its own fits them best`;
  return `the gateway's pick is seen in the counters: ${seen.iface} of ${gw.node} received ${seen.received} and sent ${seen.sent} packet${seen.sent === 1 ? '' : 's'}, and of the paths through ${gw.nodes.join(', ')} the one through ${gw.node} fits them best`;
}

/** A node's NodePort as the gateway DNATs to it, `ip:port` in the trace's family. */
const gatewayNodePort = (plan: Plan, gw: NonNullable<TracePath['gateway']>, name: string, family: TracePath['family']): string => {
  const n = plan.nodes.find((x) => x.name === name)!;
  return hostPort(inFamily(n.ips ?? [n.ip], family) ?? n.ip, gw.nodePort);
};

/**
 * The node the gateway sent a load-balancer address to, when its conntrack kept no entry to say (a
 * TCP reset answered the first packet, and conntrack deletes such an entry at once): each node it may
 * have chosen is followed on paper and judged against the counters (pure; the routes of each path
 * read already). The node chosen received the probe on its link and sent the reset back (to the
 * gateway, or on to the endpoint's node), where a node that only heard the gateway's ARP broadcast
 * sent nothing; of those whose path no counter contradicts, the one with the most hops confirmed.
 * Undefined when no node fits.
 */
export function gatewayPickedBy(view: NftView, req: TraceRequest, gw: NonNullable<TracePath['gateway']>, facts: TraceFacts, seen: ProbeSeen): Pick<TraceFacts, 'lbNode' | 'lbNodeSeen'> | undefined {
  const plan = view.plan;
  const candidates = gw.nodes.map((name) => {
    const n = plan.nodes.find((x) => x.name === name)!;
    const f: TraceFacts = { ...facts, lbNode: gatewayNodePort(plan, gw, name, traceFamily(plan, req)) };
    const c = predictTrace(view, req, f);
    judgeTrace(plan, c, f, seen);
    const count = (status: Hop['status']) => c.hops.filter((h) => h.status === status).length;
    const link = seen.links[name]?.[n.iface] ?? { rx: 0, tx: 0 };
    return { name, iface: n.iface, lbNode: f.lbNode!, received: link.rx, sent: link.tx, differs: count('differs'), confirmed: count('confirmed') };
  });
  const fitting = candidates.filter((x) => x.received > 0 && x.sent > 0 && x.differs === 0);
  const most = Math.max(...fitting.map((x) => x.confirmed));
  const best = fitting.filter((x) => x.confirmed === most);
  if (!best.length) return undefined;
  return { lbNode: best[0]!.lbNode, lbNodeSeen: { fits: best.map((x) => x.name), received: best[0]!.received, sent: best[0]!.sent, iface: best[0]!.iface } };
}

/** What one probe left behind: how it ended, and every node's counters that grew around it. */
export interface ProbeSeen {
  ok: boolean;
  /** The probe's own words: `connected from …`, `connect ECONNREFUSED …`, `echo reply`, … */
  probe: string;
  /** The probe's error code: ECONNREFUSED (a reset, ICMP port unreachable), ETIMEDOUT (silence). */
  code?: string;
  /** Per node, per link, the packets it received and sent. */
  links: Record<string, Record<string, LinkStat>>;
  /** Per node, the podlab-policy rules whose counters grew. */
  fired: Fired;
  /** The source the destination saw: the last conntrack entry's reply destination. */
  saw?: string;
}

/** Hops whose confirmation means the probe's packet was there (a counter grew, conntrack holds its entry), not a fact read (a route). */
const SEES_THE_PACKET: ReadonlySet<Hop['kind']> = new Set(['veth', 'dnat', 'policy', 'vxlan', 'fabric', 'snat', 'bridge', 'reply']);

/** A policy hop confirmed by nothing counting, as predicted where nothing isolates the pod: it says nothing of whether the packet got there. */
const VACUOUS_POLICY = 'no policy rule counted it, as predicted';
const vacuous = (h: Hop): boolean => h.kind === 'policy' && !!h.observed?.startsWith(VACUOUS_POLICY);

/**
 * Where a probe that failed stopped: the first hop that differs, when no hop after it saw the
 * packet. The hops after it were never reached (a route that is missing sends nothing over the
 * tunnel, and nothing to the pod), so they are marked unreached rather than differing each in turn,
 * and what the probe met (`connect ENETUNREACH …`) is said at the hop where it happened.
 */
function stopAt(p: TracePath, ok: boolean, probe: string, entry: boolean, blocked: ReadonlySet<Hop>): void {
  if (ok) return;
  const i = p.hops.findIndex((h) => h.status === 'differs');
  if (i < 0) return;
  const after = p.hops.slice(i + 1);
  // A hop that blocks for certain (no route, a device down): what a counter after it saw was not the
  // probe (an IPv6 router solicitation a pod sends on its own, flooded by the bridge).
  if (!blocked.has(p.hops[i]!) && after.some((h) => h.status === 'confirmed' && SEES_THE_PACKET.has(h.kind) && !vacuous(h))) return;
  const stop = p.hops[i]!;
  // A reply hop with the probe's conntrack entry was put to the test: the entry says no reply came back.
  for (const h of after.filter((x) => !(x.kind === 'reply' && entry))) {
    const none = !h.observed || h.observed === probe || vacuous(h);
    h.status = 'unreached';
    h.observed = none ? 'not reached' : `not reached (${h.observed})`;
  }
  // A dns hop's observation is its dig, the probe itself.
  if (probe && stop.kind !== 'dns' && !stop.observed?.includes(probe)) stop.observed = `${stop.observed ? `${stop.observed}; ` : ''}the probe: ${probe}`;
}

/**
 * Each hop of a trace judged against what the probe left (pure): marked confirmed or differs, with
 * what was seen; a hop predicted dropped keeps that mark. Returns the differences, in words.
 */
export function judgeTrace(plan: Plan, p: TracePath, facts: TraceFacts, seen: ProbeSeen): string[] {
  const { ok, probe, code, fired, saw } = seen;
  const grew = (node: string, dev: string, dir: 'rx' | 'tx') => seen.links[node]?.[dev]?.[dir] ?? 0;
  const nodeName = (h: Hop) => (h.at.startsWith('node ') ? h.at.slice(5) : '');
  /** A device of the hop's that is down (set down by hand, or its peer is), in words, for its `seen`. */
  const offAt = (node: string, dev: string | undefined, kind: Hop['kind']) => (dev ? linkDownWords(dev, seen.links[node]?.[dev]?.down, kind) : undefined);
  const also = (off: string | undefined) => (off ? `; ${off}` : '');
  /** Hops the packet cannot pass for certain: no route there, or a device it needs is down. */
  const blocked = new Set<Hop>();
  const block = (h: Hop, off: string | undefined) => void (off && blocked.add(h));
  const mark = (h: Hop, fits: boolean | undefined, observed: string) => {
    h.observed = observed;
    if (fits === undefined) return;
    if (h.status === 'dropped') return;
    h.status = fits ? 'confirmed' : 'differs';
  };
  const parsed = facts.conntrack ? parseConntrack(facts.conntrack) : undefined;
  /** The probe's entry where a hop translates it (that place's own, else the forwarding node's). */
  const ctAt = (h: Hop) => {
    const line = facts.conntrackAt?.[h.at];
    return line ? parseConntrack(line) : facts.conntrackAt ? undefined : parsed;
  };
  const local = /^connected from (\S+)/.exec(probe)?.[1];
  const evidence: ProbeEvidence = { fired, toPod: {}, ...(code ? { code } : {}) };
  for (const e of p.endpoints ?? (p.endpoint ? [p.endpoint] : [])) {
    const veth = facts.hostVeths?.[`${e.namespace}/${e.pod}`];
    if (veth) evidence.toPod[`${e.namespace}/${e.pod}`] = { veth, packets: grew(e.node, veth, 'tx') };
  }
  for (const h of p.hops) {
    const n = nodeName(h);
    switch (h.kind) {
      case 'dns': {
        const answers = facts.dns?.answers ?? [];
        const said = !facts.dns ? 'not asked' : answers.length ? `dig answered ${answers.join(', ')}` : `dig got no answer: ${facts.dns.error ?? 'nothing'}`;
        if (h.status !== 'dropped') {
          // No answer from the cluster DNS: its pods' state, as status holds it, says why (a CoreDNS container that exited).
          const kubeDns = facts.dns && !answers.length ? plan.services.find((s) => (s.clusterIPs ?? [s.clusterIP]).includes(facts.dns!.server)) : undefined;
          const down = kubeDns ? (plan.endpoints[serviceKey(kubeDns)] ?? []).flatMap((e) => facts.unwell?.[`${e.namespace}/${e.pod}`]?.stopped ?? []) : [];
          mark(h, facts.dns ? answers.includes(p.daddr) : undefined, `${said}${down.length ? `; ${down.join('; ')}` : ''}`);
          break;
        }
        if (!h.action) {
          // A resolver that does not know the name (outside the cluster): dig gets no address from it.
          h.observed = facts.dns && !answers.length ? `dig got no address, as predicted${facts.dns.error ? `: ${facts.dns.error}` : ' (an empty answer)'}` : said;
          if (facts.dns && answers.length) h.status = 'differs';
          break;
        }
        // A query the policies deny: dig hears silence (a reject: ICMP port unreachable), and the denying rule counts it.
        const hits = Object.entries(fired).flatMap(([node, rs]) => rs.map((x) => `${node}: ${x.chain} "${x.comment}" +${x.delta}`));
        const predicted = /rules: (.*)$/.exec(h.linux)?.[1]?.split('; ') ?? [];
        const counted = predicted.every((pr) => hits.some((x) => x.startsWith(pr.replace(/"$/, ''))));
        const unanswered = !!facts.dns && !answers.length;
        h.observed = `${unanswered ? `dig got no answer, as predicted: ${facts.dns!.error ?? 'nothing'}` : said}; ${hits.length ? `counters grew: ${hits.join('; ')}` : 'no policy rule counted it'}`;
        if (!unanswered || !counted) h.status = 'differs';
        break;
      }
      case 'route': {
        const rec = facts.routes?.[`${h.at}|${p.daddr}`] ?? '';
        block(h, /unreachable/i.test(rec) ? rec : undefined);
        mark(h, rec ? !/unreachable|error/i.test(rec) : undefined, `ip route get: ${rec}`);
        break;
      }
      case 'veth': {
        const dev = /↔ (\S+)/.exec(h.linux)?.[1] ?? '';
        const d = grew(n, dev, 'rx');
        const off = offAt(n, dev, h.kind);
        block(h, off);
        mark(h, d > 0 && !off, `${dev} received ${d} packet${d === 1 ? '' : 's'} from the pod${also(off)}`);
        break;
      }
      case 'dnat': {
        if (h.status === 'dropped' && h.at.startsWith('node ')) {
          // A traffic policy Local with no endpoint here: the packet reached the node (its link counted it) and kube-proxy's drop left no conntrack entry.
          const n = plan.nodes.find((x) => `node ${x.name}` === h.at);
          const c = ctAt(h);
          if (n) h.observed = `${n.iface} of ${n.name} received ${grew(n.name, n.iface, 'rx')} packets${facts.lbNodeSeen && p.gateway ? ` (${gatewayPick(p.gateway, facts.lbNodeSeen, true)})` : ''}; ${c ? `conntrack: ${hostPort(c.orig.dst, c.orig.dport)} was sent to ${hostPort(c.reply.src, c.reply.sport)}` : 'no conntrack entry: nothing was DNATed'}`;
          if (c && c.reply.src !== c.orig.dst) h.status = 'differs';
          break;
        }
        const c = ctAt(h);
        const want = /dnat to (\S+)/.exec(h.linux)?.[1];
        const got = c ? [hostPort(c.reply.src, c.reply.sport), `${c.reply.src}:${c.reply.sport}`] : [];
        const none = !c && !ok ? withoutEntry(p, h, evidence) : undefined;
        if (!c && !ok && h.at === 'gateway' && p.gateway && facts.lbNodeSeen) {
          // No entry to say which node the gateway chose: the counters did (above).
          const why = none?.observed.split('; ')[0] ?? 'no conntrack entry';
          mark(h, facts.lbNodeSeen.fits.length === 1 || undefined, `${why}; ${gatewayPick(p.gateway, facts.lbNodeSeen)}`);
          break;
        }
        if (!c && !ok && !none && !(p.refused && code === 'ECONNREFUSED')) {
          // No entry, and nothing (a policy drop on this node, a reset) that deletes one or keeps it
          // from being confirmed: the packet went on untranslated. What the table lacks says why.
          const missing = natRulesMissing(plan, p, h, facts.natRules?.[h.at]);
          mark(h, false, `no conntrack entry: the packet was not translated${missing ? ` (${missing})` : ''}, so it went on to ${hostPort(p.daddr, p.port)} as it was sent`);
          // The Service's rules are gone: for certain nothing after this reaches an endpoint (a counter that moved later saw other traffic).
          block(h, missing);
          break;
        }
        mark(h, c ? !!want && got.includes(want) : ok ? false : none?.confirmed || undefined, c ? `conntrack: ${hostPort(c.orig.dst, c.orig.dport)} was sent to ${hostPort(c.reply.src, c.reply.sport)}` : (none?.observed ?? 'no conntrack entry'));
        break;
      }
      case 'policy': {
        // The rules of the node this hop judges on (the source's, or past the crossing the destination's).
        const here = [...h.at.matchAll(/node (\S+?)(?:,|$)/g)].map((m) => m[1]!);
        const hits = Object.entries(fired)
          .filter(([node]) => !here.length || here.includes(node))
          .flatMap(([node, rs]) => rs.map((x) => `${node}: ${x.chain} "${x.comment}" +${x.delta}`));
        const predicted = /rules: (.*)$/.exec(h.linux)?.[1]?.split('; ') ?? [];
        const all = predicted.every((pr) => hits.some((x) => x.startsWith(pr.replace(/"$/, ''))));
        h.observed = hits.length ? `counters grew: ${hits.join('; ')}` : predicted.length ? 'no policy rule counted it' : `${VACUOUS_POLICY}: nothing isolates it here, and the table lets it through uncounted`;
        if (h.status !== 'dropped') h.status = all ? 'confirmed' : 'differs';
        else if (!all) h.status = 'differs';
        break;
      }
      case 'node-route': {
        const rec = facts.routes?.[`${h.at}|${routedAddress(h, p)}`] ?? '';
        const dev = /dev (\S+)/.exec(h.linux)?.[1];
        // The same next hop too: a route BIRD withdrew leaves the default route, out of the same device to the gateway.
        const via = /via (\S+)/.exec(h.linux)?.[1];
        const sameHop = via === undefined || ` ${rec} `.includes(` via ${via} `);
        const off = offAt(nodeName(h), dev, h.kind);
        block(h, off ?? (/unreachable/i.test(rec) ? rec : undefined));
        mark(h, rec ? !!dev && rec.includes(`dev ${dev}`) && sameHop && !off : off ? false : undefined, `ip route get: ${rec}${rec && !sameHop ? ` (not via ${via}: the route predicted is not in the node's table)` : ''}${also(off)}`);
        break;
      }
      case 'vxlan': {
        const dev = /FDB of (\S+)\)/.exec(h.linux)?.[1] ?? /^(\S+)/.exec(h.see?.split('dev ')[1] ?? '')?.[1] ?? '';
        const d = grew(n, dev, 'tx');
        // The device's own entries say why it sent nothing: the peer's neighbour or FDB entry deleted.
        const i = p.hops.indexOf(h);
        const route = p.hops.slice(0, i).reverse().find((x) => x.kind === 'node-route' && x.at === h.at);
        const via = route ? /via (\S+)/.exec(route.linux)?.[1] : undefined;
        const off = offAt(n, dev, h.kind);
        block(h, off);
        const missing = off ? undefined : vtepMissing(h, via, facts.vteps?.[`${h.at}|${dev}`]);
        if (missing) blocked.add(h);
        mark(h, d > 0 && !missing && !off, `${dev} sent ${d} packet${d === 1 ? '' : 's'}${missing ? `: ${missing}` : ''}${also(off)}`);
        break;
      }
      case 'fabric': {
        // Out of the node that routes it (tx on its node-network link), or into the node a NodePort is on (rx).
        const i = p.hops.indexOf(h);
        const next = p.hops[i + 1];
        const prev = p.hops[i - 1];
        if (h.status === 'dropped' && h.at.startsWith('node ')) {
          // A failed node: its link is down; what it received is all that came through.
          const down = plan.nodes.find((x) => `node ${x.name}` === h.at);
          if (down) h.observed = `${down.iface} of ${down.name} received ${grew(down.name, down.iface, 'rx')} packets (its link is down)`;
          break;
        }
        // From a node (its tx), else into the node the next hop is at (its rx): the gateway's packet to a NodePort or a pod.
        const at = (x: Hop | undefined) => plan.nodes.find((n) => x?.at === `node ${n.name}`);
        const into = next?.kind === 'dnat' || !at(prev);
        const node = into ? at(next) : at(prev);
        if (!node) break;
        const dir = into ? 'rx' : 'tx';
        const d = grew(node.name, node.iface, dir);
        const off = offAt(node.name, node.iface, h.kind);
        block(h, off);
        // Out of a node whose route to the peer is gone: the kernel sent it to another next hop (its default route, the gateway), not straight to the peer.
        const routed = !into && prev?.kind === 'node-route' ? (facts.routes?.[`${prev.at}|${routedAddress(prev, p)}`] ?? '') : '';
        const want = prev?.kind === 'node-route' ? /via (\S+)/.exec(prev.linux)?.[1] : undefined;
        const went = /via (\S+)/.exec(routed)?.[1];
        const gw = plan.gateway && went && [plan.gateway.nodeSide.ip, plan.gateway.nodeSide.ip6].includes(went) ? ' (the gateway, by the node\'s default route)' : '';
        const detour = want && went && went !== want ? `; sent to ${went}${gw}, not straight to ${want}: the route to the peer's pods is not in the node's table` : '';
        mark(h, d > 0 && !off && !detour, `${node.iface} of ${node.name} ${dir === 'rx' ? 'received' : 'sent'} ${d} packet${d === 1 ? '' : 's'}${also(off)}${detour}`);
        break;
      }
      case 'snat': {
        const to = / becomes (\S+)/.exec(h.linux)?.[1];
        const c = ctAt(h);
        const none = !c && !ok ? withoutEntry(p, h, evidence) : undefined;
        mark(h, c && to ? c.reply.dst === to : ok && to ? false : undefined, c ? `conntrack: the reply goes to ${c.reply.dst}` : (none?.observed ?? 'no conntrack entry'));
        break;
      }
      case 'bridge': {
        const dev = /to (\S+) \(FDB/.exec(h.linux)?.[1] ?? /dev (\S+) scope/.exec(h.linux)?.[1] ?? '';
        const d = grew(n, dev, 'tx');
        const off = offAt(n, dev, h.kind);
        block(h, off);
        mark(h, d > 0 && !off, `${dev} sent ${d} packet${d === 1 ? '' : 's'} to the pod${also(off)}`);
        break;
      }
      case 'deliver':
        // What the destination saw: the source after every NAT on the way (the last conntrack reply tuple), not the probe's own address.
        if (h.status === 'dropped' && p.refused && !ok) h.observed = code === 'ECONNREFUSED' ? `refused at once, as predicted: ${probe}` : `no reset came back: ${probe}`;
        else mark(h, h.status === 'dropped' ? !ok : ok, ok && saw && local ? `connected from ${saw}${saw !== local ? ` (the probe's own ${local} was translated on the way)` : ''}` : probe);
        break;
      case 'reply': {
        // An entry that saw no reply ([UNREPLIED]: a SYN_SENT, a UDP query unanswered) says the reply never came.
        const unreplied = !!facts.conntrack && isUnreplied(facts.conntrack);
        mark(h, p.protocol === 'icmp' ? ok : !!facts.conntrack && !unreplied, facts.conntrack ? `conntrack: ${facts.conntrack}${unreplied ? ' (no reply came back: the entry is [UNREPLIED])' : ''}` : ok ? 'echo reply received' : 'no reply');
        break;
      }
      default:
        break;
    }
  }
  // A probe that stopped where nothing podlab knows of explains it: a table of the learner's own on that node (or the one before) may hold the rule that dropped it.
  const stop = ok ? undefined : p.hops.find((h) => h.status === 'differs');
  if (stop && !blocked.has(stop) && facts.foreignTables && ['veth', 'bridge', 'vxlan', 'fabric', 'deliver'].includes(stop.kind)) {
    const prev = p.hops[p.hops.indexOf(stop) - 1];
    const nodes = [...new Set([prev, stop].map((x) => (x ? nodeName(x) : '')).filter((x) => x && facts.foreignTables![x]?.length))];
    const said = nodes.map((x) => `node ${x} has nftables table${facts.foreignTables![x]!.length > 1 ? 's' : ''} podlab did not write, ${facts.foreignTables![x]!.join(', ')}: a rule there may drop it (nft list table ${facts.foreignTables![x]![0]})`);
    if (said.length) stop.observed = `${stop.observed ? `${stop.observed}; ` : ''}${said.join('; ')}`;
  }
  stopAt(p, ok, probe, !!facts.conntrack, blocked);
  const differences: string[] = [];
  if (p.outcome === 'delivered' && !ok) differences.push(`predicted delivered, but the probe failed: ${probe}`);
  if (p.outcome === 'dropped' && ok) differences.push('predicted dropped, but the probe got through');
  // What the client hears tells a refusal (a closed port, or a policy that rejects) from a drop (silence).
  if (!ok && p.protocol !== 'icmp' && code) {
    const dropAt = p.hops.at(-1);
    const deniedHere = (dropAt?.kind === 'policy' || (dropAt?.kind === 'dns' && !!dropAt.action)) && dropAt.status === 'dropped';
    const rejects = denyActionOf(plan) === 'reject';
    if (p.refused && code !== 'ECONNREFUSED') differences.push(`predicted a refusal (${p.refused.protocol === 'tcp' ? 'a TCP reset' : 'ICMP port unreachable'}: nothing listens on ${p.refused.port}/${p.refused.protocol}), but the probe saw ${probe}`);
    if (deniedHere && !rejects && code === 'ECONNREFUSED') differences.push(`predicted a NetworkPolicy drop (silence), but the probe was refused: ${probe}`);
    if (deniedHere && rejects && code !== 'ECONNREFUSED') differences.push(`predicted a NetworkPolicy reject (ICMP port unreachable), but the probe saw ${probe}`);
  }
  for (const h of p.hops) if (h.status === 'differs') differences.push(`${h.kind} at ${h.at}: predicted "${h.linux}", seen "${h.observed}"`);
  return differences;
}

export async function traceLive(ex: Executor, state: LabState, req: TraceRequest, opts: { probe?: boolean; timeoutMs?: number } = {}): Promise<LiveTrace> {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const t = performance.now();
    timings[name] = Math.round((t - t0) * 10) / 10;
    t0 = t;
  };
  const view = liveView(state);
  const plan = state.plan;
  const facts: TraceFacts = { routes: {}, hostVeths: {} };
  const bridges = new Map(plan.nodes.map((n) => [n.name, podBridgeOf(n)]));
  for (const p of plan.pods) {
    const v = hostVeth(state.pods[p.name]?.cniResult, bridges.get(p.node));
    if (v) facts.hostVeths![`${p.namespace}/${p.name}`] = v;
  }
  // Pods not ready, or with a container whose process exited: a refusal there says why, as status and a failed check do.
  const loops = plan.loops ? readLoops(state.lab) : undefined;
  const status = labStatus(state.lab, state, loops);
  for (const ps of status?.pods ?? []) {
    const pod = plan.pods.find((x) => x.name === ps.name && x.namespace === ps.namespace);
    const stopped = pod ? stoppedContainers(state, pod, loops).map((s) => stoppedWords(pod, s)) : [];
    if (ps.running && (!podReady(ps) || stopped.length)) (facts.unwell ??= {})[`${ps.namespace}/${ps.name}`] = { ready: podReady(ps), stopped };
  }
  // Nodes failed by `podlab node fail`: their link to the node network is down.
  const failedNodes = Object.keys(readControl(state.lab).failedNodes);
  if (failedNodes.length) facts.failedNodes = failedNodes;
  let first = predictTrace(view, req, facts);
  lap('predict');
  // Each family its own tools: `ip -6 route get`, `ping -6`, `conntrack -f ipv6`, `table ip6 podlab-policy`.
  const six = first.family === 'IPv6';
  const ipCmd = six ? ['ip', '-6'] : ['ip'];

  const srcNs = netnsOf(state, req.from)!;
  const routeHop = first.hops.find((h) => h.kind === 'route');
  const dnsHop = first.hops.find((h) => h.kind === 'dns');
  const readNodeRoutes = (t: TracePath): Promise<void>[] =>
    t.hops
      .filter((h) => h.kind === 'node-route')
      .map((h) => [h, routedAddress(h, t)] as const)
      .filter(([h, addr]) => facts.routes![`${h.at}|${addr}`] === undefined)
      .map(([h, addr]) => {
        const ns = placeNetns(state, h.at);
        return ns ? ex.run(inNs(ns, [...ipCmd, 'route', 'get', addr])).then((r) => void (facts.routes![`${h.at}|${addr}`] = firstLine(r.stdout || r.stderr))) : Promise.resolve();
      });

  // Each VXLAN device the path crosses: its FDB and neighbour entries, which say why it sent nothing.
  const readVteps = (t: TracePath): Promise<void>[] =>
    t.hops
      .filter((h) => h.kind === 'vxlan')
      .map((h) => [h, /dev (\S+)/.exec(h.see ?? '')?.[1]] as const)
      .filter(([h, dev]) => !!dev && facts.vteps?.[`${h.at}|${dev}`] === undefined)
      .map(async ([h, dev]) => {
        const ns = placeNetns(state, h.at);
        if (!ns) return;
        const [fdb, neigh] = await Promise.all([ex.run(inNs(ns, ['bridge', '-j', 'fdb', 'show', 'dev', dev!])), ex.run(inNs(ns, ['ip', '-j', 'neigh', 'show', 'dev', dev!]))]);
        if (fdb.exitCode === 0 && neigh.exitCode === 0) (facts.vteps ??= {})[`${h.at}|${dev}`] = parseVtepEntries(fdb.stdout, neigh.stdout);
      });

  // Facts that need no probe, in parallel.
  const jobs: Promise<void>[] = [];
  jobs.push(...readVteps(first));
  if (routeHop) jobs.push(ex.run(inNs(srcNs, [...ipCmd, 'route', 'get', first.daddr])).then((r) => void (facts.routes![`${routeHop.at}|${first.daddr}`] = firstLine(r.stdout || r.stderr))));
  jobs.push(...readNodeRoutes(first));
  const ssArgv = ['ss', '-Hln', first.protocol === 'tcp' ? '-t' : '-u'];
  // Who listens at the destination (a port nothing listens on is refused there: the trace follows it to that hop),
  // or, for a Service, in each endpoint pod (one that listens on nothing at its port still gets kube-proxy's share).
  if (first.protocol !== 'icmp') facts.listening = {};
  const listenNs = first.listenAt ? netnsOf(state, first.listenAt) : undefined;
  if (listenNs) jobs.push(ex.run(inNs(listenNs, ssArgv)).then((r) => void (r.exitCode === 0 && (facts.listening![first.listenAt!] = parseListeners(r.stdout)))));
  if (first.endpoints && first.protocol !== 'icmp') {
    for (const e of first.endpoints) {
      const ns = netnsOf(state, `${e.namespace}/${e.pod}`);
      if (ns) jobs.push(ex.run(inNs(ns, ssArgv)).then((r) => void (r.exitCode === 0 && (facts.listening![`${e.namespace}/${e.pod}`] = parseListeners(r.stdout)))));
    }
  }
  // The DNS answer, from the server the source asks (a pod's resolv.conf's); a query the policies
  // drop, or one a resolver outside the cluster cannot answer, is the probe itself (below).
  const svcByName = serviceByName(view, req.to);
  const server = first.dnsServer;
  const digArgv = server ? ['dig', '+short', '+time=1', '+tries=1', `@${server}`, svcByName ? `${svcByName.name}.${svcByName.namespace}.svc.${plan.clusterDomain}` : req.to, six ? 'AAAA' : 'A'] : [];
  let digMs = 0;
  if (dnsHop && server && !(dnsHop.status === 'dropped' && dnsHop.action)) {
    const dt = performance.now();
    jobs.push(ex.run(inNs(srcNs, digArgv)).then((r) => void ((facts.dns = { ...parseDig(`${r.stdout}\n${r.stderr}`), server }), (digMs = Math.round(performance.now() - dt)))));
  }
  await Promise.all(jobs);
  lap('facts');
  // The prediction with what was read: a refusal ends the path at the deliver hop, and is probed like any other path.
  first = predictTrace(view, req, facts);
  const queryDropped = first.hops.some((h) => h.kind === 'dns' && h.status === 'dropped');

  if (opts.probe === false) return { ...first, facts, timings };
  const digSaid = (dns: NonNullable<TraceFacts['dns']>) => `dig ${digArgv.slice(5).join(' ')} @${dns.server}: ${dns.answers.length ? dns.answers.join(', ') : `no answer (${dns.error ?? 'no address'})`}`;
  if (!queryDropped && dnsHop && facts.dns && !facts.dns.answers.length) {
    // The name was to resolve, and did not (CoreDNS not answering, a Corefile that does not serve
    // the domain): a client would never connect, so neither does the trace. Its dig is the probe,
    // and the path ends at the dns hop, as it does when a policy drops the query.
    const p: TracePath = { ...first, hops: first.hops.filter((h) => h.kind === 'dns') };
    const probe = digSaid(facts.dns);
    const code = /refused|unreachable/i.test(facts.dns.error ?? '') ? 'ECONNREFUSED' : 'ETIMEDOUT';
    const differences = judgeTrace(plan, p, facts, { ok: false, probe, code, links: {}, fired: {} });
    lap('judge');
    return { ...p, observed: { probe, ok: false, ms: digMs, differences }, facts, timings };
  }

  // The nodes the packet crosses: their links and policy tables are counted around the probe.
  // Every node: kube-proxy may pick an endpoint on another node than the one predicted first.
  const nodes = plan.nodes;
  const snapshot = (fam: 'ip' | 'ip6' = six ? 'ip6' : 'ip') => Promise.all(nodes.map(async (n) => ({ links: await linkStats(ex, n.netns), policy: await readCounters(ex, n.netns, undefined, fam) })));
  const deltas = (before: Awaited<ReturnType<typeof snapshot>>, after: Awaited<ReturnType<typeof snapshot>>) => {
    const links: ProbeSeen['links'] = {};
    const fired: Fired = {};
    nodes.forEach((n, i) => {
      links[n.name] = Object.fromEntries(Object.entries(after[i]!.links).map(([dev, a]) => [dev, { rx: a.rx - (before[i]!.links[dev]?.rx ?? 0), tx: a.tx - (before[i]!.links[dev]?.tx ?? 0), ...(a.down ? { down: a.down } : {}) }]));
      fired[n.name] = firedBetween(before[i]!.policy, after[i]!.policy);
    });
    return { links, fired };
  };

  if (queryDropped && server) {
    // The name's DNS query is what the policies drop, or what the resolver cannot answer: it is the
    // probe. dig waits a second for silence (its shortest +time), and the denying rule's counter
    // shows which policy dropped it.
    const fam = server.includes(':') ? 'ip6' : 'ip';
    const before = await snapshot(fam);
    lap('counters-before');
    const pt = performance.now();
    const r = await ex.run(inNs(srcNs, digArgv), { timeoutMs: 4000 });
    const ms = Math.round(performance.now() - pt);
    lap('probe');
    const { links, fired } = deltas(before, await snapshot(fam));
    facts.dns = { ...parseDig(`${r.stdout}\n${r.stderr}`), server };
    lap('counters-after');
    const p = predictTrace(view, req, facts);
    const ok = facts.dns.answers.length > 0;
    const code = ok ? undefined : /refused|unreachable/i.test(facts.dns.error ?? '') ? 'ECONNREFUSED' : 'ETIMEDOUT';
    const probe = digSaid(facts.dns);
    const differences = judgeTrace(plan, p, facts, { ok, probe, ...(code ? { code } : {}), links, fired });
    lap('judge');
    return { ...p, observed: { probe, ok, ms, differences }, facts, timings };
  }
  // The places that translate the probe (see below), and the entries already at the first one: a
  // refused probe reports no source port, so its entry is the one that was not there before.
  const ctPlan = conntrackPlan(state, view, req, first);
  const ctQuery = (netns: string, cur: CtTuple) => ex.run(inNs(netns, ['conntrack', '-L', ...(six ? ['-f', 'ipv6'] : []), '-p', first.protocol, ...(cur.src ? ['-s', cur.src] : []), '-d', cur.dst, ...(cur.dport !== undefined ? ['--dport', String(cur.dport)] : [])]));
  const ctLines = (out: string) => out.trim().split('\n').filter((l) => /src=/.test(l));
  const firstNs = ctPlan && first.protocol !== 'icmp' ? placeNetns(state, ctPlan.places[0]!) : undefined;
  const [before, earlier] = await Promise.all([snapshot(), firstNs ? ctQuery(firstNs, ctPlan!.start).then((r) => new Set(ctLines(r.stdout).map((l) => parseConntrack(l)?.orig.sport))) : Promise.resolve(new Set<number | undefined>())]);
  lap('counters-before');
  // A connection the policies drop is answered by silence: waiting POLICY.dropSilenceMs for it is enough.
  const dropped = first.policy?.allowed === false && denyActionOf(plan) === 'drop';
  const timeoutMs = opts.timeoutMs ?? (dropped ? POLICY.dropSilenceMs : 1000);
  const probeArgv =
    first.protocol === 'icmp'
      ? ['ping', ...(six ? ['-6'] : []), '-n', '-c', '1', '-W', String(timeoutMs / 1000), first.daddr]
      : first.protocol === 'tcp'
        ? [PROBE_BIN, 'tcp-connect', '--host', first.daddr, '--port', String(first.port), '--timeout-ms', String(timeoutMs)]
        : [PROBE_BIN, 'udp-echo-client', '--host', first.daddr, '--port', String(first.port), '--message', 'podlab-trace', '--timeout-ms', String(timeoutMs)];
  const pt = performance.now();
  const r = await ex.run([...sourceArgv(state, req.from), ...probeArgv], { timeoutMs: timeoutMs + 2000 });
  const ms = Math.round(performance.now() - pt);
  let ok = r.exitCode === 0;
  let localPort: number | undefined;
  /** How the probe failed: ECONNREFUSED (a reset, or ICMP port unreachable), ETIMEDOUT (silence), … */
  let code: string | undefined;
  let probe = first.protocol === 'icmp' ? (ok ? 'echo reply' : 'no echo reply') : '';
  if (first.protocol !== 'icmp') {
    try {
      const o = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { ok?: boolean; code?: string; error?: string; local?: string; localPort?: number };
      localPort = o.localPort;
      code = o.code;
      ok = o.ok === true;
      probe = ok ? `connected from ${o.local ?? '?'}` : (o.error ?? 'failed');
    } catch {
      probe = firstLine(r.stderr) || `exit ${r.exitCode}`;
    }
  }
  lap('probe');
  const after = await snapshot();
  const { links, fired } = deltas(before, after);
  const grew = (node: string, dev: string, dir: 'rx' | 'tx') => links[node]?.[dev]?.[dir] ?? 0;
  // The probe's conntrack entry at each place that translates it (the gateway, a node's DNAT or
  // SNAT), in path order: each entry's reply tuple says what the packet became there, which is what
  // the next place sees; the last says what the destination saw. Without NAT, the forwarding node's.
  let saw: string | undefined;
  if (first.protocol !== 'icmp' && ctPlan) {
    let cur: CtTuple = { ...ctPlan.start, sport: localPort };
    const found: Record<string, string> = {};
    let last: string | undefined;
    let afterGateway = false;
    for (const [i, planned] of ctPlan.places.entries()) {
      let place = planned;
      // After the gateway's DNAT the packet goes to the node it picked, whichever was predicted.
      if (afterGateway && place.startsWith('node ')) {
        const picked = plan.nodes.find((n) => (n.ips ?? [n.ip]).includes(cur.dst));
        if (picked) place = `node ${picked.name}`;
        afterGateway = false;
      }
      const netns = placeNetns(state, place);
      if (!netns) continue;
      const lines = ctLines((await ctQuery(netns, cur)).stdout);
      // This probe's entry: by its source port as it arrives here; else (a refused probe says none) the one new since the probe; else the freshest.
      const timeLeft = (l: string) => Number(l.trim().split(/\s+/)[2]) || 0;
      const line =
        (cur.sport !== undefined ? lines.find((l) => parseConntrack(l)?.orig.sport === cur.sport) : undefined) ??
        (i === 0 && cur.sport === undefined ? lines.find((l) => !earlier.has(parseConntrack(l)?.orig.sport)) : undefined) ??
        // A refused connection leaves no entry (the reset ends it): an older one would name another connection's endpoint.
        (ok || i > 0 ? lines.sort((x, y) => timeLeft(y) - timeLeft(x))[0] : undefined);
      const parsed = line ? parseConntrack(line) : undefined;
      if (!line || !parsed) continue;
      found[place] = line.replace(/\s+/g, ' ');
      last = place;
      if (place === 'gateway') {
        facts.lbNode = hostPort(parsed.reply.src, parsed.reply.sport);
        afterGateway = true;
      }
      cur = { src: parsed.reply.dst, sport: parsed.reply.dport, dst: parsed.reply.src, dport: parsed.reply.sport };
    }
    if (last) {
      facts.conntrackAt = found;
      const replyAt = Object.keys(found).reverse().find((pl) => pl.startsWith('node ')) ?? last;
      facts.conntrack = found[replyAt];
      saw = cur.src;
      if (first.endpoint) facts.chosenEndpoint = `${cur.dst}:${cur.dport}`;
    }
  }
  // No entry to name the endpoint (a first packet dropped on the node that DNATs it is never
  // confirmed): the endpoint whose pod's ingress chain counted it (entered by its address only).
  if (first.endpoints && !facts.chosenEndpoint) {
    const hit = first.endpoints.filter((e) => fired[e.node]?.some((x) => x.chain === `ingress.${e.namespace}/${e.pod}`));
    if (hit.length === 1) facts.chosenEndpoint = hostPort(hit[0]!.ip, hit[0]!.port);
  }
  // Nor for a refused probe (the reset deletes it): the endpoint whose veth passed the packet to its pod.
  if (first.endpoints && !facts.chosenEndpoint) {
    const refused = !ok;
    const hit = first.endpoints.filter((e) => {
      const veth = facts.hostVeths![`${e.namespace}/${e.pod}`];
      const listens = facts.listening?.[`${e.namespace}/${e.pod}`];
      return !!veth && grew(e.node, veth, 'tx') > 0 && (!refused || !listens || !listens.includes(e.port));
    });
    if (hit.length === 1) facts.chosenEndpoint = hostPort(hit[0]!.ip, hit[0]!.port);
  }
  // The node the gateway chose for a load-balancer address, when its conntrack kept no entry to say
  // (a reset answered the first packet): the one whose counters fit the path through it best.
  if (first.gateway && first.gateway.nodes.length > 1 && !facts.lbNode) {
    await Promise.all(first.gateway.nodes.flatMap((name) => readNodeRoutes(predictTrace(view, req, { ...facts, lbNode: gatewayNodePort(plan, first.gateway!, name, first.family) }))));
    const pick = gatewayPickedBy(view, req, first.gateway, facts, { ok, probe, ...(code ? { code } : {}), links, fired });
    if (pick) Object.assign(facts, pick);
  }
  // A probe that failed: the tables in each node that podlab did not write (a learner's own rule may drop it).
  if (!ok) {
    const applied = readAppliedTables(state.lab);
    await Promise.all(
      nodes.map(async (n) => {
        const r = await ex.run(inNs(n.netns, ['nft', '-j', 'list', 'tables']));
        const foreign = r.exitCode === 0 ? parseForeignTables(r.stdout, new Set(Object.values(applied[n.netns] ?? {}).map((t) => `${t.family} ${t.name}`))) : [];
        if (foreign.length) (facts.foreignTables ??= {})[n.name] = foreign;
      }),
    );
  }
  // A DNAT that left no entry for a probe that failed: kube-proxy's chains count nothing, so its table
  // there is read, to say whether the Service's rules are in it (a learner may have flushed them).
  if (!ok && first.protocol !== 'icmp') {
    const unseen = first.hops.filter((h) => h.kind === 'dnat' && h.status !== 'dropped' && !facts.conntrackAt?.[h.at]);
    await Promise.all(
      unseen.map(async (h) => {
        const netns = placeNetns(state, h.at);
        if (!netns) return;
        const r = await ex.run(inNs(netns, ['nft', '-j', 'list', 'table', /nft table ip6 /.test(h.linux) ? 'ip6' : 'ip', 'podlab']));
        (facts.natRules ??= {})[h.at] = r.exitCode === 0 ? parseNftRules(r.stdout) : null;
      }),
    );
  }
  lap('counters-after');

  // The prediction again, now with the facts (the endpoint conntrack names), then each hop judged against what was seen.
  let p = predictTrace(view, req, facts);
  const more = readNodeRoutes(p);
  if (more.length) {
    await Promise.all(more);
    p = predictTrace(view, req, facts);
  }
  await Promise.all(readVteps(p));
  const differences = judgeTrace(plan, p, facts, { ok, probe, ...(code ? { code } : {}), links, fired, ...(saw ? { saw } : {}) });
  lap('judge');
  return { ...p, observed: { probe, ok, ms, differences }, facts, timings };
}
