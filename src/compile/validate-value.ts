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
  if (parsed && !parsed.success) diagnostics = [...diagnostics, ...issuesToDiagnostics(parsed.error.issues, manifests.value)];
  else if (parsed) {
    lab = normalize(parsed.data as LabSpec, file);
    diagnostics = [...diagnostics, ...runRules(lab)];
  }
  diagnostics = diagnostics.map((d) => placeAtOrigin(d, manifests.origins));
  diagnostics = sortDiagnostics(positionDiagnostics(file, diagnostics.map((d) => ({ ...d, file: d.file ?? file })), text));
  return { lab: hasErrors(diagnostics) ? undefined : lab, diagnostics, sources: manifests.sources };
}
