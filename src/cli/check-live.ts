/** Running a live lab's checks and scenarios and printing the report: shared by check, scenario and up --check. */
import { Option } from 'commander';
import { realExecutor } from '../runtime/exec.ts';
import { runCheck } from '../check/run.ts';
import { runScenarios, type ScenarioResult } from '../check/scenario.ts';
import { formatReport, jsonReport, REPORT_FORMATS, type ReportFormat } from '../check/report.ts';
import { EXIT, refused, upStateOrExit, usageExit } from './common.ts';
import { RuntimeError } from '../runtime/errors.ts';
import { dim, green, red } from './terminal.ts';

interface LiveRun {
  format?: ReportFormat;
  /** Run the lab's checks. @default true */
  checks?: boolean;
  /** Scenarios to run after the checks: names, or 'all'. */
  scenarios?: readonly string[] | 'all';
}

/** Runs a live lab's checks and scenarios and prints the report; progress goes to a terminal's stderr while it runs. */
export async function checkLive(lab: string, run: LiveRun = {}): Promise<number> {
  const format = run.format ?? 'text';
  const state = upStateOrExit(lab, format === 'json');
  const live = format === 'text' && process.stderr.isTTY;
  const checks = run.checks === false ? [] : state.plan.checks;
  let done = 0;
  let failed = 0;
  const tick = (label: string) => {
    if (live) process.stderr.write(`\r\x1b[K${dim(`  · ${label}`)}`);
  };
  if (checks.length) tick(`checks: 0/${checks.length}`);
  const results = await Promise.all(
    checks.map((c) =>
      runCheck(state, c).then((r) => {
        done++;
        if (r.status === 'fail') failed++;
        tick(`checks: ${done}/${checks.length}${failed ? `, ${failed} failed` : ''}`);
        return r;
      }),
    ),
  );
  let scenarios: ScenarioResult[] = [];
  // `podlab scenario <lab>` of a lab that has none ran nothing, so nothing passed: not a "0 failed"
  // a script would take for success (exit 1; a named scenario the lab lacks is PL3053, exit 2).
  if (run.checks === false && run.scenarios === 'all' && !state.plan.scenarios?.length) {
    const why = `lab "${lab}" has no scenarios: nothing to run`;
    // Each report says it failed, as the exit code does: JSON's passed is false (and nothingRan
    // says why), TAP bails out (an empty plan, 1..0, would be a pass to a TAP harness).
    if (format === 'json') process.stdout.write(jsonReport(lab, [], [], why));
    else if (format === 'tap') process.stdout.write(`TAP version 13\nBail out! ${why}\n`);
    else if (format !== 'text') process.stdout.write(formatReport(format, lab, [], { pass: green, fail: red, dim }, []));
    process.stderr.write(`${why} (a lab's scenarios are under scenarios: in its file; docs/checks.md)\n`);
    return EXIT.failed;
  }
  if (run.scenarios && (run.scenarios === 'all' || run.scenarios.length)) {
    try {
      scenarios = await runScenarios(lab, run.scenarios === 'all' ? [] : run.scenarios, realExecutor, (sc, st) => tick(`scenario ${sc}: step ${st.step} ${st.status === 'fail' ? red('✗') : '✓'} ${st.name}`));
    } catch (e) {
      if (live) process.stderr.write('\r\x1b[K');
      if (e instanceof RuntimeError) refused(e, { json: format === 'json', exit: EXIT.cannotRun });
      process.stderr.write(`${(e as Error).message}\n`);
      return EXIT.cannotRun;
    }
  }
  if (live) process.stderr.write('\r\x1b[K');
  process.stdout.write(formatReport(format, lab, results, { pass: green, fail: red, dim }, scenarios));
  return results.every((r) => r.status === 'pass') && scenarios.every((s) => s.status === 'pass') ? EXIT.ok : EXIT.failed;
}

/**
 * The report format of --format and --json together: --json is --format json, so --json with
 * another --format is a usage error (PL3141, exit 2), as is --format without what it formats
 * (`up --format tap` without --check runs no checks). Checked before anything runs.
 */
export function reportFormat(opts: { json?: boolean; format: ReportFormat }, reports = true): ReportFormat {
  if (opts.json && opts.format !== 'text' && opts.format !== 'json') usageExit(`--json and --format ${opts.format} ask for two report formats`, `Give one: --json is --format json.`, true);
  if (!reports && opts.format !== 'text') usageExit(`--format ${opts.format} formats the checks' report, and without --check up runs no checks`, `Add --check to run them once the lab is up.`, opts.json);
  return opts.json ? 'json' : opts.format;
}

export const formatOption = () =>
  new Option('--format <format>', 'report format: text, json (versioned), junit (XML for CI), tap (TAP 13)').choices([...REPORT_FORMATS]).default('text');
