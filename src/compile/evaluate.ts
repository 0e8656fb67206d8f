/**
 * The one evaluator of code podlab does not trust: every lab file (`validate`, `render`, `up`), every
 * exercise with its starter and solution labs, and every student's submission (`grade`) runs here,
 * never in podlab's own process and never as root. This module is responsible for the whole trip:
 * the command line that confines the child, the deadline, the caps on what it prints, and judging
 * what came back. The child runs evaluate-worker.ts (type-checked, like the rest of podlab), bundled
 * into one file of JavaScript (the evaluator, ensureEvaluator).
 *
 * As root (as `up` and `grade` run), the child is:
 *
 *   unshare --net --ipc --uts --pid --mount --fork --mount-proc --kill-child   new namespaces; the net one has only a down `lo`
 *     timeout --foreground -s KILL T+B   PID 1 of the namespace, root: a deadline that holds even if podlab dies
 *       prlimit --cpu --data --nproc --fsize=0 --nofile --core=0 --memlock=0 --msgqueue=0
 *         contain --uid U --gid U [--cgroup DIR]… --no-tmp --only VIEW…   a cgroup of its own (memory and pids of
 *                                                          all its processes together, where the host has one: lib/cgroups.ts),
 *                                                          a root of its own holding only VIEW, all read-only,
 *                                                          then uid U (its own: lib/uids.ts), no_new_privs, no capabilities
 *           node --max-old-space-size=M --experimental-vm-modules evaluator.cjs lab|exercise FILE NONCE CAP [SEED]
 *
 * VIEW is what Node needs (its binary, the system libraries), the evaluator, podlab's sources, its
 * node_modules and package.json ('podlab', esbuild, zod), and the module's own files one by one
 * (the module and the relative imports it reaches that are modules, as read from its source:
 * resolve-relative.ts) with the nearest package.json above them: not the host's /, not /etc, not
 * /home, not another student's submission, not even what else lies in the module's folder.
 * Nothing is writable: no /tmp, no /dev/shm.
 *
 * At the deadline (or past an output cap) podlab SIGKILLs the namespace's PID 1; the kernel then
 * kills everything in the namespace before unshare returns. Not root: the same without unshare and
 * contain (prlimit, the timeout and a process-group kill only, as the current user), and
 * `sandboxAvailable()` says so.
 *
 * Departures from house style, and why: the child is started with node:child_process directly, not
 * through the Executor of src/runtime/exec.ts (which sits above compile), because it needs a process
 * group of its own, an empty environment and streamed, capped output; and bin/podlab.js starts it
 * from a small bundle before the CLI has loaded (startEvaluation), where execa would cost its load.
 * The limits below live here, not in src/constants.ts, because they only mean something next to the
 * command line they shape.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from '../lib/crypto.ts';
import { chmodSync, closeSync, constants, existsSync, fstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_DIR, PACKAGE_ROOT } from '../lib/build-dir.ts';
import { acquireUid, heldByLive, releaseUid } from '../lib/uids.ts';
import { cgroupHost, evalCgroupName, makeCgroup, oomKills, removeCgroup, sweepEvalCgroups } from '../lib/cgroups.ts';
import { openWithoutLinks } from '../lib/open-beneath.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { importSpecifiers } from './eval-cache.ts';
import { resolveRelative } from './resolve-relative.ts';
import type { WorkerReport } from './evaluate-worker.ts';

export interface EvalLimits {
  /** Wall-clock limit for the whole evaluation, node's start-up included; the child is SIGKILLed after it. @default 10000 */
  timeoutMs?: number;
  /**
   * V8 heap limit (`--max-old-space-size`). The process's writable data (RLIMIT_DATA) is capped at
   * this plus {@link DATA_HEADROOM_MB}, for buffers, the young generation and Node's own.
   * @default 256
   */
  memoryMb?: number;
}

export interface EvalRequest extends EvalLimits {
  /** The module to evaluate, evaluated where it is (absolute or relative to the working directory). */
  file: string;
  /** `lab`: its default (else `lab`) export. `exercise`: `{ exercise, variant }` for `seed`. @default 'lab' */
  mode?: 'lab' | 'exercise';
  /** An exercise's variant seed (`<exercise>/<student>`). @default '' */
  seed?: string;
  /** Only the module's own folder is in view, whatever it imports (a submission's private copy). @default false */
  ownFolderOnly?: boolean;
}

export type EvalReason = 'timeout' | 'memory' | 'threw' | 'exited' | 'no-export' | 'not-data' | 'output-too-large' | 'sandbox-failed';

