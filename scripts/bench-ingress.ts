/**
 * The Ingress benchmark (`npm run bench:ingress`), on lab `ingress-bench` (labs/ingress.lab.ts,
 * renamed), both figures measured in one run:
 *
 * 1. Requests per second from the "internet" host through the ingress (load-balancer address →
 *    node → controller pod → nginx → pod api-1) against the same requests straight to pod api-1's
 *    own address — the baseline. Goal from issue 25: ≥ 0.5×.
 * 2. Endpoint change → traffic follows: a backend pod is deleted and created again (a new IP,
 *    ready) and then the endpoints are synced; from the start of that sync until the first
 *    request through the ingress answered by the new address (polled with curl from the internet
 *    host), and the part of it spent re-rendering nginx.conf and reloading nginx. Goal: ≤ 200 ms.
 *
 * A script that prints figures (and writes bench/results/ingress.json), not a timed test.
 *   node --import tsx scripts/bench-ingress.ts [--seconds S] [--concurrency N] [--changes N]
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ingressLab from '../labs/ingress.lab.ts';
import { NETNS_RUN_DIR } from '../src/constants.ts';
import { down } from '../src/runtime/down.ts';
import { realExecutor } from '../src/runtime/exec.ts';
import { createPod, deletePod } from '../src/runtime/pods.ts';
import { syncServices } from '../src/runtime/services.ts';
import { readState } from '../src/runtime/state.ts';
import { upLab } from '../test/live/host.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LAB = 'ingress-bench';
const LOAD = join(ROOT, 'scripts/bench-ingress-load.mjs');

function parseArgs(argv: string[]) {
  const a = { seconds: 3, concurrency: 16, changes: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') a.seconds = Number(argv[++i]);
    else if (argv[i] === '--concurrency') a.concurrency = Number(argv[++i]);
    else if (argv[i] === '--changes') a.changes = Number(argv[++i]);
    else if (argv[i] === '--quick') Object.assign(a, { seconds: 1, changes: 2 });
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node --import tsx scripts/bench-ingress.ts [--seconds S] [--concurrency N] [--changes N] [--quick]\n');
      process.exit(0);
    }
  }
  return a;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ex = realExecutor;
  await down(LAB);
  try {
    const state = await upLab({ ...ingressLab, name: LAB, checks: [], scenarios: {} });
    const internet = `--net=${NETNS_RUN_DIR}/${state.plan.hosts.find((h) => h.name === 'internet')!.netns}`;
    const inInternet = (argv: string[]) => ex.run(['nsenter', internet, '--', ...argv]);
    const lb = state.plan.services.find((s) => s.name === 'ingress-nginx-controller')!.loadBalancerIP!;
    const load = async (url: string, host?: string) => {
      const r = await inInternet([process.execPath, LOAD, url, '--concurrency', String(args.concurrency), '--seconds', String(args.seconds), ...(host ? ['--host', host] : [])]);
      if (r.exitCode !== 0) throw new Error(`load client failed: ${r.stderr}`);
      return JSON.parse(r.stdout) as { ok: number; errors: number; seconds: number; rps: number; p50: number; p99: number };
    };
    // The same single backend both ways: pod api-1 (shop.example.com/api routes only to it).
    const apiIp = readState(LAB)!.pods['api-1']!.ip!;
    await load(`http://${apiIp}:9000/api`);
    await load(`http://${lb}/api`, 'shop.example.com');
    const direct = await load(`http://${apiIp}:9000/api`);
    const ingress = await load(`http://${lb}/api`, 'shop.example.com');

    const follow: { totalMs: number; syncMs: number }[] = [];
    for (let i = 0; i < args.changes; i++) {
      let s = readState(LAB)!;
      await deletePod(ex, s, 'api-1', { sync: false });
      const { ip } = await createPod(ex, s, 'api-1', { sync: false });
      s = readState(LAB)!;
      const t0 = performance.now();
      await syncServices(ex, s);
      const syncMs = performance.now() - t0;
      for (;;) {
        const r = await inInternet(['curl', '-s', '--max-time', '1', '-H', 'Host: shop.example.com', `http://${lb}/api`]);
        if (r.stdout.includes(`"podIP":"${ip}"`)) break;
        if (performance.now() - t0 > 10_000) throw new Error('traffic did not follow the new endpoint within 10 s');
      }
      follow.push({ totalMs: performance.now() - t0, syncMs });
    }
    const result = {
      date: new Date().toISOString(),
      concurrency: args.concurrency,
      seconds: args.seconds,
      direct,
      ingress,
      ratio: Math.round((ingress.rps / direct.rps) * 100) / 100,
      followMs: { median: Math.round(median(follow.map((f) => f.totalMs))), max: Math.round(Math.max(...follow.map((f) => f.totalMs))) },
      syncMs: { median: Math.round(median(follow.map((f) => f.syncMs))) },
      changes: follow.length,
    };
    console.log(`req/s straight to pod api-1: ${direct.rps} (p50 ${direct.p50} ms, p99 ${direct.p99} ms, ${direct.errors} errors)`);
    console.log(`req/s through the ingress:   ${ingress.rps} (p50 ${ingress.p50} ms, p99 ${ingress.p99} ms, ${ingress.errors} errors)`);
    console.log(`ratio ingress / direct: ${result.ratio}× (goal ≥ 0.5×)`);
    console.log(`endpoint change → traffic follows: median ${result.followMs.median} ms, max ${result.followMs.max} ms over ${follow.length} changes (goal ≤ 200 ms); of it, sync + nginx reload: median ${result.syncMs.median} ms`);
    const out = join(ROOT, 'bench/results/ingress.json');
    writeBenchResult(out, result);
  } finally {
    await down(LAB);
  }
}

await main();
