/**
 * Services in the plan: ClusterIP, NodePort and load-balancer address allocation (deterministic,
 * declaration order, given values reserved first), and endpoints computed from label selectors
 * over pods. Pure. The runtime calls `computeEndpoints` again with live pod IPs whenever pods
 * change, and hands the result to the rule renderer (plan/kube-proxy.ts).
 */
import { SERVICES } from '../constants.ts';
import type { LabService } from '../compile/lab.ts';
import * as ip from '../net/ipv4.ts';
import { formatAddr, nth, parseAddr, sizeOf, type Family, type Prefix } from '../net/addr.ts';
import { dnsServiceIp, selects } from '../k8s/objects.ts';

export interface PlanServicePort {
  /** The port's name, or (for an unnamed port) `<protocol>-<port>`; unique within the Service. */
  key: string;
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  /** A number, or a container port's name, resolved per endpoint. */
  targetPort: number | string;
  nodePort?: number;
}

export interface PlanService {
  name: string;
  namespace: string;
  type: LabService['type'];
  /** `clusterIP: None`: no virtual IP and no rules; DNS answers with the endpoints themselves. */
  headless: boolean;
  /** The primary family's cluster IP, `clusterIPs[0]`. Absent for headless and ExternalName Services. */
  clusterIP?: string;
  /** One cluster IP per family of `ipFamilies`, in that order (spec.clusterIPs). Absent with `clusterIP`. */
  clusterIPs?: string[];
  /** The Service's families, primary first (spec.ipFamilies); none for an ExternalName Service. */
  ipFamilies: Family[];
  /** spec.ipFamilyPolicy as written or defaulted (SingleStack); the API serves it, absent for an ExternalName Service. */
  ipFamilyPolicy?: LabService['ipFamilyPolicy'];
  externalName?: string;
  /** The IPv4 load-balancer address when the Service has one, else its IPv6 one. */
  loadBalancerIP?: string;
  /**
   * A LoadBalancer Service with IPv6 in a lab with IPv6: its load-balancer address per family, in
   * its ipFamilies order (status.loadBalancer.ingress); the IPv6 one from the pool's IPv6 CIDR, or
   * without one the IPv4 one's twin in the IPv6 node network (when the pool lies in the node network).
   */
  loadBalancerIPs?: string[];
  selector?: Record<string, string>;
  ports: PlanServicePort[];
  sessionAffinity: 'None' | 'ClientIP';
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  /** Pods that are not ready stay in its endpoints (set only when true). */
  publishNotReadyAddresses?: true;
  /** When a Service made at run time (`kubectl apply`) was created (ISO time); the lab file's are the lab's age. */
  createdAt?: string;
}

/** One pod backing one Service: where it runs and which port each Service port reaches on it. */
export interface Endpoint {
  pod: string;
  namespace: string;
  node: string;
  ip: string;
  /** The pod's addresses per family, primary first (a dual-stack pod's IPv6 one backs IPv6 cluster IPs). */
  ips?: string[];
  /** Service port key → the pod's port. A pod lacking a named targetPort is not an endpoint of that port. */
  ports: Record<string, number>;
}

/** The minimum the endpoint computation needs to know of a pod (plan pods and live pods both fit). */
export interface EndpointSource {
  name: string;
  namespace: string;
  node: string;
  ip: string;
  ips?: string[];
  labels: Record<string, string>;
  containers: { ports: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP' }[] }[];
}

/** `<namespace>/<name>`: how Services are keyed in endpoint maps, state and status. */
export const serviceKey = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;

/**
 * A Service's endpoints in an endpoint map (the plan's, or the one kube-proxy's tables were last
 * programmed with), each with the pod's port for one Service port (`portKey`): absent when no port
 * is named or the pod lacks it (then kube-proxy does not send that port to it). `podlab explain` and
 * `podlab trace` keep only those with the port; a failed check's cause reads them all.
 */
export function portEndpoints(endpoints: Readonly<Record<string, readonly Endpoint[]>>, key: string, portKey: string | undefined): (Endpoint & { port?: number })[] {
  return (endpoints[key] ?? []).map((e) => {
    const port = portKey === undefined ? undefined : e.ports[portKey];
    return port === undefined ? { ...e } : { ...e, port };
  });
}


/** Resolves a targetPort on one pod: a number as is; a name through the pod's container ports (same protocol). */
export function resolveTargetPort(port: Pick<PlanServicePort, 'targetPort' | 'protocol'>, pod: Pick<EndpointSource, 'containers'>): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  for (const c of pod.containers) for (const p of c.ports) if (p.name === port.targetPort && p.protocol === port.protocol) return p.containerPort;
  return undefined;
}

