/**
 * The type check's cache: "this exact input had these diagnostics". A type check builds a compiler
 * program of the lab and everything it imports (podlab's own sources for `import 'podlab'`),
 * about a second of CPU, where reading and hashing those files takes milliseconds. So each
 * checked lab leaves one entry, named by a hash of its absolute path, holding every input file
 * of its program with the SHA-256 of its content, and the diagnostics. An entry is served only
 * when it names the same absolute path and every input still has the same content; any change
 * to the lab, to a file it imports or to podlab's types makes a miss, and the check runs again.
 *
 * Module resolution is part of the input too: the package.json files it read are inputs, and
 * every path it tried and did not find is recorded as absent, so that a file created where an
 * import would now resolve (a shadowing `x.ts`, a `node_modules/podlab`) makes a miss as well. A
 * lab with an import that did not resolve at all (TS2307 and kin) is not cached. The compiler and
 * its options (TypeScript's version, the options, FORMAT) are in the entry's name.
 *
 * Where: `$PODLAB_CACHE_DIR`, else `$XDG_CACHE_HOME/podlab`, else `~/.cache/podlab`, in
 * `typecheck/`. A missing, unreadable or corrupt entry is a miss; a cache that cannot be written
 * costs only the speed.
 */
import { createHash } from '../lib/crypto.ts';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from './diagnostics.ts';

/** Bump when what typecheck.ts reports for the same input changes. */
const FORMAT = 1;

/** Diagnostics of TypeScript that depend on a file being absent (module resolution): never cached. */
const RESOLUTION_CODES = new Set([2307, 2305, 2306, 2792, 2834, 2835, 5097, 6059, 6307]);

export interface CacheEntry {
  format: number;
  /** Absolute path of the lab file the entry is for. */
  file: string;
  /** Every input of the program (the lab first), with the SHA-256 of its content. */
  inputs: { path: string; sha256: string }[];
  /** Paths module resolution tried and did not find: each must still be absent. */
  absent: string[];
  /** The diagnostics, without `file` (set again when served). */
  diagnostics: Omit<Diagnostic, 'file'>[];
}

/** The cache directory (see the top of this module). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODLAB_CACHE_DIR) return join(env.PODLAB_CACHE_DIR, 'typecheck');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'podlab', 'typecheck');
}

/** The hash of a text as the compiler reads it (UTF-8, without a byte order mark). */
export const sha256 = (text: string) => createHash('sha256').update(text.replace(/^\uFEFF/, '')).digest('hex');

/** The hash of a file's text as the compiler reads it; undefined when it cannot be read. */
export function hashOf(path: string): string | undefined {
  try {
    return sha256(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The entry's file name: the absolute path, the compiler's version and options, the format. */
function entryPath(absFile: string, compiler: string): string {
  return join(cacheDir(), `${sha256(JSON.stringify([FORMAT, compiler, absFile])).slice(0, 32)}.json`);
}

/** The diagnostics of `absFile` if the cache holds them for exactly these inputs. */
export function lookup(absFile: string, compiler: string): Omit<Diagnostic, 'file'>[] | undefined {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(entryPath(absFile, compiler), 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry?.format !== FORMAT || entry.file !== absFile || !Array.isArray(entry.inputs) || !entry.inputs.length || entry.inputs[0]!.path !== absFile) return undefined;
  if (!Array.isArray(entry.absent)) return undefined;
  for (const input of entry.inputs) if (hashOf(input.path) !== input.sha256) return undefined;
  for (const path of entry.absent) if (existsSync(path)) return undefined;
  return Array.isArray(entry.diagnostics) ? entry.diagnostics : undefined;
}

/** What one check read: its source files as the compiler read them, and what resolution consulted. */
export interface CheckInputs {
  /** The program's source files (the lab first), with the text that was checked. */
  texts: { path: string; text: string }[];
  /** Files module resolution read (package.json), hashed as they are on disk now. */
  affecting: string[];
  /** Paths module resolution tried and did not find. */
  absent: string[];
}

/**
 * Records the result of a check. The source files are hashed as the compiler read them, so the
 * hashes are of what was checked, not of what is on disk a moment later. `tsCodes`: every
 * TypeScript diagnostic code of the lab file, for "did an import not resolve".
 */
export function store(absFile: string, compiler: string, read: CheckInputs, diagnostics: Diagnostic[], tsCodes: number[]): void {
  if (tsCodes.some((c) => RESOLUTION_CODES.has(c)) || read.texts[0]?.path !== absFile) return;
  const affecting: { path: string; sha256: string }[] = [];
  for (const path of read.affecting) {
    const h = hashOf(path);
    if (h === undefined) return; // read, then gone: not a state worth keeping
    affecting.push({ path, sha256: h });
  }
  const entry: CacheEntry = {
    format: FORMAT,
    file: absFile,
    inputs: [...read.texts.map((t) => ({ path: t.path, sha256: sha256(t.text) })), ...affecting],
    absent: [...new Set(read.absent)].sort(),
    diagnostics: diagnostics.map(({ file: _file, ...d }) => d),
  };
  const path = entryPath(absFile, compiler);
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, JSON.stringify(entry), 0o600);
  } catch {
    /* a cache that cannot be written costs only the speed */
  }
}
