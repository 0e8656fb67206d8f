/**
 * The lab-evaluation cache (src/compile/eval-cache.ts): a lab evaluated once is served from the
 * cache only while it and every file it imports are unchanged, and a lab whose value could depend
 * on more than its source is never cached.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { importSpecifiers, labInputs, lookupEvaluation } from '../../src/compile/eval-cache.ts';
import { ownCacheDir } from './own-cache-dir.ts';

const dir = ownCacheDir('podlab-eval-cache-', tmpdir());

const lab = (name: string, extra = '') => `import { defineLab } from 'podlab';\nimport { nodes } from './parts';\n${extra}\nexport default defineLab({ name: '${name}', nodes });\n`;

describe('lab-evaluation cache', () => {
  it('serves an unchanged lab, and evaluates again when a file it imports changes', async () => {
    const file = join(dir, 'a.lab.ts');
    writeFileSync(file, lab('cached-a'));
    writeFileSync(join(dir, 'parts.ts'), "export const nodes = { n1: {} };\n");
    expect(lookupEvaluation(file)).toBeUndefined();
    const first = await compileLab(file);
    expect(first.diagnostics).toEqual([]);
    expect(lookupEvaluation(file)?.value).toMatchObject({ name: 'cached-a', nodes: { n1: {} } });

    // The imported file changes: a miss, and the new value is what compile sees.
    writeFileSync(join(dir, 'parts.ts'), "export const nodes = { n1: {}, n2: {} };\n");
    expect(lookupEvaluation(file)).toBeUndefined();
    const second = await compileLab(file);
    expect(second.lab!.nodes.map((n) => n.name)).toEqual(['n1', 'n2']);
    expect(lookupEvaluation(file)?.value).toMatchObject({ nodes: { n1: {}, n2: {} } });
  }, 60_000);

  it('misses when a file appears where an import would now resolve first', async () => {
    const file = join(dir, 'b.lab.ts');
    writeFileSync(file, lab('cached-b').replace("'./parts'", "'./shadow'"));
    writeFileSync(join(dir, 'shadow.js.ts'), '');
    writeFileSync(join(dir, 'shadow.ts'), "export const nodes = { s1: {} };\n");
    await compileLab(file);
    expect(lookupEvaluation(file)).toBeDefined();
    // './shadow' is tried as a file of that exact name before './shadow.ts'.
    writeFileSync(join(dir, 'shadow'), "export const nodes = { s2: {} };\n");
    expect(lookupEvaluation(file)).toBeUndefined();
  }, 60_000);

  it.each([
    ['the environment', "const n = process.env.NODES ?? 'n1';"],
    ['the clock', 'const t = Date.now();'],
    ['randomness', 'const r = Math.random();'],
    ['a node module', "import { readFileSync } from 'node:fs';"],
    ['a package', "import { z } from 'zod';"],
    ['a dynamic import', "const m = await import('./parts');"],
  ])('never caches a lab that reads %s', async (_what, extra) => {
    const file = join(dir, `impure-${extra.length}.lab.ts`);
    writeFileSync(file, lab('impure', extra));
    writeFileSync(join(dir, 'parts.ts'), "export const nodes = { n1: {} };\n");
    expect(labInputs(file)).toBeUndefined();
  });

  it("a word in a comment or a quoted name is no impurity; a template literal's expression is", () => {
    const file = join(dir, 'c.lab.ts');
    writeFileSync(join(dir, 'parts.ts'), "export const nodes = { n1: {} };\n");
    writeFileSync(file, lab('c', "// the DNS process starts first\nconst role = 'process';"));
    expect(labInputs(file)?.inputs.map((i) => i.path)).toEqual([file, expect.stringMatching(/src\/index\.ts$/), join(dir, 'parts.ts')]);
    writeFileSync(file, lab('c', 'const role = `p-${Date.now()}`;'));
    expect(labInputs(file)).toBeUndefined();
  });

  it('reads import specifiers, type-only ones left out; an unreadable one makes the lab uncacheable', () => {
    expect(importSpecifiers("import{a}from'./x'; import type { B } from './b';\nexport * from \"./c\"; import './d';")).toEqual(['./x', './c', './d']);
    expect(importSpecifiers("import { a } from './x';\n// once: import { b } from './y';")).toBeUndefined();
  });
});
