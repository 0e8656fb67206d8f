/**
 * Runs a scenario against a live lab: its steps in order, each action applied and each check
 * retried until it passes or times out (as every check is). A failed check does not stop the
 * scenario (what happens next is evidence too); a failed action does, and the steps after it are
 * reported as skipped, since they would run against a lab in an unknown state.
 */
import type { PlanScenario } from '../plan/plan.ts';
import { ActionFailed, describeAction, runAction } from './actions/index.ts';
import { liveLab } from '../runtime/actions.ts';
import { setTemplateEnv } from '../api/live.ts';
import { withLabMutex } from '../runtime/mutex.ts';
import { realExecutor, type Executor } from '../runtime/exec.ts';
import { readState, type LabState } from '../runtime/state.ts';
import { RuntimeError } from '../runtime/errors.ts';
import type { CheckResult } from './checks.ts';
import { runCheck } from './run.ts';

export interface StepResult {
  /** 1-based, as a reader counts. */
  step: number;
  kind: 'action' | 'check';
  name: string;
  status: 'pass' | 'fail' | 'skipped';
  /** What happened (an action) or what was seen (a check). */
  message: string;
  ms: number;
  check?: CheckResult;
}

export interface ScenarioResult {
  name: string;
  description: string;
  status: 'pass' | 'fail';
  steps: StepResult[];
  ms: number;
}

/** Reads the lab's state afresh (an action may have changed it) or fails. */
function current(lab: string): LabState {
  const state = readState(lab);
  if (!state || state.status !== 'up') throw new ActionFailed(`lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}`);
  return state;
}

export async function runScenario(lab: string, scenario: PlanScenario, ex: Executor = realExecutor, onStep?: (r: StepResult) => void): Promise<ScenarioResult> {
  const started = Date.now();
  const steps: StepResult[] = [];
  let stopped = false;
  let since = new Date(started).toISOString();
  for (const [i, step] of scenario.steps.entries()) {
    const t = Date.now();
    const name = step.action ? describeAction(step.action) : step.check!.name;
    let r: StepResult;
    if (stopped) r = { step: i + 1, kind: step.action ? 'action' : 'check', name, status: 'skipped', message: 'skipped: an earlier action failed', ms: 0 };
    else if (step.action) {
      try {
        // A wait-event step sees the events from the last other action on (docs/control-loops.md).
        if (step.action.action !== 'wait-event') since = new Date().toISOString();
        const action = step.action;
        // kubectl set env's path: the Deployment's template as the API serves it, written back through its kind.
        const act = () => runAction({ ...liveLab(ex, current(lab), since), setDeploymentEnv: (deployment, env) => setTemplateEnv(ex, lab, deployment, env) }, action);
        // With control loops, an action changes the lab holding its mutex, as the agent does;
        // a wait-event step must not (the agent is what it waits for).
        const message = current(lab).plan.loops && action.action !== 'wait-event' ? await withLabMutex(lab, act) : await act();
        r = { step: i + 1, kind: 'action', name, status: 'pass', message, ms: Date.now() - t };
      } catch (e) {
        stopped = true;
        r = { step: i + 1, kind: 'action', name, status: 'fail', message: (e as Error).message, ms: Date.now() - t };
      }
    } else {
      const check = await runCheck(current(lab), step.check!, ex);
      r = { step: i + 1, kind: 'check', name, status: check.status, message: check.seen, ms: check.ms, check };
    }
    steps.push(r);
    onStep?.(r);
  }
  return { name: scenario.name, description: scenario.description, status: steps.every((s) => s.status === 'pass') ? 'pass' : 'fail', steps, ms: Date.now() - started };
}

/** Runs the named scenarios (all when none is named) one after another: each sees the lab the previous one left. */
export async function runScenarios(lab: string, names: readonly string[] = [], ex: Executor = realExecutor, onStep?: (scenario: string, r: StepResult) => void): Promise<ScenarioResult[]> {
  const state = current(lab);
  const all = state.plan.scenarios ?? [];
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new RuntimeError('PL3053', `lab "${lab}" has no scenario ${unknown.map((n) => `"${n}"`).join(', ')}; ${all.length ? `its scenarios: ${all.map((s) => s.name).join(', ')}` : 'it has no scenarios at all'}`);
  const chosen = names.length ? names.map((n) => all.find((s) => s.name === n)!) : all;
  const results: ScenarioResult[] = [];
  for (const sc of chosen) results.push(await runScenario(lab, sc, ex, (r) => onStep?.(sc.name, r)));
  return results;
}
