/**
 * Writing `grade --out`: results hold every student's scores, evidence and hidden items, so the
 * directory is the grader's alone (0700, also when it existed), each file 0600 (also when it
 * existed), a link planted where a result goes is not followed, and every name is a plain one
 * (a student id that is not usable gets no files of its own, only its gradebook entry; joinPlain
 * checks again here).
 */
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { joinPlain } from '../lib/plain-name.ts';
import type { RubricItem } from './exercise.ts';
import type { SubmissionResult } from './grade.ts';
import { feedbackText, gradebookCsv, gradebookJson, resultsJson } from './gradebook.ts';

export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function writePrivate(path: string, content: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
    const buf = Buffer.from(content);
    for (let n = 0; n < buf.length; ) n += writeSync(fd, buf, n);
  } finally {
    closeSync(fd);
  }
}

/** Writes every result, feedback and the gradebook under `out`; returns the gradebook JSON. */
export function writeGradeOutput(out: string, exercise: string, rubric: readonly RubricItem[], results: readonly SubmissionResult[]): string {
  privateDir(out);
  for (const r of results) {
    // A student id that is not usable (it was refused, not graded) names no file: its entry is in the gradebook only.
    if (r.reason === 'unusable-id') continue;
    writePrivate(joinPlain(out, `${r.student}.json`), resultsJson(r));
    writePrivate(joinPlain(out, `${r.student}.feedback.md`), feedbackText(r));
  }
  writePrivate(joinPlain(out, 'gradebook.csv'), gradebookCsv(rubric, results));
  const book = gradebookJson(exercise, rubric, results);
  writePrivate(joinPlain(out, 'gradebook.json'), book);
  return book;
}
