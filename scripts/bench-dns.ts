/**
 * The DNS benchmark (`npm run bench:dns`): queries per second of podlab-dns (the bundle
 * build/dns/podlab-dns.cjs, as the DNS pod runs it) against dnsmasq serving the same records,
 * both measured in the same run on the same machine, plus the latency of each at half of its own
 * measured maximum. Prints a table and writes bench/results/dns.json. A script that prints
 * figures, not a timed test.
 *
 *   node --import tsx scripts/bench-dns.ts [--services N (200)] [--runs N (3)] [--seconds S (8)]
 *     [--latency-seconds S (6)] [--warmup-seconds S (2)] [--clients N (4)] [--outstanding N (100)]
 *     [--seed N (1)] [--quick (~20 s)] [--cpu-prof DIR] [--out FILE]
 *
 * The default takes about 70 s: per server a 2 s warm-up, 3 × 8 s of throughput, 6 s of latency.
 *
 * Phases: preflight (bundle, root, tools; exit 2 when the host cannot run it) → data (pure: the
 * Services, the ClusterView, the Corefile, dnsmasq's hosts file, the shuffled query file) → one
 * throw-away namespace `benchdns-<pid>` with only `lo` up → both servers started and their answers
 * compared (exit 1 when they differ) → warm-up → throughput runs, interleaved → latency runs →
 * report. Everything runs inside the namespace on 127.0.0.1; nothing binds or sends in the root
 * namespace (podlab-dns binds 0.0.0.0, which in a namespace holding only `lo` is 127.0.0.1).
 * Every process the bench starts, and the namespace, are removed in `finally`, on Ctrl-C and on
 * SIGTERM; anything still inside the namespace at the end is ours, so it is killed by pid too.
 *
 * What is measured, and the choices behind it:
 * - Both servers serve exactly N A records (Service `web-<i>` in namespace `ns-<i mod 4>`, cluster
 *   IP 10.96.0.16 + i) and are asked for all of them, shuffled with a fixed seed, over UDP.
 * - podlab-dns's Corefile is `kubernetes cluster.local { pods disabled }` alone: no `cache`, no
 *   `log`, no `errors` plugin. That chain is replayable (src/dns/server.ts): the first query for
 *   each name goes through dns-packet and the kubernetes plugin, every later one with the same
 *   bytes is answered from the server's replay cache. So after the warm-up the figure is the
 *   server's UDP path and that cache, not the plugin chain; a Corefile with `log`, `cache`,
 *   `loadbalance`, `forward`, `loop` or `whoami` (kubeadm's default has several) is never
 *   replayed and runs at the full path's speed, about 25k qps here.
 * - dnsmasq: `--cache-size=0` (cache disabled). Its hosts-file records (`--addn-hosts`) live in
 *   its in-memory name table whatever the cache size, so this only rules out caching anything
 *   else; `--local=/cluster.local/` makes it answer names it lacks itself (NXDOMAIN) rather than
 *   forward them, `--local-ttl=5` gives its answers podlab-dns's TTL (same response size).
 * - Throughput: dnsperf, no rate limit, `-c 4 -T 1 -q 100` (4 client sockets, one thread, 100
 *   queries outstanding) for both. On this 2-CPU machine fewer than ~50 outstanding did not
 *   saturate dnsmasq, and 500 or more lost queries to socket-buffer overflow on both servers
 *   without raising either one's rate. A warm-up run per server (V8's JIT) is not counted; runs
 *   alternate between the servers (and which goes first) so drift in the machine's load hits both.
 * - Latency, at 50 % of that server's median qps: build/native/dnslat (native/dnslat.c) sends the
 *   same query file at that fixed rate from one thread (open loop: a slow answer never delays the
 *   next query) and takes each receive time when poll wakes it; p50, p99 and max by nearest rank.
 *   Then dnsperf `-Q <rate> -v` at the same rate, reported beside it: dnsperf's sending and
 *   receiving threads share the load generator's one CPU, so its figure includes the wait for its
 *   own receiver to be scheduled (dnsmasq measured p99 3.6 ms that way here). Queries that time
 *   out (2 s) are counted as lost, not as latencies.
 * - CPUs: with 2 or more CPUs and taskset (util-linux), each server runs on CPU 1 and dnsperf and
 *   dig on CPU 0, so neither server competes with the load generator. podlab-dns's helper threads
 *   (GC, libuv) share CPU 1 with it: one core per server, as dnsmasq is single-threaded. On this
 *   machine dnsperf on one core may itself bound dnsmasq's figure, which flatters the ratio.
 *
 * Exit codes: 0 the bench ran (goals missed are reported, not an error); 1 it started but failed
 * (the servers answer differently, a server did not start, dnsperf failed); 2 it could not run
 * (not root, a tool missing, the DNS server not bundled); 130 interrupted (Ctrl-C or SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { LISTENING_MARK } from '../src/dns/marks.ts';
import type { ClusterService, ClusterView } from '../src/dns/types.ts';
import { DNS_BUNDLE, DNSLAT_BIN, ensureDnsServer, ensureNative } from '../src/runtime/artifacts.ts';
import { onPath } from '../src/runtime/preflight.ts';
import { prng } from '../src/prng.ts';
import { writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The goals of the DNS issue, printed next to the figures. */
const GOALS = { qpsRatio: 0.5, p99Ms: 2 };
const ZONE = 'cluster.local';
const NAMESPACES = 4;
const PORTS = { dnsmasq: 5300, 'podlab-dns': 5301 } as const;
type ServerName = keyof typeof PORTS;
const SERVERS: ServerName[] = ['podlab-dns', 'dnsmasq'];
/** Names checked with dig on both servers before anything is measured. */
const SAMPLE = 20;
/** dnsperf's per-query timeout, s: a query not answered by then is lost. */
const QUERY_TIMEOUT_S = 2;
/** CPUs when pinning: servers on one, the load generator (dnsperf, dig) on another. */
const CPU = { server: '1', client: '0' } as const;
const READY_TIMEOUT_MS = 10_000;

