/**
 * The type check's startup snapshot (check-snapshot.ts): a V8 heap image of a Node that has the
 * TypeScript compiler loaded, and TypeScript's lib files, the lab's globals and podlab's types
 * written out (author-types.ts) parsed and bound. A check of an edited lab runs in a Node started
 * from it, in about 0.17 s of wall time, instead of about 0.5 s in podlab's own process (loading
 * the compiler from V8's code cache, parsing, and a cold JIT). That Node serves every later check
 * of the same process in about 20 ms each (`validate` of many labs), and ends before it: when
 * the process has nothing left to do, or after IDLE_MS without a check.
 *
 * Built by the first check that finds none for its key (about 1 s, once per podlab version and
 * Node; that check runs in process meanwhile), or by the check that writes podlab's types out; in
 * podlab's build folder (`typecheck/`) for podlab's types as they come with it, else in the
 * type-check cache's directory (`snapshot/`): snapshotFor. Named by a hash of everything it
 * holds: the snapshot's own sources, the compiler and its options, podlab's types, and the Node
 * that built it (a snapshot runs only in the Node binary that made it). It holds podlab's own
 * files only, never a lab. Building it runs the compiler as the user podlab runs as, as the check
 * in process does.
 *
 * Whatever fails (no esbuild, a Node that cannot build or start from it, a check that does not
 * answer) costs only the speed: the check runs in process, and a key whose snapshot failed is not
 * built again (`<key>.failed` says why).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_DIR } from '../lib/build-dir.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { SHIPPED_TYPES } from './author-types.ts';
import type { BuildRequest, Checked } from './check-program.ts';
import { codeCacheOf, labCheckEnv, tsMorphCommonDir } from './ts-morph.ts';
import { cacheDir, sha256 } from './typecheck-cache.ts';

/** Bump when what a snapshot holds or answers changes in a way its sources do not show. */
const FORMAT = 1;
/** The snapshot's program and what it bundles; from the repository root, so that the path holds in the CLI bundle too. */
const ENTRY = fileURLToPath(new URL('../../src/compile/check-snapshot.ts', import.meta.url));
const SOURCES = [ENTRY, ...['../../src/compile/check-program.ts', '../../bin/code-cache.js'].map((f) => fileURLToPath(new URL(f, import.meta.url)))];
/** A build takes about 1 s, a check about 0.03 s once the Node runs; these only bound a Node that hangs. */
const BUILD_TIMEOUT_MS = 120_000;
const CHECK_TIMEOUT_MS = 60_000;
/** How long the snapshot's Node waits for this process's next check before it ends. */
const IDLE_MS = 10_000;

/**
 * The snapshot for podlab's types at `types` and the compiler named by `compiler` (typecheck.ts),
 * built or not; undefined when a file it depends on cannot be read. Of podlab's types as they come
 * with podlab it is the package's, in its build folder beside its other builds (`typecheck/`):
 * everything it holds is the package's and the machine's, so one serves every user and every
 * type-check cache (a user's first `validate` after `scripts/setup.sh` built it checks in 0.2 s,
 * not 1.5). Of types written out into a user's cache (a podlab whose sources changed), it is that
 * cache's.
 */
export function snapshotFor(types: string, compiler: string): string | undefined {
  try {
    const parts = [FORMAT, compiler, process.version, process.execPath, types, sha256(readFileSync(types, 'utf8')), ...SOURCES.map((f) => sha256(readFileSync(f, 'utf8')))];
    const dir = types === SHIPPED_TYPES ? join(BUILD_DIR, 'typecheck') : join(cacheDir(), 'snapshot');
    return join(dir, `check-${sha256(JSON.stringify(parts)).slice(0, 32)}.blob`);
  } catch {
    return undefined;
  }
}

/** The Node started from a snapshot, serving this process's checks one at a time. */
interface Checker {
  blob: string;
  child: ChildProcess;
  /** Answers awaited, oldest first: the child answers in order. */
  waiting: ((answer: Checked | { error: string } | undefined) => void)[];
  idle?: NodeJS.Timeout;
}

/**
 * This process's checker, and whether it is ended with the process. Shared by every bundle of
 * podlab in the process: bin/podlab.js's small preload bundle may start the checker (startSnapshotChecker)
 * that the CLI bundle's check then uses.
 */
const shared: { checker?: Checker; endsWithProcess?: boolean } = ((globalThis as Record<symbol, unknown>)[Symbol.for('podlab.typecheckSnapshot')] ??= {}) as { checker?: Checker; endsWithProcess?: boolean };

/**
 * Checks the lab at `abs` in a Node started from the snapshot `blob` (snapshotFor); undefined when
 * it is not built or that cannot be done (the caller checks in process). One Node serves every
 * check of this process, and ends when it has had none for IDLE_MS or this process ends.
 */
export async function snapshotCheck(abs: string, blob: string): Promise<Checked | undefined> {
  const c = checkerFor(blob);
  if (!c) return undefined;
  clearTimeout(c.idle);
  c.child.ref();
  const answer = await new Promise<Checked | { error: string } | undefined>((done) => {
    // A Node that does not answer is ended: 'exit' answers what waits.
    const hung = setTimeout(() => c.child.kill('SIGKILL'), CHECK_TIMEOUT_MS);
    c.waiting.push((a) => (clearTimeout(hung), done(a)));
    c.child.stdin!.write(`${JSON.stringify(abs)}\n`);
  });
  if (shared.checker === c && !c.waiting.length) idle(c);
  // A check that threw is this lab's alone: the check in process says what it makes of it.
  return answer && !('error' in answer) ? answer : undefined;
}

