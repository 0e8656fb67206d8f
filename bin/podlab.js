#!/bin/sh
':' //; [ "${NODE_EXTRA_CA_CERTS+set}" ] && export PODLAB_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS" && unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"
// The line above is sh (for JavaScript, a string and a comment): the `podlab` command starts Node
// without NODE_EXTRA_CA_CERTS. Node 20 reads that file and its own bundled root certificates into a
// store as it starts, before any JavaScript: about 35 ms of CPU at every command where the variable
// is set (22 against 57 ms for `node -e 0` on the 2-core machine of docs/benchmarks.md). podlab
// never connects to a TLS server of the outside world, so it has no use for it; the commands it
// runs get it back (below). `node bin/podlab.js` works too, and pays the 35 ms where it is set.
// podlab's executable. It runs the CLI as one esbuild bundle (podlab.cjs: podlab's sources and the
// npm packages every command loads, in one file), rebuilt here whenever a file under src/ is newer,
// and runs it from V8's code cache (podlab.cjs.cache, written by the first run of a new bundle):
// Node 20 has no compile cache of its own. Reading and compiling zod, execa, yaml, commander and
// handlebars from their hundreds of files had cost about 0.2 s of CPU at every start.
//
// The bundles live in build/cli/ of the package, or, where the package folder is not writable (a
// global install), in the per-user cache ($PODLAB_CACHE_DIR, else $XDG_CACHE_HOME/podlab, else
// ~/.cache/podlab, in cli/<package>/). Without esbuild (or if bundling fails) it falls back to the
// pinned TypeScript loader (tsx).
//
// CommonJS, as all of bin/ is (bin/package.json): Node starts a CommonJS entry about 5 ms sooner
// than an ES module, and nothing here needs the module loader.
const { accessSync, constants: fsc, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { join, resolve } = require('node:path');
const { asciiOnly, cachedScript, readSource } = require('./code-cache.js');

// The variable the launcher put aside, back for the programs podlab runs: they see the environment
// they were given. podlab's own Node processes are started without it (src/runtime/exec.ts).
if (process.env.PODLAB_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.PODLAB_NODE_EXTRA_CA_CERTS;
  delete process.env.PODLAB_NODE_EXTRA_CA_CERTS;
}

const root = `${resolve(__dirname, '..')}/`;
/** Where the bundle would be in the package: import.meta.url inside it is this path, wherever it really is. */
const PACKAGED = `${root}build/cli`;
/** Packages the CLI bundle leaves as imports: heavy, and loaded only when a command needs them. */
const LAZY = ['typescript', 'ts-morph', 'kubernetes-models', '@hpcc-js/wasm-graphviz', 'esbuild', 'tsx'];

/** Whether no argument (before a `--`) may name a lab file: those need the compiler for the lab's name. */
const namesNoFile = (args) => !args.slice(0, args.includes('--') ? args.indexOf('--') : args.length).some((a) => !a.startsWith('-') && (a.endsWith('.ts') || existsSync(a)));

/** The commands a learner runs most against a live lab: one bundle (src/cli/live-main.ts) for them all. */
const LIVE = { entry: 'src/cli/live-main.ts', bundle: 'live.cjs', takes: namesNoFile };
/** A live lab's checks and scenarios, and the commands that change it as a scenario's steps do: one bundle (src/cli/check-main.ts). */
const CHECK = { entry: 'src/cli/check-main.ts', bundle: 'check.cjs', takes: namesNoFile };
/** The commands that show a live lab's network: one bundle (src/cli/see-main.ts). */
const SEE = { entry: 'src/cli/see-main.ts', bundle: 'see.cjs', takes: namesNoFile };

/**
 * Commands that run from a bundle of their own, with only what they load (src/cli/<…>-main.ts):
 * `up`; and `down`, `status`, `get`, `exec`, `logs`, `events`, `calicoctl`, `check`, `scenario`, `pod`,
 * `scale`, `node`, `set`, `dns`, `trace`, `explain`, `graph` and `capture` of a lab named by its
 * name (a lab file needs the compiler).
 * Any other command line, `podlab --prefix x up …` too, runs the whole CLI (podlab.cjs).
 */
const COMMANDS = {
  up: { entry: 'src/cli/up-main.ts', bundle: 'up.cjs', takes: () => true },
  down: { entry: 'src/cli/down-main.ts', bundle: 'down.cjs', takes: namesNoFile },
  status: LIVE,
  get: LIVE,
  exec: LIVE,
  logs: LIVE,
  events: LIVE,
  calicoctl: LIVE,
  check: CHECK,
  scenario: CHECK,
  pod: CHECK,
  scale: CHECK,
  node: CHECK,
  set: CHECK,
  dns: CHECK,
  trace: SEE,
  explain: SEE,
  graph: SEE,
  capture: SEE,
};

/** Each bundle and its entry, once. */
const ENTRIES = [...new Map(Object.values(COMMANDS).map((c) => [c.bundle, c.entry]))];

/** The bundles of the CLI (podlab.cjs written last: its time stamps the set). */
const BUNDLES = ['preload.cjs', ...ENTRIES.map(([bundle]) => bundle), 'podlab.cjs'];

/** Newest modification time of the files below dir. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) t = Math.max(t, statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs);
  return t;
}

function builtAt(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function writable(dir) {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsc.W_OK);
    return true;
  } catch {
    return false;
  }
}

function userCache() {
  const base = process.env.PODLAB_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'podlab');
  // node:crypto only here: compiling it cost every command about 1.5 ms at start.
  return join(base, 'cli', require('node:crypto').createHash('sha256').update(root).digest('hex').slice(0, 16));
}

/** Written aside and renamed: two podlab commands starting at once never see half a file. */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

async function rebuild(dir) {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    // CommonJS, so that V8's code cache applies (vm.Script); import.meta.url is the packaged path.
    format: 'cjs',
    target: 'node20',
    external: LAZY,
    write: false,
    logLevel: 'silent',
    define: { 'import.meta.url': '__podlabUrl' },
    // import() as require(): a script compiled from V8's code cache loses its dynamic-import
    // callback in Node 20; require() of an ES module package (the graph's wasm) works from 20.19.
    supported: { 'dynamic-import': false },
    banner: { js: `// Generated by bin/podlab.js from src/ with esbuild; rebuilt when src/ changes. Do not edit.\nvar __podlabUrl = require('node:url').pathToFileURL(__filename).href;` },
  };
  // The CLI, and the lab-evaluation cache's lookup with the sandboxed evaluator (src/compile/preload.ts):
  // small, for deciding below, before the CLI has loaded, whether a lab needs evaluating at all,
  // and for starting that evaluation.
  // And the bundles of COMMANDS: `down`, the live lab's commands and `check` load no compiler, no
  // schema and no other command; `up` none of the modules only other commands load.
  const entries = [['preload.cjs', 'src/compile/preload.ts'], ...ENTRIES];
  const [cli, ...rest] = await Promise.all([
    build({ ...common, entryPoints: [`${root}src/cli/main.ts`], outfile: `${dir}/podlab.cjs` }),
    ...entries.map(([bundle, entry]) => build({ ...common, entryPoints: [`${root}${entry}`], outfile: `${dir}/${bundle}` })),
  ]);
  mkdirSync(dir, { recursive: true });
  entries.forEach(([bundle], i) => writeAtomic(`${dir}/${bundle}`, asciiOnly(rest[i].outputFiles[0].text)));
  writeAtomic(`${dir}/podlab.cjs`, asciiOnly(cli.outputFiles[0].text));
}

