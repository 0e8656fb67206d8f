/**
 * `podlab exercise test`: proves an exercise's rubric tells right from wrong. The reference
 * solution must score full marks; each shipped broken variant must fail exactly the items it names
 * (no fewer: the rubric would miss the mistake; no more: it would punish what is right).
 */
import { join } from 'node:path';
import { gradeBatch, type SubmissionResult } from './grade.ts';
import type { Exercise } from './exercise.ts';

export interface VariantVerdict {
  name: string;
  /** Items expected to fail (none for the solution). */
  expected: string[];
  /** Items that failed. */
  failed: string[];
  ok: boolean;
  result: SubmissionResult;
}

/** Pure: does a result fail exactly the expected items (and was it graded at all)? */
export function verdictOf(name: string, expected: readonly string[], result: SubmissionResult): VariantVerdict {
  const failed = result.items.filter((i) => i.status === 'fail').map((i) => i.id);
  const ok = result.status !== 'error' && failed.length === expected.length && expected.every((e) => failed.includes(e));
  return { name, expected: [...expected].sort(), failed: failed.sort(), ok, result };
}

/** `labPrefix`: the labs' names, `<labPrefix>-<slot>` (gradeBatch's default without it). */
export async function testExercise(ex: Exercise, options: { jobs?: number; labPrefix?: string; onResult?: (r: SubmissionResult, done: number) => void } = {}): Promise<VariantVerdict[]> {
  const entries = [{ file: join(ex.dir, 'solution'), student: 'solution', value: ex.solution }, ...ex.broken.map((b) => ({ file: join(ex.dir, b.file), student: b.file }))];
  const results = await gradeBatch(entries, async () => ex, { jobs: options.jobs, labPrefix: options.labPrefix, onResult: options.onResult });
  return results.map((r, i) => (i === 0 ? verdictOf('solution', [], r) : verdictOf(ex.broken[i - 1]!.file, ex.broken[i - 1]!.fails, r)));
}
