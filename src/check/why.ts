/**
 * Why a reachability check failed, in the learner's terms, and whether waiting can change it (and a
 * dns check whose query the policies deny: the policy, named as a reach check's is).
 * Asked once a check that expected to reach has failed: the lab's own facts, read as `podlab
 * trace` reads them (src/runtime/trace.ts; a port nothing listens on is the refusal its path ends
 * at) and, for a NetworkPolicy, the podlab-policy counters around the check's own attempt when the
 * runner predicted the denial, else around one more probe (src/runtime/explain.ts): "Service web has no ready endpoints", "10.244.2.3:8081 refused: pod
 * web-2 listens on TCP 8080", "dropped by NetworkPolicy deny-all in namespace x", "denied by
 * ClusterNetworkPolicy deny-z (Admin tier, priority 10), rule ingress[0]: Deny".
 * Before the path: the server the connection ends at has exited ("container web of pod default/web
 * is not running (…)"); and for a BGP session or a route BIRD installs, the BIRD that would answer
 * or announce it has exited or was stopped.
 * A cause is *settled* when retrying cannot cure it (no pod backs the Service, no
 * container of the pod declares the port and none of its own `command:` started in the last
 * STARTING_GRACE_MS, a policy's drop or reject rule counted the probe, the server's container
 * exited and nothing restarts it — no control loops, or a restartPolicy that leaves it terminated —,
 * the BIRD is gone), so the runner stops there instead of waiting out the timeout. And the "try:"
 * line: a command a learner knows.
 */
import { denyActionOf } from '../plan/network-policy.ts';
import type { Plan, PlanCheck, PlanPod } from '../plan/plan.ts';
import { portEndpoints, serviceKey } from '../plan/services.ts';
import { findService } from '../k8s/objects.ts';
import { isAlive, processAgeMs } from '../lib/proc.ts';
import { birdGone } from '../runtime/calico-status.ts';
import { readLoops } from '../runtime/loops-state.ts';
import { stoppedContainers, stoppedWords, type Stopped } from '../runtime/stopped.ts';
import type { Executor } from '../runtime/exec.ts';
import { explainLive, liveView, policyDenies } from '../runtime/explain.ts';
import { explain, servicePortWords, type ExplainRequest } from '../trace/explain.ts';
import type { Fired } from '../runtime/policy-counters.ts';
import type { Explanation } from '../trace/explain.ts';
import type { LabState } from '../runtime/state.ts';
import { traceLive } from '../runtime/trace.ts';
import { TraceProblem } from '../trace/ends.ts';
import { hostPort, type TracePath } from '../trace/trace.ts';
import type { ProbeCheck } from './checks.ts';
import { sourceRef } from './checks.ts';
import { shellQuote } from './checks.ts';
import { runsOwnCommand } from './settle.ts';

export interface Cause {
  /** One sentence a learner understands. */
  cause: string;
  /** Retrying cannot change it: the runner stops. */
  settled: boolean;
}

export type ReachCheck = Extract<PlanCheck, { kind: 'tcp' | 'udp' | 'http' | 'ping' }>;

export const isReach = (c: ProbeCheck): c is ReachCheck => c.kind === 'tcp' || c.kind === 'udp' || c.kind === 'http' || c.kind === 'ping';

/** The trace reference of a check's target: `svc/ns/name`, `lb/ns/name`, a pod, `node/…`, `host/…` or an address. */
export function targetRef(c: ReachCheck): string | undefined {
  const t = c.to as { kind: string; name: string; ip: string };
  if (t.kind === 'svc' || t.kind === 'lb' || t.kind === 'pod' || t.kind === 'ip') return t.name;
  if (t.kind === 'node' || t.kind === 'host') return `${t.kind}/${t.name}`;
  return undefined;
}

export const portOf = (c: ReachCheck) => c.port ?? (c.to as { port?: number }).port;

/**
 * The curl that asks what an http check asks (src/check/kinds/http.ts curlArgv, one request): the
 * Host header an Ingress routes on; over HTTPS with a server name, the URL names it and --resolve
 * points it at the target, so curl sends it as SNI and verifies the certificate with the lab's CA.
 */
