/**
 * Grading a submission: load it in the sandbox (it is code), put it into the exercise's starter
 * lab, validate it like any lab, build it under a lab name of its own (so many submissions with
 * the same address plan run side by side), run the rubric, tear it down, and score it. Nothing a
 * submission does stops the grading of the others: every failure becomes a result with a reason.
 */
import { basename, extname } from 'node:path';
import type { Diagnostic } from '../compile/diagnostics.ts';
import { validateValue } from '../compile/validate-value.ts';
import { buildPlan } from '../plan/plan.ts';
import { GRADED_LAB_LIMITS, render } from '../render/render.ts';
import { oomKills } from '../lib/cgroups.ts';
import { up } from '../runtime/up.ts';
import { down, labOnHost } from '../runtime/down.ts';
import { stateDir } from '../runtime/state.ts';
import { probeKernel } from '../runtime/preflight.ts';
import { takeLabLock } from '../runtime/lock.ts';
import { runCheck } from '../check/run.ts';
import { runScenario } from '../check/scenario.ts';
import type { CheckResult } from '../check/checks.ts';
import { evaluateInSandbox, type SandboxLimits } from './sandbox.ts';
import { readTextSubmission, type Exercise, type RubricItem } from './exercise.ts';
import { SafeReadError, tryReadUntrustedText } from '../lib/safe-read.ts';
import { plainNameProblem } from '../lib/plain-name.ts';
import { DEFAULT_JOBS } from '../constants.ts';
import { composeLab, ignoredPaths, itemOfDiagnostic } from './compose.ts';

export { composeLab, ignoredPaths, itemOfDiagnostic };

/** Bumped when the results JSON changes incompatibly. */
export const RESULTS_VERSION = 1;

export interface ItemResult {
  id: string;
  title: string;
  status: 'pass' | 'fail';
  points: number;
  earned: number;
  hidden: boolean;
  /** What was seen (a check's evidence) or why it could not run. */
  message: string;
  /** Shown to the learner when the item failed. */
  hint?: string;
  evidence?: { expected: string; seen: string; command: string }[];
}

export interface SubmissionResult {
  version: number;
  exercise: string;
  student: string;
  submission: string;
  variant: Record<string, string | number>;
  /** pass: full marks; fail: less; error: it could not be graded (reason says why), scored 0. */
  status: 'pass' | 'fail' | 'error';
  reason?: 'timeout' | 'memory' | 'threw' | 'exited' | 'no-export' | 'not-data' | 'output-too-large' | 'sandbox-failed' | 'unreadable' | 'invalid-lab' | 'kernel' | 'up-failed' | 'internal' | 'duplicate-student' | 'unusable-id';
  message?: string;
  diagnostics?: Diagnostic[];
  /**
   * What validate warns of in the student's own part (a selector that selects no pod, a probe of
   * a port nothing declares), each at its line and column: `podlab validate` would say it. The
   * rubric's checks are the exercise's, not the student's, so their warnings are left out.
   */
  warnings?: Diagnostic[];
  /**
   * What the submission set, differently from the starter, that the exercise does not take from it
   * (dotted paths, e.g. `pods` when only `networkPolicies` is editable): dropped before grading.
   */
  ignored?: string[];
  /**
   * How many processes of the grading lab the kernel killed for memory (its cgroup's OOM kills),
   * and the limit its containers together held more than (GRADED_LAB_LIMITS). Absent: none, or no cgroup.
   */
  oom?: { kills: number; limitBytes: number };
  score: number;
  max: number;
  items: ItemResult[];
  ms: number;
  gradedAt: string;
}

/** The student's id: the submission's file name without its extensions (`alice.lab.ts` → `alice`). */
export function studentOf(file: string): string {
  const name = basename(file);
  const known = /(\.(lab|exercise))?\.(ts|mts|js|mjs|json|txt|corefile)$/i;
  return (known.test(name) ? name.replace(known, '') : name.replace(/\.[^.]*$/, '')) || name;
}

/** The names `grade --out` writes for the class as a whole: no student id may be one of them. */
export const OUTPUT_NAMES = ['gradebook'] as const;

/**
 * Why `id` cannot be a student id, or undefined when it can: it names the files `<id>.json` and
 * `<id>.feedback.md` in the output directory, so it must be a plain name (plain-name.ts) and not
 * one of the grader's own output names (a student `gradebook` would overwrite the class's).
 */
export function studentIdProblem(id: string): string | undefined {
  const plain = plainNameProblem(id);
  if (plain) return `it is not a plain file name (${plain})`;
  if ((OUTPUT_NAMES as readonly string[]).includes(id.toLowerCase())) return `"${id}" is the name of the grader's own output (${id}.json, ${id}.csv)`;
  return undefined;
}

