/**
 * What a scenario action is: one module (`actions/<action>.ts`) saying how the action is
 * normalized, which semantic rules it obeys (pure, pushing diagnostics), the one line a report
 * shows for it, and what it does to a live lab (through the executor and the runtime, recording
 * the change in the lab's state and saying what happened in one line a learner can read, e.g.
 * "web-1: 10.244.1.2 → 10.244.1.5"). The registry is `actions/index.ts`.
 */
import { diag, type Diagnostic } from '../../compile/diagnostics.ts';
import type { Lab, LabAction, LabPod } from '../../compile/lab.ts';
import { nearest } from '../../compile/schema-issues.ts';
import type { Executor } from '../../runtime/exec.ts';
import type { LabState } from '../../runtime/state.ts';
import type { ActionSpec } from '../../schema/lab-schema.ts';

export class ActionFailed extends Error {}

export type ActionName = LabAction['action'];
export type LabActionOf<K extends ActionName> = Extract<LabAction, { action: K }>;

/** What an action's rules see: the lab, where the step was written, and how to name it. */
export interface StepContext {
  lab: Lab;
  /** `scenario "x", step 3 (scale)` */
  what: string;
  /** A diagnostic path below the step. */
  at(...p: (string | number)[]): (string | number)[];
}

export interface ScenarioAction<K extends ActionName, A = LabActionOf<K>, W = Extract<ActionSpec, { action: K }>> {
  action: K;
  /** Fills defaults. */
  normalize(spec: W): A;
  /** The action's semantic rules; pushes diagnostics, never throws. */
  validate(a: A, step: StepContext, out: Diagnostic[]): void;
  /** One line for reports: what the action is. */
  describe(a: A): string;
  /** Runs it; resolves to what happened, or throws ActionFailed (or the runtime's own error). */
  run(ex: Executor, state: LabState, a: A): Promise<string>;
}

/** "Did you mean …" for a name the lab does not have. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const s = nearest(name, [...known]);
  return s ? `Did you mean "${s}"?` : `Known: ${[...known].join(', ') || '(none)'}.`;
}

/** The pod an action names, or a diagnostic saying the lab has none of that name. */
export function podOf(a: { pod: string }, step: StepContext, out: Diagnostic[]): LabPod | undefined {
  const pod = step.lab.pods.find((p) => p.name === a.pod);
  if (!pod) out.push(diag('PL2029', step.at('pod'), `${step.what}: the lab has no pod "${a.pod}"`, didYouMean(a.pod, step.lab.pods.map((p) => p.name))));
  return pod;
}

/** Actions that only name a pod of the lab. */
export function validatePodRef(a: { pod: string }, step: StepContext, out: Diagnostic[]): void {
  podOf(a, step, out);
}
