/**
 * The one program that evaluates a module podlab does not trust — a lab file, an exercise, a
 * student's submission — inside the sandbox of evaluate.ts (never in podlab's own process). It
 *   1. captures the builtins it needs before the module can replace them,
 *   2. maps `import … from 'podlab'` to this podlab's authoring API (src/index.ts), wherever the
 *      module lives (a course folder has no node_modules/podlab),
 *   3. prints a start marker (so that podlab can tell "the sandbox never started" from "the module
 *      ended its own process"), imports the module through the tsx loader,
 *   4. checks that what it exports is plain JSON data and prints one result line, tagged with the
 *      nonce podlab gave it. A module can print a forged result line, but that is no more than
 *      exporting that value.
 *
 *   node --import tsx evaluate-worker.ts lab|exercise FILE NONCE CAP [SEED]
 *
 * `lab`: the value is `export default` (else `export const lab`). `exercise`: a default export that
 * is a function gets the variant its `variants` export yields for SEED (src/lib/variant.ts); the
 * value is `{ exercise, variant }`.
 */
import { writeSync } from 'node:fs';
import Module, { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pickVariant, type Variant } from '../lib/variant.ts';

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

if ((mode !== 'lab' && mode !== 'exercise') || !file || !nonce || !capText) {
  process.stderr.write('usage: evaluate-worker lab|exercise FILE NONCE CAP [SEED]\n');
  exit(2);
}
const cap = Number(capText);

// 'podlab' → this podlab's src/index.ts, for ES modules (a resolve hook ahead of tsx's own) and
// for a module tsx treats as CommonJS (outside any "type": "module" package).
const PODLAB = new URL('../index.ts', import.meta.url).href;
register(`data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) { return next(s === 'podlab' ? ${stringify(PODLAB)} : s, c); }`)}`);
const cjs = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolveFilename = cjs._resolveFilename;
cjs._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  return resolveFilename.call(this, request === 'podlab' ? fileURLToPath(PODLAB) : request, ...rest);
};

writeAll(`podlab-sandbox ${nonce} started\n`);
let mod: Record<string, unknown> = {};
try {
  mod = (await import(pathToFileURL(file!).href)) as Record<string, unknown>;
} catch (e) {
  report({ status: isMemory(e) ? 'memory' : 'threw', error: describe(e) });
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
    value = { exercise, variant };
  }
} catch (e) {
  report({ status: isMemory(e) ? 'memory' : 'threw', error: describe(e) });
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
