/** `podlab exec`: a command inside a pod, node, outside host or the gateway. */
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { sourceArgv, TargetError } from '../runtime/enter.ts';
import { Exit, EXIT, inNamespace, labName, upOrExit, refused } from './common.ts';

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('Run a command inside a pod (its network, UTS, IPC and mount namespaces: its own resolv.conf and hosts), a node (node/<name>), an outside host (host/<name>) or the gateway.')
    .argument('<lab>', 'lab name or file')
    .argument('<target>', 'pod, namespace/pod, node/<name>, host/<name> or gateway')
    .argument('<command...>', 'the command, after --')
    .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n): the same as namespace/pod")
    .usage('[-n namespace] <lab> <target> -- <command...>')
    .action(async (arg: string, target: string, command: string[], opts: { namespace?: string }) => {
      target = inNamespace(target, opts.namespace);
      const lab = await labName(arg);
      const state = upOrExit(lab);
      let prefix: string[];
      try {
        prefix = sourceArgv(state, target);
      } catch (e) {
        if (e instanceof TargetError) refused(e, { exit: EXIT.cannotRun });
        throw e;
      }
      const r = spawnSync(prefix[0]!, [...prefix.slice(1), ...command], { stdio: 'inherit' });
      throw new Exit(r.status ?? 2);
    });
}
