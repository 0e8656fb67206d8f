/**
 * The lab as a graph, for drawings (`podlab graph`, generated/<lab>/topology.*): a pure function
 * of the plan — and, for a lab that is up, of its live facts — to nodes, edges and clusters.
 * Renderers (dot.ts, mermaid.ts, svg.ts) only lay this out; nothing here knows a drawing format,
 * and nothing here names a CNI mode: the mode's devices and node-to-node links come from the
 * mode itself (`CniMode.topology`).
 */
import { podBridgeOf } from '../../cni/bridge.ts';
import { cniMode } from '../../cni/registry.ts';
import { familyOfText, formatAddr, hostPort, nth, parsePrefix } from '../../net/addr.ts';
import type { Plan, PlanNode, PlanPod } from '../../plan/plan.ts';
import { serviceKey, type Endpoint, type PlanService } from '../../plan/services.ts';
import type { Ingress, IngressBackend } from '../../ingress/types.ts';

export const GRAPH_VERSION = 1;

/**
 * What a box stands for: `network` a bridge in the fabric namespace (node network, external
 * network); `link` a node's interface on the node network; `bridge` a node's pod bridge (cni0; kubenet's cbr0);
 * `device` a CNI mode's device (a VXLAN VTEP); `pod`; `gateway`; `host` a machine outside the
 * cluster; `service`; `ingress` an Ingress (its rules, the Services they send to).
 */
export type GraphNodeKind = 'network' | 'link' | 'bridge' | 'device' | 'pod' | 'gateway' | 'host' | 'service' | 'ingress';

/**
 * A pod's state: `planned` (drawn from a lab file), `running` (live, every process alive), or
 * `down` (live: deleted, or its sandbox or a container has exited). A node's link is `down` when
 * the node failed (`podlab node fail`: its link to the node network unplugged).
 */
export type PodState = 'planned' | 'running' | 'down';

export interface GraphNode {
  /** Stable and unique: `net/nodes`, `node/<node>/<iface>`, `pod/<ns>/<name>`, `svc/<ns>/<name>`, … */
  id: string;
  kind: GraphNodeKind;
  /** The label's lines, the first naming the thing. */
  label: string[];
  /** The cluster (a node's namespace, the Services) it is drawn in. */
  cluster?: string;
  /** Its addresses (node, pod, cluster, load-balancer IPs), every family's, primary first, for tools and tests. */
  ips: string[];
  /** Pods: running or not; a failed node's link: down. */
  state?: PodState;
  /** Pods: the cluster DNS pod, or a pod sharing its node's network. */
  role?: 'dns' | 'host-network';
}

/**
 * `wire` a link to a bridge (a veth pair: the bridge's port ⇄ the interface in the namespace); `veth` a pod's veth pair
 * (eth0 in the pod, its peer on the pod bridge); `host-network` a pod in its node's namespace;
 * `internal` inside a node: its kernel forwards between the node link, the pod bridge and the
 * mode's devices; `tunnel`/`route` how two nodes reach each other's pods; `endpoint` a Service to a
 * pod backing it; `serves` the ingress controller's pod to an Ingress it serves; `backend` an Ingress
 * to a Service its rules send to. Edges run in the drawing's reading order (outside → node network
 * → nodes → pods → Ingresses → Services).
 */
export type GraphEdgeKind = 'wire' | 'veth' | 'host-network' | 'internal' | 'tunnel' | 'route' | 'endpoint' | 'serves' | 'backend';

export interface GraphEdge {
  from: string;
  to: string;
  kind: GraphEdgeKind;
  label?: string[];
  /** Live: the line is down (the veth of a pod that is not running; a failed node's link, tunnels and routes). */
  state?: 'down';
}

export interface GraphCluster {
  id: string;
  kind: 'node' | 'services' | 'ingresses';
  label: string[];
  /** Live: the node failed (`podlab node fail`): NotReady, its link down. */
  state?: 'failed';
}

export interface Graph {
  version: number;
  lab: string;
  source: string;
  /** Drawn from a live lab's state (true) or from the plan (false). */
  live: boolean;
  /** A one-line title. */
  title: string;
  clusters: GraphCluster[];
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * What a live lab adds to its plan: each pod's state and addresses (`ips` one per family, primary
 * first, none once deleted; without it, `ip`), the endpoints kube-proxy has now, and the nodes
 * that failed.
 */
