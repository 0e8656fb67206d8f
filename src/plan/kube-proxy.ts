/**
 * podlab's kube-proxy: the nftables table each node gets for the lab's Services, and the table of
 * the lab's gateway (which plays the cloud load balancer). Pure functions of the plan and the
 * current endpoints; the layout follows kube-proxy's nftables mode so that what a learner reads
 * in `nft list table ip podlab` maps onto the Kubernetes documentation:
 *
 *   nat-prerouting / nat-output → services: a verdict map from (daddr, protocol, port) to the
 *   Service port's chain, and one from (protocol, nodePort) for packets to the node's own address
 *   (the set nodeport-ips);
 *   svc.<ns>/<name>/<port>: masquerade clients from outside the pod network, then DNAT to an
 *   endpoint picked by `numgen random` from an anonymous map;
 *   ext.<…>: NodePort and load-balancer traffic, by externalTrafficPolicy;
 *   ep.<…>/<pod IP>: only for sessionAffinity ClientIP, where each endpoint records its clients;
 *   nat-postrouting: masquerade what was marked, a pod that reached itself through a Service
 *   (hairpin: the `hairpin` set of endpoint . endpoint pairs), and pod traffic leaving the pod
 *   network (natOutgoing);
 *   filter-prerouting / filter-output → service-endpoints-check: a new connection to a Service
 *   port with no endpoints at all (maps no-endpoint-services, no-endpoint-nodeports) goes to
 *   reject-chain — a TCP reset, or ICMP port unreachable — so the client sees "connection
 *   refused" at once, as with kube-proxy, rather than waiting out a timeout;
 *   filter-prerouting-post-dnat / filter-output-post-dnat → cluster-ips-check: what is still
 *   addressed to the service CIDR after DNAT found no Service port there: rejected at a cluster IP
 *   some Service holds (set cluster-ips: a port it does not have is "connection refused"), dropped
 *   at an address no Service holds; without it such packets would follow the default route out.
 *
 * kube-proxy rejects in the forward, input and output hooks, after routing; podlab rejects in
 * prerouting (priority -110, before DNAT; cluster-ips-check at -90, after it), because a node of a lab without a gateway has no
 * default route: a ClusterIP it cannot route would be "no route to host" there, never refused.
 *
 * One departure from kube-proxy: it gives every endpoint a chain; podlab does so only for sticky
 * Services. Fewer chains make every nft transaction cheaper (the kernel validates the whole chain
 * graph on each commit, and nft fetches every chain first): at 1000 Services × 3 endpoints an
 * endpoint change costs ~35 ms per node instead of ~65 ms (scripts/bench-services.ts).
 */
import { SERVICES } from '../constants.ts';
import type { NftChain, NftSet, NftTable } from '../nft/table.ts';
import type { Plan } from './plan.ts';
import type { Endpoint, PlanService, PlanServicePort } from './services.ts';
import { serviceKey } from './services.ts';

export interface ProxyContext {
  /** The family of the table: `ip` (default) or `ip6`, with the Services' and endpoints' addresses of that family. */
  family?: 'ip' | 'ip6';
  podCidr: string;
  /** The Service CIDRs of the table's family: an address in them that no Service holds is dropped (cluster-ips-check). */
  serviceCidrs: readonly string[];
  /**
   * The nodes with their primary address of the table's family (none: the node has no address of
   * it), where their NodePorts answer: kube-proxy's `--nodeport-addresses primary`.
   */
  nodes: readonly { name: string; ip?: string }[];
  natOutgoing: boolean;
  services: readonly PlanService[];
  /** serviceKey → endpoints (ready pods only). */
  endpoints: Readonly<Record<string, readonly Endpoint[]>>;
}

const MARK = SERVICES.masqueradeMark;

/** What the rules of a lab depend on: its plan and the endpoints of the moment. */
export function proxyContext(plan: Plan, endpoints: Readonly<Record<string, readonly Endpoint[]>> = plan.endpoints): GatewayContext {
  return { podCidr: plan.podCidr, serviceCidrs: plan.serviceCidrs.filter((c) => !c.includes(':')), natOutgoing: plan.natOutgoing, services: plan.services.map(ipv4Side), endpoints, nodeNetworkCidr: plan.nodeNetwork.cidr, nodes: plan.nodes.map((n) => ({ name: n.name, ip: n.ips.find((a) => !a.includes(':')) ?? n.ip })) };
}
const proto = (p: PlanServicePort) => p.protocol.toLowerCase();
const portId = (s: PlanService, p: PlanServicePort) => `${serviceKey(s)}/${p.key}`;

