/**
 * The lab's graph as Graphviz DOT: text a reader can diff, and the input of the SVG layout
 * (svg.ts). One DOT node per graph node (the SVG's `<g class="node">`), one cluster per node
 * namespace and one for the Services; shapes and colours by kind (docs/graph.md has the key).
 * Output is a pure function of the graph: same graph, same bytes.
 */
import type { DrawMarks, Graph, GraphEdge, GraphEdgeKind, GraphNode } from './model.ts';

/**
 * The font text is measured in. Graphviz has metrics for DejaVu Sans (Debian's default sans), and
 * it is among the widest common sans fonts, so text fits its box in whatever font the viewer ends
 * up with (the SVG names fallbacks: svg.ts FONT_FALLBACKS).
 */
export const FONT = 'DejaVu Sans';

/** Attributes of a box, by what it stands for. */
function nodeStyle(n: GraphNode): Record<string, string> {
  if (n.kind === 'pod') {
    if (n.state === 'down') return { shape: 'box', style: 'rounded,filled,dashed', fillcolor: '#fee2e2', color: '#dc2626', fontcolor: '#991b1b', penwidth: '2' };
    if (n.role === 'dns') return { shape: 'box', style: 'rounded,filled', fillcolor: '#fef9c3', color: '#a16207' };
    if (n.role === 'host-network') return { shape: 'box', style: 'rounded,filled', fillcolor: '#f0fdf4', color: '#15803d' };
    return { shape: 'box', style: 'rounded,filled', fillcolor: '#dcfce7', color: '#15803d' };
  }
  // A failed node's link: unplugged.
  if (n.state === 'down') return { shape: 'box', style: 'filled,dashed', fillcolor: '#fee2e2', color: '#dc2626', fontcolor: '#991b1b', penwidth: '2', class: 'down' };
  const byKind: Record<Exclude<GraphNode['kind'], 'pod'>, Record<string, string>> = {
    network: { shape: 'box', style: 'filled,bold', fillcolor: '#dbeafe', color: '#1d4ed8' },
    link: { shape: 'box', style: 'filled', fillcolor: '#f1f5f9', color: '#475569' },
    bridge: { shape: 'box', style: 'filled', fillcolor: '#e0f2fe', color: '#0369a1' },
    device: { shape: 'box', style: 'filled', fillcolor: '#ede9fe', color: '#6d28d9' },
    gateway: { shape: 'box3d', style: 'filled', fillcolor: '#ffedd5', color: '#c2410c' },
    host: { shape: 'box3d', style: 'filled', fillcolor: '#f5f5f4', color: '#57534e' },
    service: { shape: 'hexagon', style: 'filled', fillcolor: '#fae8ff', color: '#a21caf' },
    ingress: { shape: 'note', style: 'filled', fillcolor: '#ccfbf1', color: '#0f766e' },
  };
  return byKind[n.kind];
}

const EDGE_STYLE: Record<GraphEdgeKind, Record<string, string>> = {
  wire: { dir: 'none', color: '#334155', penwidth: '1.5' },
  veth: { dir: 'none', color: '#15803d' },
  'host-network': { dir: 'none', color: '#15803d', style: 'dashed' },
  internal: { dir: 'none', color: '#94a3b8', style: 'dotted' },
  tunnel: { tailport: 'e', headport: 'e', dir: 'both', color: '#6d28d9', fontcolor: '#6d28d9', style: 'dashed', penwidth: '2', arrowsize: '0.6', constraint: 'false' },
  route: { tailport: 'e', headport: 'e', dir: 'both', color: '#0369a1', fontcolor: '#0369a1', style: 'dashed', penwidth: '2', arrowsize: '0.6', constraint: 'false' },
  // Drawn from the pod to its Service (after the pods in the reading order), the arrow at the pod: traffic goes Service → pod.
  endpoint: { dir: 'back', color: '#a21caf', fontcolor: '#86198f', arrowsize: '0.7' },
  // The controller's pod → the Ingresses it serves → the Services their rules send to (nginx proxies to the Service's endpoints).
  serves: { color: '#0f766e', style: 'dashed', arrowsize: '0.7' },
  backend: { color: '#0f766e', arrowsize: '0.7' },
};

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An HTML-like label: the first line bold, the others plain and smaller; `left` aligns the lines left. */
function label(lines: readonly string[], size = 10, left = false): string {
  const [head, ...rest] = lines;
  const br = left ? '<br align="left"/>' : '<br/>';
  return `<<b>${html(head ?? '')}</b>${rest.map((l) => `${br}<font point-size="${size - 1}">${html(l)}</font>`).join('')}${left ? br : ''}>`;
}

