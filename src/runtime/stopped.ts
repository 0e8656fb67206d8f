/**
 * A pod's containers whose process has exited, in the learner's words, and whether anything starts
 * them again: said by `podlab trace` of the pod a connection ends in (src/runtime/trace.ts) and by
 * a failed check's cause (src/check/why.ts), in one wording.
 */
import { isAlive } from '../lib/proc.ts';
import type { PlanPod } from '../plan/plan.ts';
import { readLoops, type LoopsFile } from './loops-state.ts';
import type { LabState } from './state.ts';

export interface Stopped {
  c: PlanPod['containers'][number];
  /** How it ended: `its process 1234 has exited, and nothing restarts it: …`, `exited with code 1; the agent restarts it`. */
  text: string;
  /** Nothing will start it again (no control loops, or a restartPolicy that leaves it terminated). */
  final: boolean;
}

/** How a container that is not running ended, and whether anything will start it again (`final`: nothing will). */
export function howStopped(state: LabState, loops: LoopsFile | undefined, pod: PlanPod, c: PlanPod['containers'][number], pid: number): Omit<Stopped, 'c'> {
  if (!state.plan.loops) return { text: `its process ${pid} has exited, and nothing restarts it: the lab runs no control loops`, final: true };
  const k = loops?.pods[pod.name]?.containers[c.name];
  const code = k?.lastExitCode !== undefined ? ` with code ${k.lastExitCode}${k.lastReason ? ` (${k.lastReason})` : ''}` : '';
  if (k?.state === 'terminated') return { text: `exited${code}; under restartPolicy ${c.restartPolicy ?? 'Always'} it stays terminated`, final: true };
  return { text: `exited${code}; the agent restarts it${k?.reason === 'CrashLoopBackOff' ? ' after its back-off (CrashLoopBackOff)' : ''}`, final: false };
}

/** The pod's containers that were started and whose process is no longer alive; `loops`: the agent's file, read when omitted. */
export function stoppedContainers(state: LabState, pod: PlanPod, loops: LoopsFile | undefined = state.plan.loops ? readLoops(state.lab) : undefined): Stopped[] {
  const recs = state.pods[pod.name]?.containers;
  if (!recs) return [];
  return pod.containers.filter((k) => recs[k.name] && !isAlive(recs[k.name]!)).map((k) => ({ c: k, ...howStopped(state, loops, pod, k, recs[k.name]!.pid) }));
}

/** `container web of pod default/web is not running (its process 1234 has exited, …)`. */
export const stoppedWords = (pod: Pick<PlanPod, 'namespace' | 'name'>, s: Stopped): string => `container ${s.c.name} of pod ${pod.namespace}/${pod.name} is not running (${s.text})`;
