/**
 * Check reports for people and for machines: the terminal text (with the evidence a learner can
 * act on: expected, seen, the command to try by hand), JSON (versioned), JUnit XML (CI systems)
 * and TAP 13. Pure: results in, text out.
 */
import type { CheckResult } from './checks.ts';
import type { ScenarioResult, StepResult } from './scenario.ts';

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

const cellReached = (c: CheckResult) => c.expected.startsWith('reaches') === (c.status === 'pass');

/**
 * How a cell that did not reach was stopped, as the client saw it: `refused` (a reset or ICMP port
 * unreachable: something answered "no one here", a closed port or a policy that rejects),
 * `timeout` (silence: a policy that drops, or no route), else `blocked`. The lesson a truth table
 * teaches: a timeout is a drop, a refusal a closed port.
 */
export function stoppedHow(seen: string): 'refused' | 'timeout' | 'blocked' {
  if (/ECONNREFUSED|connection refused|port unreachable|\brefused\b/i.test(seen)) return 'refused';
  if (/ETIMEDOUT|timed out|no reply|no answer/i.test(seen)) return 'timeout';
  return 'blocked';
}

/** A matrix as a grid: rows are sources, columns targets; each cell says what happened, and what was wanted when that differs. */
export function matrixTable(r: CheckResult, paint: Painter = plain, indent = '    '): string[] {
  const m = r.matrix!;
  const text = m.cells.map((c) => {
    const reached = cellReached(c);
    const got = reached ? 'reach' : stoppedHow(c.seen);
    return c.status === 'pass' ? `✓ ${got}` : `✗ ${got} (want ${reached ? 'blocked' : 'reach'})`;
  });
  const first = Math.max(...m.rows.map((x) => x.length), 4);
  const widths = m.cols.map((col, k) => Math.max(col.length, ...m.rows.map((_, i) => text[i * m.cols.length + k]!.length)));
  const lines = [`${indent}${''.padEnd(first)}  ${m.cols.map((col, k) => col.padEnd(widths[k]!)).join('  ')}`.trimEnd()];
  m.rows.forEach((row, i) => {
    const cells = m.cols.map((_, k) => {
      const t = text[i * m.cols.length + k]!.padEnd(widths[k]!);
      return m.cells[i * m.cols.length + k]!.status === 'pass' ? paint.pass(t) : paint.fail(t);
    });
    lines.push(`${indent}${row.padEnd(first)}  ${cells.join('  ')}`.trimEnd());
  });
  return lines;
}

