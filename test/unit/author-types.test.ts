/**
 * podlab's types written out for the type check (src/compile/author-types.ts): a lab gets the same
 * diagnostics against them as against podlab's sources, and they are made again when what they
 * were printed from changes; ts-morph loads from V8's code cache (src/compile/ts-morph.ts); and a
 * check against them in a Node started from the type check's snapshot (typecheck-snapshot.ts)
 * answers as one in process does. In-process (the code cache and the CLI in child processes),
 * with a cache directory of the test's own.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it, vi } from 'vitest';

// A build folder of the file's own (read when build-dir.ts is first imported: set before any
// import), where the snapshot of podlab's types is built, damaged and built again without touching
// the package's; it shares the package's native programs (the evaluator's sandbox runs them).
const build = vi.hoisted(() => {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const dir = fs.mkdtempSync('test/.tmp-at-build-');
  fs.chmodSync(dir, 0o755);
  fs.symlinkSync(path.resolve('build/native'), path.join(dir, 'native'));
  process.env.PODLAB_BUILD_DIR = path.resolve(dir);
  return path.resolve(dir);
});
afterAll(() => {
  delete process.env.PODLAB_BUILD_DIR;
  rmSync(build, { recursive: true, force: true });
});
import { authorTypes, SHIPPED_TYPES } from '../../src/compile/author-types.ts';
import { podlabTypes, typecheckLab } from '../../src/compile/typecheck.ts';
import { closeSnapshotChecker, snapshotFor } from '../../src/compile/typecheck-snapshot.ts';
import { compilerFingerprint } from '../../src/compile/typecheck-early.ts';
import { ownCacheDir } from './own-cache-dir.ts';

const dir = ownCacheDir('.tmp-at-');

/** Labs with and without type errors, as authors write them (each kind of mistake the check reports). */
const LABS: Record<string, string> = {
  valid: readFileSync('labs/pod-networking.lab.ts', 'utf8'),
  excess: "import { defineLab } from 'podlab';\nexport default defineLab({ name: 'x', nodes: { a: {} }, podz: {} });\n",
  wrongType: "import { container, defineLab, workloads } from 'podlab';\nexport default defineLab({ name: 'x', nodes: { a: {} }, pods: { p: { node: 'a', containers: [container(workloads.httpEcho('80'))] } } });\n",
  missing: "import { defineLab } from 'podlab';\nexport default defineLab({ nodes: { a: {} } });\n",
  badUnion: "import { defineLab } from 'podlab';\nexport default defineLab({ name: 'x', nodes: { a: {} }, cni: { type: 'calico', encapsulation: 'GRE' } });\n",
  exercise: "import { defineExercise } from 'podlab';\nexport default defineExercise({ name: 'e', title: 1 });\n",
  // Lab files run in Node: ECMAScript's globals and console, no DOM.
  console: "import { defineLab } from 'podlab';\nconst nodes = { a: {} };\nconsole.log(Object.keys(nodes).at(-1));\nexport default defineLab({ name: 'x', nodes });\n",
  dom: "import { defineLab } from 'podlab';\nexport default defineLab({ name: document.title, nodes: { a: {} } });\n",
};
const VALID = new Set(['valid', 'console']);

