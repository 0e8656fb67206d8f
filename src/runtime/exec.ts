/**
 * The one door for side effects that run programs: every command podlab runs goes through an
 * Executor, as an argv array (never a shell string). The real one hands commands to the native
 * spawner (spawner.ts), or runs them with execa where the spawner is not available; tests and dry
 * runs can pass one that records.
 */
import { execa } from 'execa';
import { spawner, type SpawnAnswer } from './spawner.ts';

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
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** Thrown when a step's command fails; carries the command for the error report. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(`\`${argv.join(' ')}\` failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** A spawner's answer to a run, as a RunResult: 124 for a timeout, 128 + n for signal n, 127 when it could not start. */
export function runResultOf(a: SpawnAnswer): RunResult {
  const exitCode = a.status === 0 ? a.value : a.status === 1 ? 128 + a.value : a.status === 2 ? 124 : 127;
  return { exitCode, stdout: a.stdout.toString(), stderr: a.stderr.toString() };
}

export const realExecutor: Executor = {
  async run(argv, options = {}) {
    const fast = spawner();
    if (fast) return runResultOf(await fast.request({ kind: 'run', argv, env: { ...process.env, ...options.env }, timeoutMs: options.timeoutMs, input: options.input }));
    const r = await execa(argv[0]!, argv.slice(1), {
      reject: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      env: options.env,
      extendEnv: true,
      timeout: options.timeoutMs,
    });
    return { exitCode: r.exitCode ?? (r.timedOut ? 124 : 1), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  },
};

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
  /** Append stdout and stderr to this file; otherwise they are discarded. */
  logFile?: string;
  /** Wait until the process prints this line on stdout (then stdout is let go). */
  readyLine?: string;
  readyTimeoutMs?: number;
}

/**
 * Starts a long-lived process in its own session (it outlives podlab's CLI) and returns its pid.
 * With `readyLine`, resolves only once the process said it is ready, and rejects with its stderr
 * if it exits first.
 */
export async function spawnDaemon(argv: readonly string[], options: DaemonOptions = {}): Promise<number> {
  const fast = spawner();
  if (fast) {
    const timeoutMs = options.readyTimeoutMs ?? 5000;
    const a = await fast.request({ kind: 'daemon', argv, env: { ...process.env, ...options.env }, timeoutMs: options.readyLine ? timeoutMs : 0, logFile: options.logFile, readyLine: options.readyLine });
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
      env: { ...process.env, ...options.env },
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
