/**
 * The source tree's shape, enforced: no import cycles between files, and no import against the
 * flow (load/validate → plan → render → apply → check → grade → CLI). Each file has a layer; a
 * file may import only from its own layer or a lower one. Leaf modules (constants, address
 * arithmetic, the error catalogue, Linux naming, shared helpers) sit below everything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Layers, lowest first; the first pattern that matches a path (relative to src/) decides. */
const LAYERS: [string, RegExp][] = [
  ['leaf', /^(constants|prng)\.ts$|^loops\/|^net\/|^lib\/|^nft\/|^plan\/names\.ts$|^schema\/fields\.ts$|^compile\/diagnostics\.ts$|^dns\/corefile\/codes\.ts$|^dns\/marks\.ts$/],
  ['cni', /^cni\//],
  ['schema', /^schema\/|^k8s\//],
  // NetworkPolicy semantics and its nft compiler: pure, read by validation, the plan and the runtime.
  ['policy', /^policy\//],
  // Ingress semantics (router) and the nginx configuration it renders: pure, read by validation, plan, render, runtime and checks.
  ['ingress', /^ingress\//],
  // The Corefile language and DNS data formats: validation checks Corefiles with them.
  ['dns-lang', /^dns\/(corefile\/|plugin\/[^/]+\/setup\.ts$|types\.ts$|zonefile\.ts$|wire\.ts$)/],
  // Check kinds and scenario actions (issue #20): each one module whose rules, planning, probe and
  // judge are pure and read the lab and the plan through small views, so that validation,
  // planning and the runner all dispatch through their registries; acting on a live lab goes
  // through the runtime's door (runtime/actions.ts).
  ['kinds', /^check\/(kinds|actions)\//],
  ['compile', /^compile\//],
  // Cluster DNS as the plan sees it (resolv.conf, hosts, the cluster view).
  ['plan', /^plan\/|^dns\/cluster\.ts$/],
  ['render', /^render\//],
  // explain and trace, the pure part: predictions from the plan and a view of the live lab.
  ['trace', /^trace\//],
  // Manifests out: the resolved lab and its plan as Kubernetes objects (reads the Lab, so above compile).
  ['export', /^export\//],
  // The DNS server is a program the runtime starts; its own modules sit with the runtime.
  ['runtime', /^runtime\/|^dns\//],
  // The lab's Kubernetes API server: answers from the live state, writes through the runtime's paths.
  ['api', /^api\//],
  ['check', /^check\//],
  ['grade', /^grade\//],
  // The local web page (podlab ui): serves the live lab, runs checks and traces through the layers below.
  ['ui', /^ui\//],
  ['cli', /^cli\/|^index\.ts$/],
];

function layerOf(file: string): number {
  const rel = relative(join(ROOT, 'src'), file);
  const i = LAYERS.findIndex(([, re]) => re.test(rel));
  if (i < 0) throw new Error(`src/${rel} is in no layer: add it to LAYERS in test/unit/layering.test.ts`);
  return i;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative import and re-export of a file (type-only ones too: a cycle of types is still a knot for a reader). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gm)].map((m) => normalize(join(dirname(file), m[1]!)));
}

const files = sources(join(ROOT, 'src'));
const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => files.includes(d))]));
const rel = (f: string) => relative(ROOT, f);

/** Strongly connected components of more than one file (Tarjan). */
function cycles(): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)!) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(rel(w));
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out;
}

describe('layering', () => {
  it('every source file has a layer', () => {
    for (const f of files) expect(() => layerOf(f)).not.toThrow();
  });

  it('no import cycles', () => {
    expect(cycles()).toEqual([]);
  });

  it('render and the runtime read the plan, not the lab: they import nothing of schema/ or compile/ but the error catalogue', () => {
    const upstream = new Set(['schema', 'compile']);
    const wrong: string[] = [];
    for (const [f, deps] of graph)
      if (['render', 'runtime'].includes(LAYERS[layerOf(f)]![0])) for (const d of deps) if (upstream.has(LAYERS[layerOf(d)]![0])) wrong.push(`${rel(f)} imports ${rel(d)}`);
    expect(wrong).toEqual([]);
  });

  it('no import against the flow', () => {
    const wrong: string[] = [];
    for (const [f, deps] of graph)
      for (const d of deps) if (layerOf(d) > layerOf(f)) wrong.push(`${rel(f)} (${LAYERS[layerOf(f)]![0]}) imports ${rel(d)} (${LAYERS[layerOf(d)]![0]})`);
    expect(wrong).toEqual([]);
  });

  it('the checker finds a cycle and a wrong-way import when there is one', () => {
    const a = join(ROOT, 'src/plan/a.ts');
    const b = join(ROOT, 'src/plan/b.ts');
    graph.set(a, [b]).set(b, [a]);
    files.push(a, b);
    try {
      expect(cycles()).toContainEqual(['src/plan/a.ts', 'src/plan/b.ts']);
      expect(layerOf(join(ROOT, 'src/render/render.ts'))).toBeGreaterThan(layerOf(a));
    } finally {
      graph.delete(a);
      graph.delete(b);
      files.splice(-2);
    }
  });
});
