/**
 * The authoring API's types written out as one declaration file, for the type check of lab files
 * (typecheck.ts). What a lab file imports from 'podlab' is typed by zod's inferred types
 * (`z.input<typeof labSchema>`): checking a lab against them makes the compiler read podlab's
 * sources and zod's declarations and instantiate zod's generics, about 1.2 s of CPU at every check
 * of an edited lab. The same types as the compiler resolves them, printed once with its own type
 * printer as plain object types, check in about 0.2 s, with the same messages (the types are the
 * same; the compiler prints a zod-inferred type structurally either way).
 *
 * They come with podlab (assets/author-types/, SHIPPED_TYPES). When podlab's sources no longer
 * print those, the first type check after they change writes them out from the program it built
 * anyway (about 0.5 s more, once) into the type-check cache's directory (`types/`). Either is used
 * only when it holds every export of src/index.ts and checks clean itself; otherwise the check
 * reads podlab's sources as before. Its record names every file the printing program read
 * (podlab's sources, zod's declarations) with the SHA-256 of its content: any change makes a new
 * one.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../lib/build-dir.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { cacheDir, hashOf, sha256 } from './typecheck-cache.ts';
import { checkCompilerOptions, tsMorph } from './ts-morph.ts';

/** Bump when what is printed changes. */
const FORMAT = 2;

interface TypesRecord {
  format: number;
  compiler: string;
  inputs: { path: string; sha256: string }[];
}

/**
 * podlab's own types as they come with podlab (`npm run author-types` writes them, from its
 * sources; author-types.test.ts fails when they are not those of the sources as they are), so that
 * the first check after podlab is installed need not print them. Their record names paths and the
 * compiler relative to the package's root (`<podlab>/`); where anything differs (podlab's sources
 * edited, packages installed elsewhere, another compiler) they are not used.
 */
export const SHIPPED_TYPES = join(PACKAGE_ROOT, 'assets', 'author-types', 'podlab.d.ts');
const SHIPPED_RECORD = SHIPPED_TYPES.replace(/\.d\.ts$/, '.json');
const PODLAB_INDEX = join(PACKAGE_ROOT, 'src', 'index.ts');
const portable = (s: string) => s.replaceAll(PACKAGE_ROOT, '<podlab>/');
const local = (s: string) => s.replaceAll('<podlab>/', PACKAGE_ROOT);

function fresh(recordFile: string, compiler: string, paths: (s: string) => string = (s) => s): boolean {
  try {
    const r = JSON.parse(readFileSync(recordFile, 'utf8')) as TypesRecord;
    if (r.format !== FORMAT || paths(r.compiler) !== compiler || !Array.isArray(r.inputs) || !r.inputs.length) return false;
    return r.inputs.every((i) => hashOf(paths(i.path)) === i.sha256);
  } catch {
    return false;
  }
}

/** Where the types of `entry` are written, and their record. */
function paths(entry: string, compiler: string): { file: string; recordFile: string; dir: string } {
  const dir = join(cacheDir(), 'types');
  const key = sha256(JSON.stringify([FORMAT, compiler, entry])).slice(0, 32);
  return { dir, file: join(dir, `podlab-${key}.d.ts`), recordFile: join(dir, `podlab-${key}.json`) };
}

/**
 * The types of `entry` written out, if they are and every file they were printed from is unchanged:
 * in the cache, or, for podlab's own, as they come with podlab (unless `shipped` is false). Loads
 * no compiler.
 */
export function freshAuthorTypes(entry: string, compiler: string, shipped = true): string | undefined {
  const { file, recordFile } = paths(entry, compiler);
  if (fresh(recordFile, compiler)) return file;
  return shipped && entry === PODLAB_INDEX && fresh(SHIPPED_RECORD, compiler, local) ? SHIPPED_TYPES : undefined;
}

