/**
 * What a live lab's NetworkPolicy tables counted: the counters of `ip podlab-policy` per node
 * (read with `nft -j`), and one real connection attempt between two snapshots, so that `podlab
 * explain` and `podlab trace` name the rule that *did* fire, not only the one predicted. Rules are
 * matched by chain and comment (the policy compiler gives every counting rule one).
 */
import { NETNS_RUN_DIR, POLICY } from '../constants.ts';
import { PROBE_BIN } from './artifacts.ts';
import { sourceArgv } from './enter.ts';
import type { Executor } from './exec.ts';
import type { LabState } from './state.ts';

export interface CounterRule {
  chain: string;
  comment: string;
  packets: number;
}

interface NftJson {
  nftables: { rule?: { chain: string; comment?: string; expr: { counter?: { packets: number } }[] } }[];
}

/** The counting rules of a node's policy table; [] when the node has none (a lab without policies). */
export function parseCounters(json: string): CounterRule[] {
  const out: CounterRule[] = [];
  for (const o of (JSON.parse(json) as NftJson).nftables) {
    const r = o.rule;
    if (!r?.comment) continue;
    const c = r.expr.find((e) => e.counter)?.counter;
    if (c) out.push({ chain: r.chain, comment: r.comment, packets: c.packets });
  }
  return out;
}

export async function readCounters(ex: Executor, netns: string, table: string = POLICY.table, family: 'ip' | 'ip6' = 'ip'): Promise<CounterRule[]> {
  const r = await ex.run(['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', 'nft', '-j', 'list', 'table', family, table]);
  return r.exitCode === 0 ? parseCounters(r.stdout) : [];
}

/** Rules whose counter grew between two snapshots of one node, with by how much. */
export function firedBetween(before: readonly CounterRule[], after: readonly CounterRule[]): (CounterRule & { delta: number })[] {
  const was = new Map(before.map((r) => [`${r.chain}\n${r.comment}`, r.packets]));
  return after.flatMap((r) => {
    const delta = r.packets - (was.get(`${r.chain}\n${r.comment}`) ?? 0);
    return delta > 0 ? [{ ...r, delta }] : [];
  });
}

export interface ProbeOutcome {
  ok: boolean;
  /** The probe's own words: `connected`, `ECONNREFUSED`, `timeout`, … */
  detail: string;
  ms: number;
}

/** One connection attempt with podlab's probe from a lab source (pod, node/…, host/…); ICMP: one ping. */
export async function probeOnce(ex: Executor, state: LabState, from: string, ip: string, port: number, protocol: 'TCP' | 'UDP' | 'ICMP', timeoutMs = 1000): Promise<ProbeOutcome> {
  if (protocol === 'ICMP') {
    const t = performance.now();
    const r = await ex.run([...sourceArgv(state, from), 'ping', '-n', '-c', '1', '-W', String(timeoutMs / 1000), ip], { timeoutMs: timeoutMs + 2000 });
    const ms = Math.round(performance.now() - t);
    return { ok: r.exitCode === 0, detail: r.exitCode === 0 ? 'echo reply' : `no echo reply in ${timeoutMs} ms`, ms };
  }
  const argv = protocol === 'TCP'
    ? [PROBE_BIN, 'tcp-connect', '--host', ip, '--port', String(port), '--timeout-ms', String(timeoutMs)]
    : [PROBE_BIN, 'udp-echo-client', '--host', ip, '--port', String(port), '--message', 'podlab-trace', '--timeout-ms', String(timeoutMs)];
  const t = performance.now();
  const r = await ex.run([...sourceArgv(state, from), ...argv], { timeoutMs: timeoutMs + 2000 });
  const ms = Math.round(performance.now() - t);
  const last = r.stdout.trim().split('\n').at(-1);
  try {
    const out = JSON.parse(last ?? '') as { ok?: boolean; error?: string; local?: string };
    return { ok: out.ok === true, detail: out.ok ? `connected from ${out.local ?? '?'}` : (out.error ?? 'failed'), ms };
  } catch {
    return { ok: false, detail: (r.stderr || r.stdout).trim() || `exit ${r.exitCode}`, ms };
  }
}

/** Per node, the policy rules whose counters grew between two snapshots. */
export type Fired = Record<string, (CounterRule & { delta: number })[]>;

/** Snapshots the given nodes' policy counters (the table of the probe's family), runs `probe`, snapshots again: the rules that fired on each node. */
export async function observeCounters<T>(ex: Executor, state: LabState, nodes: readonly string[], probe: () => Promise<T>, family: 'ip' | 'ip6' = 'ip'): Promise<{ result: T; fired: Fired }> {
  const netns = (n: string) => state.plan.nodes.find((x) => x.name === n)!.netns;
  const before = await Promise.all(nodes.map((n) => readCounters(ex, netns(n), undefined, family)));
  const result = await probe();
  const after = await Promise.all(nodes.map((n) => readCounters(ex, netns(n), undefined, family)));
  const fired: Fired = {};
  nodes.forEach((n, i) => (fired[n] = firedBetween(before[i]!, after[i]!)));
  return { result, fired };
}
