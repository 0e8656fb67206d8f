/**
 * Step "plan": a pure, deterministic function from the resolved lab to the Plan — every name,
 * address, MAC, VNI, route, CNI config and process the runtime will create. Render, apply, down,
 * status and checks all read this one object; nothing downstream chooses an address.
 */
import { DNS, FABRIC_BRIDGE, DEFAULTS, SERVICES, STATE_ROOT } from '../constants.ts';
import { planContainerLoops, planLoops, type PlanContainerLoops, type PlanLoops } from './loops.ts';
import { cniMode, type NodeCni } from '../cni/registry.ts';
import type { CniConflist, CniNodeInput, Route } from '../cni/types.ts';
import type { Lab, LabAction, LabContainer, LabPod, LabService } from '../compile/lab.ts';
import { kindOf, type PlanCheck } from '../check/kinds/index.ts';
import type { Peers } from '../check/kinds/targets.ts';
import { resolvConf, type ResolvConf } from '../dns/cluster.ts';
import { defaultCorefile, hostCorefile, zoneFileName } from '../dns/corefile/defaults.ts';
import { IPV6_FLAG } from '../dns/marks.ts';
import * as ip from '../net/ipv4.ts';
import { formatAddr, formatPrefix, nth, parseAddr, parsePrefix, subnet, type Family, type Prefix } from '../net/addr.ts';
import { ipv6Twin, planNetworks, type Networks } from './addresses.ts';
import { containerId, fabricPortName, hostPortName, macFor, netns } from './names.ts';
import { dnsServiceIp } from '../k8s/objects.ts';
import { nodeLabels } from '../k8s/manifests.ts';
import { computeEndpoints, planServices, type Endpoint, type PlanService } from './services.ts';
import { planNetworkPolicy, type PlanNetworkPolicy } from './network-policy.ts';
import { ingressPod, ingressService, planIngress, type PlanIngress } from './ingress.ts';

/** The second bridge in the fabric namespace: the external network beyond the gateway. */
export const EXTERNAL_BRIDGE = 'br1';

export const PLAN_VERSION = 1;

export type { CniConflist, Route };

export interface PlanNode {
  name: string;
  role: 'control-plane' | 'worker';
  netns: string;
  /** The node's link to the node network. */
  iface: string;
  /** Its peer, on the fabric bridge. */
  fabricPort: string;
  /** The primary family's address: `ips[0]` (as a Node's status keeps InternalIP per family). */
  ip: string;
  /** The node's addresses on the node network, one per family, primary family first. */
  ips: string[];
  prefixLen: number;
  mac: string;
  mtu: number;
  /** The primary family's pod CIDR: `podCidrs[0]` (Node `spec.podCIDR` beside `spec.podCIDRs`). */
  podCidr: string;
  /** The node's pod CIDRs, one per family, primary family first (Node `spec.podCIDRs`). */
  podCidrs: string[];
  podGateway: string;
  routes: Route[];
  /**
   * In a lab without a gateway (no default route on the nodes): a link route to each Service CIDR,
   * so the node's own connections to a ClusterIP (a node agent, a hostNetwork pod, `dig` on the
   * node) are routed at all and meet kube-proxy's DNAT. A real node has its default route for that.
   */
  serviceRoutes?: { dst: string; dev: string }[];
  /** The CNI mode's own share of the node (e.g. flannel's VXLAN device and peers). */
  cni: NodeCni;
  /** The CNI network configuration list handed to the plugins on this node. */
  conflist: CniConflist;
}

export interface PlanContainer extends PlanContainerLoops {
  name: string;
  argv: string[];
  /** The image a template written through the API named, when it is not the one podlab shows for this program (api/kinds/containers.ts). */
  image?: string;
  env: Record<string, string>;
  ports: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP'; hostPort?: number }[];
}

/** A link to a fabric bridge: a host's, or one side of the gateway's. */
export interface FabricLink {
  iface: string;
  fabricPort: string;
  /** The fabric bridge it hangs off. */
  bridge: string;
  ip: string;
  prefixLen: number;
  /** In a lab with IPv6: its IPv6 address (the IPv4 host number in the network's IPv6 prefix) and that prefix's length. */
  ip6?: string;
  prefixLen6?: number;
  mac: string;
}

/** A machine outside the cluster, in its own namespace, linked to the node network or the external one. */
export interface PlanHost extends FabricLink {
  name: string;
  network: 'nodes' | 'external';
  netns: string;
  /** Its addresses, one per family of the lab, primary first (`ip` is the IPv4 one). */
  ips: string[];
  /** Its default route (the gateway), when the lab has one; `defaultVia6` the IPv6 one. */
  defaultVia?: string;
  defaultVia6?: string;
  containers: PlanContainer[];
  /** A DNS server on the host (its container is in `containers`): the Corefile and the files beside it. */
  dns?: { corefile: string; files: Record<string, string> };
}

