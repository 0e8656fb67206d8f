/**
 * set-nat-outgoing (Calico): change the IP pool's natOutgoing on the live lab, as `calicoctl patch
 * ippool default-ipv4-ippool -p '{"spec": {"natOutgoing": false}}'` does. Traffic from pods to
 * anything outside the pool is masqueraded to the node's address, or not; a check against an
 * outside host before and after shows the source it sees change.
 */
import { diag } from '../../compile/diagnostics.ts';
import { ActionFailed, type ScenarioAction } from './action.ts';

export const setNatOutgoingAction: ScenarioAction<'set-nat-outgoing', { action: 'set-nat-outgoing'; natOutgoing: boolean }, { action: 'set-nat-outgoing'; natOutgoing: boolean }> = {
  action: 'set-nat-outgoing',
  normalize: (a) => a,
  validate(_a, step, out) {
    const cni = step.lab.cni;
    if (cni && cni.type !== 'calico')
      out.push(diag('PL2173', step.at('action'), `${step.what}: set-nat-outgoing changes a Calico IP pool, and this lab uses cni '${cni.type}'`, "Use cni: { type: 'calico' }; with another mode natOutgoing is the lab's setting, fixed when it is built."));
  },
  describe: (a) => `set-nat-outgoing ${a.natOutgoing}`,
  async run(live, a) {
    try {
      const r = await live.setNatOutgoing(a.natOutgoing);
      return r.was === a.natOutgoing ? `IP pool natOutgoing already ${a.natOutgoing}` : `IP pool natOutgoing ${r.was} → ${a.natOutgoing}`;
    } catch (e) {
      throw new ActionFailed(`set-nat-outgoing ${a.natOutgoing}: ${(e as Error).message}`);
    }
  },
};
