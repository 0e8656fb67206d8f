/**
 * Error baselines: every `test/fixtures/bad-labs/*.lab.ts` is an invalid lab. Each must fail to
 * compile (no typecheck), print exactly the diagnostics recorded next to it in `*.expected.txt`
 * (formatDiagnostic without code frame, one per diagnostic, paths relative to the repo root), and
 * include the codes its first line promises (`// expect: PL2006[, PL2005]`), so a baseline that is
 * regenerated blindly still cannot lose the point of the case.
 *
 *   UPDATE_BASELINES=1 npx vitest run test/unit/error-baselines.test.ts   # (re)writes *.expected.txt
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileLab, type CompileResult } from '../../src/compile/compile.ts';
import { CODES, formatDiagnostic } from '../../src/compile/diagnostics.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DIR = join(ROOT, 'test/fixtures/bad-labs');
const UPDATE = process.env.UPDATE_BASELINES === '1';
/** Each compile spawns a child process (~0.4 s); a few at a time keeps the suite fast without swamping the machine. 170 fixtures take ~20 s alone, and over 120 s on two shared cores under a load of 20: the hook allows 300 s. */
const CONCURRENCY = 4;

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.lab.ts'))
  .sort();

const results = new Map<string, CompileResult>();

async function mapLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Diagnostics as the baseline records them: no code frame, file relative to the repo root wherever vitest runs from. */
function formatted(r: CompileResult): string {
  return r.diagnostics
    .map((d) => formatDiagnostic(d.file ? { ...d, file: relative(ROOT, resolve(d.file)) } : d))
    .join('\n');
}

/** The codes a fixture promises on its first line: `// expect: PL1005, PL2006`. */
function expectedCodes(source: string): string[] {
  const first = source.split('\n', 1)[0] ?? '';
  const m = /^\/\/ expect: (PL\d{4}(?:, PL\d{4})*)\s*$/.exec(first);
  return m ? m[1]!.split(', ') : [];
}

beforeAll(async () => {
  await mapLimited(fixtures, CONCURRENCY, async (f) => {
    results.set(f, await compileLab(join(DIR, f), { typecheck: false }));
  });
}, 300_000);

describe('error baselines (test/fixtures/bad-labs)', () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(55);
  });

  it('has no stray baselines', () => {
    const labs = new Set(fixtures.map((f) => f.replace(/\.lab\.ts$/, '')));
    const orphans = readdirSync(DIR)
      .filter((f) => f.endsWith('.expected.txt'))
      .filter((f) => !labs.has(f.replace(/\.expected\.txt$/, '')));
    expect(orphans).toEqual([]);
  });

  describe.each(fixtures)('%s', (f) => {
    const baseline = join(DIR, f.replace(/\.lab\.ts$/, '.expected.txt'));

    it('names the codes it expects on its first line', () => {
      const codes = expectedCodes(readFileSync(join(DIR, f), 'utf8'));
      expect(codes, 'first line must be `// expect: PLxxxx[, PLyyyy]`').not.toEqual([]);
      for (const c of codes) expect(Object.keys(CODES), `${c} is not in the CODES catalogue`).toContain(c);
    });

    it('is rejected, with the expected codes', () => {
      const r = results.get(f)!;
      expect(r.lab).toBeUndefined();
      expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
      const got = new Set(r.diagnostics.map((d) => d.code));
      for (const c of expectedCodes(readFileSync(join(DIR, f), 'utf8'))) expect([...got], `${f} must report ${c}`).toContain(c);
    });

    it('prints the baseline diagnostics', () => {
      const actual = `${formatted(results.get(f)!)}\n`;
      if (UPDATE) writeFileSync(baseline, actual);
      let expected: string;
      try {
        expected = readFileSync(baseline, 'utf8');
      } catch {
        throw new Error(`no baseline ${relative(ROOT, baseline)}; run with UPDATE_BASELINES=1 to create it`);
      }
      expect(actual).toBe(expected);
    });
  });
});
