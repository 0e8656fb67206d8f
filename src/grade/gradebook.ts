/**
 * What grading writes: per submission the results JSON (everything, for the instructor) and the
 * feedback a learner reads (hidden items reduced to their points), and for the batch a gradebook
 * as CSV (one row per student, one column per rubric item) and JSON. Pure: results in, text out.
 */
import type { SubmissionResult } from './grade.ts';
import type { RubricItem } from './exercise.ts';
import { safeJson, visible } from './escape.ts';

export function resultsJson(r: SubmissionResult): string {
  return `${safeJson(r)}\n`;
}

/**
 * The learner's feedback (Markdown): score, what of the submission was not taken (not editable),
 * what validate warns of in it, each visible item with what was seen and the hint (none when it
 * was not graded: nothing was run), hidden ones by points only. Every value is one line with its control characters made visible
 * (escape.ts): the file is read in terminals and editors.
 */
export function feedbackText(r: SubmissionResult): string {
  const v = visible;
  const lines = [`# ${v(r.exercise)}: ${v(r.student)}`, '', `Score: ${r.score} / ${r.max}${r.status === 'error' ? ` — not graded: ${v(r.message ?? '')}` : ''}`, ''];
  // The values this student's task was given (`podlab exercise show --student`): the rubric checks those, not another student's.
  const variant = Object.entries(r.variant ?? {});
  if (variant.length) lines.push(`Your variant: ${variant.map(([k, x]) => `${v(k)} = ${v(String(x))}`).join(', ')} (the rubric checks these values).`, '');
  if (r.ignored?.length) {
    lines.push(`Not taken from your submission: ${r.ignored.map((p) => `\`${v(p)}\``).join(', ')}. This exercise takes only some parts of a lab from a submission; the starter's are used for the rest.`, '');
  }
  const listed = (ds: NonNullable<SubmissionResult['diagnostics']>) => ds.map((d) => `- ${d.line ? `line ${d.line}:${d.column} ` : ''}${d.code} ${v(d.path.join('.'))}: ${v(d.message)}${d.hint ? ` (${v(d.hint)})` : ''}`);
  if (r.status === 'error' && r.diagnostics?.length) lines.push('Your lab did not validate:', '', ...listed(r.diagnostics), '');
  if (r.warnings?.length) lines.push('`podlab validate` warns of your submission (it was graded as it is):', '', ...listed(r.warnings), '');
  if (r.oom) lines.push(`While it was graded, the kernel killed ${r.oom.kills} process${r.oom.kills === 1 ? '' : 'es'} of your lab for memory: its containers together held more than the grading lab's limit of ${Math.round(r.oom.limitBytes / 1024 / 1024)} MiB.`, '');
  r.items.forEach((i, n) => {
    const mark = i.status === 'pass' ? '✓' : '✗';
    if (i.hidden) {
      lines.push(`- ${mark} hidden item ${n + 1}: ${i.earned} / ${i.points}`);
      return;
    }
    lines.push(`- ${mark} ${v(i.title)}: ${i.earned} / ${i.points}`);
    if (i.status === 'fail' && r.status !== 'error') {
      // What the lab answered is the student's (a server's body): one line, control characters made visible.
      lines.push(`  - seen: ${v(i.message)}`);
      const tried = i.evidence?.find((e) => e.command)?.command;
      if (tried) lines.push(`  - try: \`${v(tried)}\``);
    }
    // Not graded, nothing was run: an item's hint answers what its evidence would have shown.
    if (i.status === 'fail' && i.hint && r.status !== 'error') lines.push(`  - hint: ${v(i.hint)}`);
  });
  return `${lines.join('\n')}\n`;
}

const csvField = (v: string | number) => {
  // Control characters made visible (a cell is one line of text), then quoting and formula defusing.
  const s = visible(String(v));
  // Quote what needs it, and defuse spreadsheet formulas in free text (=, +, -, @ at the start).
  const safe = /^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** One row per submission: student, status, score, max, then each item's points earned, then the reason of an error. */
export function gradebookCsv(rubric: readonly RubricItem[], results: readonly SubmissionResult[]): string {
  const header = ['student', 'status', 'score', 'max', ...rubric.map((i) => i.id), 'reason'];
  const rows = results.map((r) => [r.student, r.status, r.score, r.max, ...rubric.map((i) => r.items.find((x) => x.id === i.id)?.earned ?? 0), r.status === 'error' ? `${r.reason}: ${r.message ?? ''}` : '']);
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\n')}\n`;
}

export function gradebookJson(exercise: string, rubric: readonly RubricItem[], results: readonly SubmissionResult[]): string {
  const max = rubric.reduce((n, i) => n + i.points, 0);
  return `${safeJson(
    {
      version: 1,
      exercise,
      max,
      rubric: rubric.map((i) => ({ id: i.id, title: i.title, points: i.points, hidden: i.hidden ?? false })),
      summary: {
        submissions: results.length,
        pass: results.filter((r) => r.status === 'pass').length,
        fail: results.filter((r) => r.status === 'fail').length,
        error: results.filter((r) => r.status === 'error').length,
        meanScore: results.length ? Math.round((results.reduce((n, r) => n + r.score, 0) / results.length) * 100) / 100 : 0,
      },
      students: results.map((r) => ({ student: r.student, status: r.status, score: r.score, max: r.max, ...(r.reason ? { reason: r.reason, message: r.message } : {}), items: Object.fromEntries(r.items.map((i) => [i.id, i.earned])) })),
    },
  )}\n`;
}