/** What the package manager calls each tool (Debian 12); scripts/setup.sh installs them all. */
const PACKAGE: Record<string, string> = { ip: 'iproute2', dnsperf: 'dnsperf', dnsmasq: 'dnsmasq-base', dig: 'dnsutils', taskset: 'util-linux' };

// ---------------------------------------------------------------------------------------------
// Arguments

interface Args {
  /** Services (= A records = distinct query names). @default 200 */
  services: number;
  /** Throughput runs per server; the median is reported. @default 3 (1 with --quick) */
  runs: number;
  /** Length of each throughput run, s. @default 8 (3 with --quick) */
  seconds: number;
  /** Length of each latency run, s. @default 6 (3 with --quick) */
  latencySeconds: number;
  /** Unmeasured run per server before the throughput runs, s. @default 2 (1 with --quick) */
  warmupSeconds: number;
  /** dnsperf -c: client sockets. @default 4 */
  clients: number;
  /** dnsperf -q: queries outstanding at most. @default 100 */
  outstanding: number;
  /** Seed of the query file's shuffle. @default 1 */
  seed: number;
  /** Run podlab-dns with `node --cpu-prof` and leave the profile in this directory. @default undefined */
  cpuProf?: string;
  /** @default bench/results/dns.json */
  out: string;
}

