/**
 * Grading: evaluates an untrusted lab file (a student's submission) and returns the plain data it
 * exports, or a categorised reason why not. Nothing else comes back: no handle, no thrown value,
 * no file. This module is responsible for the whole trip — the throw-away copy, the command line
 * that confines the child, the deadline, the caps on what it prints, and judging what came back.
 *
 * The child, when podlab runs as root (as it does when grading), is:
 *
 *   unshare --net --ipc --uts --pid --mount --fork --mount-proc --kill-child   new namespaces; the net one has only a down `lo`
 *     sh -c SETUP                  (root, inside) every mount remounted read-only, in this mount namespace only
 *       timeout --foreground -s KILL T+2   PID 1 of the namespace, root: a deadline that holds even if podlab dies
 *         setpriv --reuid=U --regid=U --clear-groups --no-new-privs --bounding-set=-all   a uid of this sandbox's own
 *           prlimit --cpu --data --nproc --fsize=0 --nofile --core=0 --memlock=0 --msgqueue=0
 *             node --max-old-space-size=M --import <tsx loader> worker.mjs <copy> <nonce> <cap>
 *
 * At the deadline (or past an output cap) podlab SIGKILLs the namespace's PID 1; the kernel then
 * kills everything in the namespace, setsid'd grandchildren included, before unshare returns.
 * Not root: the same without unshare/setpriv/SETUP (prlimit, the timeout and a process-group
 * kill only), and `sandboxAvailable()` says so.
 *
 * Departures from house style, and why: the child is started with execa directly, not through
 * the Executor of src/runtime/exec.ts, because it needs a process group of its own, an empty
 * environment and streamed, capped output, which RunOptions cannot express (load.ts does the
 * same). The limits below live here, not in src/constants.ts, because they only mean something
 * next to the command line they shape.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, delimiter, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execa, execaSync } from 'execa';
import { readUntrusted, SafeReadError } from '../lib/safe-read.ts';
import { PODLAB_UIDS } from '../constants.ts';
import { acquireUid, releaseUid } from '../runtime/uids.ts';

export interface SandboxLimits {
  /** Wall-clock limit for the whole evaluation, node's start-up included; the child is SIGKILLed after it. @default 10000 */
  timeoutMs?: number;
  /**
   * V8 heap limit (`--max-old-space-size`). The process's writable data (RLIMIT_DATA) is capped at
   * this plus {@link DATA_HEADROOM_MB}, for buffers, the young generation and the tsx loader.
   * @default 256
   */
  memoryMb?: number;
}

/** `uid`: the uid the submission ran as (the full sandbox only), for tests and diagnostics. */
export type SandboxResult =
  | { ok: true; value: unknown; ms: number; uid?: number }
  | {
      ok: false;
      uid?: number;
      reason: 'timeout' | 'memory' | 'threw' | 'no-export' | 'not-data' | 'output-too-large' | 'sandbox-failed' | 'unreadable';
      message: string;
      ms: number;
    };

type Failure = Extract<SandboxResult, { ok: false }>;
type Reason = Failure['reason'];

/** What may come back on stdout (the result line and anything the submission prints before it). */
const STDOUT_CAP = 1024 * 1024;
/** Past this much stderr the child is killed; only the first STDERR_KEEP bytes are kept for the message. */
const STDERR_CAP = 1024 * 1024;
const STDERR_KEEP = 64 * 1024;
const MESSAGE_CAP = 400;
/** The most of a submission's source that is read (and copied into the sandbox): far above any honest lab. */
export const SOURCE_CAP = 1024 * 1024;
/**
 * RLIMIT_DATA above the heap limit. Measured: node + the tsx loader thread need ~100 MB to
 * evaluate a lab. RLIMIT_AS cannot be used: V8 reserves gigabytes of address space up front (code
 * range, WebAssembly guard regions of the es-module-lexer tsx loads) and aborts under any AS limit
 * small enough to matter; RLIMIT_DATA counts only writable private memory, which is what grows.
 */
const DATA_HEADROOM_MB = 256;
/**
 * RLIMIT_NPROC counts every task (thread) of the real uid on the whole host. Each sandbox runs as
 * a uid of its own (PODLAB_UIDS.sandbox, held by a lock file while it runs: src/runtime/uids.ts),
 * so the budget is that sandbox's alone: the limit is what that uid already runs (nothing, unless
 * a killed run left something) plus this. A sandboxed node with the tsx loader needs ~20 tasks (main, libuv
 * and V8 pools, the loader thread, esbuild's service process, pinned to GOMAXPROCS=1).
 */
