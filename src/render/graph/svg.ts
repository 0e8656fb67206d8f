/**
 * DOT → SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz; docs/graph.md "Why
 * @hpcc-js/wasm-graphviz"): the layout is Graphviz's `dot`, no native binary and no download at
 * run time. Loading the WebAssembly module costs about 0.2 s, so it is loaded on first use only,
 * once per process; a layout then takes milliseconds. Text widths come from Graphviz's built-in
 * font metrics, not the machine's fonts, so the same DOT gives the same bytes on every machine.
 *
 * So each layout is kept in the build folder (`graph/<key>.json`, the key a hash of the DOT text
 * without its leading comments and of the Graphviz package's version), and drawing the same lab
 * again (`podlab graph -f svg`, `trace --svg`, a render) loads no WebAssembly at all. Whatever
 * fails there (a build folder that cannot be written) costs only the speed.
 */
import { createHash } from '../../lib/crypto.ts';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Graphviz } from '@hpcc-js/wasm-graphviz';
import { BUILD_DIR } from '../../lib/build-dir.ts';
import { writeFileAtomic } from '../../lib/write-atomic.ts';
import { FONT } from './dot.ts';

/** The font families the SVG asks for: the one text was measured in, then one as wide, then any sans. */
const FONT_FALLBACKS = `${FONT},Verdana,sans-serif`;

/** Where layouts are kept, and how many: the oldest go beyond that. */
export const LAYOUT_DIR = join(BUILD_DIR, 'graph');
const KEPT_LAYOUTS = 64;

let loading: Promise<Graphviz> | undefined;

function graphviz(): Promise<Graphviz> {
  loading ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  return loading;
}

/** The Graphviz version that lays drawings out (named in each SVG's banner). */
export async function graphvizVersion(): Promise<string> {
  return (await graphviz()).version();
}

/** Graphviz's own SVG of a DOT text and its version: kept, or laid out now. */
interface Layout {
  graphviz: string;
  svg: string;
}

/**
 * The SVG of a DOT text, as a file: it starts at `<svg` (no XML prolog or DOCTYPE, which SVG in
 * a browser or an <img> does not need), with `banner` as its first comment.
 */
export async function dotToSvg(dot: string, banner: string, keptIn: string = LAYOUT_DIR): Promise<string> {
  const file = join(keptIn, `${layoutKey(dot)}.json`);
  let laid = keptLayout(file);
  if (!laid) {
    const gv = await graphviz();
    laid = { graphviz: gv.version(), svg: gv.dot(dot, 'svg') };
    keep(file, laid);
  }
  const { svg } = laid;
  const start = svg.indexOf('<svg');
  if (start < 0) throw new Error('Graphviz returned no <svg> element');
  const open = svg.indexOf('>', start) + 1;
  const comment = `<!-- ${banner.replace(/--/g, '- -')} Laid out by Graphviz ${laid.graphviz} (@hpcc-js/wasm-graphviz). -->`;
  return `${svg.slice(start, open)}\n${comment}${svg.slice(open).replaceAll(`font-family="${FONT}"`, `font-family="${FONT_FALLBACKS}"`)}`;
}

let version: string | undefined;

/** The Graphviz package's version, from its package.json. */
function packageVersion(): string {
  if (version === undefined) {
    try {
      // …/node_modules/@hpcc-js/wasm-graphviz/dist/index.js
      const main = createRequire(import.meta.url).resolve('@hpcc-js/wasm-graphviz');
      version = String((JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: unknown }).version);
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** A layout's key: the DOT text without its leading comments (a banner with the time changes no layout) and the package's version. */
function layoutKey(dot: string): string {
  return createHash('sha256')
    .update(JSON.stringify([packageVersion(), dot.replace(/^(?:\/\/[^\n]*\n)+/, '')]))
    .digest('hex')
    .slice(0, 32);
}

function keptLayout(file: string): Layout | undefined {
  try {
    const l = JSON.parse(readFileSync(file, 'utf8')) as Partial<Layout>;
    return typeof l.graphviz === 'string' && typeof l.svg === 'string' ? { graphviz: l.graphviz, svg: l.svg } : undefined;
  } catch {
    return undefined;
  }
}

function keep(file: string, laid: Layout): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, JSON.stringify(laid));
    const kept = readdirSync(dir).filter((f) => f.endsWith('.json'));
    if (kept.length <= KEPT_LAYOUTS) return;
    const byAge = kept.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
    for (const { f } of byAge.slice(0, kept.length - KEPT_LAYOUTS)) rmSync(join(dir, f), { force: true });
  } catch {
    /* only the speed */
  }
}
