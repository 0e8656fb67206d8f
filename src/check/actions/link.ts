/**
 * link-down / link-up: unplug a node's link to the node network, and plug it back in. One
 * module for the two directions of one cable (runtime/actions.ts sets the fabric side of the
 * node's veth down or up).
 */
import { ActionFailed, validateNodeRef, type ScenarioAction } from './action.ts';

function linkAction<K extends 'link-down' | 'link-up'>(action: K): ScenarioAction<K, { action: K; node: string }, { action: K; node: string }> {
  const updown = action === 'link-down' ? 'down' : 'up';
  return {
    action,
    normalize: (a) => a,
    validate(a, step, out) {
      validateNodeRef(a, step, out);
    },
    describe: (a) => `${a.action} node/${a.node}`,
    async run(live, a) {
      const r = await live.setNodeLink(a.node, updown);
      if (!r) throw new ActionFailed(`lab "${live.lab}" has no node "${a.node}"`);
      if (r.exitCode !== 0) throw new ActionFailed(`could not set node ${a.node}'s link ${updown}: ${(r.stderr || r.stdout).trim()}`);
      return `node/${a.node}: link to the node network ${updown}`;
    },
  };
}

export const linkDownAction = linkAction('link-down');
export const linkUpAction = linkAction('link-up');
