/**
 * The journal's text: the same bytes as `JSON.stringify(state, null, 2)`, though the plan inside
 * is serialized once per plan; a new plan (pods re-created, the Corefile reloaded) is written anew.
 * And how podlab reads /proc/self/mountinfo to find the tmpfs under each lab's state directory.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { stateJson, type LabState } from '../../src/runtime/state.ts';
import { parseMountinfo } from '../../src/runtime/statefs.ts';

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

describe('parseMountinfo', () => {
  it('reads mount point, type and source, undoing the kernel’s octal escapes', () => {
    const text = [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard',
      '431 22 0:61 / /run/podlab/lab\\040one rw,nosuid,nodev,relatime - tmpfs podlab-lab\\040one rw,mode=755',
      '440 22 0:4 net:[4026532500] /run/netns/podlab-x.fabric rw shared:5 - nsfs nsfs rw',
      '',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { mountPoint: '/', fsType: 'ext4', source: '/dev/vda' },
      { mountPoint: '/run/podlab/lab one', fsType: 'tmpfs', source: 'podlab-lab one' },
      { mountPoint: '/run/netns/podlab-x.fabric', fsType: 'nsfs', source: 'nsfs' },
    ]);
  });
});
