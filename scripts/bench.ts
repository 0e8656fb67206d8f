/**
 * The benchmark (`npm run bench`): how fast podlab builds and removes labs, measured against the
 * kernel floor on the same machine in the same run, and what it costs in memory. Prints a table
 * and writes bench/results/latest.json. A script that prints figures, not a timed test.
 *
 * For each lab size (the flagship lab, 10 nodes × 10 pods, 4 nodes × 250 pods):
 *   - podlab: `up` and `down` through the library (plan and render are timed apart: they are pure);
 *   - floor: the same namespaces, veth pairs, bridges, addresses and routes made and removed by
 *     plain iproute2 in batch mode — one `ip -batch` for the namespaces, then one
 *     `ip -n <ns> -batch` per namespace (plus `bridge -batch` for flannel's FDB) — with no CNI
 *     plugins and no processes; it is what any tool must at least pay for the same kernel objects;
 *   - the CNI floor and the sandbox floor (cniFloor()): the floor with the pods wired by the real
 *     CNI plugins instead, and then with a pause process per pod too; what any tool must pay that
 *     keeps those parts of podlab's design;
 *   - the idle pod sandbox's RSS (VmRSS of each pause process);
 *   - the machine's busy CPU during podlab's `up` and the sandbox floor's (/proc/stat: on two cores
 *     `up` is CPU-bound), and when the cluster DNS server itself serves (`up` returns once its
 *     sockets are bound, before Node has started).
 * Then the flagship lab through the CLI (`podlab up <file>`, then `down`: PODLAB), wall time and
 * the CLI process's peak RSS; `validate` of the flagship through the CLI, cold (empty type-check
 * cache) and warm. With --peers, Debian's Mininet side by side (benchPeers(): Linux-bridge
 * switches, no controller, inside a network namespace of the bench's own): linear,10,10 against
 * the 10 × 10 lab and single,12 against the flagship through its Python API, and `mn` against
 * podlab's CLI, alternating which goes first. Each figure is the median of N runs. Every timed
 * phase starts on a quiet machine (settle(): the kernel frees a removed lab's namespaces after
 * `down` returns).
 *
 *   node --import tsx scripts/bench.ts [--runs N] [--quick] [--only flagship,10x10,4x250,cli,validate,failfast,peers,peer-…]
 *                                      [--peers] [--settle-max S] [--out file]
 *
 * With --only, the JSON keeps the sections of the file that did not run, and the lab sizes;
 * `measured` names the run (commit, time, command) of each section, and each size its own. Every
 * run keeps `suites`: the other benchmarks' results (scripts/bench-results.ts).
 *
 * Every lab it makes is named `bench-…`, and is removed again in `finally`, on Ctrl-C and on SIGTERM
 * (after the step in flight has finished, so nothing is started behind `down`'s back).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { compileLab } from '../src/compile/compile.ts';
import { validateValue } from '../src/compile/validate-value.ts';
import { NETNS_RUN_DIR } from '../src/constants.ts';
import type { Lab } from '../src/compile/lab.ts';
import type { LabSpec, PodSpec } from '../src/index.ts';
import { buildPlan, type Plan, type PlanCheck } from '../src/plan/plan.ts';
import { labNamespaces, render } from '../src/render/render.ts';
import { down, labNamespacesOnHost } from '../src/runtime/down.ts';
import { cniAdd } from '../src/runtime/cni.ts';
import { must, ownNodeEnv, parallel, realExecutor, spawnDaemon } from '../src/runtime/exec.ts';
import { PAUSE_BIN } from '../src/runtime/artifacts.ts';
import { BUILD_DIR } from '../src/lib/build-dir.ts';
import { checkHost, probeKernel } from '../src/runtime/preflight.ts';
import { killNow, pidsInNetns, recordOf } from '../src/runtime/procs.ts';
import { readState, type LabState, type ProcessRecord } from '../src/runtime/state.ts';
import { LISTENING_MARK } from '../src/dns/marks.ts';
import { mountStateDir, unmountStateDir } from '../src/runtime/statefs.ts';
import { up } from '../src/runtime/up.ts';
import { spawner } from '../src/runtime/spawner.ts';
import { runCheck } from '../src/check/run.ts';
import { mergeRun, writeBenchResult } from './bench-results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TMP = join(ROOT, 'bench/.tmp');
/**
 * The `podlab` command as `npm link` installs it: bin/podlab.js run as a program, whose launcher
 * starts Node without NODE_EXTRA_CA_CERTS (see bin/podlab.js). `node bin/podlab.js` would pay for
 * that variable where it is set (about 35 ms a start on this machine).
 */
const PODLAB = join(ROOT, 'bin/podlab.js');

/** The goals of issues 6 and 28, printed next to the figures. */
const GOALS = { upRatio: 1.5, downRatio: 1.2, sandboxUpRatio: 1.2, sandboxDownRatio: 1.2, flagshipCliUpMs: 350, podRssMiB: 2, validateMs: 500, peerFlagshipUpDown: 0.5, peer10x10Up: 0.33, failFastAfterSettledMs: 200 };
/** The floor's batches run this many at a time (as many as podlab wires pods at once). */
const FLOOR_CONCURRENCY = 8;

// ---------------------------------------------------------------------------------------------
// Arguments

interface Args {
  runs: number;
  only?: string[];
  out: string;
  /** Run Debian's Mininet side by side (bench-peers section). */
  peers: boolean;
}

/** The CNI mode of the generated lab sizes (`--cni`): flannel by default; calico for its per-pod cost against the same floors. */
let benchCni: 'flannel' | 'kubenet' | 'calico' = 'flannel';

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 3, out: join(ROOT, 'bench/results/latest.json'), peers: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.runs = 1;
    else if (a === '--runs') args.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--only') args.only = argv[++i]!.split(',');
    else if (a === '--out') args.out = argv[++i]!;
    else if (a === '--peers') args.peers = true;
    else if (a === '--cni') {
      benchCni = argv[++i] as typeof benchCni;
      if (!['flannel', 'kubenet', 'calico'].includes(benchCni)) throw new Error('--cni takes flannel, kubenet or calico');
      if (!argv.includes('--out')) args.out = join(ROOT, `bench/results/latest-${benchCni}.json`);
    }
    else if (a === '--settle-max') settleMaxMs = Math.max(1, Number(argv[++i])) * 1000;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node --import tsx scripts/bench.ts [--runs N (default 3)] [--quick (1 run)] [--only flagship,10x10,4x250,cli,validate,failfast,peers,peer-flagship,peer-10x10,peer-cli] [--peers] [--cni flannel|kubenet|calico (mode of the grid labs)] [--settle-max S (default 60)] [--out file]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(args.runs)) throw new Error('--runs needs a whole number');
  return args;
}

// ---------------------------------------------------------------------------------------------
// The labs, generated in code

/** `nodes` nodes with `podsPerNode` idle pods each (a sandbox, no containers): the cost of a pod itself. */
function gridLab(name: string, nodes: number, podsPerNode: number, podCidrMaskSize: number): LabSpec {
  const nodeNames = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  const pods: Record<string, PodSpec> = {};
  for (const n of nodeNames) for (let p = 1; p <= podsPerNode; p++) pods[`${n}-p${p}`] = { node: n };
  return { name, nodes: Object.fromEntries(nodeNames.map((n) => [n, {}])), podCidr: '10.244.0.0/16', podCidrMaskSize, cni: benchCni, pods };
}

