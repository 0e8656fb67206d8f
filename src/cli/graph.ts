/**
 * `podlab graph <lab> [--format svg|mermaid|dot|json] [--out file]`: the lab drawn — from its
 * file (the plan, as in generated/<lab>/topology.svg), or by its name once it is up (the live
 * state: pods that are down drawn red and dashed, live IPs and endpoints; with --checks, the
 * lab's checks run first and the ends of each failed one marked). The model and the
 * drawing are src/render/graph/; this picks the source, the format and where the bytes go.
 * Exit codes: 0 drawn, 1 the lab file is invalid, 2 podlab could not draw (PL3150 a bad --format,
 * PL3151 --checks with a lab file, PL3113 the lab is not up).
 * (A failed check is drawn, not an exit code: the drawing is what was asked for.)
 */
import { existsSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { CheckResult } from '../check/checks.ts';
import { buildPlan, type Plan } from '../plan/plan.ts';
import { bannerOf, liveBannerOf } from '../render/banner.ts';
import { graphToDot } from '../render/graph/dot.ts';
import { graphToMermaid } from '../render/graph/mermaid.ts';
import { buildGraph, type GraphLive } from '../render/graph/model.ts';
import { dotToSvg } from '../render/graph/svg.ts';
import { runChecks } from '../check/run.ts';
import { realExecutor } from '../runtime/exec.ts';
import { liveGraphFacts } from '../runtime/live-graph.ts';
import { failedMarks } from '../ui/page.ts';
import { readState } from '../runtime/state.ts';
import { labsOnHost } from '../runtime/down.ts';
import { diag, formatDiagnostic, type Code } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { color, dim, green, red } from './terminal.ts';
import { compileLabFile, EXIT, isLabFile, labPrefix, prefixed, prefixNamed, printDiagnostics, unprefixed, writeOutputOrExit } from './basics.ts';

export const GRAPH_FORMATS = ['svg', 'mermaid', 'dot', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** The format an output file's extension names, when --format is not given. */
const BY_EXTENSION: Record<string, GraphFormat> = { '.svg': 'svg', '.mmd': 'mermaid', '.mermaid': 'mermaid', '.dot': 'dot', '.gv': 'dot', '.json': 'json' };

function fail(message: string, code: number): void {
  process.stderr.write(`${red('✗')} ${message}\n`);
  process.exitCode = code;
}

/** A usage error, with its permanent code (docs/errors.md): exit 2. */
function refuse(code: Code, message: string, hint: string): void {
  process.stderr.write(`${formatDiagnostic(diag(code, [], message, `${hint} ${NOTHING_CHANGED}`), undefined, color)}\n`);
  process.exitCode = EXIT.cannotRun;
}

/** How many checks ran, passed and failed: `checks` in the JSON drawing, and the line --checks prints on stderr. */
export function checkCounts(results: readonly CheckResult[]): { total: number; passed: number; failed: number } {
  const passed = results.filter((r) => r.status === 'pass').length;
  return { total: results.length, passed, failed: results.length - passed };
}

/** The drawing in one format. */
export async function drawGraph(plan: Plan, format: GraphFormat, banner: string, live?: GraphLive, results?: readonly CheckResult[]): Promise<string> {
  const g = buildGraph(plan, live);
  const failed = results ? failedMarks(g, plan.checks, results) : undefined;
  if (format === 'json') return `${JSON.stringify({ generatedBy: banner, ...g, ...(results ? { checks: checkCounts(results) } : {}), ...(failed ? { failedChecks: failed } : {}) }, null, 2)}\n`;
  if (format === 'mermaid') return graphToMermaid(g, banner);
  const dot = graphToDot(g, banner, failed ? { failed } : {});
  return format === 'dot' ? dot : dotToSvg(dot, banner);
}

/**
 * What to draw instead of a name that is not up: its lab file when one by that name is where the
 * examples keep theirs (never a path made up), else the labs that are up (of the lab-name prefix).
 */
export function notUpHint(arg: string): string {
  const name = unprefixed(arg);
  const file = [`labs/${name}.lab.ts`, `${name}.lab.ts`].find((f) => existsSync(f));
  if (file) return `Draw its plan from its file: podlab graph ${file}; or bring it up (podlab up ${file}) and draw it live.`;
  const up = labsOnHost().filter((l) => l.startsWith(labPrefix()) && readState(l)?.status === 'up').sort();
  const drawPlan = 'To draw a plan, name the lab file (podlab graph path/to/<lab>.lab.ts).';
  if (!up.length) return `No lab${prefixNamed()} is up. ${drawPlan}`;
  return `Labs up${prefixNamed()}: ${up.join(', ')} (podlab graph ${unprefixed(up[0]!)} draws it live). ${drawPlan}`;
}

/** `checks: 3 run, 2 passed, 1 failed (podlab check <lab> says why)`, on stderr after the drawing. */
function checksLine(c: { total: number; passed: number; failed: number }, lab: string): string {
  if (!c.total) return dim(`checks: the lab has none, nothing marked`);
  const line = `checks: ${c.total} run, ${c.passed} passed, ${c.failed} failed`;
  return c.failed ? `${red('✗')} ${line}, marked red on the drawing (podlab check ${unprefixed(lab)} says why)` : `${green('✓')} ${line}`;
}

const HELP = `
What is drawn (docs/graph.md has the key to shapes and colours):
  the node network (the bridge in the lab's fabric namespace), each node with its link to it,
  its pod bridge (cni0; kubenet's cbr0) and its CNI mode's devices (flannel's VXLAN device), the pods with
  their IPs on veth pairs, how nodes reach each other's pods (VXLAN tunnels, or routes), the
  gateway, outside hosts, and the Services with their ClusterIPs and endpoints.

Planned or live:
  a lab file draws the plan (the same drawing as generated/<lab>/topology.svg);
  the name of a lab that is up draws its live state: pods that are deleted or whose processes
  exited are red and dashed, with their live IPs (a deleted pod none), and the endpoints
  kube-proxy has now; a node failed with podlab node fail is drawn failed (NotReady), its link
  and its tunnels or routes red and dashed. In a lab with IPv6, every family's addresses;
  with --checks, the lab's checks run first (as podlab check) and the pods, nodes, hosts and
  Services at the ends of each failed one (of a matrix: of each failed cell) are red and bold,
  "✗ check <name>" in their box (SVG and DOT; JSON lists them as failedChecks; Mermaid does not
  mark them); how many ran, passed and failed is printed on stderr after the drawing (JSON:
  checks: { total, passed, failed }).

Examples:
  podlab graph labs/pod-networking.lab.ts --out topology.svg
  podlab graph labs/services.lab.ts --format mermaid      paste into a \`\`\`mermaid block
  podlab graph labs/dns.lab.ts --format dot | dot -Tpng -o dns.png
  sudo podlab graph pod-networking --out live.svg          the lab as it runs now
  sudo podlab graph pod-networking --checks --out live.svg with its checks run: failed ones in red

Exit codes: 0 drawn, 1 the lab file is invalid, 2 it could not draw (PL3150 unknown format,
PL3151 --checks with a lab file, PL3113 lab not up).`;

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('Draw a lab: nodes, node network, pods and their IPs, bridges and veths, VXLAN tunnels or routes, gateway, outside hosts, Services and endpoints. SVG, Mermaid, Graphviz DOT or JSON. Needs no root for a lab file.')
    .argument('<lab>', 'a lab file (draws the plan), or the name of a lab that is up (draws its live state)')
    .option('-f, --format <format>', `${GRAPH_FORMATS.join(', ')} (default: from --out's extension, else svg)`)
    .option('-o, --out <file>', 'write the drawing to this file instead of stdout')
    .option('--checks', "a lab that is up: run its checks first and mark the failed ones on the drawing")
    .addHelpText('after', HELP)
    .action(async (arg: string, opts: { format?: string; out?: string; checks?: boolean }) => {
      const ext = opts.out ? extname(opts.out).toLowerCase() : '';
      const byExt = BY_EXTENSION[ext];
      const format = opts.format ?? byExt ?? 'svg';
      const png = `For a PNG, let Graphviz draw the DOT: \`podlab graph ${arg} --format dot | dot -Tpng -o ${unprefixed(arg).replace(/\.lab\.ts$/, '').replace(/^.*\//, '')}.png\`.`;
      if (!(GRAPH_FORMATS as readonly string[]).includes(format)) {
        refuse('PL3150', `--format "${format}" is not a drawing format: use one of ${GRAPH_FORMATS.join(', ')}.`, png);
        return;
      }
      // --out's extension names the format when --format is not given; one that names another
      // format, or a format podlab does not draw (x.png), is refused rather than written with the
      // wrong bytes. A name without an extension (or one that names no format, with --format) is SVG's / --format's.
      const contradicts = opts.format ? byExt !== undefined && byExt !== format : ext !== '' && byExt === undefined;
      if (contradicts) {
        refuse('PL3150', `--out "${opts.out}" ends in ${ext}, which is ${byExt ? `${byExt}'s extension, not ${format}'s` : `not a drawing format podlab writes (${Object.keys(BY_EXTENSION).join(', ')})`}.`, byExt ? `Name the file for its format (e.g. ${opts.out!.slice(0, -ext.length)}.${format === 'mermaid' ? 'mmd' : format}), or leave --format out to draw ${byExt}.` : ext === '.png' ? png : `Name the file with one of those extensions, or give --format.`);
        return;
      }
      let plan: Plan;
      let live: GraphLive | undefined;
      let banner: string;
      if (isLabFile(arg)) {
        const r = await compileLabFile(arg);
        printDiagnostics(r);
        if (!r.lab) {
          fail(`${r.file}: not drawn, the lab has errors.`, EXIT.failed);
          return;
        }
        plan = buildPlan(r.lab);
        banner = bannerOf(plan);
        if (opts.checks) {
          // A lab file draws its plan; the checks run against the live lab, named by its name.
          const upState = readState(prefixed(plan.lab));
          if (upState?.status === 'up') {
            const from = upState.plan.source ? ` (brought up from ${upState.plan.source})` : '';
            refuse('PL3151', `--checks marks the checks of a lab that is up, and ${arg} is a lab file, which draws the plan; its lab ${prefixed(plan.lab)} is up${from}: name it to draw it live with its checks.`, `Run podlab graph ${plan.lab} --checks.`);
          } else refuse('PL3151', `--checks marks the checks of a lab that is up, and ${arg} is a lab file: its checks have nothing to run against.`, `Bring it up (podlab up ${arg}), then name it: podlab graph ${plan.lab} --checks.`);
          return;
        }
        if (readState(prefixed(plan.lab))?.status === 'up') process.stderr.write(dim(`lab ${prefixed(plan.lab)} is up: \`podlab graph ${plan.lab}\` draws it as it runs; this is its plan.\n`));
      } else {
        // A lab that is up, by its name with the lab-name prefix, as every live command names it.
        const lab = prefixed(arg);
        const facts = liveGraphFacts(lab);
        if (!facts) {
          const state = readState(lab);
          refuse('PL3113', `lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}, so there is no live state to draw.`, notUpHint(arg));
          return;
        }
        ({ plan, live } = facts);
        banner = liveBannerOf(plan);
      }
      const state = opts.checks ? readState(plan.lab) : undefined;
      const results = state ? await runChecks(state, realExecutor) : undefined;
      const counts = results && checkCounts(results);
      if (counts) banner = `${banner} Checks run: ${counts.passed} passed, ${counts.failed} failed.`;
      const text = await drawGraph(plan, format as GraphFormat, banner, live, results);
      if (opts.out) {
        const out = opts.out;
        writeOutputOrExit(out, () => writeFileSync(out, text));
        process.stderr.write(`${green('✓')} ${live ? 'live' : 'planned'} ${plan.lab} → ${opts.out} (${format})\n`);
      } else process.stdout.write(text);
      // The counts where a user looks, not only in the drawing's banner (a comment in SVG, DOT and Mermaid).
      if (counts) process.stderr.write(`${checksLine(counts, plan.lab)}\n`);
    });
}
