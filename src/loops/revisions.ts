/**
 * A Deployment's rollout history, as the deployment controller numbers its ReplicaSets: each
 * template that becomes current gets the next revision (`deployment.kubernetes.io/revision`); a
 * template rolled back to keeps its ReplicaSet (and its creation time) but moves to the next
 * revision, the numbers it had before listed in `deployment.kubernetes.io/revision-history`; at
 * most `REVISION_HISTORY_LIMIT` old ones are kept (spec.revisionHistoryLimit's default). Pure: the
 * agent records the history in loops.json, the API shows it (kubectl rollout history, and the
 * template `kubectl rollout undo` puts back).
 */
export const REVISION_HISTORY_LIMIT = 10;

/** `P`: the template's form (the plan's pod, PlanPod, for the agent and the API). */
export interface TemplateRevision<P = unknown> {
  /** The template's pod-template-hash. */
  hash: string;
  revision: number;
  /** When its ReplicaSet was first made (ISO time). */
  at: string;
  /** The template, so an old ReplicaSet shows its own. */
  template?: P;
  /** The template as written through the API (`spec.template`), when it was: an old ReplicaSet serves exactly it, so `rollout undo` sends it back whole. */
  written?: Record<string, unknown>;
  /** The revisions it had before it was rolled back to (`deployment.kubernetes.io/revision-history`). */
  history?: number[];
}

/** The history once `hash` is the current template (the same array when it already was). */
export function noteRevision<P>(revs: readonly TemplateRevision<P>[], hash: string, at: string, template?: P, written?: Record<string, unknown>): readonly TemplateRevision<P>[] {
  const last = revs.at(-1);
  if (last?.hash === hash) return revs;
  const before = revs.find((r) => r.hash === hash);
  const next: TemplateRevision<P> = {
    hash,
    revision: (last?.revision ?? 0) + 1,
    at: before?.at ?? at,
    ...(template ? { template } : {}),
    ...(written ? { written } : {}),
    ...(before ? { history: [...(before.history ?? []), before.revision] } : {}),
  };
  return [...revs.filter((r) => r.hash !== hash), next].slice(-(REVISION_HISTORY_LIMIT + 1));
}
