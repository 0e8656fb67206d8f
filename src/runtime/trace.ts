/**
 * `podlab trace` on a live lab: the prediction (src/trace/trace.ts) from the live view, the facts
 * the live lab holds (`ip route get` in the source and on the forwarding node, each pod's veth
 * from its CNI result, who listens on the destination port, the DNS answer), then one real probe
 * between two reads of the path's interface counters and policy counters, and the conntrack entry
 * it left. Each hop is marked confirmed when what it predicts is what happened (a veth, tunnel or
 * bridge port counted the packet, the chosen endpoint is in conntrack, the policy rule counted),
 * and "differs" when not. Everything is read; nothing in the lab is changed but the probe's packets.
 */
import { NETNS_RUN_DIR, POD_BRIDGE } from '../constants.ts';
import { PROBE_BIN } from './artifacts.ts';
import { inFamily, TraceProblem } from '../trace/ends.ts';
import { predictTrace, type Hop, type TraceFacts, type TracePath, type TraceRequest } from '../trace/trace.ts';
import { sourceArgv } from './enter.ts';
import type { Executor } from './exec.ts';
import { liveView } from './explain.ts';
import { hostVeth } from './live-graph.ts';
import { firedBetween, readCounters, type CounterRule } from './policy-counters.ts';
import type { LabState } from './state.ts';

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

/** One `conntrack -L` line → the original and reply tuples. */
export function parseConntrack(line: string): { orig: { src: string; dst: string; sport?: number; dport?: number }; reply: { src: string; dst: string; sport?: number; dport?: number } } | undefined {
  const src = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]!);
  const dst = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]!);
  const sport = [...line.matchAll(/sport=(\d+)/g)].map((m) => Number(m[1]));
  const dport = [...line.matchAll(/dport=(\d+)/g)].map((m) => Number(m[1]));
  if (src.length < 2 || dst.length < 2) return undefined;
  return { orig: { src: src[0]!, dst: dst[0]!, sport: sport[0], dport: dport[0] }, reply: { src: src[1]!, dst: dst[1]!, sport: sport[1], dport: dport[1] } };
}

type LinkStats = Record<string, { rx: number; tx: number }>;

async function linkStats(ex: Executor, netns: string): Promise<LinkStats> {
  const r = await ex.run(inNs(netns, ['ip', '-s', '-j', 'link', 'show']));
  const out: LinkStats = {};
  if (r.exitCode !== 0) return out;
  for (const l of JSON.parse(r.stdout) as { ifname: string; stats64?: { rx: { packets: number }; tx: { packets: number } } }[])
    if (l.stats64) out[l.ifname] = { rx: l.stats64.rx.packets, tx: l.stats64.tx.packets };
  return out;
}

const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';