function httpCurl(c: Extract<ReachCheck, { kind: 'http' }>, ip: string, port: number | undefined): string[] {
  const h = c as { host?: string; https?: boolean; sni?: string; caFile?: string; path?: string };
  const addr = ip.includes(':') ? `[${ip}]` : ip;
  const name = h.sni ?? h.host;
  const path = h.path ?? '/';
  const tls = h.https ? (name ? ['--resolve', `${name}:${port}:${addr}`, ...(h.caFile ? ['--cacert', h.caFile] : ['--insecure'])] : ['--insecure']) : [];
  const url = `${h.https ? 'https' : 'http'}://${h.https && name ? name : addr}:${port}${path}`;
  return ['curl', '-sS', '-m', '2', ...(h.host !== undefined ? ['-H', `Host: ${h.host}`] : []), ...tls, url];
}

/** A command a learner recognises that tries the same thing: curl for HTTP, ping, `podlab trace` for TCP and UDP. */
export function learnerCommand(lab: string, c: ProbeCheck): string | undefined {
  if (!isReach(c)) return undefined;
  const from = sourceRef(c);
  const t = c.to as { ip: string };
  const port = portOf(c);
  if (c.kind === 'http') return `podlab exec ${lab} ${from} -- ${httpCurl(c, t.ip, port).map(shellQuote).join(' ')}`;
  if (c.kind === 'ping') return `podlab exec ${lab} ${from} -- ping -c 1 ${t.ip}`;
  const to = targetRef(c);
  return to ? `podlab trace ${lab} ${from} ${to}${port ? ` --port ${port}` : ''} --proto ${c.kind}` : undefined;
}

/**
 * How long a container running its own `command:` may take to open its ports: podlab knows when its
 * built-in programs listen (`up` waits for them), not when a learner's server does. A refusal by a
 * pod with such a container younger than this is not settled, declared port or not.
 */
export const STARTING_GRACE_MS = 2000;

/** Whether one of the pod's `command:` containers started less than STARTING_GRACE_MS ago (it may yet listen). */
function startingUp(state: LabState, pod: LabState['plan']['pods'][number]): boolean {
  return pod.containers.some((c) => {
    const rec = state.pods[pod.name]?.containers[c.name];
    if (!runsOwnCommand(c) || !rec) return false;
    const age = processAgeMs(rec);
    return age !== undefined && age < STARTING_GRACE_MS;
  });
}

/**
 * A connection the policies deny, confirmed by the counters: the denying rule of the judged side
 * that counted the check's own attempt (`counted`: the runner's explanation of it and the rules that
 * fired around it), or else one
 * more probe's. Settled when it did.
 */
async function policyCause(ex: Executor, state: LabState, req: ExplainRequest, counted?: CountedAttempt): Promise<Cause> {
  const x = counted ? { ...counted.x, observed: { fired: counted.fired } } : await explainLive(ex, state, req);
  const c0 = x.cases.find((k) => !k.allowed) ?? x.cases[0]!;
  const side = !c0.egress.allowed ? c0.egress : c0.ingress;
  // The denying rule of this side only, on its node: checks run side by side, and another
  // probe's denial elsewhere grows other counters in the same moment.
  const chain = side.cluster ? `cnp.${side.cluster.policy}.${side.direction}` : `${side.direction}.${side.subject}`;
  const rules = side.node ? (x.observed?.fired[side.node] ?? []) : Object.values(x.observed?.fired ?? {}).flat();
  const fired = rules.find((r) => r.chain === chain && /isolated for|no rule allowed|^cnp\/\S+ \S+ .*\bDeny\b/.test(r.comment));
  const action = denyActionOf(state.plan);
  if (side.cluster) {
    const cnp = side.cluster;
    const what = `ClusterNetworkPolicy ${cnp.policy} (${cnp.tier} tier, priority ${cnp.priority}), rule ${side.direction}[${cnp.index}]${cnp.name ? ` "${cnp.name}"` : ''}: ${cnp.action}`;
    const passed = side.passed?.length ? `, after ${side.passed.map((p) => `${p.policy} passed it on`).join(', ')}` : '';
    if (fired) return { cause: `denied by ${what} (${side.direction} of ${side.subject}${passed}; its rule in chain ${fired.chain} counted the packet)`, settled: true };
    return { cause: `${what} should deny it (${side.direction} of ${side.subject}), but its rule in chain ${chain} did not count the probe`, settled: false };
  }
  const pols = side.selecting.map((s) => s.policy);
  const named = pols.map((p) => `${p.split('/')[1]} in namespace ${p.split('/')[0]}`).join(', ');
  const tiers = side.passed?.length ? `; ${side.passed.map((p) => `ClusterNetworkPolicy ${p.policy} passed it on to the NetworkPolicies`).join(', ')}` : '';
  // A rule that allows the Service's own port, not the targetPort the packet is DNATed to, is the likely mistake: said.
  const why = `${req.protocol === 'ICMP' && side.selecting.some((s) => s.rules.length) ? 'no rule without ports allows a ping' : 'no rule allows it'}${side.servicePortRule ? `; ${servicePortWords(side.servicePortRule)}` : ''}`;
  if (fired) return { cause: `${action === 'drop' ? 'dropped' : 'rejected'} by NetworkPolicy ${named} (${side.direction} of ${side.subject}: ${why}${tiers}; the ${action} rule in chain ${fired.chain} counted the packet)`, settled: true };
  return { cause: `NetworkPolicy ${named} should ${action} it (${side.direction} of ${side.subject}), but its ${action} rule in chain ${chain} did not count the probe`, settled: false };
}

