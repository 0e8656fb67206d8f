/**
 * The resolved lab: what validation hands to the planner. Every default is filled in, every
 * shorthand expanded, nothing optional that the planner would have to guess. Keyed records of
 * the authoring form become arrays in declaration order (order matters: node N gets slice N).
 */
import { DEFAULTS, IPV6_DEFAULTS } from '../constants.ts';
import { familyOfText, formatAddr, formatPrefix, parseAddr, parsePrefix, type Family } from '../net/addr.ts';
import { normalizeCni, type CniConfig } from '../cni/registry.ts';
import type { CheckSpec, ContainerSpec, LabSpec } from '../schema/lab-schema.ts';
import { kindOf, type LabCheck } from '../check/kinds/index.ts';
import { normalizeAction, type LabAction } from '../check/actions/index.ts';
import { normalizeNamespaces } from '../policy/normalize.ts';
import { normalizeClusterPolicy, type ClusterNetworkPolicy } from '../policy/cluster.ts';
import { normalizePolicy, type NamespaceLabels, type NetworkPolicy } from '../policy/types.ts';
import { containerLoops, expandDeployments, loopSettings, type ContainerLoops, type LabDeployment, type LoopSettings } from './loops.ts';
import { normalizeIngress } from '../ingress/normalize.ts';
import type { LabIngress } from '../ingress/types.ts';

export type WorkloadKind = 'http-echo' | 'tcp-echo' | 'udp-echo';

export interface Lab {
  name: string;
  description: string;
  /** Warning codes validate does not report for this lab (its `quietWarnings`). */
  quietWarnings?: string[];
  /** Lab file path as given (relative to the working directory), for banners and diagnostics. */
  source: string;
  nodeNetwork: { cidr: string; podTraffic: 'deliver' | 'drop' };
  nodes: LabNode[];
  /** The IPv4 pod network (unused by an IPv6-only lab, whose networks are in `ipv6`). */
  podCidr: string;
  podCidrMaskSize: number;
  serviceCidr: string;
  /** The lab's address families, primary first. */
  ipFamilies: Family[];
  /** The IPv6 networks, when ipFamilies holds IPv6. */
  ipv6?: LabIPv6;
  /** Per-family CIDR lists as written (a single CIDR is a list of one), for the family rules. */
  cidrsWritten: { nodeNetwork: string[]; podCidr: string[]; serviceCidr: string[]; externalNetwork: string[] };
  clusterDomain: string;
  namespaces: string[];
  /** Labels the author gave namespaces (NetworkPolicy namespaceSelectors); the name label is added where they are read. */
  namespaceLabels: NamespaceLabels;
  /** NetworkPolicies in declaration order, with the API's defaults filled in. */
  networkPolicies: NetworkPolicy[];
  /** ClusterNetworkPolicies in declaration order (evaluation order is by tier and priority). */
  clusterNetworkPolicies: ClusterNetworkPolicy[];
  /** What a policy does to a packet it denies (lab `policyDenyAction`, default 'Drop'). */
  policyDenyAction: 'Drop' | 'Reject';
  cni: CniConfig;
  pods: LabPod[];
  services: LabService[];
  natOutgoing: boolean;
  hosts: LabHost[];
  /** The external network's IPv4 prefix (an IPv6-only lab numbers its hosts with it inside; its IPv6 prefix is `ipv6.externalCidr`). */
  externalNetwork: { cidr: string };
  /**
   * The load-balancer pool, per family (MetalLB's IPAddressPool takes a list of addresses):
   * `pool` the IPv4 prefix the plan numbers with, `pool6` the IPv6 prefix as written. In an
   * IPv6-only lab `pool` is the IPv6 pool's twin inside the node network (the same host numbers,
   * see inside4; `pool6` itself when it has none, PL2415); in a lab with IPv4 it is the IPv4 pool
   * as written, absent when only an IPv6 one is. A family the lab lacks is not used.
   */
  loadBalancer?: { pool?: string; pool6?: string; written: string[] };
  /** Cluster DNS; absent when the lab says `dns: false`. */
  dns?: LabDns;
  /** Deployments in declaration order; their pods are in `pods` (with `owner`). */
  deployments: LabDeployment<LabContainer>[];
  /** The control loops' timings; absent when the lab uses none (no agent runs). */
  loops?: LoopSettings;
  /** Ingress classes, Ingresses and where the controller runs; absent when the lab declares none (src/ingress/). */
  ingress?: LabIngress;
  checks: LabCheck[];
  scenarios: LabScenario[];
}

export type { LabAction } from '../check/actions/action.ts';

