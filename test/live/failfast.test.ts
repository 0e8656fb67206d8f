/**
 * Fail fast on a live lab: a check refused by a pod where nothing listens on the port, with
 * nothing pending, fails well before its timeout (marked settled), unless a learner's own
 * `command:` container of that pod has just started (it may yet listen); a check that passes still
 * passes; a silent drop (no definite answer) still waits for its timeout. No timing is asserted
 * beyond "before the timeout": the figures are in `npm run bench`'s fail-fast row.
 */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/run.ts';
import { labAroundSuite, liveGuard, twoPodLab } from './host.ts';

const live = liveGuard();
const LAB = 'spd-failfast';

describe.runIf(live)('fail fast (live)', () => {
  const spec = twoPodLab(LAB, {
    checks: [
      { kind: 'http', from: 'a', to: 'b', port: 8080 },
      { kind: 'tcp', from: 'a', to: 'b', port: 8081, timeoutMs: 10_000 },
      { kind: 'tcp', from: 'a', to: 'svc/late', port: 80, timeoutMs: 2_000 },
      { kind: 'tcp', from: 'a', to: 'slow', port: 7070, timeoutMs: 8_000 },
    ],
  });
  // A learner's own server that opens its port a second after it starts, declaring none (a
  // program of the system's: a container's /tmp is its own, so a clone there is out of its view).
  spec.pods!.slow = { node: 'w2', containers: [{ name: 'slow', command: ['sh', '-c', 'sleep 1; exec openssl s_server -accept 7070 -nocert -quiet'] }] };
  // A pod whose container declares 9090 but does not listen (yet), behind Service late 80 → 9090.
  spec.pods!.late = { node: 'w2', labels: { app: 'late' }, containers: [{ name: 'late', command: ['sleep', 'infinity'], ports: [{ containerPort: 9090 }] }] };
  spec.services = { late: { selector: { app: 'late' }, ports: [{ port: 80, targetPort: 9090 }] } };
  const state = labAroundSuite(spec).lab;

  const check = (i: number) => state().plan.checks[i]!;

  // First, while pod slow's container is younger than STARTING_GRACE_MS (check/why.ts).
  it("refused by a young `command:` container that declares no port: not settled; it passes once the server listens", async () => {
    const r = await runCheck(state(), check(3));
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'pass' });
    expect(r.attempts).toBeGreaterThan(1);
  }, 30_000);

  it('a passing check passes', async () => {
    expect(await runCheck(state(), check(0))).toMatchObject({ status: 'pass' });
  }, 30_000);

  it('a refused connection with nothing pending fails settled, long before its 10 s timeout', async () => {
    const r = await runCheck(state(), check(1));
    expect(r).toMatchObject({ status: 'fail', settled: true });
    expect(r.seen).toContain('ECONNREFUSED');
    // Settled at the second attempt (the same definite answer twice), or at the first when the lab's
    // facts already explain it (check/why.ts: no container of b declares 8081).
    expect(r.attempts).toBeLessThanOrEqual(2);
    expect(r.ms).toBeLessThan(5_000);
  }, 30_000);

  it('with PODLAB_FAIL_FAST=0 the same check retries until its timeout', async () => {
    process.env.PODLAB_FAIL_FAST = '0';
    try {
      const r = await runCheck(state(), { ...check(1), timeoutMs: 1_500 });
      expect(r.status).toBe('fail');
      expect(r.settled).toBeUndefined();
      expect(r.attempts).toBeGreaterThan(2);
    } finally {
      delete process.env.PODLAB_FAIL_FAST;
    }
  }, 30_000);

  it('refused through a Service by a pod that declares the target port: not settled, it waits (the port may yet open)', async () => {
    const r = await runCheck(state(), check(2));
    expect(r.status).toBe('fail');
    expect(r.seen).toContain('ECONNREFUSED');
    expect(r.settled).toBeUndefined();
    expect(r.ms).toBeGreaterThanOrEqual(1_000);
  }, 30_000);

  it("no answer at all (an unused address in b's pod subnet, inside the lab) is not settled: it waits for its timeout", async () => {
    const b = state().plan.pods.find((p) => p.name === 'b')!;
    const unused = b.ip.replace(/\.\d+$/, '.250');
    const r = await runCheck(state(), { ...check(1), to: { kind: 'ip', name: unused, ip: unused }, timeoutMs: 2_000 } as typeof check extends (i: number) => infer C ? C : never);
    expect(r.status).toBe('fail');
    expect(r.settled).toBeUndefined();
    expect(r.ms).toBeGreaterThanOrEqual(1_000);
  }, 30_000);
});
