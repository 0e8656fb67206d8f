/**
 * Grading: evaluates a student's submission (a lab file) and returns the plain data it exports,
 * or a categorised reason why not. The evaluation is the one sandbox every lab file goes through
 * (src/compile/evaluate.ts); what this module adds for a submission is the trip there:
 *   - the file is read as root without trusting it (safe-read: no link followed, no FIFO or
 *     device, at most SOURCE_CAP bytes) and copied into a throw-away folder of its own
 *     (build/grade-tmp/<random>/, 0755 in a 0711 parent: a sandbox can pass through to its own
 *     folder, never list the others), removed afterwards;
 *   - the sandbox sees that folder alone of the submission's side (`ownFolderOnly`: whatever the
 *     copy imports, no other student's submission comes into view);
 *   - messages name the submission by its file name, never by the throw-away path.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from '../lib/crypto.ts';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateModule, sandboxAvailable, type EvalLimits, type EvalResult } from '../compile/evaluate.ts';
import { readUntrusted, SafeReadError } from '../lib/safe-read.ts';

export { sandboxAvailable };

export type SandboxLimits = EvalLimits;

/** `unreadable`: the submission's file itself was refused before anything ran (a link, a FIFO, too large). */
export type SandboxResult = EvalResult | { ok: false; reason: 'unreadable' | 'sandbox-failed'; message: string; ms: number; uid?: undefined };

/** The most of a submission's source that is read (and copied into the sandbox): far above any honest lab. */
export const SOURCE_CAP = 1024 * 1024;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repo so the copy's nearest package.json is podlab's ("type": "module"); under build/ so it is git-ignored. */
const GRADE_ROOT = join(REPO_ROOT, 'build', 'grade-tmp');

/**
 * Evaluates `file` in the sandbox and returns what it exports (`export default`, else `export
 * const lab`) if that is plain JSON data. Never throws for anything the submission does. As root,
 * refuses (`sandbox-failed`) rather than run a submission unconfined.
 */
export async function evaluateInSandbox(file: string, limits: SandboxLimits = {}): Promise<SandboxResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let source: Buffer;
  try {
    // A symlink would make root copy whatever it points at (/etc/shadow) into the sandbox; a FIFO
    // would hang the grader, /dev/zero fill its memory: readUntrusted refuses all three.
    source = readUntrusted(file, SOURCE_CAP);
  } catch (e) {
    if (e instanceof SafeReadError) return { ok: false, reason: 'unreadable', message: `${e.diagnostic.code} ${e.message}`, ms: ms() };
    return { ok: false, reason: 'sandbox-failed', message: `cannot read ${file}: ${(e as Error).message}`, ms: ms() };
  }
  const work = join(GRADE_ROOT, randomBytes(12).toString('hex'));
  try {
    // 0711: a sandbox may pass through to its own run's directory but not list the others' (grading in parallel).
    mkdirSync(GRADE_ROOT, { recursive: true, mode: 0o711 });
    chmodSync(GRADE_ROOT, 0o711);
    // root-owned, readable by the sandbox's uid, writable by no one but root.
    mkdirSync(work, { mode: 0o755 });
    chmodSync(work, 0o755);
    const copy = join(work, copyName(file));
    writeFileSync(copy, source, { mode: 0o644 });
    chmodSync(copy, 0o644);
    const r = await evaluateModule({ file: copy, ownFolderOnly: true, ...limits });
    return r.ok ? r : { ...r, message: scrub(r.message, work), ...(r.error !== undefined ? { error: scrub(r.error, work) } : {}) };
  } catch (e) {
    return { ok: false, reason: 'sandbox-failed', message: `the sandbox could not run: ${(e as Error).message}`, ms: ms() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Messages name the submission by its file name, never by the throw-away path. */
function scrub(message: string, work: string): string {
  return message.replaceAll(`file://${work}/`, '').replaceAll(`${work}/`, '');
}

/** The copy keeps the submission's file name (messages and stack traces mention it) when it is a plain one. */
function copyName(file: string): string {
  const name = basename(file);
  return /^[\w-][\w.-]*\.(ts|mts|cts|tsx|js|mjs|cjs)$/.test(name) ? name : 'submission.lab.ts';
}