const USAGE = `usage: node --import tsx scripts/bench-dns.ts [--services N (200)] [--runs N (3)] [--seconds S (8)]
  [--latency-seconds S (6)] [--warmup-seconds S (2)] [--clients N (4)] [--outstanding N (100)] [--seed N (1)]
  [--quick (1 run of 3 s, ~20 s in all)] [--cpu-prof DIR] [--out FILE (bench/results/dns.json)]
`;

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = { services: 200, runs: 3, seconds: 8, latencySeconds: 6, warmupSeconds: 2, clients: 4, outstanding: 100, seed: 1, out: join(ROOT, 'bench/results/dns.json') };
  const whole = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} needs a whole number ≥ ${min}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') Object.assign(args, { runs: 1, seconds: 3, latencySeconds: 3, warmupSeconds: 1 });
    else if (a === '--services') args.services = whole(a, argv[++i], 1);
    else if (a === '--runs') args.runs = whole(a, argv[++i], 1);
    else if (a === '--seconds') args.seconds = whole(a, argv[++i], 1);
    else if (a === '--latency-seconds') args.latencySeconds = whole(a, argv[++i], 1);
    else if (a === '--warmup-seconds') args.warmupSeconds = whole(a, argv[++i], 0);
    else if (a === '--clients') args.clients = whole(a, argv[++i], 1);
    else if (a === '--outstanding') args.outstanding = whole(a, argv[++i], 1);
    else if (a === '--seed') args.seed = whole(a, argv[++i], 0);
    else if (a === '--cpu-prof') args.cpuProf = argv[++i];
    else if (a === '--out') args.out = argv[++i]!;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a}`);
  }
  // 10.96.0.0/12 holds a million addresses; 65 000 Services is far past what the bench is for.
  if (args.services > 65_000) throw new UsageError('--services must be at most 65000');
  return args;
}

// ---------------------------------------------------------------------------------------------
// The data, pure: the same N records for both servers

interface DnsRecord {
  fqdn: string;
  ip: string;
}

function ipOf(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Service `web-<i>` in namespace `ns-<i mod 4>`, cluster IP 10.96.0.16 + i. */
function records(n: number): DnsRecord[] {
  const base = (10 << 24) | (96 << 16);
  return Array.from({ length: n }, (_, i) => ({ fqdn: `web-${i}.ns-${i % NAMESPACES}.svc.${ZONE}`, ip: ipOf(base + 16 + i) }));
}

function clusterView(recs: DnsRecord[]): ClusterView {
  const services: ClusterService[] = recs.map((r) => {
    const [name, namespace] = r.fqdn.split('.') as [string, string];
    return { name, namespace, type: 'ClusterIP', clusterIP: r.ip, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] };
  });
  const namespaces = Array.from({ length: Math.min(NAMESPACES, recs.length) }, (_, i) => `ns-${i}`);
  // No endpoints or pods: a ClusterIP Service's A record never reads them.
  return { namespaces, services, endpoints: [], pods: [] };
}

const BANNER = 'Generated by scripts/bench-dns.ts';

function corefile(): string {
  // No cache, log or errors plugin: the bench measures the server and the lookup, nothing else.
  return `# ${BANNER}: podlab-dns's side of the DNS benchmark.\n.:53 {\n    kubernetes ${ZONE} {\n        pods disabled\n    }\n}\n`;
}

function hostsFile(recs: DnsRecord[]): string {
  return `# ${BANNER}: dnsmasq's side of the DNS benchmark (the same records as cluster.json).\n${recs.map((r) => `${r.ip} ${r.fqdn}\n`).join('')}`;
}

function queryFile(recs: DnsRecord[], seed: number): string {
  const names = recs.map((r) => r.fqdn);
  const rand = prng(seed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  return names.map((n) => `${n} A\n`).join('');
}

/** Up to SAMPLE names spread over the list, the first and the last included. */
function sample(recs: DnsRecord[]): DnsRecord[] {
  if (recs.length <= SAMPLE) return recs;
  return Array.from({ length: SAMPLE }, (_, k) => recs[Math.round((k * (recs.length - 1)) / (SAMPLE - 1))]!);
}

// ---------------------------------------------------------------------------------------------
// Commands, pure: each check is one function that builds the argv and one that reads the output

interface Perf {
  port: number;
  file: string;
  seconds: number;
  clients: number;
  outstanding: number;
  /** dnsperf -Q: queries per second at most; unlimited when undefined. */
  rate?: number;
  verbose?: boolean;
}

function dnsperfArgv(p: Perf): string[] {
  return [
    'dnsperf', '-s', '127.0.0.1', '-p', String(p.port), '-d', p.file, '-l', String(p.seconds),
    '-c', String(p.clients), '-T', '1', '-q', String(p.outstanding), '-t', String(QUERY_TIMEOUT_S),
    ...(p.rate === undefined ? [] : ['-Q', String(p.rate)]),
    ...(p.verbose ? ['-v'] : []),
  ];
}

interface PerfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  rcodes: Record<string, number>;
  avgLatencyMs: number;
}

