/**
 * The command line: parses arguments (commander), calls the library, prints for people or, with
 * --json, for scripts. Exit codes: 0 success, 1 the lab or its checks failed, 2 podlab could not run.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { REPO_ROOT } from '../runtime/artifacts.ts';
import { endQuietlyOnClosedPipe, Exit, EXIT } from './common.ts';
import { registerValidate } from './validate.ts';
import { registerRender } from './render-cmd.ts';
import { registerUp } from './up.ts';
import { registerDown } from './down.ts';
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

endQuietlyOnClosedPipe();

const program = new Command();
program
  .name('podlab')
  .version((JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version, '-V, --version', 'print the version')
  .description('Kubernetes networking labs as code: validate a typed lab, render it, build it from network namespaces and real CNI plugins, check it, tear it down.')
  .option('--prefix <prefix>', 'lab-name prefix for up, down, status, check, …: two users run the same lab side by side (default: $PODLAB_PREFIX)')
  .hook('preAction', (cmd) => {
    const prefix = cmd.opts<{ prefix?: string }>().prefix;
    if (prefix !== undefined) process.env.PODLAB_PREFIX = prefix;
  })
  .showHelpAfterError()
  .addHelpText('after', `
Typical session:
  podlab validate labs/pod-networking.lab.ts   check the lab, nothing touches the kernel
  podlab render labs/pod-networking.lab.ts     write generated/pod-networking/ (no root needed)
  sudo podlab up labs/pod-networking.lab.ts --check
  sudo podlab exec pod-networking client -- ping -c1 10.244.2.2
  sudo podlab down pod-networking

Exit codes: 0 success, 1 the lab or its checks failed, 2 podlab could not run.`);

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

// Not a top-level await: bin/podlab.js runs this bundled as CommonJS, from V8's code cache.
program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof Exit) process.exitCode = e.code;
  else {
    process.stderr.write(`podlab: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT.cannotRun;
  }
});
