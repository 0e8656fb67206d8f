/**
 * Changing a Calico IP pool's natOutgoing on a live lab (the scenario action set-nat-outgoing), as
 * `calicoctl patch ippool … natOutgoing` makes Felix rewrite its cali-nat-outgoing rule: the
 * plan's natOutgoing and the pool's are set, recorded in the state, and every node's kube-proxy
 * table synced (only the masquerade rule changes: the table is sent as a diff).
 */
import type { CalicoNode } from '../cni/calico/index.ts';
import type { Executor } from './exec.ts';
import { syncServices, type SyncReport } from './services.ts';
import { writeState, type LabState } from './state.ts';

export async function setNatOutgoing(ex: Executor, state: LabState, natOutgoing: boolean): Promise<{ was: boolean; sync: SyncReport }> {
  const nodes = state.plan.nodes.filter((n) => n.cni.type === 'calico');
  if (!nodes.length) throw new Error(`lab "${state.lab}" does not run Calico: it has no IP pool`);
  const was = state.plan.natOutgoing;
  state.plan.natOutgoing = natOutgoing;
  for (const n of nodes) (n.cni as unknown as CalicoNode).pool.natOutgoing = natOutgoing;
  writeState(state);
  const sync = await syncServices(ex, state);
  writeState(state);
  return { was, sync };
}