/** Cluster DNS: the kube-system/coredns pod (in `pods`) behind the kube-dns Service (in `services`). */
export interface PlanDns {
  serviceIP: string;
  domain: string;
  node: string;
  pod: string;
  /** The Corefile text, and whether the author wrote it (or it is kubeadm's default). */
  corefile: string;
  corefileGiven: boolean;
  /** Files beside the Corefile, by name. */
  files: Record<string, string>;
  /** The nodes' resolvers, as addresses. */
  nameservers: string[];
}

/**
 * The lab's router between the node network and the external network, and the holder of the
 * load-balancer pool (the cloud load balancer, or MetalLB). Present when a host is external or a pool is declared.
 */
export interface PlanGateway {
  netns: string;
  nodeSide: FabricLink;
  externalSide?: FabricLink;
  /** Load-balancer addresses it answers for (on its loopback). */
  loadBalancerIps: string[];
  /** In a lab with IPv6: the IPv6 load-balancer addresses (on its node-network side, so that it answers neighbour solicitations for them). */
  loadBalancerIps6?: string[];
  /** Return routes to each node's pod CIDR, so pod IPs are routable when natOutgoing is off. */
  routes: Route[];
}

export interface PlanPod {
  name: string;
  namespace: string;
  node: string;
  hostNetwork: boolean;
  /**
   * One PID namespace for the pod, held by its pause process (shareProcessNamespace). Only
   * present when true, so the plans of labs without it read as before.
   */
  shareProcessNamespace?: true;
  /** For hostNetwork pods this is the node's namespace. */
  netns: string;
  hostname: string;
  /** The address the plan asks host-local for (CNI_ARGS IP=…); a hostNetwork pod has the node IP. `ips[0]`, as status.podIP. */
  ip: string;
  /** The pod's addresses, one per family, primary family first (status.podIPs). */
  ips: string[];
  labels: Record<string, string>;
  containerId: string;
  containers: PlanContainer[];
  /** Names the pod in DNS under a headless Service of that name (with `hostname`). */
  subdomain?: string;
  dnsPolicy: LabPod['dnsPolicy'];
  /** Its /etc/resolv.conf. */
  resolv: ResolvConf;
  /** Set on the pods podlab adds itself (the cluster DNS pod). */
  system?: 'dns';
  /** A copy made by a scenario's `scale` (live state only): the pod it copies, and its number (2, 3, …). */
  replicaOf?: string;
  replica?: number;
  /** The Deployment that made the pod (its ReplicaSet loop replaces it). */
  owner?: string;
}

export type { TargetKind } from '../check/kinds/targets.ts';

/** A check as planned: a union on `kind` (one type family with LabCheck; see check/kinds/). */
export type { PlanCheck } from '../check/kinds/index.ts';

/** Scenario steps in order; actions name pods and nodes as the lab does. */
export interface PlanScenario {
  name: string;
  description: string;
  steps: { action?: LabAction; check?: PlanCheck }[];
}

export interface Plan {
  version: number;
  lab: string;
  description: string;
  source: string;
  cni: Lab['cni'];
  clusterDomain: string;
  /** The lab's address families, primary first (a single-stack lab has one). */
  ipFamilies: Family[];
  /** The primary family's Service CIDR: `serviceCidrs[0]`. */
  serviceCidr: string;
  /** Service CIDRs, one per family in `ipFamilies` order (kube-apiserver's --service-cluster-ip-range). */
  serviceCidrs: string[];
  /** The primary family's pod network: `podCidrs[0]`. */
  podCidr: string;
  /** Pod networks, one per family in `ipFamilies` order (kube-controller-manager's --cluster-cidr). */
  podCidrs: string[];
  /** podTraffic 'drop': the fabric bridge drops packets from or to podCidr (`underlayTable` in nft-tables.ts; rendered as nft/fabric.nft, applied by the nft sync). */
  nodeNetwork: { cidr: string; /** With IPv6: one per family, in ipFamilies order. */ cidrs?: string[]; bridge: string; podTraffic: 'deliver' | 'drop' };
  fabric: { netns: string };
  /** Where the live lab keeps state; the host-local IPAM data of each node lives below it. */
  stateDir: string;
  nodes: PlanNode[];
  pods: PlanPod[];
  services: PlanService[];
  /** Endpoints as planned (every selected pod ready, at its planned IP); the live lab recomputes them. */
  endpoints: Record<string, Endpoint[]>;
  natOutgoing: boolean;
  hosts: PlanHost[];
  gateway?: PlanGateway;
  /** Kubernetes namespaces of the lab. */
  namespaces: string[];
  dns?: PlanDns;
  externalNetwork?: { cidr: string; bridge: string };
  checks: PlanCheck[];
  scenarios: PlanScenario[];
  /** Kernel features the lab needs; the runtime probes them before touching anything. */
  kernelFeatures: string[];
  /**
   * Every container gets a root of its own (contain --only: the system's program trees, podlab's
   * workload, the pod's own files; render's containerOnly): set by `grade` for a lab built from a
   * submission, where no host path may be reachable (SECURITY.md). Absent for `up`.
   */
  ownRoots?: true;
  /** NetworkPolicies and namespace labels; absent when the lab has none (src/policy/). */
  networkPolicy?: PlanNetworkPolicy;
  /** The control loops (restarts, probes, Deployments); absent when the lab uses none: no agent runs. */
  loops?: PlanLoops<PlanPod>;
  /** The ingress controller and the Ingresses it serves; absent when the lab has none (src/ingress/). */
  ingress?: PlanIngress;
}