/** Endpoints of every Service with a selector, keyed by `serviceKey`; `pods` are the ready pods, in declaration order. */
export function computeEndpoints(services: readonly PlanService[], pods: readonly EndpointSource[]): Record<string, Endpoint[]> {
  const out: Record<string, Endpoint[]> = {};
  for (const s of services) {
    if (s.type === 'ExternalName' || !s.selector) continue;
    const eps: Endpoint[] = [];
    for (const pod of pods) {
      if (!selects(s, pod)) continue;
      const ports: Record<string, number> = {};
      for (const p of s.ports) {
        const target = resolveTargetPort(p, pod);
        if (target !== undefined) ports[p.key] = target;
      }
      eps.push({ pod: pod.name, namespace: pod.namespace, node: pod.node, ip: pod.ip, ...(pod.ips && pod.ips.length > 1 ? { ips: pod.ips } : {}), ports });
    }
    out[serviceKey(s)] = eps;
  }
  return out;
}

/** The cluster IP the author gave a Service in one family (clusterIP or clusterIPs). */
function givenOf(s: LabService, family: Family): string | undefined {
  if (s.clusterIP === 'None') return undefined;
  return (s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])).find((t) => (t.includes(':') ? 'IPv6' : 'IPv4') === family);
}

/** IPv6 cluster IPs from ::1 upward, skipping the given ones and ::a (kept for cluster DNS, as .10 is). */
function ipv6Allocator(services: readonly LabService[], net: Prefix): () => string {
  const taken = new Set<bigint>([nth(net, SERVICES.dnsHost)!.value]);
  for (const s of services) {
    const given = givenOf(s, 'IPv6');
    if (given) taken.add(parseAddr(given)!.value);
  }
  let next = net.network + 1n;
  return () => {
    while (taken.has(next)) next++;
    taken.add(next);
    return formatAddr({ family: 'IPv6', value: next++ });
  };
}

/** `clusterIP` and `clusterIPs` in the Service's family order; the IPv4 address (if any) is chosen by the caller. */
function clusterIPsOf(s: LabService, v4: string | undefined, next6: (() => string) | undefined): { clusterIP?: string; clusterIPs?: string[] } {
  if (s.type === 'ExternalName' || s.clusterIP === 'None') return {};
  const ips = s.ipFamilies.flatMap((f) => (f === 'IPv4' ? (v4 ? [v4] : []) : next6 ? [givenOf(s, 'IPv6') ?? next6()] : []));
  return ips.length ? { clusterIP: ips[0]!, clusterIPs: ips } : {};
}

export interface AllocationInput {
  services: readonly LabService[];
  serviceCidr: ip.Cidr;
  /** The IPv6 service network of a lab with IPv6. */
  serviceCidr6?: Prefix;
  /** Load-balancer pool and the addresses in it that are already someone's (nodes, hosts, gateway). */
  pool?: ip.Cidr;
  poolTaken: ReadonlySet<number>;
  /**
   * A lab with IPv4 and IPv6 whose pool lists an IPv6 CIDR: the IPv6 load-balancer addresses come
   * from it (else they are the IPv4 ones' twins, see plan.ts), skipping the IPv6 addresses of
   * nodes, hosts and the gateway (`pool6Taken`).
   */
  pool6?: Prefix;
  pool6Taken?: ReadonlySet<bigint>;
}

