/**
 * The kubelet's restart back-off, as a pure function of a container's history: when a container
 * that exited may be started again. Kubernetes restarts a crashed container at once the first
 * time, then waits 10 s, 20 s, 40 s, … up to 5 min (CrashLoopBackOff), and forgets the crashes
 * once the container has run for 10 min. A lab may make all three shorter (`loops` in the lab).
 */

export interface BackoffSettings {
  /** The first wait, in ms. @default 10000 (the kubelet's) */
  initialMs: number;
  /** The longest wait, in ms. @default 300000 */
  maxMs: number;
  /** A container that ran this long is forgiven its crashes, in ms. @default 600000 */
  resetAfterMs: number;
}

export const KUBELET_BACKOFF: BackoffSettings = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** What the loop remembers of one container between its runs. */
export interface RestartHistory {
  /** Restarts since the last reset (what the back-off doubles on). */
  streak: number;
  /** Every restart ever (the `RESTARTS` column). */
  restarts: number;
  /** When the running process started (ms, the loop's clock). */
  startedAt: number;
  /** When it exited, and how; undefined while it runs. */
  exitedAt?: number;
  lastExitCode?: number;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export const newHistory = (now: number): RestartHistory => ({ streak: 0, restarts: 0, startedAt: now });

/** The wait before restart number `streak + 1`: none for the first, then initial · 2^(streak-1), capped. */
export function backoffDelay(streak: number, s: BackoffSettings = KUBELET_BACKOFF): number {
  if (streak <= 0) return 0;
  return Math.min(s.maxMs, s.initialMs * 2 ** Math.min(streak - 1, 30));
}

/** Records an exit: the streak is reset first when the process had run for `resetAfterMs`. */
export function recordExit(h: RestartHistory, code: number, now: number, s: BackoffSettings = KUBELET_BACKOFF): RestartHistory {
  const streak = now - h.startedAt >= s.resetAfterMs ? 0 : h.streak;
  return { ...h, streak, exitedAt: now, lastExitCode: code };
}

/** Whether the policy restarts a container that exited with `code` at all. */
export function restartsOnExit(policy: RestartPolicy, code: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && code !== 0);
}

export type RestartDecision = { restart: false; reason: 'running' | 'policy' } | { restart: true; at: number } ;

/** When an exited container is started again (`at` may be in the future: the loop waits till then). */
export function nextRestart(h: RestartHistory, policy: RestartPolicy, s: BackoffSettings = KUBELET_BACKOFF): RestartDecision {
  if (h.exitedAt === undefined) return { restart: false, reason: 'running' };
  if (!restartsOnExit(policy, h.lastExitCode ?? 0)) return { restart: false, reason: 'policy' };
  return { restart: true, at: h.exitedAt + backoffDelay(h.streak, s) };
}

/** The history once the container was started again at `now`. */
export function recordRestart(h: RestartHistory, now: number): RestartHistory {
  return { ...h, streak: h.streak + 1, restarts: h.restarts + 1, startedAt: now, exitedAt: undefined };
}
