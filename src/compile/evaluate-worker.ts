/**
 * The one program that evaluates a module podlab does not trust — a lab file, an exercise, a
 * student's submission — inside the sandbox of evaluate.ts (never in podlab's own process). It
 *   1. captures the builtins it needs before the module can replace them,
 *   2. prints a start marker (so that podlab can tell "the sandbox never started" from "the module
 *      ended its own process"),
 *   3. loads the module as an ES module of its own linking (Node's vm modules): each TypeScript
 *      file the module reaches is turned into JavaScript by esbuild's transform, `import … from
 *      'podlab'` is this podlab's authoring API (src/index.ts, wherever the module lives), a
 *      relative import resolves as the sandbox's view and the evaluation cache see it
 *      (resolve-relative.ts), and Node's own modules and npm packages are Node's,
 *   4. checks that what it exports is plain JSON data and prints one result line, tagged with the
 *      nonce podlab gave it. A module can print a forged result line, but that is no more than
 *      exporting that value.
 *
 *   node --experimental-vm-modules evaluator.cjs lab|exercise FILE NONCE CAP [SEED]
 *   (PODLAB_ESBUILD: the path of esbuild's JavaScript API, which finds its own binary;
 *    PODLAB_API: the path of src/index.ts)
 *
 * `lab`: the value is `export default` (else `export const lab`). `exercise`: a default export that
 * is a function gets the variant its `variants` export yields for SEED (src/lib/variant.ts); the
 * value is `{ exercise, variant }`.
 *
 * Why not Node's module loader with a TypeScript hook (tsx, as until 2026-12): on Node 20 such a
 * hook runs in a thread of its own, and an evaluation with tsx's took 210–240 ms in its sandbox
 * (285 ms of CPU); this one takes about 60 (50 ms of CPU; docs/benchmarks.md, eighth standing).
 * Every file is an ES module here, whatever its package.json says: the type check gives a lab no
 * `require`, no `__dirname` and no `module` (it has no Node types), and Node 22 itself runs a
 * `.ts` file with `import` in it as an ES module. A lab that passes the type check evaluates the
 * same either way.
 *
 * Positions: esbuild's output has other lines and columns than its source, so a stack's positions
 * in the module's files are mapped back through esbuild's source maps before they are printed.
 * bin/podlab.js never loads this file: evaluate.ts bundles it on first use.
 */
import { readFileSync, writeSync } from 'node:fs';
import { builtinModules, createRequire, SourceMap } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { pickVariant, type Variant } from '../lib/variant.ts';
import { resolveRelative } from './resolve-relative.ts';

/** The shape of the result line (evaluate.ts reads it). */
export interface WorkerReport {
  podlabSandbox: string;
  status: 'ok' | 'threw' | 'memory' | 'no-export' | 'not-data' | 'output-too-large';
  value?: unknown;
  /** The thrown error's stack (or the thrown value), for `threw` and `memory`. */
  error?: string;
  /** Where the export stops being data, for `not-data`. */
  problem?: string;
  size?: number;
}