/** `uid`: the uid the module ran as (the full sandbox only), for tests and diagnostics. `ms`: wall time from the start. */
export type EvalResult =
  | { ok: true; value: unknown; ms: number; uid?: number }
  | {
      ok: false;
      reason: EvalReason;
      /** What happened, one line, naming the module by its file name. */
      message: string;
      /** The thrown error as the module saw it (stack or esbuild's message), for positioning (`threw`, `memory`). */
      error?: string;
      /** Where the export stops being data (`not-data`), e.g. `lab.pods.web.run is a function`. */
      problem?: string;
      /** The exit code of a module that ended its own process (`exited`). */
      exitCode?: number;
      ms: number;
      uid?: number;
    };

/** An evaluation started and not yet awaited (bin/podlab.js starts one before the CLI has loaded). */
export interface StartedEvaluation {
  /** Its result. The deadline counts from the first call, so time this process spent blocked elsewhere is not the module's. */
  result(): Promise<EvalResult>;
  /** Lets this process exit without waiting for it (an evaluation nobody took), or hold it again. */
  unref(): void;
  ref(): void;
}

/** A lab's or an exercise's limits (a submission's are the grader's: grade --timeout). */
export const LAB_LIMITS: Readonly<Required<EvalLimits>> = { timeoutMs: 20000, memoryMb: 512 };

/** What may come back on stdout (the result line and anything the module prints before it). */
export const STDOUT_CAP = 1024 * 1024;
/** Past this much stderr the child is killed; only the first STDERR_KEEP bytes are kept for the message. */
const STDERR_CAP = 1024 * 1024;
const STDERR_KEEP = 64 * 1024;
const MESSAGE_CAP = 400;
/**
 * RLIMIT_DATA above the heap limit. Measured with tsx's loader thread (until 2026-12): ~100 MB to
 * evaluate a lab; the evaluator alone needs less. RLIMIT_AS cannot be used: V8 reserves gigabytes
 * of address space up front and aborts under any AS limit small enough to matter; RLIMIT_DATA
 * counts only writable private memory, which is what grows.
 */
const DATA_HEADROOM_MB = 256;
/**
 * RLIMIT_NPROC counts every task (thread) of the real uid on the whole host. Each sandbox runs as
 * a uid of its own (PODLAB_UIDS.sandbox, held by a lock file while it runs; a uid is freed only once
 * its PID namespace is gone, and taken over only when no process runs as it), so the budget is
 * that sandbox's alone. (Not root: the current user's whole budget, which this does not protect.)
 * A sandboxed node needs ~20 tasks (main, libuv and V8 pools, esbuild's service process pinned to
 * GOMAXPROCS=1).
 */
const NPROC_HEADROOM = 64;
/**
 * The sandbox's memory cgroup (where the host has one) holds all its processes together to the
 * heap limit and {@link DATA_HEADROOM_MB}, and this for esbuild's service process and what the
 * kernel charges for their files and sockets. RLIMIT_DATA caps each process alone: a submission's
 * child processes (up to {@link NPROC_HEADROOM} tasks) would hold several times it.
 */
const CGROUP_HEADROOM_MB = 64;
const NOFILE = 128;
/**
 * The inner `timeout` (PID 1 of the sandbox) fires this long after the module's own limit: a
 * backstop if podlab dies. Generous, because podlab's own deadline counts from when the result is
 * first awaited (after a type check that may block for seconds), the backstop from the start.
 */
const BACKSTOP_S = 20;
const PATH_ENV = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

const WORKER = fileURLToPath(new URL('../../src/compile/evaluate-worker.ts', import.meta.url));
/**
 * The program the sandbox runs: evaluate-worker.ts bundled into one file of plain JavaScript,
 * built by {@link ensureEvaluator}. Beside it, `evaluator.json` records how, and from what.
 */
const EVALUATOR = join(BUILD_DIR, 'eval', 'evaluator.cjs');
/** podlab's authoring API: what `import … from 'podlab'` means in an evaluated module. */
const PODLAB_API = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
/** esbuild's JavaScript API, which the evaluator transforms TypeScript with (it finds its own binary). */
const ESBUILD_API = createRequire(import.meta.url).resolve('esbuild');
/** native/contain.c, built by native/build.sh (scripts/setup.sh, or `up`'s artifact step). */
const CONTAIN = `${BUILD_DIR}/native/contain`;
/** Where the dynamic loader and the libraries `node` links against live (those that exist here). */
const NODE_NEEDS = ['/lib', '/lib64', '/usr/lib', '/usr/lib64', '/etc/ld.so.cache'];

let probed: { ok: boolean; why?: string } | undefined;
let sweptOnce = false;

/**
 * Whether modules get the full sandbox (root: a uid of its own, own namespaces, no network, a
 * read-only view of only what they need). `ok: false` with `why` when they would run degraded (not
 * root: prlimit and a timeout only, as the current user) or not at all (root, but a tool or
 * `contain` is missing). Checked once per process, without starting anything.
 */
