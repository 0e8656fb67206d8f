/**
 * What a drawing of a live lab adds to its plan (render/graph/model.ts GraphLive): each pod's
 * state and address as `status` sees them (deleted, or a process gone, is down), the host end of
 * its veth pair as its CNI ADD result names it, and the endpoints kube-proxy is programmed with.
 */
import type { GraphLive } from '../render/graph/model.ts';
import type { Plan } from '../plan/plan.ts';
import { podBridgeOf } from '../cni/bridge.ts';
import { readControl } from './loops-state.ts';
import { readState } from './state.ts';
import { labStatus } from './status.ts';

/** The host-side veth in a CNI result: the interface outside the pod's sandbox that is not the bridge. */
export function hostVeth(cniResult: unknown, bridge?: string): string | undefined {
  const interfaces = (cniResult as { interfaces?: { name?: string; sandbox?: string }[] } | undefined)?.interfaces ?? [];
  return interfaces.find((i) => i.name && !i.sandbox && i.name !== bridge)?.name;
}

/** The plan of a lab that is up and its live facts; undefined when the lab is not up. */
export function liveGraphFacts(lab: string): { plan: Plan; live: GraphLive } | undefined {
  const state = readState(lab);
  const status = labStatus(lab);
  if (!state || state.status !== 'up' || !status) return undefined;
  const bridges = new Map(state.plan.nodes.map((n) => [n.name, podBridgeOf(n)]));
  const pods: GraphLive['pods'] = {};
  for (const p of status.pods) {
    const dead = [...(p.pause && !p.pause.alive ? ['sandbox (pause) exited'] : []), ...p.containers.filter((c) => !c.alive).map((c) => `container ${c.name} exited`)];
    const why = !p.running ? 'deleted' : dead.join(', ');
    const veth = hostVeth(state.pods[p.name]?.cniResult, bridges.get(p.node));
    // A deleted pod has no address any more (host-local released it), as `status` shows it: `-`.
    pods[p.name] = { state: why ? 'down' : 'running', ip: p.running ? p.ip : '', ips: p.running ? p.podIPs : [], ...(why ? { why } : {}), ...(veth ? { hostVeth: veth } : {}) };
  }
  // Failed nodes: as the agent holds them (NotReady in `get nodes`), and as `node fail` recorded them the moment it unplugged the link.
  const failedNodes = [...new Set([...(status.agent?.failedNodes ?? []), ...Object.keys(state.plan.loops ? readControl(lab).failedNodes : {})])].sort();
  return { plan: state.plan, live: { pods, endpoints: state.endpoints ?? state.plan.endpoints, ...(failedNodes.length ? { failedNodes } : {}) } };
}
