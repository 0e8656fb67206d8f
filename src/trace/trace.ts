/**
 * `podlab trace`, the pure part: the path of one connection through a lab, hop by hop, each hop
 * with the Linux fact (a route, a veth, a DNAT rule, a VXLAN header, a conntrack entry) and the
 * Kubernetes object behind it (the pod, the CNI mode, the Service and its endpoints, the
 * NetworkPolicy). Predicted from the plan and a view of the live lab; `facts` recorded from the
 * live lab (what `ip route get`, the CNI result, `ss`, `conntrack` said) replace the predicted
 * text where there are some, and the runtime (src/runtime/trace.ts) marks each hop confirmed, or
 * differing, from what a real probe made the counters do.
 */
import { denyActionOf } from '../plan/network-policy.ts';
import { hostPort, parseAddr } from '../net/addr.ts';
import { podBridgeOf } from '../cni/bridge.ts';
import type { NftView } from '../plan/nft-tables.ts';
import type { Plan, PlanNode } from '../plan/plan.ts';
import type { PlanService, PlanServicePort } from '../plan/services.ts';
import { serviceKey } from '../plan/services.ts';
import { familyOfRef, inFamily, noVirtualIp, resolveEnd, servicePort, TraceProblem, type End } from './ends.ts';
import type { Family } from '../net/addr.ts';
import { endpointsOf, explain, explainPath, type ExplainCase } from './explain.ts';
import { arrivesFromWords, extClient, extMasquerades, isCalico, masqAddress as natMasqAddress, masqueradeLeaving, masqueradeOf, masqueraded, nodeIpOf, podCidrOf, podGatewayOf, sentToWords, within, type ExtClient } from './nat.ts';

export type TraceProtocol = 'tcp' | 'udp' | 'icmp';

export interface TraceRequest {
  from: string;
  /** A pod, Service, node, host, address, or a DNS name of a Service (`web`, `web.ns.svc.cluster.local`). */
  to: string;
  port?: number;
  /** @default tcp (udp or tcp from the Service port when it has one protocol) */
  protocol?: TraceProtocol;
  /** The packets' family, for names in a dual-stack lab. @default the address's family, else the lab's primary family */
  family?: Family;
}

/** `addr:port`, an IPv6 address bracketed (`[fd00::2]:80`) as URLs and `ss` write it. */
export { hostPort };
/** `ip route get` / `ip -6 route get` for an address. */
const routeGet = (ip: string): string => (ip.includes(':') ? `ip -6 route get ${ip}` : `ip route get ${ip}`);

/**
 * The family a trace follows: an address's own, else `--family`, else the lab's primary family.
 * A family the lab does not have is PL3146; `--family` against an address of the other family PL3148.
 */
export function traceFamily(plan: Plan, req: Pick<TraceRequest, 'from' | 'to' | 'family'>): Family {
  const literal = familyOfRef(req.to) ?? familyOfRef(req.from);
  if (literal && req.family && literal !== req.family) throw new TraceProblem('PL3148', `--family ${req.family} but ${familyOfRef(req.to) ? req.to : req.from} is an ${literal} address`, `Drop --family (an address sets the family), or name the end (pod, svc/<name>, node/<name>) to trace it in ${req.family}.`);
  const family = literal ?? req.family ?? plan.ipFamilies[0] ?? 'IPv4';
  if (!plan.ipFamilies.includes(family)) throw new TraceProblem('PL3146', `lab "${plan.lab}" has no ${family}: its ipFamilies are ${plan.ipFamilies.join(', ')}`, `Trace in ${plan.ipFamilies.join(' or ')}${plan.ipFamilies.length > 1 ? ' (--family)' : ''}; a lab gets ${family} with ipFamilies: [${plan.ipFamilies.map((f) => `'${f}'`).join(', ')}, '${family}'] (docs/dual-stack.md).`);
  return family;
}


export type HopKind = 'dns' | 'route' | 'veth' | 'dnat' | 'policy' | 'bridge' | 'node-route' | 'vxlan' | 'fabric' | 'snat' | 'deliver' | 'reply';

export interface Hop {
  kind: HopKind;
  /** Where it happens: `pod default/client`, `node worker-1`, `fabric`. */
  at: string;
  /** The Linux fact. */
  linux: string;
  /** The Kubernetes object (or CNI mode) behind it. */
  k8s: string;
  /** A command a learner can run to see it. */
  see?: string;
  /** What the live lab showed for this hop, when observed. */
  observed?: string;
  /**
   * predicted (not observed), confirmed (observed as predicted), differs, dropped here, or
   * unreached: after the hop where a probe that failed stopped (the first that differs), so what
   * it predicts was never put to the test.
   */
  status: 'predicted' | 'confirmed' | 'differs' | 'dropped' | 'unreached';
  /**
   * A policy hop that denies the packet: what that node's policy table does with it, drop (the
   * client hears nothing) or reject (ICMP port unreachable, the client is refused at once).
   */
  action?: 'drop' | 'reject';
}

/** What the live lab said, recorded; every field optional (a plan alone has none). */
export interface TraceFacts {
  /** `ip route get` text (first line) by `<where>|<destination>` (where: a `pod ns/name`, `node name` or `host name`). */
  routes?: Record<string, string>;
  /** The node-side veth of each pod (`ns/name`), from its CNI result. */
  hostVeths?: Record<string, string>;
  /** The DNS answer for `to` when it was a name: addresses, and the server asked. */
  dns?: { answers: string[]; server: string; /** What dig said instead of an answer (`communications error to 10.96.0.10#53: timed out`). */ error?: string };
  /** The endpoint the probe was sent to by kube-proxy (from conntrack), `ip:port`. */
  chosenEndpoint?: string;
  /** The conntrack entry of the probe, as `conntrack -L` prints it. */
  conntrack?: string;
  /** The probe's conntrack entry at each place that translated it (`node worker-1`, `gateway`), in path order. */
  conntrackAt?: Record<string, string>;
  /** The node NodePort the gateway sent a load-balancer address to (from the gateway's conntrack, else the counters), `ip:port`. */
  lbNode?: string;
  /**
   * When the gateway's conntrack kept no entry to say which node it chose (a TCP reset answered the
   * first packet, and conntrack deletes such an entry at once): the nodes whose counters fit the
   * path through them best (lbNode is the first), and what the first's node link received and sent.
   */
  lbNodeSeen?: { fits: string[]; received: number; sent: number; iface: string };
  /** The ports listened on in the trace's protocol (`ss`): by each endpoint pod (`ns/name`) of a traced Service, or by the destination (`TracePath.listenAt`). */
  listening?: Record<string, number[]>;
  /** Nodes failed by `podlab node fail` (their link to the node network is down). */
  failedNodes?: string[];
  /**
   * kube-proxy's table where a DNAT left no conntrack entry for a probe that failed, read to say
   * why (`nft -j list table ip podlab`): per place (`node worker-1`, `gateway`), the number of
   * rules in each of its chains; null when the table is not there.
   */
  natRules?: Record<string, Record<string, number> | null>;
  /**
   * Pods (`ns/name`) that are not ready or have a container whose process exited, as the lab's
   * status holds them: whether the pod is ready, and each container that is not running, in words
   * (`container coredns of pod kube-system/coredns is not running (its process 1234 has exited, …)`).
   * A pod not listed is ready and every container of it runs.
   */
  unwell?: Record<string, { ready: boolean; stopped: string[] }>;
  /**
   * The forwarding entries of each VXLAN device a vxlan hop crosses, by `<place>|<device>` (`node
   * worker-1|flannel.1`): its FDB (`bridge -j fdb show dev`: a MAC → the node address it is sent
   * to) and its neighbour entries (`ip -j neigh show dev`: a VTEP address → its MAC).
   */
  vteps?: Record<string, VtepEntries>;
  /**
   * Per node, the nftables tables in it that podlab did not write (`inet filter`: not `podlab…`),
   * read when a probe failed: a rule of the learner's in one may be what dropped it.
   */
  foreignTables?: Record<string, string[]>;
}

/** A VXLAN device's FDB and neighbour entries, as the kernel holds them. */
export interface VtepEntries {
  fdb: { mac: string; dst?: string }[];
  neigh: { ip: string; mac?: string; state: string[] }[];
}

export interface TracePath {
  lab: string;
  from: string;
  to: string;
  /** The packets' address family. */
  family: Family;
  protocol: TraceProtocol;
  port?: number;
  /** Where the first packet is addressed: a ClusterIP, a node's NodePort, a pod. */
  daddr: string;
  /** `to` is a Service's DNS name: the server the source asks (a pod's resolv.conf's first nameserver, else the cluster DNS Service). */
  dnsServer?: string;
  /** Where it ends, after any DNAT. */
  dest: { ip: string; port?: number; what: string };
  /** The endpoint followed, when `to` is a Service (kube-proxy picks one at random). */
  endpoint?: { pod: string; namespace: string; node: string; ip: string; port: number; of: number };
  /**
   * A load-balancer address reached from outside: the nodes the gateway spreads it over (their
   * NodePort, numgen random), and the one followed (`TraceFacts.lbNode`, else the first).
   */
  gateway?: { nodes: string[]; node: string; nodePort: number };
  /** Every endpoint kube-proxy balances over (the followed one among them), when `to` is a Service. */
  endpoints?: { pod: string; namespace: string; node: string; ip: string; port: number }[];
  /** The NetworkPolicy verdict for the followed case; absent when the lab has no policy. */
  policy?: { allowed: boolean; egress: string; ingress: string };
  /**
   * Where the destination's listeners are read (`ss`), as a key of `TraceFacts.listening`: a pod
   * (`ns/name`), `node/<name>` (a node, or a hostNetwork pod on it) or `host/<name>`; absent for a
   * Service (its endpoints are read) and a ping.
   */
  listenAt?: string;
  /**
   * Nothing listens where the packet is delivered: the kernel there answers with a TCP reset (UDP:
   * ICMP port unreachable). `of` and `refusing` when it is an endpoint of a Service; `declared` when a
   * container of the pod declares the port (its server may yet start).
   */
  refused?: { at: string; ip: string; port: number; protocol: 'tcp' | 'udp'; listening: number[]; declared: boolean; pod?: { namespace: string; name: string }; refusing?: number; of?: number };
  hops: Hop[];
  /** What the trace predicts: delivered, or not (dropped by policy, no endpoint, no route; or refused, then `refused` says where). */
  outcome: 'delivered' | 'dropped';
  reason: string;
}

const nodeOf = (view: NftView, name: string): PlanNode => view.plan.nodes.find((n) => n.name === name)!;

/** A DNS name of a Service in the cluster domain (`web`, `web.ns`, `web.ns.svc`, `web.ns.svc.<domain>`), when `to` is one. */
export function serviceByName(view: NftView, name: string): PlanService | undefined {
  if (!name.includes('.')) return undefined;
  const domain = view.plan.clusterDomain;
  const bare = name.replace(/\.$/, '').replace(new RegExp(`\\.svc\\.${domain.replaceAll('.', '\\.')}$`), '').replace(/\.svc$/, '');
  const [svc, ns, ...rest] = bare.split('.');
  if (rest.length || !ns) return undefined;
  return view.plan.services.find((s) => s.name === svc && s.namespace === ns);
}

