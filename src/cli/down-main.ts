/**
 * `podlab down` on its own: the entry of the down bundle (build/cli/down.cjs) that bin/podlab.js
 * runs for `podlab down <name>` instead of the whole CLI. The same command (down.ts) and program
 * (program.ts) as in main.ts; it loads no compiler, no schema and no other command, so removing a
 * lab costs Node's start and the removal, not loading the CLI. A lab named by its file needs the
 * compiler for its name: bin/podlab.js runs the whole CLI for that.
 */
import { registerDown } from './down.ts';
import { podlabProgram, runProgram } from './program.ts';

const program = podlabProgram();
registerDown(program);
runProgram(program);
