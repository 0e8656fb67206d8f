/**
 * How a submission becomes the lab that is graded, pure: the starter with what the submission may
 * change (`submission.editable`), the rubric's checks and scenarios instead of any of its own, and
 * what it set that was not taken. Shared by grading (grade.ts) and by the exercise's own checks
 * when it loads (exercise.ts: the rubric is validated against the solution put together this way).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Diagnostic } from '../compile/diagnostics.ts';
import type { RubricItem } from '../schema/exercise-schema.ts';
import type { CheckSpec, LabSpec, ScenarioSpec } from '../schema/lab-schema.ts';

/** What composing needs of an exercise (grade/exercise.ts's Exercise has it all). */
export interface Composable {
  starter: LabSpec;
  editable?: string[];
  text?: string;
  rubric: RubricItem[];
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    cur = cur[k] = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
  }
  cur[path.at(-1)!] = value;
}

/**
 * The lab that is built for a submission: the starter with what the submission may change (all of
 * it when the exercise lets a submission be a whole lab), under the grading lab's name, with the
 * rubric's checks and scenarios instead of any of the submission's own. Pure.
 */
export function composeLab(ex: Composable, submitted: unknown, labName: string): LabSpec {
  let lab: Record<string, unknown>;
  if (typeof submitted === 'string') {
    lab = structuredClone(ex.starter) as Record<string, unknown>;
    setPath(lab, ex.text!.split('.'), submitted);
  } else if (ex.editable) {
    lab = structuredClone(ex.starter) as Record<string, unknown>;
    for (const p of ex.editable) {
      const v = getPath(submitted, p.split('.'));
      if (v !== undefined) setPath(lab, p.split('.'), v);
    }
  } else lab = { ...(submitted as Record<string, unknown>) };
  const checks: CheckSpec[] = [];
  const scenarios: Record<string, ScenarioSpec> = {};
  for (const item of ex.rubric) {
    if (item.check) checks.push(item.check);
    else scenarios[item.id] = item.scenario!;
  }
  return { ...(lab as LabSpec), name: labName, checks, scenarios };
}

/**
 * The dotted paths a code submission sets, differently from the starter, that the exercise does not
 * take from it (none when a submission is a whole lab, or text): `pods` when only `networkPolicies`
 * is editable, `dns.node` when only `dns.corefile` is. What equals the starter's is not listed, so
 * a copy of the starter with the editable part changed has none. Sorted. Pure.
 */
export function ignoredPaths(ex: Composable, submitted: unknown): string[] {
  if (!ex.editable || submitted === null || typeof submitted !== 'object' || Array.isArray(submitted)) return [];
  const editable = ex.editable;
  const out: string[] = [];
  const visit = (value: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (v === undefined || editable.includes(path) || isDeepStrictEqual(v, getPath(ex.starter, path.split('.')))) continue;
      const deeper = editable.some((e) => e.startsWith(`${path}.`));
      if (deeper && v !== null && typeof v === 'object' && !Array.isArray(v)) visit(v as Record<string, unknown>, path);
      else out.push(path);
    }
  };
  visit(submitted as Record<string, unknown>, '');
  return out.sort();
}

/** Which rubric item a diagnostic of the composed lab belongs to, if any (its checks and scenarios are the rubric's). */
export function itemOfDiagnostic<T extends RubricItem>(ex: { rubric: T[] }, d: Diagnostic): T | undefined {
  if (d.path[0] === 'checks' && typeof d.path[1] === 'number') return ex.rubric.filter((i) => i.check)[d.path[1]];
  if (d.path[0] === 'scenarios') return ex.rubric.find((i) => i.id === d.path[1]);
  return undefined;
}
