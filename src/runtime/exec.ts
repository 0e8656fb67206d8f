/**
 * The one door for side effects that run programs: every command podlab runs goes through an
 * Executor, as an argv array (never a shell string). The real one uses execa; tests and dry runs
 * can pass one that records.
 */
import { execa } from 'execa';

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

export const realExecutor: Executor = {
  async run(argv, options = {}) {
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