/** The folder holding bundles as new as src/, (re)built when needed; undefined without esbuild. */
async function bundles() {
  // Equal times count as fresh: `npm pack` dates every file of a package alike.
  // This file is an input too (it holds the bundles' build options), and code-cache.js, which the
  // CLI bundle takes in.
  const srcTime = Math.max(newest(`${root}src`), builtAt(__filename), builtAt(`${root}bin/code-cache.js`));
  const fresh = (dir) => Math.min(...BUNDLES.map((b) => builtAt(`${dir}/${b}`))) >= srcTime;
  if (fresh(PACKAGED)) return PACKAGED;
  const dir = writable(PACKAGED) ? PACKAGED : userCache();
  if (dir !== PACKAGED && fresh(dir)) return dir;
  try {
    await rebuild(dir);
    return dir;
  } catch {
    return undefined;
  }
}

/** Runs a CommonJS bundle as if it were PACKAGED/<name>, from V8's code cache when there is one for it. */
function run(dir, name) {
  const file = `${dir}/${name}`;
  const as = `${PACKAGED}/${name}`;
  const { script, stamp } = cachedScript(file, readSource(file), as, `${file}.cache`);
  // What the CLI caches per build (src/render/render-cache.ts) is keyed by this stamp.
  if (name !== 'preload.cjs') globalThis[Symbol.for('podlab.bundle')] = { dir, stamp };
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(as), module, as, PACKAGED);
  return module.exports;
}