export function sandboxAvailable(): { ok: boolean; why?: string } {
  if (probed) return probed;
  const missing = ['prlimit', 'timeout'].filter((t) => !onPath(t));
  if (process.platform !== 'linux' || missing.length) {
    return (probed = { ok: false, why: `code cannot be confined here: ${process.platform !== 'linux' ? 'not Linux' : `${missing.join(', ')} not found`}` });
  }
  if (process.getuid?.() !== 0) {
    return (probed = { ok: false, why: 'not running as root: lab files and submissions run as the current user, with its network and files, limited only by prlimit and a timeout' });
  }
  if (!onPath('unshare')) return (probed = { ok: false, why: 'unshare not found (util-linux): cannot isolate evaluation' });
  const built = ensureContain();
  if (built) return (probed = { ok: false, why: built });
  return (probed = { ok: true });
}

/**
 * Builds native/contain when it is missing or older than its source (as `up` does for every native
 * program, src/runtime/artifacts.ts): a contain from before an option the command line uses would
 * refuse to start every evaluation. Returns why not, when it cannot.
 */
function ensureContain(): string | undefined {
  const sources = ['contain.c', 'build.sh'].map((f) => join(PACKAGE_ROOT, 'native', f)).filter((f) => existsSync(f));
  const mtime = (f: string) => statSync(f).mtimeMs;
  if (existsSync(CONTAIN) && sources.every((f) => mtime(f) <= mtime(CONTAIN))) return undefined;
  const r = spawnSync('sh', [join(PACKAGE_ROOT, 'native', 'build.sh')], { env: { PATH: PATH_ENV, PODLAB_NATIVE_OUT: dirname(CONTAIN) }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.status === 0 && existsSync(CONTAIN)) return undefined;
  return `${CONTAIN} is missing or older than native/contain.c and could not be built (${String(r.stderr ?? r.error ?? '').trim().split('\n').pop()}): run sh native/build.sh (scripts/setup.sh does)`;
}

/** How the evaluator is bundled; its record names these too, so that other options make a new bundle. */
const EVALUATOR_BUILD: import('esbuild').BuildOptions = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['esbuild'] };

/**
 * Bundles the evaluator (evaluate-worker.ts and the little it imports) unless the bundle there was
 * built with these options from files with the content they have now (its record, `evaluator.json`:
 * each file's SHA-256; by content, not by time, as a package's files may all carry one date).
 * Returns why not, when it cannot. About 30 ms once per change of those files; reading and hashing
 * three small files otherwise.
 */
function ensureEvaluator(): string | undefined {
  const record = `${EVALUATOR.replace(/\.cjs$/, '')}.json`;
  const hash = (f: string) => createHash('sha256').update(readFileSync(join(PACKAGE_ROOT, f))).digest('hex');
  try {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { build: unknown; inputs: { path: string; sha256: string }[] };
    if (existsSync(EVALUATOR) && JSON.stringify(r.build) === JSON.stringify(EVALUATOR_BUILD) && r.inputs.length && r.inputs.every((i) => hash(i.path) === i.sha256)) return undefined;
  } catch {
    /* not built yet, or an input is gone: build */
  }
  try {
    const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const out = buildSync({ ...EVALUATOR_BUILD, entryPoints: [WORKER], metafile: true, write: false, logLevel: 'silent', absWorkingDir: PACKAGE_ROOT } as const);
    // Hashed as esbuild read them: a file changed meanwhile makes the next evaluation build again.
    const inputs = Object.keys(out.metafile.inputs).map((path) => ({ path, sha256: hash(path) }));
    mkdirSync(dirname(EVALUATOR), { recursive: true, mode: 0o755 });
    // Readable by the sandbox's uid (the file is mounted by itself into its view); written by rename, so a
    // sandbox starting meanwhile never reads half of it. The record last.
    writeFileAtomic(EVALUATOR, out.outputFiles[0]!.contents, 0o644);
    writeFileAtomic(record, JSON.stringify({ build: EVALUATOR_BUILD, inputs }), 0o644);
    return undefined;
  } catch (e) {
    return `${(e as Error).message.split('\n')[0]} (run npm ci: esbuild is a dependency)`;
  }
}

/** Evaluates a module in the sandbox (see the module's comment). Never throws for anything the module does. */
export function evaluateModule(req: EvalRequest): Promise<EvalResult> {
  return startEvaluation(req).result();
}

/**
 * Starts evaluating a module now; `result()` gives the outcome. As root, refuses (`sandbox-failed`)
 * rather than run the module unconfined.
 */
