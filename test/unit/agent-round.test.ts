/**
 * The agent's ReplicaSet round (runtime/agent.ts deploymentRound), pure: which pods a scale-down
 * deletes, from the pods in the order the agent made them, as the ReplicaSet controller picks.
 */
import { describe, expect, it } from 'vitest';
import { deploymentRound } from '../../src/runtime/agent.ts';
import type { PlanPod } from '../../src/plan/plan.ts';
import type { PlanDeployment } from '../../src/plan/loops.ts';

const d = { name: 'web', namespace: 'default', replicas: 3, hash: 'h1', placement: {} } as PlanDeployment<PlanPod>;
const nodes = ['worker-1', 'worker-2', 'worker-3'].map((name) => ({ name, labels: {} }));
/** Pods as the plan holds them: in the order they were made. */
const pods = (...spec: [string, string][]) => spec.map(([name, node]) => ({ name, node, owner: 'web', labels: { app: 'web', 'pod-template-hash': 'h1' } }) as unknown as PlanPod);
const names = (ps: readonly PlanPod[], drop: readonly string[]) => ps.map((p) => p.name).filter((n) => !drop.includes(n));

describe('a scale-down deletes as the ReplicaSet controller does', () => {
  it('the newest pods go, whatever their names', () => {
    // Made in this order: -zzzzz first, -bbbbb last (kubectl scale --replicas=3 after a scale to 5).
    const owned = pods(['web-h1-zzzzz', 'worker-1'], ['web-h1-xxxxx', 'worker-2'], ['web-h1-ccccc', 'worker-3'], ['web-h1-ddddd', 'worker-1'], ['web-h1-bbbbb', 'worker-2']);
    const { r } = deploymentRound(d, 3, owned, () => true, nodes, [], 5);
    expect(r.delete.sort()).toEqual(['web-h1-bbbbb', 'web-h1-ddddd']);
    expect(r.create).toEqual([]);
  });

  it('pods doubled up on a node go before a node\'s only one, so the rest stay spread; not-ready ones first of all', () => {
    // worker-2 and worker-3 hold two each, worker-1 one, the newest: down to 2 keeps it and the
    // oldest, on two nodes (newest first alone would keep two pods on worker-2).
    const owned = pods(['web-h1-zzzzz', 'worker-2'], ['web-h1-bbbbb', 'worker-2'], ['web-h1-ccccc', 'worker-3'], ['web-h1-ddddd', 'worker-3'], ['web-h1-yyyyy', 'worker-1']);
    const { r } = deploymentRound(d, 2, owned, () => true, nodes, [], 5);
    expect(names(owned, r.delete)).toEqual(['web-h1-zzzzz', 'web-h1-yyyyy']);
    // A pod that is not ready goes first, however old and alone on its node.
    const sick = deploymentRound(d, 4, owned, (q) => q.name !== 'web-h1-yyyyy', nodes, [], 5);
    expect(sick.r.delete).toEqual(['web-h1-yyyyy']);
  });
});

describe('a rolling update, round by round', () => {
  it("says what it scaled as the deployment controller's ScalingReplicaSet events do", () => {
    const rolled = { ...d, hash: 'h2' } as PlanDeployment<PlanPod>;
    const owned = pods(['web-h1-aaaaa', 'worker-1'], ['web-h1-bbbbb', 'worker-2'], ['web-h1-ccccc', 'worker-3']);
    // 3 replicas, 25 %: maxSurge 1, maxUnavailable 0: one new pod first, no old one goes yet.
    const first = deploymentRound(rolled, 3, owned, () => true, nodes, [], 3);
    expect(first.step!.scaled).toEqual(['Scaled up replica set web-h2 from 0 to 1']);
    expect(first.r.create).toHaveLength(1);
    // The new pod ready: an old one goes, and another new one may start.
    const fresh = { ...owned[0]!, name: 'web-h2-ddddd', labels: { app: 'web', 'pod-template-hash': 'h2' } } as PlanPod;
    const second = deploymentRound(rolled, 3, [...owned, fresh], () => true, nodes, [], 4);
    expect(second.step!.scaled).toEqual(['Scaled down replica set web-h1 from 3 to 2']);
  });
});