const NPROC_HEADROOM = 64;
const NOFILE = 128;
/** The inner `timeout` (PID 1 of the sandbox) fires this long after podlab's own deadline: a backstop if podlab dies. */
const BACKSTOP_S = 2;
/**
 * Runs as root inside the new mount namespace, before dropping to the sandbox's uid: every mount becomes
 * read-only, so not even an empty file can be created in /tmp, /var/tmp, /dev/shm or /run/lock
 * (RLIMIT_FSIZE=0 stops the bytes, not the create). The read-only flag is per mount and the
 * mounts are this namespace's copies, so the host keeps its view.
 */
const SETUP = [
  'set -e',
  'mount -o remount,bind,ro /',
  // Every other mount (/tmp, /dev/shm, /run/lock… may be separate); names with escaped spaces are skipped.
  'while read -r _ _ _ _ mp _; do mount -o remount,bind,ro "$mp" 2>/dev/null || true; done < /proc/self/mountinfo',
  'exec "$@"',
].join('\n');
const PATH_ENV = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repo so `import … from 'podlab'` self-resolves through package.json "exports"; under build/ so it is git-ignored. */
const GRADE_ROOT = join(REPO_ROOT, 'build', 'grade-tmp');
/** What `--import tsx` loads, resolved here so the child's working directory does not matter. */
const TSX_LOADER = createRequire(import.meta.url).resolve('tsx');
const WORKER_NAME = '.podlab-sandbox-worker.mjs';

/**
 * The program that runs inside the sandbox, next to the copy of the submission. It captures the
 * builtins it needs before the submission can replace them, prints a start marker (so podlab can
 * tell "the sandbox never started" from "the submission killed its process"), imports the
 * submission, checks that the export is plain JSON data and prints one result line. A submission
 * can print a forged result line, but that is no more than exporting that value.
 */
const WORKER_SOURCE = String.raw`import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [file, nonce, capText] = process.argv.slice(2);
const cap = Number(capText);
const exit = process.exit.bind(process);
const stringify = JSON.stringify;
const { getPrototypeOf, keys, getOwnPropertySymbols } = Object;
const isArray = Array.isArray;
const ObjectProto = Object.prototype;
const ArrayProto = Array.prototype;
const isFiniteNumber = Number.isFinite;
const toBytes = Buffer.from;
const pause = new Int32Array(new SharedArrayBuffer(4));
// stdout is a non-blocking socket: a big result comes out in pieces, and EAGAIN means "wait for podlab to read".
const writeAll = (text) => {
  let bytes = toBytes.call(Buffer, text);
  while (bytes.length) {
    try { bytes = bytes.subarray(writeSync(1, bytes)); }
    catch (e) { if (e.code !== 'EAGAIN') throw e; Atomics.wait(pause, 0, 0, 2); }
  }
};
const report = (r) => { writeAll('\n' + stringify({ podlabSandbox: nonce, ...r }) + '\n'); exit(0); };
const describe = (e) => {
  if (e && typeof e.stack === 'string') return e.stack.slice(0, 4000);
  try { return 'thrown value: ' + String(stringify(e)).slice(0, 400); } catch { return 'thrown value: ' + String(e).slice(0, 400); }
};
const isMemory = (e) => e instanceof RangeError && /allocation failed|out of memory/i.test(String(e.message));
const at = (path, key) => /^[A-Za-z_$][\w$]*$/.test(key) ? path + '.' + key : path + '[' + stringify(key) + ']';
function problem(v, path, parents) {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return isFiniteNumber(v) ? null : path + ' is ' + v + ', which JSON cannot hold';
  if (v === undefined) return path + ' is undefined';
  if (typeof v !== 'object') return path + ' is a ' + typeof v;
  if (parents.includes(v)) return path + ' refers back to an object that contains it (a cycle)';
  if (parents.length > 200) return path + ' is nested more than 200 levels deep';
  const proto = getPrototypeOf(v);
  if (isArray(v) ? proto !== ArrayProto : proto !== ObjectProto && proto !== null) {
    const name = (proto && proto.constructor && proto.constructor.name) || 'object with a custom prototype';
    return path + ' is a ' + name + ', not a plain object or array';
  }
  if (getOwnPropertySymbols(v).length) return path + ' has symbol keys';
  parents.push(v);
  try {
    if (isArray(v)) {
      for (let i = 0; i < v.length; i++) { const p = problem(v[i], path + '[' + i + ']', parents); if (p) return p; }
    } else {
      for (const k of keys(v)) {
        const x = v[k];
        if (x === undefined) continue; // an absent optional field, as JSON would drop it
        const p = problem(x, at(path, k), parents);
        if (p) return p;
      }
    }
  } finally { parents.pop(); }
  return null;
}
writeAll('podlab-sandbox ' + nonce + ' started\n');
let mod;
try { mod = await import(pathToFileURL(file).href); }
catch (e) { report({ status: isMemory(e) ? 'memory' : 'threw', error: describe(e) }); }
const value = mod.default !== undefined ? mod.default : mod.lab;
if (value === undefined) report({ status: 'no-export' });
let text;
try {
  const p = problem(value, 'lab', []);
  if (p) report({ status: 'not-data', problem: p });
  text = stringify(value);
} catch (e) { report({ status: isMemory(e) ? 'memory' : 'threw', error: describe(e) }); }
if (text.length > cap) report({ status: 'output-too-large', size: text.length });
report({ status: 'ok', value });
`;

