/**
 * The lab's gateway's return routes kept true on a live lab. Which pod CIDRs the network upstream
 * of the nodes knows follows the lab (a Calico pool without natOutgoing, its blocks: plan.ts
 * `gatewayRoutes`); after a change that moves it (a pool's natOutgoing set live, a block claimed at
 * run time) the routes are recomputed from the plan and only the difference is applied, in the
 * gateway's namespace, one `ip -batch`. The caller writes the state.
 */
import { gatewayRoutes, type Route } from '../plan/plan.ts';
import { must, type Executor } from './exec.ts';
import type { LabState } from './state.ts';

export async function syncGatewayRoutes(ex: Executor, state: LabState): Promise<{ added: Route[]; removed: Route[] }> {
  const gw = state.plan.gateway;
  if (!gw) return { added: [], removed: [] };
  const next = gatewayRoutes(state.plan.nodes);
  const key = (r: Route) => `${r.dst} ${r.via}`;
  const had = new Set(gw.routes.map(key));
  const will = new Set(next.map(key));
  const removed = gw.routes.filter((r) => !will.has(key(r)));
  const added = next.filter((r) => !had.has(key(r)));
  const lines = [...removed.map((r) => `route del ${r.dst} via ${r.via} dev ${r.dev}`), ...added.map((r) => `route replace ${r.dst} via ${r.via} dev ${r.dev}`)];
  if (lines.length) await must(ex, ['ip', '-n', gw.netns, '-batch', '-'], { input: lines.join('\n') + '\n' });
  gw.routes = next;
  return { added, removed };
}
