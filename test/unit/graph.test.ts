/**
 * `podlab graph`: the graph model of every example lab (every node, pod and Service with its
 * addresses; VXLAN tunnels only where the mode makes them), a live lab's pods drawn as they run,
 * the DOT and Mermaid of a live lab as golden files, and the SVG: well formed, one Graphviz node
 * per graph node, every pod IP as text, and the same bytes every time.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { serviceKey } from '../../src/plan/services.ts';
import { graphToDot } from '../../src/render/graph/dot.ts';
import { graphToMermaid } from '../../src/render/graph/mermaid.ts';
import { buildGraph, graphIds, type Graph, type GraphLive } from '../../src/render/graph/model.ts';
import { dotToSvg } from '../../src/render/graph/svg.ts';
import { hostVeth } from '../../src/runtime/live-graph.ts';
import { registerCniMode } from '../../src/cni/registry.ts';
import type { Lab } from '../../src/compile/lab.ts';
import { hostGw } from './cni-example-mode.ts';

const hasBridge = (n: Plan['nodes'][number]) => n.conflist.plugins.some((p) => p.type === 'bridge');
/** The pod bridge's name: kubenet's is cbr0, as kubelet's kubenet names it; flannel's cni0. */
const bridgeName = (n: Plan['nodes'][number]) => (n.cni.type === 'kubenet' ? 'cbr0' : 'cni0');
const labFiles = readdirSync('labs').filter((f) => f.endsWith('.lab.ts'));
const plans = new Map<string, Plan>();

beforeAll(async () => {
  for (const f of labFiles) {
    const r = await compileLab(join('labs', f));
    expect(r.diagnostics).toEqual([]);
    plans.set(f, buildPlan(r.lab!));
  }
});

const node = (g: Graph, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  expect(n, `graph node ${id}`).toBeDefined();
  return n!;
};

/**
 * XML well-formedness, enough for Graphviz's SVG: every tag closes in order, attributes quoted,
 * no stray `<` or `&` in text.
 */
function wellFormed(svg: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const body = svg.replace(/<!--[\s\S]*?-->/g, '');
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  let at = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const text = body.slice(at, m.index);
    if (/[<]|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/.test(text)) problems.push(`bad text before <${m[2]}>: ${text.slice(0, 40)}`);
    at = tag.lastIndex;
    if (m[1]) {
      const open = stack.pop();
      if (open !== m[2]) problems.push(`</${m[2]}> closes <${open}>`);
    } else if (!m[4]) stack.push(m[2]!);
  }
  if (body.slice(at).trim()) problems.push(`text after the root: ${body.slice(at).trim().slice(0, 40)}`);
  if (stack.length) problems.push(`unclosed: ${stack.join(' ')}`);
  return problems;
}

