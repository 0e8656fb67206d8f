/**
 * Step "load": evaluates a `*.lab.ts` module in the sandbox (evaluate.ts: unprivileged, no
 * network, a read-only view of only Node, podlab and the lab's own folders, capped memory, CPU,
 * processes and output) and returns the plain data it exports, or one coded diagnostic for each
 * way the evaluation can end: PL0002 threw, PL0003 no lab exported, PL0010 timed out, PL0011 ended
 * its own process, PL0012 out of memory, PL0013 too much output, PL0014 not plain data, PL0015 the
 * sandbox could not run. What it prints is the only thing that comes back.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { diag, type Code, type Diagnostic } from './diagnostics.ts';
import { evaluateModule, LAB_LIMITS, type EvalResult, type StartedEvaluation } from './evaluate.ts';

export interface Loaded {
  value?: unknown;
  diagnostics: Diagnostic[];
}

const NOTHING = 'Nothing was changed on the host.';

export async function loadLab(file: string, timeoutMs = LAB_LIMITS.timeoutMs): Promise<Loaded> {
  if (!existsSync(file)) {
    return { diagnostics: [{ ...diag('PL0001', [], `no such file: ${file}`, 'Check the path; labs usually live in labs/*.lab.ts.'), file }] };
  }
  const r = (await preloaded(file, timeoutMs)) ?? (await evaluateModule({ file, ...LAB_LIMITS, timeoutMs }));
  return loadedOf(r, file, timeoutMs);
}

/** The sandbox's result as a lab's value or its one diagnostic, at the lab's line where the error names one. */
export function loadedOf(r: EvalResult, file: string, timeoutMs: number): Loaded {
  if (r.ok) {
    if (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) return fail('PL0003', 'the lab file has no default export that is a lab object', 'Write `export default defineLab({ … })`.');
    return { value: r.value, diagnostics: [] };
  }
  function fail(code: Code, message: string, hint: string, at: { line?: number; column?: number } = {}): Loaded {
    return { diagnostics: [{ ...diag(code, [], message, hint), file, ...at }] };
  }
  switch (r.reason) {
    case 'threw':
      return fail('PL0002', `the lab threw while being evaluated: ${firstErrorLine(r.error ?? r.message)}`, 'Fix the error above; the lab file must evaluate to plain data.', locateInStack(r.error ?? '', file));
    case 'no-export':
      return fail('PL0003', 'the lab file has no default export that is a lab object', 'Write `export default defineLab({ … })`.');
    case 'not-data':
      // A default export that is a function, an array or a number is no lab at all; a lab with a function inside is not data.
      if (r.problem && /^lab is /.test(r.problem)) return fail('PL0003', 'the lab file has no default export that is a lab object', 'Write `export default defineLab({ … })`.');
      return fail('PL0014', `the lab is not plain data: ${r.problem}`, `A lab may hold only objects, arrays, strings, finite numbers, booleans and null. ${NOTHING}`);
    case 'timeout':
      return fail('PL0010', `evaluating the lab took longer than ${timeoutMs / 1000} s and it was stopped`, `Does the lab file loop forever or wait on something that never comes? ${NOTHING}`);
    case 'exited':
      return fail('PL0011', `the lab ended its own process (exit code ${r.exitCode}) while being evaluated, so no lab came back`, `A lab file must not call process.exit(); export the lab instead. ${NOTHING}`, locateInStack(r.error ?? '', file));
    case 'memory':
      return fail('PL0012', `the lab ran out of memory while being evaluated: ${r.error ? firstErrorLine(r.error) : r.message}`, `A lab is a few KB of data; evaluating one may use ${LAB_LIMITS.memoryMb} MB. What does it allocate? ${NOTHING}`, locateInStack(r.error ?? '', file));
    case 'output-too-large': {
      const base = file.split('/').pop()!;
      const what = r.message.startsWith(`${base} `) ? r.message.slice(base.length + 1) : r.message;
      return fail('PL0013', `the lab gave too much output while being evaluated: ${what}`, `A lab file should print nothing and export a few KB. ${NOTHING}`);
    }
    case 'sandbox-failed':
      return fail('PL0015', `the lab could not be evaluated in podlab's sandbox: ${r.message}`, `As root, podlab evaluates lab files only confined (build native/contain: sh native/build.sh, or scripts/setup.sh). ${NOTHING}`);
  }
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

/**
 * The evaluation bin/podlab.js started for `validate` or `up` before the CLI bundle had loaded
 * (the same evaluator and request: src/compile/preload.ts), taken once and for the same file only;
 * undefined when there is none. Its time limit counts from now.
 */
async function preloaded(file: string, timeoutMs: number): Promise<EvalResult | undefined> {
  const map = (globalThis as Record<symbol, Map<string, StartedEvaluation> | undefined>)[Symbol.for('podlab.preloadedLabs')];
  const p = map?.get(resolve(file));
  if (!p || timeoutMs !== LAB_LIMITS.timeoutMs) return undefined;
  map!.delete(resolve(file));
  return p.result();
}