/** The Corefile server block and plugin that answer for the cluster domain: `.:53` and `kubernetes cluster.local …`. */
export function corefileAnswerer(corefile: string, domain: string): string {
  let block = '';
  let depth = 0;
  for (const raw of corefile.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    if (depth === 0 && line.endsWith('{')) block = line.slice(0, -1).trim();
    if (depth === 1 && /^kubernetes(\s|$)/.test(line) && (line.split(/\s+/).includes(domain) || line === 'kubernetes' || line.startsWith('kubernetes {'))) return `server block "${block}", plugin "${line.replace(/\s*\{$/, '')}"`;
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  return 'no kubernetes plugin for the cluster domain in the Corefile';
}

function nodeRoute(src: PlanNode, dst: PlanNode, destIp: string): { route: Hop; tunnel?: Hop } {
  const at = `node ${src.name}`;
  const see = routeGet(destIp);
  const family: Family = destIp.includes(':') ? 'IPv6' : 'IPv4';
  type Vtep = { dev: string; vni: number; port: number; address: string; peers: { node: string; nodeIp: string; mac: string; gateway: string }[] };
  const cni = src.cni as { type: string; vxlan?: Vtep; vxlan6?: Vtep; routing?: { kind: 'bgp' | 'vxlan'; vxlan?: { dev: string; vni: number; port: number; peers: { node: string; nodeIp: string; mac: string; address: string; blocks: string[] }[] }; peers?: { node: string; ip: string; protocol: string }[] } };
  if (cni.type === 'flannel' && cni.vxlan) {
    // IPv6 in a dual-stack lab rides flannel-v6.<vni>, with IPv6 outer headers; IPv4 flannel.<vni>.
    const v = destIp.includes(':') && cni.vxlan6 ? cni.vxlan6 : cni.vxlan;
    const peer = v.peers.find((p) => p.node === dst.name)!;
    const six = v.address.includes(':');
    const cidr = (dst.podCidrs ?? [dst.podCidr]).find((c) => c.includes(':') === six) ?? dst.podCidr;
    const local = (src.ips ?? [src.ip]).find((a) => a.includes(':') === six) ?? src.ip;
    return {
      route: { kind: 'node-route', at, linux: `${cidr} via ${peer.gateway} dev ${v.dev} onlink`, k8s: `flannel: node ${dst.name}'s pod CIDR (spec.${cidr === dst.podCidr ? 'podCIDR' : 'podCIDRs'} ${cidr}) through the VXLAN device`, see, status: 'predicted' },
      tunnel: { kind: 'vxlan', at, linux: `VXLAN VNI ${v.vni}: outer ${local} → ${peer.nodeIp} UDP ${v.port}, inner to ${peer.mac} (FDB of ${v.dev})`, k8s: `flannel backend vxlan: ${src.name} → ${dst.name} over the node network`, see: `bridge fdb show dev ${v.dev}`, status: 'predicted' },
    };
  }
  // Calico in a dual-stack lab carries IPv6 over its own device, vxlan-v6.calico (cni.ipv6.vxlan).
  const calico6 = cni.type === 'calico' && family === 'IPv6' ? (cni as { ipv6?: { vxlan?: { dev: string; vni: number; port: number; peers: { node: string; nodeIp: string; mac: string; address: string; blocks: string[] }[] } } }).ipv6?.vxlan : undefined;
  if (cni.type === 'calico' && ((cni.routing?.kind === 'vxlan' && cni.routing.vxlan) || calico6)) {
    const v = calico6 ?? cni.routing!.vxlan!;
    const peer = v.peers.find((p) => p.node === dst.name)!;
    const block = peer.blocks.find((b) => within(b, destIp)) ?? peer.blocks[0];
    return {
      route: { kind: 'node-route', at, linux: `${block} via ${peer.address} dev ${v.dev} onlink`, k8s: `Calico IPAM block ${block} of node ${dst.name}, over VXLAN`, see, status: 'predicted' },
      tunnel: { kind: 'vxlan', at, linux: `VXLAN VNI ${v.vni}: outer ${nodeIpOf(src, family)} → ${peer.nodeIp} UDP ${v.port}, inner to ${peer.mac}`, k8s: `Calico encapsulation VXLAN: ${src.name} → ${dst.name}`, see: `bridge fdb show dev ${v.dev}`, status: 'predicted' },
    };
  }
  if (cni.type === 'calico' && cni.routing?.kind === 'bgp') {
    const peer = cni.routing.peers?.find((p) => p.node === dst.name);
    const [cidr, dstIp, srcIp] = [podCidrOf(dst, family), nodeIpOf(dst, family), nodeIpOf(src, family)];
    return {
      route: { kind: 'node-route', at, linux: `${cidr} via ${dstIp} dev ${src.iface} proto bird`, k8s: `Calico BGP: the block of node ${dst.name}, learnt by BIRD over iBGP from ${dstIp}${peer ? ` (protocol ${peer.protocol})` : ''}`, see: `ip${family === 'IPv6' ? ' -6' : ''} route show proto bird`, status: 'predicted' },
      tunnel: { kind: 'fabric', at: 'fabric', linux: `plain IP over the node network ${srcIp} → ${dstIp} (no encapsulation)`, k8s: 'Calico IP pool encapsulation None', status: 'predicted' },
    };
  }
  // kubenet: one route per family to each peer's pod CIDR of that family, via its address of that family.
  const cidr = podCidrOf(dst, family);
  const r = src.routes.find((x) => x.dst === cidr);
  const [srcIp, dstIp] = [nodeIpOf(src, family), nodeIpOf(dst, family)];
  return {
    route: { kind: 'node-route', at, linux: r ? `${r.dst} via ${r.via} dev ${r.dev}` : `no route to ${cidr}`, k8s: `${cni.type}: route to node ${dst.name}'s pod CIDR ${cidr} via its node address`, see, status: r ? 'predicted' : 'dropped' },
    tunnel: { kind: 'fabric', at: 'fabric', linux: `the node network carries the packet from ${src.name} (${srcIp}) to ${dst.name} (${dstIp}) as it is: no NAT, no tunnel`, k8s: family === 'IPv6' ? 'the node network, in IPv6' : `node network ${dstIp.split('.').slice(0, 3).join('.')}.0`, status: 'predicted' },
  };
}

/** The node-side end of a pod's veth: recorded, or Calico's planned name, or `veth…`. */
function hostVethOf(node: PlanNode, pod: { name: string; namespace: string }, facts: TraceFacts): string {
  const recorded = facts.hostVeths?.[`${pod.namespace}/${pod.name}`];
  if (recorded) return recorded;
  const w = (node.cni as { workloads?: { pod: string; namespace: string; hostVeth: string }[] }).workloads?.find((x) => x.pod === pod.name && x.namespace === pod.namespace);
  return w?.hostVeth ?? 'veth…';
}

/** Why a Service's address cannot be reached from outside the cluster (a host, the gateway), or undefined when it can. */
function outsideProblem(plan: Plan, from: End, s: PlanService, vip: string, lb: boolean, family: Family): TraceProblem | undefined {
  if (from.kind !== 'host' && from.kind !== 'gateway') return undefined;
  const who = from.kind === 'gateway' ? 'the gateway' : `host ${from.host}`;
  const lbs = (s.loadBalancerIPs ?? (s.loadBalancerIP ? [s.loadBalancerIP] : [])).filter((a) => parseAddr(a)?.family === family);
  const nodePorts = s.ports.filter((p) => p.nodePort !== undefined).map((p) => `${p.nodePort}/${p.protocol.toLowerCase()}`);
  const outsideWays = [...lbs.map((a) => `its load-balancer address ${a}`), ...(nodePorts.length ? [`its NodePort on a node (node/<name> --port ${nodePorts.join(' or ')})`] : [])];
  const hosts = plan.hosts.map((h) => `host/${h.name}`);
  if (lb && from.kind === 'gateway')
    return new TraceProblem(
      'PL3119',
      `the gateway holds load-balancer address ${vip} of Service ${serviceKey(s)} itself (on its loopback) and forwards only packets that arrive from outside (its nat-prerouting hook); a connection of its own to it never leaves the gateway, and nothing there listens`,
      `Trace the address from a client the load balancer serves: ${[...hosts, 'a pod', 'node/<name>'].join(', ')}. podlab exec ${plan.lab} gateway -- … runs in the gateway all the same.`,
    );
  if (lb) return undefined;
  const cidr = inFamily(plan.serviceCidrs ?? [plan.serviceCidr], family) ?? plan.serviceCidr;
  return new TraceProblem(
    'PL3119',
    `cluster IP ${vip} of Service ${serviceKey(s)} is reachable only inside the cluster: ${who} is outside it, and nothing outside the nodes routes the Service CIDR ${cidr} (kube-proxy's rules are on the nodes)`,
    outsideWays.length ? `From outside, trace ${outsideWays.join(', or ')}; or trace the cluster IP from a pod or node/<name>.` : `Service ${serviceKey(s)} is type ${s.type}: nothing outside the cluster reaches it. Trace it from a pod or node/<name>, or make it a NodePort or LoadBalancer Service.`,
  );
}

/** The ports `ss` listed, as a sentence ends: `8080, 9000`, or `no port at all`. */
const listed = (ports: number[]): string => (ports.length ? ports.join(', ') : 'no port at all');
/** Whether a container of the pod declares the port (its server may not be running yet). */
const declares = (pod: { containers: { ports: { containerPort: number; protocol: string }[] }[] }, port: number, protocol: string): boolean => pod.containers.some((c) => c.ports.some((p) => p.containerPort === port && p.protocol.toLowerCase() === protocol));
/** What the kernel answers a packet to a port nothing listens on. */
const refusalAnswer = (port: number, protocol: 'tcp' | 'udp'): string => `nothing listens on ${port}/${protocol}: the kernel answers with ${protocol === 'tcp' ? 'a TCP reset' : 'ICMP port unreachable'}`;

/** What policy is called in a lab: NetworkPolicy, or with ClusterNetworkPolicies too. */
const policyLabel = (view: NftView): string => (view.plan.networkPolicy?.clusterPolicies?.length ? 'Network policy (ClusterNetworkPolicy tiers and NetworkPolicy)' : 'NetworkPolicy');

/** A verdict as a hop says it: `denied (isolated by y/deny-all; no rule matched)`. */
const verdictWord = (d: ExplainCase['egress']): string => `${d.allowed ? 'allowed' : 'denied'} (${d.reason})`;

/** How a connection the policies deny ends, as the client meets it. */
const deniedHow = (action: 'drop' | 'reject'): string => (action === 'reject' ? 'rejected: ICMP port unreachable' : 'dropped: the client hears nothing');

/** The passes a first packet meets: each judging node's in packet order, up to the first that drops or rejects it (it meets none after). */
const metPasses = (nft: ExplainCase['nft']): ExplainCase['nft'] => nft.slice(0, nft.findIndex((n) => n.verdict !== 'accept') + 1 || nft.length);

/** The policy table's passes as a hop's Linux fact: each node's verdict, and the rules predicted to count the packet. */
function policyLinux(nft: ExplainCase['nft'], six: boolean): string {
  const rule = nft.flatMap((n) => n.hits.map((h) => `${n.node}: ${h.chain} "${h.comment ?? h.rule}"`));
  return `nft table ${six ? 'ip6' : 'ip'} podlab-policy, hook forward: ${nft.map((n) => `${n.node} ${n.verdict}`).join(', ') || 'not filtered'}${rule.length ? `; rules: ${rule.join('; ')}` : ''}`;
}

/**
 * Whom the source asks for a name. A pod: the first nameserver of its resolv.conf, as kubelet
 * renders it from its dnsPolicy (src/dns/cluster.ts resolvConf): ClusterFirst the cluster DNS
 * Service (ClusterFirstWithHostNet too, on a hostNetwork pod: its sandbox's resolv.conf, not its
 * node's); Default its node's resolvers (the lab's dns.nameservers), as ClusterFirst is for a
 * hostNetwork pod or a lab without cluster DNS; None its dnsConfig.nameservers. With none listed, the
 * resolver asks 127.0.0.1 (glibc's default), where nothing listens in a pod. A node, host or the
 * gateway has no resolv.conf of the lab's: the trace asks the cluster DNS Service for it.
 * `cluster`: the server is the cluster DNS (a kube-dns cluster IP), which knows the Services' names;
 * `why`: how the pod's resolv.conf came to name another, in words.
 */
function resolverOf(view: NftView, from: End): { server?: string; cluster: boolean; why?: string } {
  const plan = view.plan;
  const kubeDns = plan.dns ? plan.services.find((s) => (s.clusterIPs ?? [s.clusterIP]).includes(plan.dns!.serviceIP)) : undefined;
  const clusterIps = kubeDns ? (kubeDns.clusterIPs ?? [kubeDns.clusterIP]).filter((a): a is string => !!a) : [];
  if (from.kind !== 'pod') return { ...(plan.dns ? { server: plan.dns.serviceIP } : {}), cluster: !!plan.dns };
  const pod = from.pod;
  const server = pod.resolv.nameservers[0];
  const cluster = !!server && clusterIps.includes(server);
  if (pod.dnsPolicy === 'ClusterFirst' && cluster) return { server, cluster };
  const who = `pod ${pod.namespace}/${pod.name}`;
  const host = (a: string) => {
    const h = plan.hosts.find((x) => (x.ips ?? [x.ip]).includes(a));
    return h ? `${a} (host/${h.name})` : a;
  };
  const listed = pod.resolv.nameservers.length ? `names ${pod.resolv.nameservers.map(host).join(', ')}` : 'names no nameserver, so the resolver asks 127.0.0.1 (glibc\'s default)';
  const how =
    pod.dnsPolicy === 'None'
      ? `dnsPolicy None: ${who}'s resolv.conf is its dnsConfig alone, and ${listed}`
      : pod.dnsPolicy === 'Default'
        ? `dnsPolicy Default: ${who}'s resolv.conf is its node's (the lab's dns.nameservers), and ${listed}`
        : pod.hostNetwork && pod.dnsPolicy === 'ClusterFirst'
          ? `dnsPolicy ClusterFirst on a hostNetwork pod is Default (ClusterFirstWithHostNet would ask kube-dns): ${who}'s resolv.conf is its node's, and ${listed}`
          : pod.hostNetwork && pod.dnsPolicy === 'ClusterFirstWithHostNet' && plan.dns
            ? `dnsPolicy ClusterFirstWithHostNet: ${who} shares its node's network but its resolv.conf is the cluster's, not the node's, and ${listed}`
          : !plan.dns
            ? `the lab has no cluster DNS, so dnsPolicy ${pod.dnsPolicy} falls back to the node's resolvers: ${who}'s resolv.conf ${listed}`
            : `${who}'s resolv.conf (dnsPolicy ${pod.dnsPolicy}) ${listed}`;
  return { ...(server ? { server } : {}), cluster, why: `${how}${cluster ? ', the cluster DNS Service' : plan.dns ? `, not the cluster DNS Service ${plan.dns.serviceIP}` : ''}` };
}

/**
 * A Service's DNS name is resolved first: the source asks the cluster DNS Service (kube-dns, UDP 53),
 * and that query meets the policies as any packet does (a pod isolated for egress with no rule to
 * kube-dns, a CoreDNS pod isolated for ingress). When they deny it whichever CoreDNS endpoint it
 * reaches, the name never resolves and no connection follows: that case, else undefined.
 */
function dnsQueryDenied(view: NftView, from: string): { c: ExplainCase; server: string; dns: PlanService } | undefined {
  const plan = view.plan;
  if (!plan.dns || !(view.policies.length || plan.networkPolicy?.clusterPolicies?.length)) return undefined;
  const server = plan.dns.serviceIP;
  const dns = plan.services.find((s) => (s.clusterIPs ?? [s.clusterIP]).includes(server));
  if (!dns) return undefined;
  try {
    const x = explain(view, { from, to: `svc/${dns.namespace}/${dns.name}`, port: 53, protocol: 'UDP', family: parseAddr(server)?.family ?? 'IPv4' });
    return x.cases.length && x.cases.every((c) => !c.allowed) ? { c: x.cases[0]!, server, dns } : undefined;
  } catch {
    return undefined;
  }
}

export function predictTrace(view: NftView, req: TraceRequest, facts: TraceFacts = {}): TracePath {
  const plan = view.plan;
  const hops: Hop[] = [];
  const family = traceFamily(plan, req);
  const six = family === 'IPv6';
  const from = resolveEnd(view, req.from, false, family);
  if (from.kind === 'service') throw new Error('unreachable');
  let to: End;
  /** Whom the source asks for `to`, when it is a name. */
  let resolver: ReturnType<typeof resolverOf> | undefined;
  /** Why the cluster DNS cannot answer at all, when it cannot. */
  let dnsDown: string | undefined;
  const byName = serviceByName(view, req.to);
  if (byName) {
    // An ExternalName's name is only a CNAME, a headless one's its pods' addresses: no connection to a Service to follow.
    const none = noVirtualIp(view, byName, req.from);
    if (none) throw none;
    to = { kind: 'service', ref: req.to, service: byName };
    resolver = resolverOf(view, from);
    const answers = facts.dns?.answers.length ? facts.dns.answers : [inFamily(byName.clusterIPs ?? [byName.clusterIP], family) ?? '(headless: the endpoints)'];
    const at = from.kind === 'pod' ? `pod ${from.pod.namespace}/${from.pod.name}` : from.ref;
    const see = `dig ${req.to}${six ? ' AAAA' : ''}`;
    const server = resolver.server ?? '127.0.0.1';
    // The cluster DNS Service with no ready endpoint on UDP 53 (CoreDNS deleted, or not ready): kube-proxy refuses the query.
    const kubeDns = resolver.cluster ? plan.services.find((s) => (s.clusterIPs ?? [s.clusterIP]).includes(server)) : undefined;
    const dnsPort = kubeDns?.ports.find((p) => p.protocol === 'UDP' && p.port === 53);
    const noDnsEndpoint = !!kubeDns && !!dnsPort && !endpointsOf(view, serviceKey(kubeDns), dnsPort).length && !facts.dns?.answers.length;
    if (noDnsEndpoint) {
      dnsDown = `Service ${serviceKey(kubeDns)} has no ready endpoints, so kube-proxy refuses the query (ICMP port unreachable)`;
      hops.push({
        kind: 'dns',
        at,
        linux: `${six ? 'AAAA' : 'A'} ${req.to}: no answer, the query to ${hostPort(server, 53)}/udp is refused: chain service-endpoints-check: reject-chain (no endpoints)`,
        k8s: `Service ${serviceKey(kubeDns)} has no ready endpoints${kubeDns.selector ? ` (selector ${Object.entries(kubeDns.selector).map(([k, v]) => `${k}=${v}`).join(',')} matches no ready pod)` : ''}, so kube-proxy refuses the query: ${req.to} never resolves, and no connection to Service ${serviceKey(byName)} is opened`,
        see: `podlab status ${plan.lab}`,
        status: 'dropped',
      });
    } else if (resolver.cluster || facts.dns?.answers.length)
      hops.push({
        kind: 'dns',
        at,
        linux: `${six ? 'AAAA' : 'A'} ${req.to} → ${answers.join(', ')} from ${facts.dns?.server ?? server}`,
        k8s: resolver.cluster ? `Service ${serviceKey(byName)} in CoreDNS: ${plan.dns ? corefileAnswerer(plan.dns.corefile, plan.clusterDomain) : 'the lab has no cluster DNS'}${resolver.why ? ` (${resolver.why})` : ''}` : `${resolver.why}; it answered for Service ${serviceKey(byName)}`,
        see,
        status: 'predicted',
      });
    else
      // A resolver outside the cluster (a node's, a host's) knows nothing of the cluster domain: the name does not resolve.
      hops.push({
        kind: 'dns',
        at,
        linux: `${six ? 'AAAA' : 'A'} ${req.to}: no address from ${server}${resolver.server ? '' : ', where nothing listens'}`,
        k8s: `${resolver.why}. A resolver outside the cluster does not serve the cluster domain ${plan.clusterDomain}, so ${req.to} does not resolve and no connection to Service ${serviceKey(byName)} is opened`,
        see,
        status: 'dropped',
      });
  } else to = resolveEnd(view, req.to, true, family);

  // The Service port, the first packet's address, the endpoint followed.
  let protocol: TraceProtocol = req.protocol ?? 'tcp';
  let port = req.port;
  let daddr: string;
  let svc: { s: PlanService; sp: PlanServicePort; nodePort: boolean; lb: boolean } | undefined;
  if (to.kind === 'service') {
    const none = noVirtualIp(view, to.service, req.from);
    if (none) throw none;
    if (protocol === 'icmp') throw new TraceProblem('PL3111', `a ClusterIP answers no ping: kube-proxy forwards only the ports of Service ${serviceKey(to.service)}`, `Trace a port: --port ${to.service.ports[0]?.port ?? 80} --proto ${to.service.ports[0]?.protocol.toLowerCase() ?? 'tcp'}.`);
    const sp = servicePort(to.service, port, req.protocol ? (req.protocol.toUpperCase() as 'TCP' | 'UDP') : undefined);
    protocol = sp.protocol.toLowerCase() as TraceProtocol;
    port = sp.port;
    // The cluster IP of the trace's family (a dual-stack Service has one per family, clusterIPs).
    // Or the load-balancer address it was named by (`lb/<ns>/<name>`, or the address itself).
    const vip = to.address ?? (familyOfRef(req.to) ? req.to : inFamily(to.service.clusterIPs ?? [to.service.clusterIP], family));
    if (!vip) throw new TraceProblem('PL3147', `Service ${serviceKey(to.service)} has no ${family} cluster IP (its ipFamilies: ${(to.service.ipFamilies ?? [plan.ipFamilies[0]]).join(', ')})`, `Trace it in ${(to.service.ipFamilies ?? plan.ipFamilies)[0]}${familyOfRef(req.to) ? '' : ' (--family)'}, or trace a Service with an ${family} cluster IP.`);
    daddr = vip;
    // A load-balancer address: kube-proxy sends it to the ext chain on a node; from outside, the gateway first spreads it over the nodes' NodePort.
    const lb = (to.service.loadBalancerIPs ?? (to.service.loadBalancerIP ? [to.service.loadBalancerIP] : [])).some((a) => parseAddr(a)?.value === parseAddr(vip)?.value && parseAddr(a)?.family === parseAddr(vip)?.family);
    const outside = outsideProblem(plan, from, to.service, vip, lb, family);
    if (outside) throw outside;
    svc = { s: to.service, sp, nodePort: false, lb };
  } else {
    daddr = to.ip;
    if (to.kind === 'node' && port !== undefined && protocol !== 'icmp') {
      const s = plan.services.find((x) => x.ports.some((p) => p.nodePort === port && (!req.protocol || p.protocol.toLowerCase() === req.protocol)));
      if (s) {
        const sp = s.ports.find((p) => p.nodePort === port)!;
        protocol = sp.protocol.toLowerCase() as TraceProtocol;
        svc = { s, sp, nodePort: true, lb: false };
      }
    }
    if (to.kind === 'pod' && port === undefined && protocol !== 'icmp') {
      const ports = to.pod.containers.flatMap((c) => c.ports).filter((p) => !req.protocol || p.protocol.toLowerCase() === req.protocol);
      if (ports.length !== 1) throw new TraceProblem('PL3115', `which port of pod ${to.pod.namespace}/${to.pod.name}?`, `Add --port N${ports.length ? ` (it declares ${ports.map((p) => `${p.containerPort}/${p.protocol.toLowerCase()}`).join(', ')})` : ''}, or --proto icmp for a ping.`);
      port = ports[0]!.containerPort;
      protocol = ports[0]!.protocol.toLowerCase() as TraceProtocol;
    }
    if (port === undefined && protocol !== 'icmp' && to.kind !== 'pod') {
      // A node, host or the gateway has no declared port to default to: ask, naming the ports there are.
      const nodePorts = plan.services.flatMap((x) => x.ports.filter((p) => p.nodePort !== undefined).map((p) => `${p.nodePort}/${p.protocol.toLowerCase()}`));
      const hostPorts = to.kind === 'host' ? (plan.hosts.find((h) => h.name === to.host)?.containers ?? []).flatMap((c) => c.ports.map((p) => `${p.containerPort}/${p.protocol.toLowerCase()}`)) : [];
      const offer = to.kind === 'node' ? (nodePorts.length ? ` (a NodePort: ${nodePorts.join(', ')}; or a port a hostNetwork pod of the node listens on)` : ' (a port a hostNetwork pod of the node listens on)') : hostPorts.length ? ` (it serves ${hostPorts.join(', ')})` : '';
      throw new TraceProblem('PL3115', `which port of ${to.kind === 'node' ? `node ${to.node}` : to.kind === 'host' ? `host ${to.host}` : to.ref}?`, `Add --port N${offer}, or --proto icmp for a ping.`);
    }
  }

  /** What every path says of the request. */
  const head = { lab: plan.lab, from: req.from, to: req.to, family, protocol, ...(port !== undefined ? { port } : {}) };
  const dnsServer = resolver ? (facts.dns?.server ?? resolver.server ?? '127.0.0.1') : undefined;
  // A name the source's resolver does not know: the path ends at the dns hop, no connection is opened.
  const unresolved = hops.find((h) => h.kind === 'dns' && h.status === 'dropped');
  if (byName && unresolved)
    return {
      ...head,
      daddr: dnsServer!,
      dnsServer: dnsServer!,
      dest: { ip: dnsServer!, port: 53, what: `the resolver ${dnsServer}` },
      hops: [unresolved],
      outcome: 'dropped',
      reason: `${req.to} does not resolve: ${dnsDown ?? resolver!.why}`,
    };
  // A name whose DNS query the policies drop: the path ends at the dns hop, no connection is opened.
  const denial = byName && resolver?.cluster ? dnsQueryDenied(view, req.from) : undefined;
  if (byName && denial) {
    const { c, server, dns } = denial;
    const dnsSix = server.includes(':');
    const action = c.nft.some((n) => n.verdict === 'reject') ? 'reject' : 'drop';
    const egress = `egress at ${c.egress.subject ?? 'source'} ${verdictWord(c.egress)}`;
    const ingress = `ingress at ${c.ingress.subject ?? 'destination'} ${verdictWord(c.ingress)}`;
    const fqdn = `${byName.name}.${byName.namespace}.svc.${plan.clusterDomain}`;
    const see = `podlab explain ${plan.lab} ${req.from} svc/${dns.namespace}/${dns.name} --port 53/udp${dnsSix && plan.ipFamilies[0] !== 'IPv6' ? ' --family IPv6' : ''}`;
    const hop: Hop = {
      kind: 'dns',
      at: hops[0]!.at,
      linux: `${six ? 'AAAA' : 'A'} ${req.to}: no answer, the query to ${hostPort(server, 53)}/udp is ${action === 'reject' ? 'rejected' : 'dropped'}: ${policyLinux(metPasses(c.nft), dnsSix)}`,
      k8s: `${policyLabel(view)} denies the DNS query to Service ${serviceKey(dns)} (UDP 53): ${egress}; ${ingress}. ${req.to} never resolves, so no connection to Service ${serviceKey(byName)} is opened`,
      see,
      status: 'dropped',
      action,
    };
    return {
      ...head,
      daddr: server,
      dnsServer: server,
      dest: { ip: server, port: 53, what: `Service ${serviceKey(dns)}` },
      policy: { allowed: false, egress: verdictWord(c.egress), ingress: verdictWord(c.ingress) },
      hops: [hop],
      outcome: 'dropped',
      reason: `the DNS query for ${req.to} (${fqdn}) to Service ${serviceKey(dns)} is denied by NetworkPolicy (${deniedHow(action)}): ${egress}; ${ingress}; the name never resolves`,
    };
  }

  // The endpoint followed after DNAT.
  let endpoint: TracePath['endpoint'];
  let endpoints: TracePath['endpoints'];
  let destEnd: End = to;
  /** The gateway's pick among the nodes' NodePorts for a load-balancer address reached from outside. */
  let gateway: { nodes: PlanNode[]; node: PlanNode; nodePort: number } | undefined;
  const gatewayOf = (): TracePath['gateway'] => gateway && { nodes: gateway.nodes.map((n) => n.name), node: gateway.node.name, nodePort: gateway.nodePort };
  /** The endpoint followed, or the destination, listens on nothing at its port: the connection is refused there. */
  let refused: string | undefined;
  let refusal: TracePath['refused'];
  let refusing: string[] = [];
  /** A traffic policy Local leaves the node that DNATs with no endpoint of its own: kube-proxy drops the packet there. */
  let noLocal: { node: string; policy: 'externalTrafficPolicy' | 'internalTrafficPolicy'; elsewhere: string[] } | undefined;
  /** Whom the ext chain takes the client for (NodePort and load-balancer traffic only). */
  let client: ExtClient | undefined;
  /** The endpoints kube-proxy balances over on the node that DNATs (a traffic policy Local leaves only that node's own). */
  let usable: ReturnType<typeof endpointsOf> = [];
  if (svc) {
    const eps = endpointsOf(view, serviceKey(svc.s), svc.sp);
    if (svc.lb && (from.kind === 'host' || from.kind === 'gateway') && svc.sp.nodePort !== undefined) {
      const withLocal = new Set(eps.map((e) => e.node));
      const nodes = plan.nodes.filter((n) => svc!.s.externalTrafficPolicy !== 'Local' || withLocal.has(n.name));
      const nodePort = svc.sp.nodePort;
      const picked = (facts.lbNode && nodes.find((n) => (n.ips ?? [n.ip]).some((ip) => hostPort(ip, nodePort) === facts.lbNode || `${ip}:${nodePort}` === facts.lbNode))) || nodes[0];
      if (picked) gateway = { nodes, node: picked, nodePort };
    }
    const dnatNode = svc.nodePort ? (to as Extract<End, { kind: 'node' }>).node : gateway ? gateway.node.name : from.kind === 'pod' || from.kind === 'node' ? from.node : undefined;
    const ext = svc.nodePort || svc.lb;
    client = ext ? extClient(plan, from, dnatNode, !!gateway) : undefined;
    // externalTrafficPolicy Local keeps only clients from outside to the node's own endpoints; internalTrafficPolicy Local every ClusterIP client.
    const localOnly = ext ? svc.s.externalTrafficPolicy === 'Local' && client === 'outside' : svc.s.internalTrafficPolicy === 'Local' && dnatNode !== undefined;
    usable = localOnly ? eps.filter((e) => e.node === dnatNode) : eps;
    if (!eps.length) {
      hops.push({ kind: 'dnat', at: dnatNode ? `node ${dnatNode}` : 'the cluster', linux: `chain service-endpoints-check: ${svc.nodePort ? `NodePort ${port}/${svc.sp.protocol}` : gateway ? `NodePort ${gateway.nodePort}/${svc.sp.protocol} (the gateway's DNAT of ${hostPort(daddr, port)})` : `${daddr}:${port}/${svc.sp.protocol}`} is in @no-endpoint-${svc.nodePort || gateway ? 'nodeports' : 'services'}: reject-chain refuses it (${protocol === 'tcp' ? 'TCP reset' : 'ICMP port unreachable'})`, k8s: `Service ${serviceKey(svc.s)} has no ready endpoints${svc.s.selector ? ` (selector ${Object.entries(svc.s.selector).map(([k, v]) => `${k}=${v}`).join(',')} matches no running pod)` : ''}`, see: `podlab status ${plan.lab}`, status: 'dropped' });
      return { lab: plan.lab, from: req.from, to: req.to, family, protocol, ...(port !== undefined ? { port } : {}), daddr, ...(dnsServer ? { dnsServer } : {}), dest: { ip: daddr, port, what: `Service ${serviceKey(svc.s)}` }, ...(gatewayOf() ? { gateway: gatewayOf() } : {}), hops, outcome: 'dropped', reason: `Service ${serviceKey(svc.s)} has no ready endpoints` };
    }
    if (!usable.length) noLocal = { node: dnatNode!, policy: ext ? 'externalTrafficPolicy' : 'internalTrafficPolicy', elsewhere: [...new Set(eps.map((e) => e.node))].sort() };
  }
  if (svc && !noLocal) {
    // An endpoint whose pod listens on nothing at its port still gets its share: kube-proxy balances over every ready endpoint.
    const refuses = (e: (typeof usable)[number]) => {
      const l = facts.listening?.[`${e.namespace}/${e.pod}`];
      return !!l && !l.includes(e.port);
    };
    refusing = usable.filter(refuses).map((e) => `${e.namespace}/${e.pod}`);
    const chosen = (facts.chosenEndpoint && usable.find((e) => [e.ip, ...(e.ips ?? [])].some((ip) => hostPort(ip, e.port) === facts.chosenEndpoint || `${ip}:${e.port}` === facts.chosenEndpoint))) || usable.find((e) => !refuses(e)) || usable[0]!;
    destEnd = resolveEnd(view, `${chosen.namespace}/${chosen.pod}`, false, family);
    endpoint = { pod: chosen.pod, namespace: chosen.namespace, node: chosen.node, ip: (destEnd as { ip: string }).ip, port: chosen.port, of: usable.length };
    endpoints = usable.map((e) => ({ pod: e.pod, namespace: e.namespace, node: e.node, ip: inFamily([e.ip, ...(e.ips ?? [])], family) ?? e.ip, port: e.port }));
    if (refuses(chosen) && protocol !== 'icmp') {
      const l = facts.listening![`${chosen.namespace}/${chosen.pod}`]!;
      const gone = facts.unwell?.[`${chosen.namespace}/${chosen.pod}`]?.stopped ?? [];
      refused = `endpoint ${chosen.namespace}/${chosen.pod} refuses ${hostPort(endpoint.ip, chosen.port)}/${protocol}: it listens on ${protocol.toUpperCase()} ${listed(l)}${gone.length ? `; ${gone.join('; ')}` : ''}`;
      const pod = (destEnd as Extract<End, { kind: 'pod' }>).pod;
      refusal = { at: `pod ${chosen.namespace}/${chosen.pod}`, ip: endpoint.ip, port: chosen.port, protocol, listening: l, declared: declares(pod, chosen.port, protocol), pod: { namespace: chosen.namespace, name: chosen.pod }, refusing: refusing.length, of: usable.length };
    }
  }
  const destIp = destEnd.kind === 'service' ? daddr : destEnd.ip;
  const destPort = endpoint?.port ?? port;
  const destNode = destEnd.kind === 'pod' || destEnd.kind === 'node' ? destEnd.node : undefined;
  const destPodNet = destEnd.kind === 'pod' && !destEnd.pod.hostNetwork ? destEnd : undefined;
  // Not a Service: who listens at the destination itself (a hostNetwork pod listens in its node's namespace).
  const listenAt = svc || protocol === 'icmp' || port === undefined ? undefined : destEnd.kind === 'pod' ? (destEnd.pod.hostNetwork ? `node/${destEnd.node}` : `${destEnd.pod.namespace}/${destEnd.pod.name}`) : destEnd.kind === 'node' ? `node/${destEnd.node}` : destEnd.kind === 'host' ? `host/${destEnd.host}` : undefined;
  const heard = listenAt ? facts.listening?.[listenAt] : undefined;
  if (heard && port !== undefined && protocol !== 'icmp' && !heard.includes(port)) {
    const who = destEnd.kind === 'pod' ? `pod ${destEnd.pod.namespace}/${destEnd.pod.name}` : destEnd.kind === 'node' ? `node ${destEnd.node}` : destEnd.kind === 'host' ? `host ${destEnd.host}` : destEnd.ref;
    const gone = destEnd.kind === 'pod' ? (facts.unwell?.[`${destEnd.pod.namespace}/${destEnd.pod.name}`]?.stopped ?? []) : [];
    refused = `${hostPort(destIp, port)}/${protocol} refused (${protocol === 'tcp' ? 'a TCP reset' : 'ICMP port unreachable'}): ${who} listens on ${protocol.toUpperCase()} ${listed(heard)}${gone.length ? `; ${gone.join('; ')}` : ''}`;
    refusal = { at: who, ip: destIp, port, protocol, listening: heard, declared: destEnd.kind === 'pod' && declares(destEnd.pod, port, protocol), ...(destEnd.kind === 'pod' ? { pod: { namespace: destEnd.pod.namespace, name: destEnd.pod.name } } : {}) };
  }

  // 1. Leaving the source.
  const fromWhere = from.kind === 'pod' ? `pod ${from.pod.namespace}/${from.pod.name}` : from.kind === 'node' ? `node ${from.node}` : from.kind === 'host' ? `host ${from.host}` : 'gateway';
  const srcNode = from.kind === 'pod' || from.kind === 'node' ? nodeOf(view, from.node) : undefined;
  const podNetSource = from.kind === 'pod' && !from.pod.hostNetwork ? from : undefined;
  /** From beyond the nodes, through the lab's gateway: the gateway itself, or a host on the external network. */
  const fromOutside = !!plan.gateway && (from.kind === 'gateway' || (from.kind === 'host' && from.network === 'external'));
  /** The gateway's route to a pod: its return route to the node holding the pod's CIDR (or Calico block). */
  const gatewayRoute = (addr: string): Pick<Hop, 'linux' | 'k8s' | 'see' | 'status'> => {
    const r = plan.gateway?.routes.find((x) => within(x.dst, addr));
    const n = r && plan.nodes.find((x) => (x.ips ?? [x.ip]).includes(r.via ?? ''));
    return r
      ? { linux: `${addr} via ${r.via} dev ${r.dev}`, k8s: `the lab's gateway: its return route to ${r.dst}, the pod addresses of node ${n?.name ?? r.via}`, see: routeGet(addr), status: 'predicted' }
      : { linux: `no route to ${addr}`, k8s: "the lab's gateway has no route to this pod's addresses", see: routeGet(addr), status: 'dropped' };
  };
  /** A pod that reached its own Service and landed on itself (hairpin): kube-proxy masquerades it, the bridge sends it back out the port it came in on. */
  const hairpin = !!endpoint && !!podNetSource && endpoint.pod === podNetSource.pod.name && endpoint.namespace === podNetSource.pod.namespace;
  const recordedRoute = facts.routes?.[`${fromWhere}|${daddr}`];
  if (podNetSource) {
    const gw = podGatewayOf(srcNode!, family);
    // A pod of the same bridge is on-link (ARP for it directly); everything else goes via the gateway.
    const onLink = !isCalico(srcNode!) && within(podCidrOf(srcNode!, family), daddr);
    hops.push({
      kind: 'route',
      at: fromWhere,
      linux: recordedRoute ?? (onLink ? `${daddr} dev eth0 src ${from.ip}` : `${daddr} via ${gw} dev eth0 src ${from.ip}`),
      k8s: isCalico(srcNode!)
        ? `Calico: every pod's default route is via ${gw}, answered by proxy ${six ? 'NDP' : 'ARP'} on the host side`
        : onLink
          ? `pod network of node ${srcNode!.name} (${podCidrOf(srcNode!, family)}): ${daddr} is on-link, a pod on the same bridge ${podBridgeOf(srcNode!)} (the subnet route set by the CNI bridge plugin)`
          : `pod network of node ${srcNode!.name} (${podCidrOf(srcNode!, family)}): default route via ${podBridgeOf(srcNode!)}, set by the CNI bridge plugin`,
      see: routeGet(daddr),
      status: 'predicted',
    });
    const veth = hostVethOf(srcNode!, podNetSource.pod, facts);
    hops.push({
      kind: 'veth',
      at: `node ${srcNode!.name}`,
      linux: isCalico(srcNode!) ? `eth0 of the pod ↔ ${veth} on ${srcNode!.name} (no address; ${six ? 'proxy_ndp' : 'proxy_arp'} answers for ${gw})` : `eth0 of the pod ↔ ${veth} on ${srcNode!.name}, a port of bridge ${podBridgeOf(srcNode!)} (${gw})`,
      k8s: `pod ${podNetSource.pod.namespace}/${podNetSource.pod.name}'s sandbox, wired by CNI ADD (${srcNode!.conflist.name})`,
      see: `ip -d link show ${veth}`,
      status: 'predicted',
    });
  } else if (from.kind === 'gateway') {
    const toPod = to.kind === 'pod' && !to.pod.hostNetwork ? gatewayRoute(daddr) : undefined;
    hops.push({ kind: 'route', at: fromWhere, linux: recordedRoute ?? toPod?.linux ?? `${daddr} from ${from.ip}`, k8s: toPod?.k8s ?? "the lab's gateway: the router between the node network and the external network, and the cloud's load balancer", see: routeGet(daddr), status: toPod?.status ?? 'predicted' });
  } else {
    hops.push({ kind: 'route', at: fromWhere, linux: recordedRoute ?? `${daddr} from ${from.ip}`, k8s: from.kind === 'host' ? `outside host ${from.ref} (not in the cluster)` : `the node's own routing table${from.kind === 'pod' ? ' (hostNetwork pod)' : ''}`, see: routeGet(daddr), status: 'predicted' });
  }

  /**
   * From a node or pod towards another node's own address (its InternalIP, a hostNetwork pod, a
   * NodePort): the source node routes it onto the node network, and a pod's source is masqueraded
   * there (nat-postrouting: `saddr <pod CIDR> daddr != <pod CIDR> masquerade`, natOutgoing). To the
   * source's own node the packet is delivered locally (hook input): no masquerade.
   */
  let toNodeDone = false;
  /** The source address the packet carries after a masquerade on the way, and who masqueraded it: the destination's node judges its ingress on that address. */
  let carried: { ip: string; by: string } | undefined;
  const towardNode = (nodeName: string, addr: string) => {
    if (!srcNode || srcNode.name === nodeName) return;
    toNodeDone = true;
    hops.push({ kind: 'node-route', at: `node ${srcNode.name}`, linux: `${addr} dev ${srcNode.iface} (the node network)`, k8s: `node ${nodeName}'s address (InternalIP), on the node network`, see: routeGet(addr), status: 'predicted' });
    if (podNetSource && masqueraded(plan, srcNode, from.ip)) {
      carried = { ip: nodeIpOf(srcNode, family), by: `${masqueradeOf(srcNode).short} on node ${srcNode.name}` };
      hops.push({ kind: 'snat', at: `node ${srcNode.name}`, linux: `masquerade (nat-postrouting, natOutgoing): source ${from.ip} becomes ${nodeIpOf(srcNode, family)} (to ${addr}, outside the pod network ${inFamily(plan.podCidrs ?? [plan.podCidr], family) ?? plan.podCidr})`, k8s: `${masqueradeOf(srcNode).who}: pod traffic to a node address is masqueraded; node ${nodeName} sees node ${srcNode.name}`, see: `conntrack -L${six ? ' -f ipv6' : ''} -s ${from.ip}`, status: 'predicted' });
    }
  };

  // 2. kube-proxy.
  let dnatNode: PlanNode | undefined;
  const id = svc ? `${serviceKey(svc.s)}/${svc.sp.key}` : '';
  if (svc && (endpoint || noLocal)) {
    const ext = svc.nodePort || svc.lb;
    const fam = six ? 'ip6' : 'ip';
    dnatNode = svc.nodePort ? nodeOf(view, (to as Extract<End, { kind: 'node' }>).node) : gateway ? gateway.node : srcNode;
    if (svc.nodePort && from.kind !== 'pod' && !srcNode) hops.push({ kind: 'fabric', at: 'fabric', linux: `${from.ip} → ${hostPort(daddr, port)} over ${from.kind === 'host' && plan.hosts.find((h) => h.ip === from.ip)?.network === 'external' ? 'the gateway and ' : ''}the node network`, k8s: `NodePort ${port} of Service ${serviceKey(svc.s)} on node ${dnatNode!.name}`, status: 'predicted' });
    else if (svc.nodePort) towardNode(dnatNode!.name, daddr);
    if (gateway) {
      // The cloud load balancer: the gateway's own table ip podlab DNATs the address to one node's NodePort.
      const nodeIp = nodeIpOf(gateway.node, family);
      hops.push({
        kind: 'dnat',
        at: 'gateway',
        linux: `nft table ${fam} podlab (the gateway), chain lb.${id}/${gateway.node.name}: dnat to ${hostPort(nodeIp, gateway.nodePort)}${gateway.nodes.length > 1 ? ` (1 of ${gateway.nodes.length} nodes, numgen random)` : ''}`,
        k8s: `Service ${serviceKey(svc.s)} type LoadBalancer ${hostPort(daddr, port)}/${svc.sp.protocol}: the load balancer (the lab's gateway) sends it to node ${gateway.node.name}'s NodePort ${gateway.nodePort}${svc.s.externalTrafficPolicy === 'Local' ? ' (externalTrafficPolicy Local: only nodes with a ready endpoint)' : ''}`,
        see: `podlab exec ${plan.lab} gateway -- nft list table ${fam} podlab`,
        status: 'predicted',
      });
      const onNodeNetwork = from.kind === 'host' && from.network === 'nodes';
      const gw = plan.gateway?.nodeSide as { ip: string; ip6?: string } | undefined;
      if (onNodeNetwork && gw) {
        carried = { ip: inFamily([gw.ip, gw.ip6], family) ?? gw.ip, by: 'the gateway' };
        hops.push({ kind: 'snat', at: 'gateway', linux: `masquerade (nat-postrouting: ct status dnat ${fam} saddr ${plan.nodeNetwork.cidr}): source ${from.ip} becomes ${carried.ip}`, k8s: 'a client on the node network is masqueraded by the load balancer, or the node would answer it directly, around the gateway', see: `podlab exec ${plan.lab} gateway -- conntrack -L${six ? ' -f ipv6' : ''} -d ${daddr}`, status: 'predicted' });
      }
      hops.push({ kind: 'fabric', at: 'fabric', linux: `the gateway → ${hostPort(nodeIp, gateway.nodePort)} over the node network`, k8s: `NodePort ${gateway.nodePort} of Service ${serviceKey(svc.s)} on node ${gateway.node.name}`, status: 'predicted' });
    }
    const where = svc.nodePort ? `NodePort ${port}` : gateway ? `NodePort ${gateway.nodePort} (load-balancer address ${hostPort(daddr, port)})` : hostPort(daddr, port);
    const podCidr = inFamily(plan.podCidrs ?? [plan.podCidr], family) ?? plan.podCidr;
    if (noLocal) {
      // A traffic policy Local and no endpoint on this node: kube-proxy's chain ends in drop (the client hears nothing).
      const chain = `${ext ? 'ext' : 'svc'}.${id}`;
      const why =
        noLocal.policy === 'internalTrafficPolicy'
          ? `internalTrafficPolicy Local sends ClusterIP traffic only to endpoints on the client's own node`
          : `externalTrafficPolicy Local sends a client from outside the pod network only to the node's own endpoints${podNetSource && dnatNode?.name !== srcNode?.name ? ` (pod ${podNetSource.pod.namespace}/${podNetSource.pod.name} arrives masqueraded to node ${srcNode!.name}'s address ${nodeIpOf(srcNode!, family)} by ${masqueradeOf(srcNode!).short}, so kube-proxy on ${dnatNode!.name} takes it for one)` : ''}`;
      hops.push({
        kind: 'dnat',
        at: `node ${noLocal.node}`,
        linux: `nft table ${fam} podlab, chain ${chain}: no endpoint on node ${noLocal.node}, the rule is drop`,
        k8s: `Service ${serviceKey(svc.s)} ${where}/${svc.sp.protocol}: ${why}; its endpoints are on ${noLocal.elsewhere.join(', ')}`,
        see: `nft list chain ${fam} podlab ${chain}`,
        status: 'dropped',
      });
      return { lab: plan.lab, from: req.from, to: req.to, family, protocol, ...(port !== undefined ? { port } : {}), daddr, ...(dnsServer ? { dnsServer } : {}), dest: { ip: daddr, port, what: `Service ${serviceKey(svc.s)}` }, ...(gatewayOf() ? { gateway: gatewayOf() } : {}), hops, outcome: 'dropped', reason: `Service ${serviceKey(svc.s)} has no endpoint on node ${noLocal.node}, and ${noLocal.policy} Local keeps ${noLocal.policy === 'internalTrafficPolicy' ? 'its ClusterIP traffic' : 'a client from outside'} to the node's own: kube-proxy drops it (its endpoints are on ${noLocal.elsewhere.join(', ')})` };
    }
    const ep = endpoint!;
    // Which chain DNATs: svc.… for a ClusterIP; ext.… for a NodePort or load-balancer address,
    // or, for externalTrafficPolicy Local, the cluster-wide chain ext.… sends pods and the node itself on to.
    const clusterWide = svc.s.internalTrafficPolicy === 'Local' ? `all.${id}` : `svc.${id}`;
    const shortCircuit = ext && svc.s.externalTrafficPolicy === 'Local' && client !== 'outside';
    const chain = !ext ? `svc.${id}` : shortCircuit ? clusterWide : `ext.${id}`;
    const via = shortCircuit ? `chain ext.${id} → ${clusterWide} (${client === 'pod' ? `${fam} saddr ${podCidr} goto ${clusterWide}` : `fib saddr type local goto ${clusterWide}`})` : `chain ${chain}`;
    const policyNote =
      ext && svc.s.externalTrafficPolicy === 'Local'
        ? client === 'pod'
          ? `; externalTrafficPolicy Local, but the client is a pod (source in the pod CIDR ${podCidr}): kube-proxy sends pod traffic to every endpoint, as if it had gone out to the load balancer and come back`
          : client === 'node'
            ? `; externalTrafficPolicy Local, but from node ${dnatNode!.name} itself (fib saddr type local): masqueraded, and sent to every endpoint`
            : `; externalTrafficPolicy Local: only node ${dnatNode!.name}'s own endpoints (${ep.of}), the client's address kept`
        : '';
    hops.push({
      kind: 'dnat',
      at: dnatNode ? `node ${dnatNode.name}` : 'the cluster',
      // kube-proxy keeps a table per family: an IPv6 endpoint is DNATed in `ip6 podlab`.
      linux: `nft table ${ep.ip.includes(':') ? 'ip6' : 'ip'} podlab, ${via}: dnat to ${hostPort(ep.ip, ep.port)}${ep.of > 1 ? ` (1 of ${ep.of}, numgen random)` : ''}`,
      k8s: `Service ${serviceKey(svc.s)} ${where}/${svc.sp.protocol} → endpoint ${ep.namespace}/${ep.pod} (targetPort ${svc.sp.targetPort})${hairpin ? `, the client itself` : ''}${policyNote}${!refusing.length ? '' : refusing.length === ep.of ? `; ${ep.of === 1 ? 'its only endpoint refuses' : `all ${ep.of} endpoints refuse`} the port (${refusing.join(', ')}: nothing listens)` : `; ${refusing.length} of ${ep.of} endpoints refuse the port (${refusing.join(', ')}: nothing listens), yet kube-proxy still sends them their share`}`,
      see: `nft list chain ${ep.ip.includes(':') ? 'ip6' : 'ip'} podlab ${chain}`,
      status: 'predicted',
    });
  } else if (!svc && (to.kind === 'node' || (to.kind === 'pod' && to.pod.hostNetwork))) {
    towardNode(to.node, daddr);
  } else if (!svc && to.kind === 'pod' && fromOutside) {
    // From beyond the nodes to a pod's own address: the gateway's return route to the pod's node, then the node network, addresses unchanged.
    const n = nodeOf(view, to.node);
    if (from.kind === 'host') hops.push({ ...gatewayRoute(daddr), kind: 'node-route', at: 'gateway' });
    hops.push({ kind: 'fabric', at: 'fabric', linux: `the gateway → node ${n.name} (${nodeIpOf(n, family)}) over the node network; the packet keeps its addresses`, k8s: `the node network to node ${n.name}, which holds pod ${to.pod.namespace}/${to.pod.name}`, status: 'predicted' });
  }

  const ext = !!svc && (svc.nodePort || svc.lb);
  // ext chain: externalTrafficPolicy Cluster marks every packet for masquerade; Local only the node's own (fib saddr type local).
  const extMasq = ext && extMasquerades(svc!.s, client!);
  // The address a masquerade on the DNAT node gives.
  const masqAddress = (n: PlanNode, towards: string): string => natMasqAddress(n, towards, family);
  // kube-proxy's masquerade on the node that DNATs, towards an endpoint on another node: that node's forward hook sees the masqueraded source.
  if (svc && ext && extMasq && dnatNode && endpoint && dnatNode.name !== endpoint.node) carried = { ip: masqAddress(dnatNode, endpoint.node), by: `kube-proxy on node ${dnatNode.name}` };

  // 3. NetworkPolicy: each node that judges the first packet in its forward hook, placed where the
  // packet meets it: the source pod's node before the packet leaves it (egress), the destination
  // pod's node after the crossing (ingress). Placed once the path is built (below). Each judges the
  // packet as it is there: a NodePort of another node is DNATed only there, so the source's egress
  // is judged to the node's address and port; a masquerade on the way (natOutgoing, kube-proxy's,
  // the gateway's) leaves the destination's ingress to judge the masqueraded source, not the
  // client's own address (as the policy table does; Calico judges egress at the pod before NAT too).
  let policy: TracePath['policy'];
  let denied = false;
  const policyAt = hops.length;
  const policyHops: { hop: Hop; side: 'source' | 'destination' | 'both' }[] = [];
  // A ping meets the policies too: only a rule without ports admits it (a Service has no ICMP port: explain refuses, no hop).
  if ((view.policies.length || view.plan.networkPolicy?.clusterPolicies?.length) && (protocol === 'icmp' || destPort !== undefined)) {
    /** To a NodePort of another node from a pod: its node forwards the packet to that node's address, which DNATs it. */
    const sentTo = svc?.nodePort && podNetSource && dnatNode && dnatNode.name !== srcNode?.name && port !== undefined ? { ip: daddr, port, node: dnatNode.name } : undefined;
    const arrives = carried && carried.ip !== from.ip && destPodNet ? carried : undefined;
    const ask = (f: string, t: string, p: number | undefined) => `podlab explain ${plan.lab} ${f} ${t} ${protocol === 'icmp' ? '--proto icmp' : `--port ${p}/${protocol}`}${six && plan.ipFamilies[0] !== 'IPv6' ? ' --family IPv6' : ''}`;
    let c: ExplainCase | undefined;
    try {
      const to = destEnd.kind === 'service' ? req.to : destEnd.ref;
      // The port the client dialed, when a Service's DNAT changed it: a rule allowing that one, not the targetPort, is said.
      const dialed = svc && !svc.nodePort && endpoint && svc.sp.port !== endpoint.port ? { service: serviceKey(svc.s), port: svc.sp.port } : undefined;
      if ((sentTo || arrives || dialed) && destEnd.kind !== 'service' && destPort !== undefined && protocol !== 'icmp')
        c = explainPath(view, { from: req.from, to, port: destPort, protocol: protocol.toUpperCase() as 'TCP' | 'UDP', family }, { ...(sentTo ? { sentTo } : {}), ...(arrives ? { arrivesFrom: arrives.ip } : {}) }, dialed);
      else c = explain(view, protocol === 'icmp' ? { from: req.from, to, protocol: 'ICMP', family } : { from: req.from, to, port: destPort, protocol: protocol.toUpperCase() as 'TCP' | 'UDP', family }).cases[0];
    } catch {
      c = undefined;
    }
    if (c) {
      // What each side was judged on, when the path changed it on the way.
      const egressWord = `${verdictWord(c.egress)}${sentTo ? ` ${sentToWords(sentTo)}` : ''}`;
      const ingressWord = `${verdictWord(c.ingress)}${arrives ? ` ${arrivesFromWords(arrives, from.ip)}` : ''}`;
      policy = { allowed: c.allowed, egress: egressWord, ingress: ingressWord };
      denied = !c.allowed;
      const label = policyLabel(view);
      const see = ask(req.from, destEnd.kind === 'service' ? req.to : destEnd.ref, destPort);
      // The same judgment, asked of explain: the source to the NodePort it was sent to; the end whose address the masquerade gave, to the destination.
      const seeEgress = sentTo ? ask(req.from, `node/${sentTo.node}`, sentTo.port) : see;
      const masqNode = arrives && plan.nodes.find((n) => (n.ips ?? [n.ip]).includes(arrives.ip));
      const gw = plan.gateway?.nodeSide as { ip: string; ip6?: string } | undefined;
      const arrivesAs = masqNode ? `node/${masqNode.name}` : arrives && gw && inFamily([gw.ip, gw.ip6], family) === arrives.ip ? 'gateway' : undefined;
      // An address no end has (a VXLAN device's): the node's policy table itself, which judged it.
      const seeIngress = arrivesAs ? ask(arrivesAs, destEnd.kind === 'service' ? req.to : destEnd.ref, destPort) : arrives ? `nft list table ${six ? 'ip6' : 'ip'} podlab-policy` : see;
      const linux = (nft: ExplainCase['nft']) => policyLinux(nft, six);
      const [first, second] = c.nft;
      /** A denying hop's status and what its node's table does: reject when its verdict is reject, else a drop. */
      const denies = (verdict: ExplainCase['nft'][number]['verdict'] | undefined): Pick<Hop, 'status' | 'action'> => ({ status: 'dropped', action: verdict === 'reject' ? 'reject' : 'drop' });
      if (first && second) {
        // Two nodes judge it (a pod to a pod on another node): the source's egress, then, past the crossing, the destination's ingress.
        policyHops.push({ side: 'source', hop: { kind: 'policy', at: `node ${first.node}`, linux: linux([first]), k8s: `${label}: egress at source ${egressWord}; the destination's ingress is judged on node ${second.node}, after the crossing`, see: seeEgress, ...(first.verdict === 'accept' ? { status: 'predicted' } : denies(first.verdict)) } });
        policyHops.push({ side: 'destination', hop: { kind: 'policy', at: `node ${second.node}`, linux: linux([second]), k8s: `${label}: ingress at destination ${ingressWord}; the source's egress was judged on node ${first.node}`, see: seeIngress, ...(second.verdict === 'accept' && (c.allowed || first.verdict !== 'accept') ? { status: 'predicted' } : denies(second.verdict)) } });
      } else {
        // Only a pod's own node judges its egress: one pass elsewhere, or one a node's packet meets on its way back, is the destination's.
        const side = !first ? 'both' : podNetSource && srcNode?.name === first.node ? (destPodNet?.node === first.node && !sentTo ? 'both' : 'source') : 'destination';
        policyHops.push({ side, hop: { kind: 'policy', at: first ? `node ${first.node}` : 'no node filters it', linux: linux(c.nft), k8s: `${label}: egress at source ${egressWord}; ingress at destination ${ingressWord}`, see: side === 'destination' ? seeIngress : side === 'source' ? seeEgress : see, ...(c.allowed ? { status: 'predicted' } : denies(first?.verdict)) } });
      }
    }
  }

  // 4. Across nodes, or within one.
  const carrier = dnatNode ?? srcNode;
  /** The carrier's routing decision towards another node, when the packet crosses: its masquerade comes right after it. */
  let crossing: Hop | undefined;
  if (destNode && carrier && destPodNet) {
    const dstNode = nodeOf(view, destNode);
    if (carrier.name !== dstNode.name) {
      const { route, tunnel } = nodeRoute(carrier, dstNode, destIp);
      hops.push((crossing = route));
      if (tunnel) hops.push(tunnel);
    }
  } else if (destNode && carrier && !destPodNet && !toNodeDone && carrier.name !== destNode) {
    // To a node's own address (the node, a hostNetwork pod; a hostNetwork endpoint after DNAT).
    if (carrier === srcNode) towardNode(destNode, destIp);
    else hops.push((crossing = { kind: 'node-route', at: `node ${carrier.name}`, linux: `${destIp} dev ${carrier.iface} (the node network)`, k8s: `node ${destNode}`, see: routeGet(destIp), status: 'predicted' }));
  }
  /**
   * A masquerade on a node, where it happens: nat postrouting, after the routing decision and
   * before the packet leaves the node, so before a VXLAN device encapsulates it (flannel.1,
   * vxlan.calico) or the node network carries it (kubenet, Calico BGP): the outer header wraps
   * the translated packet.
   */
  const masquerade = (h: Hop) => hops.splice(crossing?.at === h.at ? hops.indexOf(crossing) + 1 : hops.length, 0, h);

  // 5. Source NAT.
  // externalTrafficPolicy Local sends an unmasqueraded pod from another node to any endpoint: one elsewhere than the DNAT node answers the pod directly.
  const bypass = !denied && !refused && !!endpoint && ext && svc!.s.externalTrafficPolicy === 'Local' && client === 'pod' && !!dnatNode && dnatNode.name !== srcNode?.name && endpoint.node !== dnatNode.name;
  if (svc && ext && extMasq && dnatNode && endpoint) {
    const before = hops.filter((h) => h.kind === 'snat').map((h) => / becomes (\S+)/.exec(h.linux)?.[1]).filter(Boolean).at(-1) ?? from.ip;
    const why = client === 'node' ? `from node ${dnatNode.name} itself: kube-proxy masquerades local traffic to a NodePort or load-balancer address (fib saddr type local jump mark-for-masquerade)` : `Service ${serviceKey(svc.s)} externalTrafficPolicy: ${svc.s.externalTrafficPolicy} (the client's address is lost)`;
    masquerade({ kind: 'snat', at: `node ${dnatNode.name}`, linux: `masquerade (nat-postrouting, marked by mark-for-masquerade): source ${before} becomes ${masqAddress(dnatNode, endpoint.node)}`, k8s: `${why}${hairpin ? '; the pod reached itself (hairpin), so its reply comes back through the DNAT' : ''}`, see: `conntrack -L${six ? ' -f ipv6' : ''} -d ${gateway ? nodeIpOf(dnatNode, family) : daddr}`, status: 'predicted' });
  } else if (svc && hairpin && srcNode) {
    // kube-proxy marks it in the endpoint's chain (`ip saddr <endpoint> jump mark-for-masquerade`); podlab's table keeps one @hairpin set of endpoint . endpoint pairs.
    masquerade({
      kind: 'snat',
      at: `node ${srcNode.name}`,
      linux: `masquerade (nat-postrouting: ct status dnat ${six ? 'ip6' : 'ip'} saddr . ${six ? 'ip6' : 'ip'} daddr @hairpin): source ${from.ip} becomes ${masqAddress(srcNode, srcNode.name)}`,
      k8s: `hairpin: pod ${podNetSource!.pod.namespace}/${podNetSource!.pod.name} reached Service ${serviceKey(svc.s)} and kube-proxy chose the pod itself; masqueraded, or its answer would go straight back to itself without undoing the DNAT`,
      see: `conntrack -L${six ? ' -f ipv6' : ''} -s ${from.ip} -d ${daddr}`,
      status: 'predicted',
    });
  } else if (podNetSource && (to.kind === 'host' || to.kind === 'gateway') && masqueraded(plan, srcNode!, from.ip)) {
    masquerade({ kind: 'snat', at: `node ${srcNode!.name}`, linux: `masquerade: source ${from.ip} becomes ${nodeIpOf(srcNode!, family)} (leaving ${masqueradeLeaving(plan, srcNode!, family)})`, k8s: `${masqueradeOf(srcNode!).who}: pod traffic to outside the cluster is masqueraded`, see: `conntrack -L${six ? ' -f ipv6' : ''} -s ${from.ip}`, status: 'predicted' });
  } else if ((from.kind === 'node' || (from.kind === 'pod' && from.pod.hostNetwork)) && svc && !ext && endpoint) {
    masquerade({ kind: 'snat', at: `node ${from.node}`, linux: `masquerade: a ClusterIP reached from outside the pod network (${from.ip}) is masqueraded`, k8s: `Service ${serviceKey(svc.s)}: clients outside ${plan.podCidr} are masqueraded (kube-proxy's masquerade-all for non-pod sources)`, status: 'predicted' });
  }

  // 6. Delivery.
  /** The source the destination sees, after the last masquerade on the way. */
  const snatTo = hops.filter((h) => h.kind === 'snat').map((h) => / becomes (\S+)/.exec(h.linux)?.[1]).filter(Boolean).at(-1);
  const refusedLinux = refusal ? `${hostPort(refusal.ip, refusal.port)}/${refusal.protocol}: ${refusalAnswer(refusal.port, refusal.protocol)}` : '';
  // A pod whose container exited says so (the status's words), rather than "its server is not listening".
  const unwell = refusal?.pod ? facts.unwell?.[`${refusal.pod.namespace}/${refusal.pod.name}`] : undefined;
  const refusedK8s = !refusal
    ? ''
    : `listens on ${refusal.protocol.toUpperCase()} ${listed(refusal.listening)} (ss)${!refusal.pod ? '' : unwell?.stopped.length ? `: ${unwell.stopped.join('; ')}` : refusal.declared ? `; a container declares ${refusal.port}/${refusal.protocol.toUpperCase()}, but its server is not listening` : `; no container declares ${refusal.port}/${refusal.protocol.toUpperCase()}`}`;
  if (destPodNet) {
    const n = nodeOf(view, destPodNet.node);
    const veth = hostVethOf(n, destPodNet.pod, facts);
    hops.push({
      kind: 'bridge',
      at: `node ${n.name}`,
      linux: isCalico(n)
        ? `${destIp} dev ${veth} scope link (a /${six ? 128 : 32} route per local pod)${hairpin ? `, back out the veth it came in on` : ''}`
        : `${podBridgeOf(n)} forwards to ${veth} (FDB: the pod's MAC)${hairpin ? ', back out the port it came in on: hairpin mode on (the CNI bridge plugin\'s hairpinMode)' : ''}`,
      k8s: `pod ${destPodNet.pod.namespace}/${destPodNet.pod.name} on node ${n.name}${hairpin ? (isCalico(n) ? ' (the client itself: a routed hop, no bridge)' : ' (the client itself: without hairpin mode a bridge never sends a frame back where it came from)') : ''}`,
      see: isCalico(n) ? routeGet(destIp) : `bridge fdb show br ${podBridgeOf(n)}`,
      status: 'predicted',
    });
    const ports = destPodNet.pod.containers.flatMap((c) => c.ports.map((p) => ({ ...p, container: c.name })));
    const listener = ports.find((p) => p.containerPort === destPort && p.protocol.toLowerCase() === protocol);
    const pod = `pod ${destPodNet.pod.namespace}/${destPodNet.pod.name}`;
    hops.push({
      kind: 'deliver',
      at: pod,
      linux: protocol === 'icmp' ? `eth0 ${destIp}: the kernel answers the echo request` : refusal ? `eth0 ${refusedLinux}` : `eth0 ${hostPort(destIp, destPort)}/${protocol}${listener ? `: container ${listener.container}${listener.name ? ` (port ${listener.name})` : ''}` : ''}`,
      k8s: refusal ? `${pod}${endpoint && svc ? `, ${unwell && !unwell.ready ? 'an endpoint' : 'a ready endpoint'} of Service ${serviceKey(svc.s)}${unwell && !unwell.ready ? ' that is not ready' : ''},` : ''} ${refusedK8s}` : `${pod}${listener ? `, containerPort ${listener.containerPort}` : ''}`,
      see: protocol === 'icmp' ? undefined : `ss -ltnup`,
      status: refusal ? 'dropped' : 'predicted',
    });
  } else {
    const what = destEnd.kind === 'host' ? `outside host ${destEnd.ref}` : destEnd.kind === 'node' ? `node ${destEnd.node}` : destEnd.ref;
    // A hostNetwork pod listens in its node's namespace: `podlab exec` into it runs there.
    const who = destEnd.kind === 'pod' ? `pod ${destEnd.pod.namespace}/${destEnd.pod.name} (hostNetwork, in node ${destEnd.node}'s namespace)` : what;
    hops.push({
      kind: 'deliver',
      at: destEnd.kind === 'service' ? 'Service' : destEnd.ref,
      linux: refusal ? refusedLinux : `${hostPort(destIp, destPort)}${destPort !== undefined ? `/${protocol}` : ''}`,
      k8s: refusal ? `${who} ${refusedK8s}` : what,
      ...(refusal ? { see: `podlab exec ${plan.lab} ${destEnd.kind === 'pod' ? `${destEnd.pod.namespace}/${destEnd.pod.name}` : destEnd.ref} -- ss -ltnup` } : {}),
      status: refusal ? 'dropped' : 'predicted',
    });
  }
  if (!refused && bypass)
    hops.push({
      kind: 'reply',
      at: `node ${endpoint!.node}`,
      linux: `the reply ${hostPort(endpoint!.ip, endpoint!.port)} → ${from.ip} goes straight back over the pod network, around node ${dnatNode!.name}'s conntrack: nothing undoes the DNAT, so the client gets an answer from ${hostPort(endpoint!.ip, endpoint!.port)} to a connection it opened to ${hostPort(daddr, port)}, and resets it`,
      k8s: `externalTrafficPolicy Local: kube-proxy on ${dnatNode!.name} sends pod traffic to every endpoint without masquerade (ip saddr <pod CIDR> goto), and pod ${podNetSource!.pod.namespace}/${podNetSource!.pod.name} arrives unmasqueraded (${srcNode ? `${masqueradeOf(srcNode).short} is off` : 'no masquerade'}); only an endpoint on ${dnatNode!.name} would answer through it`,
      see: six ? 'conntrack -L -f ipv6' : 'conntrack -L',
      status: 'dropped',
    });
  else if (!refused)
    hops.push({
      kind: 'reply',
      at: carrier ? `node ${carrier.name}` : destPodNet && fromOutside ? `node ${destPodNet.node}` : fromWhere,
      linux: (facts.conntrack && !isUnreplied(facts.conntrack) ? facts.conntrack : undefined) ?? (endpoint ? `conntrack: reply ${hostPort(endpoint.ip, endpoint.port)} → ${snatTo ?? from.ip} is un-DNATed to come from ${hostPort(daddr, port)}${snatTo ? `, and un-SNATed to go to ${from.ip}` : ''}` : `conntrack: reply ${destIp} → ${snatTo ?? from.ip} (ESTABLISHED, the same path back${snatTo ? `, un-SNATed to ${from.ip}` : ''})`),
      k8s: endpoint ? `the client sees Service ${svc ? serviceKey(svc.s) : ''} answer, not the pod` : 'stateful: replies are allowed by policy and NAT is undone',
      see: six ? 'conntrack -L -f ipv6' : 'conntrack -L',
      status: 'predicted',
    });

  // The policy hops where the packet meets them (step 3), and a denial ends the path there: the
  // source node's before the crossing (or where kube-proxy left it); the destination node's in its
  // forward hook, after its DNAT and before its masquerade (postrouting) and its bridge.
  const firstAt = (kinds: HopKind[], at: string, from: number) => hops.findIndex((h, j) => j >= from && kinds.includes(h.kind) && h.at === at);
  for (const { hop, side } of [...policyHops].reverse()) {
    const i = side === 'destination' ? firstAt(['snat', 'bridge'], hop.at, policyAt) : side === 'source' ? firstAt(['node-route'], hop.at, 0) : -1;
    hops.splice(i >= 0 ? i : policyAt, 0, hop);
  }
  const cut = hops.findIndex((h) => h.kind === 'policy' && h.status === 'dropped');
  if (cut >= 0) hops.splice(cut + 1);

  // A failed node (`podlab node fail`): its link to the node network is down, so a packet that has to cross to or from it is lost there.
  let lostAt: string | undefined;
  const failed = new Set(facts.failedNodes ?? []);
  if (failed.size) {
    const nodeAt = (h: Hop): string | undefined => {
      const m = /^node (\S+)$/.exec(h.at) ?? /^node\/(\S+)$/.exec(h.at);
      if (m) return m[1];
      const pod = /^pod (\S+)\/(\S+)$/.exec(h.at);
      return pod ? plan.pods.find((p) => p.namespace === pod[1] && p.name === pod[2])?.node : undefined;
    };
    let here = srcNode?.name;
    for (let i = 0; i < hops.length; i++) {
      const there = nodeAt(hops[i]!);
      if (!there || there === here) continue;
      const down = [here, there].find((n) => n && failed.has(n));
      if (down) {
        const n = nodeOf(view, down);
        hops.splice(i, hops.length - i, {
          kind: 'fabric',
          at: `node ${down}`,
          linux: `${n.iface} of ${down} has no carrier: its port ${n.fabricPort} on the node network is down, the packet is lost`,
          k8s: `node ${down} is failed (podlab node fail): NotReady, cut off from the node network; podlab node restore ${plan.lab} ${down} brings it back`,
          see: `ip link show ${n.iface}`,
          status: 'dropped',
        });
        lostAt = `node ${down} is failed (podlab node fail): its link to the node network is down`;
        break;
      }
      here = there;
    }
  }

  const destWhat = destEnd.kind === 'pod' ? `pod ${destEnd.pod.namespace}/${destEnd.pod.name}` : destEnd.kind === 'node' ? `node ${destEnd.node}` : destEnd.ref;
  const dropped = denied || !!refused || !!lostAt || bypass;
  // A failed node on the way may have ended the path before the policy hop that denies it.
  const deniedOnPath = denied && hops.some((h) => h.kind === 'policy' && h.status === 'dropped');
  const svcOf = endpoint && svc ? ` of Service ${serviceKey(svc.s)}` : '';
  return {
    ...head,
    daddr,
    ...(dnsServer ? { dnsServer } : {}),
    dest: { ip: destIp, ...(destPort !== undefined ? { port: destPort } : {}), what: destWhat },
    ...(endpoint ? { endpoint } : {}),
    ...(gatewayOf() ? { gateway: gatewayOf() } : {}),
    ...(endpoints ? { endpoints } : {}),
    ...(policy ? { policy } : {}),
    ...(listenAt ? { listenAt } : {}),
    ...(refusal && !denied && !lostAt ? { refused: refusal } : {}),
    hops,
    outcome: dropped ? 'dropped' : 'delivered',
    reason: deniedOnPath
      ? `denied by NetworkPolicy (${deniedHow(denyActionOf(plan))}): egress ${policy!.egress}; ingress ${policy!.ingress}`
      : lostAt
        ? lostAt
        : bypass
          ? `the reply bypasses node ${dnatNode!.name}: endpoint ${endpoint!.namespace}/${endpoint!.pod} on ${endpoint!.node} answers pod ${podNetSource!.pod.namespace}/${podNetSource!.pod.name} directly, from ${hostPort(endpoint!.ip, endpoint!.port)}, and the client resets the connection (externalTrafficPolicy Local short-circuits pod traffic without masquerade)`
          : refused
          ? `${refused}${!endpoint ? '' : endpoint.of === 1 ? ` (the only endpoint${svcOf})` : refusing.length === endpoint.of ? ` (all ${endpoint.of} endpoints${svcOf} refuse)` : ` (${refusing.length} of ${endpoint.of} endpoints${svcOf} refuse; kube-proxy still balances over all ${endpoint.of})`}`
          : `reaches ${destWhat}${refusing.length && endpoint ? ` (but ${refusing.length} of ${endpoint.of} endpoints of Service ${serviceKey(svc!.s)} refuse: ${refusing.join(', ')})` : ''}`,
  };
}

/** Whether a `conntrack -L` line is of a connection that saw no reply (`[UNREPLIED]`): half-open, or unanswered. */
export const isUnreplied = (line: string): boolean => /\[UNREPLIED\]/.test(line);

/** The trace as text. */
export function formatTrace(t: TracePath & { observed?: { probe: string; ok: boolean; ms: number; differences: string[] } }, paint: { ok: (s: string) => string; bad: (s: string) => string; dim: (s: string) => string } = { ok: (s) => s, bad: (s) => s, dim: (s) => s }): string {
  const out: string[] = [`trace ${t.from} → ${t.to} ${t.protocol}${t.port !== undefined ? `/${t.port}` : ''}${t.family === 'IPv6' ? ' in IPv6' : ''} (first packet to ${t.daddr}${t.endpoint ? `, endpoint ${t.endpoint.namespace}/${t.endpoint.pod} ${hostPort(t.endpoint.ip, t.endpoint.port)}` : ''})`];
  const mark: Record<Hop['status'], string> = { predicted: paint.dim('·'), confirmed: paint.ok('✓'), differs: paint.bad('≠'), dropped: paint.bad('✗'), unreached: paint.dim('–') };
  t.hops.forEach((h, i) => {
    out.push(`${String(i + 1).padStart(2)} ${mark[h.status]} ${h.kind.padEnd(10)} ${h.at}`);
    out.push(`      linux: ${h.linux}`);
    out.push(`      k8s:   ${h.k8s}`);
    if (h.observed) out.push(`      seen:  ${h.observed}`);
    const m = /^(pod|node|host) (\S+)$/.exec(h.at);
    const target = m ? (m[1] === 'pod' ? m[2] : `${m[1]}/${m[2]}`) : h.at === 'gateway' ? 'gateway' : undefined;
    if (h.see) out.push(paint.dim(`      see:   ${h.see.startsWith('podlab ') || !target ? h.see : `podlab exec ${t.lab} ${target} -- ${h.see}`}`));
  });
  // A refusal (or a policy's reject) is not a drop: the client hears a reset or ICMP port unreachable at once, where a drop is silence.
  const end = t.hops.at(-1);
  const rejected = (end?.kind === 'policy' || end?.kind === 'dns') && end.status === 'dropped' && end.action === 'reject';
  // A Service without endpoints: kube-proxy's reject-chain answers (a reset, or ICMP port unreachable).
  const noEndpoint = end?.kind === 'dnat' && end.status === 'dropped' && /reject-chain refuses it/.test(end.linux);
  // A name the source's resolver does not know: no address, so no connection at all.
  const unresolved = end?.kind === 'dns' && end.status === 'dropped' && !end.action;
  out.push(`${t.outcome === 'delivered' ? paint.ok('predicted: delivered') : paint.bad(`predicted: ${t.refused || noEndpoint ? 'refused' : rejected ? 'rejected' : unresolved ? 'unresolved' : 'dropped'}`)} — ${t.reason}`);
  if (t.observed) {
    out.push(`probe: ${t.observed.ok ? paint.ok(t.observed.probe) : paint.bad(t.observed.probe)} (${t.observed.ms} ms)`);
    out.push(t.observed.differences.length ? `${paint.bad('prediction and observation differ:')}\n${t.observed.differences.map((d) => `  - ${d}`).join('\n')}` : paint.ok('observed as predicted'));
  }
  return `${out.join('\n')}\n`;
}
