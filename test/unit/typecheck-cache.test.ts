/**
 * The type check's cache (src/compile/typecheck-cache.ts): an unchanged lab is served from it, a
 * changed lab or a changed import is checked again, and an entry never answers for another file.
 * In-process, with a cache directory of the test's own.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { cacheDir, type CacheEntry } from '../../src/compile/typecheck-cache.ts';
import { typecheckLab } from '../../src/compile/typecheck.ts';
import { ownCacheDir } from './own-cache-dir.ts';

const dir = ownCacheDir('.tmp-tc-');

const lab = (name: string, nodeIp: string) => ["import { defineLab } from 'podlab';", "import { extra } from './helper.ts';", 'export default defineLab({', `  name: '${name}',`, `  nodes: { w1: { ip: ${nodeIp} } },`, '  ...extra,', '});', ''].join('\n');
const entries = () => readdirSync(cacheDir()).filter((f) => f.endsWith('.json'));
const codes = (ds: { message: string }[]) => ds.map((d) => d.message.split(':')[0]);

describe('type-check cache', () => {
  it('serves an unchanged lab, and checks an edited lab or import again', async () => {
    const file = join(dir, 'edit.lab.ts');
    writeFileSync(join(dir, 'helper.ts'), 'export const extra = {};\n');
    writeFileSync(file, lab('edit', "'172.16.94.11'"));
    const first = await compileLab(file, { typecheck: true });
    expect(first.diagnostics).toEqual([]);
    expect(first.lab?.name).toBe('edit');
    expect(entries()).toHaveLength(1);

    // Served from the cache: a diagnostic planted in the entry comes back as is.
    const path = join(cacheDir(), entries()[0]!);
    const entry = JSON.parse(readFileSync(path, 'utf8')) as CacheEntry;
    expect(entry.file).toBe(resolve(file));
    expect(entry.inputs.map((i) => i.path)).toContain(resolve(dir, 'helper.ts'));
    writeFileSync(path, JSON.stringify({ ...entry, diagnostics: [{ code: 'PL0004', severity: 'error', message: 'TS9999: planted', path: [], line: 1, column: 1 }] }));
    expect(codes(await typecheckLab(file))).toEqual(['TS9999']);

    // The lab edited between two validates: the new type error, at its line.
    writeFileSync(file, lab('edit', '42'));
    // (validate reports the mistake once, as the schema's PL1004: one-per-mistake.ts)
    const second = await compileLab(file, { typecheck: true });
    expect(second.diagnostics.map((d) => [d.code, d.line])).toEqual([['PL1004', 5]]);
    const typeErrors = await typecheckLab(file);
    expect(typeErrors).toHaveLength(1);
    expect(typeErrors[0]).toMatchObject({ file, line: 5 });
    expect(typeErrors[0]!.message).toMatch(/^TS2322: /);

    // Fixed again: valid again (the entry follows the file, one per lab).
    writeFileSync(file, lab('edit', "'172.16.94.11'"));
    expect(await typecheckLab(file)).toEqual([]);
    expect(entries()).toHaveLength(1);

    // An import edited, the lab not: checked again.
    writeFileSync(join(dir, 'helper.ts'), "export const extra = { podCidr: 7 };\n");
    expect(codes(await typecheckLab(file))).toEqual(['TS2345']);
    // Four type checks and two sandboxed evaluations: 45 s alone at load 15 on two shared cores, over 60 s in the full suite.
  }, 120_000);

  it("never serves another file's entry", async () => {
    writeFileSync(join(dir, 'helper.ts'), 'export const extra = {};\n');
    const bad = join(dir, 'bad.lab.ts');
    const good = join(dir, 'good.lab.ts');
    writeFileSync(bad, lab('bad', '42'));
    writeFileSync(good, lab('good', "'172.16.94.11'"));
    expect(codes(await typecheckLab(bad))).toEqual(['TS2322']);
    expect(await typecheckLab(good)).toEqual([]);
    const byFile = new Map(entries().map((f) => [(JSON.parse(readFileSync(join(cacheDir(), f), 'utf8')) as CacheEntry).file, join(cacheDir(), f)]));
    // bad's entry copied over good's: it names another file, so it is a miss, and good is checked.
    writeFileSync(byFile.get(resolve(good))!, readFileSync(byFile.get(resolve(bad))!));
    expect(await typecheckLab(good)).toEqual([]);
    // Same content, another path: its own entry, its own file name in the result.
    const twin = join(dir, 'twin.lab.ts');
    writeFileSync(twin, readFileSync(bad));
    expect((await typecheckLab(twin)).map((d) => d.file)).toEqual([twin]);
  }, 60_000);

  it('is not used when disabled, and a corrupt entry is a miss', async () => {
    const file = join(dir, 'corrupt.lab.ts');
    writeFileSync(file, lab('corrupt', '42'));
    const before = entries().length;
    expect(codes(await typecheckLab(file, { cache: false }))).toEqual(['TS2322']);
    expect(entries()).toHaveLength(before);
    expect(codes(await typecheckLab(file))).toEqual(['TS2322']);
    const added = entries().find((f) => (JSON.parse(readFileSync(join(cacheDir(), f), 'utf8')) as CacheEntry).file === resolve(file))!;
    writeFileSync(join(cacheDir(), added), '{"format": 1, "file": "');
    expect(codes(await typecheckLab(file))).toEqual(['TS2322']);
  }, 60_000);
});
