/**
 * Exercises: what an instructor writes in `exercises/<name>/exercise.ts` — a title, the task a
 * learner reads, a starter lab, a reference solution, a rubric (items with points, each a check or
 * a scenario, a hint, maybe hidden), what a submission may change, and broken variants that prove
 * the rubric tells right from wrong. Evaluated in the sandbox like a lab (src/compile/evaluate.ts),
 * validated with zod.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { labSchema, type LabSpec } from '../schema/lab-schema.ts';
import { exerciseSchema, rubricItemSchema, type RubricItem } from '../schema/exercise-schema.ts';
import { loadedOf, loadLab } from '../compile/load.ts';
import { evaluateModule, LAB_LIMITS } from '../compile/evaluate.ts';
import { issuesToDiagnostics } from '../compile/schema-issues.ts';
import { diag, warning, formatDiagnostic, formatPath, hasErrors, sortDiagnostics, type Code, type Diagnostic } from '../compile/diagnostics.ts';
import { positionDiagnostics } from '../compile/positions.ts';
import { validateValue } from '../compile/validate-value.ts';
import { editDistance, nearest } from '../lib/edit-distance.ts';
import { composeLab, itemOfDiagnostic, type Composable } from './compose.ts';
import type { Variant } from './variant.ts';
import { step, type ZodLike } from '../compile/schema-walk.ts';
import { readUntrusted, readUntrustedText, SafeReadError, TEXT_LIMIT } from '../lib/safe-read.ts';
import { joinPlainPath, plainPathProblem } from '../lib/plain-name.ts';


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
  /** The choices per parameter (the module's `variants` export), when the exercise has variants. */
  variants?: Record<string, (string | number)[]>;
  /** What validate warns of in the exercise (a rubric item that passes whatever the answer), at its place. */
  warnings?: Diagnostic[];
}

export class ExerciseError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
    /** Whether the message lists the diagnostics after it (false: one diagnostic that is the message, coded). */
    readonly listed = true,
  ) {
    super(diagnostics.length && listed ? `${message}\n${diagnostics.map((d) => formatDiagnostic(d)).join('\n')}` : message);
  }
}

/** `exercises/x`, `exercises/x/` or `exercises/x/exercise.ts` → the exercise file. */
export function exerciseFile(arg: string): string {
  const file = arg.endsWith('.ts') ? arg : join(arg, 'exercise.ts');
  if (!existsSync(file)) throw new ExerciseError(`no exercise at ${arg} (expected ${file})`, [diag('PL0017', [], `no exercise at ${arg} (expected ${file})`, 'Name an exercise folder (with its exercise.ts), e.g. exercises/coredns-forwarder.')], false);
  return resolve(file);
}

/**
 * Loads and validates an exercise, for one seed's variant (the student's). Every problem at once,
 * each coded and at its line in exercise.ts (or in the lab file it lies in): the schema; rubric ids
 * used twice; `submission.editable` and `text` paths the lab does not have (a typo there would drop
 * every student's answer); broken answers naming items the rubric lacks, or files that are not
 * there; starter and solution labs that do not load; and the rubric's checks and scenarios
 * validated against the solution put together as a submission is (composeLab): a check from a pod
 * the lab does not have can never pass, so it is the exercise's error, not every student's 0.
 * Nothing is built.
 */
