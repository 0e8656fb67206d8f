/**
 * Live: a check whose answering process has exited, in labs without control loops, where nothing
 * starts it again. It fails at its first attempt (settled), its cause naming the process: the
 * http-echo container a pod and its Service end at, killed ("container http-echo of pod default/web
 * is not running (its process N has exited, …)"); a node's BIRD, stopped by `kill` ("BIRD on node w1
 * is not running (pid N has exited) …", and the peer's session check says the peer's BIRD). The
 * pod's endpoint stays in the tables (nothing takes it out) but is not ready in status.
 * No timing is asserted: the attempt count and the words are what a learner sees.
 */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/run.ts';
import { isAlive } from '../../src/runtime/procs.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fresh = (s: LabState) => readState(s.lab)!;

describe.runIf(live)('live: the server of a check has exited (no control loops)', () => {
  const { lab } = labAroundSuite({
    name: 'lo-dead',
    nodes: { w1: {}, w2: {} },
    cni: 'flannel',
    pods: {
      // It declares its port, as the ingress controller does: a refusal of a declared port alone may be a server still starting.
      web: { node: 'w2', labels: { app: 'web' }, containers: [{ name: 'http-echo', workload: { kind: 'http-echo', port: 8080 }, ports: [{ containerPort: 8080 }] }] },
      client: { node: 'w1' },
    },
    services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    dns: false,
    checks: [
      { kind: 'http', from: 'client', to: 'web', port: 8080, timeoutMs: 8000 },
      { kind: 'http', from: 'client', to: 'svc/web', timeoutMs: 8000 },
    ],
  });

  it('passes while it runs; once killed, each check fails at its first attempt naming the container', async () => {
    const state = lab();
    for (const c of state.plan.checks) expect(await runCheck(state, c)).toMatchObject({ status: 'pass' });
    const rec = state.pods.web!.containers['http-echo']!;
    process.kill(rec.pid, 'SIGKILL');
    await until('the container to exit', () => !isAlive(rec));
    for (const c of state.plan.checks) {
      const r = await runCheck(fresh(state), c);
      expect(r, JSON.stringify(r)).toMatchObject({ status: 'fail', settled: true, attempts: 1 });
      expect(r.seen).toMatch(new RegExp(`^container http-echo of pod default/web is not running \\(its process ${rec.pid} has exited, and nothing restarts it: the lab runs no control loops\\)`));
    }
    const svc = labStatus(state.lab)!.services.find((s) => s.name === 'web')!;
    expect(svc.endpoints).toEqual([expect.objectContaining({ pod: 'web', ready: false })]);
  }, 60_000);
});

describe.runIf(live)("live: a node's BIRD has exited (Calico BGP)", () => {
  const { lab } = labAroundSuite({
    name: 'lo-dead-cal',
    cni: { type: 'calico' },
    nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' } },
    pods: { a: { node: 'w1' } },
    dns: false,
    checks: [
      { kind: 'bgp', from: 'node/w1', peer: 'node/cp', timeoutMs: 15_000 },
      { kind: 'bgp', from: 'node/cp', peer: 'node/w1', timeoutMs: 15_000 },
    ],
  });

  it("the node's own session check and its peer's fail at their first attempt, naming the BIRD that has gone", async () => {
    const state = lab();
    const [own, peer] = state.plan.checks;
    for (const c of [own!, peer!]) expect(await runCheck(state, c)).toMatchObject({ status: 'pass' });
    const bird = state.daemons!['w1/bird']!;
    process.kill(bird.pid, 'SIGTERM'); // as `kill <pid>` does: BIRD tells its peer (Cease) and ends
    await until("w1's BIRD to exit", () => !isAlive(bird));
    const ownResult = await runCheck(fresh(state), own!);
    expect(ownResult, JSON.stringify(ownResult)).toMatchObject({ status: 'fail', settled: true, attempts: 1 });
    expect(ownResult.seen).toMatch(new RegExp(`^BIRD on node w1 is not running \\(pid ${bird.pid} has exited\\): nothing answers on its control socket`));
    // cp's BIRD has taken the session down (the Cease), as a learner would see it in birdc.
    await until("cp's session to w1 to go down", async () => !/Established/.test((await inLab(state, 'node/cp', ['birdc', '-s', `${state.plan.stateDir}/bird-cp.ctl`, 'show', 'protocols'])).stdout));
    const peerResult = await runCheck(fresh(state), peer!);
    expect(peerResult, JSON.stringify(peerResult)).toMatchObject({ status: 'fail', settled: true, attempts: 1 });
    expect(peerResult.seen).toMatch(new RegExp(`^the peer w1's BIRD is not running \\(pid ${bird.pid} has exited\\): no session to it comes up`));
  }, 90_000);
});