describe('graph model of every example lab', () => {
  for (const file of labFiles) {
    it(`${file}: every node, pod and Service, with its addresses in every family`, () => {
      const plan = plans.get(file)!;
      const g = buildGraph(plan);
      expect(g.live).toBe(false);
      expect(new Set(g.nodes.map((n) => n.id)).size, 'ids are unique').toBe(g.nodes.length);
      const ids = new Set(g.nodes.map((n) => n.id));
      for (const e of g.edges) {
        expect(ids.has(e.from), `edge from ${e.from}`).toBe(true);
        expect(ids.has(e.to), `edge to ${e.to}`).toBe(true);
      }
      for (const n of g.nodes) if (n.cluster) expect(g.clusters.map((c) => c.id)).toContain(n.cluster);

      for (const cidr of plan.nodeNetwork.cidrs ?? [plan.nodeNetwork.cidr]) expect(node(g, graphIds.nodeNetwork).label[0]).toContain(cidr);
      for (const n of plan.nodes) {
        for (const cidr of n.podCidrs) expect(g.clusters.find((c) => c.id === graphIds.nodeCluster(n.name))?.label.join(' ')).toContain(cidr);
        const link = node(g, graphIds.nodeDevice(n.name, n.iface));
        expect(link.ips).toEqual(n.ips);
        for (const a of n.ips) expect(link.label[0]).toContain(a);
        expect(g.edges).toContainEqual(expect.objectContaining({ from: graphIds.nodeNetwork, to: link.id, kind: 'wire' }));
        // A pod bridge where the conflist has one (kubenet, flannel), with the gateway of each family's range; calico's pods hang off routed veths.
        if (hasBridge(n)) {
          const ranges = (n.conflist.plugins.find((p) => p.type === 'bridge') as unknown as { ipam: { ranges: { gateway: string }[][] } }).ipam.ranges;
          const bridge = node(g, graphIds.nodeDevice(n.name, bridgeName(n)));
          expect(bridge.ips).toEqual(ranges.map((r) => r[0]!.gateway));
          expect(bridge.ips).toContain(n.podGateway);
          for (const [i, cidr] of n.podCidrs.entries()) expect(bridge.label[0]).toContain(`${bridge.ips[i]}/${cidr.split('/')[1]}`);
        } else expect(ids.has(graphIds.nodeDevice(n.name, bridgeName(n)))).toBe(false);
      }
      const ifaceOf = new Map(plan.nodes.map((n) => [n.name, n.iface]));
      const bridged = new Map(plan.nodes.filter(hasBridge).map((n) => [n.name, bridgeName(n)]));
      for (const p of plan.pods) {
        const pod = node(g, graphIds.pod(p));
        expect(pod.ips).toEqual(p.ips);
        for (const a of p.ips) expect(pod.label[1]).toContain(a);
        expect(pod.state).toBe('planned');
        expect(pod.cluster).toBe(graphIds.nodeCluster(p.node));
        const attach = g.edges.filter((e) => e.to === pod.id && (e.kind === 'veth' || e.kind === 'host-network'));
        expect(attach, `${p.name} hangs off its node`).toHaveLength(1);
        expect(attach[0]!.from).toBe(p.hostNetwork || !bridged.has(p.node) ? graphIds.nodeDevice(p.node, ifaceOf.get(p.node)!) : graphIds.nodeDevice(p.node, bridged.get(p.node)!));
      }
      for (const s of plan.services) {
        const svc = node(g, graphIds.service(s));
        for (const a of s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])) {
          expect(svc.ips).toContain(a);
          expect(svc.label.join(' ')).toContain(a);
        }
        if (s.externalName) expect(svc.label.join(' ')).toContain(s.externalName);
        const drawn = g.edges.filter((e) => e.kind === 'endpoint' && e.to === svc.id);
        const planned = plan.endpoints[serviceKey(s)] ?? [];
        expect(drawn.map((e) => e.from)).toEqual(planned.map((e) => graphIds.pod({ namespace: e.namespace, name: e.pod })));
        // An endpoint's address in each family of the Service (an IPv6 one bracketed), and no other family's.
        drawn.forEach((e, i) => {
          const ep = planned[i]!;
          const ports = [...new Set(Object.values(ep.ports))].sort((a, b) => a - b).join(',');
          const want = s.ipFamilies.map((f) => (ep.ips ?? [ep.ip]).find((a) => a.includes(':') === (f === 'IPv6'))!).map((a) => (ports ? (a.includes(':') ? `[${a}]:${ports}` : `${a}:${ports}`) : a));
          expect(e.label, `${s.name} → ${ep.pod}`).toEqual(want);
        });
      }
      for (const h of plan.hosts) expect(node(g, graphIds.host(h.name)).ips).toEqual(h.ips);
      if (plan.gateway) expect(node(g, graphIds.gateway).ips).toContain(plan.gateway.nodeSide.ip);
      else expect(ids.has(graphIds.gateway)).toBe(false);
    });

    it(`${file}: VXLAN tunnels between every pair of nodes in flannel labs only, routes otherwise`, () => {
      const plan = plans.get(file)!;
      const g = buildGraph(plan);
      const pairs = (plan.nodes.length * (plan.nodes.length - 1)) / 2;
      const tunnels = g.edges.filter((e) => e.kind === 'tunnel');
      const routes = g.edges.filter((e) => e.kind === 'route');
      if (plan.cni.type === 'flannel') {
        const vni = plan.cni.vni;
        expect(tunnels).toHaveLength(pairs);
        expect(routes).toHaveLength(0);
        for (const t of tunnels) expect(t.label?.[0]).toMatch(/^VXLAN VNI \d+, UDP \d+: /);
        // flanneld's names: flannel.<vni> carries IPv4, flannel-v6.<vni> IPv6 (an IPv6-only lab has that one alone).
        const dev = plan.ipFamilies.includes('IPv4') ? `flannel.${vni}` : `flannel-v6.${vni}`;
        expect(g.nodes.filter((n) => n.kind === 'device').map((n) => n.label[0])).toEqual(plan.nodes.map(() => dev));
      } else if (plan.cni.type === 'calico' && plan.cni.encapsulation === 'VXLAN') {
        // Calico's VXLAN: a tunnel per pair; per node vxlan.calico with IPv4, vxlan-v6.calico with IPv6.
        const devices = [...(plan.ipFamilies.includes('IPv4') ? ['vxlan.calico'] : []), ...(plan.ipFamilies.includes('IPv6') ? ['vxlan-v6.calico'] : [])];
        expect(tunnels).toHaveLength(pairs);
        expect(routes).toHaveLength(0);
        expect(g.nodes.filter((n) => n.kind === 'device').map((n) => n.label[0])).toEqual(plan.nodes.flatMap(() => devices));
      } else {
        expect(tunnels).toHaveLength(0);
        expect(routes).toHaveLength(pairs);
        expect(g.nodes.filter((n) => n.kind === 'device')).toEqual([]);
      }
    });
  }
});

