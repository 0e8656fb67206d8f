/**
 * fail-node / restore-node: a node fails (its link down, its agent stopped; after the lab's node
 * grace its pods leave the endpoints and Deployment pods are recreated elsewhere), or comes back.
 */
import { ActionFailed, validateNodeRef, type ScenarioAction } from './action.ts';
import { needsLoops } from './loops-common.ts';

function nodeAction<K extends 'fail-node' | 'restore-node'>(action: K): ScenarioAction<K, { action: K; node: string }, { action: K; node: string }> {
  const fail = action === 'fail-node';
  return {
    action,
    normalize: (a) => a,
    validate(a, step, out) {
      needsLoops(step, out);
      validateNodeRef(a, step, out);
    },
    describe: (a) => `${a.action} node/${a.node}`,
    async run(live, a) {
      const r = await live.setNodeFailed(a.node, fail);
      if (r.exitCode !== 0) throw new ActionFailed(`could not ${fail ? 'fail' : 'restore'} node ${a.node}: ${(r.stderr || r.stdout).trim()}`);
      return `node/${a.node}: ${fail ? 'failed (link down, agent stopped)' : 'restored (link up)'}`;
    },
  };
}

export const failNodeAction = nodeAction('fail-node');
export const restoreNodeAction = nodeAction('restore-node');
