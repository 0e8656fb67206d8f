/**
 * The nftables sync of a live lab: every table of the registry (plan/nft-tables.ts: kube-proxy's,
 * NetworkPolicy's) built for every namespace that holds tables, and applied as one `nft -f`
 * transaction per namespace. The tables last applied are kept beside the state journal
 * (nft-tables.json); the next sync sends only the difference (diffTable), or the whole table when
 * none was applied yet, or deletes a table that is no longer wanted. Nothing is recorded unless
 * nft accepted the transaction.
 *
 * A difference is right only if the kernel still holds the table last applied. A learner may have
 * flushed or deleted it (`nft flush table ip podlab`): then the diff would "succeed" and leave the
 * chains empty. So before sending a difference to a probed table (kube-proxy's) the sync reads
 * that table's first base chain, one small `nft -j list chain`, and if its rules are not the ones
 * podlab wrote there it rewrites the table whole, as kube-proxy falls back to a full sync when a
 * partial one cannot be trusted. `podlab doctor --lab` compares whole tables (tableDrift).
 */
import { readFileSync } from 'node:fs';
import { NETNS_RUN_DIR } from '../constants.ts';
import { nftTargets, TABLE_BUILDERS, type NftTarget, type NftView } from '../plan/nft-tables.ts';
import { diffTable, renderTable, type NftChain, type NftTable } from '../nft/table.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { must, type Executor } from './exec.ts';
import { stateDir, type LabState } from './state.ts';

/** netns → table name → the table as last applied. */
export type AppliedTables = Record<string, Record<string, NftTable>>;

const appliedPath = (lab: string) => `${stateDir(lab)}/nft-tables.json`;

export function readAppliedTables(lab: string): AppliedTables {
  try {
    return JSON.parse(readFileSync(appliedPath(lab), 'utf8')) as AppliedTables;
  } catch {
    return {};
  }
}

export interface NftSyncReport {
  /**
   * Namespaces whose tables changed, with the transaction's size in lines; `rewritten`: the tables
   * (keys of the registry) written whole because the kernel's was not what podlab left there.
   */
  applied: { target: string; lines: number; ms: number; rewritten?: string[] }[];
}

const nft = (netns: string) => ['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', 'nft', '-f', '-'];

/**
 * The transaction that takes a namespace from `before` to the tables of `view` (and those tables),
 * or '' when nothing changes. `fresh`: the namespace was just created, so it holds no table at all.
 */
export function namespaceScript(view: NftView, target: NftTarget, before: Record<string, NftTable>, fresh = false): { script: string; tables: Record<string, NftTable>; changed: string[] } {
  const parts: string[] = [];
  const changed: string[] = [];
  const tables: Record<string, NftTable> = {};
  for (const b of TABLE_BUILDERS) {
    const next = b.build(view, target);
    const prev = before[b.table];
    if (next) tables[b.table] = next;
    if (!next && !prev) continue;
    const part = !next ? `delete table ${prev!.family} ${prev!.name}\n` : !prev ? renderTable(next, [], { fresh }) : diffTable(prev, next);
    if (part) changed.push(b.table);
    parts.push(part);
  }
  return { script: parts.join(''), tables, changed };
}

/** The chain a probe reads: the table's first base chain (written with the table, never changed by a diff). */
export const probeChain = (t: NftTable): NftChain | undefined => t.chains.find((c) => c.hook);

/** What nft's JSON listing (`nft -j list table|chain`) holds: rules per chain, elements per set or map. Undefined when it is not such a listing. Pure. */
export function parseNftListing(stdout: string): { chains: Map<string, number>; sets: Map<string, number> } | undefined {
  let doc: { nftables?: Record<string, { name?: string; chain?: string; elem?: unknown[] }>[] };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    return undefined;
  }
  if (!Array.isArray(doc.nftables)) return undefined;
  const chains = new Map<string, number>();
  const sets = new Map<string, number>();
  for (const o of doc.nftables) {
    if (o.chain?.name) chains.set(o.chain.name, chains.get(o.chain.name) ?? 0);
    if (o.rule?.chain) chains.set(o.rule.chain, (chains.get(o.rule.chain) ?? 0) + 1);
    const set = o.set ?? o.map;
    if (set?.name) sets.set(set.name, set.elem?.length ?? 0);
  }
  return { chains, sets };
}

const listArgv = (netns: string, what: string[]) => ['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', 'nft', '-j', 'list', ...what];

/**
 * The keys of the probed tables in `before` that the kernel does not hold as podlab wrote them:
 * the table or its probe chain gone, or the chain's rule count not the one written. A listing nft
 * did not give (a recording executor's empty answer) is no evidence: the journal is trusted.
 */
