/**
 * `podlab grade <exercise> <submission…>`, `podlab exercise test <exercise>` and
 * `podlab exercise show <exercise>`: the grader's commands (src/grade decides; this prints).
 * Exit codes: grade 0 whenever grading ran (a submission's failure is a result, not an error),
 * 1 when the exercise does not load, 2 when it could not run; exercise test 0 when the rubric
 * tells right from wrong, 1 when not.
 */
import { Option, type Command } from 'commander';
import type { Exercise } from '../grade/exercise.ts';
import type { SubmissionResult } from '../grade/grade.ts';
import { DEFAULT_JOBS } from '../constants.ts';
import { visible } from '../grade/escape.ts';
import { writeGradeOutput } from '../grade/output.ts';
import { sandboxAvailable } from '../grade/sandbox.ts';
import { cgroupHost } from '../lib/cgroups.ts';
import { checkHost } from '../runtime/preflight.ts';
import { prefixed, wholeNumber } from './basics.ts';
import { formatDiagnostic } from '../compile/diagnostics.ts';
import { pickVariant } from '../lib/variant.ts';
import { color, dim, green, red } from './terminal.ts';

const EXIT = { ok: 0, failed: 1, cannotRun: 2 } as const;

function fail(message: string, code: number = EXIT.cannotRun): void {
  process.stderr.write(`${red('✗')} ${message}\n`);
  process.exitCode = code;
}

// Loaded when a grading command runs: exercises and grading validate labs (zod, the lab schema),
// which no other command of the CLI needs at its start.
const exercises = () => import('../grade/exercise.ts');
const grading = () => import('../grade/grade.ts');

/**
 * Loads the exercise once per variant: students whose id picks the same values share it (it was
 * once per student: 30 sandbox evaluations for an exercise of 6 variants).
 */
function exerciseCache(arg: string, first: Exercise): (student: string) => Promise<Exercise> {
  const cache = new Map<string, Promise<Exercise>>([[JSON.stringify(first.variant), Promise.resolve(first)]]);
  return async (student) => {
    if (!Object.keys(first.variant).length) return first;
    // The seed loadExercise gives the module: `<exercise>/<student>` (src/grade/exercise.ts).
    const key = first.variants ? JSON.stringify(pickVariant(first.variants, `${first.name}/${student}`)) : student;
    let p = cache.get(key);
    if (!p) cache.set(key, (p = exercises().then((m) => m.loadExercise(arg, student))));
    return p;
  };
}

/** One line per submission on the grader's terminal; what came from the student has its control characters made visible. */
function resultLine(r: SubmissionResult): string {
  const mark = r.status === 'pass' ? green('✓') : r.status === 'fail' ? red('✗') : red('!');
  const detail = r.status === 'error' ? `error (${r.reason}): ${visible(r.message ?? '')}` : r.items.filter((i) => i.status === 'fail').map((i) => i.id).join(', ') || 'full marks';
  return `${mark} ${visible(r.student).padEnd(20)} ${`${r.score}/${r.max}`.padStart(7)}  ${dim(`${(r.ms / 1000).toFixed(1)} s`)}  ${detail}`;
}

/** Before anything is built: root, tools, and a sandbox that confines. */
async function preflight(): Promise<boolean> {
  const host = await checkHost();
  if (host.length) {
    fail(host.map((d) => `${d.message}${d.hint ? ` (${d.hint})` : ''}`).join('\n  '));
    return false;
  }
  const sb = sandboxAvailable();
  if (!sb.ok) {
    fail(`submissions cannot be loaded safely: ${sb.why}`);
    return false;
  }
  // Without a memory cgroup each process is capped alone (RLIMIT_DATA), not a submission's lab or sandbox as a whole.
  const cgroups = cgroupHost();
  if ('missing' in cgroups) process.stderr.write(`warning: submissions' labs and sandboxes get no memory limit over all their processes: ${cgroups.missing}\n`);
  return true;
}

/**
 * The prefix of the labs grade and exercise test build (`<it>-<slot>`): `--lab-prefix`, else
 * `grade-<pid in base 36>`, after the lab-name prefix (--prefix, PODLAB_PREFIX) as every lab's name.
 */
export function gradingLabPrefix(labPrefix: string | undefined): string {
  return prefixed(labPrefix ?? `grade-${process.pid.toString(36)}`);
}

/** `--lab-prefix` is a short DNS label (the slot's `-<n>` and the lab-name prefix go around it), or absent. */
function labPrefixUsable(labPrefix: string | undefined): boolean {
  if (labPrefix === undefined || /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(labPrefix)) return true;
  fail(`--lab-prefix "${labPrefix}" must be a short DNS label (lower-case letters, digits, '-')`);
  return false;
}

