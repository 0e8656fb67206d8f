/**
 * The ReplicaSet controller's decision, pure: given a Deployment's desired replicas and the pods
 * that are its now, which pods to create (named and placed) and which to delete. Names are
 * Kubernetes-shaped, `<deployment>-<pod-template-hash>-<suffix>`, but derived from a hash so the
 * same lab gives the same names every run: the template hash from the template, the suffix from
 * the deployment and a sequence number that only grows (a replacement never reuses a name).
 */
import { createHash } from '../lib/crypto.ts';
import { schedule, type Placed, type SchedNode, type SchedRequest } from './scheduler.ts';
import { compareText } from '../lib/order.ts';

// Kubernetes' random-suffix alphabet (no vowels, no 0/1/3).
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function safeHash(input: string, length: number): string {
  const h = createHash('sha256').update(input).digest();
  return Array.from({ length }, (_, i) => SAFE[h[i]! % SAFE.length]).join('');
}

/**
 * A pod-template-hash with more of the template in it (the annotations, an image or args of a
 * template written through the API that the lab's own template has no place for), under `tag`:
 * the same hash when there is none.
 */
export function templateHashWith(hash: string, more: Record<string, string> | undefined, tag = ''): string {
  return more && Object.keys(more).length ? safeHash(`${hash}/${tag}${stableJson(more)}`, 10) : hash;
}

/** JSON with every object's keys sorted: the same value gives the same text however it was written. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The pod-template-hash label of a template (any JSON value), over its resolved form with sorted
 * keys — as Kubernetes hashes the template object, not the YAML it came from — so a Deployment
 * written in the lab file and the same Deployment read from a manifest name their pods alike.
 */
export const templateHash = (template: unknown) => safeHash(stableJson(template), 10);

/** The name of the `seq`-th pod (0, 1, …) a Deployment ever made. */
export function podName(deployment: string, namespace: string, hash: string, seq: number): string {
  return `${deployment}-${hash}-${safeHash(`${namespace}/${deployment}/${seq}`, 5)}`;
}

export interface DeploymentView {
  name: string;
  namespace: string;
  replicas: number;
  hash: string;
  placement: SchedRequest;
}

export interface OwnedPod {
  name: string;
  node: string;
  /** When it was made (ms, or its place in the order pods were made): the newest pods are deleted first on scale-down, as ReplicaSets prefer. */
  createdAt: number;
  /** Not ready, or on a failed node: deleted before ready ones. */
  ready: boolean;
}

export interface Reconcile {
  create: { name: string; node: string; seq: number }[];
  delete: string[];
  /** Pods that could not be placed (no node fits): Pending. */
  pending: number;
  /** The next sequence number after this round. */
  nextSeq: number;
}

/**
 * One round of the ReplicaSet loop. `others` are the pods of other owners (for spreading); `seq`
 * is the deployment's next sequence number.
 */
export function reconcile(d: DeploymentView, owned: readonly OwnedPod[], nodes: readonly SchedNode[], others: readonly Placed[], seq: number): Reconcile {
  const out: Reconcile = { create: [], delete: [], pending: 0, nextSeq: seq };
  if (owned.length > d.replicas) {
    // The ReplicaSet controller's choice (controller.ActivePodsWithRanks, reduced): not ready first,
    // then those doubled up (more of the Deployment's pods on their node), then the newest; so a
    // scale-down keeps the pods spread over the nodes.
    const onNode = new Map<string, number>();
    for (const p of owned) onNode.set(p.node, (onNode.get(p.node) ?? 0) + 1);
    const rank = (p: OwnedPod) => onNode.get(p.node)!;
    const victims = [...owned].sort((a, b) => Number(a.ready) - Number(b.ready) || rank(b) - rank(a) || b.createdAt - a.createdAt || compareText(b.name, a.name));
    out.delete = victims.slice(0, owned.length - d.replicas).map((p) => p.name);
    return out;
  }
  const placed: Placed[] = [...others, ...owned.map((p) => ({ node: p.node, owner: d.name }))];
  for (let i = owned.length; i < d.replicas; i++) {
    const node = schedule(nodes, placed, d.placement, d.name);
    if (node === undefined) {
      out.pending = d.replicas - i;
      break;
    }
    out.create.push({ name: podName(d.name, d.namespace, d.hash, out.nextSeq), node, seq: out.nextSeq });
    out.nextSeq++;
    placed.push({ node, owner: d.name });
  }
  return out;
}