/** ClusterIPs (from .1, skipping the DNS address), NodePorts (from 30000) and pool addresses, in declaration order. */
export function planServices({ services, serviceCidr, serviceCidr6, pool, poolTaken, pool6, pool6Taken }: AllocationInput): PlanService[] {
  const dnsIp = dnsServiceIp(serviceCidr);
  const next6 = serviceCidr6 ? ipv6Allocator(services, serviceCidr6) : undefined;
  const takenIps = new Set<number>([dnsIp]);
  for (const s of services) {
    const given = givenOf(s, 'IPv4');
    if (given) takenIps.add(ip.parseIp(given)!);
  }
  const takenPorts = new Set<number>();
  for (const s of services) for (const p of s.ports) if (p.nodePort !== undefined) takenPorts.add(p.nodePort);
  const takenLb = new Set<number>(poolTaken);
  const takenLb6 = new Set<bigint>(pool6Taken);
  for (const s of services)
    if (s.loadBalancerIP?.includes(':')) takenLb6.add(parseAddr(s.loadBalancerIP)!.value);
    else if (s.loadBalancerIP) takenLb.add(ip.parseIp(s.loadBalancerIP)!);
  // IPv6 from the pool's second address to its last but one, as IPv4 skips the network and broadcast
  // addresses (a /127 or /128 is all usable, as a /31 or /32).
  const edge6 = pool6 && pool6.bits < 127 ? 1n : 0n;
  let nextLb6 = pool6 ? pool6.network + edge6 : 0n;
  const lastLb6 = pool6 ? pool6.network + sizeOf(pool6) - 1n - edge6 : -1n;

  let nextIp = ip.nth(serviceCidr, 1);
  const lastIp = ip.nth(serviceCidr, ip.size(serviceCidr) - 2);
  let nextPort: number = SERVICES.nodePortMin;
  let nextLb = pool ? ip.nth(pool, pool.prefix < 31 ? 1 : 0) : 0;

  return services.map((s) => {
    const headless = s.clusterIP === 'None';
    let clusterIP: string | undefined;
    if (s.type !== 'ExternalName' && !headless && s.ipFamilies.includes('IPv4')) {
      const given = givenOf(s, 'IPv4');
      if (given) clusterIP = given;
      else {
        while (takenIps.has(nextIp) && nextIp <= lastIp) nextIp++;
        clusterIP = ip.formatIp(nextIp);
        takenIps.add(nextIp++);
      }
    }
    const exposed = s.type === 'NodePort' || s.type === 'LoadBalancer';
    const ports: PlanServicePort[] = s.ports.map((p) => {
      let nodePort = p.nodePort;
      if (exposed && nodePort === undefined) {
        while (takenPorts.has(nextPort)) nextPort++;
        nodePort = nextPort;
        takenPorts.add(nextPort++);
      }
      return {
        key: p.name ?? `${p.protocol.toLowerCase()}-${p.port}`,
        name: p.name,
        protocol: p.protocol,
        port: p.port,
        targetPort: p.targetPort,
        ...(exposed ? { nodePort } : {}),
      };
    });
    let lb4: string | undefined;
    let lb6: string | undefined;
    const fixed = s.type === 'LoadBalancer' ? s.loadBalancerIP : undefined;
    // An IPv4 address for a Service with IPv4, and for every one of an IPv6-only lab (numbered as IPv4 inside, see inside4).
    if (s.type === 'LoadBalancer' && pool && (s.ipFamilies.includes('IPv4') || !pool6)) {
      if (fixed && !fixed.includes(':')) lb4 = fixed;
      else {
        while (takenLb.has(nextLb) || ip.isNetworkOrBroadcast(pool, nextLb)) nextLb++;
        if (ip.contains(pool, nextLb)) {
          lb4 = ip.formatIp(nextLb);
          takenLb.add(nextLb++);
        }
      }
    }
    if (s.type === 'LoadBalancer' && pool6 && s.ipFamilies.includes('IPv6')) {
      if (fixed?.includes(':')) lb6 = fixed;
      else {
        while (takenLb6.has(nextLb6) && nextLb6 <= lastLb6) nextLb6++;
        if (nextLb6 <= lastLb6) {
          lb6 = formatAddr({ family: 'IPv6', value: nextLb6 });
          takenLb6.add(nextLb6++);
        }
      }
    }
    // loadBalancerIP is the IPv4 one when the Service has one; loadBalancerIPs lists one per family, in ipFamilies order.
    const loadBalancerIP = lb4 ?? lb6;
    const loadBalancerIPs = lb6 ? s.ipFamilies.flatMap((f) => (f === 'IPv6' ? [lb6!] : lb4 ? [lb4] : [])) : undefined;
    return {
      name: s.name,
      namespace: s.namespace,
      type: s.type,
      headless,
      ...clusterIPsOf(s, clusterIP, next6),
      ipFamilies: s.ipFamilies,
      ...(s.type !== 'ExternalName' ? { ipFamilyPolicy: s.ipFamilyPolicy } : {}),
      ...(s.externalName ? { externalName: s.externalName } : {}),
      ...(loadBalancerIP ? { loadBalancerIP } : {}),
      ...(loadBalancerIPs ? { loadBalancerIPs } : {}),
      ...(s.selector ? { selector: s.selector } : {}),
      ports,
      sessionAffinity: s.sessionAffinity,
      externalTrafficPolicy: s.externalTrafficPolicy,
      internalTrafficPolicy: s.internalTrafficPolicy,
      ...(s.publishNotReadyAddresses ? { publishNotReadyAddresses: true as const } : {}),
    };
  });
}
