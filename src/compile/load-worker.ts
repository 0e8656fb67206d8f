/**
 * Runs in a child process (never in the CLI's own process): imports one lab module through the
 * tsx loader and prints the lab it exports as JSON on stdout. Nothing else comes back.
 */
import Module, { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `import … from 'podlab'` means this podlab, wherever the lab file lives (a course folder has no
// node_modules/podlab): a resolve hook maps the bare name to its entry point, src/index.ts, and
// hands it on to tsx's own hooks, which load TypeScript.
const PODLAB = new URL('../../src/index.ts', import.meta.url).href;
register(
  `data:text/javascript,${encodeURIComponent(
    `export async function resolve(specifier, context, next) { return next(specifier === 'podlab' ? ${JSON.stringify(PODLAB)} : specifier, context); }`,
  )}`,
);
// A lab file outside any "type": "module" package is CommonJS to tsx: its require() needs the same.
const cjs = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolveFilename = cjs._resolveFilename;
cjs._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  return resolveFilename.call(this, request === 'podlab' ? fileURLToPath(PODLAB) : request, ...rest);
};

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: load-worker <lab.ts>\n');
  process.exit(2);
}
const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
const lab = mod.default ?? mod.lab;
process.stdout.write(JSON.stringify({ found: lab !== undefined, lab: lab ?? null }));
