/**
 * A trace drawn over the topology (src/trace/draw.ts, `podlab trace … --svg`): the boxes and
 * lines of the path, from the plan and from facts recorded on a live lab (test/fixtures/trace/):
 * across nodes it runs over flannel's VXLAN tunnel or kubenet's route, not the node network's
 * wires; through a Service it shows the Service and the endpoint kube-proxy chose; a drop is red.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import kubenetLab from '../../labs/kubenet.lab.ts';
import podLab from '../../labs/pod-networking.lab.ts';
import servicesLab from '../../labs/services.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { plannedView, type NftView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { graphToDot } from '../../src/render/graph/dot.ts';
import { buildGraph, type Graph } from '../../src/render/graph/model.ts';
import { dotToSvg } from '../../src/render/graph/svg.ts';
import { tracePathMarks } from '../../src/trace/draw.ts';
import { predictTrace, type TraceFacts } from '../../src/trace/trace.ts';

function viewOf(spec: unknown): NftView {
  const { lab, diagnostics } = validateValue(spec, 'x.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return plannedView(buildPlan(lab));
}
/** The path's lines as `from -> to (kind)`, in the graph's order. */
const lines = (g: Graph, edges: number[]) => edges.map((i) => `${g.edges[i]!.from} -> ${g.edges[i]!.to} (${g.edges[i]!.kind})`);

describe('a trace drawn on the topology', () => {
  it('flannel across nodes: pod → cni0 → eth0 → VXLAN tunnel → … → pod, never through the node network bridge', () => {
    const v = viewOf(podLab);
    const g = buildGraph(v.plan);
    const m = tracePathMarks(g, predictTrace(v, { from: 'client', to: 'web-2', port: 8080 }));
    expect(m.ok).toBe(true);
    const path = lines(g, m.edges);
    expect(path.filter((l) => l.endsWith('(tunnel)'))).toHaveLength(1);
    expect(path.some((l) => l.includes('net/nodes'))).toBe(false);
    expect(m.nodes).toContain('pod/default/client');
    expect(m.nodes).toContain('pod/default/web-2');
    expect(m.nodes).toContain('node/worker-1/flannel.1');
    expect(m.nodes).toContain('node/worker-2/flannel.1');
    // Nothing of the third node, and no Service.
    expect(m.nodes.filter((n) => n.startsWith('node/control-plane') || n.startsWith('svc/'))).toEqual([]);
  });

  it('kubenet across nodes: over the route between the two nodes', () => {
    const v = viewOf(kubenetLab);
    const g = buildGraph(v.plan);
    const path = lines(g, tracePathMarks(g, predictTrace(v, { from: 'web-a', to: 'web-b', port: 8080 })).edges);
    expect(path.filter((l) => l.endsWith('(route)'))).toHaveLength(1);
    expect(path.filter((l) => l.endsWith('(tunnel)'))).toEqual([]);
    expect(path.some((l) => l.includes('net/nodes'))).toBe(false);
  });

  it('same node: pod → cni0 → pod, two veth lines', () => {
    const v = viewOf(podLab);
    const g = buildGraph(v.plan);
    const path = lines(g, tracePathMarks(g, predictTrace(v, { from: 'client', to: 'web', port: 8080 })).edges);
    expect(path.sort()).toEqual(['node/worker-1/cni0 -> pod/default/client (veth)', 'node/worker-1/cni0 -> pod/default/web (veth)']);
  });

  it('recorded on a live lab, to a Service by DNS name: the Service box and its line to the endpoint conntrack showed', () => {
    const r = JSON.parse(readFileSync(new URL('../fixtures/trace/services-clusterip.json', import.meta.url), 'utf8')) as { request: string; facts: TraceFacts; endpoint: { ip: string; pod: string } };
    const [from, to] = r.request.split(' ');
    const v = viewOf(servicesLab);
    const g = buildGraph(v.plan);
    const t = predictTrace(v, { from: from!, to: to! }, r.facts);
    const m = tracePathMarks(g, t);
    expect(m.nodes).toContain('svc/default/web');
    expect(m.nodes).toContain(`pod/default/${r.endpoint.pod}`);
    const path = lines(g, m.edges);
    expect(path).toContain(`pod/default/${r.endpoint.pod} -> svc/default/web (endpoint)`);
    // Only the chosen endpoint's line, of the Service's three.
    expect(path.filter((l) => l.endsWith('(endpoint)'))).toHaveLength(1);
    expect(m.label).toBe(`client → web.default.svc.cluster.local:80/tcp: delivered`);
  });

  it('a Service with no ready endpoints: the client and the Service only, drawn red', async () => {
    const v = viewOf(servicesLab);
    const g = buildGraph(v.plan);
    const t = predictTrace({ ...v, endpoints: { ...v.endpoints, 'default/web': [] } }, { from: 'client', to: 'svc/web' });
    const m = tracePathMarks(g, t);
    expect(m.ok).toBe(false);
    expect(m.nodes).toEqual(['pod/default/client', 'svc/default/web']);
    expect(m.edges).toEqual([]);
    const dot = graphToDot(g, 'test', { path: m });
    expect(dot).toMatch(/"svc\/default\/web" \[[^\n]*color="#dc2626" penwidth="3" class="traced"/);
  });

  it('the DOT and the SVG: the path in orange and thick, every other line as before', async () => {
    const v = viewOf(podLab);
    const g = buildGraph(v.plan);
    const m = tracePathMarks(g, predictTrace(v, { from: 'client', to: 'web-2', port: 8080 }));
    const plain = graphToDot(g, 'test').split('\n');
    const dot = graphToDot(g, 'test', { path: m }).split('\n');
    const changed = dot.filter((l, i) => l !== plain[i]);
    // The title (one more line) and exactly the path's boxes and lines.
    expect(changed.filter((l) => /class="traced"/.test(l))).toHaveLength(m.nodes.length + m.edges.length);
    expect(changed.filter((l) => !/class="traced"/.test(l))).toHaveLength(1);
    const svg = await dotToSvg(dot.join('\n'), 'test');
    expect(svg.match(/<g id="edge\d+" class="edge traced">/g)).toHaveLength(m.edges.length);
    expect(svg).toContain('trace client → web&#45;2:8080/tcp: delivered');
  });
});
