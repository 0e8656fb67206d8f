/**
 * Node Leases (coordination.k8s.io/v1, namespace kube-node-lease): the heartbeat each node's
 * kubelet renews every 10 s, which `kubectl describe node` reads for its Lease section. A failed
 * node (`podlab node fail`) stops renewing: its renewTime stays at the moment it failed, as a
 * node whose kubelet stopped. Read only.
 */
import { age, finish, type ApiKind, type K8sObject, type LabView } from '../types.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** kubelet's defaults: a 40 s lease, renewed every quarter of it. */
const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;

const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

function leaseObjects(view: LabView, now = Date.now()): K8sObject[] {
  return view.plan.nodes.map((n) => {
    const failedAt = view.nodeFailures?.[n.name];
    // The last renewal: the last 10 s tick before now, or, for a failed node, when it failed.
    const renewed = failedAt ?? Math.max(Date.parse(view.createdAt), now - (now % RENEW_MS));
    return finish(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: n.name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: '' }] },
        spec: { holderIdentity: n.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: micro(renewed) },
      },
      view,
      leaseKind,
    );
  });
}

export const leaseKind: ApiKind = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  resource: 'leases',
  singular: 'lease',
  shortNames: [],
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  list: (view) => leaseObjects(view),
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the lease (a node)' },
    { name: 'Holder', type: 'string', priority: 0, description: 'who holds it' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row: (o) => [o.metadata.name, (o.spec as { holderIdentity: string }).holderIdentity, age(o.metadata.creationTimestamp as string)],
};