describe('graph of the Ingresses (labs/ingress.lab.ts)', () => {
  it('a box per Ingress with its class, TLS hosts and every rule; the controller pod serves it; a line to each Service its rules send to', async () => {
    const plan = plans.get('ingress.lab.ts')!;
    const g = buildGraph(plan);
    expect(g.clusters.find((c) => c.id === graphIds.ingresses)).toMatchObject({ kind: 'ingresses', label: ['Ingresses', 'served by pod ingress-nginx/controller (nginx)'] });
    const ingresses = g.nodes.filter((n) => n.kind === 'ingress');
    expect(ingresses.map((n) => n.id).sort()).toEqual(plan.ingress!.ingresses.map((i) => `ingress/${i.namespace}/${i.name}`).sort());
    expect(node(g, 'ingress/default/shop').label).toEqual([
      'ingress default/shop',
      'class nginx · TLS shop.example.com',
      'shop.example.com/api (Prefix) → api:8080',
      'shop.example.com/ (Prefix) → web:http',
    ]);
    expect(node(g, 'ingress/default/fallback').label).toEqual(['ingress default/fallback', 'class nginx', 'default backend → fallback:80']);
    for (const i of ingresses) expect(g.edges).toContainEqual({ from: 'pod/ingress-nginx/controller', to: i.id, kind: 'serves' });
    const backends = (id: string) => g.edges.filter((e) => e.kind === 'backend' && e.from === id).map((e) => [e.to, e.label]);
    expect(backends('ingress/default/shop')).toEqual([
      ['svc/default/api', ['shop.example.com/api (Prefix) → api:8080']],
      ['svc/default/web', ['shop.example.com/ (Prefix) → web:http']],
    ]);
    expect(backends('ingress/default/blog')).toEqual([['svc/default/blog', ['blog.example.com/ (Prefix) → blog:http', '*.blog.example.com/ (Prefix) → blog:80']]]);
    // The DOT and Mermaid draw them, and say what the lines mean; a lab without Ingresses has none of it.
    const dot = graphToDot(g, 'test');
    expect(dot).toContain('"pod/ingress-nginx/controller" -> "ingress/default/shop"');
    expect(dot).toContain('"ingress/default/shop" -> "svc/default/api" [color="#0f766e" arrowsize="0.7" tooltip="shop.example.com/api (Prefix) → api:8080"]');
    expect(dot).toContain('Ingress rule to its Service');
    expect(graphToMermaid(g, 'test')).toMatch(/ingress__default__shop>"<b>ingress default\/shop<\/b><br\/>class nginx · TLS shop\.example\.com/);
    expect(buildGraph(plans.get('services.lab.ts')!).nodes.some((n) => n.kind === 'ingress')).toBe(false);
  });
});

describe('graph of a mode added outside src/cni', () => {
  it("draws what the mode's topology() says, with no change to the graph code", () => {
    registerCniMode(hostGw);
    const { lab } = validateValue({ name: 'modes', nodes: { a: {}, b: {}, c: {} }, pods: { p: { node: 'a' } } }, 'modes.lab.ts');
    const plan = buildPlan({ ...lab!, cni: { type: 'host-gw', mtu: 1400 } as unknown as Lab['cni'] });
    const g = buildGraph(plan);
    const routes = g.edges.filter((e) => e.kind === 'route');
    expect(routes.map((e) => [e.from, e.to, e.label![0]])).toEqual([
      ['node/a/eth0', 'node/b/eth0', 'host-gw via 172.16.94.11'],
      ['node/a/eth0', 'node/c/eth0', 'host-gw via 172.16.94.12'],
      ['node/b/eth0', 'node/c/eth0', 'host-gw via 172.16.94.12'],
    ]);
    expect(g.edges.filter((e) => e.kind === 'tunnel')).toEqual([]);
  });
});

/** pod-networking as it might run: web-2 deleted, echo's sandbox gone, client re-created at a new IP. */
function liveFacts(plan: Plan): GraphLive {
  const pods: GraphLive['pods'] = {};
  for (const p of plan.pods) pods[p.name] = { state: 'running', ip: p.ip };
  delete pods['web-2'];
  pods['web-2'] = { state: 'down', ip: '10.244.2.2', why: 'deleted' };
  pods.echo = { state: 'down', ip: '10.244.3.2', why: 'sandbox (pause) exited' };
  pods.client = { state: 'running', ip: '10.244.1.7', hostVeth: 'veth3f2a9c1d' };
  return { pods, endpoints: { ...plan.endpoints } };
}

describe('graph of a live lab', () => {
  it('draws pods as they run: down ones marked with why, live IPs and host veths', () => {
    const plan = plans.get('pod-networking.lab.ts')!;
    const g = buildGraph(plan, liveFacts(plan));
    expect(g.live).toBe(true);
    expect(g.title).toContain('live');
    const web2 = node(g, 'pod/default/web-2');
    expect(web2.state).toBe('down');
    expect(web2.label).toContain('not running: deleted');
    expect(node(g, 'pod/default/echo').label).toContain('not running: sandbox (pause) exited');
    const client = node(g, 'pod/default/client');
    expect(client).toMatchObject({ state: 'running', ips: ['10.244.1.7'] });
    expect(g.edges.find((e) => e.to === client.id)?.label).toEqual(['veth3f2a9c1d ⇄ eth0']);
    // A pod the state does not know (never created) is down too.
    const { web: _, ...rest } = liveFacts(plan).pods;
    expect(buildGraph(plan, { pods: rest, endpoints: {} }).nodes.find((n) => n.id === 'pod/default/web')?.state).toBe('down');
  });

  it('down pods are red and dashed in DOT, and of class down in Mermaid', () => {
    const plan = plans.get('pod-networking.lab.ts')!;
    const g = buildGraph(plan, liveFacts(plan));
    const dot = graphToDot(g, 'banner');
    expect(dot).toMatch(/"pod\/default\/web-2" \[label=.*style="rounded,filled,dashed".*color="#dc2626"/);
    expect(dot).not.toMatch(/"pod\/default\/web" \[label=.*dashed/);
    expect(graphToMermaid(g, 'banner')).toMatch(/^ {2}class pod__default__web_2,pod__default__echo down$/m);
  });

  it('DOT and Mermaid of a live lab match their golden files', async () => {
    const plan = plans.get('pod-networking.lab.ts')!;
    const g = buildGraph(plan, liveFacts(plan));
    const banner = 'Drawn by podlab from its record of lab pod-networking (golden test).';
    await expect(graphToDot(g, banner)).toMatchFileSnapshot('../fixtures/graph/pod-networking.live.dot');
    await expect(graphToMermaid(g, banner)).toMatchFileSnapshot('../fixtures/graph/pod-networking.live.mmd');
  });

  it('a failed node (podlab node fail) is drawn failed: its frame NotReady, its link, wire and every tunnel to it down, said in the title and the key', () => {
    const plan = plans.get('pod-networking.lab.ts')!;
    const g = buildGraph(plan, { ...liveFacts(plan), failedNodes: ['worker-2'] });
    expect(g.title).toContain('live · node worker-2 failed (NotReady)');
    const cluster = g.clusters.find((c) => c.id === 'node/worker-2')!;
    expect(cluster.state).toBe('failed');
    expect(cluster.label[0]).toBe('node worker-2 (worker) · NotReady');
    expect(g.clusters.filter((c) => c.state === 'failed').map((c) => c.id)).toEqual(['node/worker-2']);
    const link = node(g, 'node/worker-2/eth0');
    expect(link.state).toBe('down');
    expect(link.label).toContain('DOWN, no carrier (node failed)');
    expect(node(g, 'node/worker-1/eth0').state).toBeUndefined();
    expect(g.edges.find((e) => e.kind === 'wire' && e.to === link.id)).toMatchObject({ label: ['worker-2 ⇄ eth0'], state: 'down' });
    expect(g.edges.find((e) => e.kind === 'wire' && e.to === 'node/worker-1/eth0')?.state).toBeUndefined();
    const tunnels = g.edges.filter((e) => e.kind === 'tunnel');
    const touches = (e: (typeof tunnels)[number]) => e.from.startsWith('node/worker-2/') || e.to.startsWith('node/worker-2/');
    expect(tunnels.filter(touches)).toHaveLength(3);
    for (const t of tunnels) expect(t.state, `${t.from} → ${t.to}`).toBe(touches(t) ? 'down' : undefined);

    const dot = graphToDot(g, 'banner');
    expect(dot).toContain('node failed (NotReady), its link and tunnels down');
    expect(dot).toMatch(/"node\/worker-2\/eth0" \[label=.*DOWN, no carrier.*style="filled,dashed".*color="#dc2626"/);
    expect(dot).toMatch(/"net\/nodes" -> "node\/worker-2\/eth0" \[.*color="#dc2626".*style="dashed"/);
    expect(dot).toMatch(/"node\/worker-1\/flannel.1" -> "node\/worker-2\/flannel.1" \[.*color="#dc2626".*style="dashed"/);
    expect(dot).not.toMatch(/"node\/worker-1\/flannel.1" -> "node\/worker-3\/flannel.1" \[.*#dc2626/);
    expect(dot).toMatch(/label=<<b>node worker-2 \(worker\) · NotReady<\/b>.*style="rounded,filled,dashed".*color="#dc2626"/);
    const mmd = graphToMermaid(g, 'banner');
    expect(mmd).toMatch(/^ {2}class .*node__worker_2__eth0.* down$/m);
    expect(mmd).toMatch(/^ {2}style node__worker_2 .*stroke:#dc2626/m);
    // Without a failed node nothing of it is drawn.
    const ok = buildGraph(plan, liveFacts(plan));
    expect(ok.clusters.some((c) => c.state)).toBe(false);
    expect(graphToDot(ok, 'banner')).not.toContain('node failed');
  });

  it("dual stack, live: a pod's addresses in every family, an IPv6-only Service's endpoints in IPv6 and bracketed", () => {
    const plan = plans.get('dual-stack.lab.ts')!;
    const pods: GraphLive['pods'] = {};
    for (const p of plan.pods) pods[p.name] = { state: 'running', ip: p.ip, ips: p.ips };
    const g = buildGraph(plan, { pods, endpoints: plan.endpoints });
    const web1 = node(g, 'pod/default/web-1');
    expect(web1.ips).toEqual(['10.244.1.2', 'fd00:10:244:1::2']);
    expect(web1.label[1]).toBe('10.244.1.2, fd00:10:244:1::2');
    const ends = (svc: string) => g.edges.filter((e) => e.kind === 'endpoint' && e.to === `svc/default/${svc}` && e.from === 'pod/default/web-1').map((e) => e.label);
    expect(ends('web-v6')).toEqual([['[fd00:10:244:1::2]:8080']]);
    expect(ends('web-v4')).toEqual([['10.244.1.2:8080']]);
    expect(ends('web')).toEqual([['10.244.1.2:8080', '[fd00:10:244:1::2]:8080']]);
    expect(node(g, 'svc/default/web').label[1]).toBe('ClusterIP 10.96.0.1, fd00:10:96::1');
    expect(node(g, 'node/worker-1/eth0').label[0]).toBe('eth0 172.16.94.11, fd00:172:16:94::b');
    expect(node(g, 'node/worker-1/cbr0').label[0]).toBe('cbr0 10.244.1.1/24, fd00:10:244:1::1/64');
  });

  it('a deleted pod has no address in the live drawing (host-local released it)', () => {
    const plan = plans.get('pod-networking.lab.ts')!;
    const facts = liveFacts(plan);
    facts.pods['web-2'] = { state: 'down', ip: '', ips: [], why: 'deleted' };
    const web2 = node(buildGraph(plan, facts), 'pod/default/web-2');
    expect(web2.ips).toEqual([]);
    expect(web2.label.slice(1)).toEqual(['no IP', 'web', 'not running: deleted']);
  });

  it("calico, live: a pod's routed veth is named as the CNI ADD result names it (cali…), not veth", () => {
    const plan = plans.get('calico.lab.ts')!;
    const pod = plan.pods.find((p) => !p.hostNetwork && p.namespace === 'default')!;
    // Calico's result: the host end (no sandbox) first, eth0 in the pod; there is no bridge.
    const result = { interfaces: [{ name: 'cali0761ccbeace', mac: 'ee:ee:ee:ee:ee:ee' }, { name: 'eth0', mac: '0a:58:0a:f4:01:02', sandbox: '/run/netns/p' }] };
    expect(hostVeth(result, undefined)).toBe('cali0761ccbeace');
    const pods: GraphLive['pods'] = {};
    for (const p of plan.pods) pods[p.name] = { state: 'running', ip: p.ip, ...(p === pod ? { hostVeth: 'cali0761ccbeace' } : {}) };
    const g = buildGraph(plan, { pods, endpoints: plan.endpoints });
    expect(g.edges.find((e) => e.kind === 'veth' && e.to === graphIds.pod(pod))).toMatchObject({ from: graphIds.nodeDevice(pod.node, 'eth0'), label: ['cali0761ccbeace ⇄ eth0'] });
  });

  it('finds the host end of a veth pair in a CNI ADD result', () => {
    const result = { interfaces: [{ name: 'cni0', mac: 'x' }, { name: 'veth1234abcd', mac: 'y' }, { name: 'eth0', mac: 'z', sandbox: '/run/netns/p' }] };
    expect(hostVeth(result, 'cni0')).toBe('veth1234abcd');
    expect(hostVeth(undefined, 'cni0')).toBeUndefined();
  });
});

describe('SVG', () => {
  const kept = mkdtempSync(join(tmpdir(), 'graph-layouts-'));
  afterAll(() => rmSync(kept, { recursive: true, force: true }));

  it('is well formed, with one Graphviz node per graph node and every pod IP as text, the same bytes every time', async () => {
    for (const file of ['pod-networking.lab.ts', 'services.lab.ts']) {
      const plan = plans.get(file)!;
      const g = buildGraph(plan);
      const dot = graphToDot(g, 'banner');
      const dir = mkdtempSync(join(kept, 'well-formed-'));
      // Laid out by Graphviz, then served from the layout it kept: the same bytes.
      const svg = await dotToSvg(dot, 'banner', dir);
      expect(readdirSync(dir)).toHaveLength(1);
      expect(await dotToSvg(dot, 'banner', dir)).toBe(svg);
      expect(svg.startsWith('<svg ')).toBe(true);
      expect(svg.endsWith('</svg>\n')).toBe(true);
      expect(svg).toContain('<!-- banner Laid out by Graphviz');
      expect(wellFormed(svg)).toEqual([]);
      expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(g.nodes.length);
      expect(svg.match(/<g id="clust\d+" class="cluster">/g)).toHaveLength(g.clusters.length);
      expect(svg.match(/<g id="edge\d+" class="edge">/g)).toHaveLength(g.edges.length);
      for (const p of plan.pods) expect(svg, p.name).toMatch(new RegExp(`<text [^>]*>${p.ip.replace(/\./g, '\\.')}( \\(hostNetwork\\))?</text>`));
      expect(svg).not.toMatch(/font-family="DejaVu Sans"/);
    }
  });

  it('a layout is kept: the same drawing with another banner is served from it, a changed one is laid out again, the oldest go', async () => {
    const dir = mkdtempSync(join(kept, 'kept-'));
    const g = buildGraph(plans.get('pod-networking.lab.ts')!);
    await dotToSvg(graphToDot(g, 'drawn at 10:00'), 'drawn at 10:00', dir);
    const [file] = readdirSync(dir);
    expect(file).toMatch(/^[0-9a-f]{32}\.json$/);
    // What the kept file holds is what is drawn: no Graphviz for a banner that moved on (a live graph's time).
    writeFileSync(join(dir, file!), JSON.stringify({ graphviz: '0.0.kept', svg: '<svg id="kept">\n</svg>\n' }));
    const again = await dotToSvg(graphToDot(g, 'drawn at 10:05'), 'drawn at 10:05', dir);
    expect(again).toBe('<svg id="kept">\n<!-- drawn at 10:05 Laid out by Graphviz 0.0.kept (@hpcc-js/wasm-graphviz). -->\n</svg>\n');
    // A drawing that changed (a pod more) is laid out anew, and kept beside.
    const changed = await dotToSvg(graphToDot(buildGraph(plans.get('services.lab.ts')!), 'drawn at 10:05'), 'drawn at 10:05', dir);
    expect(changed).not.toContain('0.0.kept');
    expect(readdirSync(dir)).toHaveLength(2);
    // At most 64 are kept: the oldest go.
    for (let i = 0; i < 70; i++) writeFileSync(join(dir, `old-${String(i).padStart(2, '0')}.json`), '{}');
    await dotToSvg(graphToDot(g, 'x').replace('digraph', '/* moved */ digraph'), 'x', dir);
    expect(readdirSync(dir)).toHaveLength(64);
    expect(readdirSync(dir)).not.toContain(file);
    // Where nothing can be written it draws all the same.
    expect(await dotToSvg(graphToDot(g, 'b'), 'b', '/dev/null/layouts')).toContain('<!-- b Laid out by Graphviz');
  });

  it('the committed generated/<lab>/topology.svg was laid out in another process to the same bytes', async () => {
    const plan = plans.get('kubenet.lab.ts')!;
    const { renderGenerated } = await import('../../src/render/render.ts');
    expect((await renderGenerated(plan)).get('topology.svg')).toBe(readFileSync('generated/kubenet/topology.svg', 'utf8'));
  });
});