/**
 * A port nothing listens on in the pod the connection reaches (the pod's own port: a Service's
 * target port, after DNAT), from `ss` as the trace reads it. Settled when no container declares the
 * port and no `command:` container of the pod is still starting: nothing will start listening on it.
 */
function refusedCause(state: LabState, r: NonNullable<TracePath['refused']>): Cause {
  const pod = state.plan.pods.find((p) => p.namespace === r.pod!.namespace && p.name === r.pod!.name);
  const others = r.refusing !== undefined && r.refusing > 1 ? `, and so do the other ${r.refusing - 1} endpoints of the Service` : '';
  return { cause: `${hostPort(r.ip, r.port)}/${r.protocol} refused: pod ${r.pod!.name} listens on ${r.protocol.toUpperCase()} ${r.listening.length ? r.listening.join(', ') : 'no port at all'}${others}`, settled: !r.declared && !(pod && startingUp(state, pod)) };
}

/**
 * The connection a reach check makes, as explain and the policy counters take it: from its source
 * to its target, on its port (a ping: ICMP, no port), and in a dual-stack lab in the family of the
 * address it was sent to (its pods have one of each). Undefined for a target explain cannot name.
 */
export function explainRequestOf(plan: { ipFamilies: readonly string[] }, c: ReachCheck): ExplainRequest | undefined {
  const to = targetRef(c);
  if (!to) return undefined;
  const family = plan.ipFamilies.length > 1 ? ((c.to as { ip: string }).ip.includes(':') ? 'IPv6' : 'IPv4') : undefined;
  return { from: sourceRef(c), to, ...(c.kind === 'ping' ? { protocol: 'ICMP' } : { port: portOf(c)!, protocol: c.kind === 'udp' ? 'UDP' : 'TCP' }), ...(family ? { family } : {}) };
}

export type DnsCheck = Extract<PlanCheck, { kind: 'dns' }>;

/**
 * The query a dns check sends, as explain and the policy counters take it: from its source to the
 * server it asks, UDP 53 (TCP with `tcp`). A check that names no server asks its pod's resolv.conf's
 * first nameserver: kube-dns's cluster IP for a ClusterFirst pod, taken as that Service (its DNAT
 * to a CoreDNS pod is what the policies judge). Undefined when it asks nothing explain can name.
 */
export function dnsRequestOf(plan: Pick<Plan, 'ipFamilies' | 'pods' | 'services'>, c: DnsCheck): ExplainRequest | undefined {
  const t = c.to as { kind: string; name: string; ip: string };
  const from = sourceRef(c);
  let server = t.ip;
  if (t.name === 'resolv.conf') {
    const pod = plan.pods.find((p) => p.name === c.from.name || `${p.namespace}/${p.name}` === c.from.name);
    server = pod?.resolv.nameservers[0] ?? '';
  }
  if (!server) return undefined;
  const svc = plan.services.find((s) => (s.clusterIPs ?? [s.clusterIP]).includes(server));
  const to = svc ? `svc/${svc.namespace}/${svc.name}` : t.kind === 'host' ? `host/${t.name}` : server;
  const family = plan.ipFamilies.length > 1 ? (server.includes(':') ? 'IPv6' : 'IPv4') : undefined;
  return { from, to, port: 53, protocol: c.dns.tcp ? 'TCP' : 'UDP', ...(family ? { family } : {}) };
}

