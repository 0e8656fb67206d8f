/**
 * A recording Executor for unit tests: it runs no command and starts no real daemon, but records
 * every call in order. Each daemon is stood in for by a harmless shell of the test's own
 * (`sh -c 'sleep 3600 & wait'`, with one child as a container runtime's process would have), so
 * liveness checks see a live process; SIGTERM and SIGKILL reach the stand-in, other signals are
 * only recorded. A daemon with a log file finds the marks the built-in servers print once they
 * listen, so `up` does not wait for them.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { LISTENING_MARK } from '../../src/dns/marks.ts';
import type { DaemonOptions, Executor, RunOptions, RunResult } from '../../src/runtime/exec.ts';

export type Call =
  | { op: 'run'; argv: string[]; input?: string; env?: Record<string, string> }
  | { op: 'spawn'; argv: string[]; pid: number; logFile?: string }
  | { op: 'signal'; pid: number; signal: NodeJS.Signals };

export interface Recorder extends Executor {
  calls: Call[];
  /** Every run's and spawn's argv, joined by spaces, in order (signals as `signal <SIG> <pid>`). */
  lines(): string[];
  /** Stops every stand-in that is still running. */
  close(): void;
}

export function recordingExecutor(respond: (argv: readonly string[], options?: RunOptions) => RunResult | undefined = () => undefined): Recorder {
  const calls: Call[] = [];
  const standIns = new Set<number>();
  const kill = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* gone */
    }
  };
  return {
    calls,
    async run(argv, options) {
      calls.push({ op: 'run', argv: [...argv], ...(options?.input !== undefined ? { input: options.input } : {}), ...(options?.env ? { env: options.env } : {}) });
      return respond(argv, options) ?? { exitCode: 0, stdout: '', stderr: '' };
    },
    async spawn(argv, options: DaemonOptions = {}) {
      const child = spawn('sh', ['-c', 'sleep 3600 & wait'], { detached: true, stdio: 'ignore' });
      child.unref();
      const pid = child.pid!;
      standIns.add(pid);
      // The shell's child exists before the stand-in counts as started (a DNS container's server is its child).
      for (let i = 0; i < 200; i++) {
        try {
          if (readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()) break;
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      if (options.logFile) appendFileSync(options.logFile, `{"event":"listening"}\n${LISTENING_MARK}\n`);
      calls.push({ op: 'spawn', argv: [...argv], pid, ...(options.logFile ? { logFile: options.logFile } : {}) });
      return pid;
    },
    signal(pid, sig) {
      calls.push({ op: 'signal', pid, signal: sig });
      if (standIns.has(pid) && (sig === 'SIGTERM' || sig === 'SIGKILL')) kill(pid, 'SIGKILL');
    },
    lines: () => calls.map((c) => (c.op === 'signal' ? `signal ${c.signal} ${c.pid}` : `${c.op === 'spawn' ? 'spawn ' : ''}${c.argv.join(' ')}`)),
    close() {
      for (const pid of standIns) kill(pid, 'SIGKILL');
    },
  };
}