export interface GraphLive {
  pods: Record<string, { state: 'running' | 'down'; ip: string; ips?: string[]; why?: string; hostVeth?: string }>;
  endpoints: Record<string, Endpoint[]>;
  /** Nodes failed with `podlab node fail` (link unplugged, NotReady). */
  failedNodes?: string[];
}

/** A path drawn over the graph (a trace, src/trace/draw.ts): its boxes and its lines (indexes into `edges`). */
export interface PathMarks {
  nodes: string[];
  edges: number[];
  /** Delivered (drawn orange) or dropped (drawn red). */
  ok: boolean;
  /** One line for the title: what was traced and how it ended. */
  label: string;
}

/** What a drawing marks on a graph beyond its own facts: a traced path, and the checks that failed at a box. */
export interface DrawMarks {
  path?: PathMarks;
  /** Box id → names of the failed checks from or to it: the box is drawn red with them. */
  failed?: Record<string, string[]>;
}

export const graphIds = {
  nodeNetwork: 'net/nodes',
  externalNetwork: 'net/external',
  gateway: 'gateway',
  host: (name: string) => `host/${name}`,
  nodeCluster: (node: string) => `node/${node}`,
  nodeDevice: (node: string, dev: string) => `node/${node}/${dev}`,
  pod: (p: Pick<PlanPod, 'namespace' | 'name'>) => `pod/${p.namespace}/${p.name}`,
  service: (s: Pick<PlanService, 'namespace' | 'name'>) => `svc/${s.namespace}/${s.name}`,
  services: 'services',
  ingress: (i: Pick<Ingress, 'namespace' | 'name'>) => `ingress/${i.namespace}/${i.name}`,
  ingresses: 'ingresses',
} as const;

/** Distinct, in order. */
const distinct = (xs: readonly string[]): string[] => [...new Set(xs)];

/** A fabric link's addresses: its IPv4 (or only) one and, in a lab with IPv6, its IPv6 one. */
const linkIps = (l: { ip: string; ip6?: string }): string[] => distinct([l.ip, ...(l.ip6 ? [l.ip6] : [])]);

/** The pod bridge's gateway address in each of the node's pod CIDRs (`<addr>/<len>`): the bridge plugin's first address of each range. */
function bridgeAddresses(node: PlanNode): string[] {
  return (node.podCidrs ?? [node.podCidr]).map((cidr) => {
    const [net, len] = cidr.split('/');
    const gw = familyOfText(node.podGateway) === familyOfText(net!) ? node.podGateway : formatAddr(nth(parsePrefix(cidr)!, 1)!);
    return `${gw}/${len}`;
  });
}

/** A Service port as `port[:nodePort]/protocol→targetPort`, as `podlab status` writes it. */
function servicePort(p: PlanService['ports'][number]): string {
  return `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}→${p.targetPort}`;
}

function serviceLabel(s: PlanService, dnsServiceIp?: string): string[] {
  const head = `svc ${s.namespace}/${s.name}`;
  if (s.type === 'ExternalName') return [head, `ExternalName → ${s.externalName}`];
  // Every cluster IP: a dual-stack Service has one per family (clusterIPs, primary first).
  const addr = s.headless ? 'headless (clusterIP None)' : `${s.type} ${(s.clusterIPs ?? [s.clusterIP]).join(', ')}`;
  return [
    head,
    addr,
    // Every load-balancer address: a dual-stack LoadBalancer has one per family (loadBalancerIPs).
    ...(s.loadBalancerIP ? [`load balancer ${(s.loadBalancerIPs ?? [s.loadBalancerIP]).join(', ')}`] : []),
    ...s.ports.map(servicePort),
    ...(s.clusterIP && s.clusterIP === dnsServiceIp ? ['cluster DNS'] : []),
  ];
}

/** An Ingress backend as `service:port`. */
const backendText = (b: IngressBackend): string => `${b.service}:${b.port}`;

/**
 * An Ingress's box: its name, its class (and whether the lab's controller serves it), its TLS hosts,
 * then one line per rule path (`host/path (pathType) → service:port`, `*` for a rule of every host)
 * and its default backend, in the order written.
 */
