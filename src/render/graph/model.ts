/**
 * The lab as a graph, for drawings (`podlab graph`, generated/<lab>/topology.*): a pure function
 * of the plan — and, for a lab that is up, of its live facts — to nodes, edges and clusters.
 * Renderers (dot.ts, mermaid.ts, svg.ts) only lay this out; nothing here knows a drawing format,
 * and nothing here names a CNI mode: the mode's devices and node-to-node links come from the
 * mode itself (`CniMode.topology`).
 */
import { cniMode } from '../../cni/registry.ts';
import type { Plan, PlanNode, PlanPod } from '../../plan/plan.ts';
import { serviceKey, type Endpoint, type PlanService } from '../../plan/services.ts';

export const GRAPH_VERSION = 1;

/**
 * What a box stands for: `network` a bridge in the fabric namespace (node network, external
 * network); `link` a node's interface on the node network; `bridge` a node's pod bridge (cni0);
 * `device` a CNI mode's device (a VXLAN VTEP); `pod`; `gateway`; `host` a machine outside the
 * cluster; `service`.
 */
export type GraphNodeKind = 'network' | 'link' | 'bridge' | 'device' | 'pod' | 'gateway' | 'host' | 'service';

/**
 * A pod's state: `planned` (drawn from a lab file), `running` (live, every process alive), or
 * `down` (live: deleted, or its sandbox or a container has exited).
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
  /** Its addresses (node, pod, cluster, load-balancer IPs), for tools and tests. */
  ips: string[];
  /** Pods: running or not. */
  state?: PodState;
  /** Pods: the cluster DNS pod, or a pod sharing its node's network. */
  role?: 'dns' | 'host-network';
}

/**
 * `wire` a link to a bridge (a veth pair: the bridge's port ⇄ the interface in the namespace); `veth` a pod's veth pair
 * (eth0 in the pod, its peer on the pod bridge); `host-network` a pod in its node's namespace;
 * `internal` inside a node: its kernel forwards between the node link, the pod bridge and the
 * mode's devices; `tunnel`/`route` how two nodes reach each other's pods; `endpoint` a Service to a
 * pod backing it. Edges run in the drawing's reading order (outside → node network → nodes → pods → Services).
 */
export type GraphEdgeKind = 'wire' | 'veth' | 'host-network' | 'internal' | 'tunnel' | 'route' | 'endpoint';

export interface GraphEdge {
  from: string;
  to: string;
  kind: GraphEdgeKind;
  label?: string[];
}

export interface GraphCluster {
  id: string;
  kind: 'node' | 'services';
  label: string[];
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

/** What a live lab adds to its plan: each pod's state and address, and the endpoints kube-proxy has now. */
export interface GraphLive {
  pods: Record<string, { state: 'running' | 'down'; ip: string; why?: string; hostVeth?: string }>;
  endpoints: Record<string, Endpoint[]>;
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
} as const;

/** The pod bridge a node's conflist names (the CNI `bridge` plugin's `bridge`), if it has one. */
function podBridge(node: PlanNode): string | undefined {
  const plugin = node.conflist.plugins.find((p) => p.type === 'bridge');
  return plugin ? String(plugin.bridge ?? 'cni0') : undefined;
}

/** A Service port as `port[:nodePort]/protocol→targetPort`, as `podlab status` writes it. */
function servicePort(p: PlanService['ports'][number]): string {
  return `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}→${p.targetPort}`;
}

function serviceLabel(s: PlanService, dnsServiceIp?: string): string[] {
  const head = `svc ${s.namespace}/${s.name}`;
  if (s.type === 'ExternalName') return [head, `ExternalName → ${s.externalName}`];
  const addr = s.headless ? 'headless (clusterIP None)' : `${s.type} ${s.clusterIP}`;
  return [
    head,
    addr,
    ...(s.loadBalancerIP ? [`load balancer ${s.loadBalancerIP}`] : []),
    ...s.ports.map(servicePort),
    ...(s.clusterIP && s.clusterIP === dnsServiceIp ? ['cluster DNS'] : []),
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
      `${plan.nodeNetwork.bridge} · node network ${plan.nodeNetwork.cidr}`,
      `netns ${plan.fabric.netns}`,
      ...(plan.nodeNetwork.podTraffic === 'drop' ? ['drops pod-addressed packets'] : []),
    ],
    ips: [plan.nodeNetwork.cidr],
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
    nodes.push({
      id: ids.gateway,
      kind: 'gateway',
      label: [
        'gateway',
        `${g.nodeSide.iface} ${g.nodeSide.ip}`,
        ...(g.externalSide ? [`${g.externalSide.iface} ${g.externalSide.ip}`] : []),
        ...(g.loadBalancerIps.length ? [`load balancer ${g.loadBalancerIps.join(', ')}`] : []),
      ],
      ips: [g.nodeSide.ip, ...(g.externalSide ? [g.externalSide.ip] : []), ...g.loadBalancerIps],
    });
    // The gateway sits between the external network (before it) and the node network (after it).
    if (g.externalSide) edges.push({ from: ids.externalNetwork, to: ids.gateway, kind: 'wire', label: [`${g.externalSide.fabricPort} ⇄ ${g.externalSide.iface}`] });
    edges.push({ from: ids.gateway, to: ids.nodeNetwork, kind: 'wire', label: [`${g.nodeSide.iface} ⇄ ${g.nodeSide.fabricPort}`] });
  }
  for (const h of plan.hosts) {
    const id = ids.host(h.name);
    nodes.push({
      id,
      kind: 'host',
      label: [`host ${h.name}`, `${h.iface} ${h.ip}`, ...(h.dns ? ['DNS server'] : [])],
      ips: [h.ip],
    });
    edges.push({ from: id, to: h.network === 'external' ? ids.externalNetwork : ids.nodeNetwork, kind: 'wire', label: [`${h.iface} ⇄ ${h.fabricPort}`] });
  }