/**
 * Sorts submission files by what their names make of them: one file per usable student id is
 * graded; the files of a student id that is not usable (studentIdProblem) or that several files
 * share are not, and each such id gets one entry naming its files and why. Students choose their
 * file names, so a bad or doubled one costs only its own student's grade, never the class's run.
 * Both lists keep the order of each id's first file. Pure.
 */
export function sortSubmissions(files: readonly string[]): {
  graded: { file: string; student: string }[];
  refused: { student: string; files: string[]; reason: 'duplicate-student' | 'unusable-id'; message: string }[];
  /** Every student id, in the order of its first file. */
  order: string[];
} {
  const byStudent = new Map<string, string[]>();
  for (const f of files) {
    const id = studentOf(f);
    byStudent.set(id, [...(byStudent.get(id) ?? []), f]);
  }
  const graded: { file: string; student: string }[] = [];
  const refused: { student: string; files: string[]; reason: 'duplicate-student' | 'unusable-id'; message: string }[] = [];
  for (const [student, own] of byStudent) {
    const why = studentIdProblem(student);
    const names = own.map((f) => JSON.stringify(basename(f))).join(', ');
    if (why) refused.push({ student, files: own, reason: 'unusable-id', message: `PL0009 student id ${JSON.stringify(student)} (from ${names}) cannot be used: ${why}; rename the file (the student id is the file name without its extensions)` });
    else if (own.length > 1) refused.push({ student, files: own, reason: 'duplicate-student', message: `${own.length} submissions belong to student ${JSON.stringify(student)} (${names}); hand in one file` });
    else graded.push({ file: own[0]!, student });
  }
  return { graded, refused, order: [...byStudent.keys()] };
}

/** The result of a student whose files were not graded for their names (sortSubmissions): status error, every item failed. */
export function refusedResult(ex: Exercise, r: ReturnType<typeof sortSubmissions>['refused'][number]): SubmissionResult {
  return {
    version: RESULTS_VERSION,
    exercise: ex.name,
    student: r.student,
    submission: r.files.join(', '),
    variant: {},
    status: 'error',
    reason: r.reason,
    message: r.message,
    score: 0,
    max: ex.rubric.reduce((n, i) => n + i.points, 0),
    items: ex.rubric.map((i) => itemFail(i, `not graded: ${r.message}`)),
    ms: 0,
    gradedAt: new Date().toISOString(),
  };
}

const CODE = /\.(ts|mts|js|mjs|json)$/i;

export interface GradeOptions {
  /** The name of the lab built for this submission (unique on the host while it runs). */
  labName: string;
  sandbox?: SandboxLimits;
  /** The student id (default: from the file name). */
  student?: string;
  /** Trusted input (the exercise's own solution): the lab itself, not loaded from `file`. */
  value?: unknown;
}

function itemFail(item: RubricItem, message: string): ItemResult {
  return { id: item.id, title: item.title, status: 'fail', points: item.points, earned: 0, hidden: item.hidden ?? false, message, hint: item.hint };
}

function itemFrom(item: RubricItem, results: CheckResult[], message: string, ok: boolean): ItemResult {
  const evidence = results.map((r) => ({ expected: r.expected, seen: r.seen, command: r.command }));
  return { id: item.id, title: item.title, status: ok ? 'pass' : 'fail', points: item.points, earned: ok ? item.points : 0, hidden: item.hidden ?? false, message, ...(ok ? {} : { hint: item.hint }), evidence };
}

