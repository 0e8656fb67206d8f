/**
 * What a lab file is when podlab evaluates it (src/compile/evaluate-worker.ts): an ES module,
 * wherever it lives, whose TypeScript esbuild turns into JavaScript, with 'podlab', its own
 * relative imports, JSON and Node's modules, and whose errors are placed at its own lines and
 * columns. The labs here live in a folder with no package.json, as a course folder may: a module
 * loader that followed the folder's module type would load them as CommonJS.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/compile/load.ts';
import { BUILD_DIR } from '../../src/lib/build-dir.ts';

const dir = mkdtempSync(join(tmpdir(), 'evaluator-test-'));
chmodSync(dir, 0o755); // the sandbox's user reads it as any other user would
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, ...lines: string[]): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o644 });
  return file;
}

describe('a lab file is an ES module, whatever its folder', () => {
  it('top-level await, import.meta and no CommonJS globals, in a folder without "type": "module"', async () => {
    const file = write(
      'esm.lab.ts',
      "import { defineLab } from 'podlab';",
      'const nodes = await Promise.resolve({ w1: {} });',
      'export default defineLab({',
      "  name: 'esm',",
      '  nodes,',
      '  description: [import.meta.url, import.meta.filename, typeof require, typeof module, typeof __dirname].join(" "),',
      '});',
    );
    const r = await loadLab(file);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toMatchObject({ name: 'esm', nodes: { w1: {} }, description: `${pathToFileURL(file).href} ${file} undefined undefined undefined` });
  });

  it("imports its own files as the type check resolves them (a .js name for a .ts file, no extension, a folder's index), JSON, and types only from 'podlab'", async () => {
    write('parts/nodes.ts', 'export const nodes: Record<string, { ip?: string }> = { w1: { ip: "172.16.94.11" } };');
    write('parts/index.ts', "export { nodes } from './nodes.js';", "export const name: string = 'parts';");
    write('parts/extra.ts', 'export default 2;');
    write('parts/meta.json', '{ "description": "from JSON" }');
    const file = write(
      'parts.lab.ts',
      "import { defineLab, type LabSpec } from 'podlab';",
      "import { name, nodes } from './parts';",
      "import extra from './parts/extra';",
      "import meta from './parts/meta.json' with { type: 'json' };",
      'const lab: LabSpec = { name: `${name}-${extra}`, nodes, description: meta.description };',
      'export default defineLab(lab);',
    );
    const r = await loadLab(file);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual({ name: 'parts-2', nodes: { w1: { ip: '172.16.94.11' } }, description: 'from JSON' });
  });
});

describe("an error is placed at the lab's own line and column", () => {
  it('a throw after lines of types only (which the JavaScript no longer has)', async () => {
    const file = write(
      'typed.lab.ts',
      "import { defineLab } from 'podlab';",
      'interface Sizes {',
      '  pods: number;',
      '}',
      'type Name = string;',
      'const sizes: Sizes = { pods: 3 };',
      "const name: Name = 'typed'; const broken: { x: number } = (null as unknown as { x: number });",
      'export default defineLab({ name, nodes: { w1: {} }, description: String(sizes.pods + broken.x) });',
    );
    const r = await loadLab(file);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['PL0002', 8, 93]]);
    expect(r.diagnostics[0]!.message).toContain("TypeError: Cannot read properties of null (reading 'x')");
  });

  it("a throw in a timer's callback, after the module has evaluated", async () => {
    const file = write(
      'timer.lab.ts',
      "import { defineLab } from 'podlab';",
      'const wait: number = 5;',
      "await new Promise<void>((done) => setTimeout(() => { const late: string = 'late'; if (late) throw new Error(late); done(); }, wait));",
      "export default defineLab({ name: 'timer', nodes: { w1: {} } });",
    );
    const r = await loadLab(file);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([['PL0002', 3, 99, 'the lab threw while being evaluated: Error: late']]);
  });

  it('an import of a name the module does not export: at the import', async () => {
    const file = write('missing.lab.ts', '// a comment first', "import type { LabSpec } from 'podlab';", "import { defineLab, definePod } from 'podlab';", "export default defineLab({ name: 'm', nodes: { w1: {} }, pods: { p: definePod() } } as LabSpec);");
    const r = await loadLab(file);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['PL0002', 3, 1]]);
    expect(r.diagnostics[0]!.message).toContain("does not provide an export named 'definePod'");
  });
});

describe('the evaluator', () => {
  it('is bundled again when a file it is built from has other content than its record says, whatever the dates', async () => {
    const lab = write('plain.lab.ts', "import { defineLab } from 'podlab';", "export default defineLab({ name: 'plain', nodes: { w1: {} } });");
    expect((await loadLab(lab)).diagnostics).toEqual([]);
    const bundle = join(BUILD_DIR, 'eval', 'evaluator.cjs');
    const record = join(BUILD_DIR, 'eval', 'evaluator.json');
    const good = readFileSync(record, 'utf8');
    const { inputs } = JSON.parse(good) as { inputs: { path: string; sha256: string }[] };
    expect(inputs.map((i) => i.path)).toContain('src/compile/evaluate-worker.ts');
    const before = statSync(bundle).ino;
    // Recorded as built from other content, as after podlab's worker changed (its date unchanged).
    writeFileSync(record, JSON.stringify({ ...JSON.parse(good), inputs: inputs.map((i) => ({ ...i, sha256: '0'.repeat(64) })) }));
    expect((await loadLab(lab)).value).toEqual({ name: 'plain', nodes: { w1: {} } });
    expect(readFileSync(record, 'utf8')).toBe(good);
    expect(statSync(bundle).ino).not.toBe(before);
  });
});
