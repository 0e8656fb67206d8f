/**
 * The NetworkPolicy benchmark (`npm run bench:policy`): 100 policies over 1000 pods on 4 nodes —
 * how long the pure compiler takes to build and render each node's `ip podlab-policy` table
 * (plan), how long nft takes to load it (apply, per node), and what one relabel costs: the
 * incremental transaction runtime/nft-sync.ts would send (lines, bytes, rules, time per node)
 * against the baseline measured in the same run on the same tables, a rewrite of the whole table.
 * Run twice: NetworkPolicies alone, and with 10 ClusterNetworkPolicies of both tiers on top. A
 * script that prints figures (and writes bench/results/policy.json), not a timed test.
 *
 *   node --import tsx scripts/bench-policy.ts [--runs N] [--pods 1000] [--policies 100] [--quick]
 *
 * The four "nodes" are bare namespaces named as lab `np-bench-pol`'s nodes, removed in `finally`
 * (and by `podlab down np-bench-pol` should the script be killed). Goal from issue 22: one
 * relabel applied in ≤ 100 ms per node.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffTable, renderTable, type NftTable } from '../src/nft/table.ts';
import { normalizeClusterPolicy, type ClusterNetworkPolicy } from '../src/policy/cluster.ts';
import { policyTable, type PolicyContext } from '../src/policy/nft.ts';
import { normalizePolicy, type NamespaceLabels, type NetworkPolicy, type PolicyPod } from '../src/policy/types.ts';
import { prng } from '../src/prng.ts';
import { must, realExecutor } from '../src/runtime/exec.ts';
import { median, nftIn, timed, withBareNodes } from './bench-nft.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LAB = 'np-bench-pol';
const NODES = ['n0', 'n1', 'n2', 'n3'];
const GOAL_MS = 100;

function parseArgs(argv: string[]) {
  const args = { runs: 5, pods: 1000, policies: 100, cnps: 10 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') args.runs = Math.max(1, Number(argv[++i]));
    else if (argv[i] === '--pods') args.pods = Number(argv[++i]);
    else if (argv[i] === '--policies') args.policies = Number(argv[++i]);
    else if (argv[i] === '--quick') args.runs = 1;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node --import tsx scripts/bench-policy.ts [--runs N] [--pods 1000] [--policies 100] [--quick]\n');
      process.exit(0);
    }
  }
  return args;
}

const NS = Array.from({ length: 10 }, (_, i) => `team-${i}`);
const APPS = Array.from({ length: 20 }, (_, i) => `app-${i}`);

/** 1000 pods in 10 namespaces on 4 nodes (250 a node, 10.244.<node>.0/24 … spread over /22s), labels app (20 values) and tier; every pod serves a named port. */
function world(nPods: number, nPolicies: number, nCnps: number, seed = 22) {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const namespaces: NamespaceLabels = Object.fromEntries(NS.map((n, i) => [n, { team: n, env: i % 3 === 0 ? 'prod' : 'dev' }]));
  const pods: PolicyPod[] = Array.from({ length: nPods }, (_, i) => {
    const node = i % NODES.length;
    const k = Math.floor(i / NODES.length) + 2;
    return {
      name: `pod-${i}`,
      namespace: NS[i % NS.length]!,
      node: NODES[node]!,
      ip: `10.244.${node * 4 + Math.floor(k / 256)}.${k % 256}`,
      labels: { app: APPS[i % APPS.length]!, tier: pick(['web', 'api', 'db']) },
      hostNetwork: false,
      containers: [{ ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9100, protocol: 'TCP' }] }],
    };
  });
  // The classic shapes, in turn: namespace peer, namespace AND pod peer, pod peer with a named port, ipBlock with except, egress to DNS-like pods, default deny.
  const policies: NetworkPolicy[] = Array.from({ length: nPolicies }, (_, i) => {
    const namespace = NS[i % NS.length]!;
    const podSelector = { matchLabels: { app: APPS[(i * 7) % APPS.length]! } };
    switch (i % 6) {
      case 0:
        return normalizePolicy(`np-${i}`, { namespace, podSelector, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }], ports: [{ port: 8080 }] }] });
      case 1:
        return normalizePolicy(`np-${i}`, { namespace, podSelector, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: pick(NS) } }, podSelector: { matchLabels: { tier: 'api' } } }] }] });
      case 2:
        return normalizePolicy(`np-${i}`, { namespace, podSelector, ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }], ports: [{ port: 'http' }, { port: 'metrics' }] }] });
      case 3:
        return normalizePolicy(`np-${i}`, { namespace, podSelector, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.8.0/22'] } }] }] });
      case 4:
        return normalizePolicy(`np-${i}`, { namespace, podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'db' } } }], ports: [{ protocol: 'TCP', port: 5432 }, { protocol: 'UDP', port: 53 }] }] });
      default:
        return normalizePolicy(`np-${i}`, { namespace, podSelector: { matchLabels: { tier: 'db' } } });
    }
  });
  const clusterPolicies: ClusterNetworkPolicy[] = Array.from({ length: nCnps }, (_, i) =>
    normalizeClusterPolicy(`cnp-${i}`, {
      tier: i % 2 ? 'Baseline' : 'Admin',
      priority: i * 10,
      subject: i % 3 ? { namespaces: { matchLabels: { team: NS[i]! } } } : { pods: { namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchLabels: { tier: 'db' } } } },
      ingress: [
        { action: 'Pass', from: [{ namespaces: { matchLabels: { env: 'prod' } } }] },
        { action: i % 2 ? 'Deny' : 'Accept', from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { tier: 'web' } } } }], protocols: [{ tcp: { destinationPort: { number: 8080 } } }] },
      ],
      egress: [{ action: 'Deny', to: [{ networks: ['192.168.0.0/16'] }] }],
    }),
  );
  return { namespaces, pods, policies, clusterPolicies };
}

