/**
 * Unit-test support for the lab API (src/api/): a plan seen as if its lab were up, the view every
 * handler answers from — every pod at its planned IP (or one given), its pause and containers this
 * test process (so alive), the lab created at a fixed time. Used by api.test.ts, api-kinds.test.ts,
 * api-writes.test.ts and api-dualstack.test.ts; test/live/kubectl*.test.ts run the real kubectl against live labs.
 */
import type { LabView } from '../../src/api/types.ts';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { recordOf } from '../../src/runtime/procs.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';

/** The view of `plan` up, each pod at `ips[pod]` or its planned address. */
export function upView(plan: Plan, ips: Record<string, string> = {}): LabView {
  const me = recordOf(process.pid);
  const state: LabState = {
    lab: plan.lab,
    status: 'up',
    createdAt: '2026-01-01T00:00:00.000Z',
    steps: [],
    plan,
    pods: Object.fromEntries(plan.pods.map((p) => [p.name, { pause: me, ip: ips[p.name] ?? p.ip, containers: Object.fromEntries(p.containers.map((c) => [c.name, { ...me, argv: c.argv, log: '/dev/null' }])) }])),
  };
  return { lab: plan.lab, createdAt: state.createdAt, plan, state, status: labStatus(plan.lab, state)!, policies: [], kept: {} };
}

/** The lab file compiled, renamed `name` (so no two tests' labs share names), planned and seen up. */
export async function upViewOf(file: string, name: string): Promise<LabView> {
  const r = await compileLab(file);
  return upView(buildPlan({ ...r.lab!, name }));
}
