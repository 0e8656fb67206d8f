/**
 * Step "load": evaluates a `*.lab.ts` module in a child process with the pinned tsx loader and
 * returns the plain data it exports. The child has a time limit; what it prints is the only thing
 * that comes back, so a lab cannot reach into podlab's own process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { diag, type Diagnostic } from './diagnostics.ts';

// From the repository root, so the path holds in the CLI bundle (build/cli/podlab.mjs) too.
const WORKER = fileURLToPath(new URL('../../src/compile/load-worker.ts', import.meta.url));
/** What `--import tsx` loads, resolved here: a lab outside the checkout has no tsx beside it. */
const TSX_LOADER = createRequire(import.meta.url).resolve('tsx');

export interface Loaded {
  value?: unknown;
  diagnostics: Diagnostic[];
}

export async function loadLab(file: string, timeoutMs = 20000): Promise<Loaded> {
  if (!existsSync(file)) {
    return { diagnostics: [{ ...diag('PL0001', [], `no such file: ${file}`, 'Check the path; labs usually live in labs/*.lab.ts.'), file }] };
  }
  const r = (await preloaded(file, timeoutMs)) ?? (await spawned(file, timeoutMs));
  if (r.timedOut) {
    return { diagnostics: [{ ...diag('PL0002', [], `evaluating the lab took longer than ${timeoutMs / 1000} s`, 'Does the lab file loop forever?'), file }] };
  }
  if (r.exitCode !== 0) {
    const at = locateInStack(r.stderr, file);
    const message = firstErrorLine(r.stderr);
    return { diagnostics: [{ ...diag('PL0002', [], `the lab threw while being evaluated: ${message}`, 'Fix the error above; the lab file must evaluate to plain data.'), file, ...at }] };
  }
  const out = JSON.parse(r.stdout) as { found: boolean; lab: unknown };
  if (!out.found || typeof out.lab !== 'object' || out.lab === null || Array.isArray(out.lab)) {
    return { diagnostics: [{ ...diag('PL0003', [], 'the lab file has no default export that is a lab object', "Write `export default defineLab({ … })`."), file }] };
  }
  return { value: out.lab, diagnostics: [] };
}

/** The worker run here (no preloaded one), under the same time limit. */
async function spawned(file: string, timeoutMs: number) {
  const child = execa(process.execPath, ['--import', TSX_LOADER, WORKER, file], {
    reject: false,
    // NODE_EXTRA_CA_CERTS makes Node parse a certificate bundle before anything runs (35 ms here);
    // evaluating a lab opens no TLS connection.
    env: { NODE_OPTIONS: '', NODE_EXTRA_CA_CERTS: undefined },
    stdin: 'ignore',
  });
  let finished = false;
  let timedOut = false;
  const stop = deadline(timeoutMs, () => finished, () => {
    timedOut = true;
    child.kill('SIGKILL');
  });
  const r = await child;
  finished = true;
  stop();
  return { exitCode: r.exitCode ?? 128, stdout: String(r.stdout), stderr: String(r.stderr), timedOut };
}

/**
 * A time limit that does not blame the child for time this process spent blocked: compileLab
 * type-checks synchronously while the child evaluates, and when that check outlasts the limit,
 * the expired timer runs before the child's exit has been read. So on expiry, pending I/O gets
 * one more turn (100 ms) before `expire` runs, and only if the child is still not `done`.
 */
function deadline(ms: number, done: () => boolean, expire: () => void): () => void {
  let grace: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    grace = setTimeout(() => done() || expire(), 100);
  }, ms);
  return () => {
    clearTimeout(timer);
    if (grace) clearTimeout(grace);
  };
}

/** The reason, from an esbuild syntax error (`file:7:2: ERROR: Expected "}"`), a thrown Error (`Error: boom`) or a thrown value. */
function firstErrorLine(stderr: string): string {
  const lines = stderr.split('\n');
  const esbuild = lines.map((l) => /: ERROR: (.*)$/.exec(l)).find(Boolean);
  if (esbuild) return `syntax error: ${esbuild[1]}`;
  const thrown = lines.find((l) => /^\w*(Error|Exception)\b.*?: /.test(l.trim()) && !/^\s*at /.test(l));
  if (thrown) return thrown.trim();
  // `throw 'boom'` prints the file line, the source line, a caret line, then the value.
  const caret = lines.findIndex((l) => /^\s*\^+\s*$/.test(l));
  const value = caret >= 0 ? lines.slice(caret + 1).find((l) => l.trim() && !/^(\(Use|Node\.js)/.test(l.trim())) : undefined;
  return (value ?? lines.find((l) => l.trim()) ?? 'unknown error').trim();
}

/** Finds `file:line:col` of the lab file in a stack trace, or in an esbuild syntax error (0-based column). */
function locateInStack(stderr: string, file: string): { line?: number; column?: number } {
  const base = file.split('/').pop()!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const esbuild = new RegExp(`${base}:(\\d+):(\\d+): ERROR:`).exec(stderr);
  if (esbuild) return { line: Number(esbuild[1]), column: Number(esbuild[2]) + 1 };
  const full = new RegExp(`${base}:(\\d+):(\\d+)`).exec(stderr);
  if (full) return { line: Number(full[1]), column: Number(full[2]) };
  const lineOnly = new RegExp(`${base}:(\\d+)`).exec(stderr); // `throw 'value'` prints no column
  return lineOnly ? { line: Number(lineOnly[1]), column: 1 } : {};
}

/** A worker that bin/podlab.js started for this file before the CLI bundle had loaded. */
interface Preloaded {
  child: { kill(signal?: NodeJS.Signals): boolean };
  done: Promise<{ exitCode: number; stdout: string; stderr: string; signal?: string }>;
  ref(): void;
}

/**
 * The result of the worker bin/podlab.js started for `validate` (the same worker, loader, arguments and
 * environment as above), taken once and for the same file only; undefined when there is none.
 * It gets the same time limit, counted from now.
 */
async function preloaded(file: string, timeoutMs: number): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean } | undefined> {
  const map = (globalThis as Record<symbol, Map<string, Preloaded> | undefined>)[Symbol.for('podlab.preloadedLabs')];
  const p = map?.get(resolve(file));
  if (!p) return undefined;
  map!.delete(resolve(file));
  p.ref();
  let timedOut = false;
  let finished = false;
  const stop = deadline(timeoutMs, () => finished, () => {
    timedOut = true;
    p.child.kill('SIGKILL');
  });
  const r = await p.done;
  finished = true;
  stop();
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut };
}