/** Writes podlab's own types where they come with podlab, from its sources now (`npm run author-types`); the file, or undefined when they cannot be written out whole. */
export function writeShippedTypes(compiler: string): string | undefined {
  const { text, inputs } = printTypes(projectOf(PODLAB_INDEX), PODLAB_INDEX);
  if (!text) return undefined;
  mkdirSync(join(SHIPPED_TYPES, '..'), { recursive: true });
  writeFileAtomic(SHIPPED_TYPES, text);
  const record: TypesRecord = { format: FORMAT, compiler: portable(compiler), inputs: inputs.map((i) => ({ ...i, path: portable(i.path) })) };
  writeFileAtomic(SHIPPED_RECORD, `${JSON.stringify(record, null, 1)}\n`);
  return SHIPPED_TYPES;
}

/**
 * Writes out the types of `entry`'s exports from a ts-morph project whose program holds `entry`
 * (a type check against podlab's sources, which has resolved them already); nothing when they
 * cannot be written out whole. `compiler` names the compiler and its options (typecheck.ts).
 */
export function writeAuthorTypes(project: import('ts-morph').Project, entry: string, compiler: string): string | undefined {
  const { dir, file, recordFile } = paths(entry, compiler);
  try {
    const { text, inputs } = printTypes(project, entry);
    if (!text) return undefined;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, text, 0o600);
    writeFileAtomic(recordFile, JSON.stringify({ format: FORMAT, compiler, inputs } satisfies TypesRecord), 0o600);
    return file;
  } catch {
    return undefined;
  }
}

/** The types of `entry`, fresh or written out now from a program of their own; undefined when they cannot be written out whole. */
export function authorTypes(entry: string, compiler: string): string | undefined {
  return freshAuthorTypes(entry, compiler) ?? writeAuthorTypes(projectOf(entry), entry, compiler);
}

/** A ts-morph project of `entry` and what it reaches, with the check's options: a program of their own to print its types from. */
function projectOf(entry: string): import('ts-morph').Project {
  const { Project } = tsMorph();
  const project = new Project({ skipAddingFilesFromTsConfig: true, compilerOptions: checkCompilerOptions() });
  project.addSourceFileAtPath(entry);
  project.resolveSourceFileDependencies();
  return project;
}

/**
 * Every export of `entry` as a type alias or a declared constant; empty text if one cannot be
 * written out, or the result does not check. The check is of the text as a `.ts` file added to the
 * same project (TypeScript reuses the files it has read), then removed.
 */
function printTypes(project: import('ts-morph').Project, entry: string): { text: string; inputs: TypesRecord['inputs'] } {
  const { ts } = tsMorph();
  const program = project.getProgram().compilerObject;
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(entry);
  const module = sf && checker.getSymbolAtLocation(sf);
  if (!module) return { text: '', inputs: [] };
  const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.UseStructuralFallback;
  const lines = [`// Generated by podlab (src/compile/author-types.ts) from ${relative(PACKAGE_ROOT, entry)}: the types a lab file imports, written out. Do not edit.`];
  const exports = checker.getExportsOfModule(module);
  for (const e of exports) {
    const sym = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    if (sym.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface)) lines.push(`export type ${e.name} = ${checker.typeToString(checker.getDeclaredTypeOfSymbol(sym), undefined, flags)};`);
    else if (sym.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) lines.push(`export declare const ${e.name}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, sf), undefined, flags)};`);
    else return { text: '', inputs: [] };
  }
  const text = `${lines.join('\n')}\n`;
  // What they were printed from: the files `entry` reaches (not the lab the check was of, nor its own imports).
  const reached = new Set<import('ts-morph').SourceFile>();
  const queue = [project.getSourceFileOrThrow(entry)];
  while (queue.length) for (const f of queue.pop()!.getReferencedSourceFiles()) if (!reached.has(f) && !program.isSourceFileDefaultLibrary(f.compilerNode)) (reached.add(f), queue.push(f));
  const inputs = [project.getSourceFileOrThrow(entry), ...reached].map((f) => ({ path: resolve(f.getFilePath()), sha256: sha256(f.getFullText()) }));
  // It must check on its own (every name it uses declared in it) and export what the entry does.
  const probe = project.createSourceFile(`${entry}.podlab-author-types-probe.ts`, text, { overwrite: true });
  try {
    const ok = probe.getPreEmitDiagnostics().length === 0 && probe.getExportSymbols().length === exports.length;
    return ok ? { text, inputs } : { text: '', inputs: [] };
  } finally {
    project.removeSourceFile(probe);
  }
}
