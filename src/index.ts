/**
 * The authoring API: what a `*.lab.ts` file imports. Everything here returns plain data, so an
 * evaluated lab is a JSON-able object and nothing else.
 */
import type { ContainerSpec, LabSpec, Workload } from './schema/lab-schema.ts';
import type { ExerciseSpec } from './schema/exercise-schema.ts';

export type { CheckSpec, ContainerSpec, LabSpec, PodSpec, Workload } from './schema/lab-schema.ts';
export type { ClusterNetworkPolicySpec, LabelSelectorSpec, NamespaceSpec, NetworkPolicySpec, PolicyPeerSpec, PolicyPortSpec } from './schema/lab-schema.ts';

/**
 * Declares a lab. Identity at run time; gives the editor the lab language's types. The parameter
 * is the plain LabSpec (not a generic) so TypeScript's excess-property check flags misspellings.
 */
export function defineLab(lab: LabSpec): LabSpec {
  return lab;
}

/** Built-in workload helpers: `httpEcho()` answers every request with pod name, pod IP and the client IP it saw. */
export const workloads = {
  httpEcho: (port = 8080): Workload => ({ kind: 'http-echo', port }),
  tcpEcho: (port = 9000): Workload => ({ kind: 'tcp-echo', port }),
  udpEcho: (port = 9001): Workload => ({ kind: 'udp-echo', port }),
};

/** A container running a built-in workload, named after it unless `name` is given. */
export function container(workload: Workload, name?: string): ContainerSpec {
  return { name: name ?? workload.kind, workload };
}


export type { ExerciseSpec } from './schema/exercise-schema.ts';

/**
 * Declares an exercise (exercises/<name>/exercise.ts). Either the exercise itself, or a function
 * of the student's variant: export `variants` (choices per parameter) beside it, and each student
 * gets one value of each, picked from their id.
 */
export function defineExercise<T extends ExerciseSpec | ((variant: Record<string, string | number>) => ExerciseSpec)>(exercise: T): T {
  return exercise;
}
