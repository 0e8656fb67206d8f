/**
 * stop-bird / start-bird (Calico with BGP): stop a node's BIRD, and start it again. Its peers drop
 * the routes it advertised (its blocks, its borrowed /32s) and get them back once the sessions
 * are Established again; a matrix or `bgp` check between the steps shows who became unreachable.
 */
import { diag } from '../../compile/diagnostics.ts';
import { ActionFailed, validateNodeRef, type ScenarioAction } from './action.ts';

function birdAction<K extends 'stop-bird' | 'start-bird'>(action: K): ScenarioAction<K, { action: K; node: string }, { action: K; node: string }> {
  const to = action === 'stop-bird' ? 'stop' : 'start';
  return {
    action,
    normalize: (a) => a,
    validate(a, step, out) {
      validateNodeRef(a, step, out);
      const cni = step.lab.cni;
      if (cni && (cni.type !== 'calico' || cni.encapsulation === 'VXLAN'))
        out.push(diag('PL2158', step.at('action'), `${step.what}: ${action} needs BIRD, which runs only with Calico BGP (this lab: ${cni.type === 'calico' ? 'Calico VXLAN' : cni.type})`, "Use cni: { type: 'calico' } with encapsulation 'None' (the default)."));
    },
    describe: (a) => `${a.action} node/${a.node}`,
    async run(live, a) {
      try {
        const r = await live.setBird(a.node, to);
        return to === 'stop' ? `node/${a.node}: BIRD ${r.was === 'running' ? 'stopped' : 'was not running'}` : `node/${a.node}: BIRD ${r.was === 'running' ? 'already running' : 'started'}${r.pid ? ` (pid ${r.pid})` : ''}`;
      } catch (e) {
        throw new ActionFailed(`${action} node/${a.node}: ${(e as Error).message}`);
      }
    },
  };
}

export const stopBirdAction = birdAction('stop-bird');
export const startBirdAction = birdAction('start-bird');
