/**
 * The kube-proxy of a live lab: computes endpoints from the pods that are ready now (sandbox and
 * every container alive, at their current IPs), and programs each node's (and the gateway's)
 * nftables tables (with the NetworkPolicy tables, through the general sync of nft-sync.ts). The
 * first time each table is loaded whole; after that only the difference from the table last
 * applied is sent, as one transaction per namespace.
 */
import { computeEndpoints, serviceKey, type Endpoint, type EndpointSource } from '../plan/services.ts';
import { notReadyPods } from './loops-state.ts';
import type { PolicyPod } from '../policy/types.ts';
import { syncTables, type NftSyncReport } from './nft-sync.ts';
import { syncIngress } from './ingress.ts';
import { clusterViewFile } from '../render/render.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import type { Executor } from './exec.ts';
import { isAlive } from './procs.ts';
import { stateDir, type LabState } from './state.ts';
import type { PlanPod } from '../plan/plan.ts';
import { currentAddresses } from './endpoint-slices.ts';

export { currentAddresses, sliceEndpoints } from './endpoint-slices.ts';

export type Endpoints = Record<string, Endpoint[]>;


/** Pods that are ready: recorded, with an IP, the sandbox and every container alive. */
export function readyPods(state: LabState): EndpointSource[] {
  return state.plan.pods.flatMap((p) => {
    const ps = state.pods[p.name];
    const now = currentAddresses(p, ps);
    if (!ps || !now) return [];
    if (!p.hostNetwork && (!ps.pause || !isAlive(ps.pause))) return [];
    if (p.containers.some((c) => !ps.containers[c.name] || !isAlive(ps.containers[c.name]!))) return [];
    return [{ ...p, ...now }];
  });
}

/**
 * The endpoints of the moment: running pods that the lab's agent does not hold not ready
 * (runtime/loops-state.ts); a Service with publishNotReadyAddresses keeps its running pods that
 * are not ready.
 */
export function liveEndpoints(state: LabState): Endpoints {
  const running = readyPods(state);
  if (!state.plan.loops) return computeEndpoints(state.plan.services, running);
  const notReady = notReadyPods(state.lab);
  const ready = running.filter((p) => !notReady.has(p.name));
  const all = computeEndpoints(state.plan.services, running);
  const out = computeEndpoints(state.plan.services, ready);
  for (const s of state.plan.services) if (s.publishNotReadyAddresses && all[serviceKey(s)]) out[serviceKey(s)] = all[serviceKey(s)]!;
  return out;
}

export interface SyncReport {
  /** Namespaces whose tables changed, with the transaction's size in lines (and the tables rewritten whole, nft-sync.ts). */
  applied: NftSyncReport['applied'];
  endpoints: Endpoints;
}

/**
 * Every pod of the lab at its current addresses in every family (none when it is not running: then
 * it is in no policy set of either family), or as planned.
 */
export function viewPods(state: LabState, planned = false): PolicyPod[] {
  return state.plan.pods.map((p) => {
    const now = planned ? { ip: p.ip, ips: p.ips } : currentAddresses(p, state.pods[p.name]);
    return now ? { ...p, ...now } : { ...p, ip: undefined, ips: [] };
  });
}

/**
 * Brings every nft table of the lab (kube-proxy's and NetworkPolicy's, runtime/nft-sync.ts) in
 * line with `endpoints` (default: the live ones), the pods' current addresses and the policies in
 * force: the whole tables the first time, only the difference after that. `planned` builds them
 * for pods at their planned addresses (while `up` wires them); `fresh`, into namespaces that hold
 * no table yet (`up`'s own). Then the DNS server's view of the cluster is rewritten, unless
 * `publish` is false.
 */
export async function syncServices(ex: Executor, state: LabState, endpoints: Endpoints = liveEndpoints(state), options: { publish?: boolean; planned?: boolean; fresh?: boolean } = {}): Promise<SyncReport> {
  const policies = state.policies ?? state.plan.networkPolicy?.policies ?? [];
  const { applied } = await syncTables(ex, state, { plan: state.plan, endpoints, pods: viewPods(state, options.planned), policies }, options.fresh);
  state.endpoints = endpoints;
  // The ingress controller's upstreams follow the endpoints (nginx reloads when they changed).
  if (!options.planned) await syncIngress(ex, state, endpoints);
  if (options.publish !== false) publishClusterView(state, endpoints);
  return { applied, endpoints };
}

/**
 * The DNS server's view of the cluster (the API server's watch, in miniature): rewritten, by
 * rename, whenever endpoints are synced; podlab-dns notices the change and answers from it.
 */
export function publishClusterView(state: LabState, endpoints: Endpoints): void {
  if (!state.plan.dns) return;
  writeFileAtomic(`${stateDir(state.lab)}/rendered/dns/cluster.json`, clusterViewFile(state.plan, endpoints, livePodAddresses(state)));
}

/** The running pods' addresses now, every family (a re-created pod's new IPv6 one too), by pod name. */
export function livePodAddresses(state: LabState): Record<string, { ip: string; ips: string[] }> {
  const live: Record<string, { ip: string; ips: string[] }> = {};
  for (const p of state.plan.pods) {
    const now = currentAddresses(p, state.pods[p.name]);
    if (now) live[p.name] = now;
  }
  return live;
}
