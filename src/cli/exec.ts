/** `podlab exec`: a command inside a pod, node, outside host or the gateway. */
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { execArgv, targetCommand, TargetError } from '../runtime/enter.ts';
import { Exit, EXIT, inNamespace, labName, upOrExit, refused } from './common.ts';

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('Run a command inside a pod (its network, UTS, IPC and mount namespaces: its own resolv.conf and hosts), a node (node/<name>), an outside host (host/<name>) or the gateway.')
    .argument('<lab>', 'lab name or file')
    .argument('<target>', 'pod, namespace/pod, node/<name>, host/<name> or gateway')
    .argument('<command...>', 'the command, after --')
    .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n): the same as namespace/pod")
    .option('-c, --container <container>', "run in this container's own view (its mount namespace: read-only files, its private /tmp; its uid), as kubectl exec -c")
    .usage('[-n namespace] [-c container] <lab> <target> -- <command...>')
    .addHelpText('after', `
A node is entered in its sandbox: its network namespace, its hostname (the node's name) and its
/etc/hosts (the lab's nodes), so \`podlab exec <lab> node/worker-1 -- getent hosts worker-2\` works.
Without -c a pod is entered in its sandbox (its network, hostname, resolv.conf and hosts, as root);
with -c in that container's own view. Examples:
  podlab exec services client -- curl -sS web
  podlab exec services node/worker-1 -- hostname
  podlab exec calico node/c1-master1 -- birdc show protocols   (Calico: that node's BIRD)
  podlab exec calico node/c1-node1 -- calicoctl node status    (Calico: podlab calicoctl, on that node)
  podlab exec services web-1 -c http-echo -- id`)
    .action(async (arg: string, target: string, command: string[], opts: { namespace?: string; container?: string }) => {
      target = inNamespace(target, opts.namespace);
      const lab = await labName(arg);
      const state = upOrExit(lab);
      let prefix: string[];
      try {
        prefix = execArgv(state, target, opts.container);
      } catch (e) {
        if (e instanceof TargetError) refused(e, { exit: EXIT.cannotRun });
        throw e;
      }
      const r = spawnSync(prefix[0]!, [...prefix.slice(1), ...targetCommand(state, target, command)], { stdio: 'inherit' });
      throw new Exit(r.status ?? 2);
    });
}
