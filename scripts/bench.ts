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
 *   - the idle pod sandbox's RSS (VmRSS of each pause process).
 * Then the flagship lab through the CLI (`node bin/podlab.js up <file>`, then `down`), wall time and
 * the CLI process's peak RSS. Each figure is the median of N runs. Every timed phase starts on a
 * quiet machine (settle(): the kernel frees a removed lab's namespaces after `down` returns).
 *
 *   node --import tsx scripts/bench.ts [--runs N] [--quick] [--only flagship,10x10,4x250] [--out file]
 *
 * Every lab it makes is named `bench-…`, and is removed again in `finally`, on Ctrl-C and on SIGTERM
 * (after the step in flight has finished, so nothing is started behind `down`'s back).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { compileLab, validateValue } from '../src/compile/compile.ts';
import { NETNS_RUN_DIR } from '../src/constants.ts';
import type { Lab } from '../src/compile/lab.ts';
import type { LabSpec, PodSpec } from '../src/index.ts';
import { buildPlan, type Plan } from '../src/plan/plan.ts';
import { labNamespaces, render } from '../src/render/render.ts';
import { down, labNamespacesOnHost } from '../src/runtime/down.ts';
import { cniAdd } from '../src/runtime/cni.ts';
import { must, parallel, realExecutor, spawnDaemon } from '../src/runtime/exec.ts';
import { checkHost, PAUSE_BIN, probeKernel } from '../src/runtime/host.ts';
import { killNow, recordOf } from '../src/runtime/procs.ts';
import { readState, type ProcessRecord } from '../src/runtime/state.ts';
import { mountStateDir, unmountStateDir } from '../src/runtime/statefs.ts';
import { up } from '../src/runtime/up.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TMP = join(ROOT, 'bench/.tmp');

/** The goals of issue 6, printed next to the figures. */
const GOALS = { upRatio: 1.5, downRatio: 1.2, flagshipCliUpMs: 1500, podRssMiB: 2 };
/** The floor's batches run this many at a time (as many as podlab wires pods at once). */
const FLOOR_CONCURRENCY = 8;

// ---------------------------------------------------------------------------------------------
// Arguments

interface Args {
  runs: number;
  only?: string[];
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 3, out: join(ROOT, 'bench/results/latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.runs = 1;
    else if (a === '--runs') args.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--only') args.only = argv[++i]!.split(',');
    else if (a === '--out') args.out = argv[++i]!;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node --import tsx scripts/bench.ts [--runs N (default 3)] [--quick (1 run)] [--only flagship,10x10,4x250] [--out file]\n');
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
  return { name, nodes: Object.fromEntries(nodeNames.map((n) => [n, {}])), podCidr: '10.244.0.0/16', podCidrMaskSize, cni: 'flannel', pods };
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
  void inFlight.then(cleanUp).finally(() => process.exit(130));
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
  while (quiet < SETTLE.windows && performance.now() - t < SETTLE.maxMs) {
    // One window: probes every SETTLE.probeEveryMs; the CPU share over the whole window (the clock
    // ticks of /proc/stat are 10 ms, too coarse for anything shorter).
    const a = cpuTicks();
    const w = performance.now();
    let slowest = 0;
    while (performance.now() - w < SETTLE.windowMs) {
      const p = performance.now();
      await must(realExecutor, ['ip', '-n', SETTLE_NETNS, 'link', 'set', 'lo', 'up']);
      slowest = Math.max(slowest, performance.now() - p);
      await new Promise((r) => setTimeout(r, SETTLE.probeEveryMs));
    }
    const b = cpuTicks();
    const busy = b.all > a.all ? (b.busy - a.busy) / (b.all - a.all) : 0;
    quiet = busy <= SETTLE.busyFraction && slowest <= SETTLE.probeMs ? quiet + 1 : 0;
  }
  return performance.now() - t;
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
  for (let i = 0; i < runs; i++) {
    if (interrupted) break;
    process.stderr.write(`  ${size.id}: run ${i + 1}/${runs}: podlab`);
    made.add(lab.name);
    let last = 0;
    let lastStep = '';
    settles.push(await settle());
    const t = performance.now();
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
      f.ups.push((await timed(f.up))[1]);
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
  samples: { upWallMs: number[]; downWallMs: number[]; upReportedMs: number[]; peakRssKiB: number[] };
}

/**
 * The flagship lab through the CLI as a user runs it. The file is a copy of the flagship lab
 * renamed `bench-flagship-cli` (so a `pod-networking` lab someone has up is never touched); it lives
 * inside the repository so `import 'podlab'` resolves. Peak RSS comes from a preloaded module that
 * writes process.resourceUsage().maxRSS of the CLI process at exit (the lab is evaluated in a
 * child process of its own, which NODE_OPTIONS does not reach).
 */
async function benchCli(runs: number): Promise<CliResult> {
  const lab = 'bench-flagship-cli';
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, `${lab}.lab.ts`);
  const source = readFileSync(join(ROOT, FLAGSHIP_FILE), 'utf8');
  writeFileSync(file, source.replace(/name: 'pod-networking'/, `name: '${lab}'`));
  const rssFile = join(TMP, 'rss.txt');
  const probe = `data:text/javascript,${encodeURIComponent(
    `import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));`,
  )}`;
  const s = { upWallMs: [] as number[], downWallMs: [] as number[], upReportedMs: [] as number[], peakRssKiB: [] as number[] };
  if (readState(lab) || labNamespacesOnHost(lab).length) await down(lab);
  for (let i = 0; i < runs && !interrupted; i++) {
    process.stderr.write(`  cli: run ${i + 1}/${runs}`);
    made.add(lab);
    await settle();
    const [u, upMs] = await timed(() => execa('node', ['--import', probe, 'bin/podlab.js', 'up', file], { cwd: ROOT, reject: false }));
    if (u.exitCode !== 0) throw new Error(`podlab up ${file} failed (${u.exitCode}): ${u.stderr}`);
    s.peakRssKiB.push(Number(readFileSync(rssFile, 'utf8')));
    s.upReportedMs.push(Number(/is up in (\d+) ms/.exec(u.stderr)?.[1] ?? NaN));
    await settle();
    const [d, downMs] = await timed(() => execa('node', ['bin/podlab.js', 'down', lab], { cwd: ROOT, reject: false }));
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
    samples: { upWallMs: s.upWallMs.map((x) => round(x)), downWallMs: s.downWallMs.map((x) => round(x)), upReportedMs: s.upReportedMs, peakRssKiB: s.peakRssKiB },
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

function report(sizes: SizeResult[], cli: CliResult | undefined, runs: number): string {
  const lines: string[] = [];
  lines.push(`podlab benchmark — median of ${runs} run(s), ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}, kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`);
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
  for (const r of sizes) lines.push(`  ${r.id}: plan+render ${r.planRenderMs} ms; up by step: ${Object.entries(r.upSteps).map(([k, v]) => `${k} ${v} ms`).join(', ')}; bench process peak RSS ${mib(r.benchPeakRssKiB)}; waited for a quiet machine before each phase ${r.settleMs.median} ms (longest ${r.settleMs.max} ms)`);
  if (cli) {
    lines.push('');
    lines.push(`flagship through the CLI (node bin/podlab.js up ${cli.file}, renamed bench-flagship-cli):`);
    lines.push(`  up ${cli.upWallMs} ms wall (goal ≤ ${GOALS.flagshipCliUpMs} ms: ${ok(cli.upWallMs <= GOALS.flagshipCliUpMs)}); up reports ${cli.upReportedMs} ms after Node start-up; down ${cli.downWallMs} ms wall; peak RSS of the podlab process ${mib(cli.peakRssKiB)}`);
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
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  made.add(SETTLE_LAB);
  if (labNamespacesOnHost(SETTLE_LAB).length) await down(SETTLE_LAB);
  await must(realExecutor, ['ip', 'netns', 'add', SETTLE_NETNS]);
  const sizes: SizeResult[] = [];
  let cli: CliResult | undefined;
  try {
    for (const size of SIZES) {
      if (interrupted) break;
      if (args.only && !args.only.includes(size.id)) continue;
      sizes.push(await benchSize(size, args.runs));
    }
    if (!interrupted && (!args.only || args.only.includes('cli'))) cli = await benchCli(args.runs);
  } finally {
    if (!interrupted) await cleanUp();
  }
  if (interrupted) return new Promise(() => undefined); // the signal handler exits once down is done
  process.stdout.write(`${report(sizes, cli, args.runs)}\n`);
  const git = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false });
  const ipv = await execa('ip', ['-V'], { reject: false });
  const out = {
    version: 1,
    at: new Date().toISOString(),
    commit: git.stdout.trim(),
    command: `node --import tsx scripts/bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { loadavg1mAtEnd: round(loadavg()[0]!, 2), cpus: cpus().length, cpuModel: cpus()[0]?.model, kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), node: process.version, iproute2: ipv.stdout.trim() },
    goals: GOALS,
    floorConcurrency: FLOOR_CONCURRENCY,
    sizes,
    cli,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`\nwritten: ${args.out}\n`);
  return 0;
}

process.exitCode = await main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  return 2;
});