/** The exercise, or undefined once its problems are out (as `{ ok: false, diagnostics }` with `json`) and the exit code set. */
async function loadOrFail(arg: string, seed?: string, json?: boolean): Promise<Exercise | undefined> {
  const { ExerciseError, loadExercise } = await exercises();
  try {
    const ex = await loadExercise(arg, seed);
    // Warnings are the author's (a rubric item that passes whatever the answer): said, not fatal.
    if (!json) for (const d of ex.warnings ?? []) process.stderr.write(`${formatDiagnostic(d, undefined, color)}\n`);
    return ex;
  } catch (e) {
    if (json && e instanceof ExerciseError) {
      process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: e.diagnostics }, null, 2)}\n`);
      process.exitCode = EXIT.failed;
      return undefined;
    }
    // One coded diagnostic that is the whole message (no exercise there) is printed as every diagnostic is.
    if (e instanceof ExerciseError && !e.listed) {
      for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d, undefined, color)}\n`);
      process.exitCode = EXIT.failed;
      return undefined;
    }
    fail((e as Error).message, e instanceof ExerciseError ? EXIT.failed : EXIT.cannotRun);
    return undefined;
  }
}

export function registerGrade(program: Command): void {
  program
    .command('grade')
    .description("Grade submissions of an exercise: each is loaded in a sandbox, built as a lab of its own, checked against the rubric and torn down.")
    .argument('<exercise>', 'exercise folder, e.g. exercises/coredns-forwarder')
    .argument('<submissions...>', "students' files: whole labs (.lab.ts), or what the exercise lets them change (e.g. a Corefile)")
    .option('--out <dir>', 'where results go', 'grades')
    .addOption(new Option('--jobs <n>', 'submissions graded at once').argParser(wholeNumber(1, 1000)).default(DEFAULT_JOBS))
    .addOption(new Option('--sandbox-timeout <ms>', 'how long a submission may take to evaluate').argParser(wholeNumber(1, 3_600_000)).default(10000))
    .option('--lab-prefix <name>', 'name the grading labs <name>-0, <name>-1, … (default grade-<pid>), after the lab-name prefix (--prefix)')
    .option('--json', 'print the gradebook JSON instead of the table')
    .addHelpText('after', `
Writes, under --out:
  <student>.json         results (versioned): status pass|fail|error, score, each rubric item with
                         its points, message and evidence (hidden items included: for instructors)
  <student>.feedback.md  what the student reads: hidden items show only their points
  gradebook.csv          one row per student, one column per rubric item
  gradebook.json         the same, with the rubric and a summary
The student id is the file name without its extensions (alice.lab.ts → alice); it also picks the
student's variant when the exercise has variants. A submission that loops, throws, imports what it
may not, or is not a lab gets status "error" with a reason; the others are graded regardless. So
do a student's files when two share the student id (bob.Corefile, bob.txt: one entry naming both)
or the id is not usable (PL0009: not a plain name, or the grader's own output name, gradebook):
these are not graded, and an unusable id has no files of its own, only its gradebook entry.
Exit codes: 0 grading ran (whatever the scores), 1 the exercise does not load (its problems
printed), 2 it could not run (not root, no sandbox).
Example:
  podlab grade exercises/coredns-forwarder submissions/*.Corefile --out grades/dns`)
    .action(async (exArg: string, files: string[], opts: { out: string; jobs: number; sandboxTimeout: number; labPrefix?: string; json?: boolean }) => {
      if (!(await preflight())) return;
      const { gradeBatch, refusedResult, sortSubmissions } = await grading();
      if (!labPrefixUsable(opts.labPrefix)) return;
      const labPrefix = gradingLabPrefix(opts.labPrefix);
      // A student id names files in --out, and students choose their file names: an id that is not
      // a plain name, is the grader's own output name (PL0009), or is shared by two files is that
      // student's error (not graded, an entry in the gradebook), never a reason to grade no one.
      const { graded, refused, order } = sortSubmissions(files);
      const ex = await loadOrFail(exArg, undefined, opts.json);
      if (!ex) return;
      const started = Date.now();
      const live = !opts.json && process.stderr.isTTY;
      process.stderr.write(`grading ${graded.length} submission${graded.length === 1 ? '' : 's'} of ${ex.name} (${opts.jobs} at a time, in labs ${labPrefix}-<n>)\n`);
      const notGraded = refused.map((r) => refusedResult(ex, r));
      if (!opts.json) for (const r of notGraded) process.stderr.write(`${resultLine(r)}\n`);
      const gradedResults = await gradeBatch(graded, exerciseCache(exArg, ex), {
        jobs: opts.jobs,
        sandbox: { timeoutMs: opts.sandboxTimeout },
        labPrefix,
        onResult: (r, done) => {
          if (!opts.json) process.stderr.write(`${live ? '\r\x1b[K' : ''}${resultLine(r)}  ${dim(`[${done}/${graded.length}]`)}\n`);
        },
      });
      // One result per student id, in the order the files were given (a refused id at its first file).
      const byId = new Map([...gradedResults, ...notGraded].map((r) => [r.student, r]));
      const results = order.map((id) => byId.get(id)!);
      const book = writeGradeOutput(opts.out, ex.name, ex.rubric, results);
      if (opts.json) process.stdout.write(book);
      else {
        const n = (s: SubmissionResult['status']) => results.filter((r) => r.status === s).length;
        process.stdout.write(`${n('pass')} full marks, ${n('fail')} partial, ${n('error')} not gradable — ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${opts.out}/\n`);
      }
    });

  const exercise = program.command('exercise').description('Work with exercises: show the task, test the rubric.');

  exercise
    .command('show')
    .description("Print an exercise's task and rubric as a student sees them (hidden items by points only).")
    .argument('<exercise>', 'exercise folder')
    .option('--student <id>', "that student's variant")
    .option('--json', 'print it as JSON')
    .action(async (exArg: string, opts: { student?: string; json?: boolean }) => {
      const ex = await loadOrFail(exArg, opts.student, opts.json);
      if (!ex) return;
      if (opts.json) {
        const visible = ex.rubric.map((i) => (i.hidden ? { id: i.id, points: i.points, hidden: true } : { id: i.id, title: i.title, points: i.points }));
        process.stdout.write(`${JSON.stringify({ name: ex.name, title: ex.title, task: ex.task, variant: ex.variant, rubric: visible, starter: ex.starter }, null, 2)}\n`);
      } else process.stdout.write((await exercises()).taskText(ex));
    });

  exercise
    .command('test')
    .description("Prove the rubric: the reference solution scores full marks, and each shipped broken variant fails exactly the items it names.")
    .argument('<exercise>', 'exercise folder')
    .addOption(new Option('--jobs <n>', 'variants graded at once').argParser(wholeNumber(1, 1000)).default(DEFAULT_JOBS))
    .option('--lab-prefix <name>', 'name its labs <name>-0, <name>-1, … (default grade-<pid>), after the lab-name prefix (--prefix)')
    .option('--json', 'print the verdicts as JSON')
    .addHelpText('after', `
Exit codes: 0 the rubric tells right from wrong, 1 it does not (or the exercise is invalid), 2 could not run.`)
    .action(async (exArg: string, opts: { jobs: number; labPrefix?: string; json?: boolean }) => {
      if (!(await preflight())) return;
      if (!labPrefixUsable(opts.labPrefix)) return;
      const ex = await loadOrFail(exArg, 'solution', opts.json);
      if (!ex) return;
      const { testExercise } = await import('../grade/exercise-test.ts');
      const labPrefix = gradingLabPrefix(opts.labPrefix);
      if (!opts.json) process.stderr.write(`testing ${ex.name}: the solution and ${ex.broken.length} broken answer${ex.broken.length === 1 ? '' : 's'} (in labs ${labPrefix}-<n>)\n`);
      const verdicts = await testExercise(ex, { jobs: opts.jobs, labPrefix });
      if (opts.json) process.stdout.write(`${JSON.stringify(verdicts.map(({ result, ...v }) => ({ ...v, score: result.score, max: result.max, status: result.status, reason: result.reason, message: result.message })), null, 2)}\n`);
      else
        for (const v of verdicts) {
          const want = v.expected.length ? `fails ${v.expected.join(', ')}` : 'full marks';
          const got = v.result.status === 'error' ? `error (${v.result.reason}): ${v.result.message}` : v.failed.length ? `failed ${v.failed.join(', ')}` : 'full marks';
          process.stdout.write(`${v.ok ? green('✓') : red('✗')} ${v.name.padEnd(32)} want ${want}; got ${got} (${v.result.score}/${v.result.max})\n`);
          if (!v.ok) for (const i of v.result.items.filter((x) => x.status === 'fail')) process.stdout.write(`    ${i.id}: ${i.message}\n`);
        }
      process.exitCode = verdicts.every((v) => v.ok) ? EXIT.ok : EXIT.failed;
    });
}
