/**
 * Where a relative import of a lab's module leads: one rule for the evaluator (evaluate-worker.ts),
 * the sandbox's view (evaluate.ts) and the evaluation cache's inputs (eval-cache.ts), so that what
 * is brought into view, what is hashed and what is loaded are the same files. Node's modules only:
 * the evaluator's bundle takes it in.
 */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where a relative specifier leads, as tsx resolved it before the evaluator did: the path, then with .ts/.js/…, then an index. */
export function resolveRelative(from: string, spec: string, absent: string[]): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, `${base}.tsx`, `${base}.mts`, `${base}.js`, `${base}.mjs`, join(base, 'index.ts'), join(base, 'index.js')];
  for (const c of [...new Set(candidates)]) {
    if (isFile(c)) return c;
    absent.push(c);
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