/** dnsperf's "Statistics:" block. */
function parseDnsperf(out: string): PerfResult {
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`dnsperf printed no ${re.source.split(':')[0]!.replace(/\\/g, '')} line:\n${out.split('\n').filter((l) => !l.startsWith('>')).slice(-15).join('\n')}`);
    return Number(m[1]);
  };
  const rcodes: Record<string, number> = {};
  for (const part of /Response codes:\s+(.+)/.exec(out)?.[1]?.split(',') ?? []) {
    const m = /(\w+) (\d+)/.exec(part.trim());
    if (m) rcodes[m[1]!] = Number(m[2]);
  }
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    rcodes,
    avgLatencyMs: round(num(/Average Latency \(s\):\s+([\d.]+)/) * 1000),
  };
}

/** The latencies (ms) of dnsperf -v's per-query lines: `> NOERROR web-1.ns-1.svc.cluster.local A 0.000111`. */
function parseLatencies(out: string): number[] {
  const ms: number[] = [];
  for (const m of out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) ms.push(Number(m[1]) * 1000);
  return ms;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

function digArgv(port: number, names: string[]): string[] {
  return ['dig', '@127.0.0.1', '-p', String(port), '+noall', '+answer', '+tries=1', '+time=2', ...names.flatMap((n) => [n, 'A'])];
}

/** dig's answer lines → name (no trailing dot, lower case) → sorted A addresses. */
function parseDig(out: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 5 || f[3] !== 'A') continue;
    const name = f[0]!.toLowerCase().replace(/\.$/, '');
    found.set(name, [...(found.get(name) ?? []), f[4]!].sort());
  }
  return found;
}

/** Every sampled name answered with exactly its one address; one line per difference. */
function judgeAnswers(server: ServerName, want: DnsRecord[], got: Map<string, string[]>): string[] {
  return want.flatMap((r) => {
    const ips = got.get(r.fqdn) ?? [];
    return ips.length === 1 && ips[0] === r.ip ? [] : [`${server}: ${r.fqdn} A → ${ips.length ? ips.join(', ') : 'no answer'} (want ${r.ip})`];
  });
}

// ---------------------------------------------------------------------------------------------
// Processes and the namespace, torn down on every exit path

const NS = `benchdns-${process.pid}`;
/** Aborted on Ctrl-C/SIGTERM: cancels the dnsperf or dig in flight, so the main flow unwinds to `finally`. */
const abort = new AbortController();
const started = new Map<string, ChildProcess>();
let nsMade = false;
let tmp: string | undefined;

class Interrupted extends Error {}

