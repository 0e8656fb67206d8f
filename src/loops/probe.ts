/**
 * Probe state machines (the kubelet's prober, without its I/O): when a probe is due, and how a
 * run of results turns into ready / not ready (readiness) or alive / restart (liveness).
 * Kubernetes' rules: nothing runs before `initialDelaySeconds`; then one probe every
 * `periodSeconds`, each given `timeoutSeconds`; `successThreshold` successes in a row flip the
 * result to success, `failureThreshold` failures in a row flip it to failure. A readiness probe
 * starts as failure (a pod is not ready until its probe passes); a liveness probe starts as
 * success. The probe itself (exec, tcpSocket, httpGet) is run by the agent.
 */

export interface ProbeSettings {
  /** @default 0 */
  initialDelaySeconds: number;
  /** @default 10 */
  periodSeconds: number;
  /** @default 1 */
  timeoutSeconds: number;
  /** @default 1 (liveness must be 1, as in Kubernetes) */
  successThreshold: number;
  /** @default 3 */
  failureThreshold: number;
}

export type ProbeAction = { exec: { command: string[] } } | { tcpSocket: { port: number | string } } | { httpGet: { port: number | string; path: string } };

export type ProbeKind = 'readiness' | 'liveness';

export interface ProbeState {
  kind: ProbeKind;
  /** The current verdict: readiness → ready, liveness → alive. */
  ok: boolean;
  successes: number;
  failures: number;
  /** When the container started (delay counts from here). */
  startedAt: number;
  /** When the last probe ran; undefined before the first. */
  lastRun?: number;
}

export const PROBE_DEFAULTS: ProbeSettings = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

export function newProbe(kind: ProbeKind, startedAt: number): ProbeState {
  return { kind, ok: kind === 'liveness', successes: 0, failures: 0, startedAt };
}

/** When the next probe is due (ms). */
export function nextDue(p: ProbeState, s: ProbeSettings): number {
  return p.lastRun === undefined ? p.startedAt + s.initialDelaySeconds * 1000 : p.lastRun + s.periodSeconds * 1000;
}

export const isDue = (p: ProbeState, s: ProbeSettings, now: number) => now >= nextDue(p, s);

/** The state after one probe result; `changed` when the verdict flipped. */
export function recordResult(p: ProbeState, success: boolean, now: number, s: ProbeSettings): { state: ProbeState; changed: boolean } {
  const successes = success ? p.successes + 1 : 0;
  const failures = success ? 0 : p.failures + 1;
  let ok = p.ok;
  if (success && !ok && successes >= s.successThreshold) ok = true;
  if (!success && ok && failures >= s.failureThreshold) ok = false;
  return { state: { ...p, ok, successes, failures, lastRun: now }, changed: ok !== p.ok };
}
