/**
 * Server time of `kubectl get pods -o wide` on the 10 nodes × 10 pods lab: what the lab's API
 * server does for that request (read the state journal, the view `podlab status` reads, the
 * Table of every pod, JSON out), in process, on a journal as `up` writes it (every pod at its IP,
 * its processes alive). The baseline, measured in the same run: what `podlab status --json` does
 * in process (read the journal, labStatus, JSON out). Goal: ≤ 100 ms.
 *
 *   node --import tsx scripts/bench-kubectl.ts [--runs N]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handle } from '../src/api/handlers.ts';
import type { LabView } from '../src/api/types.ts';
import { validateValue } from '../src/compile/compile.ts';
import type { LabSpec } from '../src/index.ts';
import { buildPlan } from '../src/plan/plan.ts';
import { livePolicies } from '../src/runtime/policies.ts';
import { recordOf } from '../src/runtime/procs.ts';
import { stateJson, type LabState } from '../src/runtime/state.ts';
import { labStatus } from '../src/runtime/status.ts';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 50;
const NODES = 10;
const PODS = 10;

const nodes = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
const spec: LabSpec = {
  name: 'kubectl-bench',
  nodes: Object.fromEntries(nodes.map((n) => [n, {}])),
  cni: 'flannel',
  pods: Object.fromEntries(nodes.flatMap((n, i) => Array.from({ length: PODS }, (_, j) => [`p-${i + 1}-${j + 1}`, { node: n, labels: { app: `a${j}` } }]))),
};
const { lab, diagnostics } = validateValue(spec, 'kubectl-bench.lab.ts');
if (!lab) throw new Error(JSON.stringify(diagnostics));
const plan = buildPlan(lab);
const me = recordOf(process.pid);
const state: LabState = {
  lab: plan.lab,
  status: 'up',
  createdAt: new Date().toISOString(),
  steps: [],
  plan,
  pods: Object.fromEntries(plan.pods.map((p) => [p.name, { pause: me, ip: p.ip, containers: Object.fromEntries(p.containers.map((c) => [c.name, { ...me, argv: c.argv, log: '/dev/null' }])) }])),
};
const dir = mkdtempSync(join(tmpdir(), 'bench-kubectl-'));
const file = join(dir, 'state.json');
writeFileSync(file, stateJson(state));

const read = () => JSON.parse(readFileSync(file, 'utf8')) as LabState;
const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

function server(): number {
  const s = read();
  const view: LabView = { lab: s.lab, createdAt: s.createdAt, plan: s.plan, state: s, status: labStatus(s.lab, s)!, policies: livePolicies(s), annotations: {} };
  const r = handle(view, { method: 'GET', path: '/api/v1/namespaces/default/pods', query: new URLSearchParams('limit=500'), accept, contentType: '' }, 1);
  if (r.type !== 'json') throw new Error('not a table');
  const rows = (r.body as { rows: unknown[] }).rows.length;
  JSON.stringify(r.body);
  return rows;
}

function baseline(): number {
  const s = read();
  return JSON.stringify(labStatus(s.lab, s)).length;
}

function time(f: () => unknown): number[] {
  for (let i = 0; i < 5; i++) f();
  return Array.from({ length: runs }, () => {
    const t = performance.now();
    f();
    return performance.now() - t;
  }).sort((a, b) => a - b);
}

try {
  const rows = server();
  const s = time(server);
  const b = time(baseline);
  const med = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
  const p95 = (xs: number[]) => xs[Math.floor(xs.length * 0.95)]!;
  process.stdout.write(`kubectl get pods -o wide, ${NODES}×${PODS} lab (${rows} rows, state journal ${(readFileSync(file).length / 1024).toFixed(0)} KiB), ${runs} runs:\n`);
  process.stdout.write(`  API server (read journal + view + Table + JSON): median ${med(s).toFixed(2)} ms, p95 ${p95(s).toFixed(2)} ms  (goal ≤ 100 ms: ${med(s) <= 100 ? 'met' : 'NOT met'} by the median)\n`);
  process.stdout.write(`  baseline, podlab status --json in process:       median ${med(b).toFixed(2)} ms, p95 ${p95(b).toFixed(2)} ms\n`);
  process.stdout.write(`  ratio server / baseline: ${(med(s) / med(b)).toFixed(2)}×\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