export function startEvaluation(req: EvalRequest): StartedEvaluation {
  const started = performance.now();
  const timeoutMs = req.timeoutMs ?? 10000;
  const memoryMb = req.memoryMb ?? 256;
  const file = resolve(req.file);
  const stamp = (r: Unstamped, uid?: number): EvalResult => ({ ...r, ms: Math.round(performance.now() - started), ...(uid !== undefined ? { uid } : {}) }) as EvalResult;
  const failed = (message: string): StartedEvaluation => {
    const r = Promise.resolve(stamp({ ok: false, reason: 'sandbox-failed', message }));
    return { result: () => r, unref() {}, ref() {} };
  };
  const available = sandboxAvailable();
  const root = process.getuid?.() === 0;
  if (!available.ok && (root || !onPath('prlimit') || !onPath('timeout'))) return failed(`refusing to evaluate ${file}: ${available.why}`);
  const unbuilt = ensureEvaluator();
  if (unbuilt) return failed(`cannot build podlab's evaluator: ${unbuilt}`);
  let view = available.ok ? viewOf(file, req.ownFolderOnly) : [];
  // A module other users cannot read (a 0700 folder) is evaluated from a readable copy of its own files.
  let staged: ReturnType<typeof stage> | undefined;
  let target = file;
  if (available.ok && notForOthers(file, view)) {
    try {
      staged = stage(file);
    } catch (e) {
      return failed(`cannot copy ${file} where the sandbox may read it: ${(e as Error).message}`);
    }
    target = staged.file;
    view = viewOf(target);
    const still = notForOthers(target, view);
    if (still) {
      rmSync(staged.dir, { recursive: true, force: true });
      return failed(`the sandbox's own user cannot read ${file}: ${still}`);
    }
  }
  const unstage = (text: string) => (staged ? text.replaceAll(`${staged.dir}/`, `${staged.project}/`) : text);
  let uid: number | undefined;
  try {
    uid = available.ok ? acquireUid('sandbox') : undefined;
  } catch (e) {
    if (staged) rmSync(staged.dir, { recursive: true, force: true });
    return failed(`no sandbox uid is free: ${(e as Error).message}`);
  }
  // The sandbox's cgroup, by its uid (the uid's alone while held): made before it starts, removed once it has ended.
  let cgroup: string[] = [];
  const host = uid !== undefined ? cgroupHost() : undefined;
  if (uid !== undefined && host && !('missing' in host)) {
    // Once per process: the cgroups of evaluations whose result nobody awaited (a CLI that exited first) or of a killed podlab.
    sweptOnce ||= (sweepEvalCgroups((u) => u === uid || heldByLive(u)), true);
    try {
      cgroup = makeCgroup(host, evalCgroupName(uid), { memoryBytes: (memoryMb + DATA_HEADROOM_MB + CGROUP_HEADROOM_MB) * 1024 * 1024, pids: NPROC_HEADROOM });
    } catch (e) {
      releaseUid(uid);
      if (staged) rmSync(staged.dir, { recursive: true, force: true });
      return failed(`cannot make the sandbox's cgroup: ${(e as Error).message}`);
    }
  }
  const nonce = randomBytes(12).toString('hex');
  const node = [process.execPath, `--max-old-space-size=${memoryMb}`, '--v8-pool-size=2', '--no-addons', '--experimental-vm-modules', '--disable-warning=ExperimentalWarning', EVALUATOR, req.mode ?? 'lab', target, nonce, String(STDOUT_CAP - 4096), ...(req.seed ? [req.seed] : [])];
  const argv = uid !== undefined ? confine(node, view, timeoutMs, memoryMb, uid, cgroup) : prlimited(node, timeoutMs, memoryMb);
  const run = runCapped(argv, uid !== undefined);
  let outcome: Promise<EvalResult> | undefined;
  return {
    result() {
      run.ref();
      return (outcome ??= run.finish(timeoutMs).then(
        (r) => {
          const j = judge(r, { nonce, file: target, timeoutMs, memoryMb, ...(cgroup.length ? { oomKilled: oomKills(cgroup) > 0, cgroupMb: memoryMb + DATA_HEADROOM_MB + CGROUP_HEADROOM_MB } : {}) });
          return stamp(j.ok ? j : { ...j, message: unstage(j.message), ...(j.error !== undefined ? { error: unstage(j.error) } : {}) }, uid);
        },
        (e: Error) => stamp({ ok: false, reason: 'sandbox-failed', message: `the sandbox could not run: ${e.message}` }, uid),
      ).finally(async () => {
        // Only now: when the run ended, the sandbox's PID namespace (and so every process of the uid) is gone.
        if (cgroup.length) await removeCgroup(cgroup);
        if (uid !== undefined) releaseUid(uid);
        if (staged) rmSync(staged.dir, { recursive: true, force: true });
      }));
    },
    unref: () => run.unref(),
    ref: () => run.ref(),
  };
}

