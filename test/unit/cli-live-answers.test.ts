/**
 * What the commands on a live lab answer when there is nothing for them to do, or a name is not the
 * lab's: said plainly, with the code and exit status their --help gives. The lab is "up" in a state
 * directory of the test's own (PODLAB_STATE_ROOT): the flagship's plan with its processes alive (the
 * test's own pid), so nothing on the host is touched and no root is needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { fakeUpState, writeFakeUp } from './fake-up.ts';

const LAB_FILE = 'labs/pod-networking.lab.ts';

describe('commands on a live lab: nothing to do, or a name the lab lacks', () => {
  const root = mkdtempSync(join(tmpdir(), 'podlab-state-'));
  let plan: Plan;
  const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { PODLAB_STATE_ROOT: root } });

  beforeAll(async () => {
    plan = buildPlan((await compileLab(LAB_FILE)).lab!);
    writeFakeUp(root, fakeUpState(plan));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('scenario of a lab without scenarios says it has none, lists nothing and exits 1', async () => {
    expect(plan.scenarios ?? []).toEqual([]);
    const r = await podlab('scenario', plan.lab);
    expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 1, stdout: '' });
    expect(r.stderr).toContain(`lab "${plan.lab}" has no scenarios: nothing to run`);
    expect(r.stderr).not.toContain('passed');
  });

  it('scenario <name> of a lab without that scenario is PL3053, exit 2, in text and JSON', async () => {
    const r = await podlab('scenario', plan.lab, 'pod-ip-changes');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error PL3053 lab "${plan.lab}" has no scenario "pod-ip-changes"; it has no scenarios at all`);
    const j = await podlab('scenario', plan.lab, 'pod-ip-changes', '--json');
    expect(j.exitCode).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3053' }] });
  });

  it('graph <lab file> --checks of a lab that is up says it is up and names it, not "Bring it up"', async () => {
    const r = await podlab('graph', LAB_FILE, '--checks');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error PL3151');
    expect(r.stderr).toContain(`its lab ${plan.lab} is up`);
    expect(r.stderr).toContain(`hint: Run podlab graph ${plan.lab} --checks.`);
    expect(r.stderr).not.toContain('Bring it up');
  }, 60_000);

  it('label of a pod the lab lacks is PL3030 naming the pods, as exec names them', async () => {
    const pods = plan.pods.map((p) => `${p.namespace}/${p.name}`).join(', ');
    const r = await podlab('label', plan.lab, 'nope', 'a=b');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error PL3030 lab "${plan.lab}" has no pod "nope"; pods: ${pods}`);
    const n = await podlab('label', '-n', 'kube-system', plan.lab, 'web', 'a=b');
    expect(n.exitCode).toBe(2);
    expect(n.stderr).toContain(`error PL3030 lab "${plan.lab}" has no pod "kube-system/web"; pods: ${pods}`);
  });
});