/**
 * The plan, pass by pass. Each pass is a pure function of the lab and what the passes before it
 * chose; the order is the order of dependence: addresses on the node network first, then the
 * hosts on it, the pod network (the CNI mode's nodes and pod addresses), cluster DNS, the pods,
 * the Services and their endpoints, the gateway, the checks, and the kernel features it all needs.
 */
export function buildPlan(lab: Lab): Plan {
  const stateDir = `${STATE_ROOT}/${lab.name}`;
  const net = planNetworks(lab);
  const hosts = planHosts(lab, net, stateDir);
  const ingress = planIngress(lab.ingress, stateDir);
  const cluster = planPodNetwork(lab, net, stateDir, ingress);
  const dns = planClusterDns(lab, hosts);
  const pods = planPods(lab, cluster, dns);
  const services = withLoadBalancerIPv6(planServices({ services: lab.ingress ? [...dns.services, ingressService(lab.ingress)] : dns.services, serviceCidr: ip.parseCidr(lab.serviceCidr)!, ...(net.ipv6 ? { serviceCidr6: net.ipv6.serviceNet } : {}), pool: net.pool, poolTaken: net.taken, ...pool6Of(lab, net) }), net);
  const endpoints = computeEndpoints(services, pods);
  const gateway = planGateway(lab, net, cluster, services);
  const { checks, scenarios } = planChecks(lab, { stateDir, nodes: cluster.nodes, pods, hosts, services, ...(ingress ? { ingress } : {}) });
  const networkPolicy = planNetworkPolicy(lab);
  const loops = planLoops(lab, pods);
  const { nodeNet, extNet } = net;

  return {
    version: PLAN_VERSION,
    lab: lab.name,
    description: lab.description,
    source: lab.source,
    cni: lab.cni,
    clusterDomain: lab.clusterDomain,
    ipFamilies: lab.ipFamilies,
    // An IPv6-only lab's singular fields are its IPv6 ones, as every list (it has no IPv4 network).
    serviceCidr: onlyIPv6(lab) ? lab.ipv6!.serviceCidr : lab.serviceCidr,
    serviceCidrs: byFamily(lab.ipFamilies, lab.serviceCidr, lab.ipv6?.serviceCidr),
    podCidr: onlyIPv6(lab) ? lab.ipv6!.podCidr : lab.podCidr,
    podCidrs: byFamily(lab.ipFamilies, lab.podCidr, lab.ipv6?.podCidr),
    nodeNetwork: { cidr: onlyIPv6(lab) ? lab.ipv6!.nodeCidr : ip.formatCidr(nodeNet), ...(lab.ipv6 ? { cidrs: byFamily(lab.ipFamilies, ip.formatCidr(nodeNet), lab.ipv6.nodeCidr) } : {}), bridge: FABRIC_BRIDGE, podTraffic: lab.nodeNetwork.podTraffic },
    fabric: { netns: netns.fabric(lab.name) },
    stateDir,
    nodes: cluster.nodes,
    pods,
    services,
    endpoints,
    natOutgoing: cluster.mode.kubeProxyNat(lab.cni, lab.natOutgoing),
    hosts,
    ...(gateway ? { gateway } : {}),
    namespaces: ingress && !lab.namespaces.includes(ingress.namespace) ? [...lab.namespaces, ingress.namespace] : lab.namespaces,
    ...(dns.plan ? { dns: dns.plan } : {}),
    ...(net.hasExternal ? { externalNetwork: { cidr: onlyIPv6(lab) ? formatPrefix(net.ipv6!.extNet) : ip.formatCidr(extNet), bridge: EXTERNAL_BRIDGE } } : {}),
    checks,
    scenarios,
    kernelFeatures: [
      'veth',
      'bridge',
      ...cluster.mode.kernelFeatures(lab.cni),
      'nftables',
      'br_netfilter',
      ...(lab.nodeNetwork.podTraffic === 'drop' ? ['nft-bridge'] : []),
      ...(networkPolicy ? ['nft-policy'] : []),
      ...(cluster.nodes.some((n) => n.conflist.plugins.some((p) => p.type === 'portmap')) ? ['iptables'] : []),
      ...(ingress ? ['ingress'] : []),
    ],
    ...(networkPolicy ? { networkPolicy } : {}),
    ...(loops ? { loops } : {}),
    ...(ingress ? { ingress } : {}),
  };
}