describe("podlab's types written out", () => {
  it('come with podlab as its sources print them now (npm run author-types)', () => {
    expect(podlabTypes(), 'assets/author-types/ is not what podlab’s sources print: run npm run author-types').toBe(SHIPPED_TYPES);
    // Printed again here, into a cache of its own (another compiler name, so the shipped ones are not taken).
    process.env.PODLAB_CACHE_DIR = join(dir, 'print-cache');
    try {
      const printed = authorTypes(resolve('src/index.ts'), 'test');
      expect(printed).toBeDefined();
      expect(readFileSync(printed!, 'utf8')).toBe(readFileSync(SHIPPED_TYPES, 'utf8'));
    } finally {
      process.env.PODLAB_CACHE_DIR = join(dir, 'cache');
    }
  }, 120_000);

  for (const shipped of [true, false])
    it(`give every lab the diagnostics that podlab’s sources give, message for message (${shipped ? 'as they come with podlab' : 'written out in the cache'})`, async () => {
      const types = join(dir, 'cache', 'typecheck', 'types');
      let madeAt = 0;
      for (const [name, text] of Object.entries(LABS)) {
        const file = join(dir, `${name}.lab.ts`);
        writeFileSync(file, text.replace("from './", "from '../../labs/"));
        const written = await typecheckLab(file, { cache: false, shipped });
        const sources = await typecheckLab(file, { cache: false, authorTypes: false });
        expect(written, name).toEqual(sources);
        expect(written.length > 0, name).toBe(!VALID.has(name));
        if (name === 'dom') expect(written.map((d) => d.message)).toEqual([expect.stringContaining("Cannot find name 'document'")]);
        if (!shipped) madeAt ||= statSync(join(types, readdirSync(types).find((f) => f.startsWith('podlab-') && f.endsWith('.d.ts'))!)).mtimeMs;
      }
      if (shipped) return;
      // An edit of the lab they were written out with is not a change of podlab's types either.
      writeFileSync(join(dir, 'valid.lab.ts'), `${LABS.valid!.replace("from './", "from '../../labs/")}// edited\n`);
      expect(await typecheckLab(join(dir, 'valid.lab.ts'), { cache: false, shipped })).toEqual([]);
      // Written once, by the first check, and used by the others: another lab, or an edited one, does not make them stale.
      const made = readdirSync(types).filter((f) => f.startsWith('podlab-') && f.endsWith('.d.ts'));
      expect(made).toHaveLength(1);
      expect(statSync(join(types, made[0]!)).mtimeMs).toBe(madeAt);
      expect(podlabTypes({ shipped: false })).toBe(join(types, made[0]!));
    }, 120_000);

  it('are made again when a file they were printed from changes, and hold every export', () => {
    const entry = resolve(dir, 'entry.ts');
    writeFileSync(entry, 'export type Spec = { a: number };\nexport function define(s: Spec): Spec { return s; }\n');
    const first = authorTypes(entry, 'test')!;
    expect(readFileSync(first, 'utf8')).toContain('export type Spec = { a: number; };');
    expect(readFileSync(first, 'utf8')).toContain('export declare const define: (s: Spec) => Spec;');
    expect(authorTypes(entry, 'test')).toBe(first);
    writeFileSync(entry, 'export type Spec = { a: string; b?: boolean };\nexport function define(s: Spec): Spec { return s; }\n');
    expect(readFileSync(authorTypes(entry, 'test')!, 'utf8')).toContain('export type Spec = { a: string; b?: boolean | undefined; };');
  }, 60_000);

  it('are not used when they cannot be written out whole (an interface prints as its name): the check reads the sources', () => {
    const entry = resolve(dir, 'iface.ts');
    writeFileSync(entry, 'export interface Spec { a: number }\nexport function define(s: Spec): Spec { return s; }\n');
    expect(authorTypes(entry, 'test')).toBeUndefined();
  }, 60_000);
});

describe('ts-morph from its code cache', () => {
  const load = (cache: string) =>
    execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "const { tsMorph } = await import('./src/compile/ts-morph.ts'); const m = tsMorph(); console.log(typeof m.Project, m.ts.version);"], { env: { PODLAB_CACHE_DIR: cache }, reject: false });

  it('is written by the first load and used by the next; one that is damaged is passed over', async () => {
    const cache = join(dir, 'code-cache');
    const first = await load(cache);
    expect(first.stdout).toMatch(/^function \d+\.\d+/);
    const files = readdirSync(join(cache, 'typecheck', 'code'));
    expect(files.sort()).toEqual(['ts-morph-common.js.cache', 'typescript.js.cache']);
    expect((await load(cache)).stdout).toBe(first.stdout);
    for (const f of files) writeFileSync(join(cache, 'typecheck', 'code', f), 'not a cache');
    const damaged = await load(cache);
    expect([damaged.exitCode, damaged.stdout]).toEqual([0, first.stdout]);
  }, 60_000);
});

