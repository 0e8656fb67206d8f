/**
 * make-unready / make-ready wait until the pod's /healthz answers as asked: signals are not
 * delivered in the order sent, so a make-ready sent while the make-unready before it was still
 * pending could be handled first and leave the pod unhealthy for good (readiness-gate's solution
 * lost a point so, 1 run in 3). A fake executor plays the pod: it answers the old status for a
 * few asks after the signal, as a process not yet scheduled would. No root, nothing on the host.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import type { Executor, RunResult } from '../../src/runtime/exec.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { setHealth } from '../../src/runtime/faults.ts';
import { fakeUpState } from './fake-up.ts';

// Before any import reads it: the events the actions record go under a state root of the test's own.
const root = vi.hoisted(() => (process.env.PODLAB_STATE_ROOT = `/tmp/podlab-health-${process.pid}`));
let state: LabState;

beforeAll(async () => {
  state = fakeUpState(buildPlan((await compileLab('exercises/readiness-gate/solution.lab.ts')).lab!), { containers: true });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A pod whose /healthz turns to the signalled status after `lag` asks (never, with Infinity). */
function pod(lag: number) {
  let healthy = true;
  let pending: { healthy: boolean; asks: number } | undefined;
  const asked: string[][] = [];
  const ex: Executor = {
    signal: (_pid, sig) => void (pending = { healthy: sig === 'SIGUSR2', asks: lag }),
    spawn: async () => 0,
    run: async (argv): Promise<RunResult> => {
      asked.push([...argv]);
      if (pending && pending.asks-- <= 0) ({ healthy } = pending), (pending = undefined);
      return { exitCode: 0, stdout: JSON.stringify({ ok: true, status: healthy ? 200 : 503 }), stderr: '' } as RunResult;
    },
  };
  return { ex, asked };
}

describe('make-unready / make-ready', () => {
  it('returns only once /healthz answers 503, asked in the pod from its network namespace', async () => {
    const p = pod(3);
    expect(await setHealth(p.ex, state, 'web-1', false)).toEqual(['web']);
    expect(p.asked).toHaveLength(4); // three old answers, then 503
    const ip = state.pods['web-1']!.ip;
    expect(p.asked[0]).toEqual(expect.arrayContaining([`--net=/run/netns/${state.plan.pods.find((q) => q.name === 'web-1')!.netns}`, 'http-get', `http://${ip}:8080/healthz`]));
  });

  it('and make-ready once it answers 200 again', async () => {
    const p = pod(1);
    await setHealth(p.ex, state, 'web-1', false);
    const asks = p.asked.length;
    await setHealth(p.ex, state, 'web-1', true);
    expect(p.asked.length - asks).toBeGreaterThanOrEqual(1);
  });

  it('says so, coded, when /healthz never answers as asked', async () => {
    await expect(setHealth(pod(Infinity).ex, state, 'web-1', false, 100)).rejects.toMatchObject({ code: 'PL3037', message: expect.stringMatching(/\/healthz does not answer 503 100 ms after the signal/) });
  });
});
