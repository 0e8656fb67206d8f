/**
 * Runs in a child process (never in the CLI's own process): imports one lab module through the
 * tsx loader and prints the lab it exports as JSON on stdout. Nothing else comes back.
 */
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: load-worker <lab.ts>\n');
  process.exit(2);
}
const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
const lab = mod.default ?? mod.lab;
process.stdout.write(JSON.stringify({ found: lab !== undefined, lab: lab ?? null }));