function resolve(spec: LabSpec): Lab {
  const { lab, diagnostics } = validateValue(spec, `${spec.name} (generated by scripts/bench.ts)`);
  if (!lab) throw new Error(`bench lab ${spec.name} is invalid: ${diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return lab;
}

interface Size {
  id: string;
  lab: () => Promise<Lab>;
}

const FLAGSHIP_FILE = 'labs/pod-networking.lab.ts';

async function flagshipLab(): Promise<Lab> {
  const r = await compileLab(join(ROOT, FLAGSHIP_FILE));
  if (!r.lab) throw new Error(`${FLAGSHIP_FILE} does not compile`);
  return { ...r.lab, name: 'bench-flagship' };
}

const SIZES: Size[] = [
  { id: 'flagship', lab: flagshipLab },
  { id: '10x10', lab: async () => resolve(gridLab('bench-10x10', 10, 10, 24)) },
  // 250 pods do not fit a /24 slice (253 addresses, but see podSlicesFit); a /22 holds 1021.
  { id: '4x250', lab: async () => resolve(gridLab('bench-4x250', 4, 250, 22)) },
];

// ---------------------------------------------------------------------------------------------
// Tear-down on every exit path

/** Labs this run may have made; all are removed at the end, on error and on a signal. */
const made = new Set<string>();
/** The operation in flight: a signal waits for it, so nothing is started behind down's back. */
let inFlight: Promise<unknown> = Promise.resolve();
let interrupted = false;

async function track<T>(p: Promise<T>): Promise<T> {
  inFlight = p.catch(() => undefined);
  return p;
}

async function cleanUp(): Promise<void> {
  for (const netns of [...peerRuns.keys()]) await cleanUpPeer(netns);
  for (const lab of made) await down(lab);
  made.clear();
  rmSync(TMP, { recursive: true, force: true });
}

function onSignal(sig: NodeJS.Signals): void {
  if (interrupted) {
    process.stderr.write(`\n${sig} again: removing bench labs now\n`);
    void cleanUp().finally(() => process.exit(130));
    return;
  }
  interrupted = true;
  process.stderr.write(`\n${sig}: finishing the step in flight, then removing every bench lab…\n`);
  void inFlight
    .then(cleanUp)
    .catch((e: unknown) => process.stderr.write(`clean-up failed: ${(e as Error).stack ?? e}\n`))
    .finally(() => process.exit(130));
}

// ---------------------------------------------------------------------------------------------
// The floor: the same kernel objects, plain iproute2 batches, nothing else

/** A rendered batch without its comment lines. */
const strip = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#')).join('\n') + '\n';

/** `ip -batch` lines adding, and deleting (in reverse), the namespaces. */
const netnsBatch = (namespaces: string[], verb: 'add' | 'del') => (verb === 'add' ? namespaces : [...namespaces].reverse()).map((n) => `netns ${verb} ${n}`).join('\n') + '\n';

interface FloorBatches {
  root: string;
  /** [argv prefix, batch text] to run after the root batch, in two waves. */
  wave1: [string[], string][];
  wave2: [string[], string][];
  down: string;
}

/** The rendered node/fabric/fdb batches plus what the CNI bridge plugin would make, as plain batches. */
function floorBatches(plan: Plan): FloorBatches {
  const files = render(plan);
  const namespaces = labNamespaces(plan);
  const wave1: [string[], string][] = [[['ip', '-n', plan.fabric.netns], strip(files.get('ip/fabric.batch')!)]];
  const wave2: [string[], string][] = [];
  for (const node of plan.nodes) {
    const prefix = Number(node.podCidr.split('/')[1]);
    const bridge = node.conflist.plugins[0] as { bridge: string; mtu: number };
    const lines = [strip(files.get(`ip/node-${node.name}.batch`)!).trimEnd()];
    if (node.cni.type === 'calico') {
      // What Calico's data plane is in iproute2 alone: per pod a veth (node end ee:ee:ee:ee:ee:ee, no
      // address, a /32 route to the pod), the pod's address as a /32 behind 169.254.1.1.
      const mtu = (node.conflist.plugins[0] as { mtu: number }).mtu;
      plan.pods
        .filter((p) => p.node === node.name && !p.hostNetwork)
        .forEach((p, i) => {
          lines.push(`link add cali${i} address ee:ee:ee:ee:ee:ee mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${p.netns}`, `link set cali${i} up`, `route add ${p.ip}/32 dev cali${i} scope link`);
          wave2.push([['ip', '-n', p.netns], ['link set lo up', `address add ${p.ip}/32 dev eth0`, 'link set eth0 up', 'route add 169.254.1.1 dev eth0 scope link', 'route add default via 169.254.1.1 dev eth0'].join('\n') + '\n']);
        });
      wave1.push([['ip', '-n', node.netns], `${lines.join('\n')}\n`]);
      continue;
    }
    // What the CNI bridge plugin does on the node side: the bridge with the gateway address, and
    // per pod a veth pair created in place (node end on the bridge, pod end straight into the pod).
    lines.push(`link add ${bridge.bridge} mtu ${bridge.mtu} type bridge`, `address add ${node.podGateway}/${prefix} dev ${bridge.bridge}`, `link set ${bridge.bridge} up`);
    plan.pods
      .filter((p) => p.node === node.name && !p.hostNetwork)
      .forEach((p, i) => {
        lines.push(`link add v${i} mtu ${bridge.mtu} type veth peer name eth0 mtu ${bridge.mtu} netns ${p.netns}`, `link set v${i} master ${bridge.bridge} up`);
        wave2.push([['ip', '-n', p.netns], ['link set lo up', `address add ${p.ip}/${prefix} dev eth0`, 'link set eth0 up', `route add default via ${node.podGateway} dev eth0`].join('\n') + '\n']);
      });
    wave1.push([['ip', '-n', node.netns], `${lines.join('\n')}\n`]);
    if (node.cni.type === 'flannel') wave2.push([['bridge', '-n', node.netns], strip(files.get(`ip/fdb-${node.name}.batch`)!)]);
  }
  return { root: netnsBatch(namespaces, 'add'), wave1, wave2, down: netnsBatch(namespaces, 'del') };
}

/** Runs one `<argv> -batch -` with the batch text on stdin. */
const runBatch = async ([argv, input]: [string[], string]) => void (await must(realExecutor, [...argv, '-batch', '-'], { input }));

async function floorUp(b: FloorBatches): Promise<void> {
  await runBatch([['ip'], b.root]);
  // The fabric batch moves each node's eth0 into its namespace; node batches need it there.
  await runBatch(b.wave1[0]!);
  await parallel(b.wave1.slice(1), FLOOR_CONCURRENCY, runBatch);
  await parallel(b.wave2, FLOOR_CONCURRENCY, runBatch);
}

async function floorDown(b: FloorBatches): Promise<void> {
  await runBatch([['ip'], b.down]);
}

// ---------------------------------------------------------------------------------------------
// The CNI floor: the floor, but the pods wired by the CNI plugins podlab runs, called directly.
// The sandbox floor: the CNI floor, and each pod's sandbox (a bare pause process) as well.

interface CniFloor {
  plan: Plan;
  /** Whether each pod gets a bare pause process before its CNI ADD (the sandbox floor). */
  sandboxes: boolean;
  root: string;
  /** [argv prefix, batch text]: the fabric first, then the nodes (podlab's own rendered batches). */
  fabric: [string[], string];
  nodes: [string[], string][];
  fdb: [string[], string][];
  down: string;
  /** The pause processes of the current run (sandbox floor). */
  pauses: ProcessRecord[];
}

/**
 * What podlab cannot do without and a bare script would still pay for, with the plugins kept: the
 * same namespaces and node batches as podlab's, and per pod one CNI ADD (bridge, which runs
 * host-local) through the same spawner, eight at a time — no kube-proxy tables, no DNS server, no
 * state journal. host-local's leases live on a tmpfs, as podlab's do, so that `down` frees them at
 * once. The CNI floor starts no processes; the sandbox floor starts, per pod and before its ADD,
 * the pod sandbox DESIGN.md asks for: a pause process holding the pod's network, UTS and IPC
 * namespaces (`pause --netns --hostname`: no files, no mount namespace), which its `down` kills
 * (SIGKILL, while the namespaces are deleted) and waits for. podlab / sandbox floor is podlab's
 * own overhead over the kernel objects, plugins and processes that its design requires.
 */
function cniFloor(plan: Plan, sandboxes: boolean): CniFloor {
  const files = render(plan);
  const namespaces = labNamespaces(plan);
  return {
    plan,
    sandboxes,
    root: netnsBatch(namespaces, 'add'),
    fabric: [['ip', '-n', plan.fabric.netns], strip(files.get('ip/fabric.batch')!)],
    nodes: plan.nodes.map((n) => [['ip', '-n', n.netns], strip(files.get(`ip/node-${n.name}.batch`)!)]),
    fdb: plan.nodes.filter((n) => n.cni.type === 'flannel').map((n) => [['bridge', '-n', n.netns], strip(files.get(`ip/fdb-${n.name}.batch`)!)]),
    down: netnsBatch(namespaces, 'del'),
    pauses: [],
  };
}

async function cniFloorUp(f: CniFloor): Promise<void> {
  await mountStateDir(realExecutor, f.plan.lab);
  await runBatch([['ip'], f.root]);
  await runBatch(f.fabric);
  await parallel(f.nodes, FLOOR_CONCURRENCY, runBatch);
  await parallel(f.fdb, FLOOR_CONCURRENCY, runBatch);
  const nodes = new Map(f.plan.nodes.map((n) => [n.name, n]));
  f.pauses = [];
  await parallel(
    f.plan.pods.filter((p) => !p.hostNetwork),
    FLOOR_CONCURRENCY,
    async (pod) => {
      if (f.sandboxes) f.pauses.push(recordOf(await spawnDaemon([PAUSE_BIN, '--netns', `${NETNS_RUN_DIR}/${pod.netns}`, '--hostname', pod.hostname], { readyLine: 'ready' })));
      await cniAdd(realExecutor, nodes.get(pod.node)!, pod);
    },
  );
}

/** The processes (sandbox floor), the namespaces, and the tmpfs with host-local's leases. */
async function cniFloorDown(f: CniFloor): Promise<void> {
  const { exited } = killNow(realExecutor, f.pauses);
  await runBatch([['ip'], f.down]);
  await unmountStateDir(realExecutor, f.plan.lab);
  rmSync(f.plan.stateDir, { recursive: true, force: true });
  await exited;
}

// ---------------------------------------------------------------------------------------------
// Measuring

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** When (ms after `t0`) the cluster DNS server's log shows its ready line, polled every 2 ms; undefined without one. */
async function dnsServedAt(state: LabState, t0: number): Promise<number | undefined> {
  const dns = state.plan.dns ? state.pods[state.plan.dns.pod]?.containers[state.plan.dns.pod] : undefined;
  if (!dns?.log) return undefined;
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (existsSync(dns.log) && readFileSync(dns.log, 'utf8').includes(LISTENING_MARK)) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
  return undefined;
}

/** The machine's busy CPU time so far in ms (/proc/stat's ticks are 10 ms). */
const busyCpuMs = () => cpuTicks().busy * 10;

/**
 * podlab's own CPU time so far in ms: this process (every thread; podlab runs in it as a library)
 * and its spawner's, to the microsecond (process.cpuUsage, /proc/PID/sched). Not the programs the
 * two start: a child's time is its own from its fork (before its exec it still runs the
 * spawner's code: entering namespaces, setting up its stdio), so that counts as a program's.
 */
function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 + spawnerCpuMs();
}

function spawnerCpuMs(): number {
  const pid = spawner()?.pid;
  if (!pid) return 0;
  try {
    const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/sched`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await track(fn());
  return [v, performance.now() - t];
}

/** Busy and total CPU time of the machine so far, in clock ticks, from /proc/stat. */
function cpuTicks(): { busy: number; all: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const all = f.reduce((a, b) => a + b, 0);
  return { busy: all - f[3]! - f[4]!, all }; // idle and iowait are not busy
}

/** How quiet the machine must be before a timed phase starts, and for how long. */
const SETTLE = { busyFraction: 0.1, probeMs: 5, probeEveryMs: 25, windowMs: 100, windows: 3, maxMs: 60_000 };
/** SETTLE.maxMs, or --settle-max (seconds): on a machine shared with other work it is never quiet. */
let settleMaxMs = SETTLE.maxMs;
/** A namespace of the bench's own (lab `bench-settle`, removed with the others) for settle()'s probe. */
const SETTLE_LAB = 'bench-settle';
const SETTLE_NETNS = `podlab-${SETTLE_LAB}.fabric`;

/**
 * Waits until the machine is quiet: three 100 ms windows in a row with the CPUs at most 10% busy
 * and a probe that needs the kernel's RTNL lock (`ip -n <bench's netns> link set lo up`, every 25
 * ms) answering within SETTLE.probeMs each time; at most SETTLE.maxMs. Why: after `down` returns, podlab's or the floor's alike, the
 * kernel frees the deleted namespaces in the background, and for 10 namespaces it holds RTNL for
 * about 150 ms, starting some 50 ms later (measured with that probe). Creating a namespace or a
 * link waits for RTNL, so without this each phase paid for the teardown of the one before it, by
 * chance. Every timed phase, podlab's and the floor's, starts after settle(); the time waited is
 * reported, not counted.
 */
async function settle(): Promise<number> {
  const t = performance.now();
  let quiet = 0;
  while (quiet < SETTLE.windows && performance.now() - t < settleMaxMs) {
    // One window: probes every SETTLE.probeEveryMs; the CPU share over the whole window (the clock
    // ticks of /proc/stat are 10 ms, too coarse for anything shorter).
    const a = cpuTicks();
    const w = performance.now();
    let slowest = 0;
    while (performance.now() - w < SETTLE.windowMs) {
      slowest = Math.max(slowest, await rtnlProbe());
      await new Promise((r) => setTimeout(r, SETTLE.probeEveryMs));
    }
    const b = cpuTicks();
    const busy = b.all > a.all ? (b.busy - a.busy) / (b.all - a.all) : 0;
    quiet = busy <= SETTLE.busyFraction && slowest <= SETTLE.probeMs ? quiet + 1 : 0;
  }
  return performance.now() - t;
}

/** One probe that needs the kernel's RTNL lock, in the bench's own namespace; its time in ms. */
async function rtnlProbe(): Promise<number> {
  const p = performance.now();
  await must(realExecutor, ['ip', '-n', SETTLE_NETNS, 'link', 'set', 'lo', 'up']);
  return performance.now() - p;
}

/** The probe's usual time right now (median of 5), taken before a `down`: the machine may be busy with others' work. */
async function probeBaseline(): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) xs.push(await rtnlProbe());
  return median(xs);
}

