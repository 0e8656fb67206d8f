/**
 * What the lab's agent (runtime/agent.ts) knows and publishes, in /run/podlab/<lab>/loops.json:
 * per pod whether it is ready, per container its restarts, last exit code and state, the nodes
 * that failed, each Deployment's next pod number and its rollout history. The agent is its only writer (by rename);
 * `status` shows it, and the kube-proxy sync (runtime/services.ts) leaves not-ready pods out of
 * the endpoints, so a command's sync and the agent's agree.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { stateDir } from './state.ts';
import type { TemplateRevision } from '../loops/revisions.ts';
import type { PlanPod } from '../plan/plan.ts';

export interface ContainerLoopState {
  restarts: number;
  lastExitCode?: number;
  /** Why it last ended: Completed (code 0) or Error (kubelet's lastState.terminated.reason). */
  lastReason?: 'Completed' | 'Error';
  /** When the run that last ended started, and when the agent saw it end (ISO, to the second): lastState.terminated's times. */
  lastStartedAt?: string;
  lastFinishedAt?: string;
  /** running, waiting (seen exited; CrashLoopBackOff while its restart is held back), terminated (its policy does not restart it). */
  state: 'running' | 'waiting' | 'terminated';
  reason?: string;
  /** In CrashLoopBackOff: the back-off its restart waits (ms), as the kubelet's message says it. */
  backoffMs?: number;
}

export interface LoopsFile {
  agent: { pid: number };
  pods: Record<string, { ready: boolean; containers: Record<string, ContainerLoopState> }>;
  /** Failed nodes, and when they failed (ms since the epoch). */
  failedNodes: Record<string, number>;
  /** Nodes whose pods were evicted (their grace ran out). */
  evictedNodes: string[];
  /** Per Deployment, the sequence number of its next pod. */
  seq: Record<string, number>;
  /** Per Deployment, the templates it rolled out, oldest first (loops/revisions.ts). */
  revisions?: Record<string, readonly TemplateRevision<PlanPod>[]>;
}

export const loopsPath = (lab: string) => `${stateDir(lab)}/loops.json`;

export function readLoops(lab: string): LoopsFile | undefined {
  try {
    return JSON.parse(readFileSync(loopsPath(lab), 'utf8')) as LoopsFile;
  } catch {
    return undefined;
  }
}

export function writeLoops(lab: string, f: LoopsFile): void {
  writeFileAtomic(loopsPath(lab), `${JSON.stringify(f, null, 1)}\n`);
}

/** Pods the agent holds not ready (none when no agent runs). */
export function notReadyPods(lab: string): Set<string> {
  const f = readLoops(lab);
  return new Set(Object.entries(f?.pods ?? {}).filter(([, p]) => !p.ready).map(([name]) => name));
}

/**
 * What commands ask of the agent, in /run/podlab/<lab>/loops-control.json: nodes failed (and
 * when, ms) and Deployments' desired replicas set by `scale`. Commands are its only writers, the
 * agent reads it every round: neither overwrites what the other owns.
 */
export interface LoopsControl {
  failedNodes: Record<string, number>;
  replicas: Record<string, number>;
}

export const controlPath = (lab: string) => `${stateDir(lab)}/loops-control.json`;

export function readControl(lab: string): LoopsControl {
  try {
    const c = JSON.parse(readFileSync(controlPath(lab), 'utf8')) as Partial<LoopsControl>;
    return { failedNodes: c.failedNodes ?? {}, replicas: c.replicas ?? {} };
  } catch {
    return { failedNodes: {}, replicas: {} };
  }
}

export function updateControl(lab: string, change: (c: LoopsControl) => void): LoopsControl {
  const c = readControl(lab);
  change(c);
  writeFileAtomic(controlPath(lab), `${JSON.stringify(c, null, 1)}\n`);
  return c;
}
