/**
 * Runs in a child process: imports an exercise module (trusted: the instructor's) through the
 * tsx loader and prints what it exports as JSON. A module whose default export is a function
 * gets the variant picked for the seed in argv[3] from its `variants` export.
 */
import { pathToFileURL } from 'node:url';
import { pickVariant } from './variant.ts';

const [file, seed = ''] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: exercise-worker <exercise.ts> [seed]\n');
  process.exit(2);
}
const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
const variants = (mod.variants ?? {}) as Record<string, readonly (string | number)[]>;
const variant = typeof mod.default === 'function' ? pickVariant(variants, seed) : {};
const exercise = typeof mod.default === 'function' ? (mod.default as (v: unknown) => unknown)(variant) : mod.default;
process.stdout.write(JSON.stringify({ found: exercise !== undefined, exercise: exercise ?? null, variant }));