/** Ends this process's snapshot checker, if it has one (for tests and long-running commands). */
export function closeSnapshotChecker(): void {
  const c = shared.checker;
  shared.checker = undefined;
  if (!c) return;
  clearTimeout(c.idle);
  c.child.stdin!.end();
  c.child.unref();
}

/**
 * Starts the Node of the snapshot `blob` now, for a check to come (bin/podlab.js, before the CLI
 * has loaded: about 0.15 s of start-up then runs meanwhile). Unused, it ends as an idle one does.
 * Its pid, when it runs.
 */
export function startSnapshotChecker(blob: string): number | undefined {
  const running = shared.checker?.blob === blob;
  const c = checkerFor(blob);
  if (c && !running) idle(c);
  return c?.child.pid;
}

/** This process's checker for the snapshot `blob`, started now (ending one of another) if need be; none when the snapshot is not built. */
function checkerFor(blob: string): Checker | undefined {
  if (!existsSync(blob)) return undefined;
  if (shared.checker?.blob !== blob) closeSnapshotChecker();
  return (shared.checker ??= startChecker(blob));
}

/** Lets this process end without waiting for `c`, which ends itself after IDLE_MS without a check. */
function idle(c: Checker): void {
  c.child.unref();
  c.idle = setTimeout(closeSnapshotChecker, IDLE_MS).unref();
}

function startChecker(blob: string): Checker {
  if (!shared.endsWithProcess) {
    shared.endsWithProcess = true;
    // When this process has nothing left to do, it ends its checker (which has nothing to finish:
    // SIGKILL spares it Node's own teardown of a 100 MB heap) and waits for it: no Node of a
    // command outlives the command.
    process.on('beforeExit', () => {
      const c = shared.checker;
      if (!c) return;
      closeSnapshotChecker();
      c.child.kill('SIGKILL');
      c.child.ref();
    });
  }
  // No environment: NODE_OPTIONS and the like have no say in a check.
  const child = spawn(process.execPath, ['--snapshot-blob', blob], { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
  const c: Checker = { blob, child, waiting: [] };
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      let answer: Checked | { error: string } | undefined;
      try {
        answer = JSON.parse(line) as Checked | { error: string };
      } catch {
        answer = undefined;
      }
      c.waiting.shift()?.(answer);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-4000);
  });
  child.stdin!.on('error', () => {
    /* the child ended: 'exit' answers what waits */
  });
  const ended = (why: string) => {
    if (shared.checker === c) shared.checker = undefined;
    // A Node that ended while checks waited (one started from a damaged snapshot aborts, one that
    // hangs is killed) is not started from that snapshot again; those checks run in process.
    if (c.waiting.length) failed(blob, `the snapshot's Node ended with ${why} while checking: ${err.trim()}`);
    for (const done of c.waiting.splice(0)) done(undefined);
  };
  child.on('error', (e) => ended(e.message));
  child.on('exit', (code, signal) => ended(signal ?? `exit status ${code}`));
  for (const stream of [child.stdout, child.stderr, child.stdin] as unknown as { unref?(): void }[]) stream.unref?.();
  return c;
}

/** Builds the snapshot `blob` (snapshotFor) of podlab's types at `types` unless it exists or failed before; whether it exists now. */
export async function prepareSnapshot(blob: string, types: string): Promise<boolean> {
  return existsSync(blob) || (await buildSnapshot(blob, types));
}

/** Node building the snapshot from check-snapshot.ts, the request on its stdin; why it failed, or undefined. */
function runBuilder(entry: string, tmp: string, request: BuildRequest): Promise<string | undefined> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', entry], { env: {}, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const hung = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    const end = (why: string | undefined) => (clearTimeout(hung), done(why));
    child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.stdin!.on('error', () => {
      /* 'exit' says why */
    });
    child.on('error', (e) => end(e.message));
    child.on('exit', (code, signal) => end(code === 0 && existsSync(tmp) ? undefined : `${signal ?? `exit status ${code}`}: ${err.trim().split('\n').slice(-3).join(' ')}`));
    child.stdin!.end(JSON.stringify(request));
  });
}

async function buildSnapshot(blob: string, types: string): Promise<boolean> {
  if (existsSync(`${blob}.failed`)) return false;
  const dir = dirname(blob);
  const entry = blob.replace(/\.blob$/, '.cjs');
  const tmp = `${blob}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const bundle = buildSync({ entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent' });
    writeFileAtomic(entry, bundle.outputFiles[0]!.contents, 0o600);
    const typescript = join(tsMorphCommonDir(), 'typescript.js');
    const why = await runBuilder(entry, tmp, { typescript, codeCache: codeCacheOf(typescript), env: labCheckEnv(), types });
    if (why) throw new Error(`node --build-snapshot ended with ${why}`);
    renameSync(tmp, blob);
  } catch (e) {
    rmSync(tmp, { force: true });
    failed(blob, (e as Error).message);
    return false;
  }
  // One snapshot per cache: those of other keys (podlab's old types, an older Node) go.
  const own = new Set([blob, entry].map((f) => f.slice(dir.length + 1)));
  for (const f of readdirSync(dir)) if (f.startsWith('check-') && !own.has(f) && !f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
  return true;
}

/** Records why the snapshot of this key is not used; the check runs in process from now on. */
function failed(blob: string, why: string): void {
  try {
    rmSync(blob, { force: true });
    writeFileSync(`${blob}.failed`, `${why}\n`, { mode: 0o600 });
  } catch {
    /* only the speed */
  }
}
