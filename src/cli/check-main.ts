/**
 * `podlab check` and `podlab scenario` of a live lab named by its name, on their own: the entry of
 * the check bundle (build/cli/check.cjs) that bin/podlab.js runs for them instead of the whole CLI.
 * The same commands (check.ts) and program as in main.ts, without the compiler: a lab named by its
 * file needs it for its name, and bin/podlab.js runs the whole CLI for that.
 */
import { registerCheck } from './check.ts';
import { podlabProgram, runProgram } from './program.ts';

const program = podlabProgram();
registerCheck(program);
runProgram(program);