/** A Service as the IPv4 table sees it: at its IPv4 cluster IP, or without one (an IPv6-only Service). */
function ipv4Side(s: PlanService): PlanService {
  if (!s.clusterIPs || !s.clusterIPs.some((a) => a.includes(':'))) return s;
  const v4 = s.clusterIPs.find((a) => !a.includes(':'));
  const { clusterIP: _c, ...rest } = s;
  return v4 ? { ...rest, clusterIP: v4 } : rest;
}

/**
 * The same lab seen in IPv6 only, for the `ip6` table: Services with an IPv6 cluster IP at that
 * address (load-balancer pools are IPv4-only), endpoints at their pods' IPv6 addresses, the IPv6
 * pod network. Undefined when the lab has no IPv6.
 */
export function ipv6Context(plan: Plan, endpoints: Readonly<Record<string, readonly Endpoint[]>> = plan.endpoints): ProxyContext | undefined {
  const podCidr = plan.podCidrs.find((c) => c.includes(':'));
  if (!podCidr) return undefined;
  const services = plan.services.flatMap((s) => {
    const v6 = s.clusterIPs?.find((a) => a.includes(':'));
    if (!v6) return [];
    const { loadBalancerIP: _lb, ...rest } = s;
    return [{ ...rest, clusterIP: v6 }];
  });
  const eps: Record<string, Endpoint[]> = {};
  // An endpoint's IPv6 address: among its `ips` (dual stack), or its `ip` (an IPv6-only lab).
  const six = (e: Endpoint) => [e.ip, ...(e.ips ?? [])].find((a) => a.includes(':'));
  for (const [k, list] of Object.entries(endpoints)) eps[k] = list.flatMap((e) => (six(e) ? [{ ...e, ip: six(e)! }] : []));
  const nodes = plan.nodes.map((n) => ({ name: n.name, ...(n.ips.some((a) => a.includes(':')) ? { ip: n.ips.find((a) => a.includes(':'))! } : {}) }));
  return { family: 'ip6', podCidr, serviceCidrs: plan.serviceCidrs.filter((c) => c.includes(':')), natOutgoing: plan.natOutgoing, services, endpoints: eps, nodes };
}

/**
 * The gateway seen in IPv6, for its `ip6` table: the Services' IPv6 load-balancer addresses
 * (loadBalancerIPs), spread over the nodes' NodePorts at their IPv6 addresses. Undefined when the
 * lab has no IPv6.
 */
export function ipv6GatewayContext(plan: Plan, endpoints: Readonly<Record<string, readonly Endpoint[]>> = plan.endpoints): GatewayContext | undefined {
  const base = ipv6Context(plan, endpoints);
  const nodeNetworkCidr = plan.nodeNetwork.cidrs?.find((c) => c.includes(':'));
  if (!base || !nodeNetworkCidr) return undefined;
  const lb6 = new Map(plan.services.flatMap((s) => s.loadBalancerIPs?.filter((a) => a.includes(':')).map((a) => [serviceKey(s), a] as const) ?? []));
  const services = base.services.map((s) => {
    const { loadBalancerIP: _lb, ...rest } = s;
    const six = lb6.get(serviceKey(s));
    return six ? { ...rest, loadBalancerIP: six } : rest;
  });
  return { ...base, services, nodeNetworkCidr, nodes: plan.nodes.map((n) => ({ name: n.name, ip: n.ips.find((a) => a.includes(':'))! })) };
}

/** Services that get rules: not headless, not ExternalName. */
export function proxiedServices(services: readonly PlanService[]): PlanService[] {
  return services.filter((s) => s.clusterIP && !s.headless && s.type !== 'ExternalName');
}

/** The endpoints of one Service port: pods that have the port, in order. */
export function portEndpoints(ctx: ProxyContext, s: PlanService, p: PlanServicePort): (Endpoint & { port: number })[] {
  return (ctx.endpoints[serviceKey(s)] ?? []).filter((e) => e.ports[p.key] !== undefined).map((e) => ({ ...e, port: e.ports[p.key]! }));
}

