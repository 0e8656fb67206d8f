/** The control loops' pure core on a fake clock: back-off, probe thresholds, scheduler, ReplicaSet. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, KUBELET_BACKOFF, newHistory, nextRestart, recordExit, recordRestart, type RestartHistory } from '../../src/loops/backoff.ts';
import { isDue, newProbe, nextDue, PROBE_DEFAULTS, recordResult, type ProbeSettings, type ProbeState } from '../../src/loops/probe.ts';
import { schedule, toleratesControlPlane } from '../../src/loops/scheduler.ts';
import { podName, reconcile, templateHash } from '../../src/loops/replicaset.ts';

describe('restart back-off (kubelet)', () => {
  it('restarts at once, then waits 10 s, 20 s, 40 s … capped at 5 min', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n) / 1000)).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('a crash-looping container on a fake clock: restart times follow the back-off', () => {
    let clock = 0;
    let h: RestartHistory = newHistory(clock);
    const restartsAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 1000; // runs 1 s, crashes
      h = recordExit(h, 1, clock);
      const d = nextRestart(h, 'Always');
      if (!d.restart) throw new Error('expected a restart');
      clock = d.at;
      restartsAt.push(clock / 1000);
      h = recordRestart(h, clock);
    }
    expect(restartsAt).toEqual([1, 12, 33, 74, 155]);
    expect(h.restarts).toBe(5);
  });

  it('forgets the streak after 10 minutes of running', () => {
    let h = newHistory(0);
    for (let i = 0; i < 4; i++) h = recordRestart(recordExit(h, 1, h.startedAt + 10), h.startedAt + 10);
    expect(h.streak).toBe(4);
    const later = recordExit(h, 1, h.startedAt + KUBELET_BACKOFF.resetAfterMs);
    expect(later.streak).toBe(0);
    expect(nextRestart(later, 'Always')).toEqual({ restart: true, at: later.exitedAt });
    const sooner = recordExit(h, 1, h.startedAt + KUBELET_BACKOFF.resetAfterMs - 1);
    expect(nextRestart(sooner, 'Always')).toEqual({ restart: true, at: sooner.exitedAt! + 80_000 });
  });

  it('restartPolicy: OnFailure restarts only a failure, Never never', () => {
    const ok = recordExit(newHistory(0), 0, 5);
    const bad = recordExit(newHistory(0), 137, 5);
    expect(nextRestart(ok, 'Always').restart).toBe(true);
    expect(nextRestart(ok, 'OnFailure')).toEqual({ restart: false, reason: 'policy' });
    expect(nextRestart(bad, 'OnFailure').restart).toBe(true);
    expect(nextRestart(bad, 'Never')).toEqual({ restart: false, reason: 'policy' });
    expect(nextRestart(newHistory(0), 'Always')).toEqual({ restart: false, reason: 'running' });
  });

  it('a lab may make it shorter', () => {
    const fast = { initialMs: 100, maxMs: 400, resetAfterMs: 1000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, fast))).toEqual([100, 200, 400, 400]);
  });
});

describe('probe state machine', () => {
  const s: ProbeSettings = { ...PROBE_DEFAULTS, initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 3, successThreshold: 2 };
  /** Runs the probe whenever it is due on a 100 ms fake clock; `result(t)` is the probe's answer at t. */
  function run(p: ProbeState, until: number, result: (t: number) => boolean) {
    const flips: { t: number; ok: boolean }[] = [];
    const runs: number[] = [];
    for (let t = 0; t <= until; t += 100) {
      if (!isDue(p, s, t)) continue;
      runs.push(t);
      const r = recordResult(p, result(t), t, s);
      p = r.state;
      if (r.changed) flips.push({ t, ok: p.ok });
    }
    return { p, flips, runs };
  }

  it('waits initialDelaySeconds, then probes every periodSeconds', () => {
    const { runs } = run(newProbe('readiness', 0), 11_000, () => true);
    expect(runs).toEqual([5000, 7000, 9000, 11000]);
    expect(nextDue(newProbe('readiness', 1000), s)).toBe(6000);
  });

  it('readiness starts not ready and needs successThreshold successes in a row', () => {
    const { flips } = run(newProbe('readiness', 0), 20_000, () => true);
    expect(flips).toEqual([{ t: 7000, ok: true }]);
  });

  it('goes not ready after failureThreshold failures in a row, and back after successThreshold', () => {
    // Healthy until 10 s, failing until 20 s, healthy after.
    const { flips } = run(newProbe('readiness', 0), 40_000, (t) => t < 10_000 || t >= 20_000);
    expect(flips).toEqual([
      { t: 7000, ok: true },
      { t: 15000, ok: false }, // failures at 11, 13, 15 s
      { t: 23000, ok: true }, // successes at 21, 23 s
    ]);
  });

  it('one failure fewer than the threshold changes nothing', () => {
    const { flips } = run(newProbe('readiness', 0), 40_000, (t) => !(t >= 11_000 && t <= 13_000));
    expect(flips).toEqual([{ t: 7000, ok: true }]);
  });

  it('liveness starts alive and flips to failure after failureThreshold', () => {
    const live = { ...PROBE_DEFAULTS, periodSeconds: 1, failureThreshold: 2 };
    let p = newProbe('liveness', 0);
    expect(p.ok).toBe(true);
    p = recordResult(p, false, 0, live).state;
    expect(p.ok).toBe(true);
    const r = recordResult(p, false, 1000, live);
    expect(r).toMatchObject({ changed: true, state: { ok: false } });
  });
});