let probed: { ok: boolean; why?: string } | undefined;

/**
 * Whether submissions get the full sandbox (root: a uid of its own, own namespaces, no network, read-only
 * mounts). `ok: false` with `why` when they would run degraded (not root: prlimit and a timeout
 * only, as the current user, with its network) or not at all (root, but the isolation does not work).
 * Probes once per process by running the real command line with `test` in place of node.
 */
export function sandboxAvailable(): { ok: boolean; why?: string } {
  if (probed) return probed;
  const missing = ['prlimit', 'timeout'].filter((t) => !onPath(t));
  if (process.platform !== 'linux' || missing.length) {
    return (probed = { ok: false, why: `submissions cannot be confined here: ${process.platform !== 'linux' ? 'not Linux' : `${missing.join(', ')} not found`}` });
  }
  if (process.getuid?.() !== 0) {
    return (probed = {
      ok: false,
      why: 'not running as root: submissions run as the current user, with its network and files, limited only by prlimit and a timeout',
    });
  }
  const tools = ['unshare', 'setpriv', 'mount', 'sh'].filter((t) => !onPath(t));
  if (tools.length) return (probed = { ok: false, why: `${tools.join(', ')} not found (util-linux, mount): cannot isolate submissions` });
  try {
    ensureGradeRoot();
    const uid = acquireUid('sandbox');
    let r;
    try {
      const argv = confine(['test', '-r', join(REPO_ROOT, 'src', 'index.ts'), '-a', '-r', TSX_LOADER, '-a', '-x', GRADE_ROOT, '-a', '-x', process.execPath], 5000, 64, uid);
      r = execaSync(argv[0]!, argv.slice(1), { reject: false, env: childEnv(), extendEnv: false, stdin: 'ignore', timeout: 10000 });
    } finally {
      releaseUid(uid);
    }
    if (r.exitCode !== 0) {
      const err = String(r.stderr ?? '').trim().split('\n')[0];
      return (probed = {
        ok: false,
        why: err
          ? `the isolation does not work here: ${err}`
          : `a sandbox uid (${PODLAB_UIDS.sandbox.first}…) cannot read ${REPO_ROOT}src/index.ts, the tsx loader or ${GRADE_ROOT}, or run ${process.execPath}`,
      });
    }
  } catch (e) {
    return (probed = { ok: false, why: `the isolation does not work here: ${(e as Error).message}` });
  }
  return (probed = { ok: true });
}

/**
 * Evaluates `file` in the sandbox and returns what it exports (`export default`, else `export
 * const lab`) if that is plain JSON data. Never throws for anything the submission does. As root,
 * refuses (`sandbox-failed`) rather than run a submission unconfined.
 */
export async function evaluateInSandbox(file: string, limits: SandboxLimits = {}): Promise<SandboxResult> {
  const started = performance.now();
  const result = await evaluate(file, limits.timeoutMs ?? 10000, limits.memoryMb ?? 256);
  return { ...result, ms: Math.round(performance.now() - started) } as SandboxResult;
}

type Unstamped = { ok: true; value: unknown; uid?: number } | Omit<Failure, 'ms'>;

