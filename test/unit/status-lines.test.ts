/**
 * `podlab status <lab>` as text: its tables line up whatever the cells hold — a dual-stack lab's
 * two addresses per pod and host, a Deployment's long pod names — and a host shows an address of
 * each family, as its pods and nodes do. The labs are "up" in a state directory of the test's own
 * (PODLAB_STATE_ROOT), this process standing in for every pod's processes: no root needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { fakeUpState, writeFakeUp } from './fake-up.ts';

const root = mkdtempSync(join(tmpdir(), 'podlab-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `podlab status` of the lab file's lab, seen up, as lines. */
async function statusOf(file: string): Promise<string[]> {
  const plan = buildPlan((await compileLab(file)).lab!);
  writeFakeUp(root, fakeUpState(plan, { containers: true }));
  const r = await execa('node', ['bin/podlab.js', 'status', plan.lab], { reject: false, env: { PODLAB_STATE_ROOT: root } });
  expect(r.exitCode).toBe(0);
  return r.stdout.split('\n');
}

/** Where each row of a kind has the text `at` (the column it starts), e.g. every pod's " on ". */
const columns = (lines: string[], row: RegExp, at: RegExp) => lines.filter((l) => row.test(l)).map((l) => l.search(at));

describe('podlab status text', () => {
  it('a dual-stack lab: pods and hosts show both families, and their columns line up', async () => {
    const lines = await statusOf('labs/dual-stack.lab.ts');
    const host = lines.find((l) => l.startsWith('  host internet'))!;
    expect(host).toContain('203.0.113.10,fd00:203:0:113::a');
    const on = columns(lines, /^ {2}pod /, / on /);
    expect(new Set(on).size).toBe(1);
    // The host's "on the …" is in the pods' "on" column, its address in theirs.
    expect(host.indexOf(' on the ')).toBe(on[0]);
    expect(new Set(columns(lines, /^ {2}node /, / pods /)).size).toBe(1);
    expect(new Set(columns(lines, /^ {2}svc /, / (ClusterIP|NodePort|LoadBalancer) /)).size).toBe(1);
  }, 60_000);

  it("a Deployment's long pod names: the address and node columns still line up", async () => {
    const lines = await statusOf('labs/self-healing.lab.ts');
    const pods = lines.filter((l) => l.startsWith('  pod '));
    expect(pods.some((l) => /web-\w{10}-\w{5}/.test(l))).toBe(true);
    expect(new Set(columns(lines, /^ {2}pod /, / on /)).size).toBe(1);
    expect(new Set(columns(lines, /^ {2}pod /, / 10\.244\./)).size).toBe(1);
    expect(new Set(columns(lines, /^ {2}svc /, / ClusterIP /)).size).toBe(1);
  }, 60_000);
});