/** An endpoint address in a set or chain name: nft takes no colon there, so an IPv6 endpoint's colons become dashes. */
const nftToken = (ip: string) => ip.replaceAll(':', '-');
/** A session-affinity set's name. */
const affinitySet = (id: string, ip: string, port: number) => `aff.${id}/${nftToken(ip)}/${port}`;

/** The table for one node. */
export function nodeTable(ctx: ProxyContext, node: string): NftTable {
  const sets: NftSet[] = [];
  const epChains: NftChain[] = [];
  const svcChains: NftChain[] = [];
  const serviceIps: [string, string][] = [];
  const nodePorts: [string, string][] = [];
  const noEndpointIps: [string, string][] = [];
  const noEndpointPorts: [string, string][] = [];
  const clusterIps = new Set<string>();

  const hairpin = new Set<string>();
  const fam = ctx.family ?? 'ip';
  const addrType = fam === 'ip' ? 'ipv4_addr' : 'ipv6_addr';
  // nft writes an IPv6 address and port as [addr]:port.
  const hostPort = (a: string, port: number) => (fam === 'ip' ? `${a}:${port}` : `[${a}]:${port}`);

  for (const s of proxiedServices(ctx.services)) {
    const sticky = s.sessionAffinity === 'ClientIP';
    clusterIps.add(s.clusterIP!);
    for (const p of s.ports) {
      const id = portId(s, p);
      const eps = portEndpoints(ctx, s, p);
      const local = eps.filter((e) => e.node === node);
      for (const e of eps) hairpin.add(e.ip);
      if (sticky)
        for (const e of eps) {
          sets.push({ kind: 'set', name: affinitySet(id, e.ip, e.port), spec: [`type ${addrType}`, 'flags dynamic,timeout', `timeout ${SERVICES.affinityTimeoutSeconds}s`], elements: [] });
          epChains.push({ name: `ep.${id}/${nftToken(e.ip)}/${e.port}`, rules: [`update @${affinitySet(id, e.ip, e.port)} { ${fam} saddr }`, `meta l4proto ${proto(p)} dnat to ${hostPort(e.ip, e.port)}`] });
        }
      const balance = (targets: typeof eps): string[] => {
        if (!targets.length) return ['drop'];
        if (sticky) {
          const pick = targets.length === 1
            ? `goto ep.${id}/${nftToken(targets[0]!.ip)}/${targets[0]!.port}`
            : `numgen random mod ${targets.length} vmap { ${targets.map((e, i) => `${i} : goto ep.${id}/${nftToken(e.ip)}/${e.port}`).join(', ')} }`;
          return [...targets.map((e) => `${fam} saddr @${affinitySet(id, e.ip, e.port)} goto ep.${id}/${nftToken(e.ip)}/${e.port}`), pick];
        }
        if (targets.length === 1) return [`meta l4proto ${proto(p)} dnat to ${hostPort(targets[0]!.ip, targets[0]!.port)}`];
        return [`meta l4proto ${proto(p)} dnat to numgen random mod ${targets.length} map { ${targets.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(', ')} }`];
      };
      svcChains.push({
        name: `svc.${id}`,
        rules: [`${fam} daddr ${s.clusterIP} ${fam} saddr != ${ctx.podCidr} jump mark-for-masquerade`, ...balance(s.internalTrafficPolicy === 'Local' ? local : eps)],
      });
      serviceIps.push([`${s.clusterIP} . ${proto(p)} . ${p.port}`, `goto svc.${id}`]);
      // No endpoint at all (not merely none local): refused, as kube-proxy does.
      if (!eps.length) noEndpointIps.push([`${s.clusterIP} . ${proto(p)} . ${p.port}`, 'goto reject-chain']);

      const exposed = p.nodePort !== undefined || s.loadBalancerIP !== undefined;
      if (!exposed) continue;
      // Where in-cluster traffic to a NodePort or load-balancer address goes: every endpoint, even
      // when internalTrafficPolicy keeps the cluster IP local.
      let clusterWide = `svc.${id}`;
      if (s.externalTrafficPolicy === 'Local' && s.internalTrafficPolicy === 'Local') {
        clusterWide = `all.${id}`;
        svcChains.push({ name: clusterWide, rules: balance(eps) });
      }
      svcChains.push({
        name: `ext.${id}`,
        rules: s.externalTrafficPolicy === 'Local'
          ? [
              // Pods and the node itself still reach every endpoint; only outside clients are kept local.
              `${fam} saddr ${ctx.podCidr} goto ${clusterWide}`,
              'fib saddr type local jump mark-for-masquerade',
              `fib saddr type local goto ${clusterWide}`,
              ...balance(local),
            ]
          : ['jump mark-for-masquerade', ...balance(eps)],
      });
      if (p.nodePort !== undefined) nodePorts.push([`${proto(p)} . ${p.nodePort}`, `goto ext.${id}`]);
      if (s.loadBalancerIP) serviceIps.push([`${s.loadBalancerIP} . ${proto(p)} . ${p.port}`, `goto ext.${id}`]);
      if (!eps.length && p.nodePort !== undefined) noEndpointPorts.push([`${proto(p)} . ${p.nodePort}`, 'goto reject-chain']);
      if (!eps.length && s.loadBalancerIP) noEndpointIps.push([`${s.loadBalancerIP} . ${proto(p)} . ${p.port}`, 'goto reject-chain']);
    }
  }

  sets.push(
    { kind: 'set', name: 'hairpin', spec: [`type ${addrType} . ${addrType}`], elements: [...hairpin].map((a) => [`${a} . ${a}`]) },
    { kind: 'map', name: 'service-ips', spec: [`type ${addrType} . inet_proto . inet_service : verdict`], elements: serviceIps },
    { kind: 'map', name: 'service-nodeports', spec: ['type inet_proto . inet_service : verdict'], elements: nodePorts },
    { kind: 'map', name: 'no-endpoint-services', spec: [`type ${addrType} . inet_proto . inet_service : verdict`], elements: noEndpointIps },
    { kind: 'map', name: 'no-endpoint-nodeports', spec: ['type inet_proto . inet_service : verdict'], elements: noEndpointPorts },
    { kind: 'set', name: 'cluster-ips', spec: [`type ${addrType}`], elements: [...clusterIps].map((a) => [a]) },
  );
  // What is still addressed to the service CIDR after DNAT matched no Service port: refused at an
  // allocated cluster IP (a port no Service has), dropped at an address no Service holds.
  const clusterIpsCheck = [`${fam} daddr @cluster-ips reject`];
  if (ctx.serviceCidrs.length) clusterIpsCheck.push(`${fam} daddr ${ctx.serviceCidrs.length === 1 ? ctx.serviceCidrs[0] : `{ ${ctx.serviceCidrs.join(', ')} }`} drop`);
  // NodePorts answer at the node's primary address only (kube-proxy's nftables mode defaults
  // --nodeport-addresses to `primary`), not at its pod bridge (cni0, cbr0) or tunnel address; with no address of the
  // family kube-proxy falls back to every local one but loopback, as podlab does.
  const own = ctx.nodes.find((n) => n.name === node)?.ip;
  if (own) sets.push({ kind: 'set', name: 'nodeport-ips', spec: [`type ${addrType}`], elements: [[own]] });
  const toNode = own ? `${fam} daddr @nodeport-ips` : `fib daddr type local ${fam} daddr != ${fam === 'ip' ? '127.0.0.0/8' : '::1'}`;
  // A pod that reached itself through a Service: kube-proxy marks it in the endpoint's chain (`ip saddr <endpoint> jump
  // mark-for-masquerade`) and masquerades it fully-random; podlab, with no chain per endpoint, matches the pair instead.
  const postrouting = ['jump masquerading', `ct status dnat ${fam} saddr . ${fam} daddr @hairpin masquerade fully-random`];
  if (ctx.natOutgoing) postrouting.push(`${fam} saddr ${ctx.podCidr} ${fam} daddr != ${ctx.podCidr} masquerade`);
  return {
    family: fam,
    name: SERVICES.table,
    sets,
    chains: [
      { name: 'mark-for-masquerade', rules: [`meta mark set meta mark | ${MARK}`] },
      { name: 'masquerading', rules: [`meta mark & ${MARK} == 0 return`, `meta mark set meta mark ^ ${MARK}`, 'masquerade fully-random'] },
      ...epChains,
      ...svcChains,
      {
        name: 'services',
        rules: [`${fam} daddr . meta l4proto . th dport vmap @service-ips`, `${toNode} meta l4proto . th dport vmap @service-nodeports`],
      },
      { name: 'reject-chain', rules: ['meta l4proto tcp reject with tcp reset', 'reject'] },
      { name: 'service-endpoints-check', rules: [`${fam} daddr . meta l4proto . th dport vmap @no-endpoint-services`, `${toNode} meta l4proto . th dport vmap @no-endpoint-nodeports`] },
      { name: 'filter-prerouting', hook: 'type filter hook prerouting priority -110; policy accept;', rules: ['ct state new jump service-endpoints-check'] },
      { name: 'filter-output', hook: 'type filter hook output priority -110; policy accept;', rules: ['ct state new jump service-endpoints-check'] },
      { name: 'cluster-ips-check', rules: clusterIpsCheck },
      { name: 'filter-prerouting-post-dnat', hook: 'type filter hook prerouting priority -90; policy accept;', rules: ['ct state new jump cluster-ips-check'] },
      { name: 'filter-output-post-dnat', hook: 'type filter hook output priority -90; policy accept;', rules: ['ct state new jump cluster-ips-check'] },
      { name: 'nat-prerouting', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: ['jump services'] },
      { name: 'nat-output', hook: 'type nat hook output priority -100; policy accept;', rules: ['jump services'] },
      { name: 'nat-postrouting', hook: 'type nat hook postrouting priority srcnat; policy accept;', rules: postrouting },
    ],
  };
}