/**
 * An IPv6-only lab (`ipFamilies: ['IPv6']`): the plan still numbers nodes and pods with the IPv4
 * defaults inside (a pod's IPv6 address has the host number its IPv4 one would have), but every
 * address, CIDR and singular field it hands on is IPv6, and nothing IPv4 is configured.
 */
export const onlyIPv6 = (lab: { ipFamilies: readonly Family[] }): boolean => !lab.ipFamilies.includes('IPv4');

/** One value per family of the lab, in ipFamilies order (the primary family first). */
export function byFamily<T>(families: readonly Family[], v4: T, v6: T | undefined): T[] {
  return families.flatMap((f) => (f === 'IPv4' ? [v4] : v6 === undefined ? [] : [v6]));
}

/** A node's IPv6 share: its address (from the networks pass), slice N of the IPv6 pod network, and ::1 of it as the pods' gateway. */
function ipv6Input(v6: NonNullable<Networks['ipv6']>, i: number, families: readonly Family[]): NonNullable<CniNodeInput['ipv6']> {
  const slice = subnet(v6.podNet, v6.podMaskSize, i)!;
  return { ip: v6.nodeIps[i]!, slice, podGateway: formatAddr(nth(slice, 1)!), primary: families[0] === 'IPv6', ...(onlyIPv6({ ipFamilies: families }) ? { only: true } : {}) };
}

/** Pass "hosts": the machines outside the cluster, each in its own namespace, with its programs. */
function planHosts(lab: Lab, net: Networks, stateDir: string): PlanHost[] {
  const v6 = net.ipv6;
  return lab.hosts.map((h, i) => {
    const external = h.network === 'external';
    const shared = { name: h.name, network: h.network, netns: netns.host(lab.name, h.name), iface: 'eth0', fabricPort: hostPortName(h.name), bridge: external ? EXTERNAL_BRIDGE : FABRIC_BRIDGE };
    const mac = macFor(`${lab.name}/host/${h.name}`);
    const programs = {
      containers: [...h.containers.map((c) => planContainer(c, h.name)), ...(h.dns ? [dnsContainer(`${stateDir}/rendered/hosts/${h.name}/Corefile`, 'dns')] : [])],
      ...(h.dns ? { dns: hostDns(h.dns) } : {}),
    };
    // An IPv6-only lab: the host's one address is its IPv6 one, its default route the gateway's IPv6 address.
    if (v6 && onlyIPv6(lab)) {
      const addr = { ip: v6.hostIps[i]!, prefixLen: (external ? v6.extNet : v6.nodeNet).bits, ips: [v6.hostIps[i]!] };
      return { ...shared, ...addr, mac, ...(net.hasGateway ? { defaultVia: external ? v6.gatewayExtIp : v6.gatewayIp } : {}), ...programs };
    }
    return {
      ...shared,
      ip: net.hostIps[i]!,
      prefixLen: external ? net.extNet.prefix : net.nodeNet.prefix,
      ...(v6 ? { ip6: v6.hostIps[i]!, prefixLen6: (external ? v6.extNet : v6.nodeNet).bits } : {}),
      ips: byFamily(lab.ipFamilies, net.hostIps[i]!, v6?.hostIps[i]),
      mac,
      ...(net.hasGateway ? { defaultVia: ip.formatIp(external ? net.gatewayExtIp : net.gatewayIp), ...(v6 ? { defaultVia6: external ? v6.gatewayExtIp : v6.gatewayIp } : {}) } : {}),
      ...programs,
    };
  });
}

interface PodNetwork {
  mode: ReturnType<typeof cniMode>;
  nodes: PlanNode[];
  /** Each node's pod CIDRs (a slice, or the CNI mode's blocks), by node index. */
  nodeCidrs: ip.Cidr[][];
  /** The address of every pod with a network of its own (cluster DNS's included). */
  podIps: Map<LabPod, string>;
  /** Their IPv6 addresses, in a lab with IPv6. */
  podIps6: Map<LabPod, string>;
  /** The lab's pods and, with cluster DNS, its pod last (so adding DNS moves no address of the author's). */
  labPods: LabPod[];
}

