/**
 * A lab's diagnostics printed for people (each with a code frame from its own file), and compiling
 * a lab file or exiting: what the commands that take a lab file share. Apart from common.ts, so
 * that the commands on a live lab load no compiler.
 */
import { compileLab, type CompileResult } from '../compile/compile.ts';
import { formatDiagnostic, type Diagnostic } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { EXIT, Exit } from './basics.ts';
import { color, red } from './terminal.ts';

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

export function printHostProblems(diags: Diagnostic[], json?: boolean): never {
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: diags }, null, 2)}\n`);
  else printDiagnostics({ diagnostics: diags });
  throw new Exit(EXIT.cannotRun);
}