/** Runs a command to its end (argv array, no shell), cancelled by a signal. */
async function run(argv: string[], options: { stdoutFile?: string } = {}): Promise<string> {
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    stdin: 'ignore',
    cancelSignal: abort.signal,
    ...(options.stdoutFile ? { stdout: { file: options.stdoutFile } } : {}),
  });
  if (r.isCanceled || abort.signal.aborted) throw new Interrupted('interrupted');
  if (r.exitCode !== 0) throw new Error(`\`${argv.join(' ')}\` failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return String(r.stdout ?? '');
}

let pinned = false;
const inNs = (cpu: string, argv: string[]) => ['ip', 'netns', 'exec', NS, ...(pinned ? ['taskset', '-c', cpu] : []), ...argv];

/**
 * Starts a server in the namespace, logging to a file, and waits until its log shows `ready`.
 * `ip netns exec` and `taskset` both exec, so the child's pid is the server's own.
 */
async function startServer(name: ServerName, argv: string[], logFile: string, ready: (log: string) => boolean): Promise<void> {
  const fd = openSync(logFile, 'a');
  // detached: its own process group, so a Ctrl-C in the terminal reaches only the bench, which stops it.
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  started.set(name, child);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const log = readFileSync(logFile, 'utf8');
    if (ready(log)) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log.trim()}`);
    if (abort.signal.aborted) throw new Interrupted('interrupted');
    if (Date.now() > deadline) throw new Error(`${name} was not ready after ${READY_TIMEOUT_MS} ms:\n${log.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 3000))]);
  if (late) {
    child.kill('SIGKILL');
    await exited;
  }
}

let cleaning: Promise<void> | undefined;

/** Idempotent: stops what the bench started (by pid), then anything left in its namespace, then the namespace. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of started.values()) await stop(child).catch(() => undefined);
    started.clear();
    if (nsMade) {
      // Whatever still runs in the namespace was started by the bench (a dnsperf being cancelled).
      const pids = await execa('ip', ['netns', 'pids', NS], { reject: false });
      for (const pid of String(pids.stdout).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const del = await execa('ip', ['netns', 'del', NS], { reject: false });
      // "No such file": already gone, which is what we wanted.
      if (del.exitCode !== 0 && !/No such file/.test(String(del.stderr))) process.stderr.write(`could not delete namespace ${NS}: ${del.stderr}\n`);
      nsMade = false;
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

let interrupted = false;

function onSignal(sig: NodeJS.Signals): void {
  if (interrupted) {
    process.stderr.write(`\n${sig} again: stopping now\n`);
    void cleanUp().finally(() => process.exit(130));
    return;
  }
  interrupted = true;
  process.stderr.write(`\n${sig}: stopping the servers and removing ${NS}…\n`);
  abort.abort();
}

// ---------------------------------------------------------------------------------------------
// Preflight


/** What stops the bench from running at all, each with what to do. */
function preflight(): string[] {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not root: the bench creates a network namespace. Run it as root (sudo -E npm run bench:dns).');
  const missing = ['ip', 'dnsperf', 'dnsmasq', 'dig'].filter((t) => !onPath(t));
  if (missing.length)
    problems.push(`missing ${missing.join(', ')}: apt-get install ${[...new Set(missing.map((t) => PACKAGE[t]))].join(' ')} (or bash scripts/setup.sh, which installs every tool podlab uses).`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The bench

/** dnslat's one JSON line (native/dnslat.c). */
interface DnslatResult {
  sent: number;
  answered: number;
  lost: number;
  mismatched: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface LatencyResult {
  tool: 'dnslat' | 'dnsperf -v';
  targetQps: number;
  achievedQps: number;
  samples: number;
  lost: number;
  rcodes?: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface ServerResult {
  port: number;
  warmup?: PerfResult;
  runs: PerfResult[];
  medianQps: number;
  lost: number;
  sent: number;
  /** The goal's figure: dnslat at half of the median qps. */
  latency?: LatencyResult;
  /** The same load measured by dnsperf -v (the figure earlier runs reported). */
  dnsperfLatency?: LatencyResult;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Anything but NOERROR means the server did not answer what it was asked: the figure would be meaningless. */
function onlyNoerror(server: ServerName, r: { rcodes: Record<string, number> }): void {
  const other = Object.entries(r.rcodes).filter(([code]) => code !== 'NOERROR');
  if (other.length) throw new Error(`${server} answered ${other.map(([c, n]) => `${c} ×${n}`).join(', ')} to names it serves (every query should be NOERROR)`);
}

async function bench(args: Args, results: Record<ServerName, ServerResult>): Promise<void> {
  tmp = mkdtempSync(join(tmpdir(), `${NS}-`));
  // dnsmasq reads its hosts file after dropping to user nobody.
  chmodSync(tmp, 0o755);
  const dirs = { podlab: join(tmp, 'podlab-dns'), dnsmasq: join(tmp, 'dnsmasq') };
  for (const d of Object.values(dirs)) mkdirSync(d, { mode: 0o755 });
  const recs = records(args.services);
  // podlab-dns reads every file beside its Corefile: its directory holds only its own two.
  writeFileSync(join(dirs.podlab, 'Corefile'), corefile());
  writeFileSync(join(dirs.podlab, 'cluster.json'), `${JSON.stringify({ generatedBy: `${BANNER}: the cluster as the kubernetes plugin sees it.`, ...clusterView(recs) }, null, 2)}\n`);
  const hosts = join(dirs.dnsmasq, 'hosts');
  writeFileSync(hosts, hostsFile(recs), { mode: 0o644 });
  const queries = join(tmp, 'queries.txt');
  writeFileSync(queries, queryFile(recs, args.seed));

  await run(['ip', 'netns', 'add', NS]);
  nsMade = true;
  await run(['ip', '-n', NS, 'link', 'set', 'lo', 'up']);

  const node = ['node', ...(args.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', args.cpuProf] : []), DNS_BUNDLE];
  await startServer('podlab-dns', inNs(CPU.server, [...node, '-conf', join(dirs.podlab, 'Corefile'), '-dns.port', String(PORTS['podlab-dns'])]), join(tmp, 'podlab-dns.log'), (log) =>
    log.split('\n').some((l) => l.startsWith(LISTENING_MARK)),
  );
  const dnsmasq = [
    'dnsmasq', '--keep-in-foreground', '--log-facility=-', '--pid-file', '--no-resolv', '--no-hosts',
    `--port=${PORTS.dnsmasq}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--cache-size=0', '--local-ttl=5',
    `--local=/${ZONE}/`, `--addn-hosts=${hosts}`,
  ];
  // dnsmasq reads its hosts files after binding its sockets; the count checks it read them all.
  await startServer('dnsmasq', inNs(CPU.server, dnsmasq), join(tmp, 'dnsmasq.log'), (log) => {
    const read = log.split('\n').find((l) => l.includes(`read ${hosts} - `));
    if (read && !read.includes(`- ${recs.length} names`)) throw new Error(`dnsmasq did not read all ${recs.length} names: ${read}`);
    return read !== undefined;
  });

  // The same answers from both, or nothing is measured.
  const want = sample(recs);
  const wrong: string[] = [];
  for (const s of SERVERS) wrong.push(...judgeAnswers(s, want, parseDig(await run(inNs(CPU.client, digArgv(PORTS[s], want.map((r) => r.fqdn)))))));
  if (wrong.length) throw new Error(`the servers do not answer the same A records, so nothing was measured:\n  ${wrong.join('\n  ')}`);
  process.stdout.write(`both servers answer the ${want.length} sampled names alike; measuring ${args.services} names, ${args.runs} run(s) of ${args.seconds} s each…\n`);

  const perf = async (s: ServerName, seconds: number, extra: Partial<Perf> = {}): Promise<PerfResult> => {
    const r = parseDnsperf(await run(inNs(CPU.client, dnsperfArgv({ port: PORTS[s], file: queries, seconds, clients: args.clients, outstanding: args.outstanding, ...extra }))));
    onlyNoerror(s, r);
    return r;
  };
  for (const s of SERVERS) if (args.warmupSeconds > 0) results[s].warmup = await perf(s, args.warmupSeconds);
  for (let r = 0; r < args.runs; r++) {
    // Alternate who goes first, so a change in the machine's load does not favour one server.
    for (const s of r % 2 ? [...SERVERS].reverse() : SERVERS) {
      const res = await perf(s, args.seconds);
      results[s].runs.push(res);
      process.stdout.write(`  run ${r + 1} ${s.padEnd(10)} ${Math.round(res.qps).toLocaleString('en-US').padStart(7)} qps, ${res.lost} lost\n`);
    }
  }
  for (const s of SERVERS) {
    const x = results[s];
    x.medianQps = median(x.runs.map((r) => r.qps));
    x.lost = x.runs.reduce((a, r) => a + r.lost, 0);
    x.sent = x.runs.reduce((a, r) => a + r.sent, 0);
  }
  for (const s of SERVERS) {
    const targetQps = Math.max(1, Math.round(results[s].medianQps / 2));
    // The measurement: dnslat, one thread, an open-loop schedule, nothing printed per query.
    const lat = JSON.parse(await run(inNs(CPU.client, [DNSLAT_BIN, '--port', String(PORTS[s]), '--queries', queries, '--rate', String(targetQps), '--seconds', String(args.latencySeconds), '--timeout-ms', String(QUERY_TIMEOUT_S * 1000)]))) as DnslatResult;
    if (lat.mismatched) throw new Error(`${s}: ${lat.mismatched} answers to dnslat did not match a query it sent`);
    results[s].latency = { tool: 'dnslat', targetQps, achievedQps: round(lat.sent / args.latencySeconds, 0), samples: lat.answered, lost: lat.lost, p50Ms: round(lat.p50Ms), p99Ms: round(lat.p99Ms), maxMs: round(lat.maxMs) };
    // The same with dnsperf -v, as earlier runs measured it: its send and receive threads share
    // the load generator's one CPU, so a reply can wait for its receiver to be scheduled.
    const file = join(tmp, `latency-${s}.txt`);
    await run(inNs(CPU.client, dnsperfArgv({ port: PORTS[s], file: queries, seconds: args.latencySeconds, clients: args.clients, outstanding: args.outstanding, rate: targetQps, verbose: true })), { stdoutFile: file });
    const out = readFileSync(file, 'utf8');
    const stats = parseDnsperf(out);
    onlyNoerror(s, stats);
    const ms = parseLatencies(out).sort((a, b) => a - b);
    results[s].dnsperfLatency = { tool: 'dnsperf -v', targetQps, achievedQps: stats.qps, samples: ms.length, lost: stats.lost, rcodes: stats.rcodes, p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)), maxMs: round(ms.at(-1) ?? NaN) };
    rmSync(file);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const ok = (good: boolean) => (good ? 'met' : 'MISSED');
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const msText = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