function attrs(a: Record<string, string>): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}=${v.startsWith('<') ? v : quote(v)}`)
    .join(' ');
}

/**
 * Edges between nodes and from Services to pods are many and their facts are in the boxes at
 * either end (the mode's line in the title, the ports in the Service's box): in a drawing, their
 * text is a tooltip rather than a label, or the labels bury the boxes.
 */
const TOOLTIP_ONLY = new Set<GraphEdgeKind>(['tunnel', 'route', 'endpoint', 'backend']);

/** The colours of a traced path: delivered, dropped. */
const PATH_COLOR = { ok: '#ea580c', dropped: '#dc2626' } as const;

function edgeLine(e: GraphEdge, indent: string, onPath?: string): string {
  const a: Record<string, string> = { ...EDGE_STYLE[e.kind] };
  // A pod that is not running has no veth (deleted) or nothing behind it; a failed node's link is unplugged: drawn as down.
  if (e.state === 'down') Object.assign(a, { color: '#dc2626', style: 'dashed' }, e.kind === 'tunnel' || e.kind === 'route' ? { fontcolor: '#dc2626' } : {});
  if (onPath) Object.assign(a, { color: onPath, penwidth: '4', class: 'traced' });
  if (e.label && TOOLTIP_ONLY.has(e.kind)) a.tooltip = e.label.join('\n');
  else if (e.label) a.label = `<${e.label.map(html).join('<br/>')}>`;
  return `${indent}${quote(e.from)} -> ${quote(e.to)} [${attrs(a)}];`;
}

/** The key under the title: a sample and a word for each kind of edge the drawing has. */
const KEY: Record<GraphEdgeKind, [string, string]> = {
  wire: ['───', 'link to a bridge'],
  veth: ['───', "pod's veth pair"],
  'host-network': ['– – –', 'hostNetwork pod'],
  internal: ['·····', 'routed inside the node'],
  tunnel: ['– – ▸', 'tunnel between nodes'],
  route: ['– – ▸', 'route between nodes'],
  endpoint: ['◂───', 'Service to endpoint pod'],
  serves: ['– – ▸', 'ingress controller to the Ingresses it serves'],
  backend: ['───▸', 'Ingress rule to its Service'],
};

function key(g: Graph, marks: DrawMarks): string {
  const kinds = (Object.keys(KEY) as GraphEdgeKind[]).filter((k) => g.edges.some((e) => e.kind === k));
  const items = kinds.map((k) => `<font color="${EDGE_STYLE[k].color}">${html(KEY[k][0])}</font> ${html(KEY[k][1])}`);
  if (g.nodes.some((n) => n.kind === 'pod' && n.state === 'down')) items.push('<font color="#dc2626">red, dashed</font>: pod not running');
  if (g.clusters.some((c) => c.state === 'failed')) {
    const between = g.edges.some((e) => e.state === 'down' && e.kind === 'tunnel') ? 'tunnels' : g.edges.some((e) => e.state === 'down' && e.kind === 'route') ? 'routes' : '';
    items.push(`<font color="#dc2626">red, dashed frame</font>: node failed (NotReady), its link${between ? ` and ${between}` : ''} down`);
  }
  if (marks.failed && Object.keys(marks.failed).length) items.push('<font color="#dc2626">red, bold</font>: a failed check');
  const path = marks.path ? `<br/><font color="${marks.path.ok ? PATH_COLOR.ok : PATH_COLOR.dropped}">trace ${html(marks.path.label)}</font>` : '';
  return `<${html(g.title)}<br/><font point-size="9">${items.join('    ')}</font>${path}>`;
}

/** A box's attributes with the marks on it: on a traced path, or a failed check's end (its names added to the label). */
function markedNode(n: GraphNode, marks: DrawMarks, pathColor: string): Record<string, string> {
  const failed = marks.failed?.[n.id];
  const lines = failed?.length ? [...n.label, ...failed.map((c) => `✗ check ${c}`)] : n.label;
  const a: Record<string, string> = { label: label(lines), ...nodeStyle(n) };
  if (failed?.length) Object.assign(a, { color: '#dc2626', fillcolor: '#fee2e2', penwidth: '3', class: 'failed' });
  if (marks.path?.nodes.includes(n.id)) Object.assign(a, { color: pathColor, penwidth: '3', class: failed?.length ? 'failed traced' : 'traced' });
  return a;
}

/** DOT text of the graph, `banner` as its first comment; `marks` (a trace, failed checks) drawn over it. */
export function graphToDot(g: Graph, banner: string, marks: DrawMarks = {}): string {
  const pathColor = marks.path?.ok === false ? PATH_COLOR.dropped : PATH_COLOR.ok;
  const onPath = new Set(marks.path?.edges ?? []);
  const out: string[] = [`// ${banner}`, `digraph ${quote(g.lab)} {`];
  out.push(`  graph [${attrs({ label: key(g, marks), labelloc: 't', fontname: FONT, fontsize: '14', rankdir: 'LR', nodesep: '0.2', ranksep: '0.5', newrank: 'true', bgcolor: 'white' })}];`);
  out.push(`  node [${attrs({ fontname: FONT, fontsize: '10', margin: '0.15,0.05' })}];`);
  out.push(`  edge [${attrs({ fontname: FONT, fontsize: '8', color: '#475569' })}];`);
  const nodeLine = (n: GraphNode, indent: string) => `${indent}${quote(n.id)} [${attrs(markedNode(n, marks, pathColor))}];`;
  for (const n of g.nodes) if (!n.cluster) out.push(nodeLine(n, '  '));
  g.clusters.forEach((c, i) => {
    const style: Record<string, string> =
      c.state === 'failed'
        ? { style: 'rounded,filled,dashed', fillcolor: '#fef2f2', color: '#dc2626', fontcolor: '#991b1b', penwidth: '2', class: 'down' }
        : c.kind === 'node'
          ? { style: 'rounded,filled', fillcolor: '#f8fafc', color: '#64748b' }
          : c.kind === 'ingresses'
            ? { style: 'rounded,filled', fillcolor: '#f0fdfa', color: '#0f766e' }
            : { style: 'rounded,filled', fillcolor: '#fdf4ff', color: '#c026d3' };
    out.push(`  subgraph ${quote(`cluster_${i}`)} {`);
    out.push(`    graph [${attrs({ label: label(c.label, 11, true), ...style, fontsize: '11', labeljust: 'l' })}];`);
    const inside = g.nodes.filter((n) => n.cluster === c.id);
    for (const n of inside) out.push(nodeLine(n, '    '));
    // The Services in one column at the end, also those no pod backs (ExternalName, no endpoints).
    if (c.kind === 'services') out.push(`    { rank=same; ${inside.map((n) => quote(n.id)).join('; ')}; }`);
    out.push('  }');
  });
  g.edges.forEach((e, i) => out.push(edgeLine(e, '  ', onPath.has(i) ? pathColor : undefined)));
  out.push('}');
  return `${out.join('\n')}\n`;
}
