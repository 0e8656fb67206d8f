/**
 * A trace drawn over the topology (`podlab trace … --svg`, the `podlab ui` page): which boxes and
 * lines of the lab's graph (src/render/graph/model.ts) one traced connection passes. Pure: the
 * graph and the trace in, the marks the DOT writer draws out.
 *
 * The ends come from the trace (its source, the endpoint kube-proxy chose or the address it ends
 * at, the Service whose DNAT it met); the way between them is the cheapest path through the graph,
 * where a tunnel or a route between two nodes costs less than two wires through the node network
 * (so flannel's path runs over its VXLAN devices and kubenet's over its routes, as the packet
 * does), and a Service is never a way through (its endpoint line is drawn only from the Service
 * the trace names).
 */
import type { Graph, GraphEdgeKind, GraphNode, PathMarks } from '../render/graph/model.ts';
import type { TracePath } from './trace.ts';

/** The cost of a line on the way; a wire to the node network or the external one costs double. */
const COST: Record<Exclude<GraphEdgeKind, 'endpoint' | 'serves' | 'backend'>, number> = { wire: 2, veth: 1, 'host-network': 1, internal: 1, tunnel: 0.5, route: 0.5 };

/** The box a trace's end names: `node/x` its link, `host/x`, `gateway`, a pod (`ns/name` or `name`) or an address. */
export function endNode(g: Graph, ref: string): GraphNode | undefined {
  if (ref.startsWith('node/')) return g.nodes.find((n) => n.kind === 'link' && n.cluster === ref);
  if (ref.startsWith('host/')) return g.nodes.find((n) => n.id === ref);
  if (ref === 'gateway') return g.nodes.find((n) => n.kind === 'gateway');
  if (ref.startsWith('svc/')) return undefined;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ref)) return byAddress(g, ref);
  return ref.includes('/') ? g.nodes.find((n) => n.id === `pod/${ref}`) : g.nodes.find((n) => n.kind === 'pod' && n.id.endsWith(`/${ref}`));
}

/** The box holding an address: a pod (not a hostNetwork one), a node's link, a host, the gateway, a Service. */
function byAddress(g: Graph, ip: string): GraphNode | undefined {
  const order: GraphNode['kind'][] = ['pod', 'link', 'host', 'gateway', 'service'];
  for (const kind of order) {
    const hit = g.nodes.find((n) => n.kind === kind && n.ips.includes(ip) && n.role !== 'host-network');
    if (hit) return hit;
  }
  return undefined;
}

/** The cheapest way between two boxes (Dijkstra on a few dozen boxes), as edge indexes; undefined when there is none. */
function cheapestPath(g: Graph, from: string, to: string): number[] | undefined {
  const dist = new Map<string, number>([[from, 0]]);
  const via = new Map<string, number>();
  const done = new Set<string>();
  const services = new Set(g.nodes.filter((n) => n.kind === 'service').map((n) => n.id));
  for (;;) {
    let at: string | undefined;
    for (const [id, d] of dist) if (!done.has(id) && (at === undefined || d < dist.get(at)!)) at = id;
    if (at === undefined) return undefined;
    if (at === to) break;
    done.add(at);
    g.edges.forEach((e, i) => {
      if (e.kind === 'endpoint' || e.kind === 'serves' || e.kind === 'backend') return;
      const other = e.from === at ? e.to : e.to === at ? e.from : undefined;
      if (other === undefined || services.has(other) || done.has(other)) return;
      const d = dist.get(at!)! + COST[e.kind];
      if (d < (dist.get(other) ?? Infinity)) {
        dist.set(other, d);
        via.set(other, i);
      }
    });
  }
  const edges: number[] = [];
  for (let at = to; at !== from; ) {
    const i = via.get(at)!;
    edges.unshift(i);
    const e = g.edges[i]!;
    at = e.from === at ? e.to : e.from;
  }
  return edges;
}

/** The Service a trace's DNAT hop names (`Service ns/name …`), or the one holding the first packet's address. */
function serviceOf(g: Graph, t: TracePath): GraphNode | undefined {
  const dnat = t.hops.find((h) => h.kind === 'dnat');
  const m = dnat && /Service ([a-z0-9-]+\/[a-z0-9-.]+)/.exec(dnat.k8s);
  if (m) return g.nodes.find((n) => n.id === `svc/${m[1]}`);
  return g.nodes.find((n) => n.kind === 'service' && n.ips.includes(t.daddr));
}

/** The boxes and lines a trace passes, for the DOT writer (`graphToDot(g, banner, { path })`). */
export function tracePathMarks(g: Graph, t: TracePath): PathMarks {
  const src = endNode(g, t.from);
  const dst = t.endpoint ? g.nodes.find((n) => n.id === `pod/${t.endpoint!.namespace}/${t.endpoint!.pod}`) : byAddress(g, t.dest.ip);
  const svc = serviceOf(g, t);
  const nodes = new Set<string>();
  const edges = new Set<number>();
  if (src) nodes.add(src.id);
  if (dst && dst.kind !== 'service') nodes.add(dst.id);
  if (src && dst && dst.kind !== 'service') for (const i of cheapestPath(g, src.id, dst.id) ?? []) edges.add(i);
  if (svc) {
    nodes.add(svc.id);
    const ep = dst ? g.edges.findIndex((e) => e.kind === 'endpoint' && e.to === svc.id && e.from === dst.id) : -1;
    if (ep >= 0) edges.add(ep);
  }
  for (const i of edges) {
    nodes.add(g.edges[i]!.from);
    nodes.add(g.edges[i]!.to);
  }
  return { nodes: [...nodes].sort(), edges: [...edges].sort((a, b) => a - b), ok: t.outcome === 'delivered', label: `${t.from} → ${t.to}${t.port !== undefined ? `:${t.port}` : ''}/${t.protocol}: ${t.outcome}` };
}
