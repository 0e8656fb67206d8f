/** `podlab check` and `podlab scenario`: a live lab's checks and scenarios, reported as text, JSON, JUnit or TAP. */
import type { Command } from 'commander';
import type { ReportFormat } from '../check/report.ts';
import { Exit, labName } from './common.ts';
import { checkLive, formatOption, reportFormat } from './check-live.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("Run the lab's checks against the live lab; each retries until it passes or times out.")
    .argument('<lab>', 'lab name or file')
    .addOption(formatOption())
    .option('--json', 'the same as --format json')
    .option('--scenarios', "then run the lab's scenarios too, in the order written (they change the lab)")
    .addHelpText('after', `
Exit codes: 0 every check passed, 1 some check failed, 2 the checks could not run (the lab is not up).
Each failed check shows what was expected, what was seen, and the command to try it by hand.
A matrix check prints its grid: sources down, targets across.`)
    .action(async (arg: string, opts: { json?: boolean; format: ReportFormat; scenarios?: boolean }) => {
      const format = reportFormat(opts);
      throw new Exit(await checkLive(await labName(arg, format === 'json'), { format, scenarios: opts.scenarios ? 'all' : [] }));
    });

  program
    .command('scenario')
    .description("Run a live lab's scenarios: steps that change the lab (re-create a pod, scale, restart a container, reload DNS, unplug a node) mixed with checks.")
    .argument('<lab>', 'lab name or file')
    .argument('[names...]', 'scenarios to run, in this order (default: all, in the order written)')
    .addOption(formatOption())
    .option('--json', 'the same as --format json')
    .addHelpText('after', `
A failed check does not stop a scenario; a failed action does (the steps after it are skipped).
Scenarios change the live lab and do not undo what they did: run podlab down and up for a fresh one.
Exit codes: 0 every step passed; 1 some step failed, or the lab has no scenarios (nothing ran, so
nothing passed: it says so); 2 it could not run (the lab is not up, or it has no scenario of a name
given: PL3053, naming the scenarios it has).
Examples:
  podlab scenario services                     every scenario of the lab, in the order written
  podlab scenario services pod-ip-changes`)
    .action(async (arg: string, names: string[], opts: { json?: boolean; format: ReportFormat }) => {
      const format = reportFormat(opts);
      throw new Exit(await checkLive(await labName(arg, format === 'json'), { format, checks: false, scenarios: names.length ? names : 'all' }));
    });
}