describe('scheduler', () => {
  const nodes = [
    { name: 'worker-1', labels: { zone: 'a' } },
    { name: 'worker-2', labels: { zone: 'b' } },
    { name: 'worker-3', labels: { zone: 'a' } },
  ];

  it('nodeName wins; nodeSelector filters; no fit is Pending', () => {
    expect(schedule(nodes, [], { nodeName: 'worker-3' })).toBe('worker-3');
    expect(schedule(nodes, [], { nodeName: 'nope' })).toBeUndefined();
    expect(schedule(nodes, [{ node: 'worker-1' }], { nodeSelector: { zone: 'a' } })).toBe('worker-3');
    expect(schedule(nodes, [], { nodeSelector: { zone: 'c' } })).toBeUndefined();
  });

  it('spreads a workload: fewest of its own pods, then fewest pods, then node order', () => {
    expect(schedule(nodes, [], {}, 'web')).toBe('worker-1');
    expect(schedule(nodes, [{ node: 'worker-1', owner: 'web' }], {}, 'web')).toBe('worker-2');
    // worker-1 has another workload's pods but none of web's, and fewer in all than worker-2.
    const placed = [{ node: 'worker-2', owner: 'web' }, { node: 'worker-2', owner: 'db' }, { node: 'worker-3', owner: 'web' }, { node: 'worker-1', owner: 'db' }];
    expect(schedule(nodes, placed, {}, 'web')).toBe('worker-1');
  });

  it('a failed node takes nothing', () => {
    expect(schedule([{ ...nodes[0]!, ready: false }, nodes[1]!], [], {})).toBe('worker-2');
  });

  it("keeps pods off a control plane that has workers beside it, unless they tolerate kubeadm's taint", () => {
    const cp = { name: 'cp', labels: { 'node-role.kubernetes.io/control-plane': '' } };
    expect(schedule([cp, nodes[0]!], [{ node: 'worker-1', owner: 'web' }], {}, 'web')).toBe('worker-1');
    expect(schedule([cp, nodes[0]!], [{ node: 'worker-1', owner: 'web' }], { tolerateControlPlane: true }, 'web')).toBe('cp');
    expect(schedule([cp, nodes[0]!], [], { nodeName: 'cp' })).toBe('cp');
    // A lab of only a control plane schedules there (as kind's single-node cluster does).
    expect(schedule([cp], [], {})).toBe('cp');
    expect(toleratesControlPlane([{ operator: 'Exists' }])).toBe(true);
    expect(toleratesControlPlane([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoExecute' }])).toBe(false);
  });
});

describe('templateHash', () => {
  it('is of the value, not of the order its keys were written in', () => {
    expect(templateHash({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(templateHash({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
    expect(templateHash({ a: 1, b: [1, 2] })).not.toBe(templateHash({ a: 1, b: [2, 1] }));
    expect(templateHash({ a: 1, x: undefined })).toBe(templateHash({ a: 1 }));
  });
});

describe('ReplicaSet reconcile', () => {
  const nodes = [{ name: 'w1', labels: {} }, { name: 'w2', labels: {} }];
  const d = { name: 'web', namespace: 'default', replicas: 3, hash: templateHash({ a: 1 }), placement: {} };

  it('creates the missing pods, spread, with deterministic Kubernetes-shaped names', () => {
    const r = reconcile(d, [], nodes, [], 0);
    expect(r.create.map((c) => c.node)).toEqual(['w1', 'w2', 'w1']);
    expect(r.create.map((c) => c.name)).toEqual([0, 1, 2].map((i) => podName('web', 'default', d.hash, i)));
    expect(r.create[0]!.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(reconcile(d, [], nodes, [], 0)).toEqual(r);
    expect(r.nextSeq).toBe(3);
  });

  it('a replacement gets a new name (the sequence only grows) on the emptiest node', () => {
    const owned = [{ name: 'a', node: 'w1', createdAt: 0, ready: true }, { name: 'b', node: 'w1', createdAt: 0, ready: true }];
    const r = reconcile(d, owned, nodes, [], 3);
    expect(r.create).toEqual([{ name: podName('web', 'default', d.hash, 3), node: 'w2', seq: 3 }]);
  });

  it('scales down: not-ready pods first, then the newest', () => {
    const owned = [
      { name: 'old', node: 'w1', createdAt: 1, ready: true },
      { name: 'new', node: 'w2', createdAt: 5, ready: true },
      { name: 'sick', node: 'w1', createdAt: 0, ready: false },
      { name: 'mid', node: 'w2', createdAt: 3, ready: true },
    ];
    expect(reconcile({ ...d, replicas: 2 }, owned, nodes, [], 9).delete).toEqual(['sick', 'new']);
    expect(reconcile({ ...d, replicas: 0 }, owned, nodes, [], 9).delete).toHaveLength(4);
  });

  it('with every node failed the pods stay Pending', () => {
    const r = reconcile(d, [], nodes.map((n) => ({ ...n, ready: false })), [], 0);
    expect(r).toMatchObject({ create: [], pending: 3 });
  });
});
