/**
 * `podlab agent <lab>`: the lab's control loops (src/runtime/agent.ts) in the foreground. `up`
 * starts it in the background for a lab with control loops and `down` stops it first; run by hand
 * it is for watching what the loops do (its log: stderr). Prints `ready` after its first round.
 */
import type { Command } from 'commander';
import { runAgent } from '../runtime/agent.ts';
import { realExecutor } from '../runtime/exec.ts';
import { readState } from '../runtime/state.ts';
import { Exit, EXIT } from './common.ts';

export function registerAgent(program: Command): void {
  program
    .command('agent', { hidden: true })
    .description("Run a live lab's control loops (restarts, probes, Deployments, node failure); `up` starts it, `down` stops it.")
    .argument('<lab>', 'lab name')
    .addHelpText('after', '\nExit codes: 0 the lab went down (or SIGTERM); 2 the lab is not up or has no control loops.')
    .action(async (lab: string) => {
      const state = readState(lab);
      if (!state?.plan.loops) {
        process.stderr.write(`lab "${lab}" is ${state ? 'up but has no control loops (no deployments, probes, restartPolicy or loops settings)' : 'not up'}\n`);
        throw new Exit(EXIT.cannotRun);
      }
      await runAgent(lab, realExecutor, () => process.stdout.write('ready\n'));
    });
}
