/**
 * exhaust-block (Calico BGP): fill a node's blocks, as reserving their free addresses with an
 * IPReservation does. Nothing changes on the wire; the node's next pod (create-pod, recreate-pod,
 * scale) finds no free address of its own, so it claims a new block of its pools (a new blackhole,
 * advertised by BIRD) or, with none free, borrows an address of another node's block: its /32 route
 * is learned by the node's BIRD and advertised past the lender's blackhole. A `block` check with
 * `pod` and a `bgp` check with `learned: '<ip>/32'` after the next pod show which.
 */
import { diag } from '../../compile/diagnostics.ts';
import { ActionFailed, validateNodeRef, type ScenarioAction } from './action.ts';

type ExhaustBlock = { action: 'exhaust-block'; node: string; family?: 'IPv4' | 'IPv6' };

export const exhaustBlockAction: ScenarioAction<'exhaust-block', ExhaustBlock, ExhaustBlock> = {
  action: 'exhaust-block',
  normalize: (a) => a,
  validate(a, step, out) {
    validateNodeRef(a, step, out);
    const cni = step.lab.cni;
    if (cni && (cni.type !== 'calico' || cni.encapsulation === 'VXLAN'))
      out.push(
        diag('PL2180', step.at('action'), `${step.what}: exhaust-block fills a node's Calico blocks so its next pod claims or borrows, which BIRD advertises; this lab runs ${cni.type === 'calico' ? 'Calico VXLAN (no BGP)' : `cni '${cni.type}'`}`, "Use cni: { type: 'calico' } with encapsulation 'None' (the default)."),
      );
    else if (a.family !== undefined && !(step.lab.ipFamilies ?? ['IPv4']).includes(a.family))
      out.push(diag('PL2186', step.at('family'), `${step.what}: exhaust-block family '${a.family}', but the lab has no ${a.family}: its nodes hold ${a.family === 'IPv6' ? 'IPv4' : 'IPv6'} blocks only`, `Leave family out, or make the lab dual stack (ipFamilies: ['IPv4', 'IPv6']).`));
  },
  describe: (a) => `exhaust-block node/${a.node}${a.family ? ` (${a.family})` : ''}`,
  async run(live, a) {
    try {
      const r = await live.exhaustBlock(a.node, a.family);
      return `node/${a.node}: ${r.reserved.length ? `${r.reserved.length} free address(es) of ${r.blocks.join(', ')} reserved` : `${r.blocks.join(', ')} already full`}; its next pod claims a new block or borrows`;
    } catch (e) {
      throw new ActionFailed(`exhaust-block node/${a.node}: ${(e as Error).message}`);
    }
  },
};
