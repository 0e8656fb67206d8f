/**
 * Live: labs/self-healing.lab.ts with its agent — every scenario (a crash restarts the container
 * at the same IP, an unready pod leaves the endpoints and comes back, a deleted pod is replaced
 * with a new name and IP, a failed node's pod moves), what `status` and the events say about it,
 * and that `down` stops the agent first and leaves nothing: no agent process, no namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { runCheck } from '../../src/check/run.ts';
import { down, labNamespacesOnHost } from '../../src/runtime/down.ts';
import { readEvents } from '../../src/runtime/events.ts';
import { isAlive } from '../../src/runtime/procs.ts';
import { readState, stateDir, type LabState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { up } from '../../src/runtime/up.ts';
import { labAroundSuite, liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const name = 'self-healing';
const webPods = (s: LabState) => s.plan.pods.filter((p) => p.owner === 'web' && s.pods[p.name]);

describe.skipIf(!live)('live: self-healing (control loops)', () => {
  let before: ScopedSnapshot;
  let first: string[];

  const suite = labAroundSuite(
    {
      name,
      up: async () => {
        const { lab } = await compileLab('labs/self-healing.lab.ts');
        const plan = buildPlan(lab!);
        // As in a shell where it is set: podlab's own Node processes start without it (ownNodeEnv).
        const given = process.env.NODE_EXTRA_CA_CERTS;
        process.env.NODE_EXTRA_CA_CERTS = '/nonexistent/podlab-test-ca.pem';
        try {
          return await up(plan, render(plan));
        } finally {
          if (given === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
          else process.env.NODE_EXTRA_CA_CERTS = given;
        }
      },
    },
    { beforeUp: async () => { before = await scopedSnapshot([name]); } },
  );
  beforeAll(() => {
    first = webPods(suite.lab()).map((p) => p.name);
  });

  it('up starts the agent (recorded by pid) and every replica is ready behind the Service', async () => {
    const s = readState(name)!;
    expect(s.agent && isAlive(s.agent)).toBe(true);
    // The agent is a Node of podlab's own: started without NODE_EXTRA_CA_CERTS, which `up` had.
    expect(readFileSync(`/proc/${s.agent!.pid}/environ`, 'utf8').split('\0').filter((v) => v.startsWith('NODE_EXTRA_CA_CERTS='))).toEqual([]);
    expect(first).toHaveLength(3);
    const r = await runCheck(s, s.plan.checks[0]!);
    expect(r.status).toBe('pass');
    const st = labStatus(name)!;
    expect(st.pods.filter((p) => p.owner === 'web').map((p) => p.ready)).toEqual([true, true, true]);
  }, 30_000);

  it('crash: the container is restarted in its sandbox, same IP, restart count 1, last exit 137', async () => {
    const pod = 'web-22dnp66tqx-n8tqc';
    const ip = readState(name)!.pods[pod]!.ip;
    const [r] = await runScenarios(name, ['crash']);
    expect(r!.steps.map((s) => `${s.name}: ${s.status}`)).toEqual([
      `crash-container ${pod}: pass`,
      `wait-event Restarted pod/${pod}: pass`,
      `wait-event EndpointAdded service/default/web "${pod}": pass`,
      'the restarted pod answers at its old IP: pass',
    ]);
    const p = labStatus(name)!.pods.find((q) => q.name === pod)!;
    expect({ ip: p.ip, restarts: p.containers[0]!.restarts, lastExitCode: p.containers[0]!.lastExitCode, ready: p.ready }).toEqual({ ip, restarts: 1, lastExitCode: 137, ready: true });
    // It left the endpoints before it came back: the restart waited for the sync.
    const reasons = readEvents(name).filter((e) => e.object === `pod/${pod}` || e.message.startsWith(`${pod} `)).map((e) => `${e.reason} ${e.object}`);
    expect(reasons.indexOf(`EndpointRemoved service/default/web`)).toBeLessThan(reasons.indexOf(`Restarted pod/${pod}`));
  }, 60_000);

  it('unready: the pod leaves the Service and the headless Service (DNS) until its probe passes again', async () => {
    const pod = 'web-22dnp66tqx-ngmcc';
    const [r] = await runScenarios(name, ['unready']);
    expect(r!.steps.every((s) => s.status === 'pass')).toBe(true);
    const ev = readEvents(name).map((e) => `${e.reason} ${e.object} ${e.message.split(' ')[0]}`);
    expect(ev).toContain(`Unhealthy pod/${pod} Readiness`);
    expect(ev).toContain(`EndpointRemoved service/default/web-headless ${pod}`);
    expect(ev.lastIndexOf(`EndpointAdded service/default/web-headless ${pod}`)).toBeGreaterThan(ev.indexOf(`EndpointRemoved service/default/web-headless ${pod}`));
    expect(readState(name)!.endpoints!['default/web']!.map((e) => e.pod)).toContain(pod);
  }, 60_000);

  it('delete: the Deployment replaces the pod with a new name and a new IP; the Service follows', async () => {
    const pod = 'web-22dnp66tqx-q7ns9';
    const oldIp = readState(name)!.pods[pod]!.ip;
    const [r] = await runScenarios(name, ['delete']);
    expect(r!.steps.every((s) => s.status === 'pass')).toBe(true);
    const s = readState(name)!;
    const now = webPods(s);
    expect(now).toHaveLength(3);
    const fresh = now.find((p) => !first.includes(p.name))!;
    expect(fresh.name).toMatch(/^web-22dnp66tqx-[a-z2-9]{5}$/);
    expect(s.pods[fresh.name]!.ip).not.toBe(oldIp);
    expect(s.plan.pods.some((p) => p.name === pod)).toBe(false);
    expect(s.endpoints!['default/web']!.map((e) => e.pod).sort()).toEqual(now.map((p) => p.name).sort());
  }, 60_000);

  it('node failure: after the grace the pod on worker-3 is evicted and recreated elsewhere', async () => {
    const [r] = await runScenarios(name, ['node-failure']);
    expect(r!.steps.map((s) => s.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    const s = readState(name)!;
    expect(webPods(s).map((p) => p.node).filter((n) => n === 'worker-3')).toEqual([]);
    expect(webPods(s)).toHaveLength(3);
    expect(s.endpoints!['default/web']!.map((e) => e.node)).not.toContain('worker-3');
  }, 60_000);

  it('down stops the agent first and leaves nothing behind', async () => {
    const agent = readState(name)!.agent!;
    await down(name);
    expect(isAlive(agent)).toBe(false);
    expect(labNamespacesOnHost(name)).toEqual([]);
    expect(existsSync(stateDir(name))).toBe(false);
    expect(await scopedSnapshot([name])).toEqual(before);
  }, 60_000);
});
