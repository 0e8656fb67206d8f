/** What the control-loop actions share: the rule that the lab runs control loops (an agent) at all. */
import { diag, type Diagnostic } from '../../compile/diagnostics.ts';
import type { StepContext } from './action.ts';

/** Without control loops nothing would restart, move or replace what the action breaks. */
export function needsLoops(step: StepContext, out: Diagnostic[]): void {
  if (!step.lab.loops)
    out.push(diag('PL2307', step.at('action'), `${step.what}: the lab runs no control loops, so nothing would answer this action`, 'Give the lab deployments, a probe, a restartPolicy or a `loops: {}` setting: then `up` starts its agent (docs/control-loops.md).'));
}
