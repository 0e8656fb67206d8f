/** `podlab up`: build a lab under its lock, optionally run its checks. */
import { type Command, Option } from 'commander';
import { diag, formatDiagnostic } from '../compile/diagnostics.ts';
import { planCached } from './plan-cache.ts';
import { Interrupted } from '../runtime/up.ts';
import { upExclusive, UpRefused } from '../runtime/up-exclusive.ts';
import { checkHost, missingCommands } from '../runtime/preflight.ts';
import { span, traced } from '../lib/trace.ts';
import { labStatus } from '../runtime/status.ts';
import { CommandError, realExecutor } from '../runtime/exec.ts';
import type { ReportFormat } from '../check/report.ts';
import { Exit, EXIT, prefixed } from './common.ts';
import { compileOrExit, printHostProblems } from './basics.ts';
import { withLabMutex } from '../runtime/mutex.ts';
import { readState, writeState } from '../runtime/state.ts';
import { dim, green, red } from './terminal.ts';
import { checkLive, formatOption, reportFormat } from './check-live.ts';
import { RuntimeError } from '../runtime/errors.ts';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Build a lab: namespaces, node network, CNI-wired pods with their containers. On failure everything built is removed again.')
    .argument('<lab>', 'lab file')
    .option('--check', "run the lab's checks once it is up")
    .option('--typecheck', 'also run the TypeScript type check first (slower)')
    .option('--json', 'print the result as JSON')
    .option('--no-api', 'no Kubernetes API server for this lab: podlab kubeconfig and kubectl then refuse it (PL3070); bring it up again without --no-api to use kubectl')
    .addOption(formatOption())
    .addOption(new Option('--crash-after-step <n>', 'testing: SIGKILL podlab itself after n journaled steps').hideHelp().argParser(Number))
    .action(async (file: string, opts: { check?: boolean; typecheck?: boolean; json?: boolean; api: boolean; format: ReportFormat; crashAfterStep?: number }) => {
      const t0 = Date.now();
      const format = reportFormat(opts, !!opts.check);
      const r = await traced('cli: compile (evaluate, validate)', () => compileOrExit(file, opts));
      const planned = span('cli: plan, render');
      const { plan, files } = planCached({ ...r.lab, name: prefixed(r.lab.name) });
      planned();
      const host = await traced('cli: preflight (checkHost)', () => checkHost());
      if (host.length) printHostProblems(host, opts.json);
      if (!opts.json) for (const w of missingCommands(plan.pods)) process.stderr.write(`${formatDiagnostic(w)}\n`);
      // Ctrl-C (SIGINT), or SIGTERM (what `podlab down` sends an `up` of its lab): up finishes what
      // is in flight and starts nothing new; then everything is removed. (A listener stays installed
      // until up is over: with none left, tsx's own SIGINT relay re-raises the signal and the process
      // dies half-way.)
      const interrupt = new AbortController();
      let by: NodeJS.Signals | undefined;
      const abort = (signal: NodeJS.Signals) => {
        if (interrupt.signal.aborted) return;
        by = signal;
        process.stderr.write(`\ninterrupted (${signal}${signal === 'SIGTERM' ? ', e.g. by podlab down' : ''}): finishing the step in flight, then removing what was built of ${plan.lab}…\n`);
        interrupt.abort();
      };
      process.on('SIGINT', abort);
      process.on('SIGTERM', abort);
      let started = false;
      const progress = (step: string) => {
        if (opts.json) return;
        if (!started) process.stderr.write(`bringing up ${plan.lab} (${plan.nodes.length} nodes, ${plan.pods.length} pods, ${plan.cni.type})\n`);
        started = true;
        process.stderr.write(dim(`  · ${step}\n`));
      };
      try {
        // Under the lab's lock, taken before anything is created (runtime/up-exclusive.ts): a second
        // `up` of this lab is refused here with PL3004, having changed nothing.
        await traced('cli: up (lock, build)', () => upExclusive(plan, files, { onStep: progress, crashAfterStep: opts.crashAfterStep, signal: interrupt.signal }));
      } catch (e) {
        if (e instanceof UpRefused) printHostProblems(e.diagnostics.map((d) => (d.code === 'PL3001' ? { ...d, file: r.file } : d)), opts.json);
        // Ctrl-C in a terminal reaches the whole process group: a tool a step ran may die of it (exit
        // 130) before this process has heard the signal. Interrupted either way.
        const byCtrlC = e instanceof CommandError && e.result.exitCode === 130;
        if (e instanceof Interrupted || by !== undefined || byCtrlC) {
          const d = by === 'SIGTERM'
            ? diag('PL3005', [], `up of ${plan.lab} was stopped (SIGTERM, as podlab down ${plan.lab} sends) and removed what it had built`, 'Nothing of the lab is left: the host is as it was before.')
            : diag('PL3006', [], `up of ${plan.lab} was interrupted (${by ?? 'SIGINT'}) and removed what it had built`, 'Nothing of the lab is left: the host is as it was before.');
          if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: [d] }, null, 2)}\n`);
          else process.stderr.write(`${formatDiagnostic(d)}\n`);
          throw new Exit(130);
        }
        process.stderr.write(`${red('✗')} up failed: ${e instanceof RuntimeError ? `${e.code} ` : ''}${(e as Error).message}\n  what was built was removed: the host is as it was before.\n`);
        throw new Exit(EXIT.cannotRun);
      } finally {
        process.off('SIGINT', abort);
        process.off('SIGTERM', abort);
      }
      // The lab's Kubernetes API server (src/api/) starts with the first `podlab kubeconfig`; --no-api says it never does.
      if (!opts.api) await withLabMutex(plan.lab, async () => {
        const s = readState(plan.lab);
        if (s) writeState({ ...s, noApi: true });
      });
      else if (!opts.json) process.stderr.write(dim(`  · kubectl: export KUBECONFIG=$(podlab kubeconfig ${plan.lab})   (starts the lab's API server)\n`));
      const ms = Date.now() - t0;
      if (opts.json && !opts.check) process.stdout.write(`${JSON.stringify({ lab: plan.lab, up: true, ms, status: labStatus(plan.lab) }, null, 2)}\n`);
      if (!opts.json) process.stderr.write(`${green('✓')} ${plan.lab} is up in ${ms} ms — try: podlab status ${plan.lab}\n`);
      if (opts.check) throw new Exit(await checkLive(plan.lab, { format }));
    });
}