const [mode, file, nonce, capText, seed = ''] = process.argv.slice(2);
const ESBUILD = process.env.PODLAB_ESBUILD;
/** podlab's authoring API (src/index.ts), what `import … from 'podlab'` means. */
const PODLAB = process.env.PODLAB_API;
const exit = process.exit.bind(process);
const stringify = JSON.stringify;
const { getPrototypeOf, keys, getOwnPropertySymbols } = Object;
const isArray = Array.isArray;
const ObjectProto = Object.prototype;
const ArrayProto = Array.prototype;
const isFiniteNumber = Number.isFinite;
const toBytes = Buffer.from;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** stdout may be a non-blocking pipe: a big result comes out in pieces, and EAGAIN means "wait for podlab to read". */
function writeAll(text: string): void {
  let bytes = toBytes.call(Buffer, text) as Buffer;
  while (bytes.length) {
    try {
      bytes = bytes.subarray(writeSync(1, bytes));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
}

function report(r: Omit<WorkerReport, 'podlabSandbox'>): never {
  writeAll(`\n${stringify({ podlabSandbox: nonce, ...r })}\n`);
  return exit(0);
}

function describe(e: unknown): string {
  if (e && typeof (e as Error).stack === 'string') return (e as Error).stack!.slice(0, 4000);
  try {
    return `thrown value: ${String(stringify(e)).slice(0, 400)}`;
  } catch {
    return `thrown value: ${String(e).slice(0, 400)}`;
  }
}

const isMemory = (e: unknown) => e instanceof RangeError && /allocation failed|out of memory/i.test(String(e.message));
const at = (path: string, key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${stringify(key)}]`);

/** Where `v` stops being plain JSON data, or null when it is. */
function problem(v: unknown, path: string, parents: unknown[]): string | null {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return isFiniteNumber(v) ? null : `${path} is ${v}, which JSON cannot hold`;
  if (v === undefined) return `${path} is undefined`;
  if (typeof v !== 'object') return `${path} is a ${typeof v}`;
  if (parents.includes(v)) return `${path} refers back to an object that contains it (a cycle)`;
  if (parents.length > 200) return `${path} is nested more than 200 levels deep`;
  const proto = getPrototypeOf(v) as { constructor?: { name?: string } } | null;
  if (isArray(v) ? proto !== ArrayProto : proto !== ObjectProto && proto !== null) {
    const name = proto?.constructor?.name || 'object with a custom prototype';
    return `${path} is a ${name}, not a plain object or array`;
  }
  if (getOwnPropertySymbols(v).length) return `${path} has symbol keys`;
  parents.push(v);
  try {
    if (isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = problem(v[i], `${path}[${i}]`, parents);
        if (p) return p;
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k of keys(o)) {
        if (o[k] === undefined) continue; // an absent optional field, as JSON would drop it
        const p = problem(o[k], at(path, k), parents);
        if (p) return p;
      }
    }
  } finally {
    parents.pop();
  }
  return null;
}

if ((mode !== 'lab' && mode !== 'exercise') || !file || !nonce || !capText || !ESBUILD || !PODLAB) {
  process.stderr.write('usage: PODLAB_ESBUILD=… PODLAB_API=… evaluate-worker lab|exercise FILE NONCE CAP [SEED]\n');
  exit(2);
}
const cap = Number(capText);
const { transform } = createRequire(ESBUILD!)(ESBUILD!) as typeof import('esbuild');

/** The module's files as loaded, by path, with esbuild's source map of each transformed one. */
const loaded = new Map<string, Promise<vm.Module>>();
const maps = new Map<string, string>();
const sources = new Map<string, string>();

/** esbuild's loader for a file it transforms; plain JavaScript is taken as it is. */
function loaderOf(path: string): 'ts' | 'tsx' | 'jsx' | undefined {
  if (/\.[cm]?ts$/.test(path)) return 'ts';
  if (path.endsWith('.tsx')) return 'tsx';
  if (path.endsWith('.jsx')) return 'jsx';
  return undefined;
}

/** The file at `path` as an ES module, unlinked; one per path. */
function moduleAt(path: string): Promise<vm.Module> {
  let m = loaded.get(path);
  if (!m) {
    m = (async () => {
      const text = readFileSync(path, 'utf8');
      sources.set(path, text);
      const loader = loaderOf(path);
      let code = text;
      if (loader) {
        const out = await transform(text, { loader, format: 'esm', target: 'node20', sourcefile: path, sourcemap: 'external', tsconfigRaw: {}, logLevel: 'silent' });
        code = out.code;
        maps.set(path, out.map);
      }
      const url = pathToFileURL(path).href;
      return new vm.SourceTextModule(code, {
        identifier: path,
        initializeImportMeta(meta) {
          meta.url = url;
          (meta as { filename?: string }).filename = path;
          (meta as { dirname?: string }).dirname = dirname(path);
        },
        importModuleDynamically: ((spec: string, ref: vm.Module) => linked(spec, ref)) as never,
      });
    })();
    loaded.set(path, m);
  }
  return m;
}

/** An ES module whose exports are the properties of `value` (Node's own module, a package, JSON), `default` the value itself unless it has one. */
function moduleOf(identifier: string, value: unknown, asDefault = false): vm.Module {
  const own = !asDefault && value !== null && (typeof value === 'object' || typeof value === 'function') ? keys(value as object) : [];
  const names = [...new Set([...own, 'default'])];
  return new vm.SyntheticModule(
    names,
    function (this: vm.SyntheticModule) {
      for (const n of names) this.setExport(n, n === 'default' && !own.includes('default') ? value : (value as Record<string, unknown>)[n]);
    },
    { identifier },
  );
}

/** What `spec`, imported by `ref`, is (the linker of every module here). */
async function resolveImport(spec: string, ref: vm.Module): Promise<vm.Module> {
  if (spec === 'podlab') return moduleAt(PODLAB!);
  const from = ref.identifier;
  if (spec.startsWith('node:') || builtinModules.includes(spec)) return moduleOf(spec, createRequire(from)(spec));
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:')) {
    const target = resolveRelative(from, spec.startsWith('file:') ? fileURLToPath(spec) : spec, []);
    if (!target) throw moduleNotFound(spec, from);
    if (target.endsWith('.json')) return moduleOf(target, JSON.parse(readFileSync(target, 'utf8')), true);
    if (target.endsWith('.cjs')) return moduleOf(target, createRequire(from)(target));
    return moduleAt(target);
  }
  // A package: Node's resolution from the importing file (require(esm) covers ES module packages).
  return moduleOf(spec, createRequire(from)(spec));
}

function moduleNotFound(spec: string, from: string): Error {
  const e = new Error(`Cannot find module '${spec}' imported from ${from}`) as NodeJS.ErrnoException;
  e.code = 'ERR_MODULE_NOT_FOUND';
  return e;
}

/** `spec` linked and evaluated, for a dynamic `import()`. */
async function linked(spec: string, ref: vm.Module): Promise<vm.Module> {
  const m = await resolveImport(spec, ref);
  if (m.status === 'unlinked') await m.link(resolveImport);
  if (m.status !== 'evaluated' && m.status !== 'evaluating') await m.evaluate();
  return m;
}

/** `text` with every position in a transformed file mapped back to its source (esbuild's source map). */
function mapped(text: string): string {
  const parsed = new Map<string, SourceMap>();
  return text.replace(/(\/[^\s():]+):(\d+):(\d+)/g, (whole, path: string, line: string, column: string) => {
    const map = maps.get(path);
    if (!map) return whole;
    let sm = parsed.get(path);
    if (!sm) parsed.set(path, (sm = new SourceMap(JSON.parse(map))));
    const at = sm.findEntry(Number(line) - 1, Number(column) - 1) as { originalLine?: number; originalColumn?: number };
    return at.originalLine === undefined ? whole : `${path}:${at.originalLine + 1}:${(at.originalColumn ?? 0) + 1}`;
  });
}

/**
 * Where a module names an export its import does not have (V8's link error carries no position):
 * the import statement of `name` from `spec` in one of the loaded files' sources.
 */
function importSite(message: string): string {
  const m = /^The requested module '([^']+)' does not provide an export named '([^']+)'/.exec(message);
  if (!m) return '';
  const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const statement = new RegExp(`import\\s*(?:type\\s+)?[^;]*?\\b${quote(m[2]!)}\\b[^;]*?from\\s*['"]${quote(m[1]!)}['"]`, 'g');
  for (const [path, text] of sources) {
    const hit = statement.exec(text);
    statement.lastIndex = 0;
    if (!hit) continue;
    const before = text.slice(0, hit.index).split('\n');
    return `\n    at ${path}:${before.length}:${before[before.length - 1]!.length + 1}`;
  }
  return '';
}

function failed(e: unknown): never {
  const text = describe(e);
  // Only for an error with no frame in a file of its own (V8's link errors have none).
  const site = e instanceof SyntaxError && !/\n\s+at \//.test(text) ? importSite(e.message) : '';
  return report({ status: isMemory(e) ? 'memory' : 'threw', error: mapped(text).replace(/\n|$/, `${site}\n`).trimEnd() });
}

// An error thrown later (a timer's callback, a rejected promise nobody awaited) ends the evaluation
// as one thrown at once does. A top-level await that can never settle leaves nothing to run: exit
// 13, as Node's own loader says it.
process.on('uncaughtException', failed);
process.on('beforeExit', () => exit(13));
delete process.env.PODLAB_ESBUILD;
delete process.env.PODLAB_API;

/** Evaluates the module and reports what it exports (every way out is a report, or an exit). */
async function main(): Promise<never> {
  writeAll(`podlab-sandbox ${nonce} started\n`);
  let mod: Record<string, unknown> = {};
  try {
    // podlab's API is transformed while the module is: esbuild's service takes both at once.
    void moduleAt(PODLAB!).catch(() => undefined);
    const root = await moduleAt(file!);
    await root.link(resolveImport);
    await root.evaluate();
    mod = root.namespace as Record<string, unknown>;
  } catch (e) {
    failed(e);
  }

  let value: unknown;
  let path = 'lab';
  try {
    if (mode === 'lab') value = mod.default !== undefined ? mod.default : mod.lab;
    else if (mod.default !== undefined) {
      path = 'exercise';
      const variants = (mod.variants ?? {}) as Record<string, readonly (string | number)[]>;
      const variant: Variant = typeof mod.default === 'function' ? pickVariant(variants, seed) : {};
      const exercise = typeof mod.default === 'function' ? (mod.default as (v: Variant) => unknown)(variant) : mod.default;
      // The choices too: a grader loads the exercise once per variant, not once per student.
      value = { exercise, variant, variants };
    }
  } catch (e) {
    failed(e);
  }
  if (value === undefined) report({ status: 'no-export' });
  let text = '';
  try {
    const p = problem(value, path === 'exercise' ? 'value' : 'lab', []);
    if (p) report({ status: 'not-data', problem: p.replace(/^value\./, '') });
    text = stringify(value);
  } catch (e) {
    report({ status: isMemory(e) ? 'memory' : 'threw', error: describe(e) });
  }
  if (text.length > cap) report({ status: 'output-too-large', size: text.length });
  report({ status: 'ok', value });
}

void main();
