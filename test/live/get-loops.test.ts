/**
 * `podlab get` on a lab with control loops (labs/self-healing.lab.ts), through the CLI: RESTARTS
 * after a crash, READY of a pod that fails its readiness probe, a failed node NotReady — each what
 * `podlab status` shows — and, with a lab-name prefix, the lab left out picked among the prefix's
 * labs only.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readEvents } from '../../src/runtime/events.ts';
import { setHealth } from '../../src/runtime/faults.ts';
import { readState } from '../../src/runtime/state.ts';
import { labStatus, type LabStatus } from '../../src/runtime/status.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const PREFIX = 'fx1-get-';
const LAB = `${PREFIX}self-healing`;
const cli = (prefix: string, ...args: string[]) => spawnSync(process.execPath, ['bin/podlab.js', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PODLAB_PREFIX: prefix } });

/** Until `status` (runtime/status.ts) says so: the agent records what it sees within a round or two. */
async function until(what: string, ok: (s: LabStatus) => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (ok(labStatus(LAB)!)) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`status never showed ${what}`);
}

describe.runIf(live)('get on a lab with control loops (live)', () => {
  labAroundSuite({
    name: LAB,
    up: async () => {
      const r = cli(PREFIX, 'up', 'labs/self-healing.lab.ts');
      expect(r.status, r.stderr + r.stdout).toBe(0);
    },
  });

  it('get pods: RESTARTS and restartCount after a crash are the restarts status shows', () => {
    const pod = 'web-22dnp66tqx-n8tqc';
    expect(cli(PREFIX, 'scenario', 'self-healing', 'crash').status).toBe(0);
    expect(labStatus(LAB)!.pods.find((p) => p.name === pod)!.containers[0]!.restarts).toBe(1);
    expect(cli(PREFIX, 'get', 'pods', 'self-healing').stdout).toMatch(new RegExp(`^${pod} +1/1 +Running +1 +`, 'm'));
    const item = JSON.parse(cli(PREFIX, 'get', 'pods', 'self-healing', '-o', 'json').stdout).items.find((i: { metadata: { name: string } }) => i.metadata.name === pod);
    expect(item.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 1, lastState: { terminated: { exitCode: 137 } } });
    // The run that ended has its times, as kubectl describe prints them: started before it finished, finished by now.
    const { startedAt, finishedAt } = item.status.containerStatuses[0].lastState.terminated as { startedAt: string; finishedAt: string };
    expect(Date.parse(startedAt)).toBeLessThanOrEqual(Date.parse(finishedAt));
    expect(Date.parse(finishedAt)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(finishedAt)).toBeGreaterThan(Date.now() - 60_000);
  }, 60_000);

  it('get pods: a pod failing its readiness probe is 0/1 Running, not ready in -o json, while status says not ready', async () => {
    const pod = 'web-22dnp66tqx-ngmcc';
    await setHealth(realExecutor, readState(LAB)!, pod, false);
    try {
      await until(`${pod} not ready`, (s) => s.pods.find((p) => p.name === pod)!.ready === false);
      expect(cli(PREFIX, 'get', 'pods', 'self-healing').stdout).toMatch(new RegExp(`^${pod} +0/1 +Running +0 +`, 'm'));
      const item = JSON.parse(cli(PREFIX, 'get', 'pods', 'self-healing', '-o', 'json').stdout).items.find((i: { metadata: { name: string } }) => i.metadata.name === pod);
      expect(item.status.containerStatuses[0].ready).toBe(false);
      expect(item.status.conditions).toContainEqual({ type: 'Ready', status: 'False' });
    } finally {
      await setHealth(realExecutor, readState(LAB)!, pod, true);
    }
    await until(`${pod} ready again`, (s) => s.pods.find((p) => p.name === pod)!.ready === true);
    expect(cli(PREFIX, 'get', 'pods', 'self-healing').stdout).toMatch(new RegExp(`^${pod} +1/1 +Running`, 'm'));
  }, 60_000);

  it('get nodes: a failed node is NotReady (its Ready condition Unknown) while status lists it failed', async () => {
    const events = (reason: string) => readEvents(LAB).filter((e) => e.reason === reason && e.object === 'node/worker-3').length;
    const [failed, restored] = [events('NodeFailed'), events('NodeRestored')];
    expect(cli(PREFIX, 'node', 'fail', 'self-healing', 'worker-3').status).toBe(0);
    // Failing it again changes nothing: no second event (and its grace still counts from the first).
    expect(cli(PREFIX, 'node', 'fail', 'self-healing', 'worker-3').status).toBe(0);
    expect(events('NodeFailed')).toBe(failed + 1);
    try {
      await until('worker-3 failed', (s) => !!s.agent?.failedNodes.includes('worker-3'));
      const out = cli(PREFIX, 'get', 'nodes', 'self-healing').stdout;
      expect(out).toMatch(/^worker-3 +NotReady +<none>/m);
      expect(out).toMatch(/^worker-1 +Ready +<none>/m);
      const items = JSON.parse(cli(PREFIX, 'get', 'nodes', 'self-healing', '-o', 'json').stdout).items;
      expect(items.find((n: { metadata: { name: string } }) => n.metadata.name === 'worker-3').status.conditions[0]).toMatchObject({ type: 'Ready', status: 'Unknown' });
    } finally {
      expect(cli(PREFIX, 'node', 'restore', 'self-healing', 'worker-3').status).toBe(0);
    }
    await until('worker-3 restored', (s) => !s.agent?.failedNodes.includes('worker-3'));
    expect(cli(PREFIX, 'get', 'nodes', 'self-healing').stdout).toMatch(/^worker-3 +Ready/m);
    // Restoring a node that is not failed says nothing.
    expect(cli(PREFIX, 'node', 'restore', 'self-healing', 'worker-3').status).toBe(0);
    expect(events('NodeRestored')).toBe(restored + 1);
  }, 60_000);

  it("with a lab-name prefix, a lab left out is one of the prefix's labs, never another user's", () => {
    const mine = cli(PREFIX, 'get', 'pods');
    expect(mine.status, mine.stderr).toBe(0);
    expect(mine.stdout).toMatch(/^web-22dnp66tqx-n8tqc +/m);
    // This lab is up, but not under the prefix: it is neither picked nor counted.
    const none = cli('fx1-nolab-', 'get', 'pods');
    expect(none.status).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe('error PL3113 no lab named fx1-nolab-… is up');
  }, 60_000);
});