/**
 * Pass "nodes": node N gets slice N of the pod network; the CNI mode chooses the pods' addresses
 * (from the slices, or its own IPAM) and plans the rest of each node (routes, devices, conflist).
 */
function planPodNetwork(lab: Lab, net: Networks, stateDir: string, ingress?: PlanIngress): PodNetwork {
  const mtu = DEFAULTS.mtu;
  const cniInputs: CniNodeInput[] = lab.nodes.map((n, i) => {
    const slice = ip.subnet(net.podNet, lab.podCidrMaskSize, i);
    return {
      name: n.name,
      ip: net.nodeIps[i]!,
      iface: n.interface,
      slice,
      podGateway: ip.formatIp(ip.nth(slice, 1)),
      labels: nodeLabels(n),
      hostPorts: lab.pods.some((p) => p.node === n.name && !p.hostNetwork && p.containers.some((c) => c.ports.some((q) => q.hostPort))),
      ...(net.ipv6 ? { ipv6: ipv6Input(net.ipv6, i, lab.ipFamilies) } : {}),
    };
  });
  const mode = cniMode(lab.cni.type);
  // System pods last (so adding them moves no address of the author's): cluster DNS, then the ingress controller.
  const labPods = [...lab.pods, ...(lab.dns ? [dnsPod(lab.dns.node, lab.ipFamilies.includes('IPv6'))] : []), ...(lab.ingress && ingress ? [ingressPod(lab.ingress, ingress.confFile)] : [])];
  const nodeIndex = new Map(lab.nodes.map((n, i) => [n.name, i]));
  const networked = labPods.filter((p) => !p.hostNetwork);
  const addresses = mode.addressPods({ config: lab.cni, podCidr: net.podNet, ...(net.ipv6 ? { podCidr6: net.ipv6.podNet } : {}), nodes: cniInputs, pods: networked.map((p) => ({ node: nodeIndex.get(p.node)! })) });
  const podIps = new Map(networked.map((p, i) => [p, addresses.pods[i]!]));
  // A pod's IPv6 address: the mode's IPv6 IPAM's (Calico's IPv6 blocks), else its IPv4 host number in its node's IPv6 slice (10.244.1.5 → fd00:10:244:1::5).
  const own6 = addresses.ipv6;
  const podIps6 = new Map(
    own6
      ? networked.map((p, i) => [p, own6.pods[i]!])
      : cniInputs[0]?.ipv6
      ? networked.map((p) => {
          const node = cniInputs[nodeIndex.get(p.node)!]!;
          return [p, formatAddr(nth(node.ipv6!.slice, ip.parseIp(podIps.get(p)!)! - node.slice.network)!)];
        })
      : [],
  );
  const cniPlans = mode.planNodes({
    lab: lab.name,
    config: lab.cni,
    nodes: cniInputs,
    nodeCidrs: addresses.nodeCidrs,
    ipamDir: `${stateDir}/ipam`,
    mtu,
    natOutgoing: lab.natOutgoing,
    podCidr: net.podNet,
    pods: networked.map((p) => ({ name: p.name, namespace: p.namespace, node: nodeIndex.get(p.node)!, ip: podIps.get(p)!, ...(podIps6.has(p) ? { ip6: podIps6.get(p)! } : {}) })),
    ...(own6 && net.ipv6 ? { ipv6: { podCidr: net.ipv6.podNet, nodeCidrs: own6.nodeCidrs } } : {}),
  });

  const nodes: PlanNode[] = lab.nodes.map((n, i) => {
    const input = cniInputs[i]!;
    const cni = cniPlans[i]!;
    const routes: Route[] = [...cni.routes];
    const only = input.ipv6?.only ? input.ipv6 : undefined;
    if (net.hasGateway) routes.push(...(only ? [] : [{ dst: 'default', via: ip.formatIp(net.gatewayIp), dev: n.interface }]), ...(net.ipv6 ? [{ dst: 'default', via: net.ipv6.gatewayIp, dev: n.interface }] : []));
    return {
      name: n.name,
      role: n.role,
      netns: netns.node(lab.name, n.name),
      iface: n.interface,
      fabricPort: fabricPortName(n.name),
      ip: only ? only.ip : input.ip,
      ips: byFamily(lab.ipFamilies, input.ip, input.ipv6?.ip),
      prefixLen: only ? net.ipv6!.nodeNet.bits : net.nodeNet.prefix,
      mac: macFor(`${lab.name}/node/${n.name}`),
      mtu,
      // An IPv6-only node's pod CIDR: its first IPv6 block when the mode numbers IPv6 pods itself (Calico), else its IPv6 slice.
      podCidr: only ? formatPrefix(own6?.nodeCidrs[i]![0] ?? only.slice) : ip.formatCidr(addresses.nodeCidrs[i]![0]!),
      podCidrs: byFamily(lab.ipFamilies, ip.formatCidr(addresses.nodeCidrs[i]![0]!), input.ipv6 && formatPrefix(own6?.nodeCidrs[i]![0] ?? input.ipv6.slice)),
      podGateway: only ? (own6?.nodeGateways?.[i] ?? only.podGateway) : addresses.nodeGateways[i]!,
      routes,
      ...(net.hasGateway ? {} : { serviceRoutes: byFamily(lab.ipFamilies, lab.serviceCidr, lab.ipv6?.serviceCidr).map((dst) => ({ dst, dev: n.interface })) }),
      cni: cni.data as NodeCni,
      conflist: cni.conflist,
    };
  });
  return { mode, nodes, nodeCidrs: addresses.nodeCidrs, podIps, podIps6, labPods };
}

