/**
 * The drawing of a lab as files: topology.dot and topology.mmd (pure, part of every render) and
 * topology.svg (laid out by Graphviz in WebAssembly, so asynchronous: `renderGenerated` adds it).
 */
import type { Plan } from '../../plan/plan.ts';
import { graphToDot } from './dot.ts';
import { graphToMermaid } from './mermaid.ts';
import { buildGraph, type GraphLive } from './model.ts';
import { dotToSvg } from './svg.ts';

/** The drawing's text formats, by file name. */
export function topologyFiles(plan: Plan, banner: string): [string, string][] {
  const g = buildGraph(plan);
  return [
    ['topology.dot', graphToDot(g, banner)],
    ['topology.mmd', graphToMermaid(g, banner)],
  ];
}

/** The drawing as SVG, from the plan or (with `live`) from a live lab's state. */
export async function topologySvg(plan: Plan, banner: string, live?: GraphLive): Promise<string> {
  return dotToSvg(graphToDot(buildGraph(plan, live), banner), banner);
}
