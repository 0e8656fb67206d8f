/**
 * What every command shares and costs nothing to load: the exit codes, the Exit that ends a
 * command once its message is out, the lab-name prefix, naming a lab by name or by file, and a
 * lab's diagnostics printed. common.ts re-exports the first; `podlab down` (src/cli/down-main.ts,
 * a bundle of its own) imports them from here, so that it does not load the compiler to remove a
 * lab named by its name.
 *
 * Compiling a lab file goes through the compiler a bundle's entry hands over
 * (`compileLabFilesWith`): the whole CLI's and `up`'s do; a bundle of commands on a live lab has
 * none, and bin/podlab.js runs the whole CLI for a command line that names a lab file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { CompileOptions, CompileResult } from '../compile/compile.ts';
import { diag, formatDiagnostic, type Diagnostic } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { color, red } from './terminal.ts';

export const EXIT = { ok: 0, failed: 1, cannotRun: 2 } as const;

/**
 * An option's parser for a whole number from `min` to `max`: anything else is a usage error (the
 * option named, help after it, exit 2), as commander reports a bad choice.
 */
export function wholeNumber(min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`It takes a whole number from ${min} to ${max}.`);
    return Number(v);
  };
}

/** Thrown to end a command with an exit code after its message was printed. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * The lab-name prefix (`--prefix`, or PODLAB_PREFIX): prepended to the name of every lab a live
 * command builds or names, so that two users on one host can run the same lab (`alice-` and
 * `bob-` make `alice-services` and `bob-services`, with namespaces of their own). render and
 * validate keep the lab's own name.
 */
/** The lab-name prefix in force (`--prefix` sets PODLAB_PREFIX), or ''. */
export const labPrefix = (): string => process.env.PODLAB_PREFIX ?? '';

/** ` named alice-…` when a lab-name prefix is in force: what a message about "the user's labs" says of them. */
export const prefixNamed = (): string => (labPrefix() ? ` named ${labPrefix()}…` : '');

export function prefixed(name: string, prefix = labPrefix()): string {
  if (!prefix || name.startsWith(prefix)) return name;
  const full = `${prefix}${name}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(full) || full.length > 63 || !/^[a-z0-9][-a-z0-9]*$/.test(prefix)) badPrefixExit(prefix, `makes "${full}", which is not a lab name`);
  return full;
}

const badPrefixExit = (prefix: string, why: string): never => {
  process.stderr.write(`${formatDiagnostic(diag('PL3140', [], `the lab-name prefix "${prefix}" ${why}`, `A prefix is lower-case letters, digits and '-', and the whole name at most 63 characters, e.g. --prefix alice- (from PODLAB_PREFIX or --prefix). ${NOTHING_CHANGED}`))}\n`);
  throw new Exit(EXIT.cannotRun);
};

/**
 * The lab-name prefix in force refused (PL3140, exit 2) unless it can start a lab name: checked
 * before every command, so that one that lists or picks labs by it (`status`, `get`) never runs on it.
 */
export function checkPrefix(prefix = labPrefix()): void {
  if (prefix && (!/^[a-z0-9][-a-z0-9]*$/.test(prefix) || prefix.length > 62)) badPrefixExit(prefix, 'cannot start a lab name');
}

/** A lab's name without the lab-name prefix: the name of its file (labs/<name>.lab.ts) in a hint. */
export function unprefixed(name: string, prefix = labPrefix()): string {
  return prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** Whether a lab argument names a file (`labs/x.lab.ts`), to be compiled for its name, rather than a lab that is up. */
export function isLabFile(arg: string): boolean {
  return arg.endsWith('.ts') || (existsSync(arg) && !/^[a-z0-9-]+$/.test(arg));
}

/**
 * A reader that closes the pipe early (`podlab status | head -1`) ends the command quietly, as a
 * coreutils program killed by SIGPIPE does: exit status 141 (128 + SIGPIPE), no stack trace.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(141);
    });
}

/** The compiler of this bundle's entry, if it has one (compile.ts's compileLab). */
let compiler: ((file: string, options: CompileOptions) => Promise<CompileResult>) | undefined;

/** A bundle's entry that can compile lab files hands its compiler over: the whole CLI (main.ts) and `up` (up-main.ts). */
export function compileLabFilesWith(compile: (file: string, options: CompileOptions) => Promise<CompileResult>): void {
  compiler = compile;
}

/** A lab file compiled, diagnostics and all. Only the entries that handed a compiler over can. */
export function compileLabFile(file: string, options: CompileOptions = {}): Promise<CompileResult> {
  if (!compiler) throw new Error(`${file}: a lab file is compiled by the whole CLI, not by this command's bundle`);
  return compiler(file, options);
}

/**
 * A lab argument is a file (`labs/x.lab.ts`) or the name of a lab that is up; with the lab-name
 * prefix. A file is compiled for its name (or exits 1 with its diagnostics, as JSON with `json`).
 */