export async function loadExercise(arg: string, seed = ''): Promise<Exercise> {
  const file = exerciseFile(arg);
  const rel = relative(process.cwd(), file);
  const dir = dirname(file);
  const name = dir.split('/').pop()!;
  ownFile(dir, file, 'exercise file');
  const r = await evaluateModule({ file, mode: 'exercise', seed: `${name}/${seed}`, ...LAB_LIMITS });
  if (!r.ok && r.reason === 'no-export') throw new ExerciseError(`${rel} has no default export (write export default defineExercise({ … }))`);
  // Every other way the evaluation can end is a lab file's (PL0002, PL0010–PL0015), told of the exercise file.
  const loaded = loadedOf(r.ok ? { ...r, value: {} } : r, rel, LAB_LIMITS.timeoutMs);
  if (!r.ok) throw new ExerciseError(`exercise ${rel} could not be evaluated:`, loaded.diagnostics);
  const out = r.value as { exercise: unknown; variant: Variant; variants?: Record<string, (string | number)[]> };
  const raw = (out.exercise !== null && typeof out.exercise === 'object' && !Array.isArray(out.exercise) ? out.exercise : {}) as Record<string, unknown>;

  // Problems of exercise.ts itself (positioned below), and of the lab files it names (positioned there).
  const own: Diagnostic[] = [];
  const labs: Diagnostic[] = [];
  const parsed = exerciseSchema.safeParse(out.exercise);
  if (!parsed.success) own.push(...issuesToDiagnostics(parsed.error.issues, out.exercise));
  own.push(...submissionPathProblems(raw.submission));
  const items = rubricItems(raw.rubric);
  own.push(...duplicateIds(items));
  for (const d of brokenProblems(raw.broken, items, dir)) (d.file ? labs : own).push(d);
  const lab = async (what: 'starter' | 'solution'): Promise<LabSpec | undefined> => {
    const ref = exerciseSchema.shape[what].safeParse(raw[what]);
    if (!ref.success) return undefined; // told by the schema
    try {
      return await labOf(dir, ref.data, what);
    } catch (e) {
      if (!(e instanceof ExerciseError)) throw e;
      labs.push(...(e.diagnostics.length ? e.diagnostics : [{ ...diag('PL0002', [what], e.message), file: rel }]));
      return undefined;
    }
  };
  const starter = await lab('starter');
  const solution = await lab('solution');
  if (starter && solution) {
    // With a path of `submission` wrong (told above), the solution is taken as written, whole.
    const sub = exerciseSchema.shape.submission.safeParse(raw.submission);
    const editable = sub.success && !own.some((d) => d.path[0] === 'submission') ? sub.data?.editable : undefined;
    own.push(...rubricProblems({ starter, editable, rubric: items.flatMap((i) => (i.item ? [i.item] : [])) }, items, solution));
  }
  // A lab file that is both the starter and the solution is told of once.
  const once = labs.filter((d, i) => labs.findIndex((x) => JSON.stringify(x) === JSON.stringify(d)) === i);
  const problems = sortDiagnostics([...positionDiagnostics(file, own.map((d) => ({ ...d, file }))).map((d) => ({ ...d, file: rel })), ...once]);
  if (hasErrors(problems) || !parsed.success || !starter || !solution) throw new ExerciseError(`${rel} is not a valid exercise (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, problems);
  const spec = parsed.data;
  return {
    name,
    dir,
    title: spec.title,
    task: spec.task,
    variant: out.variant,
    starter,
    solution,
    editable: spec.submission?.editable,
    text: spec.submission?.text,
    rubric: spec.rubric,
    broken: spec.broken ?? [],
    warnings: problems.filter((d) => d.severity === 'warning'),
    ...(out.variants && Object.keys(out.variants).length ? { variants: out.variants } : {}),
  };
}

/** The rubric's items as written, each with its index and, when it is a valid item, the item. */
interface RawItem {
  index: number;
  id?: string;
  item?: RubricItem;
}

function rubricItems(rubric: unknown): RawItem[] {
  if (!Array.isArray(rubric)) return [];
  return rubric.map((x, index) => {
    const p = rubricItemSchema.safeParse(x);
    const id = x !== null && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string' ? (x as { id: string }).id : undefined;
    return { index, id, item: p.success ? p.data : undefined };
  });
}

function duplicateIds(items: RawItem[]): Diagnostic[] {
  const first = new Map<string, number>();
  const out: Diagnostic[] = [];
  for (const { index, id } of items) {
    if (id === undefined) continue;
    const at = first.get(id);
    if (at === undefined) first.set(id, index);
    else out.push(diag('PL2008', ['rubric', index, 'id'], `rubric item id "${id}" is used twice (also rubric[${at}])`, 'Each item needs an id of its own: it is the gradebook\'s column.'));
  }
  return out;
}

/** `submission.editable` and `submission.text`: each a dotted path of the lab (PL2500, with a "did you mean"). */
function submissionPathProblems(submission: unknown): Diagnostic[] {
  if (submission === null || typeof submission !== 'object') return [];
  const { editable, text } = submission as { editable?: unknown; text?: unknown };
  const out: Diagnostic[] = [];
  const check = (p: unknown, path: (string | number)[]) => {
    if (typeof p !== 'string' || !p) return; // told by the schema
    const problem = labPathProblem(p);
    if (problem) out.push(diag('PL2500', path, `"${p}" is not a path of the lab: ${problem.message}`, `${problem.near ? `Did you mean "${problem.near}"? ` : "Write a dotted path of the lab language, e.g. 'networkPolicies' or 'dns.corefile'. "}Only these paths are taken from a submission: one the lab does not have would drop every student's answer.`));
  };
  if (Array.isArray(editable)) editable.forEach((p, i) => check(p, ['submission', 'editable', i]));
  if (text !== undefined) check(text, ['submission', 'text']);
  return out;
}

