/**
 * The program of the type check's startup snapshot (typecheck-snapshot.ts bundles it, builds the
 * snapshot and runs it). A type check of an edited lab in podlab's own process spends most of its
 * half second on what is the same every time: loading the compiler, parsing and binding
 * TypeScript's lib files and podlab's types, and V8 warming up the parser. Node's startup snapshot
 * keeps all of that in one heap image; a Node started from it checks the lab alone.
 *
 *   node --snapshot-blob BLOB --build-snapshot check-snapshot.cjs   < request (JSON: BuildRequest)
 *     evaluates the compiler (`typescript`), checks a small lab of its own that imports 'podlab'
 *     (every lib file and podlab's types parsed and bound, kept for reuse), and ends: Node writes
 *     the heap to BLOB. The request holds only podlab's own files; no lab is in the snapshot.
 *   node --snapshot-blob BLOB
 *     reads lab files' absolute paths from stdin, one JSON string a line, and answers each with
 *     one JSON line, Checked (check-program.ts) or { error }, until stdin ends: a `validate` of
 *     many labs starts one.
 *
 * Only Node's own modules can be required while the snapshot is built: the compiler is evaluated
 * from its source text instead (from V8's code cache of it when there is one), and this file is
 * bundled (esbuild) with check-program.ts. It exports nothing: Node builds a snapshot from a
 * script, where `module` is not defined.
 */
import { readFileSync } from 'node:fs';
import { Module } from 'node:module';
import { dirname } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { Script } from 'node:vm';
import { readCodeCache } from '../../bin/code-cache.js';
import type * as TsMorph from 'ts-morph';
import { checkLab, type BuildRequest, type CheckEnv, type Checked } from './check-program.ts';

/** The lab the snapshot is warmed with, from memory. */
const WARM = '/podlab/warm.lab.ts';

const request = JSON.parse(readFileSync(0, 'utf8')) as BuildRequest;
const ts = evaluate(request.typescript, request.codeCache) as typeof TsMorph.ts;
const env: CheckEnv = { ...request.env, files: { ...request.env.files, [WARM]: "import { defineLab } from 'podlab';\nexport default defineLab({ name: 'warm', nodes: { a: {} } });\n" } };
const keep = new Map<string, TsMorph.ts.SourceFile>();
const warm = checkLab(ts, env, WARM, request.types, keep);
if (warm.diagnostics.length) throw new Error(`the snapshot's own lab does not check: ${warm.diagnostics.map((d) => d.text).join('; ')}`);
keep.delete(WARM);
delete env.files[WARM];

startupSnapshot.setDeserializeMainFunction(() => {
  // One request per line (a lab's absolute path, as JSON), one answer per line, until stdin ends.
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const lab = JSON.parse(pending.slice(0, nl)) as string;
      pending = pending.slice(nl + 1);
      let answer: Checked | { error: string };
      try {
        answer = { ...checkLab(ts, env, lab, request.types, keep), pid: process.pid };
      } catch (e) {
        answer = { error: String((e as Error).stack ?? e) };
      }
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    }
  });
});

/**
 * A CommonJS file evaluated as Node would load it, with `require` limited to Node's own modules;
 * compiled from the code cache ts-morph.ts keeps for it when that fits (about 0.1 s sooner).
 */
function evaluate(file: string, codeCache: string): unknown {
  const source = readFileSync(file, 'utf8');
  const module = { exports: {} as unknown };
  const script = new Script(Module.wrap(source), { filename: file, cachedData: readCodeCache(file, source, codeCache).cachedData });
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, require, module, file, dirname(file));
  return module.exports;
}
