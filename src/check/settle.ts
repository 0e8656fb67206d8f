/**
 * Fail fast, keeping eventual semantics: a check is retried until it passes or its timeout
 * expires, except that a failure whose outcome is settled fails at once. Settled means:
 * - the attempt's verdict is definite (a refusal, a DNS answer: `Verdict.definite`), not the
 *   absence of an answer (a timeout, a drop, which a route or rule still being programmed gives too);
 * - nothing of the lab is pending that could change it: the lab is up (not being created or
 *   changed), the target pod runs only podlab's built-in programs (which `up` waits for until they
 *   listen; a `command` container may still be starting), and the live state (pods, their
 *   addresses and processes, Service endpoints, policies) is the same as at the attempt before;
 * - and the attempt before saw the same definite answer.
 * So a settled failure fails one confirmation (50 ms, and a probe) after it is first seen, not at
 * its timeout.
 *
 * `retry` is the loop, with its clock and sleep passed in (tests use a fake clock); `liveKey` is
 * what "nothing pending" reads from the lab's state.
 */
import type { PlanCheck } from '../plan/plan.ts';
import type { LabState } from '../runtime/state.ts';
import type { Verdict } from './kinds/kind.ts';

/** One attempt, as far as settling goes. `live`: the lab's live-state key then, undefined when something is pending. */
export interface Attempt {
  verdict: Verdict;
  live: string | undefined;
  /** The lab's facts already explain the failure for good (check/why.ts: no endpoints, a policy's reject counted it, no container declares the port). */
  settledCause?: boolean;
}

/** Whether `cur` settles the check as failed, `prev` being the attempt before it. */
export function isSettled(prev: Attempt | undefined, cur: Attempt): boolean {
  const definiteFailure = (a: Attempt) => !a.verdict.ok && a.verdict.definite === true && a.live !== undefined;
  return prev !== undefined && definiteFailure(prev) && definiteFailure(cur) && prev.verdict.seen === cur.verdict.seen && prev.live === cur.live;
}

export interface RetryOptions {
  timeoutMs: number;
  /** The least time from the start of one attempt to the start of the next. */
  intervalMs: number;
  /** The wait before confirming a definite failure (shorter than intervalMs: settling it is the likely outcome). */
  confirmMs: number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Off: retry every failure until the timeout (as before fail-fast). */
  failFast: boolean;
}

export interface RetryOutcome {
  verdict: Verdict;
  attempts: number;
  ms: number;
  /** The failure was settled before the timeout. */
  settled: boolean;
}

/** Runs `attempt` until it passes, its failure is settled, or the time is up. */
export async function retry(attempt: () => Promise<Attempt>, o: RetryOptions): Promise<RetryOutcome> {
  const started = o.now();
  let attempts = 0;
  let prev: Attempt | undefined;
  for (;;) {
    attempts++;
    const began = o.now();
    const cur = await attempt();
    const ms = o.now() - started;
    if (cur.verdict.ok) return { verdict: cur.verdict, attempts, ms, settled: false };
    if (o.failFast && (cur.settledCause || isSettled(prev, cur))) return { verdict: cur.verdict, attempts, ms, settled: true };
    prev = cur;
    const candidate = o.failFast && !cur.verdict.ok && cur.verdict.definite === true && cur.live !== undefined;
    // Attempts start at most every intervalMs: one that waited out its probe's timeout (silence) is
    // followed at once, a quick answer after the rest of the interval.
    const wait = candidate ? o.confirmMs : Math.max(0, o.intervalMs - (o.now() - began));
    if (ms + wait >= o.timeoutMs) return { verdict: cur.verdict, attempts, ms, settled: false };
    await o.sleep(wait);
  }
}

/** The pod a check aims at, if it aims at a pod. */
function targetPod(check: PlanCheck): string | undefined {
  return 'to' in check && check.to && typeof check.to === 'object' && 'kind' in check.to && check.to.kind === 'pod' ? check.to.name : undefined;
}

/** Whether a container runs the author's own command, not a built-in podlab waits for (`@workload`, `@dns`, `@nginx`). */
export const runsOwnCommand = (c: { argv: readonly string[] }): boolean => !c.argv[0]?.startsWith('@');

/**
 * The lab's live state as far as a check's outcome can depend on it, or undefined when something
 * is pending: the lab is not up, or a server podlab does not wait for may still be starting (a
 * `command` container of the author's own in the target pod, or, for any other target, in a pod
 * that declares ports).
 */
export function liveKey(state: LabState | undefined, check: PlanCheck): string | undefined {
  if (!state || state.status !== 'up') return undefined;
  const pod = targetPod(check);
  const ownServer = (c: { argv: string[]; ports: readonly unknown[] }, target: boolean) => runsOwnCommand(c) && (target || c.ports.length > 0);
  for (const p of state.plan.pods) {
    if (pod !== undefined && p.name !== pod) continue;
    if (!state.pods[p.name] || p.containers.some((c) => ownServer(c, pod !== undefined))) return undefined;
  }
  if (pod !== undefined && !state.plan.pods.some((p) => p.name === pod)) return undefined;
  const pods = Object.entries(state.pods).map(([name, p]) => [name, p.ip, p.pause?.pid, Object.values(p.containers).map((c) => c.pid)]);
  return JSON.stringify([pods, state.endpoints ?? null, state.policies ?? null, state.steps.length]);
}