/** One pod relabelled so that it moves into and out of selectors: its app and tier change. */
function relabelled(pods: readonly PolicyPod[], round: number): PolicyPod[] {
  const i = 101 + round;
  return pods.map((p, k) => (k === i ? { ...p, labels: { app: APPS[(Number(p.labels.app!.slice(4)) + 7) % APPS.length]!, tier: p.labels.tier === 'web' ? 'api' : 'web' } } : p));
}

interface Row {
  case: string;
  pods: number;
  policies: number;
  clusterPolicies: number;
  rulesPerNode: number;
  setElementsPerNode: number;
  tableBytesPerNode: number;
  planMsPerNode: number;
  applyMsPerNode: number;
  relabelLinesPerNode: number;
  relabelBytesPerNode: number;
  relabelRulesPerNode: number;
  relabelMsPerNode: number;
  rewriteMsPerNode: number;
  processFloorMs: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows: Row[] = [];
  await withBareNodes(LAB, NODES, args.runs, async ({ namespaces, processFloorMs, stopping }) => {

    for (const [label, nCnps] of [['NetworkPolicies', 0], ['+ ClusterNetworkPolicies', args.cnps]] as const) {
      if (stopping()) break;
      const w = world(args.pods, args.policies, nCnps);
      const ctx: PolicyContext = { policies: w.policies, namespaces: w.namespaces, pods: w.pods, clusterPolicies: w.clusterPolicies };
      const plans: number[] = [];
      const applies: number[] = [];
      const relabels: number[] = [];
      const rewrites: number[] = [];
      let lines = 0;
      let bytes = 0;
      let rules = 0;
      let tables: NftTable[] = [];
      for (let r = 0; r < args.runs && !stopping(); r++) {
        // Plan: build and render every node's table (pure), per node.
        let files: string[] = [];
        plans.push((await timed(async () => {
          tables = NODES.map((n) => policyTable(ctx, n)!);
          files = tables.map((t) => renderTable(t));
        })) / NODES.length);
        // Apply: load each node's whole table, one nft transaction per node, in turn.
        for (const [i, ns] of namespaces.entries()) applies.push(await timed(() => must(realExecutor, nftIn(ns), { input: files[i]! })));
        // One relabel: the incremental transaction per node, and the baseline, the whole table again.
        const next: PolicyContext = { ...ctx, pods: relabelled(w.pods, r) };
        const nextTables = NODES.map((n) => policyTable(next, n)!);
        const scripts = NODES.map((_, i) => diffTable(tables[i]!, nextTables[i]!));
        lines = Math.max(...scripts.map((s) => s.split('\n').length - 1));
        bytes = Math.max(...scripts.map((s) => Buffer.byteLength(s)));
        rules = Math.max(...scripts.map((s) => s.split('\n').filter((l) => l.startsWith('add rule ')).length));
        for (const [i, ns] of namespaces.entries()) relabels.push(await timed(() => must(realExecutor, nftIn(ns), { input: scripts[i]! })));
        for (const [i, ns] of namespaces.entries()) rewrites.push(await timed(() => must(realExecutor, nftIn(ns), { input: renderTable(nextTables[i]!) })));
      }
      const t0 = tables[0]!;
      rows.push({
        case: label,
        pods: args.pods,
        policies: args.policies,
        clusterPolicies: nCnps,
        rulesPerNode: Math.round(tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0) / tables.length),
        setElementsPerNode: Math.round(tables.reduce((n, t) => n + t.sets.reduce((m, s) => m + s.elements.length, 0), 0) / tables.length),
        tableBytesPerNode: Buffer.byteLength(renderTable(t0)),
        planMsPerNode: median(plans),
        applyMsPerNode: median(applies),
        relabelLinesPerNode: lines,
        relabelBytesPerNode: bytes,
        relabelRulesPerNode: rules,
        relabelMsPerNode: median(relabels),
        rewriteMsPerNode: median(rewrites),
        processFloorMs,
      });
    }
  });

  const f = (x: number) => x.toFixed(1).padStart(7);
  process.stdout.write(`\n${args.policies} policies over ${args.pods} pods on ${NODES.length} nodes (median of ${args.runs}); nft process floor ${rows[0]?.processFloorMs.toFixed(1)} ms\n\n`);
  process.stdout.write('case                       rules/node  elements/node  table KB  plan ms/node  apply ms/node | relabel: lines  bytes  rules  ms/node  rewrite ms/node  rewrite/relabel  goal ≤100 ms\n');
  for (const r of rows)
    process.stdout.write(
      `${r.case.padEnd(26)} ${String(r.rulesPerNode).padStart(10)}  ${String(r.setElementsPerNode).padStart(13)}  ${(r.tableBytesPerNode / 1024).toFixed(0).padStart(8)}  ${f(r.planMsPerNode)}       ${f(r.applyMsPerNode)}       | ${String(r.relabelLinesPerNode).padStart(14)}  ${String(r.relabelBytesPerNode).padStart(5)}  ${String(r.relabelRulesPerNode).padStart(5)}  ${f(r.relabelMsPerNode)}  ${f(r.rewriteMsPerNode)}          ${(r.rewriteMsPerNode / r.relabelMsPerNode).toFixed(1).padStart(5)}×           ${r.relabelMsPerNode <= GOAL_MS ? 'met' : 'MISSED'}\n`,
    );
  const out = join(ROOT, 'bench/results/policy.json');
  writeBenchResult(out, { at: new Date().toISOString(), runs: args.runs, nodes: NODES.length, goalMs: GOAL_MS, rows });
  process.stdout.write(`\nwritten: ${out}\n`);
}

await main();
