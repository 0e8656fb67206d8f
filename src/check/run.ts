/**
 * Runs a live lab's checks: all in parallel (at most PROBES_AT_ONCE probes in flight, and
 * SILENT_PROBES_AT_ONCE more of those the policies drop), each
 * retried until it passes, its failure is settled (settle.ts: a definite answer with nothing
 * pending; PODLAB_FAIL_FAST=0 turns that off) or its timeout expires. A matrix runs its cells the same way and passes
 * when every cell does.
 */
import type { Plan, PlanCheck } from '../plan/plan.ts';
import { realExecutor, type Executor } from '../runtime/exec.ts';
import { ensureNative, PROBE_BIN } from '../runtime/artifacts.ts';
import { sourceArgv, TargetError } from '../runtime/enter.ts';
import { readState, type LabState } from '../runtime/state.ts';
import { POLICY } from '../constants.ts';
import { counterFamily, counterNodes, liveView, policyDenies, policyDrops } from '../runtime/explain.ts';
import { observeCounters } from '../runtime/policy-counters.ts';
import { explain, type Explanation } from '../trace/explain.ts';
import { buildProbe, freshAttempt, judge, sendsNonces, sourceRef, type CheckResult, type ProbeCheck } from './checks.ts';
import { labProver } from '../runtime/identity.ts';
import { GRID_KINDS, type GridKindName } from './kinds/index.ts';
import { checkRequestOf, isReach, learnerCommand, whyFailed, type Cause } from './why.ts';
import { liveKey, retry } from './settle.ts';

const RETRY_INTERVAL_MS = 200;
/** The wait before a definite failure is probed again to confirm it is settled (settle.ts). */
const CONFIRM_MS = 50;
/** Probes are short-lived processes; more than this at once only makes each one slower on a small machine. */
const PROBES_AT_ONCE = 16;
/**
 * Probes the policies drop spend their POLICY.dropSilenceMs asleep, waiting for an answer that
 * does not come: they take slots of their own, more of them, so a truth table's denied cells wait
 * side by side rather than in waves of PROBES_AT_ONCE.
 */
const SILENT_PROBES_AT_ONCE = 64;

/** The plan with pods at their current IPs (a re-created pod has a new one; a scaled copy is in the state's plan). */
export function livePlan(state: LabState): Plan {
  const pods = state.plan.pods.map((p) => {
    const now = state.pods[p.name];
    return { ...p, ip: now?.ip ?? p.ip, ips: now?.ips ?? (now?.ip && p.ips.length === 1 ? [now.ip] : p.ips) };
  });
  return { ...state.plan, pods, checks: state.plan.checks.map((c) => liveCheck(state, c)) };
}

/**
 * A check aimed at a pod's current IP, of the family it was planned in (a check with `family:
 * 'IPv6'`, or one in an IPv6-primary lab, stays on IPv6 when the pod is re-created).
 */
export function liveCheck<C extends PlanCheck>(state: LabState, c: C): C {
  if (c.kind === 'matrix') return { ...c, matrix: { ...c.matrix, cells: c.matrix.cells.map((cell) => liveCheck(state, cell)) } };
  if (!('to' in c) || c.to?.kind !== 'pod') return c;
  const now = state.pods[c.to.name];
  const v6 = c.to.ip.includes(':');
  const ip = now?.ips?.find((a) => a.includes(':') === v6) ?? (now?.ip !== undefined && now.ip.includes(':') === v6 ? now.ip : undefined);
  return { ...c, to: { ...c.to, ip: ip ?? c.to.ip } };
}

/**
 * What the policies in force do to a TCP, UDP, HTTP or ping check, or a dns check's query (src/trace/explain.ts on the live
 * view), when they deny it whichever endpoint it meets. `drops`: silence is its answer, and an
 * attempt waits POLICY.dropSilenceMs for it instead of a second. The verdict is still the packets':
 * an answer within that time is an answer (a policy just allowed it, or the prediction is wrong).
 */
function policyDenial(state: LabState, c: ProbeCheck): { x: Explanation; drops: boolean } | undefined {
  const req = state.plan.networkPolicy ? checkRequestOf(state.plan, c) : undefined;
  if (!req) return undefined;
  try {
    const x = explain(liveView(state), req);
    return policyDenies(x) ? { x, drops: policyDrops(state, x) } : undefined;
  } catch {
    return undefined; // an end explain cannot resolve: no prediction, a full attempt
  }
}

