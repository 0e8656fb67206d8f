/**
 * The checks and grading benchmark (`npm run bench:grade`): a script that prints figures (and
 * writes bench/results/grade.json), not a timed test. Two parts:
 *
 * 1. Checks per second on the flagship lab (labs/pod-networking.lab.ts, renamed bench-checks):
 *    its own checks repeated to `--checks` (default 200: ping, TCP, UDP, HTTP, DNS, route, VXLAN),
 *    all run at once through podlab's runner (probe, judge, retry). The baseline, in the same run on
 *    the same live lab, is the same probe commands run bare (nsenter + the probe, no judging, no
 *    retry) with the same concurrency: what any runner has to pay. Goal (issue 5): ≥ 50 checks/s.
 *
 * 2. Grading a class: `--submissions` (default 30) copies of the CoreDNS-forwarder fixtures in
 *    test/fixtures/submissions (correct, partial, broken, malicious; the infinite loop excluded so
 *    the figure is grading, not waiting for a 10 s sandbox deadline) graded by `podlab grade` with
 *    its default jobs. The baseline is one submission graded alone (the same path, jobs 1), times
 *    the class size: grading them one by one. Goal (issue 28, which tightened issue 5's 60 s): 30 submissions in ≤ 20 s.
 *
 *   node --import tsx scripts/bench-grade.ts [--checks N] [--submissions N] [--only checks,grade] [--out FILE]
 *
 * Everything it builds is removed in `finally` (labs bench-checks and bgrade-*).
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { compileLab } from '../src/compile/compile.ts';
import { buildPlan } from '../src/plan/plan.ts';
import { render } from '../src/render/render.ts';
import { up } from '../src/runtime/up.ts';
import { down } from '../src/runtime/down.ts';
import { realExecutor } from '../src/runtime/exec.ts';
import { sourceArgv } from '../src/runtime/enter.ts';
import { PROBE_BIN } from '../src/runtime/artifacts.ts';
import { buildProbe, sourceRef, type ProbeCheck } from '../src/check/checks.ts';
import { livePlan, runCheck } from '../src/check/run.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GOALS = { checksPerSecond: 50, classSeconds: 20 };

function parseArgs(argv: string[]) {
  const a = { checks: 200, submissions: 30, only: ['checks', 'grade'], out: join(ROOT, 'bench/results/grade.json') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--checks') a.checks = Number(argv[++i]);
    else if (argv[i] === '--submissions') a.submissions = Number(argv[++i]);
    else if (argv[i] === '--only') a.only = argv[++i]!.split(',');
    else if (argv[i] === '--out') a.out = argv[++i]!;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node --import tsx scripts/bench-grade.ts [--checks N (200)] [--submissions N (30)] [--only checks,grade] [--out FILE]\n');
      process.exit(0);
    }
  }
  return a;
}

/** Runs fn over items with at most `limit` at once. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

async function benchChecks(n: number) {
  const lab = 'bench-checks';
  const r = await compileLab(join(ROOT, 'labs/pod-networking.lab.ts'));
  if (!r.lab) throw new Error('the flagship lab does not compile');
  const plan = buildPlan({ ...r.lab, name: lab });
  await down(lab);
  try {
    const state = await up(plan, render(plan));
    const probes = plan.checks.filter((c): c is ProbeCheck => c.kind !== 'matrix');
    const checks: ProbeCheck[] = Array.from({ length: n }, (_, i) => ({ ...probes[i % probes.length]!, index: i }));
    // Warm-up: one pass of the lab's own checks (page cache, JIT of the workload script).
    await Promise.all(plan.checks.map((c) => runCheck(state, c)));
    const live = livePlan(state);
    const bare = checks.map((c) => [...sourceArgv(state, sourceRef(c)), ...buildProbe(live, c, PROBE_BIN).argv]);
    const t0 = performance.now();
    await pool(bare, 16, (argv) => realExecutor.run(argv, { timeoutMs: 5000 }));
    const bareMs = performance.now() - t0;
    const t1 = performance.now();
    const results = await Promise.all(checks.map((c) => runCheck(state, c)));
    const podlabMs = performance.now() - t1;
    const failed = results.filter((x) => x.status === 'fail').length;
    const kinds = [...new Set(checks.map((c) => c.kind))].join(', ');
    return { checks: n, kinds, failed, podlabMs: Math.round(podlabMs), bareMs: Math.round(bareMs), checksPerSecond: Math.round((n / podlabMs) * 1000 * 10) / 10, bareProbesPerSecond: Math.round((n / bareMs) * 1000 * 10) / 10, ratio: Math.round((bareMs / podlabMs) * 100) / 100 };
  } finally {
    await down(lab);
  }
}

async function benchGrade(n: number) {
  const fixtures = join(ROOT, 'test/fixtures/submissions/coredns-forwarder');
  const pick = readdirSync(fixtures).filter((f) => !f.startsWith('frank')).sort();
  const dir = mkdtempSync(join(tmpdir(), 'podlab-bench-grade-'));
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const src = pick[i % pick.length]!;
    const dot = src.indexOf('.');
    const file = join(dir, `s${String(i).padStart(2, '0')}-${src.slice(0, dot)}${src.slice(dot)}`);
    copyFileSync(join(fixtures, src), file);
    files.push(file);
  }
  const grade = (args: string[], prefix: string) =>
    execa('bin/podlab.js', ['grade', 'exercises/coredns-forwarder', ...args, '--out', join(dir, `out-${prefix}`), '--lab-prefix', prefix, '--json'], { cwd: ROOT, reject: false, env: { CI: '' } });
  try {
    // Baseline: one submission alone (a correct one: every check passes at once).
    const t0 = performance.now();
    const one = await grade([files[0]!, '--jobs', '1'], 'bgrade-one');
    const oneMs = performance.now() - t0;
    if (one.exitCode !== 0) throw new Error(`grading one submission failed: ${one.stderr}`);
    const t1 = performance.now();
    const all = await grade(files, 'bgrade');
    const classMs = performance.now() - t1;
    if (all.exitCode !== 0) throw new Error(`grading the class failed: ${all.stderr}`);
    const book = JSON.parse(all.stdout) as { summary: Record<string, number> };
    const jobs = Number(/\((\d+) at a time\)/.exec(all.stderr)?.[1] ?? 0);
    return { submissions: n, jobs, summary: book.summary, classMs: Math.round(classMs), oneMs: Math.round(oneMs), serialEstimateMs: Math.round(oneMs * n), speedup: Math.round(((oneMs * n) / classMs) * 100) / 100 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:grade builds real labs: run it as root\n');
    process.exit(2);
  }
  const machine = { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, at: new Date().toISOString() };
  process.stdout.write(`machine: ${machine.cpus} CPUs, load average ${machine.loadavg.join(' ')}\n`);
  const result: Record<string, unknown> = { machine, goals: GOALS };
  if (args.only.includes('checks')) {
    const c = await benchChecks(args.checks);
    result.checks = c;
    process.stdout.write(
      `checks on the flagship lab: ${c.checks} checks (${c.kinds}) in ${c.podlabMs} ms = ${c.checksPerSecond} checks/s` +
        ` (goal ≥ ${GOALS.checksPerSecond}: ${c.checksPerSecond >= GOALS.checksPerSecond ? 'met' : 'MISSED'}); ${c.failed} failed\n` +
        `  baseline, the same probes bare: ${c.bareMs} ms = ${c.bareProbesPerSecond} probes/s; podlab runs at ${c.ratio}× the bare rate\n`,
    );
  }
  if (args.only.includes('grade')) {
    const g = await benchGrade(args.submissions);
    result.grade = g;
    process.stdout.write(
      `grading ${g.submissions} submissions (${g.jobs} at a time): ${(g.classMs / 1000).toFixed(1)} s` +
        ` (goal ≤ ${GOALS.classSeconds} s: ${g.classMs / 1000 <= GOALS.classSeconds ? 'met' : 'MISSED'}); ${JSON.stringify(g.summary)}\n` +
        `  baseline, one submission alone: ${(g.oneMs / 1000).toFixed(1)} s, × ${g.submissions} = ${(g.serialEstimateMs / 1000).toFixed(1)} s one by one; ${g.speedup}× faster\n`,
    );
  }
  writeBenchResult(args.out, result);
  process.stdout.write(`written to ${args.out}\n`);
}

await main();