export interface GatewayContext extends ProxyContext {
  nodeNetworkCidr: string;
  nodes: readonly { name: string; ip: string }[];
}

/**
 * The gateway's table: each load-balancer address:port is spread over the nodes' NodePort, as a
 * cloud load balancer does; with externalTrafficPolicy Local only over nodes that have a local
 * endpoint (what the cloud's health check finds). Clients on the node network are masqueraded, or
 * the node would answer them directly, around the gateway.
 */
export function gatewayTable(ctx: GatewayContext): NftTable {
  const chains: NftChain[] = [];
  const lbIps: [string, string][] = [];
  for (const s of proxiedServices(ctx.services)) {
    if (!s.loadBalancerIP) continue;
    for (const p of s.ports) {
      const id = portId(s, p);
      const withLocal = new Set(portEndpoints(ctx, s, p).map((e) => e.node));
      const nodes = s.externalTrafficPolicy === 'Local' ? ctx.nodes.filter((n) => withLocal.has(n.name)) : ctx.nodes;
      for (const n of nodes) chains.push({ name: `lb.${id}/${n.name}`, rules: [`meta l4proto ${proto(p)} dnat to ${n.ip.includes(':') ? `[${n.ip}]` : n.ip}:${p.nodePort}`] });
      const rules = !nodes.length
        ? ['drop']
        : nodes.length === 1
          ? [`goto lb.${id}/${nodes[0]!.name}`]
          : [`numgen random mod ${nodes.length} vmap { ${nodes.map((n, i) => `${i} : goto lb.${id}/${n.name}`).join(', ')} }`];
      chains.push({ name: `lb.${id}`, rules });
      lbIps.push([`${s.loadBalancerIP} . ${proto(p)} . ${p.port}`, `goto lb.${id}`]);
    }
  }
  const fam = ctx.family ?? 'ip';
  return {
    family: fam,
    name: SERVICES.table,
    sets: [{ kind: 'map', name: 'load-balancers', spec: [`type ${fam === 'ip' ? 'ipv4_addr' : 'ipv6_addr'} . inet_proto . inet_service : verdict`], elements: lbIps }],
    chains: [
      ...chains,
      { name: 'nat-prerouting', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: [`${fam} daddr . meta l4proto . th dport vmap @load-balancers`] },
      { name: 'nat-postrouting', hook: 'type nat hook postrouting priority srcnat; policy accept;', rules: [`ct status dnat ${fam} saddr ${ctx.nodeNetworkCidr} masquerade`] },
    ],
  };
}
