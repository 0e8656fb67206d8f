/**
 * The Deployment controller's rolling update, pure: given a Deployment's desired replicas, its
 * pods (each of the old or the new template), which are ready and the Deployment's strategy, how
 * many new pods to create and which old ones to delete this round. Kubernetes' RollingUpdate
 * strategy, maxSurge (rounded up, 25 % by default) and maxUnavailable (rounded down, 25 % by
 * default), as in kubernetes/pkg/controller/deployment/rolling.go:
 *
 * - scale up the new pods while all pods stay ≤ replicas + maxSurge;
 * - scale down old pods while the ready pods stay ≥ replicas − maxUnavailable, counting the new
 *   pods that are not ready yet against it; old pods that are not ready go first (cleanup of
 *   unhealthy replicas), then the newest ready ones.
 *
 * So a Service in front of the Deployment never has fewer than replicas − maxUnavailable ready
 * endpoints (readiness-gated): the rollout waits for new pods to pass their readiness probes.
 *
 * The Recreate strategy (kubernetes/pkg/controller/deployment/recreate.go) deletes every old pod
 * first and creates the new ones only once none is left.
 */

/** A count or a percentage of the replicas ("25%"), as Kubernetes' IntOrString. */
export type IntOrPercent = number | string;

/** A Deployment's `spec.strategy`, resolved: absent from the plan means RollingUpdate 25 % / 25 %. */
export type DeploymentStrategy = { type: 'Recreate' } | { type: 'RollingUpdate'; maxSurge: IntOrPercent; maxUnavailable: IntOrPercent };

/** Kubernetes' default strategy. */
export const DEFAULT_STRATEGY: DeploymentStrategy = { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' };

/** The percentage in "N%", or undefined when the text is not one. */
export function percentOf(v: string): number | undefined {
  const m = /^(\d+)%$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** An IntOrString scaled to the replicas, rounded up or down (intstr.GetScaledValueFromIntOrPercent). */
function scaled(v: IntOrPercent, replicas: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = percentOf(v) ?? 0;
  return roundUp ? Math.ceil((pct * replicas) / 100) : Math.floor((pct * replicas) / 100);
}

export interface RolloutPod {
  name: string;
  /** Of the new template (its pod-template-hash is the new one). */
  current: boolean;
  ready: boolean;
  /** A sequence number: larger is newer. */
  createdAt: number;
}

export interface RolloutStep {
  /** New pods to create now. */
  create: number;
  /** Old pods to delete now. */
  delete: string[];
  /** No old pods left and every new one there: the rollout is over. */
  done: boolean;
}

/**
 * maxSurge rounded up, maxUnavailable rounded down (deployment/util.ResolveFenceposts); both 0
 * cannot roll, so then 1 may be unavailable. Defaults: 25 % each.
 */
export function rolloutBounds(replicas: number, strategy: DeploymentStrategy = DEFAULT_STRATEGY): { maxSurge: number; maxUnavailable: number } {
  const s = strategy.type === 'RollingUpdate' ? strategy : DEFAULT_STRATEGY as Extract<DeploymentStrategy, { type: 'RollingUpdate' }>;
  const maxSurge = scaled(s.maxSurge, replicas, true);
  const maxUnavailable = scaled(s.maxUnavailable, replicas, false);
  return maxSurge === 0 && maxUnavailable === 0 ? { maxSurge: 0, maxUnavailable: 1 } : { maxSurge, maxUnavailable };
}

/**
 * The replicas the new template's ReplicaSet is scaled to while old pods remain
 * (deployment/util.NewRSNewReplicas): for RollingUpdate up to replicas + maxSurge pods in all, never
 * above replicas; for Recreate none until every old pod is gone. `fresh` pods of the new template,
 * `total` of every template.
 */
export function newReplicaSetScale(replicas: number, fresh: number, total: number, strategy: DeploymentStrategy = DEFAULT_STRATEGY): number {
  if (strategy.type === 'Recreate') return total > fresh ? fresh : Math.max(fresh, replicas);
  const { maxSurge } = rolloutBounds(replicas, strategy);
  return fresh + Math.max(0, Math.min(replicas - fresh, replicas + maxSurge - total));
}

export function rolloutStep(replicas: number, pods: readonly RolloutPod[], strategy: DeploymentStrategy = DEFAULT_STRATEGY): RolloutStep {
  const fresh = pods.filter((p) => p.current);
  const old = pods.filter((p) => !p.current);
  if (strategy.type === 'Recreate') {
    // Every old pod goes first; the new ones are created once none is left.
    if (old.length) return { create: 0, delete: old.map((p) => p.name), done: false };
    return { create: Math.max(0, replicas - fresh.length), delete: [], done: fresh.length >= replicas };
  }
  const { maxSurge, maxUnavailable } = rolloutBounds(replicas, strategy);
  const create = newReplicaSetScale(replicas, fresh.length, pods.length, strategy) - fresh.length;
  const minAvailable = replicas - maxUnavailable;
  const newUnavailable = fresh.filter((p) => !p.ready).length;
  const maxScaledDown = pods.length - minAvailable - newUnavailable;
  const del: string[] = [];
  if (maxScaledDown > 0) {
    const unhealthy = old.filter((p) => !p.ready).sort((a, b) => b.createdAt - a.createdAt);
    del.push(...unhealthy.slice(0, maxScaledDown).map((p) => p.name));
    // Only ready old pods count as available: dropping one keeps the ready count at minAvailable or above.
    const readyTotal = pods.filter((p) => p.ready).length;
    const room = Math.min(maxScaledDown - del.length, readyTotal - minAvailable);
    const healthy = old.filter((p) => p.ready).sort((a, b) => b.createdAt - a.createdAt);
    del.push(...healthy.slice(0, Math.max(0, room)).map((p) => p.name));
  }
  return { create, delete: del, done: old.length === 0 && fresh.length >= replicas };
}
