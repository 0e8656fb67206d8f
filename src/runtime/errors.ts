/**
 * What a runtime operation on a live lab refuses with: a coded error (PL3030–PL3052 in
 * docs/errors.md), so that a pod, Service, policy, DNS or target failure carries a code as every
 * compile-time diagnostic does. The classes per area (PodError, TargetError, …) extend it, so
 * callers keep catching by area and print `code message`.
 */
import { diag, type Code, type Diagnostic } from '../compile/diagnostics.ts';

export class RuntimeError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }

  /** As a diagnostic, for --json output and the shared formatter. */
  get diagnostic(): Diagnostic {
    return diag(this.code, [], this.message);
  }
}
