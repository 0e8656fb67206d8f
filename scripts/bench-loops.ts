/**
 * The control loops' benchmark (`npm run bench:loops`), on a 10 nodes × 10 pods lab (a Deployment
 * of 100 http-echo replicas, readiness probes every 1 s):
 *
 * - crash → endpoint gone: a container is SIGKILLed; how long until its pod has left the
 *   kube-proxy tables of every node (the agent's EndpointRemoved event is written once the nft
 *   transactions of all nodes were accepted; each node's table is then read to confirm). Goal
 *   from issue 30: ≤ 1 s with a 1 s probe period. Baseline, same run: a readiness failure
 *   (make-unready) on another pod, which the probe period bounds.
 * - node failure → replacements serving: a node fails; from the end of its grace until every
 *   evicted pod's replacement is ready in the endpoints. Goal: ≤ 5 s after the grace.
 *
 * A script that prints figures (and writes bench/results/loops.json), not a timed test.
 *   node --import tsx scripts/bench-loops.ts [--nodes 10] [--pods 10] [--runs 3]
 * Lab `loops-bench`, removed in `finally` (and by `podlab down loops-bench` if killed).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateValue } from '../src/compile/validate-value.ts';
import type { LabSpec } from '../src/index.ts';
import { buildPlan } from '../src/plan/plan.ts';
import { render } from '../src/render/render.ts';
import { down } from '../src/runtime/down.ts';
import { readEvents, type LabEvent } from '../src/runtime/events.ts';
import { realExecutor } from '../src/runtime/exec.ts';
import { crashContainer, failNode, setHealth } from '../src/runtime/faults.ts';
import { readState } from '../src/runtime/state.ts';
import { up } from '../src/runtime/up.ts';
import { NETNS_RUN_DIR } from '../src/constants.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LAB = 'loops-bench';
const GRACE_MS = 2000;

function parseArgs(argv: string[]) {
  const a = { nodes: 10, pods: 10, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--nodes') a.nodes = Number(argv[++i]);
    else if (argv[i] === '--pods') a.pods = Number(argv[++i]);
    else if (argv[i] === '--runs') a.runs = Math.max(1, Number(argv[++i]));
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node --import tsx scripts/bench-loops.ts [--nodes 10] [--pods 10] [--runs 3]\n');
      process.exit(0);
    }
  }
  return a;
}

function spec(nodes: number, pods: number): LabSpec {
  return {
    name: LAB,
    nodes: Object.fromEntries(Array.from({ length: nodes }, (_, i) => [`n${i + 1}`, {}])),
    loops: { backoffMs: 1000, nodeGraceMs: GRACE_MS, tickMs: 100 },
    deployments: {
      web: {
        replicas: nodes * pods,
        template: { labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo', port: 8080 }, readinessProbe: { httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 } }] },
      },
    },
    services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitEvent(match: (e: LabEvent) => boolean, timeoutMs = 30_000): Promise<LabEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = readEvents(LAB).find(match);
    if (e) return e;
    if (Date.now() > deadline) throw new Error('timed out waiting for an event');
    await sleep(10);
  }
}

/** Whether `ip` is absent from the kube-proxy table of every node. */
async function goneEverywhere(ip: string): Promise<boolean> {
  const s = readState(LAB)!;
  const r = await Promise.all(s.plan.nodes.map((n) => realExecutor.run(['nsenter', `--net=${NETNS_RUN_DIR}/${n.netns}`, '--', 'nft', 'list', 'ruleset'])));
  return r.every((x) => x.exitCode === 0 && !x.stdout.includes(`${ip} `) && !x.stdout.includes(`${ip}:`) && !x.stdout.includes(`${ip},`));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await down(LAB);
  const { lab, diagnostics } = validateValue(spec(args.nodes, args.pods), `${LAB}.lab.ts`);
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  const plan = buildPlan(lab);
  const t0 = performance.now();
  try {
    await up(plan, render(plan));
    const upMs = performance.now() - t0;
    // Let every readiness probe pass once.
    await sleep(2500);
    const crash: number[] = [];
    const unready: number[] = [];
    let confirmed = true;
    const pods = () => readState(LAB)!.plan.pods.filter((p) => p.owner === 'web' && readState(LAB)!.pods[p.name]);
    for (let run = 0; run < args.runs; run++) {
      const [a, b] = [pods()[run * 2]!, pods()[run * 2 + 1]!];
      const ipA = readState(LAB)!.pods[a.name]!.ip!;
      const since = new Date().toISOString();
      const t = Date.now();
      crashContainer(realExecutor, readState(LAB)!, a.name);
      const e = await waitEvent((x) => x.at >= since && x.reason === 'EndpointRemoved' && x.message.startsWith(`${a.name} `));
      crash.push(Date.parse(e.at) - t);
      confirmed &&= await goneEverywhere(ipA);
      const since2 = new Date().toISOString();
      const t2 = Date.now();
      setHealth(realExecutor, readState(LAB)!, b.name, false);
      const e2 = await waitEvent((x) => x.at >= since2 && x.reason === 'EndpointRemoved' && x.message.startsWith(`${b.name} `));
      unready.push(Date.parse(e2.at) - t2);
      setHealth(realExecutor, readState(LAB)!, b.name, true);
      await sleep(2500);
    }
    // Node failure: the last node's pods move.
    const node = plan.nodes.at(-1)!.name;
    const evicted = pods().filter((p) => p.node === node).map((p) => p.name);
    const since3 = new Date().toISOString();
    const tf = Date.now();
    await failNode(realExecutor, readState(LAB)!, node, tf);
    const graceEnd = tf + GRACE_MS;
    // Every replacement ready in the endpoints: as many EndpointAdded for default/web as pods evicted.
    const deadline = Date.now() + 60_000;
    let added: LabEvent[] = [];
    while ((added = readEvents(LAB).filter((x) => x.at >= since3 && x.reason === 'EndpointAdded' && x.object === 'service/default/web')).length < evicted.length) {
      if (Date.now() > deadline) throw new Error(`only ${added.length} of ${evicted.length} replacements serving after 60 s`);
      await sleep(20);
    }
    const nodeMs = Math.max(...added.slice(0, evicted.length).map((x) => Date.parse(x.at))) - graceEnd;
    const figures = {
      lab: `${args.nodes} nodes × ${args.pods} pods`,
      upMs: Math.round(upMs),
      crashToEndpointGoneMs: { runs: crash, median: median(crash), goalMs: 1000, confirmedOnEveryNode: confirmed },
      unreadyToEndpointGoneMs: { runs: unready, median: median(unready), probePeriodMs: 1000 },
      crashVsReadinessRatio: Number((median(crash) / median(unready)).toFixed(2)),
      nodeFailure: { evicted: evicted.length, graceMs: GRACE_MS, afterGraceToAllServingMs: nodeMs, goalMs: 5000 },
      at: new Date().toISOString(),
    };
    process.stdout.write(`control loops on ${figures.lab} (up in ${figures.upMs} ms)\n`);
    process.stdout.write(`  crash → endpoint gone from all ${args.nodes} nodes: median ${figures.crashToEndpointGoneMs.median} ms (runs ${crash.join(', ')}; goal ≤ 1000)${confirmed ? '' : ' — NOT confirmed in every table'}\n`);
    process.stdout.write(`  baseline, readiness failure (1 s probe period): median ${figures.unreadyToEndpointGoneMs.median} ms (runs ${unready.join(', ')}); crash/readiness ${figures.crashVsReadinessRatio}\n`);
    process.stdout.write(`  node failure: ${evicted.length} pods evicted, all replacements serving ${nodeMs} ms after the ${GRACE_MS} ms grace (goal ≤ 5000)\n`);
    const out = join(ROOT, 'bench/results/loops.json');
    writeBenchResult(out, figures);
  } finally {
    await down(LAB);
  }
}

await main();
