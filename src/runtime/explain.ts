/**
 * `podlab explain` on a live lab: the view of the moment (pods at their current addresses, the
 * endpoints kube-proxy's tables hold, the policies in force), the pure explanation of it
 * (src/trace/explain.ts), then one real connection attempt between two snapshots of the policy
 * counters of the nodes involved: which nft rule fired, and whether that is what was predicted.
 */
import { denyActionOf } from '../plan/network-policy.ts';
import { POLICY } from '../constants.ts';
import type { NftView } from '../plan/nft-tables.ts';
import { explain, type ExplainRequest, type Explanation } from '../trace/explain.ts';
import type { Executor } from './exec.ts';
import { observeCounters, probeOnce, type Fired, type ProbeOutcome } from './policy-counters.ts';
import { livePolicies } from './policies.ts';
import { viewPods } from './services.ts';
import type { LabState } from './state.ts';

export interface ExplainObservation {
  probe: ProbeOutcome & { to: string };
  /** Per node, the policy rules whose counters grew during the probe. */
  fired: Fired;
  /** The case (endpoint) the observation matches, by index into `cases`, when one does. */
  matchedCase?: number;
  /** True when what happened is what was predicted; otherwise `differences` says how not. */
  agrees: boolean;
  differences: string[];
  /** What the probe met that is not the policies' doing (a port nothing listens on), when it agrees. */
  note?: string;
}

/** The live lab as explain and trace read it. */
export function liveView(state: LabState): NftView {
  return { plan: state.plan, endpoints: state.endpoints ?? state.plan.endpoints, pods: viewPods(state), policies: livePolicies(state) };
}

/**
 * The counting rules a case's first packet can meet, as `node\nchain\ncomment`: each judging node's
 * in packet order (the source's, then the destination's), up to the first that drops or rejects it.
 * A rule past a drop cannot fire (an egress drop on the source's node leaves the destination's
 * ingress accept uncounted), so it is not expected to.
 */
function metHits(c: Explanation['cases'][number]): string[] {
  const out: string[] = [];
  for (const n of c.nft) {
    out.push(...n.hits.filter((h) => h.comment).map((h) => `${h.node}\n${h.chain}\n${h.comment}`));
    if (n.verdict !== 'accept') break;
  }
  return out;
}

/** Compares a probe and the counters that fired with each predicted case. Pure. */
export function compareObservation(x: Explanation, probe: ProbeOutcome, fired: ExplainObservation['fired']): Pick<ExplainObservation, 'matchedCase' | 'agrees' | 'differences' | 'note'> {
  const firedSet = new Set(Object.entries(fired).flatMap(([n, rs]) => rs.map((r) => `${n}\n${r.chain}\n${r.comment}`)));
  const anyFired = firedSet.size > 0;
  const idx = x.cases.findIndex((c) => {
    const hits = metHits(c);
    return hits.length ? hits.every((h) => firedSet.has(h)) : !anyFired;
  });
  const differences: string[] = [];
  if (!x.cases.length) {
    if (probe.ok) differences.push('the Service has no endpoints, yet the probe connected');
    return { agrees: !probe.ok, differences };
  }
  // A refusal is the pod's answer: the policies let the packet through, as predicted, and nothing listens on the port.
  const refused = /ECONNREFUSED/.test(probe.detail);
  const several = severalAttempts(x, probe, firedSet);
  if (several && (idx < 0 || x.cases[idx]!.allowed !== probe.ok) && !refused) return several;
  if (idx < 0) differences.push(anyFired ? `the rules that fired are not those predicted for any endpoint` : 'no policy rule counted the probe, though one was predicted to');
  const c = x.cases[idx < 0 ? 0 : idx]!;
  if (c.allowed && !probe.ok && !refused) differences.push(`policy allows it, but the probe failed: ${probe.detail} (not a policy drop: is anything listening on ${c.dest.ip}:${c.dest.port}?)`);
  if (!c.allowed && probe.ok) differences.push('policy should deny it, but the probe connected');
  const note = c.allowed && refused && x.protocol !== 'ICMP' ? `the policies let it through, and ${c.dest.ip}:${c.dest.port}/${x.protocol} refused it: nothing listens there (not a policy's doing)` : undefined;
  return { ...(idx >= 0 ? { matchedCase: idx } : {}), agrees: differences.length === 0, differences, ...(note ? { note } : {}) };
}

/**
 * The probe tries again on a new socket every 200 ms while nothing answers (native/probe.c), and each
 * new connection is sent on afresh: kube-proxy picks an endpoint at random, the gateway a node. So a
 * connection some of whose cases are denied leaves the counters of several: the denied tries, and the
 * one that connected (an allowed case, counted, or one no rule counts). Agrees when every rule that
 * fired is a rule of a case each of whose rules fired, and the probe's fate is one of those cases'
 * (connected: an allowed one; silence: only denied ones). Undefined when it is not so, or one case
 * explains it.
 */
