/**
 * The nftables sync of a live lab: every table of the registry (plan/nft-tables.ts: kube-proxy's,
 * NetworkPolicy's) built for every namespace that holds tables, and applied as one `nft -f`
 * transaction per namespace. The tables last applied are kept beside the state journal
 * (nft-tables.json); the next sync sends only the difference (diffTable), or the whole table when
 * none was applied yet, or deletes a table that is no longer wanted. Nothing is recorded unless
 * nft accepted the transaction.
 */
import { readFileSync } from 'node:fs';
import { NETNS_RUN_DIR } from '../constants.ts';
import { nftTargets, TABLE_BUILDERS, type NftTarget, type NftView } from '../plan/nft-tables.ts';
import { diffTable, renderTable, type NftTable } from '../nft/table.ts';
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
  /** Namespaces whose tables changed, with the transaction's size in lines. */
  applied: { target: string; lines: number; ms: number }[];
}

const nft = (netns: string) => ['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', 'nft', '-f', '-'];

/**
 * The transaction that takes a namespace from `before` to the tables of `view` (and those tables),
 * or '' when nothing changes. `fresh`: the namespace was just created, so it holds no table at all.
 */
export function namespaceScript(view: NftView, target: NftTarget, before: Record<string, NftTable>, fresh = false): { script: string; tables: Record<string, NftTable> } {
  const parts: string[] = [];
  const tables: Record<string, NftTable> = {};
  for (const b of TABLE_BUILDERS) {
    const next = b.build(view, target);
    const prev = before[b.table];
    if (next) tables[b.table] = next;
    if (!next && !prev) continue;
    if (!next) parts.push(`delete table ${prev!.family} ${prev!.name}\n`);
    else if (!prev) parts.push(renderTable(next, [], { fresh }));
    else parts.push(diffTable(prev, next));
  }
  return { script: parts.join(''), tables };
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
      const { script, tables } = namespaceScript(view, t, before, fresh);
      if (script) {
        const started = performance.now();
        await must(ex, nft(t.netns), { input: script });
        applied.push({ target: t.name, lines: script.split('\n').length - 1, ms: Math.round(performance.now() - started) });
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