/** How long the RTNL probe must stay fast for the kernel's clean-up to count as over. */
const CLEANUP_QUIET_MS = 200;

/**
 * The kernel's background clean-up after a `down` that has just returned: the time until the RTNL
 * probe answers as fast as before the `down` again (within max(SETTLE.probeMs, 2 × baseline)) and
 * keeps doing so for CLEANUP_QUIET_MS (probes 10 ms apart): the time of the first probe of that
 * quiet stretch. Namespaces are freed by a kernel worker that holds RTNL while it unregisters their
 * devices, in phases with fast probes between them (for the flagship: a stall of about 50 ms, 45 ms
 * of fast probes, a stall of about 90 ms; sampled every 2 ms). A wait for three fast probes in a
 * row ended in such a gap: 19, 100 or 220 ms for the same `down` (10 runs). Unlike settle() it does
 * not ask for idle CPUs, so it works on a machine shared with other work; `capped` when it did not
 * end within --settle-max.
 */
async function cleanupAfterDown(baselineMs: number): Promise<{ busyMs: number; capped: boolean }> {
  const t = performance.now();
  const limit = Math.max(SETTLE.probeMs, 2 * baselineMs);
  let fastSince: number | undefined;
  for (;;) {
    const p = performance.now();
    if ((await rtnlProbe()) > limit) fastSince = undefined;
    else fastSince ??= p;
    if (fastSince !== undefined && performance.now() - fastSince >= CLEANUP_QUIET_MS) return { busyMs: fastSince - t, capped: false };
    if (performance.now() - t >= settleMaxMs) return { busyMs: performance.now() - t, capped: true };
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** VmRSS / VmHWM of a process in KiB, from /proc/<pid>/status. */
function procKiB(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface SizeResult {
  id: string;
  lab: string;
  nodes: number;
  pods: number;
  containers: number;
  namespaces: number;
  runs: number;
  planRenderMs: number;
  upMs: number;
  downMs: number;
  floorUpMs: number;
  floorDownMs: number;
  upRatio: number;
  downRatio: number;
  /** Median time of each step of `up` (from its journal), for finding what is slow. */
  upSteps: Record<string, number>;
  pauseRssKiB: { median: number; max: number };
  /** Peak RSS of this (bench) process so far, which ran podlab's library for this size. */
  benchPeakRssKiB: number;
  /** podlab against the CNI floor (cniFloor()): what podlab adds to the plugins it must run. */
  cniFloor: OtherFloor;
  /** podlab against the sandbox floor (cniFloor() with sandboxes): what podlab adds to the plugins and pause processes. */
  sandboxFloor: OtherFloor;
  samples: { upMs: number[]; downMs: number[]; floorUpMs: number[]; floorDownMs: number[]; cniFloorUpMs: number[]; cniFloorDownMs: number[]; sandboxFloorUpMs: number[]; sandboxFloorDownMs: number[] };
  /** How long the machine took to be quiet before each timed phase (settle()), median and longest. */
  settleMs: { median: number; max: number };
  /**
   * The machine's busy CPU time during `up` (every process, from /proc/stat, 10 ms ticks), podlab's
   * and the sandbox floor's, medians: on two cores `up` is CPU-bound, so this says what a ratio can reach.
   * podlabOwn and sandboxFloorOwn: the part of it that was this process's and its spawner's
   * (ownCpuMs(): podlab's own code for `up`, the bench's floor code for the floor); the rest is the
   * programs each started and the kernel's work for them.
   */
  upCpuMs: { podlab: number; sandboxFloor: number; podlabOwn: number; sandboxFloorOwn: number };
  /**
   * From `up`'s start until the cluster DNS server itself serves (its ready line), median: `up`
   * returns once the server's sockets are bound (its container binds them before Node starts),
   * and a query sent in between waits in them. Undefined for a lab without one.
   */
  dnsServesMs?: number;
}

/**
 * A floor with more of what podlab's design requires: its medians, podlab's time over it (ratio),
 * and its own time over the plain floor (overFloor: the lowest ratio to the floor that any tool
 * paying for the same plugins and processes could reach).
 */
interface OtherFloor {
  upMs: number;
  downMs: number;
  upRatio: number;
  downRatio: number;
  upOverFloor: number;
  downOverFloor: number;
}

function otherFloor(up: number[], down: number[], podlab: { upMs: number; downMs: number }, floor: { upMs: number; downMs: number }): OtherFloor {
  const upMs = median(up);
  const downMs = median(down);
  return {
    upMs: round(upMs),
    downMs: round(downMs),
    upRatio: round(podlab.upMs / upMs, 2),
    downRatio: round(podlab.downMs / downMs, 2),
    upOverFloor: round(upMs / floor.upMs, 2),
    downOverFloor: round(downMs / floor.downMs, 2),
  };
}

async function benchSize(size: Size, runs: number): Promise<SizeResult> {
  const lab = await size.lab();
  const floorLab = `${lab.name}-floor`;
  const t0 = performance.now();
  const plan = buildPlan(lab);
  const rendered = render(plan);
  const planRenderMs = performance.now() - t0;
  const floor = floorBatches(buildPlan({ ...lab, name: floorLab }));
  const cniLab = `${lab.name}-cni`;
  const cni = cniFloor(buildPlan({ ...lab, name: cniLab }), false);
  const sandboxLab = `${lab.name}-sbx`;
  const sandbox = cniFloor(buildPlan({ ...lab, name: sandboxLab }), true);
  for (const l of [lab.name, floorLab, cniLab, sandboxLab]) {
    if (readState(l) || labNamespacesOnHost(l).length) {
      process.stderr.write(`  ${l} was left over from an earlier run: removing it\n`);
      await down(l);
    }
  }

  const s = { upMs: [] as number[], downMs: [] as number[], floorUpMs: [] as number[], floorDownMs: [] as number[], cniFloorUpMs: [] as number[], cniFloorDownMs: [] as number[], sandboxFloorUpMs: [] as number[], sandboxFloorDownMs: [] as number[] };
  const steps: Record<string, number[]> = {};
  const pauseRss: number[] = [];
  const settles: number[] = [];
  const cpu = { podlab: [] as number[], sandboxFloor: [] as number[], podlabOwn: [] as number[], sandboxFloorOwn: [] as number[] };
  const dnsServes: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (interrupted) break;
    process.stderr.write(`  ${size.id}: run ${i + 1}/${runs}: podlab`);
    made.add(lab.name);
    let last = 0;
    let lastStep = '';
    settles.push(await settle());
    const t = performance.now();
    const cpu0 = busyCpuMs();
    const own0 = ownCpuMs();
    const [state, upMs] = await timed(() =>
      up(plan, rendered, {
        onStep: (step) => {
          const now = performance.now() - t;
          if (lastStep) (steps[lastStep] ??= []).push(now - last);
          last = now;
          lastStep = step;
        },
      }),
    );
    cpu.podlab.push(busyCpuMs() - cpu0);
    cpu.podlabOwn.push(ownCpuMs() - own0);
    const served = await dnsServedAt(state, t);
    if (served !== undefined) dnsServes.push(served);
    if (i === 0) for (const p of Object.values(state.pods)) if (p.pause) pauseRss.push(procKiB(p.pause.pid, 'VmRSS') ?? NaN);
    settles.push(await settle());
    const [, downMs] = await timed(() => down(lab.name));
    made.delete(lab.name);
    s.upMs.push(upMs);
    s.downMs.push(downMs);
    if (interrupted) break;

    // The floors, one after another, each on a quiet machine; a floor's lab is removed on any exit path.
    const floors = [
      { label: 'floor', name: floorLab, up: () => floorUp(floor), down: () => floorDown(floor), ups: s.floorUpMs, downs: s.floorDownMs },
      { label: 'CNI floor', name: cniLab, up: () => cniFloorUp(cni), down: () => cniFloorDown(cni), ups: s.cniFloorUpMs, downs: s.cniFloorDownMs },
      { label: 'sandbox floor', name: sandboxLab, up: () => cniFloorUp(sandbox), down: () => cniFloorDown(sandbox), ups: s.sandboxFloorUpMs, downs: s.sandboxFloorDownMs },
    ];
    for (const f of floors) {
      if (interrupted) break;
      process.stderr.write(`, ${f.label}`);
      made.add(f.name);
      settles.push(await settle());
      const cpu0 = busyCpuMs();
      const own0 = ownCpuMs();
      f.ups.push((await timed(f.up))[1]);
      if (f.ups === s.sandboxFloorUpMs) {
        cpu.sandboxFloor.push(busyCpuMs() - cpu0);
        cpu.sandboxFloorOwn.push(ownCpuMs() - own0);
      }
      settles.push(await settle());
      f.downs.push((await timed(f.down))[1]);
      made.delete(f.name);
    }
    if (interrupted) break;
    const ms = (...xs: number[][]) => xs.map((x) => x.at(-1)!.toFixed(0)).join(' / ');
    process.stderr.write(` — up ${upMs.toFixed(0)} ms vs ${ms(s.floorUpMs, s.cniFloorUpMs, s.sandboxFloorUpMs)} ms, down ${downMs.toFixed(0)} ms vs ${ms(s.floorDownMs, s.cniFloorDownMs, s.sandboxFloorDownMs)} ms\n`);
  }
  const upMs = median(s.upMs);
  const downMs = median(s.downMs);
  const floorUpMs = median(s.floorUpMs);
  const floorDownMs = median(s.floorDownMs);
  return {
    id: size.id,
    lab: lab.name,
    nodes: plan.nodes.length,
    pods: plan.pods.length,
    containers: plan.pods.reduce((n, p) => n + p.containers.length, 0),
    namespaces: 1 + plan.nodes.length + plan.pods.filter((p) => !p.hostNetwork).length,
    runs: s.upMs.length,
    planRenderMs: round(planRenderMs),
    upMs: round(upMs),
    downMs: round(downMs),
    floorUpMs: round(floorUpMs),
    floorDownMs: round(floorDownMs),
    upRatio: round(upMs / floorUpMs, 2),
    downRatio: round(downMs / floorDownMs, 2),
    cniFloor: otherFloor(s.cniFloorUpMs, s.cniFloorDownMs, { upMs, downMs }, { upMs: floorUpMs, downMs: floorDownMs }),
    sandboxFloor: otherFloor(s.sandboxFloorUpMs, s.sandboxFloorDownMs, { upMs, downMs }, { upMs: floorUpMs, downMs: floorDownMs }),
    upSteps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, round(median(v))])),
    pauseRssKiB: { median: median(pauseRss), max: Math.max(...pauseRss) },
    benchPeakRssKiB: procKiB('self', 'VmHWM') ?? process.resourceUsage().maxRSS,
    samples: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.map((x) => round(x))])) as SizeResult['samples'],
    settleMs: { median: round(median(settles)), max: round(Math.max(...settles)) },
    upCpuMs: { podlab: round(median(cpu.podlab)), sandboxFloor: round(median(cpu.sandboxFloor)), podlabOwn: round(median(cpu.podlabOwn)), sandboxFloorOwn: round(median(cpu.sandboxFloorOwn)) },
    ...(dnsServes.length ? { dnsServesMs: round(median(dnsServes)) } : {}),
  };
}

