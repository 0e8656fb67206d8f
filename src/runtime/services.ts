/**
 * The kube-proxy of a live lab: computes endpoints from the pods that are ready now (sandbox and
 * every container alive, at their current IPs), and programs each node's (and the gateway's)
 * nftables table. The first time the whole table is loaded; after that only the difference
 * between the tables for the old and the new endpoints is sent, as one transaction per namespace.
 */
import { NETNS_RUN_DIR } from '../constants.ts';
import { gatewayTable, nodeTable, proxyContext } from '../plan/kube-proxy.ts';
import type { Plan } from '../plan/plan.ts';
import { computeEndpoints, type Endpoint, type EndpointSource } from '../plan/services.ts';
import { diffTable, renderTable, type NftTable } from '../nft/table.ts';
import { clusterViewFile } from '../render/render.ts';
import { writeFileAtomic } from '../render/files.ts';
import { must, type Executor } from './exec.ts';
import { isAlive } from './procs.ts';
import { stateDir, type LabState } from './state.ts';

export type Endpoints = Record<string, Endpoint[]>;

/** Pods that are ready: recorded, with an IP, the sandbox and every container alive. */
export function readyPods(state: LabState): EndpointSource[] {
  return state.plan.pods.flatMap((p) => {
    const ps = state.pods[p.name];
    if (!ps?.ip) return [];
    if (!p.hostNetwork && (!ps.pause || !isAlive(ps.pause))) return [];
    if (p.containers.some((c) => !ps.containers[c.name] || !isAlive(ps.containers[c.name]!))) return [];
    return [{ ...p, ip: ps.ip }];
  });
}

export function liveEndpoints(state: LabState): Endpoints {
  return computeEndpoints(state.plan.services, readyPods(state));
}

/** Every namespace with a kube-proxy table, and how to build its table. */
function targets(plan: Plan): { name: string; netns: string; table: (eps: Endpoints) => NftTable }[] {
  return [
    ...plan.nodes.map((n) => ({ name: n.name, netns: n.netns, table: (eps: Endpoints) => nodeTable(proxyContext(plan, eps), n.name) })),
    ...(plan.gateway ? [{ name: 'gateway', netns: plan.gateway.netns, table: (eps: Endpoints) => gatewayTable(proxyContext(plan, eps)) }] : []),
  ];
}

export interface SyncReport {
  /** Namespaces whose table changed, with the transaction's size in lines. */
  applied: { target: string; lines: number; ms: number }[];
  endpoints: Endpoints;
}

const nft = (netns: string) => ['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', 'nft', '-f', '-'];

/**
 * Brings every table in line with `endpoints` (default: the live ones). Without a previous
 * version in the state (first run), each table is loaded whole; otherwise only the difference.
 * Then the DNS server's view of the cluster is rewritten, unless `publish` is false.
 */
export async function syncServices(ex: Executor, state: LabState, endpoints: Endpoints = liveEndpoints(state), options: { publish?: boolean } = {}): Promise<SyncReport> {
  const before = state.endpoints;
  const applied: SyncReport['applied'] = [];
  await Promise.all(
    targets(state.plan).map(async (t) => {
      const next = t.table(endpoints);
      const script = before ? diffTable(t.table(before), next) : renderTable(next);
      if (!script) return;
      const started = performance.now();
      await must(ex, nft(t.netns), { input: script });
      applied.push({ target: t.name, lines: script.split('\n').length - 1, ms: Math.round(performance.now() - started) });
    }),
  );
  state.endpoints = endpoints;
  if (options.publish !== false) publishClusterView(state, endpoints);
  return { applied, endpoints };
}

/**
 * The DNS server's view of the cluster (the API server's watch, in miniature): rewritten, by
 * rename, whenever endpoints are synced; podlab-dns notices the change and answers from it.
 */
export function publishClusterView(state: LabState, endpoints: Endpoints): void {
  if (!state.plan.dns) return;
  const live: Record<string, string> = {};
  for (const [name, ps] of Object.entries(state.pods)) if (ps.ip) live[name] = ps.ip;
  writeFileAtomic(`${stateDir(state.lab)}/rendered/dns/cluster.json`, clusterViewFile(state.plan, endpoints, live));
}