function checkLines(r: CheckResult, paint: Painter, indent = ''): string[] {
  const lines = [`${indent}${r.status === 'pass' ? paint.pass('✓') : paint.fail('✗')} ${r.name} ${paint.dim(`(${r.ms} ms, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`)}`];
  if (r.matrix) {
    lines.push(...matrixTable(r, paint, `${indent}    `));
    const firstFailed = r.matrix.cells.find((c) => c.status === 'fail');
    if (firstFailed) lines.push(`${indent}    e.g. ${firstFailed.name}: ${firstFailed.seen}`, `${indent}    try:      ${firstFailed.command}`);
  } else if (r.status === 'fail') lines.push(`${indent}    expected: ${r.expected}`, `${indent}    seen:     ${r.seen}`, `${indent}    try:      ${r.command}`);
  return lines;
}

function stepLines(s: StepResult, paint: Painter): string[] {
  if (s.check) return checkLines(s.check, paint, `  ${String(s.step).padStart(2)} `);
  const mark = s.status === 'pass' ? paint.pass('✓') : s.status === 'skipped' ? paint.dim('-') : paint.fail('✗');
  return [`  ${String(s.step).padStart(2)} ${mark} ${s.name} ${paint.dim(`(${s.ms} ms)`)}`, `         ${s.status === 'pass' ? paint.dim(s.message) : s.message}`];
}

export function textReport(results: readonly CheckResult[], paint: Painter = plain, scenarios: readonly ScenarioResult[] = []): string {
  const lines: string[] = [];
  for (const r of results) lines.push(...checkLines(r, paint));
  for (const sc of scenarios) {
    lines.push(`${sc.status === 'pass' ? paint.pass('✓') : paint.fail('✗')} scenario ${sc.name}${sc.description ? `: ${sc.description}` : ''} ${paint.dim(`(${sc.ms} ms)`)}`);
    for (const st of sc.steps) lines.push(...stepLines(st, paint));
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const scFailed = scenarios.filter((s) => s.status === 'fail').length;
  const checkSummary = `${results.length - failed} passed, ${failed} failed`;
  const scenarioSummary = `scenarios: ${scenarios.length - scFailed} passed, ${scFailed} failed`;
  lines.push(!scenarios.length ? checkSummary : !results.length ? scenarioSummary : `${checkSummary}; ${scenarioSummary}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The versioned JSON report. `nothingRan` says why nothing was run (`podlab scenario` of a lab
 * without scenarios): then `passed` is false, as the exit code (1) says, and the reason is in
 * `nothingRan`, so that a script reading `passed` never takes nothing for success.
 */
export function jsonReport(lab: string, results: readonly CheckResult[], scenarios: readonly ScenarioResult[] = [], nothingRan?: string): string {
  const failed = results.filter((r) => r.status === 'fail').length;
  const scFailed = scenarios.filter((s) => s.status === 'fail').length;
  const summary = { total: results.length, passed: results.length - failed, failed, ...(scenarios.length || nothingRan ? { scenarios: { total: scenarios.length, passed: scenarios.length - scFailed, failed: scFailed } } : {}) };
  return `${JSON.stringify({ version: REPORT_VERSION, lab, passed: !nothingRan && failed === 0 && scFailed === 0, ...(nothingRan ? { nothingRan } : {}), summary, results, ...(scenarios.length ? { scenarios } : {}) }, null, 2)}\n`;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function scenarioSuite(lab: string, sc: ScenarioResult): string[] {
  const failed = sc.steps.filter((s) => s.status === 'fail').length;
  const skipped = sc.steps.filter((s) => s.status === 'skipped').length;
  const cases = sc.steps.map((s) => {
    const open = `    <testcase classname="podlab.${xml(lab)}.scenario.${xml(sc.name)}" name="${xml(`${s.step}. ${s.name}`)}" time="${seconds(s.ms)}">`;
    if (s.status === 'skipped') return `${open}\n      <skipped message="${xml(s.message)}"/>\n    </testcase>`;
    if (s.status === 'pass') return `${open}\n      <system-out>${xml(s.message)}</system-out>\n    </testcase>`;
    const evidence = s.check ? `expected: ${s.check.expected}\nseen: ${s.check.seen}\ntry: ${s.check.command}` : s.message;
    return `${open}\n      <failure message="${xml(s.message)}" type="${s.kind}">${xml(evidence)}</failure>\n    </testcase>`;
  });
  return [`  <testsuite name="${xml(`${lab}/${sc.name}`)}" tests="${sc.steps.length}" failures="${failed}" errors="0" skipped="${skipped}" time="${seconds(sc.ms)}">`, ...cases, '  </testsuite>'];
}

export function junitReport(lab: string, results: readonly CheckResult[], scenarios: readonly ScenarioResult[] = []): string {
  const failed = results.filter((r) => r.status === 'fail').length;
  const total = results.reduce((t, r) => t + r.ms, 0);
  const allTests = results.length + scenarios.reduce((n, s) => n + s.steps.length, 0);
  const allFailures = failed + scenarios.reduce((n, s) => n + s.steps.filter((x) => x.status === 'fail').length, 0);
  const allTime = total + scenarios.reduce((t, s) => t + s.ms, 0);
  const cases = results.map((r) => {
    const open = `    <testcase classname="podlab.${xml(lab)}.${r.kind}" name="${xml(r.name)}" time="${seconds(r.ms)}">`;
    const evidence = `expected: ${r.expected}\nseen: ${r.seen}\ntry: ${r.command}`;
    return r.status === 'pass'
      ? `${open}\n      <system-out>${xml(`seen: ${r.seen}\ntry: ${r.command}`)}</system-out>\n    </testcase>`
      : `${open}\n      <failure message="${xml(r.seen)}" type="${r.kind}">${xml(evidence)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="podlab" tests="${allTests}" failures="${allFailures}" time="${seconds(allTime)}">`,
    `  <testsuite name="${xml(lab)}" tests="${results.length}" failures="${failed}" errors="0" skipped="0" time="${seconds(total)}">`,
    ...cases,
    '  </testsuite>',
    ...scenarios.flatMap((sc) => scenarioSuite(lab, sc)),
    '</testsuites>',
    '',
  ].join('\n');
}

/** TAP 13: one line per check and per scenario step, failures with a YAML block of evidence. */
export function tapReport(results: readonly CheckResult[], scenarios: readonly ScenarioResult[] = []): string {
  const yamlString = (s: string) => JSON.stringify(s);
  const steps = scenarios.flatMap((sc) => sc.steps.map((st) => ({ sc, st })));
  const lines = ['TAP version 13', `1..${results.length + steps.length}`];
  results.forEach((r, i) => {
    const title = r.name.replace(/#/g, '\\#');
    if (r.status === 'pass') lines.push(`ok ${i + 1} - ${title}`);
    else lines.push(`not ok ${i + 1} - ${title}`, '  ---', `  expected: ${yamlString(r.expected)}`, `  seen: ${yamlString(r.seen)}`, `  try: ${yamlString(r.command)}`, `  attempts: ${r.attempts}`, `  ms: ${r.ms}`, '  ...');
  });
  steps.forEach(({ sc, st }, j) => {
    const n = results.length + j + 1;
    const title = `scenario ${sc.name} step ${st.step}: ${st.name}`.replace(/#/g, '\\#');
    if (st.status === 'pass') lines.push(`ok ${n} - ${title}`);
    else if (st.status === 'skipped') lines.push(`ok ${n} - ${title} # SKIP ${st.message}`);
    else if (st.check) lines.push(`not ok ${n} - ${title}`, '  ---', `  expected: ${yamlString(st.check.expected)}`, `  seen: ${yamlString(st.check.seen)}`, `  try: ${yamlString(st.check.command)}`, '  ...');
    else lines.push(`not ok ${n} - ${title}`, '  ---', `  message: ${yamlString(st.message)}`, '  ...');
  });
  return `${lines.join('\n')}\n`;
}

export function formatReport(format: ReportFormat, lab: string, results: readonly CheckResult[], paint?: Painter, scenarios: readonly ScenarioResult[] = []): string {
  switch (format) {
    case 'json':
      return jsonReport(lab, results, scenarios);
    case 'junit':
      return junitReport(lab, results, scenarios);
    case 'tap':
      return tapReport(results, scenarios);
    case 'text':
      return textReport(results, paint, scenarios);
  }
}