const round = (x: number, digits = 0) => Number(x.toFixed(digits));

interface CliResult {
  file: string;
  runs: number;
  upWallMs: number;
  downWallMs: number;
  /** What `up` itself reports ("is up in N ms"): compile, preflight and build, without Node start-up. */
  upReportedMs: number;
  peakRssKiB: number;
  /**
   * Commands run against the live lab through the CLI, wall, medians: `status`, `exec … client --
   * true`, `check`, `trace client web-2 --port 8080`, and `graph -f svg` twice: first after `up`
   * (the live drawing is new: Graphviz's WebAssembly loads) and again (its layout kept); bin/podlab.js
   * runs them from bundles without the compiler. Beside them the whole CLI's start (`--version`) and
   * Node's alone (`node -e 0`), as the `podlab` command starts it (`node`) and with the bench's
   * environment as it is (`nodeAsGiven`: the two differ where NODE_EXTRA_CA_CERTS is set).
   */
  liveMs: { status: number; exec: number; check: number; trace: number; graphSvg: number; graphSvgAgain: number; wholeCli: number; node: number; nodeAsGiven: number };
  samples: { upWallMs: number[]; downWallMs: number[]; upReportedMs: number[]; peakRssKiB: number[] };
}

/**
 * The flagship lab through the CLI as a user runs it. The file is a copy of the flagship lab
 * renamed `bench-flagship-cli` (so a `pod-networking` lab someone has up is never touched); it lives
 * inside the repository so `import 'podlab'` resolves. Peak RSS comes from a preloaded module that
 * writes process.resourceUsage().maxRSS of the CLI process at exit (the lab is evaluated in a
 * child process of its own), and takes NODE_OPTIONS out of the environment the CLI's children get.
 */