export interface LabScenarioStep {
  /** Where the step was written, for diagnostics. */
  path: (string | number)[];
  action?: LabAction;
  check?: LabCheck;
}

export interface LabScenario {
  name: string;
  description: string;
  steps: LabScenarioStep[];
}

export interface LabDns {
  node: string;
  /** The author's Corefile; undefined means kubeadm's default for the cluster domain. */
  corefile?: string;
  files: Record<string, string>;
  /** As written: IPv4 addresses or `host/<name>`. */
  nameservers: string[];
}

export interface LabDnsConfig {
  nameservers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

export interface LabServicePort {
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  targetPort: number | string;
  nodePort?: number;
}

export interface LabIPv6 {
  nodeCidr: string;
  podCidr: string;
  podCidrMaskSize: number;
  serviceCidr: string;
  /** The external network's IPv6 prefix: `externalNetwork.cidr`'s IPv6 entry, else IPV6_DEFAULTS. */
  externalCidr: string;
}

export interface LabService {
  /** The key in `services`. */
  name: string;
  namespace: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  selector?: Record<string, string>;
  ports: LabServicePort[];
  /** As written: `clusterIP`, else the first of `clusterIPs`. */
  clusterIP?: string;
  /** As written (one per family, in `ipFamilies` order). */
  clusterIPs?: string[];
  ipFamilyPolicy: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  /** Resolved: the Service's families, primary first, each one the lab has; none for ExternalName. */
  ipFamilies: Family[];
  /** As written, for the family rules. */
  ipFamiliesWritten?: Family[];
  externalName?: string;
  /** As written; in an IPv6-only lab the IPv4 twin inside the node network of `loadBalancerIP6` (see inside4). */
  loadBalancerIP?: string;
  /** In an IPv6-only lab: the IPv6 address as written (`loadBalancerIP` is then its twin inside; itself when it has none). */
  loadBalancerIP6?: string;
  sessionAffinity: 'None' | 'ClientIP';
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  /** Pods that are not ready stay in the endpoints; set only when true. */
  publishNotReadyAddresses?: true;
}

export interface LabHost {
  name: string;
  network: 'nodes' | 'external';
  ip?: string;
  /** In an IPv6-only lab: the IPv6 address as written (`ip` is then its IPv4 twin inside its network, see inside4; itself when it has none). */
  ip6?: string;
  containers: LabContainer[];
  /** A DNS server on the host: its Corefile (undefined: one block per zone) and the files beside it. */
  dns?: { corefile?: string; zones: Record<string, string>; files: Record<string, string> };
}

export interface LabNode {
  name: string;
  role: 'control-plane' | 'worker';
  ip?: string;
  /** In an IPv6-only lab: the IPv6 address as written (`ip` is then its IPv4 twin inside, see inside4). */
  ip6?: string;
  interface: string;
  /** The node's own labels as written (nodeLabels adds the well-known ones). */
  labels?: Record<string, string>;
}

export interface LabPod {
  /** The key in `pods`: the pod's name. */
  name: string;
  namespace: string;
  node: string;
  labels: Record<string, string>;
  hostNetwork: boolean;
  /** One PID namespace for the pod (shareProcessNamespace); absent for the pods podlab adds itself (DNS, ingress controller). */
  shareProcessNamespace?: boolean;
  containers: LabContainer[];
  hostname?: string;
  subdomain?: string;
  dnsPolicy: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  dnsConfig?: LabDnsConfig;
  /** The Deployment that made the pod. */
  owner?: string;
}

export interface LabContainer extends ContainerLoops {
  name: string;
  workload?: { kind: WorkloadKind; port: number };
  command?: string[];
  ports: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP'; hostPort?: number }[];
  env: Record<string, string>;
}

/** A check as validated: a union on `kind` (one type family with PlanCheck; see check/kinds/). */
export type { LabCheck } from '../check/kinds/index.ts';
export type { DnsQuery as LabDnsQuery } from '../check/kinds/dns.ts';

const WORKLOAD_PORT: Record<WorkloadKind, { port: number; protocol: 'TCP' | 'UDP'; name: string }> = {
  'http-echo': { port: 8080, protocol: 'TCP', name: 'http' },
  'tcp-echo': { port: 9000, protocol: 'TCP', name: 'tcp-echo' },
  'udp-echo': { port: 9001, protocol: 'UDP', name: 'udp-echo' },
};

/** A CIDR list as written: a single CIDR is a list of one. */
const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
/** The family a written address or CIDR is meant in: text with a colon is IPv6 (so a bad IPv6 CIDR is judged as one). */
export { familyOfText };
const ipv4Of = (v: string | string[] | undefined) => listOf(v).find((t) => familyOfText(t) === 'IPv4');
const ipv6Of = (v: string | string[] | undefined) => listOf(v).find((t) => familyOfText(t) === 'IPv6');

/**
 * A Service's families as the API server defaults them: from `ipFamilies`, else from the cluster
 * IPs given, else the lab's primary family; a dual-stack policy on a dual-stack lab adds the
 * other family. Families the lab lacks are dropped here (the family rules report them).
 */
function serviceFamilies(s: NonNullable<LabSpec['services']>[string], lab: Family[]): Family[] {
  if (s.type === 'ExternalName') return [];
  const given = s.clusterIPs ?? (s.clusterIP && s.clusterIP !== 'None' ? [s.clusterIP] : []);
  const base = [...new Set(s.ipFamilies ?? given.map(familyOfText))].filter((f) => lab.includes(f));
  const primary = base[0] ?? lab[0]!;
  if ((s.ipFamilyPolicy ?? 'SingleStack') === 'SingleStack' || lab.length === 1) return [primary];
  return [primary, lab.find((f) => f !== primary)!];
}

/**
 * An IPv6-only lab numbers hosts as IPv4 inside (the plan's design: a pod's IPv6 address has the
 * host number its IPv4 one would have). A written IPv6 address or prefix inside the IPv6 node
 * network maps to the same host numbers in the IPv4 node network (fd00:172:16:94::b →
 * 172.16.94.11, fd00:172:16:94::f0/124 → 172.16.94.240/28), which no device ever shows; undefined
 * when it lies outside the IPv6 node network or beyond the IPv4 one's size (PL2415, PL2417).
 */
export function inside4(v6net: string, v4net: string, text: string): string | undefined {
  const n6 = parsePrefix(v6net);
  const n4 = parsePrefix(v4net);
  if (n6?.family !== 'IPv6' || n4?.family !== 'IPv4') return undefined;
  const hostBits = BigInt(32 - n4.bits);
  const p = text.includes('/') ? parsePrefix(text) : (() => {
    const a = parseAddr(text);
    return a ? { family: a.family, network: a.value, bits: 128 } : undefined;
  })();
  if (p?.family !== 'IPv6' || p.bits < n6.bits || (p.network & ~((1n << BigInt(128 - n6.bits)) - 1n)) !== n6.network) return undefined;
  const offset = p.network - n6.network;
  const size = 1n << BigInt(128 - p.bits);
  if (offset + size > 1n << hostBits) return undefined;
  const a4 = { family: 'IPv4' as const, value: n4.network + offset };
  return text.includes('/') ? formatPrefix({ family: 'IPv4', network: a4.value, bits: 32 - (128 - p.bits) }) : formatAddr(a4);
}

/** The load-balancer pool per family (see Lab.loadBalancer): the first CIDR of each family written. */
function poolOf(written: string[], families: readonly Family[], nodeNet6: string, nodeNet4: string): NonNullable<Lab['loadBalancer']> {
  const v4 = written.find((t) => familyOfText(t) === 'IPv4');
  const v6 = written.find((t) => familyOfText(t) === 'IPv6');
  if (!families.includes('IPv4')) {
    // An IPv6-only lab: an IPv4 pool alone stays `pool` for the rules to refuse (PL2404).
    if (v6 === undefined) return { pool: v4!, written };
    return { pool: inside4(nodeNet6, nodeNet4, v6) ?? v6, pool6: v6, written };
  }
  return { ...(v4 !== undefined ? { pool: v4 } : {}), ...(v6 !== undefined && families.includes('IPv6') ? { pool6: v6 } : {}), written };
}

/** Fills defaults. Input must already have passed the schema. */
export function normalize(spec: LabSpec, source: string): Lab {
  const families: Family[] = spec.ipFamilies?.length ? [...spec.ipFamilies] : ['IPv4'];
  const only6 = !families.includes('IPv4');
  const nodeNet4 = ipv4Of(spec.nodeNetwork?.cidr) ?? DEFAULTS.nodeNetworkCidr;
  const nodeNet6 = ipv6Of(spec.nodeNetwork?.cidr) ?? IPV6_DEFAULTS.nodeNetworkCidr;
  const extNet6 = ipv6Of(spec.externalNetwork?.cidr) ?? IPV6_DEFAULTS.externalNetworkCidr;
  const expanded = expandDeployments(spec, normalizeContainer);
  const loops = loopSettings(spec);
  return {
    name: spec.name,
    description: spec.description ?? '',
    ...(spec.quietWarnings?.length ? { quietWarnings: spec.quietWarnings } : {}),
    source,
    nodeNetwork: { cidr: nodeNet4, podTraffic: spec.nodeNetwork?.podTraffic ?? 'deliver' },
    nodes: Object.entries(spec.nodes).map(([name, n]) => ({
      name,
      role: n.role ?? 'worker',
      ...(only6 && n.ip !== undefined && familyOfText(n.ip) === 'IPv6' ? { ip: inside4(nodeNet6, nodeNet4, n.ip) ?? n.ip, ip6: n.ip } : { ip: n.ip }),
      interface: n.interface ?? 'eth0',
      ...(n.labels ? { labels: n.labels } : {}),
    })),
    podCidr: ipv4Of(spec.podCidr) ?? DEFAULTS.podCidr,
    podCidrMaskSize: spec.podCidrMaskSize ?? DEFAULTS.podCidrMaskSize,
    serviceCidr: ipv4Of(spec.serviceCidr) ?? DEFAULTS.serviceCidr,
    ipFamilies: families,
    ...(families.includes('IPv6')
      ? {
          ipv6: {
            nodeCidr: nodeNet6,
            podCidr: ipv6Of(spec.podCidr) ?? IPV6_DEFAULTS.podCidr,
            podCidrMaskSize: spec.podCidrMaskSizeIPv6 ?? IPV6_DEFAULTS.podCidrMaskSize,
            serviceCidr: ipv6Of(spec.serviceCidr) ?? IPV6_DEFAULTS.serviceCidr,
            externalCidr: ipv6Of(spec.externalNetwork?.cidr) ?? IPV6_DEFAULTS.externalNetworkCidr,
          },
        }
      : {}),
    cidrsWritten: { nodeNetwork: listOf(spec.nodeNetwork?.cidr), podCidr: listOf(spec.podCidr), serviceCidr: listOf(spec.serviceCidr), externalNetwork: listOf(spec.externalNetwork?.cidr) },
    clusterDomain: spec.clusterDomain ?? DEFAULTS.clusterDomain,
    ...normalizeNamespaces(spec.namespaces),
    networkPolicies: Object.entries(spec.networkPolicies ?? {}).map(([name, p]) => normalizePolicy(name, p)),
    clusterNetworkPolicies: Object.entries(spec.clusterNetworkPolicies ?? {}).map(([name, p]) => normalizeClusterPolicy(name, p)),
    cni: normalizeCni(spec.cni ?? DEFAULTS.cni, families),
    pods: Object.entries(spec.pods ?? {}).map(([name, p]) => ({
      name,
      namespace: p.namespace ?? DEFAULTS.namespace,
      node: p.node,
      labels: p.labels ?? {},
      hostNetwork: p.hostNetwork ?? false,
      ...(p.shareProcessNamespace ? { shareProcessNamespace: true } : {}),
      containers: (p.containers ?? []).map(normalizeContainer),
      hostname: p.hostname,
      subdomain: p.subdomain,
      dnsPolicy: p.dnsPolicy ?? 'ClusterFirst',
      dnsConfig: p.dnsConfig ? { nameservers: p.dnsConfig.nameservers ?? [], searches: p.dnsConfig.searches ?? [], options: p.dnsConfig.options ?? [] } : undefined,
    })).concat(expanded.pods.map((p) => ({ ...p, hostNetwork: false, dnsPolicy: 'ClusterFirst' as const, hostname: undefined, subdomain: undefined, dnsConfig: undefined }))),
    deployments: expanded.deployments,
    ...(loops ? { loops } : {}),
    services: Object.entries(spec.services ?? {}).map(([name, s]) => ({
      name,
      namespace: s.namespace ?? DEFAULTS.namespace,
      type: s.type ?? 'ClusterIP',
      // An empty selector selects nothing, as in Kubernetes (the Service's endpoints are managed by hand).
      selector: s.selector && Object.keys(s.selector).length ? s.selector : undefined,
      ports: (s.ports ?? []).map((p) => ({
        name: p.name,
        protocol: p.protocol ?? 'TCP',
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        nodePort: p.nodePort,
      })),
      clusterIP: s.clusterIP ?? s.clusterIPs?.[0],
      ...(s.clusterIPs ? { clusterIPs: s.clusterIPs } : {}),
      ipFamilyPolicy: s.ipFamilyPolicy ?? 'SingleStack',
      ipFamilies: serviceFamilies(s, families),
      ...(s.ipFamilies ? { ipFamiliesWritten: s.ipFamilies } : {}),
      externalName: s.externalName,
      ...(only6 && s.loadBalancerIP !== undefined && familyOfText(s.loadBalancerIP) === 'IPv6'
        ? { loadBalancerIP: inside4(nodeNet6, nodeNet4, s.loadBalancerIP) ?? s.loadBalancerIP, loadBalancerIP6: s.loadBalancerIP }
        : { loadBalancerIP: s.loadBalancerIP }),
      sessionAffinity: s.sessionAffinity ?? 'None',
      externalTrafficPolicy: s.externalTrafficPolicy ?? 'Cluster',
      internalTrafficPolicy: s.internalTrafficPolicy ?? 'Cluster',
      ...(s.publishNotReadyAddresses ? { publishNotReadyAddresses: true as const } : {}),
    })),
    natOutgoing: spec.natOutgoing ?? DEFAULTS.natOutgoing,
    policyDenyAction: spec.policyDenyAction ?? DEFAULTS.policyDenyAction,
    hosts: Object.entries(spec.hosts ?? {}).map(([name, h]) => ({
      name,
      network: h.network ?? 'nodes',
      ...(only6 && h.ip !== undefined && familyOfText(h.ip) === 'IPv6'
        ? { ip: (h.network === 'external' ? inside4(extNet6, DEFAULTS.externalNetworkCidr, h.ip) : inside4(nodeNet6, nodeNet4, h.ip)) ?? h.ip, ip6: h.ip }
        : { ip: h.ip }),
      containers: (h.containers ?? []).map(normalizeContainer),
      dns: h.dns ? { corefile: h.dns.corefile, zones: h.dns.zones ?? {}, files: h.dns.files ?? {} } : undefined,
    })),
    externalNetwork: { cidr: ipv4Of(spec.externalNetwork?.cidr) ?? DEFAULTS.externalNetworkCidr },
    ...(spec.loadBalancer ? { loadBalancer: poolOf(listOf(spec.loadBalancer.pool), families, nodeNet6, nodeNet4) } : {}),
    dns:
      spec.dns === false
        ? undefined
        : {
            node: spec.dns?.node ?? (Object.entries(spec.nodes).find(([, n]) => n.role === 'control-plane') ?? Object.entries(spec.nodes)[0])?.[0] ?? '',
            corefile: spec.dns?.corefile,
            files: spec.dns?.files ?? {},
            nameservers: spec.dns?.nameservers ?? [],
          },
    ...ingressOf(spec),
    checks: (spec.checks ?? []).map((c, index) => normalizeCheck(c, index, ['checks', index])),
    scenarios: Object.entries(spec.scenarios ?? {}).map(([name, sc]) => ({
      name,
      description: sc.description ?? '',
      steps: sc.steps.map((step, i): LabScenarioStep => {
        const path = ['scenarios', name, 'steps', i];
        return 'check' in step ? { check: normalizeCheck(step.check, i, [...path, 'check']), path } : { action: normalizeAction(step), path };
      }),
    })),
  };
}

function ingressOf(spec: LabSpec): { ingress?: LabIngress } {
  const nodes = Object.entries(spec.nodes);
  const node = (nodes.find(([, n]) => (n.role ?? 'worker') === 'worker') ?? nodes[0])?.[0] ?? '';
  const ingress = normalizeIngress(spec.ingressClasses, spec.ingresses, spec.ingressController, { node, hasPool: spec.loadBalancer !== undefined, family: spec.ipFamilies?.[0] ?? 'IPv4', ipv6Only: !(spec.ipFamilies?.length ? spec.ipFamilies : ['IPv4']).includes('IPv4') });
  return ingress ? { ingress } : {};
}

/** A check as the planner needs it; `at` is where it was written (for diagnostics), `index` its position there. */
export function normalizeCheck(c: CheckSpec, index: number, at: (string | number)[]): LabCheck {
  return kindOf(c.kind).normalize(c, index, at);
}

export function normalizeContainer(c: ContainerSpec): LabContainer {
  const workload = c.workload ? { kind: c.workload.kind, port: c.workload.port ?? WORKLOAD_PORT[c.workload.kind].port } : undefined;
  const declared = (c.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? ('TCP' as const), hostPort: p.hostPort }));
  const implied = workload && !declared.some((d) => d.containerPort === workload.port)
    ? [{ name: WORKLOAD_PORT[workload.kind].name, containerPort: workload.port, protocol: WORKLOAD_PORT[workload.kind].protocol }]
    : [];
  return { name: c.name, workload, command: c.command, ports: [...implied, ...declared], env: c.env ?? {}, ...containerLoops(c) };
}
