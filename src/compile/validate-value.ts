/**
 * Validation of an evaluated lab value: manifests expanded, the lab schema (zod), normalize, the
 * rules, every diagnostic at its position. compile.ts loads it only for a lab its validation cache
 * does not hold; graders and tests call it directly on values they made.
 */
import { labSchema, type LabSpec } from '../schema/lab-schema.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { normalize, type Lab } from './lab.ts';
import { expandManifests, placeAtOrigin } from './manifests.ts';
import { positionDiagnostics } from './positions.ts';
import { runRules } from './rules.ts';
import { issuesToDiagnostics } from './schema-issues.ts';

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
  if (parsed && !parsed.success) diagnostics = [...diagnostics, ...issuesToDiagnostics(parsed.error.issues, manifests.value), ...rulesWithoutUnknown(parsed.error.issues, manifests.value, file)];
  else if (parsed) {
    lab = normalize(parsed.data as LabSpec, file);
    diagnostics = [...diagnostics, ...rulesOf(lab)];
  }
  diagnostics = diagnostics.map((d) => placeAtOrigin(d, manifests.origins));
  diagnostics = sortDiagnostics(positionDiagnostics(file, diagnostics.map((d) => ({ ...d, file: d.file ?? file })), text));
  return { lab: hasErrors(diagnostics) ? undefined : lab, diagnostics, sources: manifests.sources };
}

/** The rules' diagnostics but the warnings the lab quiets (quietWarnings: an exercise's starter whose mistake is the learner's to find). */
function rulesOf(lab: Lab): Diagnostic[] {
  const quiet = new Set(lab.quietWarnings ?? []);
  return runRules(lab).filter((d) => d.severity !== 'warning' || !quiet.has(d.code));
}

type Issue = { code: string; path: PropertyKey[]; keys?: string[] };

/**
 * A lab whose only structural problems are unknown properties (typos: `matchLabel`) is validated
 * further without them, so that its other mistakes are told in the same run, as a compiler goes on
 * after an error: the rules run on the value with those properties left out, and what they say of
 * any place outside the objects that held one is kept (inside them it could be the typo's echo).
 */
function rulesWithoutUnknown(issues: readonly Issue[], value: unknown, file: string): Diagnostic[] {
  if (!issues.length || !issues.every((i) => i.code === 'unrecognized_keys')) return [];
  let copy: unknown;
  try {
    copy = structuredClone(value);
  } catch {
    return [];
  }
  for (const i of issues) {
    const holder = i.path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), copy);
    if (!holder || typeof holder !== 'object') return [];
    for (const k of i.keys ?? []) delete (holder as Record<string, unknown>)[k];
  }
  const again = labSchema.safeParse(copy);
  if (!again.success) return [];
  const under = (d: Diagnostic, path: readonly PropertyKey[]) => path.every((k, n) => String(d.path[n]) === String(k));
  return rulesOf(normalize(again.data as LabSpec, file)).filter((d) => !issues.some((i) => under(d, i.path)));
}
