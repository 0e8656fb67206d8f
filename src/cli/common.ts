/**
 * What every command shares: exit codes, the Exit that ends a command once its message is out,
 * printing diagnostics, compiling a lab file or exiting, and naming a lab by file or by name.
 */
import { compileLab, type CompileResult } from '../compile/compile.ts';
import { formatDiagnostic, type Diagnostic } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { readState, type LabState } from '../runtime/state.ts';
import { withLabMutex } from '../runtime/mutex.ts';
import type { SyncReport } from '../runtime/services.ts';
import type { RuntimeError } from '../runtime/errors.ts';
import { color, dim, red } from './terminal.ts';

export { endQuietlyOnClosedPipe, EXIT, Exit, isLabFile, prefixed } from './basics.ts';
import { EXIT, Exit, isLabFile, prefixed } from './basics.ts';

/** Each with a code frame from its own file: the lab's, or a manifest's (`sources`). */
export function printDiagnostics(r: { diagnostics: Diagnostic[]; source?: string; sources?: Record<string, string> }): void {
  for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d, (d.file && r.sources?.[d.file]) ?? r.source, color)}\n\n`);
}

export function summary(diags: Diagnostic[]): string {
  const e = diags.filter((d) => d.severity === 'error').length;
  const w = diags.length - e;
  return `${e} error${e === 1 ? '' : 's'}${w ? `, ${w} warning${w === 1 ? '' : 's'}` : ''}`;
}

/** Compiles or exits 1 with every diagnostic printed. */
export async function compileOrExit(file: string, opts: { typecheck?: boolean; json?: boolean }): Promise<CompileResult & { lab: NonNullable<CompileResult['lab']> }> {
  const r = await compileLab(file, { typecheck: opts.typecheck });
  if (!r.lab) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ file: r.file, valid: false, diagnostics: r.diagnostics }, null, 2)}\n`);
    else {
      printDiagnostics(r);
      process.stderr.write(`${red('✗')} ${r.file}: ${summary(r.diagnostics)}. ${NOTHING_CHANGED}\n`);
    }
    throw new Exit(EXIT.failed);
  }
  if (!opts.json && r.diagnostics.length) printDiagnostics(r);
  return r as CompileResult & { lab: NonNullable<CompileResult['lab']> };
}

/** A lab argument is a file (`labs/x.lab.ts`) or the name of a lab that is up; with the lab-name prefix. */
export async function labName(arg: string): Promise<string> {
  if (isLabFile(arg)) return prefixed((await compileOrExit(arg, {})).lab.name);
  return prefixed(arg);
}

export function printHostProblems(diags: Diagnostic[], json?: boolean): never {
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: diags }, null, 2)}\n`);
  else printDiagnostics({ diagnostics: diags });
  throw new Exit(EXIT.cannotRun);
}


/** The live state of a lab that must be up; otherwise `lab "…" is not up` and exit 2. */
export function upOrExit(lab: string): LabState {
  const state = readState(lab);
  if (!state) {
    process.stderr.write(`lab "${lab}" is not up\n`);
    throw new Exit(EXIT.cannotRun);
  }
  return state;
}

/** A target as kubectl's `-n` names it: `namespace/pod`, unless it already has a slash or is the gateway. */
export function inNamespace(target: string, namespace: string | undefined): string {
  return namespace && !target.includes('/') && target !== 'gateway' ? `${namespace}/${target}` : target;
}

/** A refused runtime operation (a RuntimeError: PodError, TargetError, …) printed with its code, or as JSON; then exit. */
export function refused(e: RuntimeError, opts: { json?: boolean; exit?: number } = {}): never {
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: [e.diagnostic] }, null, 2)}\n`);
  else process.stderr.write(`${formatDiagnostic(e.diagnostic, undefined, color)}\n`);
  throw new Exit(opts.exit ?? EXIT.failed);
}

/** Runs `fn` on the lab's current state, as its one writer when the lab's agent writes too (runtime/mutex.ts). */
export function asLabWriter<T>(lab: string, state: LabState, fn: (s: LabState) => Promise<T>): Promise<T> {
  return state.plan.loops ? withLabMutex(lab, () => fn(readState(lab) ?? state)) : fn(state);
}

/** The nft transactions a change sent, a dim line per namespace. */
export function ruleChangeLines(applied: SyncReport['applied']): string {
  return applied.map((a) => dim(`  ${a.target}: ${a.lines} rule change(s) in ${a.ms} ms\n`)).join('');
}
