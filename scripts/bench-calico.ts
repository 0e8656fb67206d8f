/**
 * The Calico and NetworkPolicy benchmark (`npm run bench:calico`): a script that prints figures
 * (and writes bench/results/calico.json), not a timed test.
 *
 * 1. Calico convergence, 4 and 10 nodes (one pod each): from the start of `up` until every BGP
 *    session of the full mesh is Established (birdc on every node's socket) and every node has a
 *    `proto bird` route to every peer's block. Goal (issue 23): ≤ 3 s for 10 nodes. The baseline,
 *    in the same run, is `up` of the same lab with kubenet (no daemons, static routes): what any
 *    mode pays; the ratio is Calico's convergence over it.
 * 2. Checks right after `up` (as `podlab up --check` runs them) of labs/calico.lab.ts and
 *    labs/calico-dual-stack.lab.ts: from the end of `up` until every check has passed. Most of it
 *    is the BGP mesh coming up (BIRD connects 1 s after it starts), and a check's probe that sent
 *    its first packet before the route existed.
 * 3. The 81-cell truth table on the policy model lab (labs/network-policy.lab.ts as np-bench,
 *    flannel): its two lab checks (2 × 81 cells, TCP/80 and UDP/81). Goal (issue 22): ≤ 2 s per table.
 *    Baseline: the same lab with no policy at all (every cell reaches, so no cell waits on a reject).
 *
 *   node --import tsx scripts/bench-calico.ts [--runs N (3)] [--nodes 4,10] [--only calico,checks,matrix] [--out FILE]
 *
 * Everything it builds is removed in `finally` (labs cal-bench-*, cal-check-*, np-bench*).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import calicoLab from '../labs/calico.lab.ts';
import calicoDualLab from '../labs/calico-dual-stack.lab.ts';
import policyLab from '../labs/network-policy.lab.ts';
import { birdSocket, type CalicoNode } from '../src/cni/calico/index.ts';
import { parseBirdProtocols } from '../src/check/kinds/bgp.ts';
import { runChecks } from '../src/check/run.ts';
import { validateValue } from '../src/compile/validate-value.ts';
import type { LabSpec } from '../src/index.ts';
import { buildPlan, type Plan } from '../src/plan/plan.ts';
import { render } from '../src/render/render.ts';
import { down } from '../src/runtime/down.ts';
import { stateDir } from '../src/runtime/state.ts';
import { up } from '../src/runtime/up.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GOALS = { calico10Ms: 3000, tableMs: 2000 };

function parseArgs(argv: string[]) {
  const a = { runs: 3, nodes: [4, 10], only: ['calico', 'checks', 'matrix'], out: join(ROOT, 'bench/results/calico.json') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') a.runs = Number(argv[++i]);
    else if (argv[i] === '--nodes') a.nodes = argv[++i]!.split(',').map(Number);
    else if (argv[i] === '--only') a.only = argv[++i]!.split(',');
    else if (argv[i] === '--out') a.out = argv[++i]!;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node --import tsx scripts/bench-calico.ts [--runs N (3)] [--nodes 4,10] [--only calico,checks,matrix] [--out FILE]\n');
      process.exit(0);
    }
  }
  return a;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function planOf(spec: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(spec, `${spec.name}.lab.ts`);
  if (!lab) throw new Error(`bench lab invalid: ${JSON.stringify(diagnostics)}`);
  return buildPlan(lab);
}

function meshLab(name: string, n: number, cni: LabSpec['cni']): LabSpec {
  const nodes = Object.fromEntries(Array.from({ length: n }, (_, i) => [`n${i + 1}`, { ip: `172.16.94.${10 + i}` }]));
  const pods = Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i + 1}`, { node: `n${i + 1}` }]));
  return { name, cni, nodes, pods, dns: false };
}

/** True once every session of every node is Established and every peer block is a `proto bird` route. */
async function converged(plan: Plan): Promise<boolean> {
  const checks = await Promise.all(
    plan.nodes.map(async (n) => {
      const c = n.cni as unknown as CalicoNode;
      if (c.routing.kind !== 'bgp') return true;
      const routing = c.routing;
      const [b, r] = await Promise.all([
        execa('birdc', ['-s', birdSocket(stateDir(plan.lab), n.name), 'show', 'protocols'], { reject: false }),
        execa('ip', ['-n', n.netns, 'route', 'show', 'proto', 'bird'], { reject: false }),
      ]);
      const rows = parseBirdProtocols(b.stdout);
      const sessions = routing.peers.every((p) => rows.some((x) => x.name === p.protocol && x.state === 'up' && x.info.startsWith('Established')));
      const blocks = plan.nodes.filter((o) => o !== n).flatMap((o) => (o.cni as unknown as CalicoNode).blocks);
      return sessions && blocks.every((blk) => r.stdout.includes(`${blk} via`));
    }),
  );
  return checks.every(Boolean);
}

