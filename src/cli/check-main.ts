/**
 * `podlab check` and `podlab scenario` of a live lab named by its name, and the commands that
 * change it as a scenario's steps do (`pod`, `scale`, `node`, `set`, `dns`), on their own: the
 * entry of the check bundle (build/cli/check.cjs) that bin/podlab.js runs for them instead of the
 * whole CLI. The same commands and program as in main.ts, without the compiler: a lab named by
 * its file needs it for its name, and bin/podlab.js runs the whole CLI for that.
 */
import { registerCheck } from './check.ts';
import { registerDns } from './dns-cmd.ts';
import { registerNode } from './node.ts';
import { registerPod } from './pod.ts';
import { podlabProgram, runProgram } from './program.ts';
import { registerScale } from './scale.ts';
import { registerSet } from './set.ts';

const program = podlabProgram();
registerCheck(program);
registerPod(program);
registerDns(program);
registerScale(program);
registerNode(program);
registerSet(program);
runProgram(program);
