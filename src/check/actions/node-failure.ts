/**
 * fail-node / restore-node: a node fails (its link down, its agent stopped; after the lab's node
 * grace its pods leave the endpoints and Deployment pods are recreated elsewhere), or comes back.
 */
import { diag } from '../../compile/diagnostics.ts';
import { ActionFailed, didYouMean, type ScenarioAction } from './action.ts';
import { needsLoops } from './loops-common.ts';

function nodeAction<K extends 'fail-node' | 'restore-node'>(action: K): ScenarioAction<K, { action: K; node: string }, { action: K; node: string }> {
  const fail = action === 'fail-node';
  return {
    action,
    normalize: (a) => a,
    validate(a, step, out) {
      needsLoops(step, out);
      const nodes = step.lab.nodes.map((n) => n.name);
      if (!nodes.includes(a.node)) out.push(diag('PL2029', step.at('node'), `${step.what}: the lab has no node "${a.node}"`, didYouMean(a.node, nodes)));
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
