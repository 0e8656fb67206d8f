/**
 * The registry of scenario actions: one module per action, one line here. The mapped type makes
 * an action of the lab language without a module (or a module without rules, a description or a
 * run) a compile error; validation, reports and the scenario runner dispatch through it.
 */
import type { Diagnostic } from '../../compile/diagnostics.ts';
import type { ActionSpec } from '../../schema/lab-schema.ts';
import type { ActionName, LabAction, LabActionOf, LiveLab, ScenarioAction, StepContext } from './action.ts';
import { applyPolicyAction } from './apply-policy.ts';
import { startBirdAction, stopBirdAction } from './bird.ts';
import { setNatOutgoingAction } from './nat-outgoing.ts';
import { exhaustBlockAction } from './exhaust-block.ts';
import { createPodAction } from './create-pod.ts';
import { deletePolicyAction } from './delete-policy.ts';
import { labelPodAction } from './label-pod.ts';
import { deletePodAction } from './delete-pod.ts';
import { execAction } from './exec.ts';
import { linkDownAction, linkUpAction } from './link.ts';
import { recreatePodAction } from './recreate-pod.ts';
import { reloadDnsAction } from './reload-dns.ts';
import { restartContainerAction } from './restart-container.ts';
import { scaleAction } from './scale.ts';
import { crashContainerAction } from './crash-container.ts';
import { makeReadyAction, makeUnreadyAction } from './readiness.ts';
import { failNodeAction, restoreNodeAction } from './node-failure.ts';
import { scaleDeploymentAction } from './scale-deployment.ts';
import { setDeploymentEnvAction } from './set-deployment-env.ts';
import { waitEventAction } from './wait-event.ts';

export const ACTIONS: { readonly [K in ActionName]: ScenarioAction<K, LabActionOf<K>> } = {
  'recreate-pod': recreatePodAction,
  'delete-pod': deletePodAction,
  'create-pod': createPodAction,
  'restart-container': restartContainerAction,
  scale: scaleAction,
  'reload-dns': reloadDnsAction,
  'link-down': linkDownAction,
  'link-up': linkUpAction,
  exec: execAction,
  'apply-policy': applyPolicyAction,
  'delete-policy': deletePolicyAction,
  'label-pod': labelPodAction,
  'crash-container': crashContainerAction,
  'make-unready': makeUnreadyAction,
  'make-ready': makeReadyAction,
  'fail-node': failNodeAction,
  'restore-node': restoreNodeAction,
  'scale-deployment': scaleDeploymentAction,
  'set-deployment-env': setDeploymentEnvAction,
  'wait-event': waitEventAction,
  'stop-bird': stopBirdAction,
  'start-bird': startBirdAction,
  'set-nat-outgoing': setNatOutgoingAction,
  'exhaust-block': exhaustBlockAction,
};

/**
 * The module of an action, seen as handling any action: each method is only ever handed an action
 * of the module's own name (`actionOf(a.action).run(…, a)`), which is what makes the widening sound.
 */
export function actionOf(name: ActionName): ScenarioAction<ActionName, LabAction, ActionSpec> {
  return ACTIONS[name];
}

export function normalizeAction(a: ActionSpec): LabAction {
  return actionOf(a.action).normalize(a);
}

export function validateAction(a: LabAction, step: StepContext, out: Diagnostic[]): void {
  actionOf(a.action).validate(a, step, out);
}

/** One line for reports: what the action is. */
export function describeAction(a: LabAction): string {
  return actionOf(a.action).describe(a);
}

/** Runs one action; resolves to what happened, or throws ActionFailed (or the runtime's own error). */
export function runAction(live: LiveLab, a: LabAction): Promise<string> {
  return actionOf(a.action).run(live, a);
}

export { ActionFailed, type LabAction, type LiveLab } from './action.ts';
