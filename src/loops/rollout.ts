/**
 * The Deployment controller's rolling update, pure: given a Deployment's desired replicas, its
 * pods (each of the old or the new template) and which are ready, how many new pods to create and
 * which old ones to delete this round. Kubernetes' RollingUpdate strategy with its defaults,
 * maxSurge 25 % (rounded up) and maxUnavailable 25 % (rounded down), as in
 * kubernetes/pkg/controller/deployment/rolling.go:
 *
 * - scale up the new pods while all pods stay ≤ replicas + maxSurge;
 * - scale down old pods while the ready pods stay ≥ replicas − maxUnavailable, counting the new
 *   pods that are not ready yet against it; old pods that are not ready go first (cleanup of
 *   unhealthy replicas), then the newest ready ones.
 *
 * So a Service in front of the Deployment never has fewer than replicas − maxUnavailable ready
 * endpoints (readiness-gated): the rollout waits for new pods to pass their readiness probes.
 */

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

/** Kubernetes' defaults: maxSurge 25 % rounded up, maxUnavailable 25 % rounded down (both 0 is not allowed: then 1 unavailable). */
export function rolloutBounds(replicas: number): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = Math.ceil(replicas * 0.25);
  const maxUnavailable = Math.floor(replicas * 0.25);
  return maxSurge === 0 && maxUnavailable === 0 ? { maxSurge: 0, maxUnavailable: 1 } : { maxSurge, maxUnavailable };
}

export function rolloutStep(replicas: number, pods: readonly RolloutPod[]): RolloutStep {
  const { maxSurge, maxUnavailable } = rolloutBounds(replicas);
  const fresh = pods.filter((p) => p.current);
  const old = pods.filter((p) => !p.current);
  const create = Math.max(0, Math.min(replicas - fresh.length, replicas + maxSurge - pods.length));
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
