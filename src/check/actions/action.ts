/**
 * What a scenario action is: one module (`actions/<action>.ts`) saying how the action is
 * normalized, which semantic rules it obeys (pure, pushing diagnostics), the one line a report
 * shows for it, and what it does to a live lab, saying what happened in one line a learner can
 * read ("web-1: 10.244.1.2 → 10.244.1.5"). It acts through `LiveLab`, the runtime's door
 * (runtime/actions.ts), so the module itself stays below validation, which dispatches through it.
 * The registry is `actions/index.ts`.
 */
import { diag, type Diagnostic } from '../../compile/diagnostics.ts';
import { nearest } from '../../lib/edit-distance.ts';
import type { ActionSpec } from '../../schema/lab-schema.ts';
import type { PolicyAction } from '../../policy/normalize.ts';
import type { NetworkPolicy } from '../../policy/types.ts';
import type { LabView, ProbeOutput } from '../kinds/kind.ts';
import { compareText } from '../../lib/order.ts';

/** A scenario action as validated: defaults filled. */
export type LabAction =
  | Exclude<ActionSpec, { action: 'exec' | 'apply-policy' }>
  | (Extract<ActionSpec, { action: 'exec' }> & { expectExit: number })
  | PolicyAction;
export type ActionName = LabAction['action'];
export type LabActionOf<K extends ActionName> = Extract<LabAction, { action: K }>;

export class ActionFailed extends Error {}

/** What an action can do to the live lab; the runtime implements it (runtime/actions.ts). Each method records the change in the lab's state. */
export interface LiveLab {
  /** The lab's name. */
  lab: string;
  recreatePod(pod: string): Promise<{ oldIp?: string; ip: string }>;
  deletePod(pod: string): Promise<void>;
  createPod(pod: string): Promise<{ ip: string }>;
  /** Restarts one container in its pod's sandbox: its pid before and after, and the pod's IP. */
  restartContainer(pod: string, container: string): Promise<{ pidBefore?: number; pid?: number; ip?: string }>;
  scalePod(pod: string, replicas: number): Promise<{ created: { name: string; ip?: string }[]; deleted: string[] }>;
  reloadDns(corefile: string | undefined): Promise<{ warnings: { message: string }[] }>;
  /** Sets the fabric side of a node's link down or up; undefined when the lab has no such node. */
  setNodeLink(node: string, updown: 'up' | 'down'): Promise<ProbeOutput | undefined>;
  /** Stops or starts a node's BIRD (Calico BGP): whether it was running before, and its pid once started. */
  setBird(node: string, to: 'stop' | 'start'): Promise<{ pid?: number; was: 'running' | 'stopped' }>;
  /** Sets the Calico IP pool's natOutgoing; what it was. */
  setNatOutgoing(natOutgoing: boolean, pool?: string): Promise<{ was: boolean }>;
  /** Reserves every free address of a Calico node's blocks; what was reserved, and the blocks. */
  exhaustBlock(node: string, family?: 'IPv4' | 'IPv6'): Promise<{ reserved: string[]; blocks: string[] }>;
  /** Runs an argv in a pod, `node/<name>` or `host/<name>`. */
  exec(from: string, argv: readonly string[], timeoutMs: number): Promise<ProbeOutput>;
  /** Creates or replaces a NetworkPolicy; the nft transactions sent (per node, in lines). */
  applyPolicy(policy: NetworkPolicy): Promise<{ replaced: boolean; applied: NftChange[] }>;
  /** Deletes a NetworkPolicy (an error when there is none of that name). */
  deletePolicy(namespace: string, name: string): Promise<{ applied: NftChange[] }>;
  /** Sets (or, with null, removes) a running pod's labels. */
  labelPod(pod: string, labels: Record<string, string | null>): Promise<{ before: Record<string, string>; after: Record<string, string>; applied: NftChange[] }>;
  /** Kills a container (SIGKILL); the lab's agent restarts it. */
  crashContainer(pod: string, container?: string): Promise<{ container: string; pid: number; ip?: string }>;
  /** Makes the pod's http-echo containers healthy or not (/healthz 200 or 503); the containers told. */
  setHealth(pod: string, healthy: boolean): Promise<string[]>;
  /** Fails (link down, agent stopped for it) or restores a node. */
  setNodeFailed(node: string, failed: boolean): Promise<ProbeOutput>;
  scaleDeployment(deployment: string, replicas: number): Promise<{ from: number }>;
  /** Sets environment variables on a Deployment's template as the API serves it (a write through the lab's API kind, api/live.ts); the agent rolls it out. */
  setDeploymentEnv(deployment: string, env: Record<string, string>): Promise<{ env: Record<string, string> }>;
  /** The first event matching, waiting up to `timeoutMs`; undefined when none came. */
  waitEvent(filter: { reason: string; object?: string; text?: string }, timeoutMs: number): Promise<{ reason: string; object: string; message: string } | undefined>;
}

/** One namespace's nft transaction: its target (a node, the gateway) and its size in lines. */
export interface NftChange {
  target: string;
  lines: number;
}

/** `nft: a 12 lines, b 12 lines`, or `no nft change`. */
export function describeNft(applied: readonly NftChange[]): string {
  return applied.length ? `nft: ${[...applied].sort((a, b) => compareText(a.target, b.target)).map((x) => `${x.target} ${x.lines} lines`).join(', ')}` : 'no nft change';
}

/** What an action's rules see: the lab, where the step was written, and how to name it. */
export interface StepContext {
  lab: LabView;
  /** `scenario "x", step 3 (scale)` */
  what: string;
  /** A diagnostic path below the step. */
  at(...p: (string | number)[]): (string | number)[];
}

export interface ScenarioAction<K extends ActionName, A = LabActionOf<K>, W = Extract<ActionSpec, { action: K }>> {
  action: K;
  /** Fills defaults. */
  normalize(spec: W): A;
  /** The action's semantic rules; pushes diagnostics, never throws. */
  validate(a: A, step: StepContext, out: Diagnostic[]): void;
  /** One line for reports: what the action is. */
  describe(a: A): string;
  /** Runs it; resolves to what happened, or throws ActionFailed (or the runtime's own error). */
  run(live: LiveLab, a: A): Promise<string>;
}

/** "Did you mean …" for a name the lab does not have. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const s = nearest(name, [...known]);
  return s ? `Did you mean "${s}"?` : `Known: ${[...known].join(', ') || '(none)'}.`;
}

/** The pod an action names, or a diagnostic saying the lab has none of that name. */
export function podOf(a: { pod: string }, step: StepContext, out: Diagnostic[]): LabView['pods'][number] | undefined {
  const pod = step.lab.pods.find((p) => p.name === a.pod);
  if (!pod) out.push(diag('PL2029', step.at('pod'), `${step.what}: the lab has no pod "${a.pod}"`, didYouMean(a.pod, step.lab.pods.map((p) => p.name))));
  return pod;
}

/** Actions that name a node: a diagnostic when the lab has none of that name. */
export function validateNodeRef(a: { node: string }, step: StepContext, out: Diagnostic[]): void {
  const nodes = step.lab.nodes.map((n) => n.name);
  if (!nodes.includes(a.node)) out.push(diag('PL2029', step.at('node'), `${step.what}: the lab has no node "${a.node}"`, didYouMean(a.node, nodes)));
}

/** Actions that only name a pod of the lab. */
export function validatePodRef(a: { pod: string }, step: StepContext, out: Diagnostic[]): void {
  podOf(a, step, out);
}
