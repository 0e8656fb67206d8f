/**
 * The one door for side effects that run programs: every command podlab runs, every daemon it
 * starts and every signal it sends goes through an Executor, as an argv array (never a shell
 * string). The real one hands commands to the native spawner (spawner.ts), or runs them with execa
 * where the spawner is not available. test/unit/recorder.ts records instead, so that unit tests
 * assert what `up`, `down` and the pod commands do, in order, without root.
 */
import { spawner, type SpawnAnswer } from './spawner.ts';
import { traced, tracing } from '../lib/trace.ts';
import { RuntimeError } from './errors.ts';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface Executor {
  /** Runs a command to its end. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-lived process in its own session and returns its pid (see `DaemonOptions`). */
  spawn(argv: readonly string[], options?: DaemonOptions): Promise<number>;
  /** Sends a signal to a process; one that is gone already is not an error. */
  signal(pid: number, signal: NodeJS.Signals): void;
}

/** Thrown when a step's command fails (PL3050); carries the command for the error report. */
export class CommandError extends RuntimeError {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super('PL3050', `\`${argv.join(' ')}\` failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** A spawner's answer to a run, as a RunResult: 124 for a timeout, 128 + n for signal n, 127 when it could not start. */
export function runResultOf(a: SpawnAnswer): RunResult {
  const exitCode = a.status === 0 ? a.value : a.status === 1 ? 128 + a.value : a.status === 2 ? 124 : 127;
  return { exitCode, stdout: a.stdout.toString(), stderr: a.stderr.toString() };
}

const NSENTER_FILES: Record<string, string> = { '--ipc': 'ipc', '--uts': 'uts', '--net': 'net', '--mount': 'mnt' };

/**
 * The two `nsenter` forms podlab builds (`--net=FILE -- cmd`, and `-t PID --net --uts --ipc
 * --mount -- cmd` with any of those four), as the namespace files to enter and the command: the
 * spawner enters them itself, in nsenter's order (ipc, uts, net, mnt), and starts `cmd` without
 * starting nsenter first. Anything else: undefined, and nsenter runs as written.
 */
export function nsenterJoin(argv: readonly string[]): { join: string[]; argv: string[] } | undefined {
  const sep = argv.indexOf('--');
  if (argv[0] !== 'nsenter' || sep < 0 || sep === argv.length - 1) return undefined;
  const opts = argv.slice(1, sep);
  const command = argv.slice(sep + 1);
  if (opts.length === 1 && /^--net=\/./.test(opts[0]!)) return { join: [opts[0]!.slice('--net='.length)], argv: command };
  const kinds = opts.slice(2);
  if (opts[0] !== '-t' || !/^[1-9]\d*$/.test(opts[1] ?? '') || !kinds.length || !kinds.every((k) => NSENTER_FILES[k]) || new Set(kinds).size !== kinds.length) return undefined;
  const join = Object.keys(NSENTER_FILES)
    .filter((k) => kinds.includes(k))
    .map((k) => `/proc/${opts[1]}/ns/${NSENTER_FILES[k]}`);
  return { join, argv: command };
}

/** A `key=value` that sysctl(8) would write to /proc/sys/<key with dots as slashes>. */
const SYSCTL_SETTING = /^[a-z0-9_]+(\.[a-z0-9_-]+)+=[^\n]*$/;

/** One option of a tmpfs the spawner mounts itself: a flag it knows, or key=value data. */
const TMPFS_OPTION = /^(nosuid|nodev|noexec|[a-z_]+=[0-9A-Za-z_.%]+)$/;

/**
 * A spawner request for `argv`: podlab's own nsenter forms are entered by the spawner, and
 * `sysctl -qw key=value...`, `umount -l /path...` and `mount -t tmpfs -o options source /path` are
 * done by it too (its "@sysctl", "@umount-lazy" and "@mount-tmpfs" built-ins), without starting
 * sysctl, umount or mount (2-3 ms of CPU each).
 */
export function requestOf(argv: readonly string[]): { argv: readonly string[]; join?: string[] } {
  const r = nsenterJoin(argv) ?? { argv };
  const [cmd, opt, ...args] = r.argv;
  if (cmd === 'sysctl' && opt === '-qw' && args.length && args.every((s) => SYSCTL_SETTING.test(s))) return { ...r, argv: ['@sysctl', ...args] };
  if (cmd === 'umount' && opt === '-l' && args.length && args.every((p) => p.startsWith('/'))) return { ...r, argv: ['@umount-lazy', ...args] };
  if (cmd === 'mount' && opt === '-t' && args.length === 5 && args[0] === 'tmpfs' && args[1] === '-o' && args[2]!.split(',').every((o) => TMPFS_OPTION.test(o)) && args[4]!.startsWith('/'))
    return { ...r, argv: ['@mount-tmpfs', args[2]!, args[3]!, args[4]!] };
  return r;
}

/** A command as one short line of the trace: the program and its first arguments, state paths shortened. */
export function traceLabel(kind: string, argv: readonly string[]): string {
  const words = argv.map((a) => a.replace(/^(--net=)?\/run\/netns\//, '$1').replace(/^.*\/build\/native\//, ''));
  return `${kind} ${words.join(' ').slice(0, 120)}`;
}

export const realExecutor: Executor = {
  run: (argv, options) => (tracing() ? traced(traceLabel('run', argv), () => runReal(argv, options)) : runReal(argv, options)),
  spawn: (argv, options) => (tracing() ? traced(traceLabel('spawn', argv), () => spawnDaemon(argv, options)) : spawnDaemon(argv, options)),
  signal(pid, sig) {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  },
};

async function runReal(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const fast = spawner();
  if (fast) return runResultOf(await fast.request({ kind: 'run', ...requestOf(argv), env: { ...process.env, ...options.env }, timeoutMs: options.timeoutMs, input: options.input }));
  // Loaded when first needed: with the spawner (every command on Linux) execa is never used, and
  // loading it (and the stream modules it brings) cost every CLI command about 18 ms of its start.
  const { execa } = await import('execa');
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    env: options.env,
    extendEnv: true,
    timeout: options.timeoutMs,
  });
  return { exitCode: r.exitCode ?? (r.timedOut ? 124 : 1), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Runs and throws CommandError on a non-zero exit. */
export async function must(ex: Executor, argv: readonly string[], options?: RunOptions): Promise<RunResult> {
  const r = await ex.run(argv, options);
  if (r.exitCode !== 0) throw new CommandError(argv, r);
  return r;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first error after all settle. */
export async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) {
      const item = items[i++]!;
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  });
  await Promise.all(workers);
  if (errors.length) throw errors[0];
}

export interface DaemonOptions {
  env?: Record<string, string>;
  /** The process gets `env` only, not podlab's own environment too (a container's). */
  cleanEnv?: boolean;
  /** Append stdout and stderr to this file; otherwise they are discarded. */
  logFile?: string;
  /** Wait until the process prints this line on stdout (then stdout is let go). */
  readyLine?: string;
  readyTimeoutMs?: number;
}

/**
 * The environment of a Node process of podlab's own (the agent, the API server): podlab's, without
 * NODE_EXTRA_CA_CERTS. Node 20 reads that file and its bundled root certificates as it starts
 * (about 35 ms of CPU); podlab is never a TLS client of the outside, so it has no use for them. The
 * `podlab` command starts without it as well (bin/podlab.js). For `spawn`'s `cleanEnv`.
 */
export function ownNodeEnv(): Record<string, string> {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  return env as Record<string, string>;
}

/**
 * Starts a long-lived process in its own session (it outlives podlab's CLI) and returns its pid.
 * With `readyLine`, resolves only once the process said it is ready, and rejects with its stderr
 * if it exits first.
 */
export async function spawnDaemon(argv: readonly string[], options: DaemonOptions = {}): Promise<number> {
  const fast = spawner();
  const env = options.cleanEnv ? { ...options.env } : { ...process.env, ...options.env };
  if (fast) {
    const timeoutMs = options.readyTimeoutMs ?? 5000;
    const a = await fast.request({ kind: 'daemon', ...requestOf(argv), env, timeoutMs: options.readyLine ? timeoutMs : 0, logFile: options.logFile, readyLine: options.readyLine });
    if (a.status === 0) return a.pid;
    if (a.status === 2) {
      // Not ready in time: nothing will record it, so it goes now (its whole session: it ran setsid).
      try {
        process.kill(-a.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      throw new Error(`\`${argv.join(' ')}\` did not become ready in ${timeoutMs} ms`);
    }
    if (a.status === 4) throw new Error(`\`${argv.join(' ')}\` exited (${a.value}) before it was ready: ${a.stderr.toString().trim()}`);
    throw new Error(`\`${argv.join(' ')}\` could not start: ${a.stderr.toString().trim()}`);
  }
  const { spawn } = await import('node:child_process');
  const { openSync, closeSync } = await import('node:fs');
  const log = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', options.readyLine ? 'pipe' : log, options.readyLine ? 'pipe' : log],
      env,
    });
    if (options.readyLine) {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`\`${argv.join(' ')}\` did not become ready in ${options.readyTimeoutMs ?? 5000} ms`)), options.readyTimeoutMs ?? 5000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.split('\n').includes(options.readyLine!)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`\`${argv.join(' ')}\` exited (${code}) before it was ready: ${err.trim()}`));
        });
      });
      child.stdout!.destroy();
      child.stderr!.destroy();
      child.removeAllListeners('exit');
    } else {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    }
    child.unref();
    return child.pid!;
  } finally {
    if (typeof log === 'number') closeSync(log);
  }
}