/** The connection a check makes, as explain takes it: a reach check's, or a dns check's query. */
export function checkRequestOf(plan: Pick<Plan, 'ipFamilies' | 'pods' | 'services'>, c: ProbeCheck): ExplainRequest | undefined {
  return isReach(c) ? explainRequestOf(plan, c) : c.kind === 'dns' ? dnsRequestOf(plan, c as DnsCheck) : undefined;
}

/**
 * A dns check with no answer whose query the policies deny, whichever CoreDNS endpoint it meets
 * (the classic mistake: a default-deny egress without a rule for DNS): the denying policy, named
 * from the counters around the check's own attempt as a reach check's is, and settled when its rule
 * counted it. Undefined when the policies let the query through.
 */
async function dnsCause(ex: Executor, state: LabState, c: DnsCheck, counted?: CountedAttempt): Promise<Cause | undefined> {
  const req = dnsRequestOf(state.plan, c);
  if (!req) return undefined;
  let x: Explanation;
  try {
    x = counted?.x ?? explain(liveView(state), req);
  } catch {
    return undefined;
  }
  if (!policyDenies(x)) return undefined;
  const why = await policyCause(ex, state, req, counted);
  return { ...why, cause: `its query to ${req.to} ${req.protocol}/53 is ${why.cause}` };
}

/**
 * The pods a reach check's connection ends in, each with the port it reaches there: the pod it
 * names, or the endpoints of the Service whose cluster IP or load-balancer address it names.
 */
function landingPods(state: LabState, c: ReachCheck): { pod: PlanPod; port?: number }[] {
  const t = c.to as { kind: string; name: string };
  const port = portOf(c);
  if (t.kind === 'pod') return state.plan.pods.filter((p) => p.name === t.name).map((pod) => ({ pod, port }));
  if (t.kind !== 'svc' && t.kind !== 'lb') return [];
  const sv = findService(state.plan.services, t.name.slice(t.name.indexOf('/') + 1));
  if (!sv) return [];
  const key = sv.ports.find((p) => p.port === port && p.protocol === (c.kind === 'udp' ? 'UDP' : 'TCP'))?.key;
  return portEndpoints(state.endpoints ?? state.plan.endpoints, serviceKey(sv), key).flatMap((e) => {
    const pod = state.plan.pods.find((p) => p.name === e.pod && p.namespace === e.namespace);
    return pod ? [{ pod, port: e.port }] : [];
  });
}

/**
 * A connection that ends in pods whose server is not running: every pod it may reach has a container
 * whose process has exited, and no container of it that runs declares the port. Settled when nothing
 * will start them again (no control loops, or a restartPolicy that leaves them terminated).
 */
function deadTargetCause(state: LabState, c: ReachCheck): Cause | undefined {
  if (c.kind === 'ping') return undefined; // the pod's kernel answers a ping, whatever runs in it
  const ends = landingPods(state, c);
  if (!ends.length) return undefined;
  const loops = state.plan.loops ? readLoops(state.lab) : undefined;
  const found: (Stopped & { pod: PlanPod })[] = [];
  for (const { pod, port } of ends) {
    const recs = state.pods[pod.name]?.containers;
    if (!recs) return undefined;
    const declares = (k: PlanPod['containers'][number]) => port !== undefined && k.ports.some((p) => p.containerPort === port);
    const dead = stoppedContainers(state, pod, loops);
    if (!dead.length || pod.containers.some((k) => recs[k.name] && isAlive(recs[k.name]!) && declares(k))) return undefined;
    // The container that serves the port when one declares it; else each one that is not running.
    for (const s of dead.some((d) => declares(d.c)) ? dead.filter((d) => declares(d.c)) : dead) found.push({ pod, ...s });
  }
  const each = found.map((f) => stoppedWords(f.pod, f)).join('; ');
  return { cause: ends.length > 1 ? `no endpoint of the Service can answer: ${each}` : each, settled: found.every((f) => f.final) };
}

/**
 * Why a BGP session or a route BIRD should have installed is missing: the BIRD that would answer or
 * announce it is not running (killed, or stopped), and nothing in the lab starts it again: settled.
 */