/** Broken answers: the items each must fail are the rubric's (PL2501), its file is there (PL0001) and its own (ownFile). */
function brokenProblems(broken: unknown, items: RawItem[], dir: string): Diagnostic[] {
  if (!Array.isArray(broken)) return [];
  const ids = items.flatMap((i) => (i.id === undefined ? [] : [i.id]));
  const out: Diagnostic[] = [];
  broken.forEach((b, k) => {
    if (b === null || typeof b !== 'object') return;
    const { file, fails } = b as { file?: unknown; fails?: unknown };
    if (Array.isArray(fails))
      fails.forEach((f, j) => {
        if (typeof f !== 'string' || ids.includes(f)) return;
        const near = nearest(f, ids);
        out.push(diag('PL2501', ['broken', k, 'fails', j], `broken answer ${typeof file === 'string' ? file : `#${k + 1}`} must fail rubric item "${f}", which the rubric does not have`, near ? `Did you mean "${near}"?` : `The rubric's items: ${ids.join(', ') || 'none'}.`));
      });
    if (typeof file !== 'string' || plainPathProblem(file)) return; // told by the schema
    const path = joinPlainPath(dir, file);
    if (!existsSync(path)) out.push(diag('PL0001', ['broken', k, 'file'], `broken answer ${file} does not exist (looked for ${relative(process.cwd(), path)})`, 'A broken answer is a file in the exercise\'s folder, named relative to it.'));
    else {
      try {
        ownFile(dir, path, `broken variant ${file}`);
      } catch (e) {
        if (!(e instanceof ExerciseError)) throw e;
        out.push(...e.diagnostics);
      }
    }
  });
  return out;
}

/**
 * The rubric's checks and scenarios against the exercise's solution, put into the starter as a
 * submission is (composeLab, validateValue: validation only, nothing built). A problem of one
 * item is that item's, at its place in exercise.ts (with the lab's code: PL2012 for a check from
 * a pod the lab does not have); one of the lab itself says the solution is not a valid lab.
 */
function rubricProblems(ex: Composable, items: RawItem[], solution: LabSpec): Diagnostic[] {
  const { diagnostics } = validateValue(composeLab(ex, solution, ex.starter.name ?? 'exercise'), 'solution', '');
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const item = itemOfDiagnostic(ex, d);
    const raw = item && items.find((i) => i.item === item);
    const where = item?.check ? 'check' : 'scenario';
    // A warning of an item (a check that passes whatever the answer, PL2014) is the author's to
    // see: such an item tells no answer from another.
    if (d.severity === 'warning') {
      if (raw) out.push({ ...warning(d.code as Code, ['rubric', raw.index, where, ...d.path.slice(2)], `rubric item "${item.id}": ${d.message}`, d.hint), ...(d.within ? { within: d.within } : {}) });
    } else if (raw) {
      out.push({ ...diag(d.code as Code, ['rubric', raw.index, where, ...d.path.slice(2)], `rubric item "${item.id}" cannot be checked on the exercise's solution: ${d.message}`, d.hint), ...(d.within ? { within: d.within } : {}) });
    } else out.push(diag(d.code as Code, ['solution'], `the solution${ex.editable ? ` (its ${ex.editable.join(', ')} put into the starter)` : ''} is not a valid lab: ${formatPath(d.path)}: ${d.message}`, d.hint));
  }
  return out;
}

/** Why a dotted path is not one of the lab's (its first unknown segment, and a near name), or undefined. */
export function labPathProblem(path: string): { message: string; near?: string } | undefined {
  let at: ZodLike[] = [labSchema as unknown as ZodLike];
  const segs = path.split('.');
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const { next, known } = step(at, seg);
    if (!next.length) {
      const near = nearName(seg, [...known]);
      return { message: i ? `"${segs.slice(0, i).join('.')}" has no "${seg}"` : `the lab has no property "${seg}"`, ...(near ? { near: [...segs.slice(0, i), near].join('.') } : {}) };
    }
    at = next;
  }
  return undefined;
}

/** The known name nearest to `word`: within edit distance 2, or a quarter of its length for a long one (`networkPolicy` → `networkPolicies`). */
function nearName(word: string, known: string[]): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 4));
  const best = known.map((k) => ({ k, d: editDistance(word.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= limit ? best.k : undefined;
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
