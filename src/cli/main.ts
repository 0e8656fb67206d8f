/**
 * The command line: parses arguments (commander), calls the library, prints for people or, with
 * --json, for scripts. Exit codes: 0 success, 1 the lab or its checks failed, 2 podlab could not run.
 */
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../runtime/artifacts.ts';
import { podlabProgram, runProgram } from './program.ts';
import { registerValidate } from './validate.ts';
import { registerRender } from './render-cmd.ts';
import { registerUp } from './up.ts';
import { registerDown } from './down.ts';
import { compileLab } from '../compile/compile.ts';
import { compileLabFilesWith } from './basics.ts';
import { registerStatus } from './status.ts';
import { registerExec } from './exec.ts';
import { registerLogs } from './logs.ts';
import { registerCheck } from './check.ts';
import { registerPod } from './pod.ts';
import { registerDns } from './dns-cmd.ts';
import { registerApiServer } from './api-server.ts';
import { registerCapture } from './capture.ts';
import { registerDoctor } from './doctor.ts';
import { registerExport } from './export.ts';
import { registerExplain } from './explain.ts';
import { registerTrace } from './trace.ts';
import { registerGrade } from './grade.ts';
import { registerGraph } from './graph.ts';
import { registerAgent } from './agent.ts';
import { registerEvents } from './events.ts';
import { registerNode } from './node.ts';
import { registerScale } from './scale.ts';
import { registerSet } from './set.ts';
import { registerKubeconfig } from './kubeconfig.ts';
import { registerGet } from './get.ts';
import { registerUi } from './ui.ts';
import { registerPolicy } from './policy.ts';
import { registerCalicoctl } from './calicoctl.ts';

const program = podlabProgram();
program
  .version((JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version, '-V, --version', 'print the version')
  .description('Kubernetes networking labs as code: validate a typed lab, render it, build it from network namespaces and real CNI plugins, check it, tear it down.')
  .addHelpText('after', `
Typical session:
  podlab validate labs/pod-networking.lab.ts   check the lab, nothing touches the kernel
  podlab render labs/pod-networking.lab.ts     write generated/pod-networking/ (no root needed)
  sudo podlab up labs/pod-networking.lab.ts --check
  sudo podlab exec pod-networking client -- ping -c1 10.244.2.2
  sudo podlab down pod-networking

Exit codes: 0 success, 1 the lab or its checks failed, 2 podlab could not run (a usage error is\nPL3141), 130 up interrupted by Ctrl-C (after removing what it built).`);

// Every command taking a lab file compiles it through this (basics.ts); the bundles of a few commands on a live lab have no compiler.
compileLabFilesWith(compileLab);

registerValidate(program);
registerRender(program);
registerUp(program);
registerDown(program);
registerStatus(program);
registerExec(program);
registerLogs(program);
registerCheck(program);
registerPod(program);
registerDns(program);
registerCapture(program);
registerDoctor(program);
registerGrade(program);
registerExport(program);
registerGraph(program);
registerAgent(program);
registerEvents(program);
registerNode(program);
registerScale(program);
registerSet(program);
registerKubeconfig(program);
registerApiServer(program);
registerExplain(program);
registerTrace(program);
registerGet(program);
registerUi(program);
registerPolicy(program);
registerCalicoctl(program);

runProgram(program);
