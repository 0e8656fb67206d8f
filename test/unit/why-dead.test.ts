/**
 * Why a check failed when the process that would answer it has exited (src/check/why.ts): the
 * container its connection ends at ("container http-echo of pod default/web is not running (…)"),
 * settled when nothing will start it again (no control loops; a restartPolicy that leaves it
 * terminated) and not while the agent will restart it; and for a BGP session or a route BIRD
 * announces, a node's BIRD that has exited or was stopped. No root: labs planned and seen up in a
 * state directory of the test's own, the exited processes a pid above the kernel's pid_max.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-why-dead-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import { whyFailed } from '../../src/check/why.ts';
import type { ProbeCheck } from '../../src/check/checks.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { writeLoops, type ContainerLoopState } from '../../src/runtime/loops-state.ts';
import { recordOf } from '../../src/runtime/procs.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { recordingExecutor } from './recorder.ts';

afterAll(() => rmSync(root, { recursive: true, force: true }));

const me = recordOf(process.pid);
const EXITED = { pid: 4_194_305, startTime: 1 };

/** The lab up, every process alive but those of the pods in `exited`. */
function upState(spec: LabSpec, exited: string[] = []): LabState {
  const { lab, diagnostics } = validateValue(spec, `${spec.name}.lab.ts`);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const plan = buildPlan(lab!);
  const pods = Object.fromEntries(
    plan.pods.map((p) => [p.name, { pause: me, ip: p.ip, containers: Object.fromEntries(p.containers.map((c) => [c.name, { ...(exited.includes(p.name) ? EXITED : me), argv: c.argv, log: '/dev/null' }])) }]),
  );
  return { lab: plan.lab, status: 'up', createdAt: new Date().toISOString(), steps: [], plan, pods };
}

const web = (restartPolicy?: 'Always' | 'Never'): LabSpec => ({
  name: restartPolicy ? `why-dead-${restartPolicy.toLowerCase()}` : 'why-dead',
  nodes: { a: {}, b: {} },
  ...(restartPolicy ? { loops: {} } : {}),
  pods: { web: { node: 'b', labels: { app: 'web' }, containers: [{ ...container(workloads.httpEcho(8080)), ...(restartPolicy ? { restartPolicy } : {}) }] }, client: { node: 'a' } },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  dns: false,
  checks: [
    { kind: 'http', from: 'client', to: 'web', port: 8080 },
    { kind: 'tcp', from: 'client', to: 'svc/web', port: 80 },
  ],
});
const why = (state: LabState, i: number) => whyFailed(recordingExecutor(), state, state.plan.checks[i] as ProbeCheck);

/** What the agent recorded of web's container. */
function agentSaw(state: LabState, c: ContainerLoopState): void {
  mkdirSync(join(root, state.lab), { recursive: true });
  writeLoops(state.lab, { agent: { pid: me.pid }, pods: { web: { ready: false, containers: { 'http-echo': c } } }, failedNodes: {}, evictedNodes: [], seq: {} });
}

describe("a check whose server's container has exited", () => {
  it('without control loops: names the container and its exited process, settled (nothing restarts it)', async () => {
    const state = upState(web(), ['web']);
    const cause = { cause: 'container http-echo of pod default/web is not running (its process 4194305 has exited, and nothing restarts it: the lab runs no control loops)', settled: true };
    expect(await why(state, 0)).toEqual(cause);
    // Through the Service, whose only endpoint it is.
    expect(await why(state, 1)).toEqual(cause);
  });

  it('restartPolicy Never, terminated: its exit code, settled', async () => {
    const state = upState(web('Never'), ['web']);
    agentSaw(state, { restarts: 0, lastExitCode: 137, lastReason: 'Error', state: 'terminated', reason: 'Error' });
    expect(await why(state, 0)).toEqual({ cause: 'container http-echo of pod default/web is not running (exited with code 137 (Error); under restartPolicy Never it stays terminated)', settled: true });
  });

  it('restartPolicy Always: the agent restarts it, so the check keeps retrying (not settled)', async () => {
    const state = upState(web('Always'), ['web']);
    agentSaw(state, { restarts: 3, lastExitCode: 1, lastReason: 'Error', state: 'waiting', reason: 'CrashLoopBackOff' });
    expect(await why(state, 0)).toEqual({ cause: 'container http-echo of pod default/web is not running (exited with code 1 (Error); the agent restarts it after its back-off (CrashLoopBackOff))', settled: false });
  });
});

describe("a BGP check whose BIRD has exited or was stopped", () => {
  const calico = (): LabSpec => ({
    name: 'why-bird',
    cni: { type: 'calico' },
    nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' } },
    pods: { a: { node: 'w1' } },
    dns: false,
    checks: [
      { kind: 'bgp', from: 'node/cp', peer: 'node/w1' },
      { kind: 'bgp', from: 'node/w1', peer: 'node/cp', learned: 'blocks' },
      { kind: 'route', from: 'node/cp', to: 'node/w1', proto: 'bird' },
      { kind: 'route', from: 'node/cp', to: '10.244.0.64/26', via: 'node/w1' },
      { kind: 'bgp', from: 'node/cp', peer: 'node/w1', absent: true },
      { kind: 'bgp', from: 'node/cp', peer: 'node/w2' },
    ],
  });
  const bird = (r: { pid: number; startTime: number }) => ({ ...r, argv: ['bird'], log: '/dev/null' });
  // w1's BIRD was killed; w2's was stopped (stop-bird drops its record).
  const state = () => ({ ...upState(calico()), daemons: { 'cp/bird': bird(me), 'w1/bird': bird(EXITED) } });

  it("the session: the peer's BIRD, or the node's own, is not running: settled", async () => {
    const s = state();
    expect(await why(s, 0)).toEqual({ cause: "the peer w1's BIRD is not running (pid 4194305 has exited): no session to it comes up, and nothing in the lab starts it again", settled: true });
    expect(await why(s, 1)).toEqual({ cause: 'BIRD on node w1 is not running (pid 4194305 has exited): nothing answers on its control socket, and nothing in the lab starts it again', settled: true });
    expect(await why(s, 5)).toEqual({ cause: "the peer w2's BIRD is not running (stopped): no session to it comes up, and nothing in the lab starts it again", settled: true });
  });

  it("a route to a node's block: that node's BIRD announces it; a check that wants no session has no cause", async () => {
    const s = state();
    const cause = { cause: "the route is learned over BGP from w1's BIRD, which is not running (pid 4194305 has exited): nothing in the lab starts it again", settled: true };
    expect(await why(s, 2)).toEqual(cause);
    expect(await why(s, 3)).toEqual(cause);
    expect(await why(s, 4)).toBeUndefined();
  });
});