/**
 * Why a user of no group could not read `file` in its view, or undefined: the file must be
 * readable by others, and the folders from the view's mount point down to it searchable (the
 * folders above the mount point are the sandbox root's own, not the host's: a lab in /root/labs
 * is fine while /root is 0700).
 */
function notForOthers(file: string, view: readonly string[]): string | undefined {
  try {
    const mode = statSync(file).mode & 0o777;
    if (!(mode & 0o004)) return `the file is mode ${mode.toString(8).padStart(4, '0')}`;
    // A file mounted by itself sits in folders of the sandbox root's own (0755): only its own mode
    // counts, and the same holds for the other files of the module mounted beside it (its imports).
    if (view.includes(file)) {
      const podlab = PACKAGE_ROOT.replace(/\/$/, '');
      const fixed = [process.execPath, ...NODE_NEEDS, EVALUATOR, join(podlab, 'src'), join(podlab, 'node_modules'), join(podlab, 'package.json')];
      for (const f of view) {
        if (f === file || fixed.some((x) => f === x || f.startsWith(x + sep))) continue;
        const m = statSync(f).mode & 0o777;
        if (!(m & 0o004)) return `${f} is mode ${m.toString(8).padStart(4, '0')}`;
      }
      return undefined;
    }
    const top = view.filter((v) => file.startsWith(v + sep)).sort((a, b) => b.length - a.length)[0] ?? dirname(file);
    for (let d = dirname(file); ; d = dirname(d)) {
      const m = statSync(d).mode & 0o777;
      if (!(m & 0o001)) return `the folder ${d} is mode ${m.toString(8).padStart(4, '0')}`;
      if (d === top || dirname(d) === d) return undefined;
    }
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The read-only view of a module: Node, podlab's code, and the module's own files, each by itself
 * (it, and the relative imports it reaches that are modules and lie inside its project: the folder
 * of the nearest package.json, or its own folder when there is none) with that package.json. An
 * import elsewhere (`../../../home/…`, an absolute path), a file that is no module
 * (`./gradebook.csv`) and anything the module only computes a name for are not brought into view:
 * they fail to resolve inside the sandbox. `ownOnly`: the module alone (a submission's private copy).
 */
export function viewOf(file: string, ownOnly = false): string[] {
  const { pkg, files } = closureOf(file, ownOnly);
  const root = PACKAGE_ROOT.replace(/\/$/, '');
  // The module's own files one by one, not their folders: whatever else lies beside them (another
  // student's submission, a gradebook) is not in the sandbox's root at all.
  const all = [process.execPath, ...NODE_NEEDS.filter((p) => existsSync(p)), EVALUATOR, join(root, 'src'), join(root, 'node_modules'), join(root, 'package.json'), ...(pkg ? [pkg] : []), ...files];
  // A path inside another listed folder is already there (and contain takes at most MAX_VIEW paths); never the whole of /.
  const sorted = [...new Set(all)].filter((p) => p !== '/').sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && p.startsWith(q + sep)));
}

/**
 * At most this many of a module's own files are brought into view (contain takes 256 paths; Node,
 * the libraries and podlab's code are 10 of them). An import past it fails to resolve (PL0002).
 */
const MAX_OWN_FILES = 200;

/** What an import may bring into view: modules the evaluator can load (code, JSON), not any file a specifier names. */
const MODULE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx|json)$/;

/** A module's own files (it, and the relative imports it reaches inside its project), its project folder and nearest package.json. */
function closureOf(file: string, ownOnly = false): { pkg?: string; project: string; files: string[] } {
  let pkg: string | undefined;
  for (let d = dirname(file); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) {
      pkg = join(d, 'package.json');
      break;
    }
    if (dirname(d) === d) break;
  }
  const project = pkg && !ownOnly ? dirname(pkg) : dirname(file);
  const inside = (p: string) => p === project || p.startsWith(project === '/' ? '/' : project + sep);
  const files = [file];
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (ownOnly || seen.has(path) || files.length >= MAX_OWN_FILES) return;
    seen.add(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    for (const spec of importSpecifiers(text) ?? []) {
      if (!spec.startsWith('.')) continue;
      const target = resolveRelative(path, spec, []);
      if (target && MODULE_FILE.test(target) && inside(dirname(target)) && !files.includes(target) && files.length < MAX_OWN_FILES) {
        files.push(target);
        visit(target);
      }
    }
  };
  visit(file);
  return { pkg, project, files };
}

/** Where copies of modules other users cannot read are staged for the sandbox (root's, 0711: no listing). */
const STAGE_ROOT = join(BUILD_DIR, 'eval-tmp');

/**
 * A copy of a module's own files (closureOf) that the sandbox's user may read, laid out as in its
 * project (with its package.json), for a module in a folder other users cannot enter (0700, as
 * mkdtemp makes them). Root reads the originals; the copies are 0644 in 0755 folders of a 0711 root.
 */
