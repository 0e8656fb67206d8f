/**
 * Type-checks a lab file with the TypeScript compiler (through ts-morph), reporting only the lab
 * file's own errors as PL0004 with their positions. Slower than the schema (a compiler program of
 * the lab and podlab's types, with TypeScript's own: about 0.7 s of CPU), so `up` can skip it;
 * `validate` always runs it, and serves a result from typecheck-cache.ts when the lab and every
 * file its program read are unchanged (the cache is checked before ts-morph is even loaded).
 * 'podlab' resolves to podlab's types written out (author-types.ts) when they could be: checking
 * against zod's inferred types took the compiler a second more.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECK_OPTIONS, checkCompilerOptions, LAB_GLOBALS, tsMorph } from './ts-morph.ts';
import { diag, type Diagnostic } from './diagnostics.ts';
import { lookup, store, type CheckInputs } from './typecheck-cache.ts';
import { freshAuthorTypes, writeAuthorTypes } from './author-types.ts';

export interface TypecheckOptions {
  /** Serve and record results in the type-check cache. @default true */
  cache?: boolean;
  /** Check against podlab's types written out (author-types.ts), when they can be; false: its sources. @default true */
  authorTypes?: boolean;
}

// From the repository root, so the path holds in the CLI bundle (build/cli/podlab.cjs) too.
const PODLAB_ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** The compiler options of the check, with the globals' text; part of the cache key. */
const OPTIONS = {
  ...CHECK_OPTIONS,
  // 'podlab' is this podlab wherever the lab lives, as the loader resolves it (evaluate-worker.ts).
  paths: { podlab: [PODLAB_ENTRY] },
  globals: LAB_GLOBALS.text,
};

let fingerprint: string | undefined;

/** ts-morph's and its TypeScript's versions with the options, without loading the compiler. */
function compilerFingerprint(): string {
  if (fingerprint) return fingerprint;
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => (require(pkg) as { version: string }).version;
  return (fingerprint = JSON.stringify([`ts-morph@${version('ts-morph/package.json')}`, `@ts-morph/common@${version('@ts-morph/common/package.json')}`, OPTIONS]));
}

export function typecheckLab(file: string, options: TypecheckOptions = {}): Diagnostic[] {
  const useCache = options.cache ?? true;
  const abs = resolve(file);
  const compiler = compilerFingerprint();
  // Found fresh before the cache is asked: an entry names the file's content, so one made against
  // podlab's old types is not served once they change. Missing or stale, they are written out by
  // this check, which then reads podlab's sources.
  const written = options.authorTypes === false ? undefined : freshAuthorTypes(PODLAB_ENTRY, compiler);
  if (useCache) {
    const hit = lookup(abs, compiler);
    if (hit) return hit.map((d) => ({ ...d, file }));
  }
  const { DiagnosticCategory, Project, ts } = tsMorph();
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    compilerOptions: { ...checkCompilerOptions(), paths: { podlab: [written ?? PODLAB_ENTRY] } },
  });
  project.createSourceFile(LAB_GLOBALS.path, LAB_GLOBALS.text);
  const sf = project.addSourceFileAtPath(file);
  project.resolveSourceFileDependencies();
  const errors = sf.getPreEmitDiagnostics().filter((d) => d.getCategory() === DiagnosticCategory.Error && d.getSourceFile()?.getFilePath() === sf.getFilePath());
  const diagnostics = errors.map((d) => {
    const start = d.getStart() ?? 0;
    const { line, column } = sf.getLineAndColumnAtPos(start);
    const text = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n');
    return { ...diag('PL0004', [], `TS${d.getCode()}: ${text.split('\n').at(-1)!.trim()}`, text.includes('\n') ? text.split('\n')[0]!.trim() : undefined), file, line, column };
  });
  if (useCache) {
    const read = inputsOf(project.getProgram().compilerObject, abs);
    const codes = [...sf.getPreEmitDiagnostics().map((d) => d.getCode())];
    if (read) store(abs, compiler, read, diagnostics, codes);
  }
  // The types this check resolved from podlab's sources, written out for the next checks.
  if (options.authorTypes !== false && !written) writeAuthorTypes(project, PODLAB_ENTRY, compiler);
  return diagnostics;
}

/** What a module resolution left behind (TypeScript's ResolvedModuleWithFailedLookupLocations). */
interface Resolution {
  failedLookupLocations?: string[];
  affectingLocations?: string[];
}

/**
 * What the check read, for the cache: the program's source files as the compiler read them (the
 * lab first; TypeScript's own lib files live in memory inside ts-morph and come with its version,
 * which is in the key), the package.json files resolution read and the paths it tried in vain.
 * An import that did not resolve (podlab's own `node:` imports do not, with `types: []`) is
 * covered by the paths it tried. undefined when that cannot be known (a TypeScript without
 * `forEachResolvedModule`): then nothing is cached.
 */
function inputsOf(program: import('ts-morph').ts.Program, abs: string): CheckInputs | undefined {
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
    .filter((f) => !program.isSourceFileDefaultLibrary(f) && f.fileName !== LAB_GLOBALS.path)
    .map((f) => ({ path: resolve(f.fileName), text: f.text }));
  return {
    texts: [...texts.filter((t) => t.path === abs), ...texts.filter((t) => t.path !== abs)],
    affecting: [...new Set(affecting)].map((p) => resolve(p)),
    absent: absent.map((p) => resolve(p)),
  };
}
