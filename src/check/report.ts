/**
 * Check reports for people and for machines: the terminal text (with the evidence a learner can
 * act on: expected, seen, the command to try by hand), JSON (versioned), JUnit XML (CI systems)
 * and TAP 13. Pure: results in, text out.
 */
import type { CheckResult } from './checks.ts';

export type ReportFormat = 'text' | 'json' | 'junit' | 'tap';
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'junit', 'tap'];

/** Bumped when the JSON shape changes incompatibly. */
export const REPORT_VERSION = 1;

export interface Painter {
  pass: (s: string) => string;
  fail: (s: string) => string;
  dim: (s: string) => string;
}

const plain: Painter = { pass: (s) => s, fail: (s) => s, dim: (s) => s };

export function textReport(results: readonly CheckResult[], paint: Painter = plain): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.status === 'pass' ? paint.pass('✓') : paint.fail('✗')} ${r.name} ${paint.dim(`(${r.ms} ms, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`)}`);
    if (r.status === 'fail') lines.push(`    expected: ${r.expected}`, `    seen:     ${r.seen}`, `    try:      ${r.command}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push(`${results.length - failed} passed, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}

export function jsonReport(lab: string, results: readonly CheckResult[]): string {
  const failed = results.filter((r) => r.status === 'fail').length;
  return `${JSON.stringify({ version: REPORT_VERSION, lab, passed: failed === 0, summary: { total: results.length, passed: results.length - failed, failed }, results }, null, 2)}\n`;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function junitReport(lab: string, results: readonly CheckResult[]): string {
  const failed = results.filter((r) => r.status === 'fail').length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = results.reduce((t, r) => t + r.ms, 0);
  const cases = results.map((r) => {
    const open = `    <testcase classname="podlab.${xml(lab)}.${r.kind}" name="${xml(r.name)}" time="${seconds(r.ms)}">`;
    const evidence = `expected: ${r.expected}\nseen: ${r.seen}\ntry: ${r.command}`;
    return r.status === 'pass'
      ? `${open}\n      <system-out>${xml(`seen: ${r.seen}\ntry: ${r.command}`)}</system-out>\n    </testcase>`
      : `${open}\n      <failure message="${xml(r.seen)}" type="${r.kind}">${xml(evidence)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="podlab" tests="${results.length}" failures="${failed}" time="${seconds(total)}">`,
    `  <testsuite name="${xml(lab)}" tests="${results.length}" failures="${failed}" errors="0" skipped="0" time="${seconds(total)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** TAP 13: one line per check, failures with a YAML block of evidence. */
export function tapReport(results: readonly CheckResult[]): string {
  const yamlString = (s: string) => JSON.stringify(s);
  const lines = ['TAP version 13', `1..${results.length}`];
  results.forEach((r, i) => {
    const title = r.name.replace(/#/g, '\\#');
    if (r.status === 'pass') lines.push(`ok ${i + 1} - ${title}`);
    else lines.push(`not ok ${i + 1} - ${title}`, '  ---', `  expected: ${yamlString(r.expected)}`, `  seen: ${yamlString(r.seen)}`, `  try: ${yamlString(r.command)}`, `  attempts: ${r.attempts}`, `  ms: ${r.ms}`, '  ...');
  });
  return `${lines.join('\n')}\n`;
}

export function formatReport(format: ReportFormat, lab: string, results: readonly CheckResult[], paint?: Painter): string {
  switch (format) {
    case 'json':
      return jsonReport(lab, results);
    case 'junit':
      return junitReport(lab, results);
    case 'tap':
      return tapReport(results);
    case 'text':
      return textReport(results, paint);
  }
}