async function benchCli(runs: number): Promise<CliResult> {
  const lab = 'bench-flagship-cli';
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, `${lab}.lab.ts`);
  const source = readFileSync(join(ROOT, FLAGSHIP_FILE), 'utf8');
  writeFileSync(file, source.replace(/name: 'pod-networking'/, `name: '${lab}'`));
  const rssFile = join(TMP, 'rss.txt');
  const probe = `data:text/javascript,${encodeURIComponent(
    `import { writeFileSync } from 'node:fs'; delete process.env.NODE_OPTIONS; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));`,
  )}`;
  const s = { upWallMs: [] as number[], downWallMs: [] as number[], upReportedMs: [] as number[], peakRssKiB: [] as number[] };
  const live: Record<keyof CliResult['liveMs'], number[]> = { status: [], exec: [], check: [], trace: [], graphSvg: [], graphSvgAgain: [], wholeCli: [], node: [], nodeAsGiven: [] };
  if (readState(lab) || labNamespacesOnHost(lab).length) await down(lab);
  for (let i = 0; i < runs && !interrupted; i++) {
    process.stderr.write(`  cli: run ${i + 1}/${runs}`);
    made.add(lab);
    await settle();
    const [u, upMs] = await timed(() => execa(PODLAB, ['up', file], { cwd: ROOT, reject: false, env: { NODE_OPTIONS: `--import=${probe}` } }));
    if (u.exitCode !== 0) throw new Error(`podlab up ${file} failed (${u.exitCode}): ${u.stderr}`);
    s.peakRssKiB.push(Number(readFileSync(rssFile, 'utf8')));
    s.upReportedMs.push(Number(/is up in (\d+) ms/.exec(u.stderr)?.[1] ?? NaN));
    // What a learner types next, against the live lab; the whole CLI and Node alone beside them.
    const commands: [keyof CliResult['liveMs'], string, string[], NodeJS.ProcessEnv?][] = [
      ['status', PODLAB, ['status', lab]],
      ['exec', PODLAB, ['exec', lab, 'client', '--', 'true']],
      ['check', PODLAB, ['check', lab]],
      ['trace', PODLAB, ['trace', lab, 'client', 'web-2', '--port', '8080']],
      ['graphSvg', PODLAB, ['graph', lab, '-f', 'svg']],
      ['graphSvgAgain', PODLAB, ['graph', lab, '-f', 'svg']],
      ['wholeCli', PODLAB, ['--version']],
      // Node as the `podlab` command starts it: without NODE_EXTRA_CA_CERTS, as podlab's own Nodes.
      ['node', 'node', ['-e', '0'], ownNodeEnv()],
      ['nodeAsGiven', 'node', ['-e', '0']],
    ];
    for (const [k, program, argv, env] of commands) {
      await settle();
      const [r, ms] = await timed(() => execa(program, argv, { cwd: ROOT, reject: false, ...(env ? { env, extendEnv: false } : {}) }));
      if (r.exitCode !== 0) throw new Error(`${program} ${argv.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
      live[k].push(ms);
    }
    await settle();
    const [d, downMs] = await timed(() => execa(PODLAB, ['down', lab], { cwd: ROOT, reject: false }));
    if (d.exitCode !== 0) throw new Error(`podlab down ${lab} failed (${d.exitCode}): ${d.stderr}`);
    made.delete(lab);
    s.upWallMs.push(upMs);
    s.downWallMs.push(downMs);
    process.stderr.write(` — up ${upMs.toFixed(0)} ms wall, down ${downMs.toFixed(0)} ms wall\n`);
  }
  return {
    file: FLAGSHIP_FILE,
    runs: s.upWallMs.length,
    upWallMs: round(median(s.upWallMs)),
    downWallMs: round(median(s.downWallMs)),
    upReportedMs: round(median(s.upReportedMs)),
    peakRssKiB: median(s.peakRssKiB),
    liveMs: Object.fromEntries(Object.entries(live).map(([k, v]) => [k, round(median(v))])) as CliResult['liveMs'],
    samples: { upWallMs: s.upWallMs.map((x) => round(x)), downWallMs: s.downWallMs.map((x) => round(x)), upReportedMs: s.upReportedMs, peakRssKiB: s.peakRssKiB },
  };
}

// ---------------------------------------------------------------------------------------------
// Fail fast: a settled failing check (src/check/settle.ts)

interface FailFastCase {
  /** One attempt alone (the check with a timeout shorter than a retry): when the failure is first seen. */
  firstSeenMs: number;
  /** The check as it runs: fails once settled. */
  failFastMs: number;
  /** failFastMs - firstSeenMs: how long after the failure was settled-and-seen the check failed. */
  afterSettledMs: number;
  /** The same check with PODLAB_FAIL_FAST=0: every attempt until the timeout (the behaviour before). */
  eventualMs: number;
  samples: { firstSeenMs: number[]; failFastMs: number[]; eventualMs: number[] };
}

interface FailFastResult extends FailFastCase {
  runs: number;
  timeoutMs: number;
  goalMs: number;
  /**
   * A tcp check a NetworkPolicy drops (policies drop by default): the same figures, and a check
   * that expects the drop (`no-reach`) with the runner's policy prediction (250 ms of silence) and
   * without it (a full 1 s attempt, as any silence).
   */
  policyDrop?: FailFastCase & { blockedMs: number; blockedUnpredictedMs: number; samples: FailFastCase['samples'] & { blockedMs: number[]; blockedUnpredictedMs: number[] } };
}

/**
 * Two failing tcp checks (5 s timeout) run through the check runner, each with fail fast, once
 * alone (one attempt: when the failure is first seen), and with fail fast off (the baseline, same
 * run): one refused by a pod where nothing listens on the port, one dropped by a NetworkPolicy
 * (confirmed by its drop rule's counter). And a check that expects that drop, with and without
 * the policy prediction. Lab: bench-failfast, three pods.
 */
async function benchFailFast(runs: number): Promise<FailFastResult> {
  const name = 'bench-failfast';
  made.add(name);
  if (labNamespacesOnHost(name).length) await down(name);
  const web = [{ name: 'web', workload: { kind: 'http-echo' as const } }];
  const spec: LabSpec = {
    name,
    nodes: { w1: {}, w2: {} },
    pods: { a: { node: 'w1', containers: web }, b: { node: 'w2', containers: web }, c: { node: 'w2', labels: { app: 'c' }, containers: web } },
    networkPolicies: { 'deny-c': { podSelector: { matchLabels: { app: 'c' } } } },
    checks: [
      { kind: 'tcp', from: 'a', to: 'b', port: 8081, timeoutMs: 5000 },
      { kind: 'tcp', from: 'a', to: 'c', port: 8080, timeoutMs: 5000 },
      { kind: 'tcp', from: 'a', to: 'c', port: 8080, expect: 'no-reach', timeoutMs: 5000 },
    ],
  };
  const lab = resolve(spec);
  const plan = buildPlan(lab);
  const state = await up(plan, render(plan));
  const [refused, dropped, blocked] = plan.checks as [PlanCheck, PlanCheck, PlanCheck];
  const samples = () => ({ firstSeenMs: [] as number[], failFastMs: [] as number[], eventualMs: [] as number[] });
  const s = samples();
  const d = { ...samples(), blockedMs: [] as number[], blockedUnpredictedMs: [] as number[] };
  const measure = async (check: PlanCheck, into: FailFastCase['samples'], what: string) => {
    const once = await runCheck(state, { ...check, timeoutMs: 100 });
    const ff = await runCheck(state, check);
    process.env.PODLAB_FAIL_FAST = '0';
    const ev = await runCheck(state, check).finally(() => delete process.env.PODLAB_FAIL_FAST);
    if (ff.status !== 'fail' || !ff.settled || ev.status !== 'fail') throw new Error(`fail-fast bench (${what}): unexpected outcomes ${JSON.stringify([ff, ev])}`);
    into.firstSeenMs.push(once.ms);
    into.failFastMs.push(ff.ms);
    into.eventualMs.push(ev.ms);
    return `${what}: first seen ${once.ms} ms, failed ${ff.ms} ms (settled), without fail fast ${ev.ms} ms`;
  };
  try {
    for (let i = 0; i < runs && !interrupted; i++) {
      await settle();
      const a = await measure(refused, s, 'refused');
      const b = await measure(dropped, d, 'policy drop');
      const bl = await runCheck(state, blocked);
      // Without the prediction: the lab's policies as if absent from the plan the runner reads (the tables stay loaded).
      const blu = await runCheck({ ...state, plan: { ...state.plan, networkPolicy: undefined } }, blocked);
      if (bl.status !== 'pass' || blu.status !== 'pass') throw new Error(`fail-fast bench: the blocked check did not pass: ${JSON.stringify([bl, blu])}`);
      d.blockedMs.push(bl.ms);
      d.blockedUnpredictedMs.push(blu.ms);
      process.stderr.write(`  fail fast: run ${i + 1}/${runs} — ${a}; ${b}; expecting the drop ${bl.ms} ms (${blu.ms} ms without the prediction)\n`);
    }
  } finally {
    await down(name);
    made.delete(name);
  }
  const summary = (x: FailFastCase['samples']): FailFastCase => {
    const firstSeenMs = median(x.firstSeenMs);
    const failFastMs = median(x.failFastMs);
    return { firstSeenMs, failFastMs, afterSettledMs: failFastMs - firstSeenMs, eventualMs: median(x.eventualMs), samples: x };
  };
  return {
    runs: s.failFastMs.length,
    timeoutMs: refused.timeoutMs,
    ...summary(s),
    goalMs: GOALS.failFastAfterSettledMs,
    policyDrop: { ...summary(d), blockedMs: median(d.blockedMs), blockedUnpredictedMs: median(d.blockedUnpredictedMs), samples: d },
  };
}

// ---------------------------------------------------------------------------------------------
// CLI validate: nothing built, cold (an empty type-check cache) and warm

interface ValidateResult {
  file: string;
  runs: number;
  /**
   * Nothing built: the package's type-check snapshot removed first, and an empty cache (what
   * scripts/setup.sh pays once per podlab version and Node, and the command waits for).
   */
  firstWallMs: number;
  firstCpuMs: number;
  /** An empty type-check cache of the bench's own (a new user's first validate), the package's snapshot built. */
  coldWallMs: number;
  warmWallMs: number;
  /** CPU time of the validate process and its children (childrenCpuMs()). */
  coldCpuMs: number;
  warmCpuMs: number;
  /** An edited copy of the flagship (a comment added), with the cache warm otherwise: what an author waits for at each save. */
  editedWallMs: number;
  editedCpuMs: number;
  /** `podlab --version` in the same runs: what starting the CLI costs at all, on this machine now. */
  startWallMs: number;
  startCpuMs: number;
  goalMs: number;
  samples: { firstWallMs: number[]; firstCpuMs: number[]; coldWallMs: number[]; warmWallMs: number[]; coldCpuMs: number[]; warmCpuMs: number[]; editedWallMs: number[]; editedCpuMs: number[]; startWallMs: number[]; startCpuMs: number[] };
}

/**
 * `podlab validate <flagship>` (type check included) as a user runs it: with nothing built (the
 * package's snapshot of the type check removed, from BUILD_DIR/typecheck, and an empty cache),
 * cold with an empty type-check cache of the bench's own (PODLAB_CACHE_DIR), then warm (the same
 * cache, the same file), then an edited copy of it (a comment added: evaluated and type-checked
 * again, with podlab's types already written out). None touches the kernel; each starts on a
 * quiet machine.
 */
async function benchValidate(runs: number): Promise<ValidateResult> {
  const s = { firstWallMs: [] as number[], firstCpuMs: [] as number[], coldWallMs: [] as number[], warmWallMs: [] as number[], coldCpuMs: [] as number[], warmCpuMs: [] as number[], editedWallMs: [] as number[], editedCpuMs: [] as number[], startWallMs: [] as number[], startCpuMs: [] as number[] };
  const cache = join(TMP, 'validate-cache');
  const edited = join(TMP, 'edited.lab.ts');
  const flagship = readFileSync(join(ROOT, FLAGSHIP_FILE), 'utf8');
  const run = async (argv = ['validate', FLAGSHIP_FILE]): Promise<[number, number]> => {
    await settle();
    const cpu = childrenCpuMs();
    const [r, ms] = await timed(() => execa(PODLAB, argv, { cwd: ROOT, reject: false, env: { PODLAB_CACHE_DIR: cache } }));
    if (r.exitCode !== 0) throw new Error(`podlab validate ${FLAGSHIP_FILE} failed (${r.exitCode}): ${r.stderr}`);
    return [ms, childrenCpuMs() - cpu];
  };
  // The bundle is rebuilt when src/ is newer: not part of what a user waits for twice.
  await execa(PODLAB, ['--version'], { cwd: ROOT });
  const snapshots = join(BUILD_DIR, 'typecheck');
  for (let i = 0; i < runs && !interrupted; i++) {
    rmSync(cache, { recursive: true, force: true });
    for (const f of existsSync(snapshots) ? readdirSync(snapshots) : []) if (f.startsWith('check-')) rmSync(join(snapshots, f), { force: true });
    const [first, firstCpu] = await run();
    rmSync(cache, { recursive: true, force: true });
    const [cold, coldCpu] = await run();
    const [warm, warmCpu] = await run();
    writeFileSync(edited, `${flagship}// edit ${i + 1}\n`);
    const [edit, editCpu] = await run(['validate', edited]);
    s.editedWallMs.push(edit);
    s.editedCpuMs.push(editCpu);
    const [start, startCpu] = await run(['--version']);
    s.startWallMs.push(start);
    s.startCpuMs.push(startCpu);
    s.firstWallMs.push(first);
    s.firstCpuMs.push(firstCpu);
    s.coldWallMs.push(cold);
    s.coldCpuMs.push(coldCpu);
    s.warmWallMs.push(warm);
    s.warmCpuMs.push(warmCpu);
    process.stderr.write(`  validate: run ${i + 1}/${runs} — nothing built ${first.toFixed(0)} ms wall (${firstCpu} ms CPU), cold ${cold.toFixed(0)} ms wall (${coldCpu} ms CPU), warm ${warm.toFixed(0)} ms wall (${warmCpu} ms CPU), edited ${edit.toFixed(0)} ms wall (${editCpu} ms CPU); podlab --version ${start.toFixed(0)} ms wall (${startCpu} ms CPU)\n`);
  }
  rmSync(cache, { recursive: true, force: true });
  return {
    file: FLAGSHIP_FILE,
    runs: s.warmWallMs.length,
    firstWallMs: round(median(s.firstWallMs)),
    firstCpuMs: median(s.firstCpuMs),
    coldWallMs: round(median(s.coldWallMs)),
    warmWallMs: round(median(s.warmWallMs)),
    coldCpuMs: median(s.coldCpuMs),
    warmCpuMs: median(s.warmCpuMs),
    editedWallMs: round(median(s.editedWallMs)),
    editedCpuMs: median(s.editedCpuMs),
    startWallMs: round(median(s.startWallMs)),
    startCpuMs: median(s.startCpuMs),
    goalMs: GOALS.validateMs,
    samples: { firstWallMs: s.firstWallMs.map((x) => round(x)), firstCpuMs: s.firstCpuMs, coldWallMs: s.coldWallMs.map((x) => round(x)), warmWallMs: s.warmWallMs.map((x) => round(x)), coldCpuMs: s.coldCpuMs, warmCpuMs: s.warmCpuMs, editedWallMs: s.editedWallMs.map((x) => round(x)), editedCpuMs: s.editedCpuMs, startWallMs: s.startWallMs.map((x) => round(x)), startCpuMs: s.startCpuMs },
  };
}

/**
 * CPU time (user + system) of this process's waited-for children and their waited-for children,
 * in ms (cutime + cstime of /proc/self/stat, 10 ms ticks): a figure of validate's work that other
 * load on the machine does not stretch, unlike its wall time.
 */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

// ---------------------------------------------------------------------------------------------
// Peers: Debian's Mininet side by side (--peers)
//
// Mininet runs inside a network namespace of the bench's own (podlab-bench-peer-<n>) and a PID
// namespace of its own (unshare --pid --fork --mount-proc --kill-child, see scripts/mininet-peer.py):
// its switches and links are made inside that network namespace, its hosts in namespaces of
// their own linked only to it, and its processes all die when the bench kills its one child
// (the kernel kills a PID namespace's processes when its first process dies). After each run the
// bench also kills, by pid, whatever still runs in that PID or network namespace, then deletes
// the network namespace. It never runs `mn -c`. The host's root namespace is compared before,
// during and after (links, routes, named namespaces, the sysctls Mininet's fixLimits would set).

const PEER_DRIVER = join(ROOT, 'scripts/mininet-peer.py');
const PEER_PYTHON = '/usr/bin/python3'; // Debian's, where python3-mininet lives (not a pyenv shim)
const PEER_NETNS_PREFIX = 'podlab-bench-peer-';
/** The sysctls Mininet's fixLimits raises (the driver disables it); checked unchanged. */
const PEER_SYSCTLS = ['fs/file-max', 'net/core/wmem_max', 'net/core/rmem_max', 'net/ipv4/tcp_rmem', 'net/ipv4/tcp_wmem', 'net/core/netdev_max_backlog', 'net/ipv4/neigh/default/gc_thresh1', 'net/ipv4/route/max_size', 'kernel/pty/max'];

/** One comparison: a podlab lab against a Mininet topology. */
interface PeerPair {
  id: 'peer-flagship' | 'peer-10x10' | 'peer-cli';
  podlab: string;
  mininet: string;
  /** The ratio the issue sets a goal for. */
  goal: { figure: 'up' | 'upDown'; max: number };
}

const PEER_PAIRS: PeerPair[] = [
  { id: 'peer-flagship', podlab: 'flagship (library)', mininet: 'single,12 (Python API)', goal: { figure: 'upDown', max: GOALS.peerFlagshipUpDown } },
  { id: 'peer-10x10', podlab: '10x10 (library)', mininet: 'linear,10,10 (Python API)', goal: { figure: 'up', max: GOALS.peer10x10Up } },
  { id: 'peer-cli', podlab: 'flagship: podlab up, podlab down (CLI)', mininet: 'mn --topo single,12 --switch lxbr --controller none --test none', goal: { figure: 'upDown', max: GOALS.peerFlagshipUpDown } },
];

/** One side's figures: medians of up, down (call returned), the kernel's clean-up after it, and their sum. */
interface PeerSide {
  upMs: number;
  downMs: number;
  /** Time from down's return until the kernel's clean-up was over (cleanupAfterDown()). */
  cleanupMs: number;
  /** up + down + clean-up, per run, then the median. */
  upDownMs: number;
  /** Runs whose clean-up was not measured: the machine never went quiet within --settle-max. */
  cappedCleanups: number;
}

interface PeerResult {
  id: string;
  podlabSide: string;
  mininetSide: string;
  runs: number;
  podlab: PeerSide;
  mininet: PeerSide;
  /** podlab / Mininet; down and upDown include the clean-up after down; up and down null against `mn` (one process). */
  ratios: { up: number | null; down: number | null; upDown: number };
  goal: { figure: 'up' | 'upDown'; max: number; ok: boolean };
  /** Which went first in each run (alternating). */
  order: ('podlab' | 'mininet')[];
  samples: { podlab: Sample[]; mininet: Sample[] };
}

interface Sample {
  upMs: number;
  downMs: number;
  cleanupMs: number;
  capped: boolean;
}

interface RootSnapshot {
  links: string[];
  routes: string;
  routes6: string;
  netns: string[];
  sysctls: Record<string, string>;
}

/** The root namespace as `ip` shows it, and the sysctls above. */
async function rootSnapshot(): Promise<RootSnapshot> {
  const out = async (argv: string[]) => (await must(realExecutor, argv)).stdout;
  const links = (await out(['ip', '-o', 'link', 'show'])).split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]!).sort();
  const netns = (await out(['ip', '-all', 'netns', 'list'])).split('\n').filter(Boolean).map((l) => l.split(' ')[0]!).sort();
  const sysctls = Object.fromEntries(PEER_SYSCTLS.map((k) => [k, readOrEmpty(`/proc/sys/${k}`)]));
  return { links, routes: await out(['ip', 'route', 'show', 'table', 'all']), routes6: await out(['ip', '-6', 'route', 'show', 'table', 'all']), netns, sysctls };
}

