/**
 * The Services benchmark (`npm run bench:services`): how long podlab's kube-proxy takes to render
 * and load the nftables rules of 10, 100 and 1000 Services × 3 endpoints on 3 nodes, and to apply
 * one endpoint change. The change is sent as an incremental transaction (only the changed chains
 * and set elements); the baseline, measured in the same run on the same tables, is a full rewrite
 * of the table — what a proxy that regenerates everything pays. A script that prints figures (and
 * writes bench/results/services.json), not a timed test.
 *
 *   node --import tsx scripts/bench-services.ts [--runs N] [--sizes 10,100,1000]
 *
 * The three "nodes" are bare namespaces named as lab `bench-svc`'s nodes, removed in `finally`
 * (and by `podlab down bench-svc` should the script be killed). Goal from issue 3: one endpoint
 * change on 1000 Services applied in under 100 ms per node (kube-proxy's nftables mode: ~141 ms
 * for a one-Service change at 10k Services).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ip from '../src/net/ipv4.ts';
import { nodeTable, type ProxyContext } from '../src/plan/kube-proxy.ts';
import { serviceKey, type Endpoint, type PlanService } from '../src/plan/services.ts';
import { diffTable, renderTable } from '../src/nft/table.ts';
import { must, realExecutor } from '../src/runtime/exec.ts';
import { median, nftIn, timed, withBareNodes } from './bench-nft.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LAB = 'bench-svc';
const NODES = ['n0', 'n1', 'n2'];
const GOAL_MS = 100;

function parseArgs(argv: string[]) {
  const args = { runs: 5, sizes: [10, 100, 1000] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') args.runs = Math.max(1, Number(argv[++i]));
    else if (argv[i] === '--sizes') args.sizes = argv[++i]!.split(',').map(Number);
    else if (argv[i] === '--quick') args.runs = 1;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node --import tsx scripts/bench-services.ts [--runs N] [--sizes 10,100,1000] [--quick]\n');
      process.exit(0);
    }
  }
  return args;
}

/** N ClusterIP Services (every 4th a NodePort) with 3 endpoints each, one per node. */
function context(n: number): ProxyContext {
  const services: PlanService[] = [];
  const endpoints: Record<string, Endpoint[]> = {};
  const svcNet = ip.parseCidr('10.96.0.0/12')!;
  for (let i = 0; i < n; i++) {
    const nodePort = i % 4 === 0 ? 30000 + i / 4 : undefined;
    const s: PlanService = {
      name: `svc-${i}`,
      namespace: 'default',
      type: nodePort ? 'NodePort' : 'ClusterIP',
      headless: false,
      clusterIP: ip.formatIp(ip.nth(svcNet, 11 + i)),
      clusterIPs: [ip.formatIp(ip.nth(svcNet, 11 + i))],
      ipFamilies: ['IPv4'],
      selector: { app: `app-${i}` },
      ports: [{ key: 'http', name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, ...(nodePort ? { nodePort } : {}) }],
      sessionAffinity: 'None',
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
    };
    services.push(s);
    // One endpoint per node; node k's pods live in 10.244.(64k).0/18, so every IP is distinct.
    endpoints[serviceKey(s)] = NODES.map((node, k) => ({
      pod: `app-${i}-${k}`,
      namespace: 'default',
      node,
      ip: ip.formatIp(ip.parseIp(`10.244.${k * 64}.0`)! + 2 + i),
      ports: { http: 8080 },
    }));
  }
  return { podCidr: '10.244.0.0/16', serviceCidrs: ['10.96.0.0/12'], natOutgoing: true, services, endpoints, nodes: NODES.map((name, k) => ({ name, ip: `172.16.94.${11 + k}` })) };
}

/** The same context with one endpoint of one Service moved to a new pod IP (a re-created pod). */
function withOneChange(ctx: ProxyContext, round: number): ProxyContext {
  const key = serviceKey(ctx.services[Math.floor(ctx.services.length / 2)]!);
  const eps = ctx.endpoints[key]!;
  const moved = { ...eps[0]!, ip: ip.formatIp(ip.parseIp('10.244.200.0')! + 2 + round) };
  return { ...ctx, endpoints: { ...ctx.endpoints, [key]: [moved, ...eps.slice(1)] } };
}

interface Row {
  services: number;
  chainsPerNode: number;
  renderMs: number;
  fullApplyMs: number;
  changeLines: number;
  incrementalMsPerNode: number;
  fullRewriteMsPerNode: number;
  processFloorMs: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows: Row[] = [];
  await withBareNodes(LAB, NODES, args.runs, async ({ namespaces, processFloorMs, stopping }) => {
    for (const size of args.sizes) {
      if (stopping()) break;
      const ctx = context(size);
      const renders: number[] = [];
      const fulls: number[] = [];
      const incs: number[] = [];
      const rewrites: number[] = [];
      let lines = 0;
      let chains = 0;
      for (let r = 0; r < args.runs && !stopping(); r++) {
        // Render (pure): the three nodes' tables as nft files.
        let files: string[] = [];
        renders.push(await timed(async () => (files = NODES.map((n) => renderTable(nodeTable(ctx, n))))));
        chains = nodeTable(ctx, NODES[0]!).chains.length;
        // Load: the three nodes in parallel, wall time.
        fulls.push(await timed(() => Promise.all(namespaces.map((ns, i) => must(realExecutor, nftIn(ns), { input: files[i]! })))));
        // One endpoint changes: the incremental transaction, per node.
        const next = withOneChange(ctx, r);
        for (const [i, ns] of namespaces.entries()) {
          const script = diffTable(nodeTable(ctx, NODES[i]!), nodeTable(next, NODES[i]!));
          lines = script.split('\n').length - 1;
          incs.push(await timed(() => must(realExecutor, nftIn(ns), { input: script })));
        }
        // Baseline, same change: rewrite the whole table.
        for (const [i, ns] of namespaces.entries()) rewrites.push(await timed(() => must(realExecutor, nftIn(ns), { input: renderTable(nodeTable(next, NODES[i]!)) })));
      }
      rows.push({
        services: size,
        chainsPerNode: chains,
        renderMs: median(renders),
        fullApplyMs: median(fulls),
        changeLines: lines,
        incrementalMsPerNode: median(incs),
        fullRewriteMsPerNode: median(rewrites),
        processFloorMs,
      });
    }
  });

  const f = (x: number) => x.toFixed(1).padStart(8);
  process.stdout.write(`\nServices × 3 endpoints on ${NODES.length} nodes (median of ${args.runs}); nft process floor ${rows[0]?.processFloorMs.toFixed(1)} ms\n\n`);
  process.stdout.write('services  chains/node  render ms  load ms (3 nodes)  change: lines  incremental ms/node  full rewrite ms/node  rewrite/incremental  goal <100 ms\n');
  for (const r of rows)
    process.stdout.write(
      `${String(r.services).padStart(8)}  ${String(r.chainsPerNode).padStart(11)}  ${f(r.renderMs)}   ${f(r.fullApplyMs)}           ${String(r.changeLines).padStart(13)}  ${f(r.incrementalMsPerNode)}             ${f(r.fullRewriteMsPerNode)}              ${(r.fullRewriteMsPerNode / r.incrementalMsPerNode).toFixed(1).padStart(5)}×            ${r.incrementalMsPerNode < GOAL_MS ? 'met' : 'MISSED'}\n`,
    );
  const out = join(ROOT, 'bench/results/services.json');
  writeBenchResult(out, { at: new Date().toISOString(), runs: args.runs, goalMs: GOAL_MS, rows });
  process.stdout.write(`\nwritten: ${out}\n`);
}

await main();
