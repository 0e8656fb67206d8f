/**
 * The program every CLI entry shares: the whole CLI (main.ts) and the commands that run from a
 * bundle of their own (up-main.ts, down-main.ts, live-main.ts, check-main.ts, see-main.ts;
 * bin/podlab.js picks the bundle). Its name, the global --prefix, help after a usage error, and
 * how a command's end becomes the exit code: a usage error (an unknown option or command, a missing
 * argument, a bad value) is exit 2, podlab could not run, never 1, which means the lab failed. It
 * loads only commander, basics.ts and the trace, so an entry costs what its own commands need.
 */
import { Command, CommanderError } from 'commander';
import { mark } from '../lib/trace.ts';
import { diag } from '../compile/diagnostics.ts';
import { checkPrefix, endQuietlyOnClosedPipe, Exit, EXIT } from './basics.ts';

const USAGE_HINT = "See --help for the command's usage and examples. Nothing was changed on this host.";

export function podlabProgram(argv: readonly string[] = process.argv.slice(2)): Command {
  endQuietlyOnClosedPipe();
  const json = wantsJson(argv);
  const program = new Command()
    .name('podlab')
    .option('--prefix <prefix>', 'lab-name prefix for up, down, status, check, …: two users run the same lab side by side (default: $PODLAB_PREFIX)')
    .hook('preAction', (cmd, action) => {
      const prefix = cmd.opts<{ prefix?: string }>().prefix;
      if (prefix !== undefined) process.env.PODLAB_PREFIX = prefix;
      checkPrefix();
      // PODLAB_TRACE's timeline has a point for every command, so bin/podlab.js's start (which
      // bundle it loaded, and how long that took) shows even for one that traces nothing else.
      mark(`cli: ${action.name()} starts`);
    })
    // A usage error is coded like every other error, and points at the command's help rather than
    // printing it whole; with --json, as every command's error is then: `{ ok: false, diagnostics }`
    // on stdout, the hint inside it.
    .configureOutput({ outputError: (text, write) => (json ? process.stdout.write(usageErrorJson(text)) : write(usageError(text))) })
    // Commander's errors end the parse by a throw (runProgram maps them), not by its process.exit(1).
    .exitOverride();
  return json ? program : program.showHelpAfterError(`  hint: ${USAGE_HINT}`);
}

/** Whether the command line asks for JSON: `--json` among its arguments (before a `--`, after which they are a command's). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** Commander's `error: …` as podlab prints errors: `error PL3141 …` (a usage error). */
export const usageError = (text: string): string => `error PL3141 ${text.replace(/^error: /, '')}`;

/** Commander's `error: …` in the shape of every command's error with --json: `{ ok: false, diagnostics: [PL3141] }`. */
export const usageErrorJson = (text: string): string => {
  const message = text.replace(/^error: /, '').trim();
  return `${JSON.stringify({ ok: false, diagnostics: [diag('PL3141', [], message, USAGE_HINT)] }, null, 2)}\n`;
};

/** Runs the command line; an Exit sets the exit code, anything else is an internal error (exit 2). */
export function runProgram(program: Command): void {
  // `podlab help <cmd>` of a command there is not: a usage error saying so, as `podlab <cmd>` gives,
  // not the whole help (commander prints it, with no message, for an unknown name).
  const [first, asked] = process.argv.slice(2);
  if (first === 'help' && asked && !asked.startsWith('-') && !program.commands.some((c) => c.name() === asked || c.aliases().includes(asked))) {
    // With --json, in the shape of every usage error then: `{ ok: false, diagnostics: [PL3141] }` on stdout.
    if (wantsJson(process.argv.slice(2))) process.stdout.write(usageErrorJson(`unknown command '${asked}'`));
    else process.stderr.write(`${usageError(`unknown command '${asked}'`)}\n  hint: podlab --help lists the commands. Nothing was changed on this host.\n`);
    process.exitCode = EXIT.cannotRun;
    return;
  }
  // Not a top-level await: bin/podlab.js runs the entries bundled as CommonJS, from V8's code cache.
  program.parseAsync(process.argv).catch((e: unknown) => {
    if (e instanceof Exit) process.exitCode = e.code;
    // --help and --version end with 0; any usage error (its message and the help are out) with 2.
    else if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.cannotRun;
    else {
      process.stderr.write(`podlab: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = EXIT.cannotRun;
    }
  });
}