const readOrEmpty = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
};

/**
 * What changed in the root namespace. Named namespaces `podlab-…` are other labs' (engineers run
 * live tests on this machine at the same time): only other names count, and the bench's own
 * peer namespaces must be gone afterwards.
 */
function rootDiff(a: RootSnapshot, b: RootSnapshot, after: boolean): string[] {
  const diffs: string[] = [];
  const added = (x: string[], y: string[]) => y.filter((n) => !x.includes(n));
  for (const l of added(a.links, b.links)) diffs.push(`link added: ${l}`);
  for (const l of added(b.links, a.links)) diffs.push(`link gone: ${l}`);
  if (a.routes !== b.routes) diffs.push('IPv4 routes changed');
  if (a.routes6 !== b.routes6) diffs.push('IPv6 routes changed');
  for (const n of added(a.netns, b.netns)) if (!n.startsWith('podlab-') || (after && n.startsWith(PEER_NETNS_PREFIX))) diffs.push(`named netns added: ${n}`);
  for (const [k, v] of Object.entries(a.sysctls)) if (b.sysctls[k] !== v) diffs.push(`sysctl ${k}: ${v} → ${b.sysctls[k]}`);
  return diffs;
}

/** The bench's peer namespaces and the Mininet child of each, for clean-up on any exit path. */
const peerRuns = new Map<string, { pid?: number; pidns?: string }>();
let peerSeq = 0;

/** Every process whose PID namespace is `pidns` (an `pid:[inode]` link text). */
function pidsInPidns(pidns: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) === pidns) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** The first child of a process (unshare's child: the PID namespace's first process). */
function childOf(pid: number): number | undefined {
  const c = readOrEmpty(`/proc/${pid}/task/${pid}/children`).split(/\s+/).filter(Boolean);
  return c.length ? Number(c[0]) : undefined;
}

/** Kills by pid whatever runs in a peer run's PID or network namespace, then deletes the namespace. */
async function cleanUpPeer(netns: string): Promise<void> {
  const run = peerRuns.get(netns);
  const pids = new Set<number>();
  if (run?.pid) pids.add(run.pid);
  if (run?.pidns) for (const p of pidsInPidns(run.pidns)) pids.add(p);
  for (const p of pidsInNetns([netns])) pids.add(p.pid);
  pids.delete(process.pid);
  const { exited } = killNow(realExecutor, [...pids].map((p) => recordOf(p)));
  await exited;
  await realExecutor.run(['ip', 'netns', 'del', netns]);
  peerRuns.delete(netns);
}

