/**
 * Rules for scenarios: each action's own rules (check/actions/: it names a pod, container or
 * node the lab has, a Corefile it would load is one that loads, a scale never makes a copy whose
 * name a declared pod has). Checks inside scenarios are validated with the lab's own checks.
 */
import type { Diagnostic } from './diagnostics.ts';
import type { Lab } from './lab.ts';
import { validateAction } from '../check/actions/index.ts';

export function scenariosAreValid(lab: Lab, out: Diagnostic[]): void {
  for (const sc of lab.scenarios) {
    for (const step of sc.steps) {
      const a = step.action;
      if (!a) continue;
      const at = (...p: (string | number)[]) => [...step.path, ...p];
      validateAction(a, { lab, what: `scenario "${sc.name}", step ${Number(step.path.at(-1)) + 1} (${a.action})`, at }, out);
    }
  }
}