// `validate` and `up` evaluate each lab in the sandbox (src/compile/evaluate.ts). Started here,
// before the bundle is loaded, the sandbox runs on the other core meanwhile: the same evaluator and
// request as load.ts's (src/compile/preload.ts), which takes a result for the same file only, once
// (PRELOAD below), and evaluates on its own otherwise. Unused evaluations are not waited for. A lab the
// evaluation cache holds (src/compile/eval-cache.ts) needs none at all.
// The type check's Node (from its snapshot: about 0.15 s to start) is started here too, for the
// first lab evaluated whose check is not cached, when the command checks types: it serves every check.
function preload(early) {
  const PRELOAD = Symbol.for('podlab.preloadedLabs');
  const preloaded = new Map();
  const args = process.argv.slice(3);
  let checking = process.argv[2] === 'validate' ? !args.includes('--no-typecheck') : args.includes('--typecheck');
  for (const arg of args) {
    if (arg.startsWith('-') || !arg.endsWith('.ts') || !existsSync(arg) || preloaded.has(resolve(arg))) continue;
    // A lab the evaluation cache holds is unchanged: its check is most likely cached too.
    if (early.lookupEvaluation(resolve(arg))) continue;
    const checker = checking ? early.prestartCheck(resolve(arg)) : undefined;
    if (checker !== undefined) {
      checking = false;
      boot.push([`boot: the type check's Node started (pid ${checker})`, now(), now()]);
    }
    preloaded.set(resolve(arg), early.preloadLab(resolve(arg)));
  }
  globalThis[PRELOAD] = preloaded;
}

// PODLAB_TRACE=1: this file's phases, for the timeline src/lib/trace.ts prints. The clock only
// then: Node loads `performance` at its first use, 0.6 ms of every start.
const boot = (globalThis[Symbol.for('podlab.bootSpans')] = []);
const now = process.env.PODLAB_TRACE && process.env.PODLAB_TRACE !== '0' ? () => performance.now() : () => 0;
main();

async function main() {
  let t = now();
  const dir = await bundles();
  boot.push(['boot: bundles fresh? (stat src/)', t, (t = now())]);
  if ((process.argv[2] === 'validate' || process.argv[2] === 'up') && dir) preload(run(dir, 'preload.cjs'));
  if (dir) {
    const own = Object.hasOwn(COMMANDS, process.argv[2] ?? '') ? COMMANDS[process.argv[2]] : undefined;
    const entry = own?.takes(process.argv.slice(3)) ? own.bundle : 'podlab.cjs';
    run(dir, entry);
    boot.push([`boot: load the CLI bundle (${entry})`, t, now()]);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
}