  // Nodes: the link to the node network, the pod bridge, the mode's devices, and their pods.
  const podsOf = new Map(plan.nodes.map((n) => [n.name, plan.pods.filter((p) => p.node === n.name)]));
  for (const n of plan.nodes) {
    const cluster = ids.nodeCluster(n.name);
    clusters.push({ id: cluster, kind: 'node', label: [`node ${n.name} (${n.role})`, `pods ${n.podCidr}`, `netns ${n.netns}`] });
    const link = ids.nodeDevice(n.name, n.iface);
    nodes.push({ id: link, kind: 'link', label: [`${n.iface} ${n.ip}`, `mac ${n.mac}`], cluster, ips: [n.ip] });
    edges.push({ from: ids.nodeNetwork, to: link, kind: 'wire', label: [`${n.fabricPort} ⇄ ${n.iface}`] });

    const bridge = podBridge(n);
    const bridgeId = bridge ? ids.nodeDevice(n.name, bridge) : undefined;
    if (bridge && bridgeId) {
      const prefix = n.podCidr.split('/')[1];
      nodes.push({ id: bridgeId, kind: 'bridge', label: [`${bridge} ${n.podGateway}/${prefix}`, 'pod bridge'], cluster, ips: [n.podGateway] });
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
      const podIp = lp?.ip ?? p.ip;
      const id = ids.pod(p);
      const role = p.system === 'dns' ? 'dns' : p.hostNetwork ? 'host-network' : undefined;
      nodes.push({
        id,
        kind: 'pod',
        label: [
          `pod ${p.namespace}/${p.name}`,
          `${podIp}${p.hostNetwork ? ' (hostNetwork)' : ''}`,
          ...(p.containers.length ? [p.containers.map((c) => c.name).join(', ')] : []),
          ...(state === 'down' ? [`not running${lp?.why ? `: ${lp.why}` : ''}`] : []),
        ],
        cluster,
        ips: [podIp],
        state,
        ...(role ? { role } : {}),
      });
      if (p.hostNetwork) edges.push({ from: link, to: id, kind: 'host-network', label: ['hostNetwork'] });
      else if (bridgeId) edges.push({ from: bridgeId, to: id, kind: 'veth', label: [`${lp?.hostVeth ?? 'veth'} ⇄ eth0`] });
      else edges.push({ from: link, to: id, kind: 'veth', label: ['veth ⇄ eth0'] });
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
      });
    }
  });

  // Services, and the pods behind them (live: the endpoints kube-proxy is programmed with).
  const endpoints = live?.endpoints ?? plan.endpoints;
  if (plan.services.length) clusters.push({ id: ids.services, kind: 'services', label: [`Services ${plan.serviceCidr}`, 'kube-proxy (nftables) on every node'] });
  for (const s of plan.services) {
    const id = ids.service(s);
    nodes.push({
      id,
      kind: 'service',
      label: serviceLabel(s, plan.dns?.serviceIP),
      cluster: ids.services,
      ips: [...(s.clusterIP ? [s.clusterIP] : []), ...(s.loadBalancerIP ? [s.loadBalancerIP] : [])],
    });
    for (const e of endpoints[serviceKey(s)] ?? []) {
      const ports = [...new Set(Object.values(e.ports))].sort((a, b) => a - b);
      edges.push({ from: ids.pod({ namespace: e.namespace, name: e.pod }), to: id, kind: 'endpoint', label: [ports.length ? `${e.ip}:${ports.join(',')}` : e.ip] });
    }
  }

  const how = live ? 'live' : `planned from ${plan.source}`;
  return {
    version: GRAPH_VERSION,
    lab: plan.lab,
    source: plan.source,
    live: !!live,
    title: `lab ${plan.lab} · ${plan.cni.type}${mode.describe(plan.cni, plan.ipFamilies).summary} · pods ${plan.podCidr} · ${how}`,
    clusters,
    nodes,
    edges,
  };
}
