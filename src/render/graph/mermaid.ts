/**
 * The lab's graph as a Mermaid flowchart: text that GitHub, GitLab and most Markdown viewers draw
 * inside a ```mermaid block. Mermaid lays it out itself (no control of ranks as in DOT), so this
 * keeps to the same boxes, clusters and edges and approximates the shapes (docs/graph.md).
 * Output is a pure function of the graph: same graph, same bytes.
 */
import type { Graph, GraphEdgeKind, GraphNode } from './model.ts';

/** Mermaid ids: letters, digits and `_`; graph ids made so, kept readable, and unique. */
function idMap(g: Graph): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of [...g.clusters.map((c) => c.id), ...g.nodes.map((n) => n.id)]) {
    const base = id.replace(/\//g, '__').replace(/[^A-Za-z0-9_]/g, '_');
    let m = base;
    for (let i = 2; used.has(m); i++) m = `${base}_${i}`;
    used.add(m);
    out.set(id, m);
  }
  return out;
}

/** Text inside a quoted Mermaid label: quotes and angle brackets as entity codes. */
function text(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/** A quoted label, its lines joined by `<br/>`, the first in bold unless `plain`. */
function label(lines: readonly string[], plain = false): string {
  const [head, ...rest] = lines.map(text);
  return `"${[plain ? head : `<b>${head ?? ''}</b>`, ...rest].join('<br/>')}"`;
}

const SHAPE: Record<GraphNode['kind'], [string, string]> = {
  network: ['[[', ']]'],
  link: ['[', ']'],
  bridge: ['[', ']'],
  device: ['[', ']'],
  pod: ['(', ')'],
  gateway: ['[/', '/]'],
  host: ['[/', '/]'],
  service: ['{{', '}}'],
  ingress: ['>', ']'],
};

/** The class of a box (its colours, classDef below). */
function className(n: GraphNode): string {
  if (n.state === 'down') return 'down';
  if (n.kind !== 'pod') return n.kind;
  return n.role === 'dns' ? 'dnsPod' : 'pod';
}

const CLASSES: [string, string][] = [
  ['network', 'fill:#dbeafe,stroke:#1d4ed8,stroke-width:2px'],
  ['link', 'fill:#f1f5f9,stroke:#475569'],
  ['bridge', 'fill:#e0f2fe,stroke:#0369a1'],
  ['device', 'fill:#ede9fe,stroke:#6d28d9'],
  ['pod', 'fill:#dcfce7,stroke:#15803d'],
  ['dnsPod', 'fill:#fef9c3,stroke:#a16207'],
  ['down', 'fill:#fee2e2,stroke:#dc2626,stroke-width:2px,stroke-dasharray:5 5,color:#991b1b'],
  ['gateway', 'fill:#ffedd5,stroke:#c2410c'],
  ['host', 'fill:#f5f5f4,stroke:#57534e'],
  ['service', 'fill:#fae8ff,stroke:#a21caf'],
  ['ingress', 'fill:#ccfbf1,stroke:#0f766e'],
];

/** The link of each edge kind; labels only where DOT shows them (dot.ts TOOLTIP_ONLY). */
const LINK: Record<GraphEdgeKind, { link: string; labelled: boolean; reverse?: boolean }> = {
  wire: { link: '---', labelled: true },
  veth: { link: '---', labelled: true },
  'host-network': { link: '-.-', labelled: true },
  internal: { link: '-.-', labelled: false },
  tunnel: { link: '<-.->', labelled: false },
  route: { link: '<-.->', labelled: false },
  // Traffic goes Service → pod: the arrow points at the pod.
  endpoint: { link: '-.->', labelled: false, reverse: true },
  serves: { link: '-.->', labelled: false },
  backend: { link: '-->', labelled: false },
};

/** Mermaid text of the graph, `banner` (and the graph's title) as its first comments. */
export function graphToMermaid(g: Graph, banner: string): string {
  const ids = idMap(g);
  const out: string[] = [`%% ${banner}`, `%% ${g.title}`, 'flowchart LR'];
  const nodeLine = (n: GraphNode, indent: string) => {
    const [open, close] = SHAPE[n.kind];
    return `${indent}${ids.get(n.id)}${open}${label(n.label)}${close}`;
  };
  for (const n of g.nodes) if (!n.cluster) out.push(nodeLine(n, '  '));
  for (const c of g.clusters) {
    out.push(`  subgraph ${ids.get(c.id)}[${label(c.label)}]`);
    for (const n of g.nodes) if (n.cluster === c.id) out.push(nodeLine(n, '    '));
    out.push('  end');
  }
  for (const e of g.edges) {
    // A line that is down (a pod's veth, a failed node's link) is drawn dashed.
    const l = e.state === 'down' && (e.kind === 'veth' || e.kind === 'wire') ? LINK['host-network'] : LINK[e.kind];
    const [from, to] = l.reverse ? [e.to, e.from] : [e.from, e.to];
    const text = l.labelled && e.label ? `|${label(e.label, true)}|` : '';
    out.push(`  ${ids.get(from)} ${l.link}${text} ${ids.get(to)}`);
  }
  for (const [name, style] of CLASSES) {
    const members = g.nodes.filter((n) => className(n) === name).map((n) => ids.get(n.id));
    if (members.length) out.push(`  classDef ${name} ${style}`, `  class ${members.join(',')} ${name}`);
  }
  // A failed node's frame: red and dashed, as its link.
  for (const c of g.clusters) if (c.state === 'failed') out.push(`  style ${ids.get(c.id)} fill:#fef2f2,stroke:#dc2626,stroke-width:2px,stroke-dasharray:5 5`);
  return `${out.join('\n')}\n`;
}
