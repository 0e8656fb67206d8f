/**
 * `podlab events --wait-for` waits for the consequence of the lab's last change: an event after the
 * last one a command recorded (here `node fail`'s NodeFailed), so the eviction of an earlier failure
 * is not taken for this one's, and this one's is found even when it came before `events` started.
 * `--since now` waits only for what happens from then on. No root: the lab is "up" in a state
 * directory of the test's own (PODLAB_STATE_ROOT), its events written as the agent writes them.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-events-wait-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import { execa } from 'execa';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { readEvents, recordEvent } from '../../src/runtime/events.ts';
import { failNode } from '../../src/runtime/faults.ts';
import { recordOf } from '../../src/runtime/procs.ts';
import { writeState, type LabState } from '../../src/runtime/state.ts';
import { recordingExecutor } from './recorder.ts';

const LAB = 'ev-wait';
const events = (...args: string[]) => execa('node', ['bin/podlab.js', 'events', LAB, ...args], { reject: false, env: { PODLAB_STATE_ROOT: root } });
const evicted = (pod: string, node: string) => recordEvent(LAB, { type: 'Warning', reason: 'Evicted', object: `pod/${pod}`, message: `pod ${pod} evicted from failed node ${node}` });

describe('podlab events --wait-for', () => {
  let state: LabState;
  beforeAll(async () => {
    const plan = buildPlan({ ...(await compileLab('labs/self-healing.lab.ts')).lab!, name: LAB });
    const me = recordOf(process.pid);
    state = { lab: LAB, status: 'up', createdAt: new Date().toISOString(), steps: [], plan, pods: Object.fromEntries(plan.pods.map((p) => [p.name, { pause: me, ip: p.ip, containers: {} }])) };
    writeState(state);
    // An earlier failure of worker-3 evicted its pod.
    evicted('web-22dnp66tqx-q7ns9', 'worker-3');
    await new Promise((r) => setTimeout(r, 5));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("after node fail, --wait-for Evicted does not print an earlier failure's eviction", async () => {
    await failNode(recordingExecutor(), state, 'worker-2');
    const r = await events('--wait-for', 'Evicted', '--timeout', '300ms');
    expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 1, stdout: '' });
    expect(r.stderr).toContain("no Evicted event after the lab's last change (NodeFailed node/worker-2 at ");
    expect(readEvents(LAB).at(-1)).toMatchObject({ reason: 'NodeFailed', object: 'node/worker-2', by: 'command' });
  }, 30_000);

  it('the eviction that follows the failure is printed, also when it came before events started', async () => {
    await new Promise((r) => setTimeout(r, 5));
    evicted('web-22dnp66tqx-ngmcc', 'worker-2');
    const r = await events('--wait-for', 'Evicted');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('pod web-22dnp66tqx-ngmcc evicted from failed node worker-2');
    expect(r.stdout).not.toContain('worker-3');
  }, 30_000);

  it('--since now waits only for what happens from now on; --since an earlier time finds the old ones', async () => {
    const now = await events('--wait-for', 'Evicted', '--since', 'now', '--timeout', '300ms');
    expect(now.exitCode).toBe(1);
    const all = await events('--wait-for', 'Evicted', '--since', '2000-01-01T00:00:00Z');
    expect(all.exitCode).toBe(0);
    expect(all.stdout).toContain('worker-3');
  }, 30_000);

  it('in a lab without control loops, --wait-for a reason only loops record is PL3073 at once, not a wait until --timeout', async () => {
    const NOLOOPS = 'ev-noloops';
    const plan = buildPlan({ ...(await compileLab('labs/pod-networking.lab.ts')).lab!, name: NOLOOPS });
    expect(plan.loops).toBeUndefined();
    const me = recordOf(process.pid);
    writeState({ lab: NOLOOPS, status: 'up', createdAt: new Date().toISOString(), steps: [], plan, pods: Object.fromEntries(plan.pods.map((p) => [p.name, { pause: me, ip: p.ip, containers: {} }])) });
    const wait = (...args: string[]) => execa('node', ['bin/podlab.js', 'events', NOLOOPS, '--wait-for', ...args], { reject: false, env: { PODLAB_STATE_ROOT: root } });
    const started = Date.now();
    const r = await wait('Restarted', '--timeout', '20s');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 2, stdout: '' });
    expect(r.stderr).toContain(`error PL3073 lab "${NOLOOPS}" runs no control loops, so no Restarted event will come`);
    const j = await wait('Evicted:pod/web', '--timeout', '20s', '--json');
    expect(j.exitCode).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3073' }] });
    // A change (kubectl delete pod through the lab's API server) records Killing without loops: that is waited for.
    const k = await wait('Killing', '--timeout', '300ms');
    expect(k.exitCode).toBe(1);
    expect(k.stderr).toContain('no Killing event');
    // One that happened already is printed, loops or not.
    recordEvent(NOLOOPS, { type: 'Normal', reason: 'Restarted', object: 'pod/web', message: 'written by the test' });
    const had = await wait('Restarted', '--since', '2000-01-01T00:00:00Z');
    expect(had.exitCode).toBe(0);
    expect(had.stdout).toContain('written by the test');
  }, 60_000);
});
