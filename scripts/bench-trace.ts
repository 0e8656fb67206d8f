/**
 * The trace benchmark (`npm run bench:trace`): how long `podlab trace` takes between two pods on
 * different nodes of the flagship lab (labs/pod-networking.lab.ts, flannel, built as see-bench):
 * the whole live trace (prediction, live facts, counters before and after, the probe, conntrack)
 * in-process and through the CLI (a fresh `podlab` process, as a learner runs it). The baseline,
 * measured in the same run, is one bare probe (the connection alone, entered the same way), so the
 * ratio says what the explanation costs on top of the packet. Goal from issue 26: ≤ 500 ms.
 * A script that prints figures and writes bench/results/trace.json, not a timed test.
 *
 * With --ipv6 the flagship is built dual stack and the same trace is followed in IPv6
 * (--family IPv6: ip -6, ip6 tables, conntrack -f ipv6, flannel-v6.1), its baselines the IPv4
 * trace and a bare IPv6 probe measured in the same run.
 *
 *   node --import tsx scripts/bench-trace.ts [--runs N] [--ipv6]
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import podLab from '../labs/pod-networking.lab.ts';
import { validateValue } from '../src/compile/validate-value.ts';
import { buildPlan } from '../src/plan/plan.ts';
import { render } from '../src/render/render.ts';
import { PROBE_BIN } from '../src/runtime/artifacts.ts';
import { down } from '../src/runtime/down.ts';
import { sourceArgv } from '../src/runtime/enter.ts';
import { realExecutor } from '../src/runtime/exec.ts';
import { readState } from '../src/runtime/state.ts';
import { traceLive } from '../src/runtime/trace.ts';
import { up } from '../src/runtime/up.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LAB = 'see-bench';
const GOAL_MS = 500;
const runs = Math.max(1, Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;

const IPV6 = process.argv.includes('--ipv6');
if (IPV6) {
  await benchIpv6();
  process.exit(0);
}

/** The IPv6 trace beside the IPv4 one and a bare IPv6 probe, on the flagship built dual stack. */
async function benchIpv6(): Promise<void> {
  const name = 'see-bench6';
  const { lab: l } = validateValue({ ...podLab, name, ipFamilies: ['IPv4', 'IPv6'] }, `${name}.lab.ts`);
  if (!l) throw new Error('lab invalid');
  await down(name);
  try {
    const plan = buildPlan(l);
    await up(plan, render(plan));
    const state = readState(name)!;
    const web2v6 = plan.pods.find((p) => p.name === 'web-2')!.ips.find((a) => a.includes(':'))!;
    const req4 = { from: 'client', to: 'web-2', port: 8080 };
    const req6 = { ...req4, family: 'IPv6' as const };
    await traceLive(realExecutor, state, req4);
    await traceLive(realExecutor, state, req6);
    const [bare6, t4, t6]: number[][] = [[], [], []];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      await realExecutor.run([...sourceArgv(state, 'client'), PROBE_BIN, 'tcp-connect', '--host', web2v6, '--port', '8080', '--timeout-ms', '1000']);
      bare6.push(performance.now() - t);
      t = performance.now();
      const a = await traceLive(realExecutor, state, req4);
      t4.push(performance.now() - t);
      t = performance.now();
      const b = await traceLive(realExecutor, state, req6);
      t6.push(performance.now() - t);
      for (const x of [a, b]) if (x.observed?.differences.length || !x.observed?.ok) throw new Error(`trace ${x.family} differs: ${x.observed?.differences.join('; ')}`);
    }
    const m = (xs: number[]) => +median(xs).toFixed(1);
    process.stdout.write(
      `trace client (worker-1) → web-2 (worker-2) tcp/8080 on the flagship built dual stack, ${runs} runs
` +
        `  bare IPv6 probe (baseline)   median ${m(bare6)} ms, p90 ${+p90(bare6).toFixed(1)} ms
` +
        `  trace IPv4 (baseline)        median ${m(t4)} ms, p90 ${+p90(t4).toFixed(1)} ms
` +
        `  trace --family IPv6          median ${m(t6)} ms, p90 ${+p90(t6).toFixed(1)} ms  (${(median(t6) / median(t4)).toFixed(2)}× the IPv4 trace, ${(median(t6) / median(bare6)).toFixed(1)}× the bare probe)  goal ≤ ${GOAL_MS} ms: ${median(t6) <= GOAL_MS ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    await down(name);
  }
}

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
    const r = await execa(`${ROOT}bin/podlab.js`, ['trace', LAB, 'client', 'web-2', '--port', '8080'], { reject: false });
    cli.push(performance.now() - t);
    if (r.exitCode !== 0) throw new Error(`podlab trace exited ${r.exitCode}: ${r.stdout}${r.stderr}`);
    t = performance.now();
    await execa(`${ROOT}bin/podlab.js`, ['status', LAB], { reject: false });
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
  writeBenchResult(`${ROOT}bench/results/trace.json`, { measuredAt: new Date().toISOString(), ...fig });
} finally {
  await down(LAB);
}