function stage(file: string): { dir: string; file: string; project: string } {
  const { pkg, project, files } = closureOf(file);
  mkdirSync(STAGE_ROOT, { recursive: true, mode: 0o711 });
  chmodSync(STAGE_ROOT, 0o711);
  const dir = join(STAGE_ROOT, randomBytes(12).toString('hex'));
  try {
    copyOwnFiles(dir, project, [...files, ...(pkg ? [pkg] : [])]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  for (let d = dirname(join(dir, relative(project, file))); d.startsWith(dir); d = dirname(d)) chmodSync(d, 0o755);
  return { dir, file: join(dir, relative(project, file)), project };
}

function copyOwnFiles(dir: string, project: string, files: string[]): void {
  for (const f of files) {
    const copy = join(dir, relative(project, f));
    mkdirSync(dirname(copy), { recursive: true, mode: 0o755 });
    // Root reads what it copies: not through a link below the project (a `nodes.ts` that is a link
    // to a root-only file would become readable in the copy), and only a regular file.
    writeFileSync(copy, readOwnFile(f, project), { mode: 0o644 });
    chmodSync(copy, 0o644);
  }
}

/** A module's own file, read as root with no link on its path below its project folder and no FIFO or device. */
function readOwnFile(file: string, project: string): Buffer {
  const fd = openWithoutLinks(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY, { beneath: project });
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${file} is not a regular file`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The full command line (root): namespaces, the inner deadline, limits, the read-only view and the sandbox's uid. */
function confine(command: string[], view: string[], timeoutMs: number, memoryMb: number, uid: number, cgroup: readonly string[]): string[] {
  return [
    'unshare', '--net', '--ipc', '--uts', '--pid', '--mount', '--fork', '--mount-proc', '--kill-child',
    'timeout', '--foreground', '--signal=KILL', `${Math.ceil(timeoutMs / 1000) + BACKSTOP_S}s`,
    ...limitArgs(timeoutMs, memoryMb),
    CONTAIN, '--uid', String(uid), '--gid', String(uid), ...cgroup.flatMap((d) => ['--cgroup', d]), '--no-tmp', ...view.flatMap((p) => ['--only', p]), '--',
    ...command,
  ];
}

/** The degraded command line (not root): the inner deadline and the limits only. */
function prlimited(command: string[], timeoutMs: number, memoryMb: number): string[] {
  return ['timeout', '--foreground', '--signal=KILL', `${Math.ceil(timeoutMs / 1000) + BACKSTOP_S}s`, ...limitArgs(timeoutMs, memoryMb), ...command];
}

function limitArgs(timeoutMs: number, memoryMb: number): string[] {
  return [
    'prlimit',
    `--cpu=${Math.ceil(timeoutMs / 1000) + 1}`,
    `--data=${(memoryMb + DATA_HEADROOM_MB) * 1024 * 1024}`,
    `--nproc=${NPROC_HEADROOM}`,
    '--fsize=0',
    `--nofile=${NOFILE}`,
    '--core=0',
    '--memlock=0',
    '--msgqueue=0',
    '--',
  ];
}

function childEnv(): Record<string, string> {
  // GOMAXPROCS pins esbuild's service process (the evaluator transforms through it) to few threads: threads count against RLIMIT_NPROC.
  return { PATH: PATH_ENV, HOME: '/nonexistent', NODE_OPTIONS: '', PODLAB_ESBUILD: ESBUILD_API, PODLAB_API, GOMAXPROCS: '1', UV_THREADPOOL_SIZE: '2', LANG: 'C.UTF-8' };
}

interface Run {
  /** Wall-clock time from spawn to exit. */
  ms: number;
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  tooLarge?: 'stdout' | 'stderr';
}

/**
 * Runs argv in a process group of its own; `finish(ms)` starts the deadline and resolves at its
 * exit. At the deadline, or when an output cap is passed, it is killed. `isolated` (argv starts with
 * unshare): SIGKILL goes to the namespace's PID 1, so that unshare, which waits for it, returns only
 * once the kernel has killed and reaped every process in the namespace — when this resolves, nothing
 * of the module runs any more. Otherwise (or if PID 1 cannot be found) the group is SIGKILLed, and
 * also swept after a normal exit for what the module left running, since no PID namespace ends with it.
 */
function runCapped(argv: string[], isolated: boolean): { finish(timeoutMs: number): Promise<Run>; ref(): void; unref(): void } {
  const started = performance.now();
  const sub = spawn(argv[0]!, argv.slice(1), { cwd: '/', env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let timedOut = false;
  let tooLarge: Run['tooLarge'];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  let exited = false;
  // Only while the leader is unreaped is its pid surely still our process group's id (and its child our PID 1).
  const running = () => sub.pid !== undefined && !exited;
  const killGroup = () => {
    if (running()) signal(-sub.pid!);
  };
  let backstop: NodeJS.Timeout | undefined;
  const kill = () => {
    if (!running() || backstop) return;
    const init = isolated ? childOf(sub.pid!) : undefined;
    if (init === undefined) return killGroup();
    signal(init);
    backstop = setTimeout(killGroup, 2000); // unshare should follow at once; if not, it goes too
  };
  sub.stdout!.on('data', (c: Buffer) => {
    outBytes += c.length;
    if (outBytes > STDOUT_CAP) {
      tooLarge ??= 'stdout';
      kill();
    } else out.push(c);
  });
  sub.stderr!.on('data', (c: Buffer) => {
    if (errBytes < STDERR_KEEP) err.push(c);
    errBytes += c.length;
    if (errBytes > STDERR_CAP) {
      tooLarge ??= 'stderr';
      kill();
    }
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((res) => {
    sub.on('error', (error) => res({ code: null, signal: null, error }));
    sub.on('close', (code, sig) => res({ code, signal: sig }));
    sub.on('exit', () => (exited = true));
  });
  const handles = [sub, sub.stdout!, sub.stderr!] as { ref(): void; unref(): void }[];
  return {
    ref: () => handles.forEach((h) => h.ref()),
    unref: () => handles.forEach((h) => h.unref()),
    async finish(timeoutMs) {
      // The deadline gives pending I/O one more turn (100 ms) before it kills: this process may have
      // been blocked (a synchronous type check) while the child finished.
      let grace: NodeJS.Timeout | undefined;
      let finished = false;
      const timer = setTimeout(() => {
        grace = setTimeout(() => {
          if (finished) return;
          timedOut = true;
          kill();
        }, 100);
      }, timeoutMs);
      try {
        const r = await done;
        finished = true;
        if (r.error) throw r.error;
        return {
          ms: performance.now() - started,
          exitCode: r.code ?? undefined,
          signal: r.signal ?? undefined,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8').slice(0, STDERR_KEEP),
          timedOut,
          tooLarge,
        };
      } finally {
        clearTimeout(timer);
        clearTimeout(grace);
        clearTimeout(backstop);
        // Children still in the group keep its id from being reused, so this reaches only them.
        if (!isolated && sub.pid !== undefined) signal(-sub.pid);
      }
    },
  };
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** The one child of unshare --fork: PID 1 of the new namespace, by its pid out here. */
function childOf(pid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length === 1 ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

interface Context {
  nonce: string;
  file: string;
  timeoutMs: number;
  memoryMb: number;
  /** The sandbox's cgroup saw the kernel OOM-kill one of its processes (its processes together held {@link cgroupMb}). */
  oomKilled?: boolean;
  cgroupMb?: number;
}

type Unstamped = { ok: true; value: unknown } | Omit<Extract<EvalResult, { ok: false }>, 'ms' | 'uid'>;

/** Turns what came back (exit status, the last stdout line, stderr) into a result. Pure. */
function judge(run: Run, ctx: Context): Unstamped {
  const name = ctx.file.split('/').pop()!;
  const fail = (reason: EvalReason, message: string, more: { error?: string; problem?: string; exitCode?: number } = {}): Unstamped => ({ ok: false, reason, message: cap(message), ...more });
  const seconds = ctx.timeoutMs / 1000;
  if (run.timedOut) return fail('timeout', `${name} ran longer than ${seconds} s and was killed`);
  if (run.tooLarge) return fail('output-too-large', `${name} printed more than ${STDOUT_CAP / 1024 / 1024} MiB on ${run.tooLarge} and was killed; a lab is a few KB of data`);
  const report = lastReport(run.stdout, ctx.nonce);
  if (report) {
    switch (report.status) {
      case 'ok':
        return { ok: true, value: report.value };
      case 'no-export':
        return fail('no-export', `${name} has no default export and no \`lab\` export; write \`export default defineLab({ … })\``);
      case 'not-data':
        return fail('not-data', `the exported value is not plain data: ${report.problem}; a lab may hold only objects, arrays, strings, finite numbers, booleans and null`, { problem: report.problem });
      case 'output-too-large':
        return fail('output-too-large', `the exported value is ${report.size} bytes as JSON; the limit is ${STDOUT_CAP / 1024 / 1024} MiB`);
      case 'memory':
        return fail('memory', `${name} ran out of memory (limit ${ctx.memoryMb} MB): ${errorLine(report.error ?? '', ctx.file)}`, { error: report.error });
      case 'threw':
        return fail('threw', `${name} threw while being evaluated: ${errorLine(report.error ?? '', ctx.file)}`, { error: report.error });
    }
  }
  const signal = run.signal ?? (run.exitCode !== undefined && run.exitCode > 128 ? signalName(run.exitCode - 128) : undefined);
  if (/heap out of memory|Fatal process out of memory|allocation failed|std::bad_alloc|Cannot allocate memory|Out of memory/i.test(run.stderr)) {
    return fail('memory', `${name} ran out of memory (limit ${ctx.memoryMb} MB): ${errorLine(run.stderr, ctx.file)}`, { error: run.stderr });
  }
  if (signal === 'SIGXCPU') return fail('timeout', `${name} used more than ${Math.ceil(seconds) + 1} s of CPU and was killed`);
  if (!run.stdout.split('\n').includes(`podlab-sandbox ${ctx.nonce} started`)) {
    const why = run.stderr.trim().split('\n').find((l) => l.trim()) ?? `exit ${run.exitCode ?? signal}`;
    return fail('sandbox-failed', `the sandbox did not start: ${why}`);
  }
  if (signal === 'SIGKILL') {
    // Not podlab's kill: the inner `timeout` (if podlab's own timer ran late) or the kernel's OOM killer.
    if (run.ms >= ctx.timeoutMs) return fail('timeout', `${name} ran longer than ${seconds} s and was killed`);
    if (ctx.oomKilled) return fail('memory', `${name} was killed by the kernel: its processes together held more than ${ctx.cgroupMb} MB (the sandbox's memory cgroup)`);
    return fail('memory', `${name} was killed (SIGKILL) before it finished, most likely by the kernel for using too much memory`);
  }
  if (run.exitCode === 13 && /never settles|unsettled top-level await/i.test(run.stderr + run.stdout)) {
    return fail('threw', `${name} awaits, at top level, a promise that never settles`);
  }
  if (run.exitCode === 13 && !run.stderr.trim()) return fail('threw', `${name} awaits, at top level, a promise that never settles`);
  if (run.exitCode === 1 && /^\s*\w*(Error|Exception)\b.*?: /m.test(run.stderr)) {
    // An error thrown where the worker cannot catch it (a timer's callback): Node prints it and exits 1.
    return fail('threw', `${name} threw while being evaluated: ${errorLine(run.stderr, ctx.file)}`, { error: run.stderr });
  }
  if (signal === undefined && run.exitCode !== undefined) {
    const line = run.stderr.trim() ? `: ${errorLine(run.stderr, ctx.file)}` : '';
    return fail('exited', `${name} ended its own process (exit code ${run.exitCode}) before its export could be read${line}; does it call process.exit()?`, { exitCode: run.exitCode, error: run.stderr });
  }
  const line = run.stderr.trim() ? errorLine(run.stderr, ctx.file) : `it was ended by ${signal} and printed no error`;
  return fail('threw', `${name} failed while being evaluated: ${line}`, { error: run.stderr });
}