/** Loads, builds, checks and tears down one submission. Never throws for anything the submission does. */
export async function gradeSubmission(ex: Exercise, file: string, options: GradeOptions): Promise<SubmissionResult> {
  const started = Date.now();
  const max = ex.rubric.reduce((n, i) => n + i.points, 0);
  const base: Omit<SubmissionResult, 'status' | 'score' | 'items' | 'ms'> = { version: RESULTS_VERSION, exercise: ex.name, student: options.student ?? studentOf(file), submission: file, variant: ex.variant, max, gradedAt: new Date().toISOString() };
  const error = (reason: NonNullable<SubmissionResult['reason']>, message: string, diagnostics?: Diagnostic[]): SubmissionResult => ({
    ...base,
    status: 'error',
    reason,
    message,
    ...(diagnostics ? { diagnostics } : {}),
    score: 0,
    items: ex.rubric.map((i) => itemFail(i, `not graded: ${message}`)),
    ms: Date.now() - started,
  });

  // 1. Load: text as text; code only in the sandbox.
  let submitted: unknown;
  if (options.value !== undefined) submitted = options.value;
  else if (ex.text && !CODE.test(extname(file))) {
    try {
      submitted = readTextSubmission(file);
    } catch (e) {
      if (e instanceof SafeReadError) return error('unreadable', `${e.diagnostic.code} ${e.message}`, [{ ...e.diagnostic, file }]);
      return error('unreadable', (e as Error).message);
    }
  } else {
    const r = await evaluateInSandbox(file, options.sandbox);
    if (!r.ok) return error(r.reason, r.message);
    submitted = r.value;
    if (submitted === null || typeof submitted !== 'object' || Array.isArray(submitted)) return error('not-data', 'the submission does not evaluate to a lab object');
  }

  // What it set that is not taken is said in its results and feedback, not dropped silently.
  const ignored = options.value === undefined ? ignoredPaths(ex, submitted) : [];
  if (ignored.length) base.ignored = ignored;

  // 2. Validate the lab it makes; the rubric's own checks that cannot apply fail their items only.
  const composed = composeLab(ex, submitted, options.labName);
  // Positions point into the student's own file (parsed, never run here), whole lab or only the
  // editable parts (those sit at the same paths in it as in the lab), read as any untrusted file
  // is (no link followed, regular file, size-capped): never by path. A text submission's are
  // inside its text (placeInSubmission).
  const text = typeof submitted === 'string' || options.value !== undefined ? '' : (tryReadUntrustedText(file) ?? '');
  const first = placeInSubmission(ex, submitted, validateValue(composed, file, text));
  const failed = new Map<string, ItemResult>();
  for (const d of first.diagnostics.filter((x) => x.severity === 'error')) {
    const item = itemOfDiagnostic(ex, d);
    if (item && !failed.has(item.id)) failed.set(item.id, itemFail(item, `cannot be checked on this lab: ${d.message}`));
  }
  const usable = ex.rubric.filter((i) => !failed.has(i.id));
  const retry = { ...ex, rubric: usable };
  const { lab, diagnostics } = failed.size ? placeInSubmission(ex, submitted, validateValue(composeLab(retry, submitted, options.labName), file, text)) : first;
  const warnings = diagnostics.filter((d) => d.severity === 'warning' && d.line !== undefined && !itemOfDiagnostic(ex, d));
  if (warnings.length) base.warnings = warnings;
  if (!lab) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    return error('invalid-lab', `the lab is not valid: ${errors.map((d) => `${d.path.join('.')}: ${d.message}`).join('; ')}`, errors);
  }

  // 3. Build it, run the rubric, tear it down.
  // A lab built from a submission: every container in a root of its own, no host path in it (SECURITY.md).
  const plan = { ...buildPlan(lab), ownRoots: true as const };
  const byId = new Map<string, ItemResult>(failed);
  // The lab's lock first (lock.ts), then: never take down a lab that is not ours. A name in use
  // (a lab someone has up, or a crashed grader's leftovers for the doctor) makes this submission
  // an error, not a victim.
  const taken = takeLabLock(plan.lab);
  if (!taken.ok) return error('up-failed', `a lab named "${plan.lab}" is being built by another podlab (pid ${taken.holder?.pid ?? '?'}); grade with another --lab-prefix`);
  try {
    if (labOnHost(plan.lab))
      return error('up-failed', `a lab named "${plan.lab}" is already on this host; grade with another --lab-prefix (or see podlab doctor)`);
    const kernel = await probeKernel(plan.kernelFeatures, undefined, plan.lab);
    if (kernel.length) return error('kernel', kernel.map((d) => d.message).join('; '), kernel);
    try {
      const state = await up(plan, render(plan));
      const checkItems = usable.filter((i) => i.check);
      const checkResults = await Promise.all(plan.checks.map((c) => runCheck(state, c)));
      checkItems.forEach((item, k) => {
        const r = checkResults[k]!;
        byId.set(item.id, itemFrom(item, [r], r.seen, r.status === 'pass'));
      });
      for (const sc of plan.scenarios) {
        const item = usable.find((i) => i.id === sc.name)!;
        const r = await runScenario(plan.lab, sc);
        const bad = r.steps.find((s) => s.status !== 'pass');
        const message = bad ? `step ${bad.step} (${bad.name}) ${bad.status === 'skipped' ? 'skipped' : 'failed'}: ${bad.message}` : `all ${r.steps.length} steps passed`;
        byId.set(item.id, itemFrom(item, r.steps.flatMap((s) => (s.check ? [s.check] : [])), message, r.status === 'pass'));
      }
      const kills = state.cgroup ? oomKills(state.cgroup) : 0;
      if (kills) base.oom = { kills, limitBytes: GRADED_LAB_LIMITS.memoryBytes };
    } catch (e) {
      return error('up-failed', (e as Error).message);
    } finally {
      await down(plan.lab).catch(() => undefined);
    }
  } finally {
    taken.lock?.release();
  }
  // Evidence names the lab as the student has it (the grading lab is gone by the time anyone reads it).
  const submittedName = typeof submitted === 'object' && submitted !== null ? (submitted as { name?: unknown }).name : undefined;
  const own = !ex.editable && typeof submittedName === 'string' ? submittedName : ex.starter.name;
  const items = ex.rubric.map((i) => {
    const r = byId.get(i.id)!;
    return r.evidence ? { ...r, evidence: r.evidence.map((e) => ({ ...e, command: asStudentLab(e.command, plan.lab, own) })) } : r;
  });
  const score = items.reduce((n, i) => n + i.earned, 0);
  return { ...base, status: score === max ? 'pass' : 'fail', score, items, ms: Date.now() - started };
}