/** A counting semaphore: `run(fn)` waits for a free slot. */
function limiter(slots: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = slots;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (free > 0) free--;
    else await new Promise<void>((res) => waiting.push(res));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

const slot = limiter(PROBES_AT_ONCE);
const silentSlot = limiter(SILENT_PROBES_AT_ONCE);

/** Builds the native probe once per process if it is missing or stale (a lab brought up by an older podlab). */
let probeReady: Promise<void> | undefined;
function ensureProbe(): Promise<void> {
  return (probeReady ??= ensureNative().then((d) => {
    if (d) throw new Error(`${d.message}. ${d.hint ?? ''}`.trim());
  }));
}

/** What a check expects, as its kind's judge says it (asked of an attempt that produced nothing). */
function expectedOf(plan: Plan, check: ProbeCheck): string {
  try {
    return judge(plan, check, { exitCode: 1, stdout: '', stderr: '' }).expected;
  } catch {
    return check.name;
  }
}

export async function runCheck(state: LabState, planned: PlanCheck, ex: Executor = realExecutor): Promise<CheckResult> {
  const plan = livePlan(state);
  const check = liveCheck(state, planned);
  if (check.kind === 'matrix') return runGrid(state, check, ex);
  await ensureProbe();
  const denial = policyDenial(state, check);
  const drops = denial?.drops === true;
  const attemptMs = drops ? POLICY.dropSilenceMs : undefined;
  const probe = buildProbe(plan, check, PROBE_BIN, attemptMs);
  // An http check's answers prove which pod gave them: fresh nonces each attempt, checked with the lab's secret (boundary 13).
  const prover = sendsNonces(check) ? labProver(state.lab) : undefined;
  const inSlot = drops ? silentSlot : slot;
  const command = learnerCommand(plan.lab, check) ?? probe.reproduce;
  let enter: string[];
  try {
    enter = sourceArgv(state, sourceRef(check));
  } catch (e) {
    // The check's source is not running (a pod deleted, its sandbox gone): nothing to send from. A
    // failed check, not an error of the run: the other checks go on.
    if (!(e instanceof TargetError)) throw e;
    return { index: check.index, name: check.name, kind: check.kind, status: 'fail', expected: expectedOf(plan, check), seen: `not run: ${e.message.replace(/; is the lab fully up\?.*$/, '')}`, command, attempts: 0, ms: 0, settled: true };
  }
  // Why it fails, asked once after the first failure (src/check/why.ts: a reach check's cause, a dead
  // server or BIRD); a settled cause ends the retries.
  let why: Cause | undefined | null = null;
  // A check expected to reach that the policies deny: its first attempt is counted (the denying
  // rule's counter), so why.ts names the rule without a probe of its own.
  let countFirst = denial && ((isReach(check) && check.expect === 'reach') || check.kind === 'dns') ? denial.x : undefined;
  const outcome = await retry(
    async () => {
      const attempt = freshAttempt(check, prover);
      const argv = attempt ? buildProbe(plan, check, PROBE_BIN, attemptMs, attempt).argv : probe.argv;
      const send = () => ex.run([...enter, ...argv], { timeoutMs: 5000 });
      const x = countFirst;
      countFirst = undefined;
      const { result: r, fired } = x ? await inSlot(() => observeCounters(ex, state, counterNodes(x), send, counterFamily(x))) : { result: await inSlot(send), fired: undefined };
      const counted = x && fired ? { x, fired } : undefined;
      const verdict = judge(plan, check, r, attempt);
      if (!verdict.ok && why === null) why = await whyFailed(ex, state, check, counted);
      // The live state is read only for a definite failure: the one case it can decide.
      return { verdict, live: !verdict.ok && verdict.definite ? liveKey(readState(state.lab), planned) : undefined, ...(why?.settled ? { settledCause: true } : {}) };
    },
    { timeoutMs: check.timeoutMs, intervalMs: RETRY_INTERVAL_MS, confirmMs: CONFIRM_MS, now: Date.now, sleep: (ms) => new Promise((res) => setTimeout(res, ms)), failFast: process.env.PODLAB_FAIL_FAST !== '0' },
  );
  const v = outcome.verdict;
  const cause = why as Cause | undefined | null;
  const seen = !v.ok && cause ? `${cause.cause} (${v.seen})` : v.seen;
  return { index: check.index, name: check.name, kind: check.kind, status: v.ok ? 'pass' : 'fail', expected: v.expected, seen, command, attempts: outcome.attempts, ms: outcome.ms, ...(outcome.settled ? { settled: true } : {}) };
}

/** A grid kind: its cells run as ordinary checks (in parallel), then its judge reads their outcomes. */
async function runGrid(state: LabState, check: PlanCheck<GridKindName>, ex: Executor): Promise<CheckResult> {
  const kind = GRID_KINDS[check.kind];
  const started = Date.now();
  const { rows, cols, cells } = kind.grid(check);
  const results = await Promise.all(cells.map((c) => runCheck(state, c, ex)));
  const v = kind.judge(check, results);
  return {
    index: check.index,
    name: check.name,
    kind: check.kind,
    status: v.ok ? 'pass' : 'fail',
    expected: v.expected,
    seen: v.seen,
    command: results.find((r) => r.status === 'fail')?.command ?? results[0]?.command ?? '',
    attempts: Math.max(...results.map((r) => r.attempts)),
    ms: Date.now() - started,
    matrix: { rows, cols, cells: results },
  };
}

export async function runChecks(state: LabState, ex: Executor = realExecutor): Promise<CheckResult[]> {
  return Promise.all(state.plan.checks.map((c) => runCheck(state, c, ex)));
}
