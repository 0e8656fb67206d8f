import { describe, expect, it } from 'vitest';
import { rolloutBounds, rolloutStep, type DeploymentStrategy, type RolloutPod } from '../../src/loops/rollout.ts';

/** Runs a rollout to its end: each round's new pods become ready on the next round (a readiness probe passing). */
function simulate(replicas: number, readyAfterRounds = 1, strategy?: DeploymentStrategy) {
  let pods: (RolloutPod & { born: number })[] = Array.from({ length: replicas }, (_, i) => ({ name: `old-${i}`, current: false, ready: true, createdAt: i, born: -10 }));
  let seq = replicas;
  const minReady: number[] = [];
  const maxTotal: number[] = [];
  for (let round = 0; round < 50; round++) {
    pods = pods.map((p) => (p.current && !p.ready && round - p.born >= readyAfterRounds ? { ...p, ready: true } : p));
    const s = rolloutStep(replicas, pods, strategy);
    if (s.done) return { rounds: round, minReady: Math.min(...minReady), maxTotal: Math.max(...maxTotal), pods };
    pods = pods.filter((p) => !s.delete.includes(p.name));
    for (let i = 0; i < s.create; i++) pods.push({ name: `new-${seq}`, current: true, ready: false, createdAt: seq++, born: round });
    minReady.push(pods.filter((p) => p.ready).length);
    maxTotal.push(pods.length);
  }
  throw new Error('the rollout never ended');
}

describe('rolling update (maxSurge and maxUnavailable 25 %, readiness-gated)', () => {
  it('has Kubernetes\' default bounds', () => {
    expect(rolloutBounds(4)).toEqual({ maxSurge: 1, maxUnavailable: 1 });
    expect(rolloutBounds(3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(rolloutBounds(10)).toEqual({ maxSurge: 3, maxUnavailable: 2 });
  });
  it('replaces every pod and never drops below replicas − maxUnavailable ready, nor above replicas + maxSurge', () => {
    for (const replicas of [1, 2, 3, 4, 10]) {
      const r = simulate(replicas);
      const { maxSurge, maxUnavailable } = rolloutBounds(replicas);
      expect(r.pods.every((p) => p.current), `replicas ${replicas}`).toBe(true);
      expect(r.pods).toHaveLength(replicas);
      expect(r.minReady, `replicas ${replicas}`).toBeGreaterThanOrEqual(replicas - maxUnavailable);
      expect(r.maxTotal, `replicas ${replicas}`).toBeLessThanOrEqual(replicas + maxSurge);
    }
  });
  it('waits while new pods are not ready: no old pod is deleted beyond maxUnavailable', () => {
    const pods: RolloutPod[] = [
      { name: 'old-0', current: false, ready: true, createdAt: 0 },
      { name: 'old-1', current: false, ready: true, createdAt: 1 },
      { name: 'old-2', current: false, ready: true, createdAt: 2 },
      { name: 'new-3', current: true, ready: false, createdAt: 3 },
    ];
    expect(rolloutStep(3, pods)).toEqual({ create: 0, delete: [], done: false });
    // Once the new one is ready, the newest old pod goes.
    expect(rolloutStep(3, pods.map((p) => ({ ...p, ready: true })))).toEqual({ create: 0, delete: ['old-2'], done: false });
  });
  it('deletes old pods that are not ready first, even before new ones are', () => {
    const pods: RolloutPod[] = [
      { name: 'old-0', current: false, ready: true, createdAt: 0 },
      { name: 'old-1', current: false, ready: false, createdAt: 1 },
      { name: 'old-2', current: false, ready: true, createdAt: 2 },
      { name: 'old-3', current: false, ready: true, createdAt: 3 },
    ];
    expect(rolloutStep(4, pods)).toEqual({ create: 1, delete: ['old-1'], done: false });
  });
});

describe('a Deployment\'s own strategy', () => {
  it('resolves maxSurge and maxUnavailable as Kubernetes does: counts as written, percentages up and down', () => {
    expect(rolloutBounds(4, { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 })).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(rolloutBounds(10, { type: 'RollingUpdate', maxSurge: '15%', maxUnavailable: '15%' })).toEqual({ maxSurge: 2, maxUnavailable: 1 });
    expect(rolloutBounds(3, { type: 'RollingUpdate', maxSurge: '0%', maxUnavailable: '10%' })).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });
  it('rolls within the bounds it asks for: maxUnavailable 0 never drops below the replicas ready; maxSurge 0 never goes above them', () => {
    for (const [strategy, floor, ceiling] of [
      [{ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 }, 4, 5],
      [{ type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 2 }, 2, 4],
      [{ type: 'RollingUpdate', maxSurge: '100%', maxUnavailable: 0 }, 4, 8],
    ] as const) {
      const r = simulate(4, 1, strategy);
      expect(r.pods.every((p) => p.current) && r.pods.length, JSON.stringify(strategy)).toBe(4);
      expect(r.minReady, JSON.stringify(strategy)).toBeGreaterThanOrEqual(floor);
      expect(r.maxTotal, JSON.stringify(strategy)).toBeLessThanOrEqual(ceiling);
    }
  });
  it('Recreate deletes every old pod first and creates the new ones only when none is left', () => {
    const old: RolloutPod[] = [0, 1, 2].map((i) => ({ name: `old-${i}`, current: false, ready: i !== 1, createdAt: i }));
    expect(rolloutStep(3, old, { type: 'Recreate' })).toEqual({ create: 0, delete: ['old-0', 'old-1', 'old-2'], done: false });
    expect(rolloutStep(3, [], { type: 'Recreate' })).toEqual({ create: 3, delete: [], done: false });
    const fresh: RolloutPod[] = [3, 4, 5].map((i) => ({ name: `new-${i}`, current: true, ready: false, createdAt: i }));
    expect(rolloutStep(3, fresh, { type: 'Recreate' })).toEqual({ create: 0, delete: [], done: true });
    const r = simulate(3, 1, { type: 'Recreate' });
    expect([r.minReady, r.pods.length, r.pods.every((p) => p.current)]).toEqual([0, 3, true]);
  });
});