function ingressLabel(i: Ingress, servedHere: boolean): string[] {
  const tls = i.tls.flatMap((t) => t.hosts);
  return [
    `ingress ${i.namespace}/${i.name}`,
    `class ${i.className ?? '(none)'}${servedHere ? '' : ': no controller of the lab serves it'}${tls.length ? ` · TLS ${tls.join(', ')}` : ''}`,
    ...i.rules.flatMap((r) => r.paths.map((p) => `${r.host ?? '*'}${p.path} (${p.pathType}) → ${backendText(p.backend)}`)),
    ...(i.defaultBackend ? [`default backend → ${backendText(i.defaultBackend)}`] : []),
  ];
}

/** The lab's graph: from its plan, or with `live` from the state of the lab that is up. */
export function buildGraph(plan: Plan, live?: GraphLive): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const clusters: GraphCluster[] = [];
  const ids = graphIds;
  const mode = cniMode(plan.cni.type);

  // Outside the cluster: the networks in the fabric namespace, the gateway, the hosts.
  nodes.push({
    id: ids.nodeNetwork,
    kind: 'network',
    label: [
      `${plan.nodeNetwork.bridge} · node network ${(plan.nodeNetwork.cidrs ?? [plan.nodeNetwork.cidr]).join(', ')}`,
      `netns ${plan.fabric.netns}`,
      ...(plan.nodeNetwork.podTraffic === 'drop' ? ['drops pod-addressed packets'] : []),
    ],
    ips: plan.nodeNetwork.cidrs ?? [plan.nodeNetwork.cidr],
  });
  if (plan.externalNetwork) {
    nodes.push({
      id: ids.externalNetwork,
      kind: 'network',
      label: [`${plan.externalNetwork.bridge} · external network ${plan.externalNetwork.cidr}`, `netns ${plan.fabric.netns}`],
      ips: [plan.externalNetwork.cidr],
    });
  }
  if (plan.gateway) {
    const g = plan.gateway;
    // Every load-balancer address it holds, IPv4 then IPv6 (an IPv6-only lab's are all IPv6).
    const lbs = [...g.loadBalancerIps, ...(g.loadBalancerIps6 ?? [])];
    nodes.push({
      id: ids.gateway,
      kind: 'gateway',
      label: [
        'gateway',
        `${g.nodeSide.iface} ${linkIps(g.nodeSide).join(', ')}`,
        ...(g.externalSide ? [`${g.externalSide.iface} ${linkIps(g.externalSide).join(', ')}`] : []),
        ...(lbs.length ? [`load balancer ${lbs.join(', ')}`] : []),
      ],
      ips: distinct([...linkIps(g.nodeSide), ...(g.externalSide ? linkIps(g.externalSide) : []), ...lbs]),
    });
    // The gateway sits between the external network (before it) and the node network (after it).
    if (g.externalSide) edges.push({ from: ids.externalNetwork, to: ids.gateway, kind: 'wire', label: [`${g.externalSide.fabricPort} ⇄ ${g.externalSide.iface}`] });
    edges.push({ from: ids.gateway, to: ids.nodeNetwork, kind: 'wire', label: [`${g.nodeSide.iface} ⇄ ${g.nodeSide.fabricPort}`] });
  }
  for (const h of plan.hosts) {
    const id = ids.host(h.name);
    const hostIps = h.ips ?? linkIps(h);
    nodes.push({
      id,
      kind: 'host',
      label: [`host ${h.name}`, `${h.iface} ${hostIps.join(', ')}`, ...(h.dns ? ['DNS server'] : [])],
      ips: hostIps,
    });
    edges.push({ from: id, to: h.network === 'external' ? ids.externalNetwork : ids.nodeNetwork, kind: 'wire', label: [`${h.iface} ⇄ ${h.fabricPort}`] });
  }

  // Nodes: the link to the node network, the pod bridge, the mode's devices, and their pods.
  const podsOf = new Map(plan.nodes.map((n) => [n.name, plan.pods.filter((p) => p.node === n.name)]));
  // A failed node (live): NotReady, its link to the node network unplugged, so its wire and every tunnel or route to it are down.
  const failed = new Set((live?.failedNodes ?? []).filter((name) => plan.nodes.some((n) => n.name === name)));
  const down = { state: 'down' } as const;
  for (const n of plan.nodes) {
    const cluster = ids.nodeCluster(n.name);
    const isFailed = failed.has(n.name);
    clusters.push({
      id: cluster,
      kind: 'node',
      label: [`node ${n.name} (${n.role})${isFailed ? ' · NotReady' : ''}`, `pods ${(n.podCidrs ?? [n.podCidr]).join(', ')}`, `netns ${n.netns}`, ...(isFailed ? ['failed: link down (podlab node fail)'] : [])],
      ...(isFailed ? { state: 'failed' as const } : {}),
    });
    const link = ids.nodeDevice(n.name, n.iface);
    const nodeIps = n.ips ?? [n.ip];
    nodes.push({ id: link, kind: 'link', label: [`${n.iface} ${nodeIps.join(', ')}`, `mac ${n.mac}`, ...(isFailed ? ['DOWN, no carrier (node failed)'] : [])], cluster, ips: nodeIps, ...(isFailed ? down : {}) });
    edges.push({ from: ids.nodeNetwork, to: link, kind: 'wire', label: [`${n.fabricPort} ⇄ ${n.iface}`], ...(isFailed ? down : {}) });

    const bridge = podBridgeOf(n);
    const bridgeId = bridge ? ids.nodeDevice(n.name, bridge) : undefined;
    if (bridge && bridgeId) {
      const addrs = bridgeAddresses(n);
      nodes.push({ id: bridgeId, kind: 'bridge', label: [`${bridge} ${addrs.join(', ')}`, 'pod bridge'], cluster, ips: addrs.map((a) => a.split('/')[0]!) });
      edges.push({ from: link, to: bridgeId, kind: 'internal' });
    }
    const peers = plan.nodes.filter((o) => o.name !== n.name);
    for (const d of mode.topology(n, peers).devices) {
      const id = ids.nodeDevice(n.name, d.name);
      nodes.push({ id, kind: 'device', label: [d.name, d.detail], cluster, ips: [] });
      edges.push({ from: link, to: id, kind: 'internal' });
    }

    for (const p of podsOf.get(n.name)!) {
      const lp = live?.pods[p.name];
      const state: PodState = lp ? lp.state : live ? 'down' : 'planned';
      // Every family's address; a live pod its live ones (none once deleted: host-local released them).
      const podIps = lp ? (lp.ips ?? (lp.ip ? [lp.ip] : [])) : p.ips?.length ? p.ips : [p.ip];
      const id = ids.pod(p);
      const role = p.system === 'dns' ? 'dns' : p.hostNetwork ? 'host-network' : undefined;
      nodes.push({
        id,
        kind: 'pod',
        label: [
          `pod ${p.namespace}/${p.name}`,
          `${podIps.length ? podIps.join(', ') : 'no IP'}${p.hostNetwork ? ' (hostNetwork)' : ''}`,
          ...(p.containers.length ? [p.containers.map((c) => c.name).join(', ')] : []),
          ...(state === 'down' ? [`not running${lp?.why ? `: ${lp.why}` : ''}`] : []),
        ],
        cluster,
        ips: podIps,
        state,
        ...(role ? { role } : {}),
      });
      const podDown = state === 'down' ? down : {};
      if (p.hostNetwork) edges.push({ from: link, to: id, kind: 'host-network', label: ['hostNetwork'], ...podDown });
      // The host end's real name where the live lab recorded it (the CNI ADD result): a bridge port, or a routed veth (calico's cali…).
      else edges.push({ from: bridgeId ?? link, to: id, kind: 'veth', label: [`${lp?.hostVeth ?? 'veth'} ⇄ eth0`], ...podDown });
    }
  }

  // Node to node: one edge per pair, from the mode's link of the node declared first.
  const byName = new Map(plan.nodes.map((n) => [n.name, n]));
  const drawn = new Set(nodes.map((x) => x.id));
  plan.nodes.forEach((n, i) => {
    const peers = plan.nodes.filter((o) => o.name !== n.name);
    for (const l of mode.topology(n, peers).links) {
      const peer = byName.get(l.peer);
      if (!peer || plan.nodes.indexOf(peer) < i) continue;
      // The peer's end is its device of the same name when it has one (a tunnel's far end), else its link.
      const far = drawn.has(ids.nodeDevice(peer.name, l.device)) ? l.device : peer.iface;
      edges.push({
        from: ids.nodeDevice(n.name, l.device),
        to: ids.nodeDevice(peer.name, far),
        kind: l.kind,
        label: [l.detail, `${n.podCidr} ⇄ ${peer.podCidr}`],
        ...(failed.has(n.name) || failed.has(peer.name) ? down : {}),
      });
    }
  });

  // Services, and the pods behind them (live: the endpoints kube-proxy is programmed with).
  const endpoints = live?.endpoints ?? plan.endpoints;
  if (plan.services.length) clusters.push({ id: ids.services, kind: 'services', label: [`Services ${(plan.serviceCidrs ?? [plan.serviceCidr]).join(', ')}`, 'kube-proxy (nftables) on every node'] });
  for (const s of plan.services) {
    const id = ids.service(s);
    nodes.push({
      id,
      kind: 'service',
      label: serviceLabel(s, plan.dns?.serviceIP),
      cluster: ids.services,
      ips: [...(s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])), ...(s.loadBalancerIPs ?? (s.loadBalancerIP ? [s.loadBalancerIP] : []))],
    });
    for (const e of endpoints[serviceKey(s)] ?? []) {
      const ports = [...new Set(Object.values(e.ports))].sort((a, b) => a - b);
      // The endpoint's address in each of the Service's families (an IPv6-only Service's are IPv6, as kube-proxy's ip6 table holds them).
      const addrs = e.ips?.length ? e.ips : [e.ip];
      const shown = (s.ipFamilies ?? []).flatMap((f) => addrs.filter((a) => familyOfText(a) === f).slice(0, 1));
      const label = (shown.length ? shown : [e.ip]).map((a) => (ports.length ? hostPort(a, ports.join(',')) : a));
      edges.push({ from: ids.pod({ namespace: e.namespace, name: e.pod }), to: id, kind: 'endpoint', label });
    }
  }

  // Ingresses: the controller's pod serves them; their rules send to Services of their namespace.
  if (plan.ingress) {
    const ing = plan.ingress;
    const controller = ids.pod({ namespace: ing.namespace, name: ing.pod });
    const all = [...ing.ingresses.map((i) => [i, true] as const), ...(ing.others ?? []).map((i) => [i, false] as const)];
    if (all.length) clusters.push({ id: ids.ingresses, kind: 'ingresses', label: ['Ingresses', `served by pod ${ing.namespace}/${ing.pod} (nginx)`] });
    for (const [i, servedHere] of all) {
      const id = ids.ingress(i);
      nodes.push({ id, kind: 'ingress', label: ingressLabel(i, servedHere), cluster: ids.ingresses, ips: [] });
      if (servedHere) edges.push({ from: controller, to: id, kind: 'serves' });
      // One line per Service it sends to, its rules as the tooltip.
      const to = new Map<string, string[]>();
      const add = (b: IngressBackend, what: string) => to.set(b.service, [...(to.get(b.service) ?? []), what]);
      for (const r of i.rules) for (const p of r.paths) add(p.backend, `${r.host ?? '*'}${p.path} (${p.pathType}) → ${backendText(p.backend)}`);
      if (i.defaultBackend) add(i.defaultBackend, `default backend → ${backendText(i.defaultBackend)}`);
      for (const [svc, rules] of to) {
        const target = ids.service({ namespace: i.namespace, name: svc });
        if (nodes.some((n) => n.id === target)) edges.push({ from: id, to: target, kind: 'backend', label: rules });
      }
    }
  }

  const how = live ? `live${failed.size ? ` · ${[...failed].map((f) => `node ${f}`).join(', ')} failed (NotReady)` : ''}` : `planned from ${plan.source}`;
  return {
    version: GRAPH_VERSION,
    lab: plan.lab,
    source: plan.source,
    live: !!live,
    title: `lab ${plan.lab} · ${plan.cni.type}${mode.describe(plan.cni, plan.ipFamilies).summary} · pods ${(plan.podCidrs ?? [plan.podCidr]).join(', ')} · ${how}`,
    clusters,
    nodes,
    edges,
  };
}
