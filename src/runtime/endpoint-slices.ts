/**
 * Where a running pod is, and each Service's endpoints as the endpoint controllers list them
 * (EndpointSlices, Endpoints): pure reads of the state journal and /proc, light enough for the
 * commands that only read a live lab (status, get) and the lab's API server. Syncing the tables
 * from them is runtime/services.ts's.
 */
import { computeEndpoints, serviceKey, type Endpoint, type EndpointSource } from '../plan/services.ts';
import type { PlanPod } from '../plan/plan.ts';
import { isAlive } from './procs.ts';
import type { LabState, PodState } from './state.ts';

/**
 * A pod's addresses now, one per family, primary first: the ones its state records when it was
 * made at run time (re-created, a scale's copy, a Deployment's replacement: new in *every*
 * family), its planned ones when it still has its planned address; none when it is not running.
 */
export function currentAddresses(p: PlanPod, ps: PodState | undefined): { ip: string; ips: string[] } | undefined {
  if (!ps?.ip) return undefined;
  if (ps.ips?.length) return { ip: ps.ip, ips: ps.ips };
  return { ip: ps.ip, ips: ps.ip === p.ip ? p.ips : [ps.ip] };
}

/** Pods whose sandbox runs (with an IP): what the EndpointSlice controller lists, ready or not. */
function runningPods(state: LabState): EndpointSource[] {
  return state.plan.pods.flatMap((p) => {
    const ps = state.pods[p.name];
    const now = currentAddresses(p, ps);
    if (!ps || !now || (!p.hostNetwork && (!ps.pause || !isAlive(ps.pause)))) return [];
    return [{ ...p, ...now }];
  });
}

/**
 * Each Service's endpoints as its EndpointSlices and Endpoints list them: those the kube-proxy
 * tables are programmed with now (the journal's, else the plan's), then the running pods it selects
 * that are not among them, marked `notProgrammed`: pods the control loops hold not ready, which the
 * endpoint controllers keep, not ready (`notReadyAddresses`, `conditions.ready: false`), while
 * kube-proxy leaves them out.
 */
export function sliceEndpoints(state: LabState): Record<string, (Endpoint & { notProgrammed?: true })[]> {
  const tables = state.endpoints ?? state.plan.endpoints;
  const selected = computeEndpoints(state.plan.services, runningPods(state));
  const out: Record<string, (Endpoint & { notProgrammed?: true })[]> = {};
  for (const s of state.plan.services) {
    const k = serviceKey(s);
    const have = tables[k];
    const more = (selected[k] ?? []).filter((e) => !have?.some((h) => h.pod === e.pod && h.namespace === e.namespace));
    if (have || more.length) out[k] = [...(have ?? []), ...more.map((e) => ({ ...e, notProgrammed: true as const }))];
  }
  return out;
}