/** The result line: the last non-empty stdout line, if it is this run's. */
function lastReport(stdout: string, nonce: string): WorkerReport | undefined {
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  if (!last.startsWith('{')) return undefined;
  try {
    const r = JSON.parse(last) as WorkerReport;
    return r && typeof r === 'object' && r.podlabSandbox === nonce ? r : undefined;
  } catch {
    return undefined;
  }
}

/** First meaningful line of an error or stack (an esbuild syntax error, `Error: boom`, a V8 fatal), plus where in the module it happened. */
export function errorLine(text: string, file: string): string {
  const name = file.split('/').pop()!;
  const lines = text.split('\n');
  const syntax = lines.map((l) => /:(\d+):(\d+): ERROR: (.*)$/.exec(l)).find(Boolean);
  if (syntax) return `syntax error: ${syntax[3]} (${name}:${syntax[1]}:${Number(syntax[2]) + 1})`;
  const thrown =
    lines.find((l) => /^\s*(FATAL ERROR|#\s*Fatal)/.test(l)) ??
    lines.find((l) => /^\s*\w*(Error|Exception)\b.*?: /.test(l) && !/^\s*at /.test(l)) ??
    lines.find((l) => l.trim() && !/^\s*at /.test(l) && !/^node:/.test(l)) ??
    'unknown error';
  const where = new RegExp(`${escapeRegExp(file)}:(\\d+)(?::(\\d+))?`).exec(text);
  return thrown.trim() + (where ? ` (${name}:${where[1]}${where[2] ? `:${where[2]}` : ''})` : '');
}

function cap(message: string): string {
  return message.length > MESSAGE_CAP ? `${message.slice(0, MESSAGE_CAP - 1)}…` : message;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function signalName(n: number): string | undefined {
  return ({ 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 24: 'SIGXCPU', 25: 'SIGXFSZ' } as Record<number, string>)[n] ?? `signal ${n}`;
}

function onPath(tool: string): boolean {
  return PATH_ENV.split(delimiter).some((d) => existsSync(join(d, tool)));
}
