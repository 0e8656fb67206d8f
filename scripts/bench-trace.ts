/**
 * The trace benchmark (`npm run bench:trace`): how long `podlab trace` takes between two pods on
 * different nodes of the flagship lab (labs/pod-networking.lab.ts, flannel, built as see-bench):
 * the whole live trace (prediction, live facts, counters before and after, the probe, conntrack)
 * in-process and through the CLI (a fresh `podlab` process, as a learner runs it). The baseline,
 * measured in the same run, is one bare probe (the connection alone, entered the same way), so the
 * ratio says what the explanation costs on top of the packet. Goal from issue 26: ≤ 500 ms.
 * A script that prints figures and writes bench/results/trace.json, not a timed test.
 *
 *   node --import tsx scripts/bench-trace.ts [--runs N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import podLab from '../labs/pod-networking.lab.ts';
import { validateValue } from '../src/compile/compile.ts';
import { buildPlan } from '../src/plan/plan.ts';
import { render } from '../src/render/render.ts';
import { PROBE_BIN } from '../src/runtime/artifacts.ts';
import { down } from '../src/runtime/down.ts';
import { sourceArgv } from '../src/runtime/enter.ts';
import { realExecutor } from '../src/runtime/exec.ts';
import { readState } from '../src/runtime/state.ts';
import { traceLive } from '../src/runtime/trace.ts';
import { up } from '../src/runtime/up.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LAB = 'see-bench';
const GOAL_MS = 500;
const runs = Math.max(1, Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;

const { lab } = validateValue({ ...podLab, name: LAB }, `${LAB}.lab.ts`);
if (!lab) throw new Error('lab invalid');
await down(LAB);
try {
  const plan = buildPlan(lab);
  await up(plan, render(plan));
  const state = readState(LAB)!;
  const req = { from: 'client', to: 'web-2', port: 8080 };
  const web2 = state.pods['web-2']!.ip!;
  // Warm-up: the spawner, the page cache.
  await traceLive(realExecutor, state, req);
  const bare: number[] = [];
  const inProcess: number[] = [];
  const cli: number[] = [];
  const cliStatus: number[] = [];
  const phases: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await realExecutor.run([...sourceArgv(state, 'client'), PROBE_BIN, 'tcp-connect', '--host', web2, '--port', '8080', '--timeout-ms', '1000']);
    bare.push(performance.now() - t);
    t = performance.now();
    const tr = await traceLive(realExecutor, state, req);
    inProcess.push(performance.now() - t);
    if (tr.observed?.differences.length || !tr.observed?.ok) throw new Error(`trace differs: ${tr.observed?.differences.join('; ')}`);
    for (const [k, v] of Object.entries(tr.timings)) (phases[k] ??= []).push(v);
    t = performance.now();
    const r = await execa('node', [`${ROOT}bin/podlab.js`, 'trace', LAB, 'client', 'web-2', '--port', '8080'], { reject: false });
    cli.push(performance.now() - t);
    if (r.exitCode !== 0) throw new Error(`podlab trace exited ${r.exitCode}: ${r.stdout}${r.stderr}`);
    t = performance.now();
    await execa('node', [`${ROOT}bin/podlab.js`, 'status', LAB], { reject: false });
    cliStatus.push(performance.now() - t);
  }
  const fig = {
    lab: 'labs/pod-networking.lab.ts (flannel) as see-bench',
    trace: 'client (worker-1) → web-2 (worker-2) tcp/8080, 7 hops',
    runs,
    bareProbeMs: { median: +median(bare).toFixed(1), p90: +p90(bare).toFixed(1) },
    traceInProcessMs: { median: +median(inProcess).toFixed(1), p90: +p90(inProcess).toFixed(1) },
    traceCliMs: { median: +median(cli).toFixed(1), p90: +p90(cli).toFixed(1) },
    statusCliMs: { median: +median(cliStatus).toFixed(1), p90: +p90(cliStatus).toFixed(1) },
    phasesMedianMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)])),
    ratioTraceToBareProbe: +(median(inProcess) / median(bare)).toFixed(1),
    goalMs: GOAL_MS,
    /** The trace's own cost; the CLI's start (node, the bundle) is what `podlab status` costs too, measured beside it. */
    meetsGoal: median(inProcess) <= GOAL_MS,
    loadAverage: (await import('node:os')).loadavg()[0],
  };
  process.stdout.write(
    `trace ${fig.trace}, ${runs} runs\n` +
      `  bare probe (baseline)  median ${fig.bareProbeMs.median} ms, p90 ${fig.bareProbeMs.p90} ms\n` +
      `  trace, in process      median ${fig.traceInProcessMs.median} ms, p90 ${fig.traceInProcessMs.p90} ms  (${fig.ratioTraceToBareProbe}× the bare probe)  goal ≤ ${GOAL_MS} ms: ${fig.meetsGoal ? 'met' : 'NOT met'}\n` +
      `  podlab trace (CLI)     median ${fig.traceCliMs.median} ms, p90 ${fig.traceCliMs.p90} ms  (${(fig.traceCliMs.median / fig.statusCliMs.median).toFixed(2)}× podlab status)\n` +
      `  podlab status (CLI)    median ${fig.statusCliMs.median} ms (the CLI's own start, baseline)  load average ${fig.loadAverage.toFixed(1)}\n` +
      `  phases (median ms)     ${Object.entries(fig.phasesMedianMs).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
  );
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(`${ROOT}bench/results/trace.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...fig }, null, 2)}\n`);
} finally {
  await down(LAB);
}
