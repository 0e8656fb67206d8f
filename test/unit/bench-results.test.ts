/**
 * One file tracks every figure (scripts/bench-results.ts): a benchmark that writes its result into
 * bench/results/ records it in latest.json as a suite, with the commit that measured it; `npm run
 * bench` keeps those suites, and with --only the sections and lab sizes it did not run. In a
 * temporary results folder, never the committed one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, mergeRun, summary, writeBenchResult } from '../../scripts/bench-results.ts';

let dir: string;
const latest = () => JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Record<string, unknown>;
const run1 = { at: '2026-12-07T09:00:00.000Z', commit: 'aaa1111', command: 'node --import tsx scripts/bench.ts' };
const run2 = { at: '2026-12-07T10:00:00.000Z', commit: 'bbb2222', command: 'node --import tsx scripts/bench.ts --only flagship' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'podlab-bench-results-'));
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ version: 1, commit: 'aaa1111', sizes: [{ id: 'flagship', upMs: 70 }], measured: { sizes: run1 } }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('bench results: one file tracks every figure', () => {
  it("a benchmark's result written into the results folder becomes a suite of latest.json, which keeps the rest", () => {
    writeBenchResult(join(dir, 'grade.json'), { grade: { classMs: 5400 } }, { resultsDir: dir, commit: 'ccc3333' });
    expect(JSON.parse(readFileSync(join(dir, 'grade.json'), 'utf8'))).toEqual({ grade: { classMs: 5400 } });
    const l = latest();
    expect(l.sizes).toEqual([{ id: 'flagship', upMs: 70 }]);
    expect(l.suites).toEqual({ grade: { file: 'bench/results/grade.json', commit: 'ccc3333', at: expect.any(String), how: 'run', figures: { grade: { classMs: 5400 } } } });
    // A second suite joins the first; the same suite again replaces its figures.
    writeBenchResult(join(dir, 'services.json'), { rows: [1] }, { resultsDir: dir, commit: 'ccc3333' });
    writeBenchResult(join(dir, 'grade.json'), { grade: { classMs: 5000 } }, { resultsDir: dir, commit: 'ddd4444' });
    const suites = latest().suites as Record<string, { commit: string; figures: unknown }>;
    expect(Object.keys(suites)).toEqual(['grade', 'services']);
    expect(suites.grade).toMatchObject({ commit: 'ddd4444', figures: { grade: { classMs: 5000 } } });
  });

  it('a result written elsewhere (an experiment with --out) is not recorded', () => {
    const other = mkdtempSync(join(tmpdir(), 'podlab-bench-other-'));
    try {
      writeBenchResult(join(other, 'grade.json'), { grade: 1 }, { resultsDir: dir, commit: 'x' });
      expect(latest().suites).toBeUndefined();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('npm run bench keeps the suites; with --only also the sections and lab sizes it did not run, each naming its run', () => {
    writeBenchResult(join(dir, 'grade.json'), { grade: 1 }, { resultsDir: dir, commit: 'ccc3333' });
    const before: Record<string, unknown> = { ...latest(), sizes: [{ id: 'flagship', upMs: 70 }, { id: '10x10', upMs: 560, measured: run1 }], cli: { upMs: 150 }, measured: { sizes: run1, cli: run1 } };
    const order = ['flagship', '10x10', '4x250'];
    const partial = mergeRun(before, { header: { version: 1, commit: run2.commit }, sections: { sizes: [{ id: 'flagship', upMs: 66 }], cli: undefined }, measured: run2 }, true, order);
    expect(partial.sizes).toEqual([{ id: 'flagship', upMs: 66, measured: run2 }, { id: '10x10', upMs: 560, measured: run1 }]);
    expect(partial.cli).toEqual({ upMs: 150 });
    expect(partial.measured).toEqual({ sizes: run2, cli: run1 });
    expect(partial.suites).toEqual(before.suites);
    // A full run drops what it did not measure, but not the other benchmarks' suites.
    const full = mergeRun(before, { header: { version: 1 }, sections: { sizes: [{ id: '4x250', upMs: 6900 }] }, measured: run2 }, false, order);
    expect(full.sizes).toEqual([{ id: '4x250', upMs: 6900, measured: run2 }]);
    expect(full.cli).toBeUndefined();
    expect(full.measured).toEqual({ sizes: run2 });
    expect(full.suites).toEqual(before.suites);
  });

  it('--collect records the result files latest.json does not hold as they are, once', () => {
    writeFileSync(join(dir, 'services.json'), JSON.stringify({ at: '2026-12-01T00:00:00.000Z', rows: [1, 2] }));
    writeFileSync(join(dir, 'trace.json'), JSON.stringify({ medianMs: 80 }));
    writeBenchResult(join(dir, 'grade.json'), { grade: 1 }, { resultsDir: dir, commit: 'ccc3333' });
    const committed = { commit: 'eee5555', at: '2026-12-02T00:00:00.000Z' };
    expect(collect(dir, () => committed)).toEqual(['services', 'trace']);
    const suites = latest().suites as Record<string, unknown>;
    // Its own time when it has one, else its commit's.
    expect(suites.services).toEqual({ file: 'bench/results/services.json', commit: 'eee5555', at: '2026-12-01T00:00:00.000Z', how: 'collected', figures: { at: '2026-12-01T00:00:00.000Z', rows: [1, 2] } });
    expect(suites.trace).toMatchObject({ commit: 'eee5555', at: '2026-12-02T00:00:00.000Z' });
    expect(suites.grade).toMatchObject({ commit: 'ccc3333', how: 'run' });
    expect(collect(dir, () => ({ commit: 'fff6666', at: '' }))).toEqual([]);
    // The summary names every section and suite with the commit that measured it.
    const text = summary(dir);
    expect(text).toMatch(/bench: sizes\s+aaa1111/);
    expect(text).toMatch(/grade \(bench\/results\/grade\.json\)\s+ccc3333 .* run/);
    expect(text).toMatch(/services \(bench\/results\/services\.json\)\s+eee5555 .* collected/);
  });
});
