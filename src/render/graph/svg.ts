/**
 * DOT → SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz; docs/graph.md "Why
 * @hpcc-js/wasm-graphviz"): the layout is Graphviz's `dot`, no native binary and no download at
 * run time. Loading the WebAssembly module costs about 0.2 s, so it is loaded on first use only,
 * once per process; a layout then takes milliseconds. Text widths come from Graphviz's built-in
 * font metrics, not the machine's fonts, so the same DOT gives the same bytes on every machine.
 */
import type { Graphviz } from '@hpcc-js/wasm-graphviz';
import { FONT } from './dot.ts';

/** The font families the SVG asks for: the one text was measured in, then one as wide, then any sans. */
const FONT_FALLBACKS = `${FONT},Verdana,sans-serif`;

let loading: Promise<Graphviz> | undefined;

function graphviz(): Promise<Graphviz> {
  loading ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  return loading;
}

/** The Graphviz version that lays drawings out (named in each SVG's banner). */
export async function graphvizVersion(): Promise<string> {
  return (await graphviz()).version();
}

/**
 * The SVG of a DOT text, as a file: it starts at `<svg` (no XML prolog or DOCTYPE, which SVG in
 * a browser or an <img> does not need), with `banner` as its first comment.
 */
export async function dotToSvg(dot: string, banner: string): Promise<string> {
  const gv = await graphviz();
  const svg = gv.dot(dot, 'svg');
  const start = svg.indexOf('<svg');
  if (start < 0) throw new Error('Graphviz returned no <svg> element');
  const open = svg.indexOf('>', start) + 1;
  const comment = `<!-- ${banner.replace(/--/g, '- -')} Laid out by Graphviz ${gv.version()} (@hpcc-js/wasm-graphviz). -->`;
  return `${svg.slice(start, open)}\n${comment}${svg.slice(open).replaceAll(`font-family="${FONT}"`, `font-family="${FONT_FALLBACKS}"`)}`;
}
