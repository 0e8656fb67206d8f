/**
 * What the commands on a live lab share: exit codes, the Exit that ends a command once its message
 * is out, naming a lab by name or by file, a lab that must be up, a refused operation. Light: no
 * compiler, so that bin/podlab.js can run the commonest of them from a bundle of their own
 * (live-main.ts); naming a lab, printing a lab's diagnostics and compiling it are basics.ts's.
 */
import { formatDiagnostic } from '../compile/diagnostics.ts';
import { readState, type LabState } from '../runtime/state.ts';
import { withLabMutex } from '../runtime/mutex.ts';
import type { SyncReport } from '../runtime/services.ts';
import type { RuntimeError } from '../runtime/errors.ts';
import { color, dim } from './terminal.ts';

export { endQuietlyOnClosedPipe, EXIT, Exit, isLabFile, labName, labPrefix, notUpExit, prefixed, prefixNamed, readInputOrExit, usageExit } from './basics.ts';
import { EXIT, Exit, notUpExit } from './basics.ts';

/** The live state of a lab that must be up; otherwise PL3113 `lab "…" is not up` (as JSON with `json`) and exit 2. */
export function upOrExit(lab: string, json?: boolean): LabState {
  const state = readState(lab);
  if (!state) notUpExit(lab, undefined, json);
  return state;
}

/**
 * The live state of a lab that is up, not being built or removed; otherwise PL3113 (its status
 * named; `hint` adds what else would do), as JSON with `json`, and exit 2.
 */
export function upStateOrExit(lab: string, json?: boolean, hint = ''): LabState {
  const state = readState(lab);
  if (!state || state.status !== 'up') notUpExit(lab, state, json, hint);
  return state;
}

/** A target as kubectl's `-n` names it: `namespace/pod`, unless it already has a slash or is the gateway. */
export function inNamespace(target: string, namespace: string | undefined): string {
  return namespace && !target.includes('/') && target !== 'gateway' ? `${namespace}/${target}` : target;
}

/** A refused runtime operation (a RuntimeError: PodError, TargetError, …) printed with its code, or as JSON; then exit. */
export function refused(e: RuntimeError, opts: { json?: boolean; exit?: number } = {}): never {
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: [e.diagnostic] }, null, 2)}\n`);
  else process.stderr.write(`${formatDiagnostic(e.diagnostic, undefined, color)}\n`);
  throw new Exit(opts.exit ?? EXIT.failed);
}

/** Runs `fn` on the lab's current state, as its one writer when the lab's agent writes too (runtime/mutex.ts). */
export function asLabWriter<T>(lab: string, state: LabState, fn: (s: LabState) => Promise<T>): Promise<T> {
  return state.plan.loops ? withLabMutex(lab, () => fn(readState(lab) ?? state)) : fn(state);
}

/** The nft transactions a change sent, a dim line per namespace. */
export function ruleChangeLines(applied: SyncReport['applied']): string {
  return applied
    .map((a) => dim(`  ${a.target}: ${a.lines} rule change(s) in ${a.ms} ms${a.rewritten ? `; table ${a.rewritten.map(tableName).join(', ')} rewritten whole: the kernel's was not what podlab last wrote` : ''}\n`))
    .join('');
}

/** A registry key as nft names the table: `podlab` → `ip podlab`, `ip6 podlab` as it is. */
function tableName(key: string): string {
  return key.includes(' ') ? key : `ip ${key}`;
}
