/**
 * `podlab node fail|restore <lab> <node>`: a node's failure made visible. `fail` unplugs its link
 * to the node network and stops the lab's agent from acting for it; after the lab's node grace
 * its pods leave the endpoints and Deployment pods are recreated on other nodes. `restore` plugs
 * it back in: it rejoins empty of the pods evicted meanwhile.
 */
import { Argument, type Command } from 'commander';
import { realExecutor } from '../runtime/exec.ts';
import { failNode, restoreNode } from '../runtime/faults.ts';
import { PodError } from '../runtime/pods.ts';
import { readState } from '../runtime/state.ts';
import { Exit, EXIT, labName, notUpExit, refused } from './common.ts';

export function registerNode(program: Command): void {
  program
    .command('node')
    .description('Fail a node of a live lab (link down, its kubelet stopped) or restore it; the control loops move its pods.')
    .addArgument(new Argument('<action>', 'fail or restore').choices(['fail', 'restore']))
    .argument('<lab>', 'lab name or file')
    .argument('<node>', 'node name')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  podlab node fail self-healing worker-2      after loops.nodeGraceMs its pods are replaced elsewhere
  podlab events self-healing --wait-for Evicted
  podlab node restore self-healing worker-2

Exit codes: 0 done; 1 the link command failed; 2 the lab is not up, has no such node or no control loops.`)
    .action(async (action: string, arg: string, node: string, opts: { json?: boolean }) => {
      const lab = await labName(arg, opts.json);
      const state = readState(lab);
      if (!state) notUpExit(lab, undefined, opts.json);
      if (!state.plan.loops) refused(new PodError('PL3073', `lab "${lab}" runs no control loops, so nothing would move a failed node's pods: give the lab \`loops: {}\``), { json: opts.json, exit: EXIT.cannotRun });
      try {
        const r = action === 'fail' ? await failNode(realExecutor, state, node) : await restoreNode(realExecutor, state, node);
        if (opts.json) process.stdout.write(`${JSON.stringify({ lab, node, action, ok: r.exitCode === 0 })}\n`);
        else process.stdout.write(`node ${node}: ${action === 'fail' ? `failed; its pods are evicted after ${state.plan.loops.settings.nodeGraceMs} ms` : 'restored'}\n`);
        if (r.exitCode !== 0) throw new Exit(EXIT.failed);
      } catch (e) {
        if (!(e instanceof PodError)) throw e;
        refused(e, { json: opts.json, exit: EXIT.cannotRun });
      }
    });
}
