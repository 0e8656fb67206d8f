/**
 * One type check of a lab file against podlab's types written out (author-types.ts), with the
 * TypeScript compiler's own API: a program of the lab, TypeScript's lib files and the lab's
 * globals served from memory, and everything else read from disk. Two places run it and must
 * agree: typecheck.ts, in podlab's process, and check-snapshot.ts, a Node started from a V8
 * startup snapshot that holds the compiler with the lib files and podlab's types parsed and bound
 * already. So it imports only types and Node's own modules: the snapshot's program may require
 * nothing else. A check against podlab's sources (typecheck.ts, through ts-morph) reads its program's
 * diagnostics and inputs with the same functions.
 */
import { resolve } from 'node:path';
import type * as TsMorph from 'ts-morph';
import type { CheckInputs } from './typecheck-cache.ts';

type Ts = typeof TsMorph.ts;
type Program = TsMorph.ts.Program;
type SourceFile = TsMorph.ts.SourceFile;

/** What every check of a lab shares: the compiler options and the files served from memory. */
export interface CheckEnv {
  /** As the compiler takes them (enums as numbers), without `paths` (the check adds 'podlab'). */
  options: TsMorph.ts.CompilerOptions;
  /** Where TypeScript's lib files are served (ts-morph serves them there too), and their texts by name. */
  libDir: string;
  libs: Record<string, string>;
  /** Files served from memory by absolute path: the lab's globals (ts-morph.ts's LAB_GLOBALS), and any other. */
  files: Record<string, string>;
  /** Which of `files` are in every program: declarations a lab never imports. */
  roots: string[];
}

/** What check-snapshot.ts builds a snapshot from (on its stdin). */
export interface BuildRequest {
  /** The compiler's CommonJS file (@ts-morph/common's typescript.js), and the code cache ts-morph.ts keeps of it. */
  typescript: string;
  codeCache: string;
  env: CheckEnv;
  /** podlab's types written out (author-types.ts): 'podlab' of every check. */
  types: string;
}

/** A diagnostic of TypeScript in the lab file: its code, its 1-based position and its flattened text. */
export interface RawDiagnostic {
  code: number;
  line: number;
  column: number;
  text: string;
}

export interface Checked {
  diagnostics: RawDiagnostic[];
  /** The codes of every diagnostic of the lab's program (the cache keeps none with a resolution error). */
  codes: number[];
  /** What the program read; undefined when that cannot be known. */
  inputs?: CheckInputs;
  /** The process that checked (a snapshot's Node says). */
  pid?: number;
}

/**
 * Checks `abs` with 'podlab' resolved to `types`. A source file in `keep` is reused when its text
 * is the one read now, and every file from memory or at `types` is kept there for the next check.
 */
export function checkLab(ts: Ts, env: CheckEnv, abs: string, types: string, keep: Map<string, SourceFile>): Checked {
  const options = { ...env.options, paths: { podlab: [types] } };
  const host = ts.createCompilerHost(options);
  const libDir = env.libDir.endsWith('/') ? env.libDir : `${env.libDir}/`;
  const memory = (f: string): string | undefined => env.files[f] ?? (f.startsWith(libDir) ? env.libs[f.slice(libDir.length)] : undefined);
  const { fileExists, readFile } = host;
  host.getDefaultLibLocation = () => env.libDir;
  host.getDefaultLibFileName = (o) => `${libDir}${ts.getDefaultLibFileName(o)}`;
  host.fileExists = (f) => memory(f) !== undefined || fileExists.call(host, f);
  host.readFile = (f) => memory(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, languageVersion, onError) => {
    let text: string | undefined;
    try {
      text = host.readFile(f);
    } catch (e) {
      onError?.((e as Error).message);
    }
    if (text === undefined) return undefined;
    const kept = keep.get(f);
    if (kept?.text === text) return kept;
    const sf = ts.createSourceFile(f, text, languageVersion, false);
    if (memory(f) !== undefined || f === types) keep.set(f, sf);
    return sf;
  };
  const program = ts.createProgram({ rootNames: [...env.roots, abs], options, host });
  return { ...labDiagnostics(ts, program, abs), inputs: programInputs(program, abs, new Set(Object.keys(env.files))) };
}

/** The errors of `program` in the file `abs`, as podlab reports them (PL0004), and every diagnostic's code. */
export function labDiagnostics(ts: Ts, program: Program, abs: string): Omit<Checked, 'inputs'> {
  const sf = program.getSourceFile(abs);
  if (!sf) return { diagnostics: [], codes: [] };
  const all = ts.getPreEmitDiagnostics(program, sf);
  const diagnostics = all
    .filter((d) => d.category === ts.DiagnosticCategory.Error && d.file?.fileName === sf.fileName)
    .map((d) => ({ code: d.code, ...position(sf.text, d.start ?? 0), text: ts.flattenDiagnosticMessageText(d.messageText, '\n') }));
  return { diagnostics, codes: all.map((d) => d.code) };
}

/** Line (lines end at "\n") and column (from the last "\n" or "\r"), both from 1, as ts-morph counts them. */
function position(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  for (let i = 0; i < pos; i++) if (text.charCodeAt(i) === 10) line++;
  let start = pos;
  while (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r') start--;
  return { line, column: pos - start + 1 };
}

/** What a module resolution left behind (TypeScript's ResolvedModuleWithFailedLookupLocations). */
interface Resolution {
  failedLookupLocations?: string[];
  affectingLocations?: string[];
}

/**
 * What the check read, for the cache (typecheck-cache.ts): the program's source files as the
 * compiler read them (the lab first; TypeScript's lib files come with its version, and the files
 * in `fromMemory` with the options, both in the cache's key), the package.json files resolution
 * read and the paths it tried in vain. An import that did not resolve (podlab's own `node:` imports
 * do not, with `types: []`) is covered by the paths it tried. undefined when that cannot be known
 * (a TypeScript without `forEachResolvedModule`): then nothing is cached.
 */
export function programInputs(program: Program, abs: string, fromMemory: ReadonlySet<string>): CheckInputs | undefined {
  const each = (program as unknown as { forEachResolvedModule?: (cb: (r: Resolution) => void) => void }).forEachResolvedModule;
  if (typeof each !== 'function') return undefined;
  const affecting: string[] = [];
  const absent: string[] = [];
  each.call(program, (r) => {
    affecting.push(...(r.affectingLocations ?? []));
    absent.push(...(r.failedLookupLocations ?? []));
  });
  const texts = program
    .getSourceFiles()
    .filter((f) => !program.isSourceFileDefaultLibrary(f) && !fromMemory.has(f.fileName))
    .map((f) => ({ path: resolve(f.fileName), text: f.text }));
  return {
    texts: [...texts.filter((t) => t.path === abs), ...texts.filter((t) => t.path !== abs)],
    affecting: [...new Set(affecting)].map((p) => resolve(p)),
    absent: absent.map((p) => resolve(p)),
  };
}
