/**
 * A deterministic scheduler, small enough to predict by hand: a pod with `nodeName` goes there;
 * otherwise to a node that is up and whose labels satisfy `nodeSelector`, the one with fewest pods
 * of the same workload, then fewest pods in all, then the first in the lab's order. No node fits:
 * the pod stays Pending (as in Kubernetes), which the caller reports.
 */

export interface SchedNode {
  name: string;
  labels: Record<string, string>;
  /** A failed node takes no pods. @default true */
  ready?: boolean;
}

export interface SchedRequest {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
}

/** Pods already placed: their node and (for spreading) the workload that owns them. */
export interface Placed {
  node: string;
  owner?: string;
}

export function fits(node: SchedNode, req: SchedRequest): boolean {
  if (node.ready === false) return false;
  if (req.nodeName !== undefined) return node.name === req.nodeName;
  return Object.entries(req.nodeSelector ?? {}).every(([k, v]) => node.labels[k] === v);
}

/** The node for one pod of `owner`, or undefined (Pending). */
export function schedule(nodes: readonly SchedNode[], placed: readonly Placed[], req: SchedRequest, owner?: string): string | undefined {
  const count = (name: string, mine: boolean) => placed.filter((p) => p.node === name && (!mine || (owner !== undefined && p.owner === owner))).length;
  const order = new Map(nodes.map((n, i) => [n.name, i]));
  const best = nodes.filter((n) => fits(n, req)).sort((a, b) => count(a.name, true) - count(b.name, true) || count(a.name, false) - count(b.name, false) || order.get(a.name)! - order.get(b.name)!)[0];
  return best?.name;
}