interface ClusterDnsPass {
  /** The plan's `dns`, absent with `dns: false`. */
  plan?: PlanDns;
  /** What pods' resolv.conf points at: the kube-dns Service and the cluster domain. */
  cluster?: { serviceIP: string; domain: string };
  /** The nodes' resolvers, as addresses. */
  nameservers: string[];
  /** The lab's Services and, with cluster DNS, kube-dns last. */
  services: LabService[];
}

/** Pass "dns": cluster DNS as kubeadm sets it up, a kube-system pod behind the kube-dns Service at serviceCidr's .10. */
function planClusterDns(lab: Lab, hosts: readonly PlanHost[]): ClusterDnsPass {
  const dnsIp = ip.formatIp(dnsServiceIp(ip.parseCidr(lab.serviceCidr)!));
  const dnsIp6 = lab.ipv6 && formatAddr(nth(parsePrefix(lab.ipv6.serviceCidr)!, SERVICES.dnsHost)!);
  // Pods ask kube-dns at its primary family's cluster IP (kubeadm's clusterDNS is the first service subnet's .10).
  const resolverIp = lab.ipFamilies[0] === 'IPv6' && dnsIp6 ? dnsIp6 : dnsIp;
  const nameservers = (lab.dns?.nameservers ?? []).map((r) => (r.startsWith('host/') ? (hosts.find((h) => `host/${h.name}` === r)?.ip ?? r) : r));
  if (!lab.dns) return { nameservers, services: lab.services };
  return {
    plan: {
      serviceIP: onlyIPv6(lab) && dnsIp6 ? dnsIp6 : dnsIp,
      domain: lab.clusterDomain,
      node: lab.dns.node,
      pod: DNS.podName,
      corefile: lab.dns.corefile ?? defaultCorefile(lab.clusterDomain),
      corefileGiven: lab.dns.corefile !== undefined,
      files: lab.dns.files,
      nameservers,
    },
    cluster: { serviceIP: resolverIp, domain: lab.clusterDomain },
    nameservers,
    services: [...lab.services, dnsService(dnsIp, lab.ipFamilies, dnsIp6)],
  };
}

/** Pass "pods": every pod's namespace, address, hostname, containers and resolv.conf. */
function planPods(lab: Lab, cluster: PodNetwork, dns: ClusterDnsPass): PlanPod[] {
  const nodeByName = new Map(cluster.nodes.map((n) => [n.name, n]));
  return cluster.labPods.map((p) => {
    const node = nodeByName.get(p.node)!;
    return {
      name: p.name,
      namespace: p.namespace,
      node: p.node,
      hostNetwork: p.hostNetwork,
      ...(p.shareProcessNamespace ? { shareProcessNamespace: true as const } : {}),
      netns: p.hostNetwork ? node.netns : netns.pod(lab.name, p.namespace, p.name),
      hostname: p.hostNetwork ? p.node : (p.hostname ?? p.name),
      ip: p.hostNetwork ? node.ip : onlyIPv6(lab) ? cluster.podIps6.get(p)! : cluster.podIps.get(p)!,
      ips: p.hostNetwork ? node.ips : byFamily(lab.ipFamilies, cluster.podIps.get(p)!, cluster.podIps6.get(p)),
      labels: p.labels,
      containerId: containerId(lab.name, p.namespace, p.name),
      containers: p.containers.map((c) => planContainer(c, p.name)),
      ...(p.subdomain ? { subdomain: p.subdomain } : {}),
      dnsPolicy: p.dnsPolicy,
      resolv: resolvConf({ policy: p.dnsPolicy, hostNetwork: p.hostNetwork, namespace: p.namespace, dnsConfig: p.dnsConfig, cluster: dns.cluster, nodeNameservers: dns.nameservers }),
      ...(lab.dns && p.namespace === DNS.namespace && p.name === DNS.podName ? { system: 'dns' as const } : {}),
      ...(p.owner ? { owner: p.owner } : {}),
    };
  });
}

