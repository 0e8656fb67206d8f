/**
 * Changing a Calico IP pool's natOutgoing on a live lab (the scenario action set-nat-outgoing), as
 * `calicoctl patch ippool <name> -p '{"spec": {"natOutgoing": false}}'` makes Felix rewrite its
 * cali-nat-outgoing rule: the pool's natOutgoing is set in every node's plan data, recorded in the
 * state, and every node's tables synced (only the calico NAT table changes: its sets, or the whole
 * table when the first pool starts or the last one stops masquerading). The lab's gateway routes the
 * pool's blocks back while the pool does not masquerade, and not while it does (gateway-routes.ts).
 */
import type { CalicoNode } from '../cni/calico/index.ts';
import type { Executor } from './exec.ts';
import { syncGatewayRoutes } from './gateway-routes.ts';
import { syncServices, type SyncReport } from './services.ts';
import { planChanged, writeState, type LabState } from './state.ts';

/** Sets natOutgoing of the pool named `pool` (every pool when undefined); `was`: the pool's (or, for every pool, whether any had it on). */
export async function setNatOutgoing(ex: Executor, state: LabState, natOutgoing: boolean, pool?: string): Promise<{ was: boolean; sync: SyncReport }> {
  const nodes = state.plan.nodes.filter((n) => n.cni.type === 'calico').map((n) => n.cni as unknown as CalicoNode);
  if (!nodes.length) throw new Error(`lab "${state.lab}" does not run Calico: it has no IP pool`);
  // Both families' pools: a dual-stack node's IPv6 pools are in its ipv6 data (their table is ip6 calico).
  const poolsOf = (n: CalicoNode) => [...n.pools, ...(n.ipv6?.pools ?? [])];
  const names = poolsOf(nodes[0]!).map((p) => p.name);
  if (pool !== undefined && !names.includes(pool)) throw new Error(`lab "${state.lab}" has no IP pool "${pool}" (its pools: ${names.join(', ')})`);
  const hit = (p: { name: string }) => pool === undefined || p.name === pool;
  const was = poolsOf(nodes[0]!).some((p) => hit(p) && p.natOutgoing);
  for (const n of nodes) for (const p of poolsOf(n)) if (hit(p)) p.natOutgoing = natOutgoing;
  // The network upstream routes a pool's blocks only while its pods leave unmasqueraded (the gateway's routes).
  await syncGatewayRoutes(ex, state);
  planChanged(state);
  writeState(state);
  const sync = await syncServices(ex, state);
  writeState(state);
  return { was, sync };
}
