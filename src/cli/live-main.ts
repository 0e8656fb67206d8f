/**
 * The commands a learner runs most against a live lab, on their own: the entry of the live bundle
 * (build/cli/live.cjs) that bin/podlab.js runs for `status`, `get`, `exec`, `logs`, `events` and `calicoctl`
 * naming no lab file, instead of the whole CLI. The same commands and program as in main.ts; no
 * compiler, schema or other command, so each answers in Node's start and its own work. A lab
 * named by its file needs the compiler for its name: bin/podlab.js runs the whole CLI for that.
 */
import { registerCalicoctl } from './calicoctl.ts';
import { registerEvents } from './events.ts';
import { registerExec } from './exec.ts';
import { registerGet } from './get.ts';
import { registerLogs } from './logs.ts';
import { podlabProgram, runProgram } from './program.ts';
import { registerStatus } from './status.ts';

const program = podlabProgram();
registerStatus(program);
registerExec(program);
registerLogs(program);
registerEvents(program);
registerGet(program);
registerCalicoctl(program);
runProgram(program);
