/**
 * Exercises: what an instructor writes in `exercises/<name>/exercise.ts` — a title, the task a
 * learner reads, a starter lab, a reference solution, a rubric (items with points, each a check or
 * a scenario, a hint, maybe hidden), what a submission may change, and broken variants that prove
 * the rubric tells right from wrong. Evaluated in the sandbox like a lab (src/compile/evaluate.ts),
 * validated with zod.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { LabSpec } from '../schema/lab-schema.ts';
import { exerciseSchema, type RubricItem } from '../schema/exercise-schema.ts';
import { loadedOf, loadLab } from '../compile/load.ts';
import { evaluateModule, LAB_LIMITS } from '../compile/evaluate.ts';
import { issuesToDiagnostics } from '../compile/schema-issues.ts';
import { formatDiagnostic, type Diagnostic } from '../compile/diagnostics.ts';
import type { Variant } from './variant.ts';
import { readUntrusted, readUntrustedText, SafeReadError, TEXT_LIMIT } from '../lib/safe-read.ts';
import { joinPlainPath } from '../lib/plain-name.ts';


export { exerciseSchema, rubricItemSchema, type ExerciseSpec, type RubricItem } from '../schema/exercise-schema.ts';

export interface Exercise {
  /** The folder's name. */
  name: string;
  dir: string;
  title: string;
  task: string;
  variant: Variant;
  starter: LabSpec;
  solution: LabSpec;
  editable?: string[];
  text?: string;
  rubric: RubricItem[];
  broken: { file: string; fails: string[]; why?: string }[];
}

export class ExerciseError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(diagnostics.length ? `${message}\n${diagnostics.map((d) => formatDiagnostic(d)).join('\n')}` : message);
  }
}

/** `exercises/x`, `exercises/x/` or `exercises/x/exercise.ts` → the exercise file. */
export function exerciseFile(arg: string): string {
  const file = arg.endsWith('.ts') ? arg : join(arg, 'exercise.ts');
  if (!existsSync(file)) throw new ExerciseError(`no exercise at ${arg} (expected ${file})`);
  return resolve(file);
}

/** Loads and validates an exercise, for one seed's variant (the student's). */
export async function loadExercise(arg: string, seed = ''): Promise<Exercise> {
  const file = exerciseFile(arg);
  const dir = dirname(file);
  const name = dir.split('/').pop()!;
  ownFile(dir, file, 'exercise file');
  const r = await evaluateModule({ file, mode: 'exercise', seed: `${name}/${seed}`, ...LAB_LIMITS });
  if (!r.ok && r.reason === 'no-export') throw new ExerciseError(`${relative(process.cwd(), file)} has no default export (write export default defineExercise({ … }))`);
  // Every other way the evaluation can end is a lab file's (PL0002, PL0010–PL0015), told of the exercise file.
  const loaded = loadedOf(r.ok ? { ...r, value: {} } : r, relative(process.cwd(), file), LAB_LIMITS.timeoutMs);
  if (!r.ok) throw new ExerciseError(`exercise ${relative(process.cwd(), file)} could not be evaluated:`, loaded.diagnostics);
  const out = r.value as { exercise: unknown; variant: Variant };
  const parsed = exerciseSchema.safeParse(out.exercise);
  if (!parsed.success) throw new ExerciseError(`${relative(process.cwd(), file)} is not a valid exercise:`, issuesToDiagnostics(parsed.error.issues).map((d) => ({ ...d, file: relative(process.cwd(), file) })));
  const spec = parsed.data;
  const ids = new Set<string>();
  for (const item of spec.rubric) {
    if (ids.has(item.id)) throw new ExerciseError(`${relative(process.cwd(), file)}: rubric item id "${item.id}" is used twice`);
    ids.add(item.id);
  }
  for (const b of spec.broken ?? []) {
    const unknown = b.fails.filter((f) => !ids.has(f));
    if (unknown.length) throw new ExerciseError(`${relative(process.cwd(), file)}: broken variant ${b.file} names rubric item(s) ${unknown.join(', ')}, which the rubric does not have`);
    if (!existsSync(joinPlainPath(dir, b.file))) throw new ExerciseError(`${relative(process.cwd(), file)}: broken variant ${b.file} does not exist`);
    ownFile(dir, joinPlainPath(dir, b.file), `broken variant ${b.file}`);
  }
  return {
    name,
    dir,
    title: spec.title,
    task: spec.task,
    variant: out.variant,
    starter: await labOf(dir, spec.starter, 'starter'),
    solution: await labOf(dir, spec.solution, 'solution'),
    editable: spec.submission?.editable,
    text: spec.submission?.text,
    rubric: spec.rubric,
    broken: spec.broken ?? [],
  };
}

/** A lab given as a file next to exercise.ts (trusted, loaded like any lab) or as the object itself. */
async function labOf(dir: string, ref: string | Record<string, unknown>, what: string): Promise<LabSpec> {
  if (typeof ref !== 'string') return ref as LabSpec;
  ownFile(dir, joinPlainPath(dir, ref), `${what} lab ${ref}`);
  const loaded = await loadLab(joinPlainPath(dir, ref));
  if (loaded.value === undefined) throw new ExerciseError(`the exercise's ${what} lab ${ref} does not load:`, loaded.diagnostics);
  return loaded.value as LabSpec;
}

/**
 * An exercise's own file (the exercise, its starter, solution and broken labs) must be a regular
 * file reached without a link below the exercise's folder (that folder is the grader's choice; an
 * exercise from elsewhere may bring links): PL0016 for a link on the way, PL0005 for a link or a
 * FIFO as the file itself, before anything of it is evaluated.
 */
function ownFile(dir: string, file: string, what: string): void {
  try {
    readUntrusted(file, EXERCISE_FILE_CAP, { beneath: dir });
  } catch (e) {
    if (e instanceof SafeReadError) throw new ExerciseError(`the exercise's ${what} cannot be used:`, [{ ...e.diagnostic, file: relative(process.cwd(), file) }]);
    throw e;
  }
}

/** The most of an exercise's own file that is read to check it: far above any honest lab. */
const EXERCISE_FILE_CAP = 1024 * 1024;

/** The text a learner reads: the task with the variant's values, and what each visible item is worth. */
export function taskText(ex: Exercise): string {
  const max = ex.rubric.reduce((n, i) => n + i.points, 0);
  const lines = [`# ${ex.title}`, '', ex.task.trim(), '', `## Rubric (${max} points)`, ''];
  for (const i of ex.rubric) lines.push(i.hidden ? `- (hidden) ${i.points} point${i.points === 1 ? '' : 's'}` : `- ${i.title}: ${i.points} point${i.points === 1 ? '' : 's'}`);
  if (Object.keys(ex.variant).length) lines.push('', `Your variant: ${Object.entries(ex.variant).map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a text submission as root without trusting it: a link is not followed, only a regular
 * file is read (no FIFO, device or socket), and at most `limit` + 1 bytes of it (safe-read.ts).
 * Throws SafeReadError with a coded diagnostic.
 */
export function readTextSubmission(file: string, limit = TEXT_LIMIT): string {
  return readUntrustedText(file, limit);
}