interface Goals {
  qpsRatio: { goal: string; measured: number; met: boolean };
  p99AtHalfLoad: { goal: string; measuredMs: number; atQps: number; met: boolean };
}

function goalsOf(results: Record<ServerName, ServerResult>): Goals {
  const ratio = results['podlab-dns'].medianQps / results.dnsmasq.medianQps;
  const lat = results['podlab-dns'].latency!;
  return {
    qpsRatio: { goal: `podlab-dns qps ≥ ${GOALS.qpsRatio} × dnsmasq qps`, measured: round(ratio), met: ratio >= GOALS.qpsRatio },
    p99AtHalfLoad: { goal: `podlab-dns p99 < ${GOALS.p99Ms} ms at 50 % of its measured max`, measuredMs: round(lat.p99Ms), atQps: lat.targetQps, met: lat.p99Ms < GOALS.p99Ms },
  };
}

function report(args: Args, results: Record<ServerName, ServerResult>, goals: Goals, pinning: string): string {
  const lines = [
    `podlab-dns vs dnsmasq — ${args.services} A records, median of ${args.runs} run(s) of ${args.seconds} s, dnsperf -c ${args.clients} -q ${args.outstanding}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; ${pinning}`,
    '',
    table([
      ['server', 'qps (median)', 'lost (all runs)', 'at 50% load: qps', 'p50', 'p99', 'max', 'lost', 'dnsperf -v: p99'],
      ...SERVERS.map((s) => {
        const r = results[s];
        const l = r.latency!;
        return [s, int(r.medianQps), `${r.lost} (${((100 * r.lost) / Math.max(1, r.sent)).toFixed(2)}%)`, `${int(l.achievedQps)}`, msText(l.p50Ms), msText(l.p99Ms), msText(l.maxMs), String(l.lost), msText(r.dnsperfLatency!.p99Ms)];
      }),
    ]),
    '',
    `podlab-dns / dnsmasq qps: ${goals.qpsRatio.measured.toFixed(2)} — goal ≥ ${GOALS.qpsRatio}: ${ok(goals.qpsRatio.met)}`,
    `podlab-dns p99 at 50% of its max (${int(goals.p99AtHalfLoad.atQps)} qps, dnslat): ${msText(goals.p99AtHalfLoad.measuredMs)} — goal < ${GOALS.p99Ms} ms: ${ok(goals.p99AtHalfLoad.met)}`,
    `(latency columns: dnslat, one thread on the load generator's CPU, open loop; the last column is dnsperf -v at the same rate, whose two threads share that CPU)`,
  ];
  return lines.join('\n');
}

