/**
 * A lab seen as up without building it, for CLI tests that need no root: its plan as the state,
 * every pod's sandbox (and, with `containers`, each container) held by this test's own process,
 * alive as long as the test runs; written under a state root of the test's own, which the CLI is
 * pointed at with PODLAB_STATE_ROOT. Nothing on the host changes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../src/plan/plan.ts';
import { recordOf } from '../../src/lib/proc.ts';
import type { LabState } from '../../src/runtime/state.ts';

/** The state of `plan`'s lab up; `without`: pods left out (deleted). */
export function fakeUpState(plan: Plan, opts: { containers?: boolean; without?: readonly string[] } = {}): LabState {
  const me = recordOf(process.pid);
  const containers = (p: Plan['pods'][number]) => (opts.containers ? Object.fromEntries(p.containers.map((c) => [c.name, { ...me, argv: c.argv, log: '/dev/null' }])) : {});
  return {
    lab: plan.lab,
    status: 'up',
    createdAt: new Date().toISOString(),
    steps: [],
    plan,
    pods: Object.fromEntries(plan.pods.filter((p) => !opts.without?.includes(p.name)).map((p) => [p.name, { pause: me, ip: p.ip, containers: containers(p) }])),
  };
}

/** Writes `state` where the CLI run with PODLAB_STATE_ROOT=`root` reads it. */
export function writeFakeUp(root: string, state: LabState): void {
  mkdirSync(join(root, state.lab), { recursive: true });
  writeFileSync(join(root, state.lab, 'state.json'), JSON.stringify(state));
}
