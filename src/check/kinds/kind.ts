/**
 * What a check kind is: one module (`kinds/<kind>.ts`) that says how a check of that kind is
 * normalized from what the author wrote, which semantic rules it obeys, how it is planned
 * (references resolved against the planned lab), the command that probes it, and the pure judge
 * of that command's output. The registry (`kinds/index.ts`) lists every kind; see
 * docs/checks-architecture.md.
 *
 * A check has one type per phase, from one definition: `Check<'lab', …>` is what validation hands
 * to the planner (references as written, where it was written), `Check<'plan', …>` what the
 * runner reads (references resolved to addresses). Nothing else differs between the two.
 */
import type { Diagnostic } from '../../compile/diagnostics.ts';
import type { Prover } from '../../lib/proof.ts';
import type { Peers, TargetKind } from './targets.ts';
import type { LabIngress } from '../../ingress/types.ts';
import type { CheckSpec } from '../../schema/lab-schema.ts';

/** What a check prints: the probe's exit code and output (the runtime's RunResult is one). */
export interface ProbeOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * What check kinds' and scenario actions' rules read of the validated lab (a Lab is one). A view
 * rather than the Lab type: the kinds sit below validation (it dispatches through them), so they
 * name only the fields they read.
 */
export interface LabView {
  /** The CNI mode (Calico's checks need Calico, and BGP checks its BGP routing). */
  cni?: { type: string; encapsulation?: string; pools?: readonly { name: string }[]; pools6?: readonly { name: string }[] };
  /** The lab's address families (absent: IPv4 only). */
  ipFamilies?: readonly ('IPv4' | 'IPv6')[];
  nodes: readonly { name: string }[];
  pods: readonly { name: string; namespace?: string; labels?: Readonly<Record<string, string>>; node?: string; hostNetwork: boolean; dnsConfig?: unknown; containers: readonly { name: string; ports: readonly { containerPort: number }[] }[] }[];
  hosts: readonly { name: string }[];
  services: readonly { name: string; namespace: string; type: string; clusterIP?: string; selector?: Readonly<Record<string, string>>; ports: readonly { port: number; protocol: 'TCP' | 'UDP' }[]; /** Its families, primary first (none for an ExternalName Service). */ ipFamilies?: readonly string[] }[];
  dns?: { files: Record<string, string> };
  /** Deployments (their pods are in `pods`), and whether the lab runs control loops at all. */
  deployments?: readonly { name: string }[];
  loops?: unknown;
  /** The lab's Ingresses and classes (an https check through the controller needs a certificate for its host). */
  ingress?: Pick<LabIngress, 'classes' | 'ingresses'>;
  /** The lab's policies (a check that expects no answer is then most likely a policy's). */
  networkPolicies?: readonly unknown[];
  clusterNetworkPolicies?: readonly unknown[];
}

/** Where the check runs, resolved. */
export interface CheckSource {
  kind: 'pod' | 'node' | 'host';
  name: string;
}

/** What the check aims at, resolved; `ip` is '' when there is nothing to address (a DNS check's own resolver). */
export interface CheckTarget {
  kind: TargetKind;
  name: string;
  ip: string;
}

/** The addresses a server may see as the source, and how to name them in a report. */
export interface SourceSet {
  label: string;
  ips: string[];
}

/** How a reference looks in each phase. */
export interface Stages {
  lab: {
    source: string;
    target: string;
    sourceSet: string;
    /** Where it was written: `at`, e.g. ['checks', 3] or ['scenarios', 'x', 'steps', 2, 'check'], for diagnostics; a matrix cell's row and column (`at` is the matrix's). */
    written: { at: (string | number)[]; cell?: { row: number; col: number } };
  };
  plan: { source: CheckSource; target: CheckTarget; sourceSet: SourceSet; written: {} };
}
export type Stage = keyof Stages;

/** The fields every check has, in every phase. */
export interface CheckCommon<K extends string> {
  /** Position where it was written (in `checks`, or its step in a scenario), for reports. */
  index: number;
  name: string;
  kind: K;
  /** How long to keep retrying before the check fails. */
  timeoutMs: number;
}

/** A check of kind K in phase S with the kind's own fields F. */
export type Check<S extends Stage, K extends string, F> = CheckCommon<K> & Stages[S]['written'] & F;

export type Expect = 'reach' | 'no-reach';

