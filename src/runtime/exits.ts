/**
 * How a container ended, as its shim wrote it. Only a process's parent learns its exit status, and
 * podlab's agent is not the parent of the containers it watches (`up` or a command started them).
 * So in a lab with control loops every pod container starts as `contain --exit-file FILE …`
 * (native/contain.c): contain stays the program's parent, as containerd's shim does, and writes
 * `<shim pid> exited <code>` or `<shim pid> signaled <signal>` to FILE when the program ends. The
 * file is truncated when the container starts, so what it holds is always of the latest run; the
 * pid makes sure of it. A shim killed outright (SIGKILL: a crash action, a liveness kill, a
 * learner's `kill -9` of the pid `status` shows) writes nothing; its program dies with it of
 * SIGKILL (PR_SET_PDEATHSIG), so the agent records 137, signal 9.
 */
import { readFileSync } from 'node:fs';
import { exitFileOf } from '../render/render.ts';
import type { PlanPod } from '../plan/plan.ts';
import { stateDir } from './state.ts';

export interface ContainerExit {
  /** The code Kubernetes shows: the program's exit code, or 128 + the signal that ended it. */
  code: number;
  /** The signal, when one ended the program. */
  signal?: number;
  /** `Completed` (code 0) or `Error`, as the kubelet's `lastState.terminated.reason`. */
  reason: 'Completed' | 'Error';
}

/** Parses an exit file's line; undefined unless it is of the run whose shim had pid `pid`. */
export function parseExit(text: string, pid: number): ContainerExit | undefined {
  const m = /^(\d+) (exited|signaled) (\d+)\n?$/.exec(text);
  if (!m || Number(m[1]) !== pid) return undefined;
  const n = Number(m[3]);
  const code = m[2] === 'exited' ? n : 128 + n;
  return { code, ...(m[2] === 'signaled' ? { signal: n } : {}), reason: code === 0 ? 'Completed' : 'Error' };
}

/** The exit of container `c` of `pod` whose shim had pid `pid`, if the shim wrote it. */
export function readExit(lab: string, plan: Parameters<typeof exitFileOf>[0], pod: PlanPod, c: PlanPod['containers'][number], pid: number): ContainerExit | undefined {
  const file = exitFileOf(plan, stateDir(lab), pod, c);
  if (!file) return undefined;
  try {
    return parseExit(readFileSync(file, 'utf8'), pid);
  } catch {
    return undefined;
  }
}

/** The reason Kubernetes gives an exit code it did not read from a shim (a kill the agent caused). */
export const reasonOf = (code: number): ContainerExit['reason'] => (code === 0 ? 'Completed' : 'Error');
