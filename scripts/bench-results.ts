/**
 * One file tracks every figure (issue 28): each benchmark writes its own file in bench/results/,
 * and `writeBenchResult` also records it in bench/results/latest.json under `suites.<name>`, with
 * the commit and time of the run, so `git log -p bench/results/latest.json` shows every figure
 * over commits. `npm run bench` keeps the suites when it rewrites latest.json.
 *
 *   node --import tsx scripts/bench-results.ts [--collect]   (npm run bench:results)
 *
 * prints what latest.json holds (each section and suite with the commit and time that measured
 * it); `--collect` first records every file in bench/results/ that is not in it yet or is newer
 * (for figures written before this module: their commit is the one that last changed the file).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const RESULTS_DIR = join(ROOT, 'bench/results');
export const LATEST = 'latest.json';

export interface SuiteEntry {
  /** The suite's own file, relative to the repository. */
  file: string;
  /** The commit whose code was measured (for a collected file: the commit that last changed it). */
  commit: string;
  /** When it was measured: the run's end; for a collected file its own time, else its commit's. */
  at: string;
  how: 'run' | 'collected';
  figures: unknown;
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function headCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** The suites latest.json holds now (none when it does not exist). */
export function suitesOf(resultsDir = RESULTS_DIR): Record<string, SuiteEntry> {
  return (readJson(join(resultsDir, LATEST))?.suites as Record<string, SuiteEntry> | undefined) ?? {};
}

/** Sets one suite in latest.json, keeping everything else in it. */
export function recordSuite(name: string, entry: SuiteEntry, resultsDir = RESULTS_DIR): void {
  const path = join(resultsDir, LATEST);
  const latest = readJson(path) ?? {};
  const suites = { ...((latest.suites as Record<string, SuiteEntry> | undefined) ?? {}), [name]: entry };
  writeFileSync(path, json({ ...latest, suites: Object.fromEntries(Object.entries(suites).sort(([a], [b]) => a.localeCompare(b))) }));
}

/**
 * Writes a benchmark's result to `file`; when that file is in the results folder (not a file of an
 * experiment, `--out /tmp/…`), records it in latest.json too, as the suite named after the file.
 */
export function writeBenchResult(file: string, result: unknown, o: { resultsDir?: string; commit?: string } = {}): void {
  const resultsDir = o.resultsDir ?? RESULTS_DIR;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, json(result));
  if (resolve(dirname(file)) !== resolve(resultsDir) || basename(file) === LATEST) return;
  const name = basename(file, '.json');
  recordSuite(name, { file: `bench/results/${basename(file)}`, commit: o.commit ?? headCommit(), at: new Date().toISOString(), how: 'run', figures: result }, resultsDir);
}

/** Which run measured a section of latest.json. */
export interface Measured {
  at: string;
  commit: string;
  command: string;
}

/**
 * The latest.json a run of scripts/bench.ts writes: its header and the sections it ran, each
 * named in `measured`. A partial run (--only) keeps the previous file's other sections, each with
 * the run that measured it, and the lab sizes that did not run (each size carries its own
 * `measured`). Every run keeps the other benchmarks' suites.
 */
export function mergeRun(
  existing: Record<string, unknown>,
  run: { header: Record<string, unknown>; sections: Record<string, unknown>; measured: Measured },
  partial: boolean,
  sizeOrder: readonly string[],
): Record<string, unknown> {
  const previous: Record<string, unknown> = partial ? existing : existing.suites ? { suites: existing.suites } : {};
  const sections = Object.fromEntries(Object.entries(run.sections).filter(([, v]) => v !== undefined));
  if (Array.isArray(sections.sizes)) {
    const ran = (sections.sizes as { id: string }[]).map((z) => ({ ...z, measured: run.measured }));
    const kept = ((previous.sizes as { id: string }[] | undefined) ?? []).filter((p) => !ran.some((z) => z.id === p.id));
    sections.sizes = [...ran, ...kept].sort((a, b) => sizeOrder.indexOf(a.id) - sizeOrder.indexOf(b.id));
  }
  // Files from before `measured` named the one run that measured all of them.
  const legacy = Object.fromEntries(['sizes', 'cli'].filter((k) => previous[k]).map((k) => [k, { at: previous.at, commit: previous.commit, command: previous.command }]));
  const measured: Record<string, unknown> = { ...((previous.measured as Record<string, unknown> | undefined) ?? legacy) };
  for (const k of Object.keys(sections)) measured[k] = run.measured;
  return { ...previous, ...run.header, ...sections, measured };
}

/** The time a result file gives itself, if it does (each suite names it its own way). */
function ownTime(figures: Record<string, unknown>): string | undefined {
  for (const k of ['at', 'date', 'measuredAt']) if (typeof figures[k] === 'string') return figures[k];
  return undefined;
}

/** Records every result file that latest.json does not hold as it is now; returns the names recorded. */
export function collect(resultsDir = RESULTS_DIR, commitOf: (file: string) => { commit: string; at: string } = lastCommitOf): string[] {
  const have = suitesOf(resultsDir);
  const done: string[] = [];
  for (const f of readdirSync(resultsDir).filter((n) => n.endsWith('.json') && n !== LATEST).sort()) {
    const figures = readJson(join(resultsDir, f));
    const name = basename(f, '.json');
    if (!figures || JSON.stringify(have[name]?.figures) === JSON.stringify(figures)) continue;
    const last = commitOf(join(resultsDir, f));
    recordSuite(name, { file: `bench/results/${f}`, commit: last.commit, at: ownTime(figures) ?? last.at, how: 'collected', figures }, resultsDir);
    done.push(name);
  }
  return done;
}

/** The commit that last changed a file, and its time (a file never committed: now). */
function lastCommitOf(file: string): { commit: string; at: string } {
  try {
    const [commit, at] = execFileSync('git', ['log', '-1', '--format=%h %cI', '--', file], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(' ');
    if (commit && at) return { commit, at: new Date(at).toISOString() };
  } catch {
    /* not a git checkout */
  }
  return { commit: 'uncommitted', at: new Date().toISOString() };
}

/** What latest.json holds, one line per section and suite: which commit measured it, and when. */
export function summary(resultsDir = RESULTS_DIR): string {
  const latest = readJson(join(resultsDir, LATEST));
  if (!latest) return `no ${LATEST} in ${resultsDir}: run npm run bench\n`;
  const rows: string[][] = [['what', 'commit', 'at', 'how']];
  for (const [k, m] of Object.entries((latest.measured as Record<string, { commit: string; at: string }> | undefined) ?? {})) rows.push([`bench: ${k}`, m.commit, m.at, 'run']);
  for (const [k, s] of Object.entries(suitesOf(resultsDir))) rows.push([`${k} (${s.file})`, s.commit, s.at, s.how]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write('usage: node --import tsx scripts/bench-results.ts [--collect]\n  prints which commit measured each figure in bench/results/latest.json; --collect first records the other result files in it\n');
    process.exit(0);
  }
  if (args.includes('--collect')) {
    if (!existsSync(join(RESULTS_DIR, LATEST))) throw new Error(`no ${LATEST}: run npm run bench first`);
    const done = collect();
    process.stdout.write(done.length ? `recorded in ${LATEST}: ${done.join(', ')}\n` : `${LATEST} already holds every result file as it is\n`);
  }
  process.stdout.write(summary());
}
