/**
 * ts-morph, loaded on first use. It brings the whole TypeScript compiler (about 0.4 s to load), and
 * only two things need it: positions of diagnostics (a lab with errors) and `--typecheck`. A valid
 * lab never pays for it.
 */
import { createRequire } from 'node:module';
import type * as TsMorph from 'ts-morph';

let loaded: typeof TsMorph | undefined;

export function tsMorph(): typeof TsMorph {
  return (loaded ??= createRequire(import.meta.url)('ts-morph') as typeof TsMorph);
}
