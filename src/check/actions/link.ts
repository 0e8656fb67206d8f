/**
 * link-down / link-up: unplug a node's link to the node network, and plug it back in. One
 * module for the two directions of one cable: the fabric side of the node's veth goes down or
 * up; the node's own eth0 keeps its addresses and routes (NO-CARRIER), as a real unplugged NIC does.
 */
import { diag } from '../../compile/diagnostics.ts';
import { NETNS_RUN_DIR } from '../../constants.ts';
import { ActionFailed, didYouMean, type ScenarioAction } from './action.ts';

function linkAction<K extends 'link-down' | 'link-up'>(action: K): ScenarioAction<K, { action: K; node: string }, { action: K; node: string }> {
  const updown = action === 'link-down' ? 'down' : 'up';
  return {
    action,
    normalize: (a) => a,
    validate(a, step, out) {
      const nodes = step.lab.nodes.map((n) => n.name);
      if (!nodes.includes(a.node)) out.push(diag('PL2029', step.at('node'), `${step.what}: the lab has no node "${a.node}"`, didYouMean(a.node, nodes)));
    },
    describe: (a) => `${a.action} node/${a.node}`,
    async run(ex, state, a) {
      const node = state.plan.nodes.find((n) => n.name === a.node);
      if (!node) throw new ActionFailed(`lab "${state.lab}" has no node "${a.node}"`);
      const r = await ex.run(['nsenter', `--net=${NETNS_RUN_DIR}/${state.plan.fabric.netns}`, '--', 'ip', 'link', 'set', node.fabricPort, updown]);
      if (r.exitCode !== 0) throw new ActionFailed(`could not set node ${a.node}'s link ${updown}: ${(r.stderr || r.stdout).trim()}`);
      return `node/${a.node}: link to the node network ${updown}`;
    },
  };
}

export const linkDownAction = linkAction('link-down');
export const linkUpAction = linkAction('link-up');
