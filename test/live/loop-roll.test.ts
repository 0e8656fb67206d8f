/**
 * Live: a rolling update (issue #30's stretch). Setting an environment variable on a Deployment's
 * template (`podlab set env`, api/live.ts setTemplateEnv: the template as the API serves it) makes the agent replace every pod
 * with maxSurge and maxUnavailable 25 % (1 of 4 here), readiness-gated: while it rolls, the
 * Service's endpoints (what the kube-proxy tables hold) never drop below 3 ready pods and never
 * hold a pod that is gone, and requests through the Service keep being answered.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { readEvents } from '../../src/runtime/events.ts';
import { setTemplateEnv } from '../../src/api/live.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard, upLabFile } from './host.ts';

const live = liveGuard();
const name = 'loop-roll';
const webPods = (s: LabState) => s.plan.pods.filter((p) => p.owner === 'web' && s.pods[p.name]).map((p) => p.name);

describe.skipIf(!live)('live: rolling update of a Deployment (control loops)', () => {
  labAroundSuite({ name, up: () => upLabFile('test/fixtures/labs/loop-roll.lab.ts') });
  beforeAll(async () => {
    // Every replica ready behind the Service first.
    const end = Date.now() + 20_000;
    while ((readState(name)!.endpoints?.['default/web'] ?? []).length < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  }, 30_000);

  it('replaces every pod with the new template; the Service never has fewer than 3 endpoints, nor a gone pod', async () => {
    const s0 = readState(name)!;
    const before = webPods(s0);
    expect(before).toHaveLength(4);
    expect(s0.endpoints!['default/web']).toHaveLength(4);
    await setTemplateEnv(realExecutor, name, 'web', { VERSION: 'v2' });
    const seen: number[] = [];
    const ghosts: string[] = [];
    let answered = 0;
    let failed = 0;
    const end = Date.now() + 60_000;
    const probe = s0.plan.checks[0]!;
    while (!readEvents(name).some((e) => e.reason === 'RolloutComplete' && e.object === 'deployment/web')) {
      if (Date.now() > end) throw new Error(`no RolloutComplete within 60 s: ${JSON.stringify(readEvents(name).slice(-10))}`);
      const s = readState(name)!;
      const eps = s.endpoints?.['default/web'] ?? [];
      seen.push(eps.length);
      for (const e of eps) if (!s.pods[e.pod]) ghosts.push(e.pod);
      const r = await runCheck(s, probe);
      if (r.status === 'pass') answered++;
      else failed++;
    }
    const after = readState(name)!;
    const now = webPods(after);
    expect(now).toHaveLength(4);
    expect(now.filter((p) => before.includes(p))).toEqual([]);
    // New pods get new addresses, never one of the pods they replace.
    const oldIps = new Set(before.map((p) => s0.pods[p]!.ip));
    expect(now.map((p) => after.pods[p]!.ip).filter((ip) => oldIps.has(ip))).toEqual([]);
    expect(after.plan.pods.filter((p) => now.includes(p.name)).every((p) => p.containers.every((c) => c.env.VERSION === 'v2'))).toBe(true);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(3);
    expect(ghosts).toEqual([]);
    expect({ answered: answered > 0, failed }).toEqual({ answered: true, failed: 0 });
    const reasons = readEvents(name).filter((e) => e.object === 'deployment/web').map((e) => e.reason);
    expect(reasons).toContain('TemplateChanged');
    expect(reasons).toContain('ScalingReplicaSet');
    // The old pods' deletions are their ReplicaSet's events, as kube-controller-manager records them.
    const rsReasons = readEvents(name).filter((e) => e.object.startsWith('replicaset/web-')).map((e) => e.reason);
    expect(rsReasons.filter((r) => r === 'SuccessfulDelete')).toHaveLength(4);
  }, 90_000);

  it('the set-deployment-env scenario action rolls the template out again; the Service spreads over the new pods', async () => {
    const before = webPods(readState(name)!);
    const [r] = await runScenarios(name, ['roll']);
    expect(r!.steps.map((s) => `${s.name}: ${s.status}`)).toEqual([
      'set-deployment-env web VERSION=v3: pass',
      'wait-event RolloutComplete deployment/web: pass',
      'the Service spreads over the 4 new pods: pass',
    ]);
    const after = readState(name)!;
    const now = webPods(after);
    expect(now).toHaveLength(4);
    expect(now.filter((p) => before.includes(p))).toEqual([]);
    expect(after.plan.pods.filter((p) => now.includes(p.name)).every((p) => p.containers.every((c) => c.env.VERSION === 'v3'))).toBe(true);
  }, 90_000);
});

