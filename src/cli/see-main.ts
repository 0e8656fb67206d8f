/**
 * The commands that show a learner the network of a live lab named by its name, on their own: the
 * entry of the see bundle (build/cli/see.cjs) that bin/podlab.js runs for `trace`, `explain`,
 * `graph` and `capture` instead of the whole CLI. The same commands and program as in main.ts,
 * without the compiler: a lab named by its file needs it, and bin/podlab.js runs the whole CLI
 * for that.
 */
import { registerCapture } from './capture.ts';
import { registerExplain } from './explain.ts';
import { registerGraph } from './graph.ts';
import { podlabProgram, runProgram } from './program.ts';
import { registerTrace } from './trace.ts';

const program = podlabProgram();
registerTrace(program);
registerExplain(program);
registerGraph(program);
registerCapture(program);
runProgram(program);
