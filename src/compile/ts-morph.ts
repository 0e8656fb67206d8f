/**
 * ts-morph, loaded on first use. It brings the whole TypeScript compiler, and only two things need
 * it: positions of diagnostics (a lab with errors) and type checks (`validate`, `up --typecheck`).
 * A valid lab never pays for it.
 *
 * Node 20 compiles its 12 MB of JavaScript (@ts-morph/common's typescript.js and its own bundle)
 * at every start: about 0.25 s. They are compiled from V8's code cache instead (about 0.1 s), as
 * bin/podlab.js runs the CLI and with the same helper (bin/code-cache.js): made by the first run
 * at its exit (so that it holds what the run compiled, the checker too), in the type-check
 * cache's directory (`code/`). A file that fails to load this way is loaded by Node as before.
 *
 * Also the compiler options of podlab's type checks of lab files (typecheck.ts), which podlab's
 * types written out for them (author-types.ts) are printed with too.
 */
import { createRequire, Module } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type * as TsMorph from 'ts-morph';
import { cachedScript, readSource } from '../../bin/code-cache.js';
import type { CheckEnv } from './check-program.ts';
import { cacheDir } from './typecheck-cache.ts';

let loaded: typeof TsMorph | undefined;

/** The options of a lab's type check as written (typecheck.ts puts them in its cache's key; 'podlab' is mapped there). */
export const CHECK_OPTIONS = {
  strict: true,
  noEmit: true,
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  types: [] as string[],
  // ECMAScript's globals, without the DOM's: a lab file is evaluated in Node (evaluate-worker.ts),
  // where `document` or `window` would throw. The DOM's declarations were also nine tenths of what
  // a check parsed (about 0.3 s of an edited lab's check).
  lib: ['lib.es2022.d.ts'],
};

/**
 * The globals of Node a lab file may use besides ECMAScript's (with `types: []`, none of @types/node
 * is read): `console`, for a lab that prints while its author works on it. Served from memory at
 * `path`; its text is part of the check's cache key (typecheck.ts), not one of its input files.
 */
export const LAB_GLOBALS = {
  path: '/podlab/lab-globals.d.ts',
  text: [
    '// Declared by podlab (src/compile/ts-morph.ts): the globals of Node a lab file may use besides ECMAScript\'s.',
    'interface Console { log(...data: unknown[]): void; info(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void; debug(...data: unknown[]): void; }',
    'declare var console: Console;',
    '',
  ].join('\n'),
};

/** CHECK_OPTIONS as the compiler takes them. */
export function checkCompilerOptions(): TsMorph.ts.CompilerOptions {
  const { ts } = tsMorph();
  return { ...CHECK_OPTIONS, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
}

/** The files compiled from the code cache, in load order (the second requires the first). */
const CACHED = ['typescript.js', 'ts-morph-common.js'];

/** The folder of ts-morph's compiler (typescript.js) and its lib files (ts-morph-common.js), found without loading them. */
export function tsMorphCommonDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(createRequire(require.resolve('ts-morph')).resolve('@ts-morph/common'));
}

export function tsMorph(): typeof TsMorph {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    const common = tsMorphCommonDir();
    for (const f of CACHED) loadCached(require, join(common, f));
  } catch {
    /* Node loads them as before */
  }
  return (loaded = require('ts-morph') as typeof TsMorph);
}

let checkEnv: CheckEnv | undefined;

/** What every check of a lab against podlab's types written out shares (check-program.ts): ts-morph's lib files, the options, the globals. */
export function labCheckEnv(): CheckEnv {
  if (checkEnv) return checkEnv;
  tsMorph();
  const common = createRequire(join(tsMorphCommonDir(), 'x.js'))('./ts-morph-common.js') as { libFolderInMemoryPath: string; getLibFiles(): { fileName: string; text: string }[] };
  return (checkEnv = {
    options: checkCompilerOptions(),
    libDir: common.libFolderInMemoryPath,
    libs: Object.fromEntries(common.getLibFiles().map((f) => [f.fileName, f.text])),
    files: { [LAB_GLOBALS.path]: LAB_GLOBALS.text },
    roots: [LAB_GLOBALS.path],
  });
}

/** Where V8's code cache of one of ts-morph's files is kept. */
export function codeCacheOf(file: string): string {
  return join(cacheDir(), 'code', `${basename(file)}.cache`);
}

/** Loads a CommonJS file into Node's module cache as `require` would, compiled from V8's code cache when there is one for it. */
function loadCached(require: NodeJS.Require, file: string): void {
  if (require.cache[file]) return;
  const { script } = cachedScript(file, readSource(file), file, codeCacheOf(file), 0o600);
  const m = new Module(file);
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  // In the cache before it runs, as Node does: a cycle back to it finds it.
  require.cache[file] = m;
  try {
    (script.runInThisContext() as (...a: unknown[]) => void).call(m.exports, m.exports, createRequire(file), m, file, dirname(file));
    m.loaded = true;
  } catch (e) {
    delete require.cache[file];
    throw e;
  }
}
