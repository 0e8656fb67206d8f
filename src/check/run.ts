/**
 * Runs a live lab's checks: all in parallel, each retried until it passes or its timeout expires.
 */
import type { Plan, PlanCheck } from '../plan/plan.ts';
import { realExecutor, type Executor } from '../runtime/exec.ts';
import { WORKLOAD_SCRIPT } from '../runtime/host.ts';
import { sourceArgv } from '../runtime/enter.ts';
import type { LabState } from '../runtime/state.ts';
import { buildProbe, judge, sourceRef, type CheckResult } from './checks.ts';

const RETRY_INTERVAL_MS = 200;

export async function runCheck(state: LabState, check: PlanCheck, ex: Executor = realExecutor): Promise<CheckResult> {
  const plan: Plan = state.plan;
  const probe = buildProbe(plan, check, WORKLOAD_SCRIPT);
  const enter = sourceArgv(state, sourceRef(check));
  const started = Date.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const r = await ex.run([...enter, ...probe.argv], { timeoutMs: 5000 });
    const v = judge(plan, check, r);
    const elapsed = Date.now() - started;
    if (v.ok || elapsed + RETRY_INTERVAL_MS >= check.timeoutMs)
      return { index: check.index, name: check.name, kind: check.kind, status: v.ok ? 'pass' : 'fail', expected: v.expected, seen: v.seen, command: probe.reproduce, attempts, ms: elapsed };
    await new Promise((res) => setTimeout(res, RETRY_INTERVAL_MS));
  }
}

export async function runChecks(state: LabState, ex: Executor = realExecutor): Promise<CheckResult[]> {
  return Promise.all(state.plan.checks.map((c) => runCheck(state, c, ex)));
}