/** The network namespace of a trace end, from the plan. */
function netnsOf(state: LabState, ref: string): string | undefined {
  const plan = state.plan;
  if (ref.startsWith('node/')) return plan.nodes.find((n) => n.name === ref.slice(5))?.netns;
  if (ref.startsWith('host/')) return plan.hosts.find((h) => h.name === ref.slice(5))?.netns;
  if (ref === 'gateway') return plan.gateway?.netns;
  const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [undefined, ref];
  return plan.pods.find((p) => p.name === name && (!ns || p.namespace === ns))?.netns;
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
  const first = predictTrace(view, req);
  lap('predict');
  // Each family its own tools: `ip -6 route get`, `ping -6`, `conntrack -f ipv6`, `table ip6 podlab-policy`.
  const six = first.family === 'IPv6';
  const ipCmd = six ? ['ip', '-6'] : ['ip'];

  const facts: TraceFacts = { routes: {}, hostVeths: {} };
  for (const p of plan.pods) {
    const v = hostVeth(state.pods[p.name]?.cniResult, POD_BRIDGE);
    if (v) facts.hostVeths![`${p.namespace}/${p.name}`] = v;
  }
  const srcNs = netnsOf(state, req.from)!;
  const routeHop = first.hops.find((h) => h.kind === 'route');
  const nodeRouteHop = first.hops.find((h) => h.kind === 'node-route');
  const dest = first.hops.find((h) => h.kind === 'deliver');
  const destPodRef = dest?.at.startsWith('pod ') ? dest.at.slice(4) : undefined;
  const dnsHop = first.hops.find((h) => h.kind === 'dns');

  // Facts that need no probe, in parallel.
  const jobs: Promise<void>[] = [];
  if (routeHop) jobs.push(ex.run(inNs(srcNs, [...ipCmd, 'route', 'get', first.daddr])).then((r) => void (facts.routes![`${routeHop.at}|${first.daddr}`] = firstLine(r.stdout || r.stderr))));
  if (nodeRouteHop) {
    const ns = plan.nodes.find((n) => `node ${n.name}` === nodeRouteHop.at)!.netns;
    jobs.push(ex.run(inNs(ns, [...ipCmd, 'route', 'get', first.dest.ip])).then((r) => void (facts.routes![`${nodeRouteHop.at}|${first.dest.ip}`] = firstLine(r.stdout || r.stderr))));
  }
  let listening: number[] | undefined;
  if (destPodRef && first.protocol !== 'icmp' && first.dest.port !== undefined) {
    const ns = netnsOf(state, destPodRef)!;
    jobs.push(ex.run(inNs(ns, ['ss', '-Hln', first.protocol === 'tcp' ? '-t' : '-u'])).then((r) => void (listening = parseListeners(r.stdout))));
  }
  if (dnsHop && plan.dns) {
    const svc = plan.services.find((s) => (s.clusterIPs ?? [s.clusterIP]).includes(first.daddr));
    const fqdn = svc ? `${svc.name}.${svc.namespace}.svc.${plan.clusterDomain}` : req.to;
    jobs.push(ex.run(inNs(srcNs, ['dig', '+short', '+time=1', '+tries=1', `@${plan.dns.serviceIP}`, fqdn, six ? 'AAAA' : 'A'])).then((r) => void (facts.dns = { answers: r.stdout.trim().split('\n').filter(Boolean), server: plan.dns!.serviceIP })));
  }
  await Promise.all(jobs);
  lap('facts');
  if (listening && first.dest.port !== undefined && !listening.includes(first.dest.port))
    throw new TraceProblem('PL3112', `${first.dest.ip}:${first.dest.port}/${first.protocol} would be refused: ${first.dest.what} listens on ${first.protocol.toUpperCase()} ${listening.length ? listening.join(', ') : 'no port at all'}`, `Trace a port it listens on (--port ${listening[0] ?? 'N'}), or see podlab exec ${plan.lab} ${destPodRef} -- ss -ltnup.`);

  if (opts.probe === false) {
    const p = predictTrace(view, req, facts);
    return { ...p, facts, timings };
  }

  // The nodes the packet crosses: their links and policy tables are counted around the probe.
  // Every node: kube-proxy may pick an endpoint on another node than the one predicted first.
  const nodes = plan.nodes;
  const snapshot = () => Promise.all(nodes.map(async (n) => ({ links: await linkStats(ex, n.netns), policy: await readCounters(ex, n.netns, undefined, six ? 'ip6' : 'ip') })));
  const before = await snapshot();
  lap('counters-before');
  const timeoutMs = opts.timeoutMs ?? 1000;
  const probeArgv =
    first.protocol === 'icmp'
      ? ['ping', ...(six ? ['-6'] : []), '-n', '-c', '1', '-W', String(Math.max(1, Math.round(timeoutMs / 1000))), first.daddr]
      : first.protocol === 'tcp'
        ? [PROBE_BIN, 'tcp-connect', '--host', first.daddr, '--port', String(first.port), '--timeout-ms', String(timeoutMs)]
        : [PROBE_BIN, 'udp-echo-client', '--host', first.daddr, '--port', String(first.port), '--message', 'podlab-trace', '--timeout-ms', String(timeoutMs)];
  const pt = performance.now();
  const r = await ex.run([...sourceArgv(state, req.from), ...probeArgv], { timeoutMs: timeoutMs + 2000 });
  const ms = Math.round(performance.now() - pt);
  let ok = r.exitCode === 0;
  let localPort: number | undefined;
  let probe = first.protocol === 'icmp' ? (ok ? 'echo reply' : 'no echo reply') : '';
  if (first.protocol !== 'icmp') {
    try {
      const o = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { ok?: boolean; error?: string; local?: string; localPort?: number };
      localPort = o.localPort;
      ok = o.ok === true;
      probe = ok ? `connected from ${o.local ?? '?'}` : (o.error ?? 'failed');
    } catch {
      probe = firstLine(r.stderr) || `exit ${r.exitCode}`;
    }
  }
  lap('probe');
  const after = await snapshot();
  // The conntrack entry on the node that forwarded (or DNATed) the first packet.
  const carrierAt = (first.hops.find((h) => h.kind === 'dnat') ?? first.hops.find((h) => h.kind === 'veth') ?? first.hops.find((h) => h.kind === 'reply'))?.at;
  const carrier = plan.nodes.find((n) => `node ${n.name}` === carrierAt);
  if (carrier && first.protocol !== 'icmp') {
    const of = (list: readonly (string | undefined)[]) => inFamily(list, first.family);
    const pod = view.pods.find((p) => `${p.namespace}/${p.name}` === req.from || p.name === req.from);
    const node = plan.nodes.find((n) => `node/${n.name}` === req.from);
    const host = plan.hosts.find((h) => `host/${h.name}` === req.from);
    const srcIp = first.hops.length ? (pod ? of([pod.ip, ...(pod.ips ?? []), ...(plan.pods.find((p) => p.name === pod.name && p.namespace === pod.namespace)?.ips ?? [])]) : node ? of(node.ips ?? [node.ip]) : host ? of(host.ips ?? [host.ip]) : undefined) : undefined;
    const ct = await ex.run(inNs(carrier.netns, ['conntrack', '-L', ...(six ? ['-f', 'ipv6'] : []), '-p', first.protocol, ...(srcIp ? ['-s', srcIp] : []), '-d', first.daddr, ...(first.port !== undefined ? ['--dport', String(first.port)] : [])]));
    // This probe's entry (its source port, when the probe said), else the freshest (the longest time left).
    const lines = ct.stdout.trim().split('\n').filter((l) => /src=/.test(l));
    const timeLeft = (l: string) => Number(l.trim().split(/\s+/)[2]) || 0;
    const line = (localPort !== undefined ? lines.find((l) => parseConntrack(l)?.orig.sport === localPort) : undefined) ?? lines.sort((a, b) => timeLeft(b) - timeLeft(a))[0];
    if (line) {
      facts.conntrack = line.replace(/\s+/g, ' ');
      const parsed = parseConntrack(line);
      if (parsed && first.endpoint) facts.chosenEndpoint = `${parsed.reply.src}:${parsed.reply.sport}`;
    }
  }
  lap('counters-after');

  // The prediction again, now with the facts (the endpoint conntrack names), then each hop judged against what was seen.
  let p = predictTrace(view, req, facts);
  const nodeHop = p.hops.find((h) => h.kind === 'node-route');
  if (nodeHop && !facts.routes![`${nodeHop.at}|${p.dest.ip}`]) {
    const ns = plan.nodes.find((n) => `node ${n.name}` === nodeHop.at)!.netns;
    facts.routes![`${nodeHop.at}|${p.dest.ip}`] = firstLine((await ex.run(inNs(ns, [...ipCmd, 'route', 'get', p.dest.ip]))).stdout);
    p = predictTrace(view, req, facts);
  }
  const grew = (node: string, dev: string, dir: 'rx' | 'tx') => {
    const i = nodes.findIndex((n) => n.name === node);
    if (i < 0) return 0;
    return (after[i]!.links[dev]?.[dir] ?? 0) - (before[i]!.links[dev]?.[dir] ?? 0);
  };
  const fired: Record<string, (CounterRule & { delta: number })[]> = {};
  nodes.forEach((n, i) => (fired[n.name] = firedBetween(before[i]!.policy, after[i]!.policy)));
  const nodeName = (h: Hop) => (h.at.startsWith('node ') ? h.at.slice(5) : '');
  const mark = (h: Hop, seen: boolean | undefined, observed: string) => {
    h.observed = observed;
    if (seen === undefined) return;
    if (h.status === 'dropped') return;
    h.status = seen ? 'confirmed' : 'differs';
  };
  const parsed = facts.conntrack ? parseConntrack(facts.conntrack) : undefined;
  for (const h of p.hops) {
    const n = nodeName(h);
    switch (h.kind) {
      case 'dns':
        mark(h, facts.dns ? facts.dns.answers.includes(first.daddr) : undefined, facts.dns ? `dig answered ${facts.dns.answers.join(', ') || 'nothing'}` : 'not asked');
        break;
      case 'route': {
        const rec = facts.routes![`${h.at}|${p.daddr}`] ?? '';
        mark(h, rec ? !/unreachable|error/i.test(rec) : undefined, `ip route get: ${rec}`);
        break;
      }
      case 'veth': {
        const dev = /↔ (\S+)/.exec(h.linux)?.[1] ?? '';
        const d = grew(n, dev, 'rx');
        mark(h, d > 0, `${dev} received ${d} packet${d === 1 ? '' : 's'} from the pod`);
        break;
      }
      case 'dnat':
        mark(h, parsed ? `${parsed.reply.src}:${parsed.reply.sport}` === `${p.endpoint?.ip}:${p.endpoint?.port}` : ok ? false : undefined, parsed ? `conntrack: ${p.daddr}:${p.port} was sent to ${parsed.reply.src}:${parsed.reply.sport}` : 'no conntrack entry');
        break;
      case 'policy': {
        const hits = Object.entries(fired).flatMap(([node, rs]) => rs.map((x) => `${node}: ${x.chain} "${x.comment}" +${x.delta}`));
        const predicted = /rules: (.*)$/.exec(h.linux)?.[1]?.split('; ') ?? [];
        const all = predicted.every((pr) => hits.some((x) => x.startsWith(pr.replace(/"$/, ''))));
        h.observed = hits.length ? `counters grew: ${hits.join('; ')}` : 'no policy rule counted it';
        if (h.status !== 'dropped') h.status = all ? 'confirmed' : 'differs';
        else if (!all) h.status = 'differs';
        break;
      }
      case 'node-route': {
        const rec = facts.routes![`${h.at}|${p.dest.ip}`] ?? '';
        const dev = /dev (\S+)/.exec(h.linux)?.[1];
        mark(h, rec ? !!dev && rec.includes(`dev ${dev}`) : undefined, `ip route get: ${rec}`);
        break;
      }
      case 'vxlan': {
        const dev = /FDB of (\S+)\)/.exec(h.linux)?.[1] ?? /^(\S+)/.exec(h.see?.split('dev ')[1] ?? '')?.[1] ?? '';
        const d = grew(n, dev, 'tx');
        mark(h, d > 0, `${dev} sent ${d} packet${d === 1 ? '' : 's'}`);
        break;
      }
      case 'fabric': {
        // Out of the node that routes it (tx on its node-network link), or into the node a NodePort is on (rx).
        const i = p.hops.indexOf(h);
        const next = p.hops[i + 1];
        const prev = p.hops[i - 1];
        const node = next?.kind === 'dnat' ? plan.nodes.find((x) => `node ${x.name}` === next.at) : plan.nodes.find((x) => `node ${x.name}` === prev?.at);
        if (!node) break;
        const dir = next?.kind === 'dnat' ? 'rx' : 'tx';
        const d = grew(node.name, node.iface, dir);
        mark(h, d > 0, `${node.iface} of ${node.name} ${dir === 'rx' ? 'received' : 'sent'} ${d} packet${d === 1 ? '' : 's'}`);
        break;
      }
      case 'snat': {
        const to = / becomes (\S+)/.exec(h.linux)?.[1];
        mark(h, parsed && to ? parsed.reply.dst === to : undefined, parsed ? `conntrack: the reply goes to ${parsed.reply.dst}` : 'no conntrack entry');
        break;
      }
      case 'bridge': {
        const dev = /to (\S+) \(FDB/.exec(h.linux)?.[1] ?? /dev (\S+) scope/.exec(h.linux)?.[1] ?? '';
        const d = grew(n, dev, 'tx');
        mark(h, d > 0, `${dev} sent ${d} packet${d === 1 ? '' : 's'} to the pod`);
        break;
      }
      case 'deliver':
        mark(h, ok, probe);
        break;
      case 'reply':
        mark(h, first.protocol === 'icmp' ? ok : !!facts.conntrack, facts.conntrack ? `conntrack: ${facts.conntrack}` : ok ? 'echo reply received' : 'no reply');
        break;
      default:
        break;
    }
  }
  const differences: string[] = [];
  if (p.outcome === 'delivered' && !ok) differences.push(`predicted delivered, but the probe failed: ${probe}`);
  if (p.outcome === 'dropped' && ok) differences.push('predicted dropped, but the probe got through');
  for (const h of p.hops) if (h.status === 'differs') differences.push(`${h.kind} at ${h.at}: predicted "${h.linux}", seen "${h.observed}"`);
  lap('judge');
  return { ...p, observed: { probe, ok, ms, differences }, facts, timings };
}
