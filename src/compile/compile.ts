/**
 * The compiler front end: load → schema → normalize → rules, collecting every diagnostic before
 * it stops at the phase barrier. Returns a resolved Lab only when there is no error.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { labSchema, type LabSpec } from '../schema/lab-schema.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { normalize, type Lab } from './lab.ts';
import { labInputs, lookupEvaluation, storeEvaluation } from './eval-cache.ts';
import { loadLab, type Loaded } from './load.ts';
import { expandManifests, placeAtOrigin } from './manifests.ts';
import { positionDiagnostics } from './positions.ts';
import { runRules } from './rules.ts';
import { issuesToDiagnostics } from './schema-issues.ts';
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

export interface ValidateOptions {
  /**
   * Read the manifest files the lab names (relative to `file`). Off where the value comes from
   * someone untrusted (a graded submission): then only inline YAML manifests are accepted.
   * @default false
   */
  readFiles?: boolean;
}

/** Validates an already evaluated lab value; `file` is used for positions and banners. */
export function validateValue(value: unknown, file: string, text?: string, options: ValidateOptions = {}): { lab?: Lab; diagnostics: Diagnostic[]; sources: Record<string, string> } {
  const manifests = expandManifests(value, file, { readFiles: options.readFiles ?? false });
  // The lab's own checks do not run on a lab whose manifests could not be read in full.
  const parsed = hasErrors(manifests.diagnostics) ? undefined : labSchema.safeParse(manifests.value);
  let diagnostics: Diagnostic[] = manifests.diagnostics;
  let lab: Lab | undefined;
  if (parsed && !parsed.success) diagnostics = [...diagnostics, ...issuesToDiagnostics(parsed.error.issues)];
  else if (parsed) {
    lab = normalize(parsed.data as LabSpec, file);
    diagnostics = [...diagnostics, ...runRules(lab)];
  }
  diagnostics = diagnostics.map((d) => placeAtOrigin(d, manifests.origins));
  diagnostics = sortDiagnostics(positionDiagnostics(file, diagnostics.map((d) => ({ ...d, file: d.file ?? file })), text));
  return { lab: hasErrors(diagnostics) ? undefined : lab, diagnostics, sources: manifests.sources };
}

export async function compileLab(path: string, options: CompileOptions = {}): Promise<CompileResult> {
  const file = relative(process.cwd(), path) || path;
  // The lab evaluates in a child process while this one type-checks: two cores, half the wait.
  // When bin/podlab.js started that child already, it is taken after the (synchronous) type check:
  // taken before, its time limit would run while the type check blocks this process, and a busy
  // machine's slow type check would count as the lab's own evaluation taking too long (PL0002).
  const startedEarly = (globalThis as Record<symbol, Map<string, unknown> | undefined>)[Symbol.for('podlab.preloadedLabs')]?.has(resolve(file)) === true;
  let loading = startedEarly ? undefined : loadCached(file);
  const source = safeRead(file);
  const typeDiagnostics = options.typecheck && source !== undefined ? typecheckLab(file) : [];
  loading ??= loadCached(file);
  const loaded = await loading;
  if (loaded.value === undefined) return { file, source, diagnostics: sortDiagnostics([...loaded.diagnostics, ...typeDiagnostics]) };
  // The CLI's validation cache (validate-cache.ts) holds labs that validated without a diagnostic.
  const stored = lookupValidated(loaded.value, file);
  const { lab, diagnostics, sources } = stored ? { lab: stored, diagnostics: [], sources: {} } : validateValue(loaded.value, file, undefined, { readFiles: true });
  if (!stored && lab && !diagnostics.length) storeValidated(loaded.value, file, lab);
  const all = sortDiagnostics([...typeDiagnostics, ...diagnostics]);
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
