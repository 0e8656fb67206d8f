/**
 * Live: probes and Services with the control loops (issue #30). A container whose liveness probe
 * fails is killed and restarted (Killing, then Restarted; last exit 137), which `podlab events
 * --wait-for` waits for; a pod that never passes its readiness probe stays out of a Service's
 * endpoints but in those of a Service with publishNotReadyAddresses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { labAroundSuite, liveGuard, upLabFile } from './host.ts';

const live = liveGuard();
const name = 'loop-probes';
const CLI = ['bin/podlab.js'];

describe.skipIf(!live)('live: liveness restarts, readiness and publishNotReadyAddresses (control loops)', () => {
  labAroundSuite({ name, up: () => upLabFile('test/fixtures/labs/loop-probes.lab.ts') });

  it('a failing liveness probe kills the container and the agent restarts it (podlab events --wait-for sees it)', async () => {
    const r = spawnSync(process.execPath, [...CLI, 'events', name, '--wait-for', 'Restarted:pod/dead', '--timeout', '20000'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // --json: one event per line (JSON Lines).
    const events = execFileSync(process.execPath, [...CLI, 'events', name, '--json'], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l) as { reason: string; object: string; message: string });
    const dead = events.filter((e) => e.object === 'pod/dead').map((e) => e.reason);
    expect(dead.indexOf('Unhealthy')).toBeGreaterThanOrEqual(0);
    expect(dead.indexOf('Killing')).toBeGreaterThan(dead.indexOf('Unhealthy'));
    expect(dead.indexOf('Restarted')).toBeGreaterThan(dead.indexOf('Killing'));
    const c = labStatus(name)!.pods.find((p) => p.name === 'dead')!.containers[0]!;
    expect(c.restarts).toBeGreaterThanOrEqual(1);
    expect(c.lastExitCode).toBe(137);
  }, 40_000);

  it('a pod that is never ready is out of its Service, but in the one that publishes not-ready addresses', async () => {
    const end = Date.now() + 15_000;
    const eps = () => readState(name)!.endpoints ?? {};
    while (!(eps()['default/never-peers'] ?? []).length && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect((eps()['default/never-peers'] ?? []).map((e) => e.pod)).toEqual(['never']);
    expect((eps()['default/never'] ?? []).map((e) => e.pod)).toEqual([]);
    expect(labStatus(name)!.pods.find((p) => p.name === 'never')!.ready).toBe(false);
  }, 30_000);
});
