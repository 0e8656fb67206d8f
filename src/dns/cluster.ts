/**
 * What cluster DNS looks like from the plan — pure, shared by `render` (generated/) and the
 * runtime (the live files): kubeadm's default Corefile, an upstream host's Corefile, each pod's
 * /etc/resolv.conf (kubelet's rules for dnsPolicy and dnsConfig) and /etc/hosts, and the cluster
 * view the `kubernetes` plugin answers from (Services, endpoints, pods, namespaces).
 */
import { DNS } from '../constants.ts';
import { template } from '../lib/templates.ts';
import type { LabDnsConfig } from '../compile/lab.ts';
import { serviceKey, type Endpoint, type PlanService } from '../plan/services.ts';
import type { ClusterView } from './types.ts';


export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export interface ResolvInput {
  policy: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  hostNetwork: boolean;
  namespace: string;
  dnsConfig?: LabDnsConfig;
  /** Cluster DNS, when the lab has it. */
  cluster?: { serviceIP: string; domain: string };
  /** The node's own resolvers (the lab's `dns.nameservers`). */
  nodeNameservers: string[];
}

/**
 * kubelet's resolv.conf: ClusterFirst → the DNS Service, the namespace's search list, ndots:5;
 * a hostNetwork pod's ClusterFirst, and ClusterFirst without cluster DNS, fall back to Default
 * (the node's resolvers); None → dnsConfig alone. dnsConfig is then merged: nameservers and
 * searches appended (duplicates dropped), options replacing those of the same name.
 */
export function resolvConf(r: ResolvInput): ResolvConf {
  let policy = r.policy;
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  else if (policy === 'ClusterFirst' && r.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirst' && !r.cluster) policy = 'Default';
  let base: ResolvConf;
  if (policy === 'ClusterFirst') {
    const d = r.cluster!.domain;
    base = { nameservers: [r.cluster!.serviceIP], searches: [`${r.namespace}.svc.${d}`, `svc.${d}`, d], options: [`ndots:${DNS.ndots}`] };
  } else if (policy === 'Default') base = { nameservers: [...r.nodeNameservers], searches: [], options: [] };
  else base = { nameservers: [], searches: [], options: [] };
  const c = r.dnsConfig;
  if (!c) return base;
  const options = new Map(base.options.map((o) => [o.split(':')[0]!, o]));
  for (const o of c.options) options.set(o.name, o.value === undefined ? o.name : `${o.name}:${o.value}`);
  return {
    nameservers: [...new Set([...base.nameservers, ...c.nameservers])].slice(0, 3),
    searches: [...new Set([...base.searches, ...c.searches])],
    options: [...options.values()],
  };
}

export function renderResolvConf(conf: ResolvConf, banner: string): string {
  return template('resolv.conf')({ ...conf, banner });
}

/** A pod's /etc/hosts as kubelet writes it: localhost lines, then the pod's own address and names. */
export function renderHostsFile(pod: { name: string; namespace: string; hostname: string; subdomain?: string; ip: string }, domain: string, source: string): string {
  const names = pod.subdomain ? `${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${domain}\t${pod.hostname}` : pod.hostname;
  return template('hosts')({ pod: pod.name, namespace: pod.namespace, ip: pod.ip, names, source });
}

export interface ViewPod {
  name: string;
  namespace: string;
  ip: string;
  /** Every address, primary first (a dual-stack pod answers `a-b-c-d.ns.pod` in both families). */
  ips?: string[];
  hostNetwork: boolean;
  hostname: string;
  subdomain?: string;
}

/** The API server's view of the cluster, as the `kubernetes` plugin needs it; sorted, so it renders the same every time. */
export function clusterView(input: { namespaces: string[]; services: readonly PlanService[]; endpoints: Record<string, Endpoint[]>; pods: readonly ViewPod[] }): ClusterView {
  const podByName = new Map(input.pods.map((p) => [p.name, p]));
  const services = [...input.services].sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
  return {
    namespaces: [...input.namespaces].sort(),
    services: services.map((s) => ({
      name: s.name,
      namespace: s.namespace,
      type: s.type,
      ...(s.type === 'ExternalName' ? { externalName: s.externalName } : { clusterIP: s.headless ? 'None' : s.clusterIP }),
      ...(s.clusterIPs && s.clusterIPs.length > 1 ? { clusterIPs: s.clusterIPs } : {}),
      ports: s.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
    })),
    endpoints: services
      .filter((s) => input.endpoints[serviceKey(s)])
      .map((s) => {
        const eps = [...input.endpoints[serviceKey(s)]!].sort((a, b) => a.pod.localeCompare(b.pod));
        return {
          service: s.name,
          namespace: s.namespace,
          // A dual-stack endpoint is one address per family (Kubernetes keeps an EndpointSlice per family).
          addresses: eps.flatMap((e) => {
            const pod = podByName.get(e.pod);
            // The DNS spec names an endpoint by its pod's hostname only when the pod's subdomain is the Service.
            const hostname = pod?.subdomain === s.name ? pod.hostname : undefined;
            return (e.ips && e.ips[0] === e.ip ? e.ips : [e.ip]).filter((ip) => s.ipFamilies.length !== 1 || !e.ips || (ip.includes(':') ? 'IPv6' : 'IPv4') === s.ipFamilies[0]).map((ip) => ({ ip, ...(hostname ? { hostname } : {}), podName: e.pod, nodeName: e.node, ready: true }));
          }),
          ports: s.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: eps.find((e) => e.ports[p.key] !== undefined)?.ports[p.key] ?? (typeof p.targetPort === 'number' ? p.targetPort : p.port), protocol: p.protocol })),
        };
      }),
    pods: input.pods.flatMap((p) => (p.ips && p.ips.length > 1 && p.ips[0] === p.ip ? p.ips : [p.ip]).map((ip) => ({ name: p.name, namespace: p.namespace, ip, hostNetwork: p.hostNetwork }))).sort((a, b) => a.name.localeCompare(b.name)),
  };
}
