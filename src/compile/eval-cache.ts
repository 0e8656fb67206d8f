/**
 * The lab-evaluation cache: "this exact lab source evaluated to this value". Evaluating a lab
 * starts a sandboxed child process, about 50 ms of CPU (285 with tsx's loader, until 2026-12),
 * where reading and hashing the lab's files takes a millisecond. An entry is kept only for a lab
 * whose value is a function of its source text alone, and served only while every file it imports
 * has the same content.
 *
 * What makes a lab cacheable (decided from its source, before it ever runs, conservatively):
 * - its own files (the lab and the relative imports it reaches) import only each other and
 *   'podlab' (a bare package or a `node:` module would bring state from outside: no entry);
 * - none of them names anything that reads the world or the clock: `process`, `Date`,
 *   `Math.random`, `globalThis`, `require`, a dynamic `import(`, `eval`, `Function`, `fetch`,
 *   `performance`, `crypto` (a lab that does is evaluated every time, as before);
 * - 'podlab' is podlab's own authoring API (src/index.ts and what it imports at run time): hashed
 *   as part of the input, so a podlab with other helpers makes a miss.
 * Module resolution is an input too: the candidate paths tried before the one found are recorded
 * as absent, so a file created where an import would now resolve makes a miss.
 *
 * Only successful evaluations are stored (errors carry positions and are cheap to redo). Where:
 * `$PODLAB_CACHE_DIR`, else `$XDG_CACHE_HOME/podlab`, else `~/.cache/podlab`, in `eval/`, files
 * 0600 in a 0700 folder. A missing, unreadable or corrupt entry is a miss; a cache that cannot be
 * written costs only the speed. Imports Node's modules only: bin/podlab.js runs it (bundled) to
 * decide whether to start the evaluation early at all.
 */
import { createHash } from '../lib/crypto.ts';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { resolveRelative } from './resolve-relative.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when what is stored for the same input changes. */
const FORMAT = 1;

/** podlab's authoring API, what `import … from 'podlab'` means in a lab (evaluate-worker.ts). */
const PODLAB_ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** Names whose use makes a lab's value depend on more than its source. */
const IMPURE = /\b(?:(?:process|Date|globalThis|global|require|eval|Function|fetch|performance|crypto|setTimeout|setInterval|queueMicrotask|WebAssembly)\b|Math\s*\.\s*random\b|import\s*(?:\(|\.\s*meta\b))/;

interface Entry {
  format: number;
  file: string;
  inputs: { path: string; sha256: string }[];
  absent: string[];
  value: unknown;
}

export function evalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODLAB_CACHE_DIR) return join(env.PODLAB_CACHE_DIR, 'eval');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'podlab', 'eval');
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

function entryPath(absFile: string): string {
  return join(evalCacheDir(), `${sha256(JSON.stringify([FORMAT, absFile])).slice(0, 32)}.json`);
}

/**
 * Static import and export-from specifiers of a module, type-only ones left out, or undefined
 * when some `from '…'` could not be read as part of a statement (then nothing is cached).
 */
export function importSpecifiers(text: string): string[] | undefined {
  const out: string[] = [];
  // Comments out first, so an import in a comment is no input (and a "Date" in one no impurity).
  const code = stripComments(text);
  const re = /\b(import|export)\b([^;'"`]*?)\bfrom\s*(['"])([^'"]+)\3|\bimport\s*(['"])([^'"]+)\5/g;
  let found = 0;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    found++;
    if (m[4] !== undefined && /^\s*type\s/.test(m[2]!)) continue;
    out.push(m[4] ?? m[6]!);
  }
  // Counted in the text as written: an import that comment stripping would hide counts here.
  const froms = text.match(/\bfrom\s*['"]/g)?.length ?? 0;
  const bare = text.match(/\bimport\s*['"]/g)?.length ?? 0;
  return froms + bare === found ? out : undefined;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

/** The lab's inputs (its own files, then podlab's API), or undefined when the lab is not cacheable. */
export function labInputs(absFile: string): { inputs: { path: string; sha256: string }[]; absent: string[] } | undefined {
  const inputs: { path: string; sha256: string }[] = [];
  const absent: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string, own: boolean): boolean => {
    if (seen.has(path)) return true;
    seen.add(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return false;
    }
    inputs.push({ path, sha256: sha256(text) });
    // Quoted strings are names, not code ('process' as a pod name); template literals stay code.
    if (own && IMPURE.test(stripComments(text).replace(/(['"])(?:\\.|(?!\1)[^\\\n])*\1/g, '""'))) return false;
    const specs = importSpecifiers(text);
    if (!specs) return false;
    for (const spec of specs) {
      if (spec === 'podlab') {
        if (!visit(PODLAB_ENTRY, false)) return false;
      } else if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = resolveRelative(path, spec, absent);
        if (!target || !visit(target, own)) return false;
      } else if (own) return false; // a package or a node: module of the lab's own
      // podlab's own files import packages (zod, …): their versions are podlab's, pinned with it.
    }
    return true;
  };
  return visit(absFile, true) ? { inputs, absent } : undefined;
}

/** The value `absFile` evaluated to, if the cache holds it for exactly these inputs. */
export function lookupEvaluation(absFile: string): { value: unknown } | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryPath(absFile), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (entry?.format !== FORMAT || entry.file !== absFile || !Array.isArray(entry.inputs) || entry.inputs[0]?.path !== absFile || !Array.isArray(entry.absent)) return undefined;
  for (const input of entry.inputs) {
    let text: Buffer;
    try {
      text = readFileSync(input.path);
    } catch {
      return undefined;
    }
    if (sha256(text) !== input.sha256) return undefined;
  }
  for (const path of entry.absent) if (existsSync(path)) return undefined;
  return { value: entry.value };
}

/**
 * Records what `absFile` evaluated to. The inputs are read before the evaluation started
 * (`before`, from labInputs) and again now: a file edited meanwhile makes no entry.
 */
export function storeEvaluation(absFile: string, before: ReturnType<typeof labInputs>, value: unknown): void {
  if (!before) return;
  const now = labInputs(absFile);
  if (!now || JSON.stringify(now) !== JSON.stringify(before)) return;
  const entry: Entry = { format: FORMAT, file: absFile, inputs: before.inputs, absent: [...new Set(before.absent)].sort(), value };
  const path = entryPath(absFile);
  try {
    mkdirSync(evalCacheDir(), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, JSON.stringify(entry), 0o600);
  } catch {
    /* a cache that cannot be written costs only the speed */
  }
}
