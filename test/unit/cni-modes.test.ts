/**
 * The CNI registry: every mode plans, renders and is probed through its module alone; a mode
 * added outside src/cni (the worked example of docs/cni-modes.md, test/unit/cni-example-mode.ts)
 * goes through plan and render with no other change; and that example stays the one in the doc.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CNI_TYPES, cniFeatureHints, cniMode, registerCniMode } from '../../src/cni/registry.ts';
import { cniSchema } from '../../src/cni/schemas.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { Lab } from '../../src/compile/lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { buildGraph } from '../../src/render/graph/model.ts';
import { plannedView } from '../../src/plan/nft-tables.ts';
import { predictTrace } from '../../src/trace/trace.ts';
import { hostGw } from './cni-example-mode.ts';

const spec: LabSpec = {
  name: 'modes',
  nodes: { a: {}, b: {} },
  pods: { p: { node: 'a' }, q: { node: 'b' } },
};

function labWith(cni: unknown): Lab {
  const { lab, diagnostics } = validateValue({ ...spec, cni: 'kubenet' }, 'modes.lab.ts');
  expect(diagnostics).toEqual([]);
  return { ...lab!, cni: cni as Lab['cni'] };
}

describe('CNI registry', () => {
  it('lists kubenet, flannel and calico, each accepted by name and in its object form', () => {
    expect(CNI_TYPES).toEqual(['kubenet', 'flannel', 'calico']);
    for (const t of CNI_TYPES) {
      expect(cniSchema.safeParse(t).success).toBe(true);
      expect(cniSchema.safeParse({ type: t }).success).toBe(true);
    }
    expect(cniSchema.safeParse('cilium').success).toBe(false);
    expect(cniSchema.safeParse({ type: 'flannel', vni: 0 }).success).toBe(false);
  });

  it("each mode's kernel features come with a hint for a kernel that lacks them", () => {
    const hints = cniFeatureHints();
    for (const t of CNI_TYPES) {
      const mode = cniMode(t);
      for (const f of mode.kernelFeatures(mode.normalize(undefined))) expect(hints[f], `${t}: ${f}`).toMatch(/\w/);
    }
    expect(buildPlan(labWith({ type: 'flannel', vni: 7, port: 4789 })).kernelFeatures).toContain('vxlan');
  });

  it('flannel renders its VTEP lines into the node batch and its FDB file, and up.sh runs that file', () => {
    const files = render(buildPlan(labWith({ type: 'flannel', vni: 7, port: 4789 })));
    expect(files.get('ip/node-a.batch')).toContain('link add name flannel.7 address');
    expect(files.get('ip/node-a.batch')).toContain('dstport 4789 nolearning');
    expect(files.get('ip/fdb-a.batch')).toMatch(/^fdb append \S+ dev flannel\.7 dst 172\.16\.94\.11$/m);
    expect(files.get('up.sh')).toContain('bridge -n podlab-modes.node.a -batch $G/ip/fdb-a.batch');
    expect(files.get('topology.md')).toContain('CNI: **flannel** (VXLAN VNI 7, UDP 4789)');
  });

  it('kubenet adds no device, file or command', () => {
    const files = render(buildPlan(labWith({ type: 'kubenet' })));
    expect(files.get('ip/node-a.batch')).not.toContain('link add');
    expect([...files.keys()].filter((f) => f.startsWith('ip/fdb-'))).toEqual([]);
    expect(files.get('up.sh')).not.toContain('bridge -n');
  });

  it("kubenet's pods hang off cbr0, as kubelet's kubenet names its bridge; flannel's off cni0: conflist, node batch, topology, trace and drawing say so", () => {
    const bridges = (cni: unknown) => {
      const plan = buildPlan(labWith(cni));
      const files = render(plan);
      const trace = predictTrace(plannedView(plan), { from: 'p', to: 'q', port: 8080 });
      return {
        conflist: JSON.parse(files.get('cni/a.conflist')!).plugins[0].bridge,
        batch: /^# (\S+) bridge that the CNI bridge plugin creates/m.exec(files.get('ip/node-a.batch')!)?.[1],
        topology: /pods 10\.244\.0\.0\/24 via (\S+) /.exec(files.get('topology.md')!)?.[1],
        route: trace.hops.find((h) => h.kind === 'route')!.k8s.match(/default route via (\S+),/)?.[1],
        bridgeHop: trace.hops.find((h) => h.kind === 'bridge')!.see,
        drawn: buildGraph(plan).nodes.filter((n) => n.id.startsWith('node/a/') && n.kind === 'bridge').map((n) => n.id),
      };
    };
    expect(bridges({ type: 'kubenet' })).toEqual({ conflist: 'cbr0', batch: 'cbr0', topology: 'cbr0', route: 'cbr0', bridgeHop: 'bridge fdb show br cbr0', drawn: ['node/a/cbr0'] });
    expect(bridges({ type: 'flannel', vni: 1, port: 8472 })).toEqual({ conflist: 'cni0', batch: 'cni0', topology: 'cni0', route: 'cni0', bridgeHop: 'bridge fdb show br cni0', drawn: ['node/a/cni0'] });
  });

  it("the doc's worked example: a mode registered from outside src/cni plans and renders with no other change", () => {
    registerCniMode(hostGw);
    const plan = buildPlan(labWith({ type: 'host-gw', mtu: 1400 }));
    expect(plan.nodes.map((n) => n.cni)).toEqual([
      { type: 'host-gw', peers: ['b'] },
      { type: 'host-gw', peers: ['a'] },
    ]);
    expect(plan.nodes[0]!.routes).toEqual([{ dst: '10.244.1.0/24', via: '172.16.94.11', dev: 'eth0' }]);
    expect((plan.nodes[0]!.conflist.plugins[0] as { mtu: number }).mtu).toBe(1400);
    const files = render(plan);
    expect(files.get('ip/node-a.batch')).toContain('# host-gw: this node routes to b over the node network.');
    expect(files.get('up.sh')).toContain('ip -n podlab-modes.node.a route show');
    expect(files.get('topology.md')).toContain('CNI: **host-gw** (host-gw, pod MTU 1400)');
  });

  it('docs/cni-modes.md shows the example mode as it is in test/unit/cni-example-mode.ts', () => {
    const doc = readFileSync(new URL('../../docs/cni-modes.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./cni-example-mode.ts', import.meta.url), 'utf8');
    const block = /```ts\n\/\/ test\/unit\/cni-example-mode\.ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block, 'docs/cni-modes.md has a ts block headed // test/unit/cni-example-mode.ts').toBeDefined();
    expect(block).toBe(example);
  });
});
