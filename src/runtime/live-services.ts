/**
 * Services of a live lab changing, as `kubectl apply -f service.yaml` and `kubectl delete service`
 * change them: the new Service gets its ClusterIP (and NodePorts) from the same allocation the
 * plan uses (plan/services.ts, every existing Service keeping its own), the live plan records it,
 * and one sync brings every node's kube-proxy table and the DNS server's cluster view in line
 * (runtime/services.ts: only the rules that differ are sent).
 */
import { DEFAULTS } from '../constants.ts';
import * as ip from '../net/ipv4.ts';
import { contains, parseAddr, parsePrefix, type Family } from '../net/addr.ts';
import { planServices, serviceKey, type PlanService } from '../plan/services.ts';
import type { Executor } from './exec.ts';
import { syncServices, type SyncReport } from './services.ts';
import { writeState, type LabState } from './state.ts';
import { RuntimeError } from './errors.ts';

export class ServiceError extends RuntimeError {}

/** What a Service is asked to be: the plan's allocation input (addresses and NodePorts left out are chosen). */
export type ServiceRequest = Parameters<typeof planServices>[0]['services'][number];

/** A planned Service as an allocation request that keeps everything it was given. */
function asRequest(s: PlanService): ServiceRequest {
  return {
    name: s.name,
    namespace: s.namespace,
    type: s.type,
    ...(s.selector ? { selector: s.selector } : {}),
    ports: s.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), protocol: p.protocol, port: p.port, targetPort: p.targetPort, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) })),
    ...(s.headless ? { clusterIP: 'None' } : s.clusterIP ? { clusterIP: s.clusterIP } : {}),
    ...(s.externalName ? { externalName: s.externalName } : {}),
    ...(s.loadBalancerIP ? { loadBalancerIP: s.loadBalancerIP } : {}),
    sessionAffinity: s.sessionAffinity,
    externalTrafficPolicy: s.externalTrafficPolicy,
    internalTrafficPolicy: s.internalTrafficPolicy,
    ipFamilyPolicy: s.ipFamilyPolicy ?? (s.ipFamilies.length > 1 ? 'PreferDualStack' : 'SingleStack'),
    ipFamilies: s.ipFamilies,
    ...(s.clusterIPs && !s.headless ? { clusterIPs: s.clusterIPs } : {}),
  };
}

/** Creates the Service, or replaces the one of the same namespace and name (keeping its ClusterIP unless another is asked for). */
export async function applyService(ex: Executor, state: LabState, request: ServiceRequest): Promise<{ service: PlanService; replaced: boolean; sync: SyncReport }> {
  const key = serviceKey(request);
  const old = state.plan.services.find((s) => serviceKey(s) === key);
  if (request.type === 'LoadBalancer') throw new ServiceError('PL3040', `Service ${key}: type LoadBalancer is not built at run time (the load-balancer pool is the plan's); use ClusterIP or NodePort`);
  // The Service CIDR per family (kube-apiserver's --service-cluster-ip-range); an IPv6-only lab
  // allocates no IPv4 cluster IP, but the allocation is numbered with the IPv4 default inside.
  const cidrOf = (f: Family) => state.plan.serviceCidrs[state.plan.ipFamilies.indexOf(f)];
  const serviceCidr = ip.parseCidr(cidrOf('IPv4') ?? DEFAULTS.serviceCidr)!;
  const text6 = cidrOf('IPv6');
  const serviceCidr6 = text6 ? parsePrefix(text6) : undefined;
  const asked = request.clusterIP === 'None' ? [] : (request.clusterIPs ?? (request.clusterIP ? [request.clusterIP] : []));
  for (const a of asked) {
    const addr = parseAddr(a);
    const cidr = addr && cidrOf(addr.family);
    const net = cidr ? parsePrefix(cidr) : undefined;
    if (!addr || !net || !contains(net, addr)) throw new ServiceError('PL3041', `Service ${key}: clusterIP ${a} is not in the service CIDR${state.plan.serviceCidrs.length > 1 ? 's' : ''} ${state.plan.serviceCidrs.join(', ')}`);
    if (state.plan.services.some((s) => (s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])).includes(a) && serviceKey(s) !== key) || state.plan.dns?.serviceIP === a)
      throw new ServiceError('PL3042', `Service ${key}: clusterIP ${a} is already allocated`);
  }
  // An existing Service keeps its cluster IP of each family it keeps (the API server refuses to change them); a new family is allocated.
  const kept = old && !asked.length && !old.headless ? request.ipFamilies.flatMap((f) => (old.clusterIPs ?? (old.clusterIP ? [old.clusterIP] : [])).filter((a) => parseAddr(a)?.family === f)) : [];
  const wanted: ServiceRequest = kept.length ? { ...request, clusterIP: kept[0]!, clusterIPs: kept } : request;
  const others = state.plan.services.filter((s) => serviceKey(s) !== key);
  const planned = planServices({ services: [...others.map(asRequest), wanted], serviceCidr, ...(serviceCidr6 ? { serviceCidr6 } : {}), poolTaken: new Set() });
  // Created now, or when the Service it replaces was: a replace keeps its age, as the API server keeps creationTimestamp.
  const service = { ...planned.at(-1)!, createdAt: old ? old.createdAt : new Date().toISOString() };
  const services = old ? state.plan.services.map((s) => (serviceKey(s) === key ? service : s)) : [...state.plan.services, service];
  // A plan is never changed in place (state.ts serializes each plan once): a new one replaces it.
  state.plan = { ...state.plan, services };
  writeState(state);
  const sync = await syncServices(ex, state);
  writeState(state);
  return { service, replaced: !!old, sync };
}

export async function deleteService(ex: Executor, state: LabState, namespace: string, name: string): Promise<SyncReport> {
  const key = `${namespace}/${name}`;
  if (!state.plan.services.some((s) => serviceKey(s) === key)) throw new ServiceError('PL3043', `lab "${state.lab}" has no Service "${key}"`);
  state.plan = { ...state.plan, services: state.plan.services.filter((s) => serviceKey(s) !== key) };
  writeState(state);
  const sync = await syncServices(ex, state);
  writeState(state);
  return sync;
}