/** A Mininet process in a new peer namespace; its stdout read line by line. */
async function startMininet(args: string[]): Promise<{ netns: string; child: ReturnType<typeof execa>; line: () => Promise<string> }> {
  const netns = `${PEER_NETNS_PREFIX}${process.pid}-${++peerSeq}`;
  await must(realExecutor, ['ip', 'netns', 'add', netns]);
  peerRuns.set(netns, {});
  const child = execa('ip', ['netns', 'exec', netns, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child', PEER_PYTHON, PEER_DRIVER, ...args], { reject: false, stdin: 'pipe', buffer: false, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  peerRuns.set(netns, { pid: child.pid });
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  let partial = '';
  child.stdout!.on('data', (b: Buffer) => {
    partial += b.toString();
    for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
      const l = partial.slice(0, i);
      partial = partial.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const ended = child.then((r) => `exited ${r.exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const line = () =>
    lines.length
      ? Promise.resolve(lines.shift()!)
      : Promise.race([new Promise<string>((r) => waiters.push(r)), ended.then((why) => Promise.reject(new Error(`Mininet ${args.join(' ')} ${why}`)))]);
  // The PID namespace: that of unshare's child, once it exists.
  for (let i = 0; i < 200 && child.pid; i++) {
    const first = childOf(child.pid);
    const ns = first && readlinkSafe(`/proc/${first}/ns/pid`);
    if (ns && ns !== readlinkSafe('/proc/self/ns/pid')) {
      peerRuns.set(netns, { pid: child.pid, pidns: ns });
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { netns, child, line };
}

const readlinkSafe = (p: string) => {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
};

/** What the peer runs saw of the host: links in the peer namespace while up, and root-namespace changes. */
const peerHost = { linksInPeerNetnsWhileUp: [] as number[], rootDiffsWhileUp: [] as string[] };

/** One Mininet run through its Python API: up, then down, each after settle(); the clean-up after down. */
async function mininetApiOnce(topo: string, base: RootSnapshot): Promise<Sample> {
  const m = await startMininet(['api', topo]);
  try {
    if ((await m.line()) !== 'ready') throw new Error('Mininet driver did not start');
    await settle();
    m.child.stdin!.write('up\n');
    const up = JSON.parse(await track(m.line())) as { upMs: number };
    const links = (await must(realExecutor, ['ip', '-n', m.netns, '-o', 'link', 'show'])).stdout.split('\n').filter(Boolean).length;
    peerHost.linksInPeerNetnsWhileUp.push(links);
    peerHost.rootDiffsWhileUp.push(...rootDiff(base, await rootSnapshot(), false));
    await settle();
    const base0 = await probeBaseline();
    m.child.stdin!.write('down\n');
    const dn = JSON.parse(await track(m.line())) as { downMs: number };
    const after = await cleanupAfterDown(base0);
    await m.child;
    return { upMs: up.upMs, downMs: dn.downMs, cleanupMs: after.busyMs, capped: after.capped };
  } finally {
    await cleanUpPeer(m.netns);
  }
}

/** `mn` in one process (up and down): wall time, then the clean-up after it. */
async function mininetCliOnce(topo: string): Promise<Sample> {
  await settle();
  const base0 = await probeBaseline();
  const t = performance.now();
  const m = await startMininet(['cli', '--topo', topo, '--switch', 'lxbr', '--controller', 'none', '--test', 'none']);
  try {
    const r = await track(m.child);
    const wall = performance.now() - t;
    if (r.exitCode !== 0) throw new Error(`mn --topo ${topo} failed (${r.exitCode})`);
    const after = await cleanupAfterDown(base0);
    // One process builds and removes: its wall time is reported as up, down as 0.
    return { upMs: wall, downMs: 0, cleanupMs: after.busyMs, capped: after.capped };
  } finally {
    await cleanUpPeer(m.netns);
  }
}

/** podlab through the library: up, down, the clean-up after down. */
async function podlabLibOnce(lab: Lab, plan: Plan, rendered: ReturnType<typeof render>): Promise<Sample> {
  made.add(lab.name);
  await settle();
  const [, upMs] = await timed(() => up(plan, rendered));
  await settle();
  const base0 = await probeBaseline();
  const [, downMs] = await timed(() => down(lab.name));
  made.delete(lab.name);
  const after = await cleanupAfterDown(base0);
  return { upMs, downMs, cleanupMs: after.busyMs, capped: after.capped };
}

/** podlab through the CLI: `podlab up`, `podlab down` (two processes), the clean-up after down. */
async function podlabCliOnce(file: string, lab: string): Promise<Sample> {
  made.add(lab);
  await settle();
  const [u, upMs] = await timed(() => execa(PODLAB, ['up', file], { cwd: ROOT, reject: false }));
  if (u.exitCode !== 0) throw new Error(`podlab up ${file} failed (${u.exitCode}): ${u.stderr}`);
  await settle();
  const base0 = await probeBaseline();
  const [d, downMs] = await timed(() => execa(PODLAB, ['down', lab], { cwd: ROOT, reject: false }));
  if (d.exitCode !== 0) throw new Error(`podlab down ${lab} failed (${d.exitCode}): ${d.stderr}`);
  made.delete(lab);
  const after = await cleanupAfterDown(base0);
  return { upMs, downMs, cleanupMs: after.busyMs, capped: after.capped };
}

function peerSide(xs: Sample[]): PeerSide {
  return {
    upMs: round(median(xs.map((x) => x.upMs))),
    downMs: round(median(xs.map((x) => x.downMs))),
    cleanupMs: round(median(xs.map((x) => x.cleanupMs))),
    upDownMs: round(median(xs.map((x) => x.upMs + x.downMs + x.cleanupMs))),
    cappedCleanups: xs.filter((x) => x.capped).length,
  };
}

async function benchPeer(pair: PeerPair, runs: number): Promise<PeerResult> {
  const base = await rootSnapshot();
  let podlabOnce: () => Promise<Sample>;
  let mininetOnce: () => Promise<Sample>;
  if (pair.id === 'peer-cli') {
    const lab = 'bench-flagship-cli';
    mkdirSync(TMP, { recursive: true });
    const file = join(TMP, `${lab}.lab.ts`);
    writeFileSync(file, readFileSync(join(ROOT, FLAGSHIP_FILE), 'utf8').replace(/name: 'pod-networking'/, `name: '${lab}'`));
    if (readState(lab) || labNamespacesOnHost(lab).length) await down(lab);
    podlabOnce = () => podlabCliOnce(file, lab);
    mininetOnce = () => mininetCliOnce('single,12');
  } else {
    const size = SIZES.find((x) => x.id === (pair.id === 'peer-flagship' ? 'flagship' : '10x10'))!;
    const lab = await size.lab();
    const plan = buildPlan(lab);
    const rendered = render(plan);
    if (readState(lab.name) || labNamespacesOnHost(lab.name).length) await down(lab.name);
    podlabOnce = () => podlabLibOnce(lab, plan, rendered);
    mininetOnce = () => mininetApiOnce(pair.id === 'peer-flagship' ? 'single,12' : 'linear,10,10', base);
  }
  const samples = { podlab: [] as Sample[], mininet: [] as Sample[] };
  const order: ('podlab' | 'mininet')[] = [];
  for (let i = 0; i < runs && !interrupted; i++) {
    const first = i % 2 === 0 ? 'podlab' : 'mininet';
    order.push(first);
    process.stderr.write(`  ${pair.id}: run ${i + 1}/${runs}, ${first} first`);
    for (const who of first === 'podlab' ? (['podlab', 'mininet'] as const) : (['mininet', 'podlab'] as const)) {
      if (interrupted) break;
      samples[who].push(await (who === 'podlab' ? podlabOnce() : mininetOnce()));
    }
    const f = (x?: Sample) => (x ? `up ${x.upMs.toFixed(0)} down ${x.downMs.toFixed(0)} +${x.cleanupMs.toFixed(0)}${x.capped ? ' (capped)' : ''} ms` : '-');
    process.stderr.write(` — podlab ${f(samples.podlab.at(-1))}; Mininet ${f(samples.mininet.at(-1))}\n`);
  }
  const p = peerSide(samples.podlab);
  const m = peerSide(samples.mininet);
  // mn builds and removes in one process: only up+down compares with it.
  const one = pair.id === 'peer-cli';
  const ratios = { up: one ? null : round(p.upMs / m.upMs, 2), down: one ? null : round((p.downMs + p.cleanupMs) / (m.downMs + m.cleanupMs), 2), upDown: round(p.upDownMs / m.upDownMs, 2) };
  const roundSample = (x: Sample): Sample => ({ upMs: round(x.upMs), downMs: round(x.downMs), cleanupMs: round(x.cleanupMs), capped: x.capped });
  return {
    id: pair.id,
    podlabSide: pair.podlab,
    mininetSide: pair.mininet,
    runs: Math.min(samples.podlab.length, samples.mininet.length),
    podlab: p,
    mininet: m,
    ratios,
    goal: { ...pair.goal, ok: (ratios[pair.goal.figure] ?? Infinity) <= pair.goal.max },
    order,
    samples: { podlab: samples.podlab.map(roundSample), mininet: samples.mininet.map(roundSample) },
  };
}

interface PeersResult {
  mininet: { version: string; switch: 'LinuxBridge (lxbr)'; controller: 'none' };
  pairs: PeerResult[];
  host: { rootNamespaceUnchanged: boolean; diffsAfter: string[]; diffsWhileUp: string[]; linksInPeerNetnsWhileUp: number[] };
}

async function benchPeers(runs: number, only: string[] | undefined): Promise<PeersResult> {
  if (!existsSync('/usr/bin/mn') || !existsSync('/usr/sbin/brctl')) {
    process.stderr.write('--peers: Mininet or bridge-utils missing: running scripts/setup-bench.sh\n');
    await execa('bash', [join(ROOT, 'scripts/setup-bench.sh')], { stdio: 'inherit' });
  }
  // A peer namespace of a bench that was killed outright (its Mininet died with its stdin): delete it.
  for (const name of readdirSync(NETNS_RUN_DIR).filter((n) => n.startsWith(PEER_NETNS_PREFIX))) {
    const pid = Number(name.slice(PEER_NETNS_PREFIX.length).split('-')[0]);
    if (pid !== process.pid && !existsSync(`/proc/${pid}`)) {
      peerRuns.set(name, {});
      await cleanUpPeer(name);
    }
  }
  const version = (await execa(PEER_PYTHON, ['-c', 'import mininet.net; print(mininet.net.VERSION)'], { reject: false })).stdout.trim();
  const before = await rootSnapshot();
  const pairs: PeerResult[] = [];
  for (const pair of PEER_PAIRS) {
    if (interrupted) break;
    if (only && !only.includes('peers') && !only.includes(pair.id)) continue;
    pairs.push(await benchPeer(pair, runs));
  }
  const diffsAfter = rootDiff(before, await rootSnapshot(), true);
  return {
    mininet: { version, switch: 'LinuxBridge (lxbr)', controller: 'none' },
    pairs,
    host: { rootNamespaceUnchanged: !diffsAfter.length && !peerHost.rootDiffsWhileUp.length, diffsAfter, diffsWhileUp: [...new Set(peerHost.rootDiffsWhileUp)], linksInPeerNetnsWhileUp: peerHost.linksInPeerNetnsWhileUp },
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const ok = (good: boolean) => (good ? 'ok' : 'MISSED');
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** Which fields of a result and its floors belong to `up` and which to `down`, with the goal. */
const PHASE_KEYS = {
  up: { ms: 'upMs', floor: 'floorUpMs', over: 'upOverFloor', ratio: 'upRatio', goal: GOALS.upRatio },
  down: { ms: 'downMs', floor: 'floorDownMs', over: 'downOverFloor', ratio: 'downRatio', goal: GOALS.downRatio },
} as const;

function report(sizes: SizeResult[], cli: CliResult | undefined, runs: number, validate?: ValidateResult, peers?: PeersResult, failFast?: FailFastResult): string {
  const lines: string[] = [];
  lines.push(`podlab benchmark — median of ${runs} run(s), ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}, kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`);
  if (sizes.length) {
    lines.push('');
    lines.push(
      table([
        ['lab', 'nodes', 'pods', 'netns', 'up', 'floor', `ratio (≤${GOALS.upRatio})`, 'down', 'floor', `ratio (≤${GOALS.downRatio})`, `pause RSS (≤${GOALS.podRssMiB} MiB)`],
        ...sizes.map((r) => [
          r.id,
          String(r.nodes),
          String(r.pods),
          String(r.namespaces),
          `${r.upMs} ms`,
          `${r.floorUpMs} ms`,
          `${r.upRatio.toFixed(2)} ${ok(r.upRatio <= GOALS.upRatio)}`,
          `${r.downMs} ms`,
          `${r.floorDownMs} ms`,
          `${r.downRatio.toFixed(2)} ${ok(r.downRatio <= GOALS.downRatio)}`,
          `${mib(r.pauseRssKiB.median)} ${ok(r.pauseRssKiB.max / 1024 <= GOALS.podRssMiB)}`,
        ]),
      ]),
    );
    lines.push('');
    lines.push('');
    lines.push('podlab against floors with more of what its design requires. CNI floor: the same namespaces and node batches, and one CNI ADD per pod');
    lines.push('through the same plugins. Sandbox floor: that, and a bare pause process per pod. Neither has tables, DNS or a journal. "× floor" is a floor');
    lines.push('over the plain floor: the lowest ratio to the floor that any tool paying for those plugins (and processes) could reach.');
    for (const phase of ['up', 'down'] as const) {
      const k = PHASE_KEYS[phase];
      const over = (f: OtherFloor) => [`${f[k.ms]} ms`, `${f[k.over].toFixed(2)} ${f[k.over] <= k.goal ? 'yes' : 'no'}`];
      lines.push('');
      lines.push(
        table([
          [phase, 'podlab', 'floor', 'CNI floor', `× floor (≤${k.goal}?)`, 'sandbox floor', `× floor (≤${k.goal}?)`, 'podlab / CNI floor', 'podlab / sandbox floor'],
          ...sizes.map((r) => [r.id, `${r[k.ms]} ms`, `${r[k.floor]} ms`, ...over(r.cniFloor), ...over(r.sandboxFloor), r.cniFloor[k.ratio].toFixed(2), r.sandboxFloor[k.ratio].toFixed(2)]),
        ]).replace(/^/gm, '  '),
      );
    }
    lines.push('');
    // Issue 28's goals: podlab's own overhead, judged against the sandbox floor.
    lines.push(`  podlab / sandbox floor, goal ≤ ${GOALS.sandboxUpRatio} each: up ${sizes.map((r) => `${r.id} ${r.sandboxFloor.upRatio.toFixed(2)} ${ok(r.sandboxFloor.upRatio <= GOALS.sandboxUpRatio)}`).join(', ')}; down ${sizes.map((r) => `${r.id} ${r.sandboxFloor.downRatio.toFixed(2)} ${ok(r.sandboxFloor.downRatio <= GOALS.sandboxDownRatio)}`).join(', ')}`);
    for (const r of sizes) if (r.dnsServesMs !== undefined) lines.push(`  ${r.id}: the DNS server itself serves ${r.dnsServesMs} ms after up's start (up returns at ${r.upMs} ms with its sockets bound: a query meanwhile waits in them)`);
    lines.push(`  machine CPU busy during up (all processes, 10 ms ticks): ${sizes.map((r) => `${r.id} podlab ${r.upCpuMs.podlab} ms, sandbox floor ${r.upCpuMs.sandboxFloor} ms (${(r.upCpuMs.podlab / r.upCpuMs.sandboxFloor).toFixed(2)}×)`).join('; ')}`);
    // What of it was podlab's own code, and what the programs it starts: with podlab's own costing
    // nothing, a CPU-bound `up` would still stand at about the programs' ratio to the floor's.
    lines.push(`  of which podlab's own (its process and spawner) vs the bench's floor code: ${sizes.map((r) => `${r.id} ${r.upCpuMs.podlabOwn} vs ${r.upCpuMs.sandboxFloorOwn} ms`).join('; ')}`);
    lines.push(`  the rest, the programs started and the kernel's work for them: ${sizes.map((r) => { const a = r.upCpuMs.podlab - r.upCpuMs.podlabOwn; const b = r.upCpuMs.sandboxFloor - r.upCpuMs.sandboxFloorOwn; return `${r.id} ${a} vs ${b} ms (${(a / b).toFixed(2)}×)`; }).join('; ')}`);
    for (const r of sizes) lines.push(`  ${r.id}: plan+render ${r.planRenderMs} ms; up by step: ${Object.entries(r.upSteps).map(([k, v]) => `${k} ${v} ms`).join(', ')}; bench process peak RSS ${mib(r.benchPeakRssKiB)}; waited for a quiet machine before each phase ${r.settleMs.median} ms (longest ${r.settleMs.max} ms)`);
  }
  if (cli) {
    lines.push('');
    lines.push(`flagship through the CLI (podlab up ${cli.file}, renamed bench-flagship-cli):`);
    lines.push(`  up ${cli.upWallMs} ms wall (goal ≤ ${GOALS.flagshipCliUpMs} ms: ${ok(cli.upWallMs <= GOALS.flagshipCliUpMs)}); up reports ${cli.upReportedMs} ms after Node start-up; down ${cli.downWallMs} ms wall; peak RSS of the podlab process ${mib(cli.peakRssKiB)}`);
    lines.push(`  on the live lab, wall: status ${cli.liveMs.status} ms, exec client -- true ${cli.liveMs.exec} ms, check ${cli.liveMs.check} ms, trace client web-2 ${cli.liveMs.trace} ms, graph -f svg ${cli.liveMs.graphSvg} ms (again, its layout kept: ${cli.liveMs.graphSvgAgain} ms); the whole CLI's start (--version) ${cli.liveMs.wholeCli} ms; Node alone (node -e 0) ${cli.liveMs.node} ms as podlab starts it, ${cli.liveMs.nodeAsGiven ?? '?'} ms with this environment${process.env.NODE_EXTRA_CA_CERTS !== undefined ? ' (NODE_EXTRA_CA_CERTS set)' : ''}`);
  }
  if (validate) {
    lines.push('');
    lines.push(`CLI validate (podlab validate ${validate.file}, type check included): nothing built (the package's snapshot of the type check removed: what scripts/setup.sh pays once) ${validate.firstWallMs ?? '?'} ms wall, ${validate.firstCpuMs ?? '?'} ms CPU; cold (an empty type-check cache: a new user's first) ${validate.coldWallMs} ms wall, ${validate.coldCpuMs} ms CPU (goal ≤ ${validate.goalMs} ms: ${ok(validate.coldWallMs <= validate.goalMs)}); warm ${validate.warmWallMs} ms wall, ${validate.warmCpuMs} ms CPU (goal ≤ ${validate.goalMs} ms: ${ok(validate.warmWallMs <= validate.goalMs)}); an edited copy ${validate.editedWallMs} ms wall, ${validate.editedCpuMs} ms CPU (goal ≤ ${validate.goalMs} ms: ${ok(validate.editedWallMs <= validate.goalMs)}); podlab --version ${validate.startWallMs} ms wall, ${validate.startCpuMs} ms CPU`);
  }
  if (failFast) {
    lines.push('');
    lines.push(`fail fast (a tcp check refused by a pod, timeout ${failFast.timeoutMs} ms; median of ${failFast.runs}): failed after ${failFast.failFastMs} ms, ${failFast.afterSettledMs} ms after the refusal was first seen (goal ≤ ${failFast.goalMs} ms: ${ok(failFast.afterSettledMs <= failFast.goalMs)}); without fail fast ${failFast.eventualMs} ms (${(failFast.failFastMs / failFast.eventualMs).toFixed(2)}×)`);
    const p = failFast.policyDrop;
    if (p)
      lines.push(
        `fail fast, a tcp check a NetworkPolicy drops: failed after ${p.failFastMs} ms (one attempt: 250 ms of silence, the drop rule's counter read around it), ${p.afterSettledMs} ms after the drop was first seen (goal ≤ ${failFast.goalMs} ms: ${ok(p.afterSettledMs <= failFast.goalMs)}); without fail fast ${p.eventualMs} ms (${(p.failFastMs / p.eventualMs).toFixed(2)}×). A check expecting the drop passes after ${p.blockedMs} ms; without the runner's policy prediction ${p.blockedUnpredictedMs} ms (${(p.blockedMs / p.blockedUnpredictedMs).toFixed(2)}×)`,
      );
  }
  if (peers) {
    lines.push('');
    lines.push(`Debian's Mininet ${peers.mininet.version} side by side (Linux-bridge switches, no controller, in a network namespace of the bench's own; median of ${runs}, alternating which goes first).`);
    lines.push(`down counts the kernel's clean-up after it returns (until an RTNL probe answers as fast as before the down for ${CLEANUP_QUIET_MS} ms); up+down is their sum.`);
    const side = (x: PeerSide) => `${x.upMs} / ${x.downMs} +${x.cleanupMs}${x.cappedCleanups ? ` (${x.cappedCleanups} capped)` : ''} / ${x.upDownMs} ms`;
    lines.push(
      table([
        ['pair', 'podlab: up / down +clean-up / up+down', 'Mininet: up / down +clean-up / up+down', 'up ×', 'down ×', 'up+down ×', 'goal'],
        ...peers.pairs.map((p) => [`${p.podlabSide} vs ${p.mininetSide}`, side(p.podlab), side(p.mininet), p.ratios.up?.toFixed(2) ?? '-', p.ratios.down?.toFixed(2) ?? '-', p.ratios.upDown.toFixed(2), `${p.goal.figure === 'up' ? 'up' : 'up+down'} ≤ ${p.goal.max}×: ${ok(p.goal.ok)}`]),
      ]).replace(/^/gm, '  '),
    );
    lines.push(`  (mn: one process builds and removes, so its whole wall time is under up.) Host's root namespace unchanged: ${peers.host.rootNamespaceUnchanged ? 'yes' : `NO — ${[...peers.host.diffsWhileUp, ...peers.host.diffsAfter].join('; ')}`}; links inside the peer namespace while up: ${[...new Set(peers.host.linksInPeerNetnsWhileUp)].join(', ')}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const host = await checkHost();
  if (host.length) {
    for (const d of host) process.stderr.write(`${d.code} ${d.message}\n`);
    return 2;
  }
  if ((await probeKernel(['veth', 'bridge', 'vxlan'])).length) {
    process.stderr.write('this kernel lacks veth, bridge or VXLAN, which the bench labs need\n');
    return 2;
  }
  // `on`, not `once`: execa's exit hook (signal-exit), there while a child runs, raises the signal
  // again once it is the last listener, which would kill the bench before its clean-up.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  made.add(SETTLE_LAB);
  if (labNamespacesOnHost(SETTLE_LAB).length) await down(SETTLE_LAB);
  await must(realExecutor, ['ip', 'netns', 'add', SETTLE_NETNS]);
  const sizes: SizeResult[] = [];
  let cli: CliResult | undefined;
  let validate: ValidateResult | undefined;
  let peers: PeersResult | undefined;
  let failFast: FailFastResult | undefined;
  const wants = (id: string) => !args.only || args.only.includes(id);
  try {
    for (const size of SIZES) {
      if (interrupted) break;
      if (!wants(size.id)) continue;
      sizes.push(await benchSize(size, args.runs));
    }
    if (!interrupted && wants('cli')) cli = await benchCli(args.runs);
    if (!interrupted && wants('validate')) validate = await benchValidate(args.runs);
    if (!interrupted && wants('failfast')) failFast = await benchFailFast(args.runs);
    if (!interrupted && args.peers && (!args.only || args.only.some((o) => o === 'peers' || o.startsWith('peer-')))) peers = await benchPeers(args.runs, args.only);
  } finally {
    if (!interrupted) await cleanUp();
  }
  if (interrupted) return new Promise(() => undefined); // the signal handler exits once down is done
  process.stdout.write(`${report(sizes, cli, args.runs, validate, peers, failFast)}\n`);
  const git = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false });
  const ipv = await execa('ip', ['-V'], { reject: false });
  const measured = { at: new Date().toISOString(), commit: git.stdout.trim(), command: `node --import tsx scripts/bench.ts ${process.argv.slice(2).join(' ')}`.trim(), loadavg1mAtEnd: round(loadavg()[0]!, 2) };
  const existing = existsSync(args.out) ? (JSON.parse(readFileSync(args.out, 'utf8')) as Record<string, unknown>) : {};
  const header = {
    version: 1,
    at: measured.at,
    commit: measured.commit,
    command: measured.command,
    machine: { loadavg1mAtEnd: measured.loadavg1mAtEnd, cpus: cpus().length, cpuModel: cpus()[0]?.model, kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), node: process.version, nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS !== undefined, iproute2: ipv.stdout.trim() },
    goals: GOALS,
    floorConcurrency: FLOOR_CONCURRENCY,
  };
  const out = mergeRun(existing, { header, sections: { sizes: sizes.length ? sizes : undefined, cli, validate, peers, failFast }, measured }, !!args.only, SIZES.map((z) => z.id));
  // latest.json itself, or (another --out in bench/results, as --cni writes) a suite recorded in it.
  writeBenchResult(args.out, out, { commit: measured.commit });
  process.stdout.write(`\nwritten: ${args.out}\n`);
  return 0;
}

process.exitCode = await main().catch((e: unknown) => {
  // After Ctrl-C or SIGTERM the clean-up removes what a step still uses (settle()'s probe namespace
  // among them): that step's failure is the interruption's, and onSignal exits 130 once done.
  if (interrupted) return 130;
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  return 2;
});