async function evaluate(file: string, timeoutMs: number, memoryMb: number): Promise<Unstamped> {
  const fail = (reason: Reason, message: string): Unstamped => ({ ok: false, reason, message });
  const available = sandboxAvailable();
  const root = process.getuid?.() === 0;
  if (!available.ok && (root || !onPath('prlimit') || !onPath('timeout'))) {
    return fail('sandbox-failed', `refusing to evaluate the submission: ${available.why}`);
  }
  let source: Buffer;
  try {
    // A symlink would make root copy whatever it points at (/etc/shadow) into the sandbox; a FIFO
    // would hang the grader, /dev/zero fill its memory: readUntrusted refuses all three.
    source = readUntrusted(file, SOURCE_CAP);
  } catch (e) {
    if (e instanceof SafeReadError) return fail('unreadable', `${e.diagnostic.code} ${e.message}`);
    return fail('sandbox-failed', `cannot read ${file}: ${(e as Error).message}`);
  }

  const work = join(GRADE_ROOT, randomBytes(12).toString('hex'));
  let uid: number | undefined;
  try {
    ensureGradeRoot();
    // root-owned, readable by the sandbox's uid, writable by no one but root.
    mkdirSync(work, { mode: 0o755 });
    chmodSync(work, 0o755);
    const name = copyName(file);
    const copy = join(work, name);
    writeFileSync(copy, source, { mode: 0o644 });
    chmodSync(copy, 0o644);
    writeFileSync(join(work, WORKER_NAME), WORKER_SOURCE, { mode: 0o644 });
    chmodSync(join(work, WORKER_NAME), 0o644);

    const nonce = randomBytes(12).toString('hex');
    const node = [
      process.execPath,
      `--max-old-space-size=${memoryMb}`,
      '--v8-pool-size=2',
      '--no-addons',
      '--import',
      TSX_LOADER,
      join(work, WORKER_NAME),
      copy,
      nonce,
      String(STDOUT_CAP - 4096),
    ];
    uid = available.ok ? acquireUid('sandbox') : undefined;
    const argv = uid !== undefined ? confine(node, timeoutMs, memoryMb, uid) : prlimited(node, timeoutMs, memoryMb, process.getuid?.() ?? -1);
    const run = await runCapped(argv, work, timeoutMs, available.ok);
    return { ...judge(run, { nonce, work, name, timeoutMs, memoryMb }), ...(uid !== undefined ? { uid } : {}) };
  } catch (e) {
    return fail('sandbox-failed', `the sandbox could not run: ${(e as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    // Only now: when runCapped returned, the sandbox's PID namespace (and so every process of the uid) is gone.
    if (uid !== undefined) releaseUid(uid);
  }
}

/** The full command line (root): namespaces, read-only mounts, the inner deadline, the sandbox's uid, limits. */
function confine(command: string[], timeoutMs: number, memoryMb: number, uid: number): string[] {
  return [
    'unshare', '--net', '--ipc', '--uts', '--pid', '--mount', '--fork', '--mount-proc', '--kill-child',
    'sh', '-c', SETUP, 'podlab-sandbox',
    'timeout', '--foreground', '--signal=KILL', `${Math.ceil(timeoutMs / 1000) + BACKSTOP_S}s`,
    'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--no-new-privs', '--bounding-set=-all', '--inh-caps=-all',
    ...limitArgs(timeoutMs, memoryMb, uid),
    ...command,
  ];
}

/** The degraded command line (not root): the inner deadline and the limits only. */
function prlimited(command: string[], timeoutMs: number, memoryMb: number, uid: number): string[] {
  return ['timeout', '--foreground', '--signal=KILL', `${Math.ceil(timeoutMs / 1000) + BACKSTOP_S}s`, ...limitArgs(timeoutMs, memoryMb, uid), ...command];
}

function limitArgs(timeoutMs: number, memoryMb: number, uid: number): string[] {
  return [
    'prlimit',
    `--cpu=${Math.ceil(timeoutMs / 1000) + 1}`,
    `--data=${(memoryMb + DATA_HEADROOM_MB) * 1024 * 1024}`,
    `--nproc=${tasksOf(uid) + NPROC_HEADROOM}`,
    '--fsize=0',
    `--nofile=${NOFILE}`,
    '--core=0',
    '--memlock=0',
    '--msgqueue=0',
    '--',
  ];
}

function childEnv(): Record<string, string> {
  // GOMAXPROCS pins esbuild's service process (tsx transforms through it) to few threads: threads count against RLIMIT_NPROC.
  return { PATH: PATH_ENV, HOME: '/nonexistent', NODE_OPTIONS: '', TSX_DISABLE_CACHE: '1', GOMAXPROCS: '1', UV_THREADPOOL_SIZE: '2', LANG: 'C.UTF-8' };
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
 * Runs argv in a process group of its own and, at the deadline or when an output cap is passed,
 * kills it. `isolated` (argv starts with unshare): SIGKILL goes to the namespace's PID 1, so that
 * unshare, which waits for it, returns only once the kernel has killed and reaped every process
 * in the namespace — when this resolves, nothing of the submission runs any more. Otherwise
 * (or if PID 1 cannot be found) the group is SIGKILLed, and also swept after a normal exit for
 * what the submission left running, since no PID namespace ends with it.
 */
async function runCapped(argv: string[], cwd: string, timeoutMs: number, isolated: boolean): Promise<Run> {
  const sub = execa(argv[0]!, argv.slice(1), {
    cwd,
    env: childEnv(),
    extendEnv: false,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    detached: true,
  });
  const started = performance.now();
  let timedOut = false;
  let tooLarge: Run['tooLarge'];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  // Only while the leader is unreaped is its pid surely still our process group's id (and its child our PID 1).
  const running = () => sub.pid !== undefined && sub.exitCode === null && sub.signalCode === null;
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
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
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
  try {
    const r = await sub;
    if (sub.pid === undefined) throw new Error(r.shortMessage ?? `cannot start ${argv[0]}`);
    return {
      ms: performance.now() - started,
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8').slice(0, STDERR_KEEP),
      timedOut,
      tooLarge,
    };
  } finally {
    clearTimeout(timer);
    clearTimeout(backstop);
    // Children still in the group keep its id from being reused, so this reaches only them.
    if (!isolated && sub.pid !== undefined) signal(-sub.pid);
  }
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
  work: string;
  name: string;
  timeoutMs: number;
  memoryMb: number;
}

interface Report {
  podlabSandbox: string;
  status: 'ok' | 'threw' | 'memory' | 'no-export' | 'not-data' | 'output-too-large';
  value?: unknown;
  error?: string;
  problem?: string;
  size?: number;
}

/** Turns what came back (exit status, the last stdout line, stderr) into a result. Pure. */
function judge(run: Run, ctx: Context): Unstamped {
  const fail = (reason: Reason, message: string): Unstamped => ({ ok: false, reason, message: cap(scrub(message, ctx)) });
  const seconds = ctx.timeoutMs / 1000;
  if (run.timedOut) return fail('timeout', `the submission ran longer than ${seconds} s and was killed`);
  if (run.tooLarge) {
    return fail('output-too-large', `the submission printed more than ${STDOUT_CAP / 1024 / 1024} MiB on ${run.tooLarge} and was killed; a lab is a few KB of data`);
  }
  const report = lastReport(run.stdout, ctx.nonce);
  if (report) {
    switch (report.status) {
      case 'ok':
        return { ok: true, value: report.value };
      case 'no-export':
        return fail('no-export', 'the lab file has no default export and no `lab` export; write `export default defineLab({ … })`');
      case 'not-data':
        return fail('not-data', `the exported lab is not plain data: ${report.problem}; a lab may hold only objects, arrays, strings, finite numbers, booleans and null`);
      case 'output-too-large':
        return fail('output-too-large', `the exported lab is ${report.size} bytes as JSON; the limit is ${STDOUT_CAP / 1024 / 1024} MiB`);
      case 'memory':
        return fail('memory', `the submission ran out of memory (limit ${ctx.memoryMb} MB): ${errorLine(report.error ?? '', ctx)}`);
      case 'threw':
        return fail('threw', `the submission threw while being evaluated: ${errorLine(report.error ?? '', ctx)}`);
    }
  }
  const signal = run.signal ?? (run.exitCode !== undefined && run.exitCode > 128 ? signalName(run.exitCode - 128) : undefined);
  if (/heap out of memory|Fatal process out of memory|allocation failed|std::bad_alloc|Cannot allocate memory|Out of memory/i.test(run.stderr)) {
    return fail('memory', `the submission ran out of memory (limit ${ctx.memoryMb} MB): ${errorLine(run.stderr, ctx)}`);
  }
  if (signal === 'SIGXCPU') return fail('timeout', `the submission used more than ${Math.ceil(seconds) + 1} s of CPU and was killed`);
  const startedLine = `podlab-sandbox ${ctx.nonce} started`;
  if (!run.stdout.split('\n').includes(startedLine)) {
    const why = run.stderr.trim().split('\n').find((l) => l.trim()) ?? `exit ${run.exitCode ?? signal}`;
    return fail('sandbox-failed', `the sandbox did not start: ${why}`);
  }
  if (signal === 'SIGKILL') {
    // Not podlab's kill: the inner `timeout` (if podlab's own timer ran late) or the kernel's OOM killer.
    if (run.ms >= ctx.timeoutMs) return fail('timeout', `the submission ran longer than ${seconds} s and was killed`);
    return fail('memory', 'the submission was killed (SIGKILL) before it finished, most likely by the kernel for using too much memory');
  }
  if (run.exitCode === 0) {
    return fail('no-export', 'the submission ended its own process (exit 0) before its export could be read: nothing came back; does it call process.exit()?');
  }
  if (run.exitCode === 13) {
    // Node's exit code for a module whose top-level await was left with nothing that could settle it.
    return fail('threw', 'the lab file awaits, at top level, a promise that never settles');
  }
  const line = run.stderr.trim() ? errorLine(run.stderr, ctx) : `it exited with ${signal ?? `code ${run.exitCode}`} and printed no error`;
  return fail('threw', `the submission failed while being evaluated: ${line}`);
}

/** The result line: the last non-empty stdout line, if it is this run's. */
function lastReport(stdout: string, nonce: string): Report | undefined {
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  if (!last.startsWith('{')) return undefined;
  try {
    const r = JSON.parse(last) as Report;
    return r && typeof r === 'object' && r.podlabSandbox === nonce ? r : undefined;
  } catch {
    return undefined;
  }
}

/** First meaningful line of an error or stack (an esbuild syntax error, `Error: boom`, a V8 fatal), plus where in the submission it happened. */
function errorLine(text: string, ctx: Context): string {
  const lines = text.split('\n');
  const syntax = lines.map((l) => /:(\d+):(\d+): ERROR: (.*)$/.exec(l)).find(Boolean);
  if (syntax) return `syntax error: ${syntax[3]} (${ctx.name}:${syntax[1]}:${Number(syntax[2]) + 1})`;
  const thrown =
    lines.find((l) => /^\s*(FATAL ERROR|#\s*Fatal)/.test(l)) ??
    lines.find((l) => /^\s*\w*(Error|Exception)\b.*?: /.test(l) && !/^\s*at /.test(l)) ??
    lines.find((l) => l.trim() && !/^\s*at /.test(l) && !/^node:/.test(l)) ??
    'unknown error';
  const where = new RegExp(`${escapeRegExp(join(ctx.work, ctx.name))}:(\\d+)(?::(\\d+))?`).exec(text);
  return thrown.trim() + (where ? ` (${ctx.name}:${where[1]}${where[2] ? `:${where[2]}` : ''})` : '');
}

/** Messages name the submission by its file name, never by the throw-away path. */
function scrub(message: string, ctx: Context): string {
  return message.replaceAll(`file://${ctx.work}/`, '').replaceAll(`${ctx.work}/`, '');
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

/** The copy keeps the submission's file name (messages and stack traces mention it) when it is a plain one. */
function copyName(file: string): string {
  const name = basename(file);
  return /^[\w-][\w.-]*\.(ts|mts|cts|tsx|js|mjs|cjs)$/.test(name) ? name : 'submission.lab.ts';
}

function ensureGradeRoot(): void {
  // 0711: a sandbox may pass through to its own run's directory but not list the others' (grading in parallel).
  mkdirSync(GRADE_ROOT, { recursive: true, mode: 0o711 });
  chmodSync(GRADE_ROOT, 0o711);
}

function onPath(tool: string): boolean {
  return PATH_ENV.split(delimiter).some((d) => existsSync(join(d, tool)));
}

/** Tasks (threads included, as RLIMIT_NPROC counts them) whose real uid is `uid`. */
function tasksOf(uid: number): number {
  let n = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid) n += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      /* exited meanwhile */
    }
  }
  return n;
}