describe("the type check's snapshot (typecheck-snapshot.ts)", () => {
  // The package's (here: the file's own build folder's): podlab's types as they come with podlab.
  const snapshots = () => join(build, 'typecheck');
  const write = (name: string) => {
    const file = join(dir, `${name}.snap.lab.ts`);
    writeFileSync(file, LABS[name]!.replace("from './", "from '../../labs/"));
    return file;
  };

  it('was built by the first check with podlab’s types, and answers as a check in process does, position for position', async () => {
    expect(readdirSync(snapshots()).filter((f) => f.endsWith('.blob'))).toHaveLength(1);
    for (const name of Object.keys(LABS)) {
      const file = write(name);
      const fromSnapshot = await typecheckLab(file, { cache: false });
      expect(fromSnapshot, name).toEqual(await typecheckLab(file, { cache: false, snapshot: false }));
      expect(fromSnapshot.length > 0, name).toBe(!VALID.has(name));
    }
  }, 120_000);

  it('is what `podlab validate` checks a lab in, the first of a new type-check cache (a new user) too, and an edited one', async () => {
    const cache = join(dir, 'cli-cache');
    const file = write('valid');
    const validate = () => execa(process.execPath, ['bin/podlab.js', 'validate', file], { env: { PODLAB_CACHE_DIR: cache, PODLAB_TRACE: '1' }, reject: false });
    // The package's snapshot, built by the checks above (as scripts/setup.sh builds it), serves a cache that has none.
    const first = await validate();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain('typecheck: in a Node started from the snapshot');
    expect(first.stderr).not.toContain('typecheck: the snapshot built');
    expect(existsSync(join(cache, 'typecheck', 'snapshot'))).toBe(false);
    writeFileSync(file, `${readFileSync(file, 'utf8')}// edited\n`);
    const edited = await validate();
    expect(edited.exitCode, edited.stderr).toBe(0);
    expect(edited.stderr).toContain('typecheck: in a Node started from the snapshot');
    expect(edited.stderr).not.toContain('typecheck: in process');
    // Several labs: one Node answers them all, and it has ended when the command has.
    const more = ['console', 'excess', 'dom'].map(write);
    const many = await execa(process.execPath, ['bin/podlab.js', 'validate', ...more], { env: { PODLAB_CACHE_DIR: cache, PODLAB_TRACE: '1' }, reject: false });
    expect(many.stderr).toContain("Cannot find name 'document'");
    const pids = [...many.stderr.matchAll(/typecheck: answered by pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(1);
    // That Node was started by bin/podlab.js before the CLI bundle loaded, for the first lab.
    expect([...many.stderr.matchAll(/boot: the type check's Node started \(pid (\d+)\)/g)].map((m) => Number(m[1]))).toEqual([pids[0]]);
    expect(existsSync(`/proc/${pids[0]}`)).toBe(false);
  }, 120_000);

  it('that does not start is recorded, not built again, and the check runs in process', async () => {
    // The snapshot the next check starts from: of the types it checks against (written out in the
    // cache by the checks above, which are fresh, so taken before the ones podlab comes with).
    const path = snapshotFor(podlabTypes()!, compilerFingerprint())!;
    const [at, blob] = [dirname(path), basename(path)];
    expect(readdirSync(at)).toContain(blob);
    // The Node that served the checks above has the snapshot loaded already: ended, the next starts from the file.
    closeSnapshotChecker();
    writeFileSync(path, 'not a snapshot');
    const file = write('wrongType');
    const damaged = await typecheckLab(file, { cache: false });
    expect(damaged).toEqual(await typecheckLab(file, { cache: false, snapshot: false }));
    expect(damaged.map((d) => d.message)).toEqual([expect.stringContaining('TS2345')]);
    expect(readdirSync(at).sort()).toEqual([`${blob}.failed`, blob.replace(/\.blob$/, '.cjs')]);
    expect(await typecheckLab(write('valid'), { cache: false })).toEqual([]);
    expect(readdirSync(at).some((f) => f.endsWith('.blob'))).toBe(false);
  }, 120_000);
});
