/**
 * The authoring API's types written out as one declaration file, for the type check of lab files
 * (typecheck.ts). What a lab file imports from 'podlab' is typed by zod's inferred types
 * (`z.input<typeof labSchema>`): checking a lab against them makes the compiler read podlab's
 * sources and zod's declarations and instantiate zod's generics, about 1.2 s of CPU at every check
 * of an edited lab. The same types as the compiler resolves them, printed once with its own type
 * printer as plain object types, check in about 0.2 s, with the same messages (the types are the
 * same; the compiler prints a zod-inferred type structurally either way).
 *
 * Written out by the first type check after podlab's sources change, which reads them anyway, from
 * the program it built (about 0.5 s more, once), into the type-check cache's directory (`types/`),
 * and used only when it holds every export of src/index.ts and checks clean itself; otherwise the
 * check reads podlab's sources as before. Its record names every file the printing
 * program read (podlab's sources, zod's declarations) with the SHA-256 of its content: any change
 * makes a new one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { cacheDir } from './typecheck-cache.ts';
import { tsMorph } from './ts-morph.ts';

/** Bump when what is printed changes. */
const FORMAT = 1;

interface TypesRecord {
  format: number;
  compiler: string;
  inputs: { path: string; sha256: string }[];
}

const sha256 = (text: string) => createHash('sha256').update(text.replace(/^\uFEFF/, '')).digest('hex');

function fresh(recordFile: string, compiler: string): boolean {
  try {
    const r = JSON.parse(readFileSync(recordFile, 'utf8')) as TypesRecord;
    if (r.format !== FORMAT || r.compiler !== compiler || !Array.isArray(r.inputs) || !r.inputs.length) return false;
    return r.inputs.every((i) => sha256(readFileSync(i.path, 'utf8')) === i.sha256);
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

/** The types of `entry` written out, if they are and every file they were printed from is unchanged; loads no compiler. */
export function freshAuthorTypes(entry: string, compiler: string): string | undefined {
  const { file, recordFile } = paths(entry, compiler);
  return fresh(recordFile, compiler) ? file : undefined;
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
  const found = freshAuthorTypes(entry, compiler);
  if (found) return found;
  const { Project } = tsMorph();
  const project = new Project({ skipAddingFilesFromTsConfig: true, compilerOptions: OPTIONS() });
  project.addSourceFileAtPath(entry);
  project.resolveSourceFileDependencies();
  return writeAuthorTypes(project, entry, compiler);
}

/** The options types are printed with (typecheck.ts's, without its path mapping). */
function OPTIONS(): import('ts-morph').ts.CompilerOptions {
  const { ts } = tsMorph();
  return { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true, skipLibCheck: true, types: [] };
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
  const lines = [`// Generated by podlab (src/compile/author-types.ts) from ${entry}: the types a lab file imports, written out. Do not edit.`];
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