async function driftedTables(ex: Executor, netns: string, before: Record<string, NftTable>, changed: readonly string[]): Promise<string[]> {
  const probed = TABLE_BUILDERS.filter((b) => b.probed && before[b.table] && changed.includes(b.table));
  const found = await Promise.all(
    probed.map(async (b) => {
      const t = before[b.table]!;
      const chain = probeChain(t);
      if (!chain) return undefined;
      const r = await ex.run(listArgv(netns, ['chain', t.family, t.name, chain.name]));
      if (r.exitCode !== 0) return b.table;
      const listing = parseNftListing(r.stdout);
      return listing && listing.chains.get(chain.name) !== chain.rules.length ? b.table : undefined;
    }),
  );
  return found.filter((k): k is string => k !== undefined);
}

/** One difference between a table as podlab wrote it and as the kernel holds it. */
export interface TableDrift {
  target: string;
  /** The table's key in the registry: `podlab`, `ip6 podlab`. */
  table: string;
  /** In words: `gone`, `chain services: 0 rules (podlab wrote 2)`, `set cluster-ips: 3 elements (podlab wrote 9)`. */
  differences: string[];
}

/**
 * How each probed table of a live lab differs from what podlab last wrote, by chain and set:
 * missing, extra, or with another count of rules or elements (sets that record clients at run
 * time, the dynamic ones, are left out). Empty when every table is as written. For `doctor`.
 */
export async function tableDrift(ex: Executor, state: LabState): Promise<TableDrift[]> {
  const last = readAppliedTables(state.lab);
  const out: TableDrift[] = [];
  for (const target of nftTargets(state.plan)) {
    for (const b of TABLE_BUILDERS.filter((x) => x.probed)) {
      const t = last[target.netns]?.[b.table];
      if (!t) continue;
      const r = await ex.run(listArgv(target.netns, ['table', t.family, t.name]));
      const listing = r.exitCode === 0 ? parseNftListing(r.stdout) : undefined;
      const differences = !listing ? [r.exitCode === 0 ? 'unreadable' : 'gone'] : compareListing(t, listing);
      if (differences.length) out.push({ target: target.name, table: b.table, differences });
    }
  }
  return out;
}

/** The differences between a table as written and a listing of it. Pure. */
export function compareListing(t: NftTable, listing: { chains: Map<string, number>; sets: Map<string, number> }): string[] {
  const out: string[] = [];
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  for (const c of t.chains) {
    const have = listing.chains.get(c.name);
    if (have === undefined) out.push(`chain ${c.name} missing`);
    else if (have !== c.rules.length) out.push(`chain ${c.name}: ${n(have, 'rule')} (podlab wrote ${c.rules.length})`);
  }
  for (const name of listing.chains.keys()) if (!t.chains.some((c) => c.name === name)) out.push(`chain ${name} not podlab's`);
  for (const s of t.sets) {
    const have = listing.sets.get(s.name);
    if (have === undefined) out.push(`${s.kind} ${s.name} missing`);
    else if (!s.spec.some((l) => l.includes('dynamic')) && have !== s.elements.length) out.push(`${s.kind} ${s.name}: ${n(have, 'element')} (podlab wrote ${s.elements.length})`);
  }
  return out;
}

/**
 * Brings every namespace's tables in line with `view`. Concurrent calls for one lab must not
 * overlap (callers are sequential). `fresh`: `up`'s first sync, into namespaces it just created.
 */
export async function syncTables(ex: Executor, state: LabState, view: NftView, fresh = false): Promise<NftSyncReport> {
  const applied: NftSyncReport['applied'] = [];
  const last = readAppliedTables(state.lab);
  const next: AppliedTables = {};
  const results = await Promise.allSettled(
    nftTargets(state.plan).map(async (t) => {
      const before = last[t.netns] ?? {};
      next[t.netns] = before;
      let { script, tables, changed } = namespaceScript(view, t, before, fresh);
      let rewritten: string[] = [];
      if (changed.length && !fresh) {
        // A difference only from a table the kernel still holds as written; else that table whole.
        rewritten = await driftedTables(ex, t.netns, before, changed);
        if (rewritten.length) ({ script, tables } = namespaceScript(view, t, Object.fromEntries(Object.entries(before).filter(([k]) => !rewritten.includes(k)))));
      }
      if (script) {
        const started = performance.now();
        await must(ex, nft(t.netns), { input: script });
        applied.push({ target: t.name, lines: script.split('\n').length - 1, ms: Math.round(performance.now() - started), ...(rewritten.length ? { rewritten } : {}) });
      }
      next[t.netns] = tables;
    }),
  );
  // What nft accepted is recorded even when another namespace failed, so the next diff starts from the truth.
  writeFileAtomic(appliedPath(state.lab), JSON.stringify(next));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { applied };
}
