/**
 * Ingresses and IngressClasses (networking.k8s.io/v1): the lab's classes, and its Ingresses: those
 * podlab's controller serves, with the address kubectl shows (the controller's load-balancer
 * address, else its cluster IP) and the ports (80, and 443 with TLS), and those of another class,
 * which it ignores (no address). Ingresses are written through workloads.ts ingressOf.
 */
import { INGRESS, type Ingress, type IngressBackend, type IngressClass } from '../../ingress/types.ts';
import { DEFAULT_CLASS_ANNOTATION } from '../../k8s/manifests.ts';
import { age, keptMetaOf, finish, type ApiKind, type K8sObject, type LabView } from '../types.ts';
import { ingressOf } from '../workloads.ts';

const backend = (b: IngressBackend) => ({ service: { name: b.service, port: typeof b.port === 'number' ? { number: b.port } : { name: b.port } } });

function controllerAddress(view: LabView): string | undefined {
  const ing = view.plan.ingress;
  const svc = ing && view.status.services.find((s) => s.namespace === ing.namespace && s.name === ing.service);
  return svc?.loadBalancerIP ?? svc?.clusterIP;
}

/** `mine`: podlab's controller serves it, and so has set its status to its own address; another class's Ingress has none. */
function ingressObject(i: Ingress, view: LabView, mine: boolean): K8sObject {
  const ip = mine ? controllerAddress(view) : undefined;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: i.name, namespace: i.namespace, generation: 1, ...(Object.keys(i.annotations).length ? { annotations: i.annotations } : {}) },
    spec: {
      ...(i.className !== undefined ? { ingressClassName: i.className } : {}),
      ...(i.defaultBackend ? { defaultBackend: backend(i.defaultBackend) } : {}),
      ...(i.rules.length ? { rules: i.rules.map((r) => ({ ...(r.host !== undefined ? { host: r.host } : {}), ...(r.paths.length ? { http: { paths: r.paths.map((p) => ({ path: p.path, pathType: p.pathType, backend: backend(p.backend) })) } } : {}) })) } : {}),
      ...(i.tls.length ? { tls: i.tls.map((t) => ({ ...(t.hosts.length ? { hosts: t.hosts } : {}), ...(t.secretName !== undefined ? { secretName: t.secretName } : {}) })) } : {}),
    },
    status: { loadBalancer: ip ? { ingress: [{ ip }] } : {} },
  };
}

function classObject(c: IngressClass): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: c.name, ...(c.isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}) },
    spec: { controller: c.controller },
  };
}

export const ingressKind: ApiKind = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  resource: 'ingresses',
  singular: 'ingress',
  shortNames: ['ing'],
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  list: (view) => [...(view.plan.ingress?.ingresses ?? []).map((i) => ingressObject(i, view, true)), ...(view.plan.ingress?.others ?? []).map((i) => ingressObject(i, view, false))].map((o) => finish(o, view, ingressKind)),
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the Ingress' },
    { name: 'Class', type: 'string', priority: 0, description: 'its IngressClass' },
    { name: 'Hosts', type: 'string', priority: 0, description: 'the hosts its rules match' },
    { name: 'Address', type: 'string', priority: 0, description: "the controller's address" },
    { name: 'Ports', type: 'string', priority: 0, description: 'where the controller listens for it' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row(o) {
    const spec = o.spec as { ingressClassName?: string; rules?: { host?: string }[]; tls?: unknown[] };
    const hosts = (spec.rules ?? []).map((r) => r.host ?? '*');
    const lb = (o.status as { loadBalancer: { ingress?: { ip: string }[] } }).loadBalancer.ingress ?? [];
    return [o.metadata.name, spec.ingressClassName ?? '<none>', hosts.join(',') || '*', lb.map((x) => x.ip).join(','), spec.tls?.length ? `${INGRESS.httpPort}, ${INGRESS.httpsPort}` : String(INGRESS.httpPort), age(o.metadata.creationTimestamp as string)];
  },
  write: (o, ctx) => ({ op: 'apply-ingress', ...ingressOf(ingressKind, o, ctx.view), meta: keptMetaOf(o, ctx) }),
  remove: (o) => ({ op: 'delete-ingress', namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }),
};

export const ingressClassKind: ApiKind = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  resource: 'ingressclasses',
  singular: 'ingressclass',
  shortNames: [],
  namespaced: false,
  verbs: ['get', 'list', 'watch'],
  list: (view) => (view.plan.ingress?.classes ?? []).map((c) => finish(classObject(c), view, ingressClassKind)),
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the class' },
    { name: 'Controller', type: 'string', priority: 0, description: 'the controller that serves it' },
    { name: 'Parameters', type: 'string', priority: 0, description: 'controller parameters' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row: (o) => [o.metadata.name, (o.spec as { controller: string }).controller, '<none>', age(o.metadata.creationTimestamp as string)],
};
