/**
 * The journal's text: the same bytes as `JSON.stringify(state, null, 2)`, though the plan inside
 * is serialized once per plan; a new plan (pods re-created, the Corefile reloaded) is written anew.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { stateJson, type LabState } from '../../src/runtime/state.ts';

function plan(pods: number) {
  const spec = { name: 'st', nodes: { a: {} }, pods: Object.fromEntries(Array.from({ length: pods }, (_, i) => [`p${i}`, { node: 'a' }])) };
  const { lab, diagnostics } = validateValue(spec, 'st.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return buildPlan(lab);
}

describe('the journal text', () => {
  it('equals JSON.stringify(state, null, 2), as the state changes and when the plan is replaced', () => {
    const state: LabState = { lab: 'st', status: 'creating', createdAt: '2026-11-21T00:00:00.000Z', steps: [{ step: 'plan', at: 'x' }], plan: plan(3), pods: {} };
    const same = () => expect(stateJson(state)).toBe(`${JSON.stringify(state, null, 2)}\n`);
    same();
    state.pods.plan = { containers: {}, ip: '10.244.0.2', pause: { pid: 9, startTime: 1 } }; // a pod named "plan"
    state.status = 'up';
    same();
    state.plan = plan(4);
    same();
    expect(JSON.parse(stateJson(state)).plan.pods.map((p: { name: string }) => p.name)).toContain('p3');
  });
});
