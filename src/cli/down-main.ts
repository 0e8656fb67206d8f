/**
 * `podlab down` on its own: the entry of the down bundle (build/cli/down.cjs) that bin/podlab.js
 * runs for `podlab down …` instead of the whole CLI. The same command (down.ts) and the same
 * global option as in main.ts; it loads no compiler, no schema and no other command, so removing a
 * lab costs Node's start and the removal, not loading the CLI.
 */
import { Command } from 'commander';
import { endQuietlyOnClosedPipe, Exit, EXIT } from './basics.ts';
import { registerDown } from './down.ts';

endQuietlyOnClosedPipe();

const program = new Command();
program
  .name('podlab')
  .option('--prefix <prefix>', 'lab-name prefix for up, down, status, check, …: two users run the same lab side by side (default: $PODLAB_PREFIX)')
  .hook('preAction', (cmd) => {
    const prefix = cmd.opts<{ prefix?: string }>().prefix;
    if (prefix !== undefined) process.env.PODLAB_PREFIX = prefix;
  })
  .showHelpAfterError();
registerDown(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof Exit) process.exitCode = e.code;
  else {
    process.stderr.write(`podlab: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT.cannotRun;
  }
});