function birdCause(state: LabState, c: Extract<ProbeCheck, { kind: 'bgp' | 'route' }>): Cause | undefined {
  const settled = (cause: string): Cause => ({ cause, settled: true });
  if (c.kind === 'bgp') {
    if (c.absent) return undefined;
    const own = birdGone(state, c.from.name);
    if (own) return settled(`BIRD on node ${c.from.name} is not running (${own}): nothing answers on its control socket, and nothing in the lab starts it again`);
    const peer = birdGone(state, c.peer.name);
    if (peer) return settled(`the peer ${c.peer.name}'s BIRD is not running (${peer}): no session to it comes up, and nothing in the lab starts it again`);
    return undefined;
  }
  // The node whose BIRD announces the route: its next hop, or the node whose pod CIDR (a block of its) it is.
  const via = c.route.via;
  const blocksOf = (n: (typeof state.plan.nodes)[number]) => {
    const k = n.cni as unknown as { blocks?: string[]; ipv6?: { blocks?: string[] } };
    return [...(k.blocks ?? []), ...(k.ipv6?.blocks ?? [])];
  };
  const node = via !== undefined ? state.plan.nodes.find((n) => (n.ips ?? [n.ip]).includes(via)) : state.plan.nodes.find((n) => c.to.name === `node/${n.name}` || blocksOf(n).includes(c.to.ip));
  if (c.route.absent || !node || node.name === c.from.name) return undefined;
  const gone = birdGone(state, node.name);
  return gone ? settled(`the route is learned over BGP from ${node.name}'s BIRD, which is not running (${gone}): nothing in the lab starts it again`) : undefined;
}

/** A check's attempt counted by the runner: its prediction of the connection, and the policy rules that fired around it. */
export interface CountedAttempt {
  x: Explanation;
  fired: Fired;
}

/**
 * Why a check failed, when podlab can tell: a reach check's cause (whyUnreachable), or, for a BGP
 * session or a BIRD route, a BIRD that is gone. Undefined when it cannot (the runner keeps retrying).
 */
export async function whyFailed(ex: Executor, state: LabState, c: ProbeCheck, counted?: CountedAttempt): Promise<Cause | undefined> {
  if (c.kind === 'bgp' || c.kind === 'route') return birdCause(state, c);
  if (c.kind === 'dns') return dnsCause(ex, state, c as DnsCheck, counted);
  return whyUnreachable(ex, state, c, counted);
}

/**
 * Why a check that should reach did not; undefined when podlab cannot tell (then the runner keeps
 * retrying). `counted`: the runner's explanation of the failed attempt and the policy rules that fired
 * around it, when it was counted.
 */
export async function whyUnreachable(ex: Executor, state: LabState, c: ProbeCheck, counted?: CountedAttempt): Promise<Cause | undefined> {
  if (!isReach(c) || c.expect !== 'reach') return undefined;
  // The server the connection ends at has exited: said before anything the path shows (a refusal).
  const dead = deadTargetCause(state, c);
  if (dead) return dead;
  const req = explainRequestOf(state.plan, c);
  if (!req) return undefined;
  const { from, to, port, family } = req;
  const protocol = c.kind === 'ping' ? 'icmp' : c.kind === 'udp' ? 'udp' : 'tcp';
  try {
    const t = await traceLive(ex, state, { from, to, ...(port !== undefined ? { port } : {}), protocol, ...(family ? { family } : {}) }, { probe: false });
    // No endpoint at all, or none where a traffic policy Local looks (the node that DNATs): kube-proxy has nowhere to send it.
    if (t.outcome === 'dropped' && /no ready endpoints|has no endpoint on node /.test(t.reason)) return { cause: t.reason, settled: true };
    // Nothing listens in the pod (for a Service: in every endpoint, as the trace without a probe follows one that listens when there is one).
    if (t.refused?.pod) return refusedCause(state, t.refused);
    // A ping meets the policies too (only a rule without ports admits it).
    if (t.outcome === 'dropped' && t.policy && !t.policy.allowed) return await policyCause(ex, state, req, counted);
    return undefined;
  } catch (e) {
    // A pod that is not running is worth saying; other problems (an address outside the lab) are not a cause.
    if (e instanceof TraceProblem && e.code === 'PL3033') return { cause: e.message, settled: false };
    return undefined;
  }
}
