/**
 * Step "load": evaluates a `*.lab.ts` module in a child process with the pinned tsx loader and
 * returns the plain data it exports. The child has a time limit; what it prints is the only thing
 * that comes back, so a lab cannot reach into podlab's own process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { diag, type Diagnostic } from './diagnostics.ts';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface Loaded {
  value?: unknown;
  diagnostics: Diagnostic[];
}

export async function loadLab(file: string, timeoutMs = 20000): Promise<Loaded> {
  if (!existsSync(file)) {
    return { diagnostics: [{ ...diag('PL0001', [], `no such file: ${file}`, 'Check the path; labs usually live in labs/*.lab.ts.'), file }] };
  }
  const r = await execa(process.execPath, ['--import', 'tsx', WORKER, file], {
    reject: false,
    timeout: timeoutMs,
    env: { NODE_OPTIONS: '' },
    stdin: 'ignore',
  });
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

function firstErrorLine(stderr: string): string {
  const line = stderr.split('\n').find((l) => /(Error|error)\b.*:/.test(l)) ?? stderr.split('\n').find((l) => l.trim()) ?? 'unknown error';
  return line.trim();
}

/** Finds `file:line:col` of the lab file in a stack trace or an esbuild syntax error. */
function locateInStack(stderr: string, file: string): { line?: number; column?: number } {
  const base = file.split('/').pop()!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`${base}:(\\d+):(\\d+)`).exec(stderr);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : {};
}
