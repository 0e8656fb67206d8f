/**
 * podlab's types written out for the type check (src/compile/author-types.ts): a lab gets the same
 * diagnostics against them as against podlab's sources, and they are made again when what they
 * were printed from changes. In-process, with a cache directory of the test's own.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorTypes } from '../../src/compile/author-types.ts';
import { typecheckLab } from '../../src/compile/typecheck.ts';

let dir: string;
const saved = process.env.PODLAB_CACHE_DIR;

beforeAll(() => {
  dir = mkdtempSync(join('test', '.tmp-at-'));
  process.env.PODLAB_CACHE_DIR = join(dir, 'cache');
});

afterAll(() => {
  if (saved === undefined) delete process.env.PODLAB_CACHE_DIR;
  else process.env.PODLAB_CACHE_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

/** Labs with and without type errors, as authors write them (each kind of mistake the check reports). */
const LABS: Record<string, string> = {
  valid: readFileSync('labs/pod-networking.lab.ts', 'utf8'),
  excess: "import { defineLab } from 'podlab';\nexport default defineLab({ name: 'x', nodes: { a: {} }, podz: {} });\n",
  wrongType: "import { container, defineLab, workloads } from 'podlab';\nexport default defineLab({ name: 'x', nodes: { a: {} }, pods: { p: { node: 'a', containers: [container(workloads.httpEcho('80'))] } } });\n",
  missing: "import { defineLab } from 'podlab';\nexport default defineLab({ nodes: { a: {} } });\n",
  badUnion: "import { defineLab } from 'podlab';\nexport default defineLab({ name: 'x', nodes: { a: {} }, cni: { type: 'calico', encapsulation: 'GRE' } });\n",
  exercise: "import { defineExercise } from 'podlab';\nexport default defineExercise({ name: 'e', title: 1 });\n",
};

describe("podlab's types written out", () => {
  it('give every lab the diagnostics that podlab’s sources give, message for message', () => {
    for (const [name, text] of Object.entries(LABS)) {
      const file = join(dir, `${name}.lab.ts`);
      writeFileSync(file, text.replace("from './", "from '../../labs/"));
      const written = typecheckLab(file, { cache: false });
      const sources = typecheckLab(file, { cache: false, authorTypes: false });
      expect(written, name).toEqual(sources);
      expect(written.length > 0, name).toBe(name !== 'valid');
    }
    // Made once, and used: the checks above read them.
    expect(readdirSync(join(dir, 'cache', 'typecheck', 'types')).filter((f) => f.endsWith('.d.ts'))).toHaveLength(1);
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
