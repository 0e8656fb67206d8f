/**
 * A deterministic scheduler, small enough to predict by hand: a pod with `nodeName` goes there;
 * otherwise to a node that is up and whose labels satisfy `nodeSelector`, the one with fewest pods
 * of the same workload, then fewest pods in all, then the first in the lab's order. A control-plane
 * node carries kubeadm's `node-role.kubernetes.io/control-plane:NoSchedule` taint when the lab has
 * workers beside it: it takes only pods that tolerate it. No node fits: the pod stays Pending (as
 * in Kubernetes), which the caller reports.
 */

/** kubeadm's taint on a control-plane node (and the label it is found by). */
export const CONTROL_PLANE_TAINT = 'node-role.kubernetes.io/control-plane';

/** A pod's toleration, as in its spec (only what decides the control-plane taint is read). */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** Whether tolerations let a pod onto a tainted control-plane node (key match, or an empty key with Exists). */
export function toleratesControlPlane(tolerations: readonly Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => (t.effect === undefined || t.effect === 'NoSchedule') && ((t.operator === 'Exists' && !t.key) || t.key === CONTROL_PLANE_TAINT));
}

export interface SchedNode {
  name: string;
  labels: Record<string, string>;
  /** A failed node takes no pods. @default true */
  ready?: boolean;
}

export interface SchedRequest {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  /** The pod tolerates the control-plane taint. */
  tolerateControlPlane?: true;
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
  const workers = nodes.some((n) => !(CONTROL_PLANE_TAINT in n.labels));
  const tainted = (n: SchedNode) => req.nodeName === undefined && workers && CONTROL_PLANE_TAINT in n.labels && !req.tolerateControlPlane;
  const count = (name: string, mine: boolean) => placed.filter((p) => p.node === name && (!mine || (owner !== undefined && p.owner === owner))).length;
  const order = new Map(nodes.map((n, i) => [n.name, i]));
  const best = nodes.filter((n) => fits(n, req) && !tainted(n)).sort((a, b) => count(a.name, true) - count(b.name, true) || count(a.name, false) - count(b.name, false) || order.get(a.name)! - order.get(b.name)!)[0];
  return best?.name;
}
