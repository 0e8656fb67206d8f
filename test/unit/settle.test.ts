/**
 * Fail fast (src/check/settle.ts): a failing check stops retrying once its failure is settled (a
 * definite answer, seen twice, with nothing of the lab pending or changed), and keeps its eventual
 * semantics otherwise. Driven by a fake clock: what is asserted is when the loop stops, in the
 * clock's own time, not how long a test took.
 */
import { describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { isSettled, liveKey, retry, type Attempt } from '../../src/check/settle.ts';
import type { LabState, PodState } from '../../src/runtime/state.ts';
import type { Verdict } from '../../src/check/kinds/kind.ts';

/** A fake clock: each attempt takes `probeMs`, sleeping advances time and nothing else. */
function fakeClock(probeMs = 5) {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    probe: () => {
      t += probeMs;
    },
  };
}

const refused: Verdict = { ok: false, expected: 'reaches web:80', seen: 'no connection (connect ECONNREFUSED 10.96.0.10:80)', definite: true };
const timedOut: Verdict = { ok: false, expected: 'reaches web:80', seen: 'no connection (connect ETIMEDOUT)' };
const passed: Verdict = { ok: true, expected: 'reaches web:80', seen: 'connected' };

/** Runs retry over a script of attempts (the last one repeats). */
async function run(script: Attempt[], failFast = true, timeoutMs = 5000) {
  const clock = fakeClock();
  let i = 0;
  const out = await retry(
    async () => {
      clock.probe();
      return script[Math.min(i++, script.length - 1)]!;
    },
    { timeoutMs, intervalMs: 200, confirmMs: 50, now: clock.now, sleep: clock.sleep, failFast },
  );
  return { ...out, calls: i };
}

describe('fail fast: settling a failing check', () => {
  it('a refusal with nothing pending fails one confirmation (50 ms) after it is first seen, not at the timeout', async () => {
    const r = await run([{ verdict: refused, live: 'k1' }]);
    expect(r).toMatchObject({ settled: true, attempts: 2, verdict: { ok: false } });
    expect(r.ms).toBe(5 + 50 + 5);
  });

  it('without fail-fast (or with a timeout only) the same failure waits for its whole timeout', async () => {
    const r = await run([{ verdict: refused, live: 'k1' }], false);
    expect(r.settled).toBe(false);
    expect(r.ms).toBeGreaterThan(4800);
    const t = await run([{ verdict: timedOut, live: 'k1' }]);
    expect(t.settled).toBe(false);
    expect(t.ms).toBeGreaterThan(4800);
  });

  it('keeps retrying while something is pending, and settles once it is not', async () => {
    const pending: Attempt = { verdict: refused, live: undefined };
    const r = await run([pending, pending, pending, pending, { verdict: refused, live: 'k1' }]);
    expect(r.settled).toBe(true);
    expect(r.attempts).toBe(6);
    // Pending attempts start every 200 ms (the interval counts from an attempt's start); only the confirmation is short.
    expect(r.ms).toBe(4 * 200 + 5 + 50 + 5);
  });

  it('an attempt that waited out its probe timeout (silence) is followed at once, not after another interval', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    const out = await retry(
      async () => {
        starts.push(clock.now());
        if (starts.length < 3) {
          clock.sleep(1000); // a probe that heard nothing for its 1 s
          return { verdict: timedOut, live: undefined };
        }
        clock.probe();
        return { verdict: passed, live: undefined };
      },
      { timeoutMs: 5000, intervalMs: 200, confirmMs: 50, now: clock.now, sleep: clock.sleep, failFast: true },
    );
    expect(starts).toEqual([0, 1000, 2000]);
    expect(out).toMatchObject({ attempts: 3, ms: 2005, verdict: { ok: true } });
  });

  it('a change in the live state between two refusals is no settled outcome: it retries, and can still pass', async () => {
    const r = await run([
      { verdict: refused, live: 'k1' },
      { verdict: refused, live: 'k2' }, // e.g. an endpoint was added meanwhile
      { verdict: passed, live: undefined },
    ]);
    expect(r).toMatchObject({ settled: false, attempts: 3, verdict: { ok: true } });
  });

  it('two different definite answers in a row do not settle it', async () => {
    const other = { ...refused, seen: 'no connection (connect ECONNREFUSED 10.96.0.11:80)' };
    expect(isSettled({ verdict: refused, live: 'k' }, { verdict: other, live: 'k' })).toBe(false);
    expect(isSettled({ verdict: refused, live: 'k' }, { verdict: refused, live: 'k' })).toBe(true);
    expect(isSettled(undefined, { verdict: refused, live: 'k' })).toBe(false);
  });
});

describe('fail fast: what counts as pending (liveKey)', async () => {
  const { lab } = await compileLab('labs/services.lab.ts');
  const plan = buildPlan(lab!);
  const podState = (name: string, i: number): [string, PodState] => [name, { ip: `10.244.0.${i + 2}`, pause: { pid: 100 + i, startTime: 1 }, containers: { c: { pid: 200 + i, startTime: 1, argv: [], log: '' } } }];
  const state = (over: Partial<LabState> = {}): LabState => ({
    lab: plan.lab,
    status: 'up',
    createdAt: '',
    steps: [],
    plan,
    pods: Object.fromEntries(plan.pods.map((p, i) => podState(p.name, i))),
    ...over,
  });
  const check = plan.checks.find((c) => c.kind !== 'matrix')!;

  it('is undefined (pending) unless the lab is up', () => {
    expect(liveKey(state(), check)).toBeDefined();
    expect(liveKey(state({ status: 'creating' }), check)).toBeUndefined();
    expect(liveKey(undefined, check)).toBeUndefined();
  });

  it('changes when a pod is re-created or a Service gets other endpoints', () => {
    const base = liveKey(state(), check);
    const pods = state().pods;
    const first = Object.keys(pods)[0]!;
    expect(liveKey(state({ pods: { ...pods, [first]: { ...pods[first]!, ip: '10.244.9.9' } } }), check)).not.toBe(base);
    expect(liveKey(state({ endpoints: { 'default/web': [] } }), check)).not.toBe(base);
  });

  it("is pending while a server of the author's own (a command container) may still be starting", () => {
    const own = { ...plan, pods: plan.pods.map((p, i) => (i === 0 ? { ...p, containers: [{ name: 'srv', argv: ['sh', '-c', 'nc -l 80'], env: {}, ports: [{ containerPort: 80, protocol: 'TCP' as const }] }] } : p)) };
    expect(liveKey(state({ plan: own }), check)).toBeUndefined();
  });
});

describe('fail fast: which failures are definite', () => {
  const c = { expect: 'reach', to: { kind: 'pod', name: 'web', ip: '10.244.1.2' }, port: 80, index: 0 } as never;
  const out = (line: object) => ({ exitCode: 1, stdout: `${JSON.stringify(line)}\n`, stderr: '' });

  it('a refused connection is definite, a timeout is not', async () => {
    const { tcp } = await import('../../src/check/kinds/tcp.ts');
    expect(tcp.judge({} as never, c, out({ ok: false, code: 'ECONNREFUSED', error: 'connect ECONNREFUSED 10.244.1.2:80' })).definite).toBe(true);
    expect(tcp.judge({} as never, c, out({ ok: false, code: 'ETIMEDOUT', error: 'connect ETIMEDOUT' })).definite).toBeUndefined();
    // Refused while "does not reach" was expected: a pass, nothing to settle.
    expect(tcp.judge({} as never, { ...(c as object), expect: 'no-reach' } as never, out({ ok: false, code: 'ECONNREFUSED' }))).toMatchObject({ ok: true });
  });
});
