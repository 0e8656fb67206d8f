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

/** The plan with pods at their current IPs (a re-created pod has a new one), and checks aimed at them. */
export function livePlan(state: LabState): Plan {
  const ipOf = (name: string, planned: string) => state.pods[name]?.ip ?? planned;
  const pods = state.plan.pods.map((p) => ({ ...p, ip: ipOf(p.name, p.ip) }));
  const checks = state.plan.checks.map((c) => (c.to.kind === 'pod' ? { ...c, to: { ...c.to, ip: ipOf(c.to.name, c.to.ip) } } : c));
  return { ...state.plan, pods, checks };
}

export async function runCheck(state: LabState, planned: PlanCheck, ex: Executor = realExecutor): Promise<CheckResult> {
  const plan: Plan = livePlan(state);
  const check = plan.checks.find((c) => c.index === planned.index) ?? planned;
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
