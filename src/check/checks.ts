/**
 * Running one check kind's pieces: the probe (argv plus the line a learner can paste) and the
 * judge, dispatched through the registry of kinds (kinds/index.ts), where each kind is a pure
 * command builder plus a pure judge of the command's output. The runner (run.ts) retries a check
 * until it passes or its timeout expires and reports evidence: what was expected, what was seen.
 */
import type { Plan, PlanCheck } from '../plan/plan.ts';
import { sourceAddressesOf } from './kinds/targets.ts';
import type { RunResult } from '../runtime/exec.ts';
import { probeKindOf, type ProbeKindName } from './kinds/index.ts';
import { sourceRef as refOf, type Attempt, type Verdict } from './kinds/kind.ts';
import { freshNonce, type Prover } from '../lib/proof.ts';

export type { Verdict } from './kinds/kind.ts';

export interface Probe {
  /** argv to run inside the check's source (pod or node). */
  argv: string[];
  /** The same as a command a learner can paste. */
  reproduce: string;
}

export interface CheckResult {
  index: number;
  name: string;
  kind: PlanCheck['kind'];
  status: 'pass' | 'fail';
  expected: string;
  seen: string;
  command: string;
  attempts: number;
  ms: number;
  /** It failed before its timeout: the failure was settled (src/check/settle.ts). */
  settled?: boolean;
  /** Matrix checks: the grid of cell results, row-major (sources × targets). */
  matrix?: { rows: string[]; cols: string[]; cells: CheckResult[] };
}

/** A check run as one probe (every kind but a grid's). */
export type ProbeCheck = PlanCheck<ProbeKindName>;

export function sourceRef(check: ProbeCheck): string {
  return refOf(check.from);
}

/** The probe of one attempt (with `attempt`, its nonces); `reproduce` is the line a learner pastes, which needs none. */
export function buildProbe(plan: Plan, check: ProbeCheck, probeBin: string, attemptMs?: number, attempt?: Attempt): Probe {
  const kind = probeKindOf(check.kind);
  const argv = kind.probe(check, probeBin, attemptMs, attempt);
  const shown = attempt ? kind.probe(check, probeBin, attemptMs) : argv;
  return { argv, reproduce: `podlab exec ${plan.lab} ${sourceRef(check)} -- ${shown.map(shellQuote).join(' ')}` };
}

/** Whether the check's answers must prove where they came from (its kind sends nonces). */
export const sendsNonces = (check: ProbeCheck): boolean => probeKindOf(check.kind).challenges !== undefined;

/**
 * What one attempt of a check holds beyond its plan (SECURITY.md, boundary 13): for a kind whose
 * answers must prove where they came from, a fresh nonce per request and the lab's prover; none
 * for the others.
 */
export function freshAttempt(check: ProbeCheck, prover: Prover | undefined): Attempt | undefined {
  if (!sendsNonces(check)) return undefined;
  return { nonces: Array.from({ length: probeKindOf(check.kind).challenges!(check) }, freshNonce), ...(prover ? { prover } : {}) };
}

/** Addresses a check's source may legitimately appear as to the target (a node has several). */
export function sourceAddresses(plan: Plan, check: ProbeCheck): string[] {
  return sourceAddressesOf(plan, sourceRef(check));
}

/** Judges one attempt (`attempt`: what freshAttempt gave its probe). Pure: the same output always gets the same verdict. */
export function judge(plan: Plan, check: ProbeCheck, r: RunResult, attempt?: Attempt): Verdict {
  return probeKindOf(check.kind).judge(plan, check, r, attempt);
}

/** Quotes an argument for a POSIX shell when it needs it, so a reproduce line can be pasted as is. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}