async function versionOf(argv: string[], re: RegExp): Promise<string | undefined> {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, all: true });
  return re.exec(String(r.all ?? ''))?.[0];
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n${USAGE}`);
    return 2;
  }
  const bundled = (await ensureDnsServer()) ?? (await ensureNative());
  if (bundled) {
    process.stderr.write(`${bundled.code} ${bundled.message}\n${bundled.hint ?? ''}\n`);
    return 2;
  }
  const problems = preflight();
  if (problems.length) {
    process.stderr.write(`the DNS bench cannot run, nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 2;
  }
  pinned = cpus().length >= 2 && onPath('taskset');
  const pinning = pinned ? `servers on CPU ${CPU.server}, dnsperf on CPU ${CPU.client} (taskset)` : `not pinned (${cpus().length < 2 ? 'one CPU' : 'taskset missing: apt-get install util-linux'})`;
  if (args.cpuProf) mkdirSync(args.cpuProf, { recursive: true });
  const loadBefore = loadavg().map((n) => round(n, 2));
  if (loadBefore[0]! > cpus().length / 2) process.stdout.write(`note: load average ${loadBefore[0]} on ${cpus().length} CPUs before the bench; the figures will be noisy\n`);

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const empty = (s: ServerName): ServerResult => ({ port: PORTS[s], runs: [], medianQps: NaN, lost: 0, sent: 0 });
  const results: Record<ServerName, ServerResult> = { 'podlab-dns': empty('podlab-dns'), dnsmasq: empty('dnsmasq') };
  try {
    await bench(args, results);
  } catch (e) {
    if (interrupted || e instanceof Interrupted) return 130;
    process.stderr.write(`bench failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await cleanUp();
    if (args.cpuProf) process.stdout.write(`podlab-dns CPU profile: ${args.cpuProf}\n`);
  }

  const goals = goalsOf(results);
  process.stdout.write(`\n${report(args, results, goals, pinning)}\n`);
  const git = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false });
  const out = {
    version: 1,
    status: 'ran',
    at: new Date().toISOString(),
    commit: git.stdout.trim(),
    command: `node --import tsx scripts/bench-dns.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg().map((n) => round(n, 2)),
      node: process.version,
      dnsperf: await versionOf(['dnsperf', '-h'], /Version \S+/),
      dnsmasq: await versionOf(['dnsmasq', '--version'], /Dnsmasq version \S+/),
    },
    parameters: {
      services: args.services,
      namespaces: Math.min(NAMESPACES, args.services),
      zone: ZONE,
      runs: args.runs,
      seconds: args.seconds,
      latencySeconds: args.latencySeconds,
      warmupSeconds: args.warmupSeconds,
      dnsperf: { clients: args.clients, threads: 1, outstanding: args.outstanding, timeoutS: QUERY_TIMEOUT_S, transport: 'udp' },
      seed: args.seed,
      pinning,
      podlabDns: { corefile: corefile(), note: "no cache, log or errors plugin; after each name's first query, answers come from the server's replay cache" },
      dnsmasq: { cacheSize: 0, localTtl: 5, note: 'hosts-file records via --addn-hosts; --local makes it authoritative for the zone' },
    },
    servers: results,
    goals,
  };
  writeBenchResult(args.out, out);
  process.stdout.write(`\nwritten: ${args.out}\n`);
  return 0;
}

process.exitCode = await main().catch(async (e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  await cleanUp();
  return 1;
});
