/**
 * `podlab ui <lab> [--port N] [--json]`: a local web page of a lab that is up — its live drawing,
 * pods, Services and endpoints, the checks (run from the page) and a trace between two pods drawn
 * on the topology. The server is src/ui/server.ts; this starts it, prints where it is and keeps
 * it until Ctrl-C (SIGINT) or SIGTERM.
 * Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 it could not start (lab not up, port taken).
 */
import { Option, type Command } from 'commander';
import { startUi, UI_HOST, UiError } from '../ui/server.ts';
import { Exit, EXIT, labName, upStateOrExit } from './common.ts';
import { wholeNumber } from './basics.ts';
import { color, dim, green } from './terminal.ts';
import { diag, formatDiagnostic } from '../compile/diagnostics.ts';

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('A local web page of a lab that is up: its live topology, pods, Services and endpoints, the checks (run them from the page) and a trace between two pods, drawn on the topology.')
    .argument('<lab>', 'the name (or file) of a lab that is up')
    .addOption(new Option('-p, --port <n>', `the port on ${UI_HOST} (default: a free one)`).argParser(wholeNumber(1, 65535)))
    .option('--json', 'print {"url": …} as one line of JSON, then keep serving')
    .addHelpText('after', `
The page listens on ${UI_HOST} only, and answers only with the random token in the URL it prints
(a request without it, or with another, gets 403): open that URL in a browser on this machine, or
forward the port (ssh -L 8080:${UI_HOST}:<port> …) and open it with the same token.

On the page:
  Topology     the live drawing (podlab graph <lab>): pods that are down red and dashed, a failed
               node (podlab node fail) red and dashed with its link and tunnels; after a check run,
               the pods and Services of failed checks (and failed matrix cells) red; after a trace,
               its path orange (red where it was dropped)
  Checks       "Run checks" runs every check of the lab, as podlab check does, and shows each result
  Trace        pick from and to (or click a pod in the drawing, then another): the hops of
               podlab trace, each confirmed by a probe, and the path drawn on the topology
  Pods, Services   IPs and nodes; each Service's endpoints as kube-proxy has them now

It runs until Ctrl-C. Examples:
  sudo podlab ui services
  sudo podlab ui services --port 8080
  sudo podlab ui services --json | jq -r .url      (a script: the URL, the server keeps running)

Exit codes: 0 stopped with Ctrl-C, 2 it could not start (lab not up: PL3113; port taken: PL3155).`)
    .action(async (arg: string, opts: { port?: number; json?: boolean }) => {
      const lab = await labName(arg, opts.json);
      // Not up: PL3113, as every live command says it (startUi checks again, for its other callers).
      upStateOrExit(lab, opts.json);
      let ui;
      try {
        ui = await startUi(lab, { ...(opts.port !== undefined ? { port: opts.port } : {}) });
      } catch (e) {
        if (!(e instanceof UiError)) throw e;
        // The one error of a start (the lab not up is PL3113 above): coded, as JSON with --json.
        const d = diag('PL3155', [], e.message, 'Leave --port out for a free one, or choose another.');
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: [d] }, null, 2)}\n`);
        else process.stderr.write(`${formatDiagnostic(d, undefined, color)}\n`);
        throw new Exit(EXIT.cannotRun);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ url: ui.url })}\n`);
      else {
        process.stdout.write(`${ui.url}\n`);
        process.stderr.write(`${green('✓')} lab ${lab} at ${ui.url}\n${dim('  open it in a browser on this machine; Ctrl-C stops it')}\n`);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await ui.close();
      throw new Exit(EXIT.ok);
    });
}