/** One attempt's verdict. */
export interface Verdict {
  ok: boolean;
  expected: string;
  seen: string;
  /**
   * A failure that is a definite answer from the lab (a refusal, a DNS answer), not the absence
   * of one (a timeout): retrying it can only change the outcome if the lab changes meanwhile, so
   * the runner stops retrying once nothing is pending (src/check/settle.ts).
   */
  definite?: boolean;
}

/** The authoring form of a kind's checks. */
export type SpecOf<K extends string> = Extract<CheckSpec, { kind: K }>;

/** What every kind module provides: from what the author wrote to the planned check. */
export interface KindBase<K extends string, L, P, W = SpecOf<K>> {
  kind: K;
  /** Fills defaults and names the check; `at` is where it was written, `index` its position there. */
  normalize(spec: W, index: number, at: (string | number)[]): L;
  /** The kind's semantic rules; pushes diagnostics, never throws. (That `from` names a pod, node or host is checked for every kind before.) */
  validate(lab: LabView, check: L, out: Diagnostic[]): void;
  /** Resolves the check's references against the planned lab. */
  plan(check: L, peers: Peers): P;
}

/**
 * What one attempt of a check holds beyond its plan (SECURITY.md, boundary 13): fresh nonces for
 * the probe to send, and what checks the proofs the answers bring back. Made by the runner for
 * each attempt (check/run.ts), never planned, rendered or reported.
 */
export interface Attempt {
  /** One fresh nonce per request the probe makes (`challenges` of them). */
  nonces: readonly string[];
  /** Checks the lab's proofs; absent when the lab has no secret (brought up by an older podlab): then nothing is proven. */
  prover?: Prover;
}

/** A kind run as one command in the check's source, judged on that command's output. */
export interface ProbeKind<K extends string, L, P, W = SpecOf<K>> extends KindBase<K, L, P, W> {
  /**
   * argv to run inside the check's source; `probeBin` is podlab's native probe. `attemptMs`: how
   * long a connecting kind waits for an answer (ATTEMPT_TIMEOUT_MS; less where the policies drop
   * the connection, see check/run.ts). `attempt`: its nonces, for a kind with `challenges`. Pure.
   */
  probe(check: P, probeBin: string, attemptMs?: number, attempt?: Attempt): string[];
  /** Judges one attempt (`attempt`: what its probe was given). Pure: the same output always gets the same verdict. */
  judge(plan: Peers, check: P, output: ProbeOutput, attempt?: Attempt): Verdict;
  /** How many fresh nonces one attempt sends (an http check: one per request); none without it. */
  challenges?(check: P): number;
}

/** A kind run as a grid of ordinary checks (its cells), judged on the cells' outcomes. */
export interface GridKind<K extends string, L, P, C, W = SpecOf<K>> extends KindBase<K, L, P, W> {
  /** The checks to run (cells, row-major) and the grid's row and column labels. */
  grid(check: P): { rows: string[]; cols: string[]; cells: readonly C[] };
  /** Judges the grid from each cell's outcome (same order as `cells`). Pure. */
  judge(check: P, outcomes: readonly { name: string; status: 'pass' | 'fail' }[]): Verdict;
}

/** The last line a probe printed (its error), or its exit code. */
export function lastLine(r: ProbeOutput): string {
  return (r.stderr || r.stdout).trim().split('\n').at(-1) || `exit ${r.exitCode}`;
}

export const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Reads `ip -j` output: an array, or undefined when it is not one. */
export function parseJsonArray<T>(text: string): T[] | undefined {
  try {
    const v = JSON.parse(text || '[]');
    return Array.isArray(v) ? (v as T[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The plain part of a diagnostic path builder: a check's field, or a matrix cell's `from`/`to` inside the matrix's lists. */
export function checkAt(c: Stages['lab']['written']): (...p: (string | number)[]) => (string | number)[] {
  return (...p) => {
    if (c.cell && p[0] === 'from') return [...c.at, 'from', c.cell.row];
    if (c.cell && p[0] === 'to') return [...c.at, 'to', c.cell.col];
    return [...c.at, ...p];
  };
}

/** A source as a learner writes it: `client`, `node/worker-1`, `host/internet`. */
export function sourceRef(from: CheckSource): string {
  return from.kind === 'pod' ? from.name : `${from.kind}/${from.name}`;
}
