/**
 * The two ends of a connection a learner names on the command line (`podlab explain` and
 * `podlab trace`), resolved against a lab's view: a pod (`web`, `ns/web`), a node (`node/w1`), an
 * outside host (`host/ext`), the gateway, a Service (`svc/web`, `svc/ns/web`, or a bare name that
 * is no pod's), or an address the lab owns. Pure: reads the plan and the pods' current addresses;
 * an unknown name is a TraceProblem that names what exists.
 */
import type { Code } from '../compile/diagnostics.ts';
import type { Plan, PlanPod } from '../plan/plan.ts';
import type { PlanService, PlanServicePort } from '../plan/services.ts';
import { parseAddr, type Family } from '../net/addr.ts';
import type { PolicyPod } from '../policy/types.ts';

/** A user error of explain/trace: a catalogued code (PL3110–PL3117, PL3119, PL3146–PL3148), a message naming what exists, a hint. */
export class TraceProblem extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export type End =
  | { kind: 'pod'; ref: string; ip: string; node: string; pod: PlanPod; policyPod: PolicyPod }
  | { kind: 'node'; ref: string; ip: string; node: string }
  | { kind: 'host'; ref: string; ip: string; host: string; network: 'nodes' | 'external' }
  | { kind: 'gateway'; ref: string; ip: string }
  /** A Service; `address` when it is reached at a load-balancer address (`lb/<ns>/<name>`, or the address itself), else at its cluster IP. */
  | { kind: 'service'; ref: string; service: PlanService; address?: string };

/** The lab as explain and trace read it: the plan and every pod at its current address (none: not running). */
export interface EndsView {
  plan: Plan;
  pods: readonly PolicyPod[];
}

const key = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** A Service's load-balancer addresses (one per family), none unless it is type LoadBalancer and has one. */
const lbAddressesOf = (s: PlanService): string[] => (s.type === 'LoadBalancer' ? (s.loadBalancerIPs ?? (s.loadBalancerIP ? [s.loadBalancerIP] : [])) : []);

function known(v: EndsView): string {
  const pods = v.plan.pods.filter((p) => !p.system).map(key);
  const svcs = v.plan.services.map((s) => `svc/${key(s)}`);
  const lbs = v.plan.services.filter((s) => lbAddressesOf(s).length).map((s) => `lb/${key(s)}`);
  return [
    `pods: ${pods.join(', ') || '(none)'}`,
    `Services: ${svcs.join(', ') || '(none)'}`,
    ...(lbs.length ? [`load-balancer addresses: ${lbs.join(', ')}`] : []),
    `nodes: ${v.plan.nodes.map((n) => `node/${n.name}`).join(', ')}`,
    ...(v.plan.hosts.length ? [`hosts: ${v.plan.hosts.map((h) => `host/${h.name}`).join(', ')}`] : []),
  ].join('; ');
}

function podEnd(v: EndsView, pod: PlanPod, ref: string, family: Family): End {
  const live = v.pods.find((p) => p.name === pod.name && p.namespace === pod.namespace);
  if (!live?.ip) throw new TraceProblem('PL3033', `pod ${key(pod)} of lab "${v.plan.lab}" is not running, so it has no address`, `See podlab status ${v.plan.lab}; a deleted pod comes back with podlab pod create.`);
  // The pod's address in the trace's family (status.podIPs keeps one per family).
  const ip = inFamily([live.ip, ...(live.ips ?? []), ...pod.ips], family);
  if (!ip) throw noAddress(v, `pod ${key(pod)}`, family);
  return { kind: 'pod', ref, ip, node: pod.node, pod, policyPod: live };
}

function findService(v: EndsView, ns: string | undefined, name: string): PlanService | undefined {
  return v.plan.services.find((s) => s.name === name && (ns ? s.namespace === ns : true));
}

/** A Service's addresses: every cluster IP and every load-balancer address, each family's. */
const addressesOf = (s: PlanService): string[] => [...(s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])), ...(s.loadBalancerIPs ?? (s.loadBalancerIP ? [s.loadBalancerIP] : []))];

/** The address of a family among a list (primary first), or undefined. */
export const inFamily = (list: readonly (string | undefined)[], family: Family): string | undefined => list.find((a) => a !== undefined && parseAddr(a)?.family === family);

/** The family of an address literal named as an end, or undefined for a name. */
export const familyOfRef = (ref: string): Family | undefined => (/^\d+\.\d+\.\d+\.\d+$/.test(ref) ? 'IPv4' : ref.includes(':') ? parseAddr(ref)?.family : undefined);