/**
 * A load-balancer address per family for the LoadBalancer Services with IPv6 among their families,
 * when the pool lies in the node network: the IPv6 one is the IPv4 one's twin in the IPv6 node
 * network (172.16.94.240 → fd00:172:16:94::f0), which the gateway holds beside it.
 */
function withLoadBalancerIPv6(services: PlanService[], net: Networks): PlanService[] {
  const v6 = net.ipv6;
  if (!v6 || !net.pool || !ip.contains(net.nodeNet, net.pool.network)) return services;
  return services.map((s) => {
    // Those with an address from the pool's IPv6 CIDR have it already (planServices).
    if (!s.loadBalancerIP || !s.ipFamilies?.includes('IPv6') || s.loadBalancerIPs) return s;
    const twin = ipv6Twin(net.nodeNet, v6.nodeNet, s.loadBalancerIP);
    // An IPv6-only lab's pool is IPv6 (numbered as IPv4 inside, see inside4): the Service's one address is the twin.
    if (!s.ipFamilies.includes('IPv4')) return { ...s, loadBalancerIP: twin, loadBalancerIPs: [twin] };
    return { ...s, loadBalancerIPs: s.ipFamilies.map((f) => (f === 'IPv6' ? twin : s.loadBalancerIP!)) };
  });
}

/**
 * A lab with IPv4 whose pool lists an IPv6 CIDR: the pool IPv6 load-balancer addresses come from,
 * and the IPv6 addresses already someone's (an IPv6-only lab numbers its pool as IPv4 inside).
 */
function pool6Of(lab: Lab, net: Networks): { pool6?: Prefix; pool6Taken?: Set<bigint> } {
  const v6 = net.ipv6;
  if (!v6 || onlyIPv6(lab) || lab.loadBalancer?.pool6 === undefined) return {};
  const owned = [...v6.nodeIps, ...v6.hostIps, ...(net.hasGateway ? [v6.gatewayIp] : []), ...(net.hasExternal ? [v6.gatewayExtIp] : [])];
  return { pool6: parsePrefix(lab.loadBalancer.pool6)!, pool6Taken: new Set(owned.map((a) => parseAddr(a)!.value)) };
}

/** Pass "gateway": the router to the external network and holder of the load-balancer addresses, when the lab needs one. */
function planGateway(lab: Lab, net: Networks, cluster: PodNetwork, services: readonly PlanService[]): PlanGateway | undefined {
  if (!net.hasGateway) return undefined;
  const v6 = net.ipv6;
  // An IPv6-only lab: each side has its IPv6 address alone, load-balancer addresses are IPv6, and
  // the return routes are the nodes' IPv6 slices via their IPv6 addresses.
  if (v6 && onlyIPv6(lab))
    return {
      netns: netns.gateway(lab.name),
      nodeSide: { iface: 'eth0', fabricPort: 'gw.nodes', bridge: FABRIC_BRIDGE, ip: v6.gatewayIp, prefixLen: v6.nodeNet.bits, mac: macFor(`${lab.name}/gateway/nodes`) },
      ...(net.hasExternal ? { externalSide: { iface: 'eth1', fabricPort: 'gw.ext', bridge: EXTERNAL_BRIDGE, ip: v6.gatewayExtIp, prefixLen: v6.extNet.bits, mac: macFor(`${lab.name}/gateway/ext`) } } : {}),
      loadBalancerIps: [],
      loadBalancerIps6: services.flatMap((s) => s.loadBalancerIPs?.filter((a) => a.includes(':')) ?? []),
      routes: gatewayRoutes(cluster.nodes),
    };
  return {
    netns: netns.gateway(lab.name),
    nodeSide: { iface: 'eth0', fabricPort: 'gw.nodes', bridge: FABRIC_BRIDGE, ip: ip.formatIp(net.gatewayIp), prefixLen: net.nodeNet.prefix, ...(v6 ? { ip6: v6.gatewayIp, prefixLen6: v6.nodeNet.bits } : {}), mac: macFor(`${lab.name}/gateway/nodes`) },
    ...(net.hasExternal
      ? { externalSide: { iface: 'eth1', fabricPort: 'gw.ext', bridge: EXTERNAL_BRIDGE, ip: ip.formatIp(net.gatewayExtIp), prefixLen: net.extNet.prefix, ...(v6 ? { ip6: v6.gatewayExtIp, prefixLen6: v6.extNet.bits } : {}), mac: macFor(`${lab.name}/gateway/ext`) } }
      : {}),
    loadBalancerIps: services.flatMap((s) => (s.loadBalancerIP && !s.loadBalancerIP.includes(':') ? [s.loadBalancerIP] : [])),
    ...(v6 ? { loadBalancerIps6: services.flatMap((s) => s.loadBalancerIPs?.filter((a) => a.includes(':')) ?? []) } : {}),
    routes: gatewayRoutes(cluster.nodes),
  };
}

