/**
 * Type-checks a lab file with the TypeScript compiler, reporting only the lab file's own errors as
 * PL0004 with their positions. Slower than the schema, so `up` can skip it; `validate` always runs
 * it, and serves a result from typecheck-cache.ts when the lab and every file its program read are
 * unchanged (the cache is checked before the compiler is even loaded).
 *
 * 'podlab' resolves to podlab's types written out (author-types.ts) when they could be: checking
 * against zod's inferred types took the compiler a second more. Against them, the check runs in a
 * Node started from the type check's snapshot (typecheck-snapshot.ts: about 0.17 s), or, without
 * one, in this process (check-program.ts, about 0.5 s; the first check that finds no snapshot runs
 * here while it is built beside it). The types come with podlab (assets/author-types/); when
 * podlab's sources no longer print them, the first check reads those sources through ts-morph,
 * writes the types out in the cache and builds the snapshot (about 3 s, once).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { mark, span } from '../lib/trace.ts';
import { checkLab, labDiagnostics, programInputs, type Checked } from './check-program.ts';
import { checkCompilerOptions, LAB_GLOBALS, labCheckEnv, tsMorph } from './ts-morph.ts';
import { compilerFingerprint, PODLAB_ENTRY } from './typecheck-early.ts';
import { diag, type Diagnostic } from './diagnostics.ts';
import { lookup, store } from './typecheck-cache.ts';
import { freshAuthorTypes, writeAuthorTypes, writeShippedTypes } from './author-types.ts';
import { prepareSnapshot, snapshotCheck, snapshotFor } from './typecheck-snapshot.ts';

export interface TypecheckOptions {
  /** Serve and record results in the type-check cache. @default true */
  cache?: boolean;
  /** Check against podlab's types written out (author-types.ts), when they can be; false: its sources. @default true */
  authorTypes?: boolean;
  /** Check against them in a Node started from the type check's snapshot (typecheck-snapshot.ts), when it can; false: in this process. @default true */
  snapshot?: boolean;
  /** Take podlab's types as they come with podlab (assets/author-types/) when they are those of its sources; false: written out in the cache. @default true */
  shipped?: boolean;
}

export async function typecheckLab(file: string, options: TypecheckOptions = {}): Promise<Diagnostic[]> {
  const useCache = options.cache ?? true;
  const abs = resolve(file);
  const compiler = compilerFingerprint();
  // Found fresh before the cache is asked: an entry names the file's content, so one made against
  // podlab's old types is not served once they change. Missing or stale, they are written out by
  // this check, which then reads podlab's sources.
  const written = options.authorTypes === false ? undefined : freshAuthorTypes(PODLAB_ENTRY, compiler, options.shipped ?? true);
  if (useCache) {
    const hit = lookup(abs, compiler);
    if (hit) return hit.map((d) => ({ ...d, file }));
  }
  const checked = written ? await checkAgainst(abs, written, compiler, options.snapshot ?? true) : await checkAgainstSources(abs, compiler, options.authorTypes !== false);
  const diagnostics = checked.diagnostics.map((d): Diagnostic => {
    const lines = d.text.split('\n');
    return { ...diag('PL0004', [], `TS${d.code}: ${lines.at(-1)!.trim()}`, lines.length > 1 ? lines[0]!.trim() : undefined), file, line: d.line, column: d.column };
  });
  if (useCache && checked.inputs) store(abs, compiler, checked.inputs, diagnostics, checked.codes);
  return diagnostics;
}

/** Source files of lib files and the globals, kept between checks in this process (check-program.ts). */
const kept = new Map<string, import('ts-morph').ts.SourceFile>();

/** A check against podlab's types written out: in a Node from the snapshot when it can, else here. */
async function checkAgainst(abs: string, types: string, compiler: string, snapshot: boolean): Promise<Checked> {
  const blob = snapshot ? snapshotFor(types, compiler) : undefined;
  if (blob && !existsSync(blob)) {
    // The first check with these types: here, while the snapshot is built beside it for the next.
    const built = span('typecheck: the snapshot built');
    const building = prepareSnapshot(blob, types).finally(built);
    const checked = await checkAgainst(abs, types, compiler, false);
    await building;
    return checked;
  }
  if (blob) {
    const done = span('typecheck: in a Node started from the snapshot');
    const checked = await snapshotCheck(abs, blob);
    done();
    if (checked) {
      mark(`typecheck: answered by pid ${checked.pid}`);
      return checked;
    }
  }
  const done = span('typecheck: in process');
  try {
    return checkLab(tsMorph().ts, labCheckEnv(), abs, types, kept);
  } finally {
    done();
  }
}

/**
 * A check against podlab's sources, through ts-morph: their types written out from its program
 * (when `writeTypes`) for the next checks, and the snapshot built with them.
 */
async function checkAgainstSources(abs: string, compiler: string, writeTypes: boolean): Promise<Checked> {
  const done = span("typecheck: in process, against podlab's sources");
  const { Project, ts } = tsMorph();
  const project = new Project({ skipAddingFilesFromTsConfig: true, compilerOptions: { ...checkCompilerOptions(), paths: { podlab: [PODLAB_ENTRY] } } });
  project.createSourceFile(LAB_GLOBALS.path, LAB_GLOBALS.text);
  project.addSourceFileAtPath(abs);
  project.resolveSourceFileDependencies();
  const program = project.getProgram().compilerObject;
  const checked = { ...labDiagnostics(ts, program, abs), inputs: programInputs(program, abs, new Set([LAB_GLOBALS.path])) };
  done();
  const types = writeTypes ? writeAuthorTypes(project, PODLAB_ENTRY, compiler) : undefined;
  const blob = types ? snapshotFor(types, compiler) : undefined;
  if (types && blob) {
    const built = span('typecheck: the snapshot built');
    await prepareSnapshot(blob, types);
    built();
  }
  return checked;
}

/** Writes podlab's types where they come with podlab (`npm run author-types`, author-types.ts); the file, or undefined. */
export function writePodlabTypes(): string | undefined {
  return writeShippedTypes(compilerFingerprint());
}

/** podlab's types written out that a check would use now, if any (author-types.ts). */
export function podlabTypes(options: Pick<TypecheckOptions, 'shipped'> = {}): string | undefined {
  return freshAuthorTypes(PODLAB_ENTRY, compilerFingerprint(), options.shipped ?? true);
}