async function calicoRun(n: number): Promise<{ upMs: number; convergedMs: number; kubenetUpMs: number }> {
  const cal = planOf(meshLab(`cal-bench-${n}`, n, { type: 'calico' }));
  const base = planOf(meshLab(`cal-bench-${n}k`, n, 'kubenet'));
  try {
    let t = performance.now();
    await up(base, render(base));
    const kubenetUpMs = performance.now() - t;
    await down(base.lab);
    t = performance.now();
    await up(cal, render(cal));
    const upMs = performance.now() - t;
    while (!(await converged(cal))) {
      if (performance.now() - t > 60_000) throw new Error(`cal-bench-${n} did not converge in 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { upMs, convergedMs: performance.now() - t, kubenetUpMs };
  } finally {
    await down(cal.lab);
    await down(base.lab);
  }
}

/** The labs whose checks are timed right after `up`, under bench names of their own. */
const CHECK_LABS: [string, LabSpec][] = [
  ['calico', { ...calicoLab, name: 'cal-check-4', scenarios: {} }],
  ['calico-dual-stack', { ...calicoDualLab, name: 'cal-check-ds', scenarios: {} }],
];

/** `up`, then every check at once until each has passed: the ms from `up`'s end, and the slowest check. */
async function checksRun(spec: LabSpec): Promise<{ upMs: number; checksMs: number; slowest: string }> {
  const plan = planOf(spec);
  try {
    const t = performance.now();
    const state = await up(plan, render(plan));
    const upMs = performance.now() - t;
    const results = await runChecks(state);
    const checksMs = performance.now() - t - upMs;
    const failed = results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.seen}`);
    if (failed.length) throw new Error(`${plan.lab}: checks failed after up: ${failed.join('; ')}`);
    const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a));
    return { upMs, checksMs, slowest: `${slowest.name} (${slowest.ms} ms, ${slowest.attempts} attempts)` };
  } finally {
    await down(plan.lab);
  }
}

async function matrixRun(): Promise<{ policyMs: number[]; openMs: number[] }> {
  const withPolicy = planOf({ ...policyLab, name: 'np-bench', scenarios: {} });
  const open = planOf({ ...policyLab, name: 'np-bench-open', networkPolicies: {}, scenarios: {}, checks: policyLab.checks!.map((c) => ({ ...c, expect: 'reach' as const })) });
  const timeTables = async (plan: Plan) => {
    const state = await up(plan, render(plan));
    try {
      await runChecks(state); // warm: sandboxes, the probe binary in the page cache
      const t = performance.now();
      const results = await runChecks(state);
      const ms = performance.now() - t;
      const failed = results.filter((r) => r.status !== 'pass').map((r) => r.name);
      if (failed.length) throw new Error(`${plan.lab}: tables failed: ${failed.join(', ')}`);
      return ms / results.length;
    } finally {
      await down(plan.lab);
    }
  };
  return { policyMs: [await timeTables(withPolicy)], openMs: [await timeTables(open)] };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // With --only, the sections that did not run are kept from the last file.
  const previous = existsSync(args.out) ? (JSON.parse(readFileSync(args.out, 'utf8')) as Record<string, unknown>) : {};
  const result: Record<string, unknown> = { ...previous, date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 10) / 10), goals: GOALS };
  const stop = async () => {
    for (const n of args.nodes) {
      await down(`cal-bench-${n}`).catch(() => undefined);
      await down(`cal-bench-${n}k`).catch(() => undefined);
    }
    await down('cal-bench-warm').catch(() => undefined);
    for (const [, spec] of CHECK_LABS) await down(spec.name).catch(() => undefined);
    await down('np-bench').catch(() => undefined);
    await down('np-bench-open').catch(() => undefined);
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    if (args.only.includes('calico')) {
      // Untimed: the first Calico `up` builds podlab's calico CNI plugin into build/cni and loads BIRD from disk.
      const warm = planOf(meshLab('cal-bench-warm', 2, { type: 'calico' }));
      try {
        await up(warm, render(warm));
      } finally {
        await down(warm.lab);
      }
      const calico: Record<string, unknown> = {};
      for (const n of args.nodes) {
        const runs = [];
        for (let i = 0; i < args.runs; i++) runs.push(await calicoRun(n));
        const conv = median(runs.map((r) => r.convergedMs));
        const kub = median(runs.map((r) => r.kubenetUpMs));
        calico[`${n}`] = { upMs: Math.round(median(runs.map((r) => r.upMs))), convergedMs: Math.round(conv), kubenetUpMs: Math.round(kub), ratio: Math.round((conv / kub) * 100) / 100, runs: runs.length };
        process.stdout.write(
          `calico ${String(n).padStart(2)} nodes: up ${Math.round(median(runs.map((r) => r.upMs)))} ms, every session Established + every block route ${Math.round(conv)} ms (goal ${n === 10 ? `≤ ${GOALS.calico10Ms} ms` : '-'}); kubenet up ${Math.round(kub)} ms; ratio ${(conv / kub).toFixed(2)}×\n`,
        );
      }
      result.calico = calico;
    }
    if (args.only.includes('checks')) {
      const checks: Record<string, unknown> = {};
      for (const [id, spec] of CHECK_LABS) {
        const runs = [];
        for (let i = 0; i < args.runs; i++) runs.push(await checksRun(spec));
        const ms = runs.map((r) => Math.round(r.checksMs));
        checks[id] = { upMs: Math.round(median(runs.map((r) => r.upMs))), checksMs: median(ms), samples: ms, runs: runs.length };
        process.stdout.write(`checks right after up, labs/${id}.lab.ts: all passed ${median(ms)} ms after up (runs: ${ms.join(', ')}); slowest in the last run: ${runs.at(-1)!.slowest}\n`);
      }
      result.checks = checks;
    }
    if (args.only.includes('matrix')) {
      const r = await matrixRun();
      const p = median(r.policyMs);
      const o = median(r.openMs);
      result.matrix = { policyTableMs: Math.round(p), openTableMs: Math.round(o), ratio: Math.round((p / o) * 100) / 100 };
      process.stdout.write(`81-cell truth table (policy lab, default-deny in x): ${Math.round(p)} ms per table (goal ≤ ${GOALS.tableMs} ms); no policy: ${Math.round(o)} ms; ratio ${(p / o).toFixed(2)}×\n`);
    }
    writeBenchResult(args.out, result);
    process.stdout.write(`wrote ${args.out}\n`);
  } finally {
    await stop();
  }
}

await main();
