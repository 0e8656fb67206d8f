/**
 * The compiler front end: load → schema → normalize → rules, collecting every diagnostic before
 * it stops at the phase barrier. Returns a resolved Lab only when there is no error. A lab whose
 * evaluated value validated before (validate-cache.ts) is taken from the cache; only otherwise is
 * validation (validate-value.ts: zod, the lab schema, the rules) loaded, so a command on a lab it
 * has seen loads none of it.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import type { Lab } from './lab.ts';
import { labInputs, lookupEvaluation, storeEvaluation } from './eval-cache.ts';
import { loadLab, type Loaded } from './load.ts';
import { withoutRepeatedTypeErrors } from './one-per-mistake.ts';
import { typecheckLab } from './typecheck.ts';
import { lookupValidated, storeValidated } from './validate-cache.ts';

export interface CompileResult {
  lab?: Lab;
  diagnostics: Diagnostic[];
  /** The lab file's text, for code frames. */
  source?: string;
  /** Text of the other files diagnostics point into (manifests), by the file name they carry. */
  sources?: Record<string, string>;
  file: string;
}

export interface CompileOptions {
  /** Run the TypeScript type checker too (slower). @default false */
  typecheck?: boolean;
}

export async function compileLab(path: string, options: CompileOptions = {}): Promise<CompileResult> {
  const file = relative(process.cwd(), path) || path;
  // The lab evaluates in a child process while the type check runs: two cores, half the wait.
  // When bin/podlab.js started that child already, it is taken once typecheckLab has returned: a
  // check in this process (no snapshot, or podlab's sources) runs to its end before that, and taken
  // before, the evaluation's time limit would run while the check blocks this process, and a busy
  // machine's slow type check would count as the lab's own evaluation taking too long (PL0002).
  const startedEarly = (globalThis as Record<symbol, Map<string, unknown> | undefined>)[Symbol.for('podlab.preloadedLabs')]?.has(resolve(file)) === true;
  let loading = startedEarly ? undefined : loadCached(file);
  const source = safeRead(file);
  const typing = options.typecheck && source !== undefined ? typecheckLab(file) : [];
  loading ??= loadCached(file);
  const [typeDiagnostics, loaded] = await Promise.all([typing, loading]);
  if (loaded.value === undefined) return { file, source, diagnostics: sortDiagnostics([...loaded.diagnostics, ...typeDiagnostics]) };
  // The CLI's validation cache (validate-cache.ts) holds labs that validated without a diagnostic.
  const stored = lookupValidated(loaded.value, file);
  const { lab, diagnostics, sources } = stored ? { lab: stored, diagnostics: [], sources: {} } : (await import('./validate-value.ts')).validateValue(loaded.value, file, undefined, { readFiles: true });
  if (!stored && lab && !diagnostics.length) storeValidated(loaded.value, file, lab);
  // One diagnostic per mistake: a type error the schema or a rule reports at its line or property is left out.
  const kept = typeDiagnostics.length && diagnostics.length ? withoutRepeatedTypeErrors(typeDiagnostics, diagnostics, (await import('./positions.ts')).pathAt) : typeDiagnostics;
  const all = sortDiagnostics([...kept, ...diagnostics]);
  return { file, source, sources, lab: hasErrors(all) ? undefined : lab, diagnostics: all };
}

/** loadLab, served from the evaluation cache (eval-cache.ts) when the lab's files are unchanged. */
async function loadCached(file: string): Promise<Loaded> {
  const abs = resolve(file);
  const hit = lookupEvaluation(abs);
  if (hit) return { value: hit.value, diagnostics: [] };
  const before = labInputs(abs);
  const loaded = await loadLab(file);
  if (loaded.value !== undefined && !loaded.diagnostics.length) storeEvaluation(abs, before, loaded.value);
  return loaded;
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