/**
 * The gateway's return routes: each node's pod CIDRs that the network upstream of the nodes
 * knows (the CNI mode's `upstreamCidrs`, else all of them), via the node's address of the family.
 * A pure function of the nodes, so a live change (a Calico pool's natOutgoing, a new block) can
 * recompute them (runtime/gateway-routes.ts).
 */
export function gatewayRoutes(nodes: readonly PlanNode[]): Route[] {
  const mode = nodes[0] && cniMode(nodes[0].cni.type);
  return nodes.flatMap((n) =>
    (mode?.upstreamCidrs ? mode.upstreamCidrs(n) : n.podCidrs)
      .map((dst) => ({ dst, via: n.ips.find((a) => a.includes(':') === dst.includes(':')) ?? n.ip, dev: 'eth0' }))
      // IPv4 first, then IPv6, whichever family is primary.
      .sort((a, b) => Number(a.dst.includes(':')) - Number(b.dst.includes(':'))),
  );
}

/** Pass "checks": every check and scenario step resolved against the planned objects, by its kind's module. */
function planChecks(lab: Lab, peers: Peers): { checks: PlanCheck[]; scenarios: PlanScenario[] } {
  return {
    checks: lab.checks.map((c) => kindOf(c.kind).plan(c, peers)),
    scenarios: lab.scenarios.map((sc) => ({
      name: sc.name,
      description: sc.description,
      steps: sc.steps.map((st) => (st.check ? { check: kindOf(st.check.kind).plan(st.check, peers) } : { action: st.action })),
    })),
  };
}

/** The DNS server's container: `@dns` expands to podlab-dns with its own PID namespace (see runtime). */
function dnsContainer(corefile: string, name: string = DNS.podName): PlanContainer {
  return {
    name,
    argv: ['@dns', '-conf', corefile],
    env: {},
    ports: DNS.ports.map((q) => ({ ...q })),
  };
}

function dnsPod(node: string, ipv6: boolean): LabPod {
  const base = dnsContainer(`${DNS.configDir}/Corefile`);
  // podlab-dns's -podlab.ipv6 (src/dns/main.ts): the kube-dns Service is reachable over either family.
  const c = ipv6 ? { ...base, argv: [...base.argv, IPV6_FLAG] } : base;
  return {
    name: DNS.podName,
    namespace: DNS.namespace,
    node,
    labels: { ...DNS.labels },
    hostNetwork: false,
    containers: [{ name: c.name, command: c.argv, ports: c.ports, env: {}, restartPolicy: 'Always' }],
    // The DNS pod itself resolves through the node's resolvers, as kubeadm's CoreDNS Deployment does.
    dnsPolicy: 'Default',
  };
}

function dnsService(clusterIP: string, families: Family[], clusterIP6?: string): LabService {
  return {
    name: DNS.serviceName,
    namespace: DNS.namespace,
    type: 'ClusterIP',
    selector: { ...DNS.labels },
    ports: [
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
      { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
      { name: 'metrics', protocol: 'TCP', port: DNS.metricsPort, targetPort: DNS.metricsPort },
    ],
    // The first of its cluster IPs, as the API server keeps `clusterIP` (IPv6 in an IPv6-only lab).
    clusterIP: byFamily(families, clusterIP, clusterIP6)[0]!,
    ...(clusterIP6 ? { clusterIPs: byFamily(families, clusterIP, clusterIP6) } : {}),
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    // Reachable over either family of a dual-stack lab (kubeadm's kube-dns is SingleStack; podlab's
    // answers on both, so resolv.conf may name either).
    ipFamilyPolicy: families.length > 1 ? 'PreferDualStack' : 'SingleStack',
    ipFamilies: families,
  };
}

function hostDns(d: NonNullable<Lab['hosts'][number]['dns']>): NonNullable<PlanHost['dns']> {
  const origins = Object.keys(d.zones).sort();
  const files: Record<string, string> = { ...d.files };
  for (const o of origins) files[zoneFileName(o)] = d.zones[o]!;
  return { corefile: d.corefile ?? hostCorefile(origins), files };
}

export function planContainer(c: LabContainer, owner: string): PlanContainer {
  return {
    name: c.name,
    argv: c.workload ? ['@workload', c.workload.kind, '--port', String(c.workload.port), '--pod', owner] : c.command!,
    env: c.env,
    ports: c.ports,
    ...planContainerLoops(c),
  };
}

/** Every address a node can appear as (check kinds resolve references with it). */
export { nodeAddresses } from '../check/kinds/targets.ts';
