/**
 * The compiler front end: load → schema → normalize → rules, collecting every diagnostic before
 * it stops at the phase barrier. Returns a resolved Lab only when there is no error.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { labSchema, type LabSpec } from '../schema/lab-schema.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { normalize, type Lab } from './lab.ts';
import { loadLab } from './load.ts';
import { positionDiagnostics } from './positions.ts';
import { runRules } from './rules.ts';
import { issuesToDiagnostics } from './schema-issues.ts';
import { typecheckLab } from './typecheck.ts';

export interface CompileResult {
  lab?: Lab;
  diagnostics: Diagnostic[];
  /** The lab file's text, for code frames. */
  source?: string;
  file: string;
}

export interface CompileOptions {
  /** Run the TypeScript type checker too (slower). @default false */
  typecheck?: boolean;
}

/** Validates an already evaluated lab value; `file` is used for positions and banners. */
export function validateValue(value: unknown, file: string, text?: string): { lab?: Lab; diagnostics: Diagnostic[] } {
  const parsed = labSchema.safeParse(value);
  let diagnostics: Diagnostic[];
  let lab: Lab | undefined;
  if (!parsed.success) diagnostics = issuesToDiagnostics(parsed.error.issues);
  else {
    lab = normalize(parsed.data as LabSpec, file);
    diagnostics = runRules(lab);
  }
  diagnostics = sortDiagnostics(positionDiagnostics(file, diagnostics.map((d) => ({ ...d, file })), text));
  return { lab: hasErrors(diagnostics) ? undefined : lab, diagnostics };
}

export async function compileLab(path: string, options: CompileOptions = {}): Promise<CompileResult> {
  const file = relative(process.cwd(), path) || path;
  // The lab evaluates in a child process while this one type-checks: two cores, half the wait.
  const loading = loadLab(file);
  const source = safeRead(file);
  const typeDiagnostics = options.typecheck && source !== undefined ? typecheckLab(file) : [];
  const loaded = await loading;
  if (loaded.value === undefined) return { file, source, diagnostics: sortDiagnostics([...loaded.diagnostics, ...typeDiagnostics]) };
  const { lab, diagnostics } = validateValue(loaded.value, file);
  const all = sortDiagnostics([...typeDiagnostics, ...diagnostics]);
  return { file, source, lab: hasErrors(all) ? undefined : lab, diagnostics: all };
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
