/** Namespaces: the lab's, with the labels NetworkPolicy namespaceSelectors match. Read only. */
import { NAMESPACE_NAME_LABEL } from '../../policy/types.ts';
import { age, finish, type ApiKind, type K8sObject, type LabView } from '../types.ts';
import { NODE_LEASE_NAMESPACE } from './leases.ts';

function namespaceObjects(view: LabView): K8sObject[] {
  // kube-node-lease holds the nodes' Leases (leases.ts), as in a kubeadm cluster.
  const names = new Set(['default', 'kube-system', NODE_LEASE_NAMESPACE, ...view.plan.namespaces, ...view.plan.pods.map((p) => p.namespace), ...view.plan.services.map((s) => s.namespace)]);
  return [...names].sort().map((name) =>
    finish({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...(view.plan.networkPolicy?.namespaces[name] ?? {}), [NAMESPACE_NAME_LABEL]: name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }, view, namespaceKind),
  );
}

export const namespaceKind: ApiKind = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  resource: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  verbs: ['get', 'list', 'watch'],
  list: namespaceObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the namespace' },
    { name: 'Status', type: 'string', priority: 0, description: 'phase' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row: (o) => [o.metadata.name, 'Active', age(o.metadata.creationTimestamp as string)],
};