/**
 * A check's command as the student would run it on their own lab: every `podlab <command>
 * <grading lab>` (exec, trace, …) names `own` instead, and so does the lab's state directory
 * (BIRD's control socket in a bgp check's command). Pure.
 */
export function asStudentLab(command: string, gradingLab: string, own: string): string {
  const lab = gradingLab.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return command.replace(new RegExp(`(^|[\\s;&|(])podlab ([a-z][-a-z]*) ${lab}(?=\\s|$)`, 'g'), `$1podlab $2 ${own}`).replaceAll(`${stateDir(gradingLab)}/`, `${stateDir(own)}/`);
}

/**
 * A diagnostic's place in the student's file. A text submission (a Corefile) is its exercise's
 * text path: a diagnostic inside that text is at its line and column of the text. A code
 * submission's are placed by validateValue, in the file; with editable paths, one outside them
 * lies in the starter's part, which has no place in the student's file. Pure.
 */
function placeInSubmission<T extends { diagnostics: Diagnostic[] }>(ex: Exercise, submitted: unknown, r: T): T {
  const under = (d: Diagnostic, path: string) => path.split('.').every((s, i) => d.path[i] === s);
  if (typeof submitted === 'string')
    return { ...r, diagnostics: r.diagnostics.map(({ line: _l, column: _c, ...d }) => (d.within && under(d, ex.text!) ? { ...d, line: d.within.line, column: d.within.col } : d)) };
  if (!ex.editable) return r;
  const editable = ex.editable;
  return { ...r, diagnostics: r.diagnostics.map((d) => (editable.some((p) => under(d, p)) ? d : (({ line: _l, column: _c, ...rest }) => rest)(d))) };
}

/**
 * A lab name for grading slot `i`: `<prefix>-<i>`, by default `grade-<pid>-<i>` (unique on the host
 * while this process lives). The CLI puts the lab-name prefix (--prefix, PODLAB_PREFIX) in front.
 */
export function gradingLabName(i: number, prefix = `grade-${process.pid.toString(36)}`): string {
  return `${prefix}-${i}`;
}

/**
 * Grades many submissions, `jobs` at a time, each in its own lab. Per-student variants: `exerciseFor`
 * gives the exercise as that student sees it. Results come back in the submissions' order.
 */
export async function gradeBatch(
  entries: readonly { file: string; student?: string; value?: unknown }[],
  exerciseFor: (student: string) => Promise<Exercise>,
  options: { jobs?: number; sandbox?: SandboxLimits; labPrefix?: string; onResult?: (r: SubmissionResult, done: number) => void } = {},
): Promise<SubmissionResult[]> {
  const results: SubmissionResult[] = new Array(entries.length);
  let next = 0;
  let done = 0;
  const worker = async (slot: number) => {
    for (;;) {
      const i = next++;
      if (i >= entries.length) return;
      const { file, value } = entries[i]!;
      const student = entries[i]!.student ?? studentOf(file);
      let r: SubmissionResult;
      try {
        r = await gradeSubmission(await exerciseFor(student), file, { labName: gradingLabName(slot, options.labPrefix), sandbox: options.sandbox, student, value });
      } catch (e) {
        // podlab's own failure, not the submission's: still a result, and the others go on.
        r = { version: RESULTS_VERSION, exercise: '', student, submission: file, variant: {}, status: 'error', reason: 'internal', message: (e as Error).message, score: 0, max: 0, items: [], ms: 0, gradedAt: new Date().toISOString() };
      }
      results[i] = r;
      options.onResult?.(r, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs ?? DEFAULT_JOBS, entries.length)) }, (_, s) => worker(s)));
  return results;
}

