/**
 * What a lab's type check is known by before podlab's CLI has loaded: the name of its compiler and
 * options (the key of its cache, compilerFingerprint), podlab's entry, and the start of the Node it
 * runs in (prestartCheck). Apart from typecheck.ts so that bin/podlab.js's small preload bundle
 * (src/compile/preload.ts) takes in none of the diagnostics' catalogue or the check itself.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshAuthorTypes } from './author-types.ts';
import { CHECK_OPTIONS, LAB_GLOBALS } from './ts-morph.ts';
import { lookup } from './typecheck-cache.ts';
import { snapshotFor, startSnapshotChecker } from './typecheck-snapshot.ts';

// From the repository root, so the path holds in the CLI bundle (build/cli/podlab.cjs) too.
export const PODLAB_ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** The compiler options of the check, with the globals' text; part of the cache key. */
const OPTIONS = {
  ...CHECK_OPTIONS,
  // 'podlab' is this podlab wherever the lab lives, as the evaluator resolves it (evaluate-worker.ts).
  paths: { podlab: [PODLAB_ENTRY] },
  globals: LAB_GLOBALS.text,
};

let fingerprint: string | undefined;

/** ts-morph's and its TypeScript's versions with the options, without loading the compiler. */
export function compilerFingerprint(): string {
  if (fingerprint) return fingerprint;
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => (require(pkg) as { version: string }).version;
  return (fingerprint = JSON.stringify([`ts-morph@${version('ts-morph/package.json')}`, `@ts-morph/common@${version('@ts-morph/common/package.json')}`, OPTIONS]));
}

/**
 * Starts the Node that a check of `file` would run in, when the check would run there (its result
 * not in the cache, podlab's types written out, their snapshot built); its pid, if it did. bin/podlab.js
 * calls it before the CLI bundle loads, so that the Node's start-up (about 0.15 s) runs meanwhile;
 * typecheckLab then finds it running (typecheck-snapshot.ts).
 */
export function prestartCheck(file: string): number | undefined {
  const abs = resolve(file);
  const compiler = compilerFingerprint();
  const types = freshAuthorTypes(PODLAB_ENTRY, compiler, true);
  const blob = types && !lookup(abs, compiler) ? snapshotFor(types, compiler) : undefined;
  return blob && existsSync(blob) ? startSnapshotChecker(blob) : undefined;
}
