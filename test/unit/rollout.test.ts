import { describe, expect, it } from 'vitest';
import { rolloutBounds, rolloutStep, type RolloutPod } from '../../src/loops/rollout.ts';

/** Runs a rollout to its end: each round's new pods become ready on the next round (a readiness probe passing). */
function simulate(replicas: number, readyAfterRounds = 1) {
  let pods: (RolloutPod & { born: number })[] = Array.from({ length: replicas }, (_, i) => ({ name: `old-${i}`, current: false, ready: true, createdAt: i, born: -10 }));
  let seq = replicas;
  const minReady: number[] = [];
  const maxTotal: number[] = [];
  for (let round = 0; round < 50; round++) {
    pods = pods.map((p) => (p.current && !p.ready && round - p.born >= readyAfterRounds ? { ...p, ready: true } : p));
    const s = rolloutStep(replicas, pods);
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