function severalAttempts(x: Explanation, probe: ProbeOutcome, firedSet: Set<string>): Pick<ExplainObservation, 'matchedCase' | 'agrees' | 'differences' | 'note'> | undefined {
  if (x.cases.length < 2 || !firedSet.size) return undefined;
  const hitsOf = metHits;
  const tried = x.cases.map((c, i) => ({ c, i, hits: hitsOf(c) })).filter((t) => t.hits.length && t.hits.every((h) => firedSet.has(h)));
  if (tried.length < 2 && !(probe.ok && tried.length === 1 && !tried[0]!.c.allowed)) return undefined;
  const explained = new Set(tried.flatMap((t) => t.hits));
  if ([...firedSet].some((f) => !explained.has(f))) return undefined;
  // Connected: an allowed case it tried, or an allowed one that no rule counts; silence: every case it tried denied.
  const won = probe.ok ? (tried.find((t) => t.c.allowed) ?? x.cases.map((c, i) => ({ c, i, hits: hitsOf(c) })).find((t) => t.c.allowed && !t.hits.length)) : tried.every((t) => !t.c.allowed) ? tried[0] : undefined;
  if (!won) return undefined;
  // Cases whose rules are the same rules the counters cannot tell apart: named together.
  const alike = (c: Explanation['cases'][number]) => {
    const key = hitsOf(c).sort().join('\n');
    const group = x.cases.filter((k) => k.allowed === c.allowed && hitsOf(k).sort().join('\n') === key);
    const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((v): v is string => !!v))];
    const eps = uniq(group.map((k) => (k.endpoint ? `${k.endpoint.namespace}/${k.endpoint.pod}` : k.dest.what)));
    const through = uniq(group.map((k) => k.through));
    return `${eps.join(' or ')}${through.length ? ` through ${through.join(' or ')}` : ''}`;
  };
  const denied = [...new Set(tried.filter((t) => !t.c.allowed).map((t) => alike(t.c)))];
  return {
    matchedCase: won.i,
    agrees: true,
    differences: [],
    note: `the probe tried again on a new socket while nothing answered, and each try was sent on afresh: ${denied.length ? `denied ${denied.join(', ')}` : ''}${probe.ok ? `${denied.length ? '; ' : ''}connected to ${alike(won.c)}` : ', as predicted'}`,
  };
}

/** The nodes whose policy counters an explained connection can grow. */
export const counterNodes = (x: Explanation): string[] => [...new Set(x.cases.flatMap((c) => c.nft.map((n) => n.node)))];

/** The nft table family an explained connection is counted in (the address it is sent to). */
export const counterFamily = (x: Explanation): 'ip' | 'ip6' => ((x.service?.clusterIP ?? x.to.ip ?? '').includes(':') ? 'ip6' : 'ip');

/** Whether the policies in force deny the connection whichever endpoint it meets. */
export const policyDenies = (x: Explanation): boolean => x.cases.length > 0 && x.cases.every((c) => !c.allowed);

/**
 * Whether the policies in force drop the connection an explanation is of, whichever endpoint it
 * meets (and the lab drops rather than rejects): then silence is its answer, and a probe need
 * wait only POLICY.dropSilenceMs for it.
 */
export function policyDrops(state: LabState, x: Explanation): boolean {
  return denyActionOf(state.plan) === 'drop' && policyDenies(x);
}

export async function explainLive(ex: Executor, state: LabState, req: ExplainRequest, opts: { probe?: boolean; timeoutMs?: number } = {}): Promise<Explanation & { observed?: ExplainObservation }> {
  const x = explain(liveView(state), req);
  if (opts.probe === false) return x;
  // Where the connection is sent (`to.ip`): the cluster IP, or the load-balancer address the Service was named by.
  const ip = x.to.ip ?? x.service?.clusterIP;
  if (!ip) return x;
  // A NodePort is probed at the node's address and NodePort (x.port), a Service at its port.
  const port = x.service && !x.service.nodePort ? x.service.port : x.port;
  const timeoutMs = opts.timeoutMs ?? (policyDrops(state, x) ? POLICY.dropSilenceMs : undefined);
  const { result, fired } = await observeCounters(ex, state, counterNodes(x), () => probeOnce(ex, state, req.from, ip, port, x.protocol, timeoutMs), counterFamily(x));
  return { ...x, observed: { probe: { ...result, to: x.protocol === 'ICMP' ? `${ip} (ping)` : `${ip}:${port}/${x.protocol}` }, fired, ...compareObservation(x, result, fired) } };
}
