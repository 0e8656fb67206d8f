/**
 * `podlab up` on its own: the entry of the up bundle (build/cli/up.cjs) that bin/podlab.js runs
 * for `podlab up …` instead of the whole CLI. The same command (up.ts, with --check) and program
 * (program.ts) as in main.ts, without the modules only other commands load (the API server's own
 * code, the UI, grading, export, trace, graph): less to read and initialise at every `up`.
 */
import { compileLab } from '../compile/compile.ts';
import { compileLabFilesWith } from './basics.ts';
import { registerUp } from './up.ts';
import { podlabProgram, runProgram } from './program.ts';

compileLabFilesWith(compileLab);
const program = podlabProgram();
registerUp(program);
runProgram(program);
