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
import { sourceRef as refOf, type Verdict } from './kinds/kind.ts';

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

export function buildProbe(plan: Plan, check: ProbeCheck, probeBin: string, attemptMs?: number): Probe {
  const argv = probeKindOf(check.kind).probe(check, probeBin, attemptMs);
  return { argv, reproduce: `podlab exec ${plan.lab} ${sourceRef(check)} -- ${argv.map(shellQuote).join(' ')}` };
}

/** Addresses a check's source may legitimately appear as to the target (a node has several). */
export function sourceAddresses(plan: Plan, check: ProbeCheck): string[] {
  return sourceAddressesOf(plan, sourceRef(check));
}

/** Judges one attempt. Pure: the same output always gets the same verdict. */
export function judge(plan: Plan, check: ProbeCheck, r: RunResult): Verdict {
  return probeKindOf(check.kind).judge(plan, check, r);
}

/** Quotes an argument for a POSIX shell when it needs it, so a reproduce line can be pasted as is. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}
