/**
 * set-nat-outgoing (Calico): change an IP pool's natOutgoing on the live lab, as `calicoctl patch
 * ippool default-ipv4-ippool -p '{"spec": {"natOutgoing": false}}'` does (`pool` names it; every
 * pool without). Traffic from the pool's pods to anything outside all pools is masqueraded to the
 * node's address, or not; a check against an outside host before and after shows the source change.
 */
import { diag } from '../../compile/diagnostics.ts';
import { ActionFailed, didYouMean, type ScenarioAction } from './action.ts';

export const setNatOutgoingAction: ScenarioAction<'set-nat-outgoing', { action: 'set-nat-outgoing'; natOutgoing: boolean; pool?: string }, { action: 'set-nat-outgoing'; natOutgoing: boolean; pool?: string }> = {
  action: 'set-nat-outgoing',
  normalize: (a) => a,
  validate(a, step, out) {
    const cni = step.lab.cni;
    if (cni && cni.type !== 'calico')
      out.push(diag('PL2173', step.at('action'), `${step.what}: set-nat-outgoing changes a Calico IP pool, and this lab uses cni '${cni.type}'`, "Use cni: { type: 'calico' }; with another mode natOutgoing is the lab's setting, fixed when it is built."));
    const pools = [...(cni?.pools ?? []), ...(cni?.pools6 ?? [])].map((p) => p.name);
    if (cni?.type === 'calico' && a.pool !== undefined && !pools.includes(a.pool))
      out.push(diag('PL2179', step.at('pool'), `${step.what}: the lab has no IP pool "${a.pool}"`, didYouMean(a.pool, pools)));
  },
  describe: (a) => `set-nat-outgoing ${a.natOutgoing}${a.pool !== undefined ? ` (pool ${a.pool})` : ''}`,
  async run(live, a) {
    try {
      const r = await live.setNatOutgoing(a.natOutgoing, a.pool);
      const which = a.pool !== undefined ? `IP pool ${a.pool}` : 'IP pools';
      return r.was === a.natOutgoing ? `${which} natOutgoing already ${a.natOutgoing}` : `${which} natOutgoing ${r.was} → ${a.natOutgoing}`;
    } catch (e) {
      throw new ActionFailed(`set-nat-outgoing ${a.natOutgoing}: ${(e as Error).message}`);
    }
  },
};