export async function labName(arg: string, json?: boolean): Promise<string> {
  if (!isLabFile(arg)) return prefixed(arg);
  return prefixed((await compileOrExit(arg, { json })).lab.name);
}

/** Each with a code frame from its own file: the lab's, or a manifest's (`sources`). */
export function printDiagnostics(r: { diagnostics: Diagnostic[]; source?: string; sources?: Record<string, string> }): void {
  for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d, (d.file && r.sources?.[d.file]) ?? r.source, color)}\n\n`);
}

export function summary(diags: Diagnostic[]): string {
  const e = diags.filter((d) => d.severity === 'error').length;
  const w = diags.length - e;
  return `${e} error${e === 1 ? '' : 's'}${w ? `, ${w} warning${w === 1 ? '' : 's'}` : ''}`;
}

/**
 * Compiles or exits 1 with every diagnostic printed; with `json`, in the shape of every command's
 * error, `{ ok: false, file, diagnostics }` (validate's own `{ file, valid, diagnostics }` is the
 * answer to its question, not an error).
 */
export async function compileOrExit(file: string, opts: { typecheck?: boolean; json?: boolean }): Promise<CompileResult & { lab: NonNullable<CompileResult['lab']> }> {
  const r = await compileLabFile(file, { typecheck: opts.typecheck });
  if (!r.lab) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, file: r.file, diagnostics: r.diagnostics }, null, 2)}\n`);
    else {
      printDiagnostics(r);
      process.stderr.write(`${red('✗')} ${r.file}: ${summary(r.diagnostics)}. ${NOTHING_CHANGED}\n`);
    }
    throw new Exit(EXIT.failed);
  }
  if (!opts.json && r.diagnostics.length) printDiagnostics(r);
  return r as CompileResult & { lab: NonNullable<CompileResult['lab']> };
}

/**
 * A lab that is not up (no state, or one still being built or removed): PL3113 with the file to
 * bring it up from (`hint` adds what else would do), as JSON with --json; exit 2.
 */
export function notUpExit(lab: string, state: { status: string } | undefined, json?: boolean, hint = '', exit: number = EXIT.cannotRun): never {
  // The file named after the lab, where the examples keep theirs, when there is one; else a placeholder.
  const guess = `labs/${unprefixed(lab)}.lab.ts`;
  const file = existsSync(guess) ? guess : existsSync(`${unprefixed(lab)}.lab.ts`) ? `${unprefixed(lab)}.lab.ts` : '<its lab file>';
  printHostProblems([diag('PL3113', [], `lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}`, `Bring it up with podlab up ${file}${hint}. ${NOTHING_CHANGED}`)], json, exit);
}

/** Problems that stop a command, printed (as `{ ok: false, diagnostics }` with `json`); exit 2 unless `exit` says otherwise. */
export function printHostProblems(diags: Diagnostic[], json?: boolean, exit: number = EXIT.cannotRun): never {
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: diags }, null, 2)}\n`);
  else printDiagnostics({ diagnostics: diags });
  throw new Exit(exit);
}

/** Why the kernel refused to write there, in words, by errno. */
const WHY_NOT_WRITTEN: Record<string, string> = {
  ENOENT: 'a directory on the way does not exist, or none can be made there',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a file of that name is in the way of a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * Runs `write` (an output file or directory a command was asked to write, `-o`, `--out`, `--svg`);
 * a path the kernel refuses is PL3142 naming it and why, as JSON with `json`, exit 2 (podlab could
 * not do what it was asked, as a bad option value), never an internal error with a stack trace.
 */
export function writeOutputOrExit<T>(path: string, write: () => T, json?: boolean): T {
  try {
    return write();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code !== 'string' || !err.syscall) throw e;
    const why = WHY_NOT_WRITTEN[err.code] ?? err.message;
    const where = err.path && err.path !== path ? ` (${err.syscall} ${err.path})` : '';
    printHostProblems([diag('PL3142', [], `cannot write "${path}": ${why}${where} [${err.code}]`, `Name a file or directory that can be written (-o, --out). Nothing was written there. ${NOTHING_CHANGED}`)], json);
  }
}

/**
 * A usage error found by a command itself (a bad argument value, a file given that cannot be read):
 * PL3141 as commander's own, with a hint, as JSON with `json`; exit 2, podlab could not run.
 */
export function usageExit(message: string, hint: string, json?: boolean): never {
  printHostProblems([diag('PL3141', [], message, `${hint} ${NOTHING_CHANGED}`)], json);
}

/** An input file an option names (`-f`, `--corefile`), read; one that cannot be is a usage error (PL3141) naming why. */
export function readInputOrExit(path: string, option: string, json?: boolean): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    usageExit(`${option} "${path}" cannot be read: ${why}${err.code ? ` [${err.code}]` : ''}`, `Name a file that exists and can be read.`, json);
  }
}
