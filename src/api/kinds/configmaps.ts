/**
 * ConfigMaps: kube-system/coredns, whose Corefile is the one the DNS server runs now (the live
 * plan's, which `podlab dns reload` replaces). Writing it checks the new Corefile and reloads the
 * server as `podlab dns reload --corefile` does; a Corefile that does not load changes nothing.
 */
import { age, keptMetaOf, ApiError, finish, invalid, type ApiKind, type K8sObject, type LabView } from '../types.ts';

function configMapObjects(view: LabView): K8sObject[] {
  const dns = view.plan.dns;
  if (!dns) return [];
  const obj: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: dns.corefile, ...dns.files } };
  return [finish(obj, view, configMapKind)];
}

export const configMapKind: ApiKind = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  resource: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  namespaced: true,
  verbs: ['get', 'list', 'patch', 'update', 'watch'],
  list: configMapObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the ConfigMap' },
    { name: 'Data', type: 'integer', priority: 0, description: 'keys' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row: (o) => [o.metadata.name, Object.keys((o.data as object | undefined) ?? {}).length, age(o.metadata.creationTimestamp as string)],
  write(o, ctx) {
    if (o.metadata.namespace !== 'kube-system' || o.metadata.name !== 'coredns')
      throw new ApiError(405, 'MethodNotAllowed', `podlab serves one ConfigMap, kube-system/coredns (the cluster DNS server's Corefile); it does not store others`);
    if (!ctx.view.plan.dns) throw new ApiError(404, 'NotFound', `lab "${ctx.view.lab}" has no cluster DNS (dns: false)`);
    const corefile = (o.data as Record<string, unknown> | undefined)?.Corefile;
    if (typeof corefile !== 'string') throw invalid(configMapKind, 'coredns', [{ field: 'data.Corefile', reason: 'FieldValueRequired', message: 'Required value: the Corefile the DNS server runs' }]);
    return { op: 'reload-dns', corefile, meta: keptMetaOf(o, ctx) };
  },
};