/** An end that has no address in the trace's family (a single-stack Service, an IPv4-only host). */
function noAddress(v: EndsView, what: string, family: Family): TraceProblem {
  const other = v.plan.ipFamilies.find((f) => f !== family);
  return new TraceProblem('PL3147', `${what} has no ${family} address in lab "${v.plan.lab}", so there is no ${family} path to it`, other ? `Trace it in ${other} (--family ${other}), or pick an end with an ${family} address.` : `Pick an end with an ${family} address.`);
}

/** Resolves one end; `allowService` only for the destination. */
export function resolveEnd(v: EndsView, ref: string, allowService: boolean, family: Family = v.plan.ipFamilies[0] ?? 'IPv4'): End {
  const plan = v.plan;
  const addr = (what: string, list: readonly (string | undefined)[]) => inFamily(list, family) ?? (() => { throw noAddress(v, what, family); })();
  const unknown = (what: string) => new TraceProblem('PL3110', `lab "${plan.lab}" has no ${what}`, `Name one of its ${known(v)}.`);
  if (ref.startsWith('node/')) {
    const n = plan.nodes.find((x) => x.name === ref.slice(5));
    if (!n) throw unknown(`node "${ref.slice(5)}"`);
    return { kind: 'node', ref, ip: addr(`node ${n.name}`, n.ips ?? [n.ip]), node: n.name };
  }
  if (ref.startsWith('host/')) {
    const h = plan.hosts.find((x) => x.name === ref.slice(5));
    if (!h) throw unknown(`host "${ref.slice(5)}"`);
    return { kind: 'host', ref, ip: addr(`host ${h.name}`, h.ips ?? [h.ip]), host: h.name, network: h.network };
  }
  if (ref === 'gateway') {
    // As podlab exec says it (PL3038): why there is none.
    if (!plan.gateway) throw new TraceProblem('PL3110', `lab "${plan.lab}" has no gateway (it has no external hosts and no load-balancer pool)`, `A lab gets one with a host on network 'external' or a loadBalancer pool; else name one of its ${known(v)}.`);
    const g = plan.gateway.nodeSide as { ip: string; ip6?: string };
    return { kind: 'gateway', ref, ip: addr('the gateway', [g.ip, g.ip6]) };
  }
  if (ref.startsWith('svc/')) {
    if (!allowService) throw new TraceProblem('PL3110', `a Service cannot be the source of a connection ("${ref}")`, `Start from a pod, node/<name> or host/<name>: ${known(v)}.`);
    const parts = ref.slice(4).split('/');
    const s = parts.length === 2 ? findService(v, parts[0], parts[1]!) : findService(v, undefined, parts[0]!);
    if (!s) throw unknown(`Service "${ref.slice(4)}"`);
    return { kind: 'service', ref, service: s };
  }
  if (ref.startsWith('lb/')) {
    // A LoadBalancer Service's address, as checks name it: lb/<namespace>/<name>, or lb/<name> (the default namespace's first).
    if (!allowService) throw new TraceProblem('PL3110', `a load-balancer address cannot be the source of a connection ("${ref}")`, `Start from a pod, node/<name> or host/<name>: ${known(v)}.`);
    const parts = ref.slice(3).split('/');
    const s = parts.length === 2 ? findService(v, parts[0], parts[1]!) : (findService(v, 'default', parts[0]!) ?? findService(v, undefined, parts[0]!));
    if (!s) throw unknown(`Service "${ref.slice(3)}"`);
    const lbs = lbAddressesOf(s);
    if (!lbs.length) {
      const nodePorts = s.ports.filter((p) => p.nodePort !== undefined).map((p) => p.nodePort);
      throw new TraceProblem('PL3110', `Service ${key(s)} of lab "${plan.lab}" has no load-balancer address: it is type ${s.type}${s.type === 'LoadBalancer' ? ' and the lab has no loadBalancer pool' : ''}`, `Trace svc/${key(s)} (its cluster IP)${nodePorts.length ? `, or a node's NodePort (node/<name> --port ${nodePorts.join(' or ')})` : ''}; or name one of its ${known(v)}.`);
    }
    return { kind: 'service', ref, service: s, address: addr(`the load-balancer address of Service ${key(s)}`, lbs) };
  }
  if (familyOfRef(ref)) {
    // An address of either family: a pod's, any of a Service's (cluster IPs, load-balancer addresses), a node's, a host's.
    const same = (a: string | undefined) => !!a && parseAddr(a)?.value === parseAddr(ref)!.value && parseAddr(a)?.family === familyOfRef(ref);
    const pod = v.pods.find((p) => !p.hostNetwork && [p.ip, ...(p.ips ?? [])].some(same));
    if (pod) return podEnd(v, plan.pods.find((p) => p.name === pod.name && p.namespace === pod.namespace)!, ref, family);
    const svc = plan.services.find((s) => addressesOf(s).some(same));
    if (svc && allowService) return { kind: 'service', ref, service: svc, ...(lbAddressesOf(svc).some(same) ? { address: ref } : {}) };
    const node = plan.nodes.find((n) => (n.ips ?? [n.ip]).some(same));
    if (node) return { kind: 'node', ref, ip: ref, node: node.name };
    const host = plan.hosts.find((h) => (h.ips ?? [h.ip]).some(same));
    if (host) return { kind: 'host', ref, ip: ref, host: host.name, network: host.network };
    throw unknown(`pod, Service, node or host with address ${ref}`);
  }
  const [ns, name] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [undefined, ref];
  const pod = plan.pods.find((p) => p.name === name && (!ns || p.namespace === ns));
  if (pod) return podEnd(v, pod, ref, family);
  const s = allowService ? findService(v, ns, name) : undefined;
  if (s) return { kind: 'service', ref, service: s };
  throw unknown(`pod${allowService ? ' or Service' : ''} "${ref}"`);
}

/**
 * Why a Service named as a destination has no packet to follow, or undefined when it has a cluster
 * IP. A headless Service (clusterIP None) has no virtual IP: DNS answers its name with its
 * endpoints' own addresses. An ExternalName Service is a DNS record only: CoreDNS's `kubernetes`
 * plugin answers its name with a CNAME to spec.externalName, and it has no cluster IP, no
 * kube-proxy rules and no endpoints, so a client connects wherever that name resolves. `from`: the
 * source as named, a pod the hint's dig can run in.
 */
export function noVirtualIp(v: EndsView & { endpoints: Readonly<Record<string, readonly { pod: string; namespace: string }[]>> }, s: PlanService, from?: string): TraceProblem | undefined {
  if (s.type === 'ExternalName') {
    const plan = v.plan;
    const fqdn = `${s.name}.${s.namespace}.svc.${plan.clusterDomain}`;
    const hosts = plan.hosts.map((h) => `host/${h.name}`);
    return new TraceProblem(
      'PL3111',
      `Service ${key(s)} is type ExternalName: a DNS name only. ${plan.dns ? `The cluster DNS answers ${fqdn} with a CNAME to ${s.externalName}` : `A CNAME ${fqdn} → ${s.externalName} (the lab has no cluster DNS to answer it)`}; the Service has no cluster IP, no kube-proxy rules and no endpoints, so there is no packet to it to follow`,
      `A client connects to wherever ${s.externalName} resolves${plan.dns ? ` (podlab exec ${plan.lab} ${from && !/^(node|host)\//.test(from) && from !== 'gateway' ? from : '<pod>'} -- dig ${fqdn} shows the CNAME)` : ''}. A podlab lab reaches no address outside itself: trace that address only if it is one the lab owns${hosts.length ? ` (${hosts.join(', ')})` : ''}.`,
    );
  }
  if (s.headless || !s.clusterIP) {
    const pods = (v.endpoints[key(s)] ?? []).map((e) => `${e.namespace}/${e.pod}`);
    return new TraceProblem('PL3111', `Service ${key(s)} is headless (clusterIP None): it has no virtual IP and no DNAT; DNS answers its name with its endpoints' own addresses`, `Name one of its pods instead: ${pods.join(', ') || '(it has no endpoints)'}.`);
  }
  return undefined;
}

/** The Service port a connection uses: the one with this port (and protocol), or the only one. */
export function servicePort(s: PlanService, port: number | undefined, protocol: 'TCP' | 'UDP' | undefined): PlanServicePort {
  const fits = s.ports.filter((p) => (port === undefined || p.port === port || p.nodePort === port) && (!protocol || p.protocol === protocol));
  if (fits.length === 1 || (fits.length > 1 && port !== undefined)) return fits[0]!;
  const list = s.ports.map((p) => `${p.port}/${p.protocol}${p.nodePort ? ` (nodePort ${p.nodePort})` : ''}`).join(', ');
  if (!fits.length) throw new TraceProblem('PL3111', `Service ${key(s)} has no port ${port ?? ''}${protocol ? `/${protocol}` : ''}`.replace('  ', ' '), `Its ports: ${list || '(none)'}.`);
  throw new TraceProblem('PL3115', `Service ${key(s)} has several ports; which one?`, `Add --port N/proto, one of: ${s.ports.map((p) => `${p.port}/${p.protocol.toLowerCase()}`).join(', ')}.`);
}

/** `80`, `80/tcp`, `53/UDP` → port and protocol. */
export function parsePort(text: string): { port: number; protocol?: 'TCP' | 'UDP' } | undefined {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) return undefined;
  return { port: Number(m[1]), ...(m[2] ? { protocol: m[2].toUpperCase() as 'TCP' | 'UDP' } : {}) };
}
