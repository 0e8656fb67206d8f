/**
 * Services, and what follows them: Endpoints and EndpointSlices (discovery.k8s.io/v1), each
 * read from the endpoints the kube-proxy tables are programmed with now (runtime/services.ts:
 * the same list `podlab status` prints), so a re-created pod's new IP shows in both at once.
 */
import { parseAddr, type Family } from '../../net/addr.ts';
import { serviceKey, type Endpoint, type PlanService } from '../../plan/services.ts';
import { settleFamilies } from '../service-families.ts';
import { sliceEndpoints } from '../../runtime/endpoint-slices.ts';
import { podReady } from '../../runtime/status.ts';
import { isoSeconds } from '../../lib/time.ts';
import { age, keptMetaOf, finish, fnv, invalid, uidOf, type ApiKind, type K8sObject, type LabView, type StatusCause } from '../types.ts';
import { formatEndpoints, formatLabels, type EndpointSubsetView } from '../../k8s/printers.ts';

/** A Service's cluster IPs as spec.clusterIPs shows them: one per family, primary first; `None` for a headless one. */
const clusterIPsOf = (sv: PlanService): string[] => (sv.headless ? ['None'] : (sv.clusterIPs ?? (sv.clusterIP ? [sv.clusterIP] : [])));

/** Its load-balancer addresses, one per family in ipFamilies order (status.loadBalancer.ingress). */
export const loadBalancerIPsOf = (sv: Pick<PlanService, 'loadBalancerIP' | 'loadBalancerIPs'>): string[] => sv.loadBalancerIPs ?? (sv.loadBalancerIP ? [sv.loadBalancerIP] : []);

function serviceObjects(view: LabView): K8sObject[] {
  return view.plan.services.map((sv) => {
    const ips = clusterIPsOf(sv);
    const lbs = loadBalancerIPsOf(sv);
    const obj: K8sObject = {
      apiVersion: 'v1',
      kind: 'Service',
      // A Service made at run time is as old as that (runtime/live-services.ts); the lab file's as the lab.
      metadata: { name: sv.name, namespace: sv.namespace, ...(sv.createdAt ? { creationTimestamp: isoSeconds(sv.createdAt) } : {}) },
      spec: {
        type: sv.type,
        ...(sv.type === 'ExternalName' ? { externalName: sv.externalName } : ips.length ? { clusterIP: ips[0], clusterIPs: ips } : {}),
        ...(sv.selector ? { selector: sv.selector } : {}),
        ports: sv.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), protocol: p.protocol, port: p.port, targetPort: p.targetPort, ...(p.nodePort ? { nodePort: p.nodePort } : {}) })),
        sessionAffinity: sv.sessionAffinity,
        ...(sv.type === 'NodePort' || sv.type === 'LoadBalancer' ? { externalTrafficPolicy: sv.externalTrafficPolicy } : {}),
        internalTrafficPolicy: sv.internalTrafficPolicy,
        // The API server sets no families on an ExternalName Service.
        ...(sv.type === 'ExternalName' ? {} : { ipFamilyPolicy: sv.ipFamilyPolicy ?? (sv.ipFamilies.length > 1 ? 'PreferDualStack' : 'SingleStack'), ipFamilies: sv.ipFamilies }),
      },
      status: { loadBalancer: lbs.length ? { ingress: lbs.map((ip) => ({ ip, ipMode: 'VIP' })) } : {} },
    };
    return finish(obj, view, serviceKind, [sv.clusterIP ?? '']);
  });
}

const PROTOCOLS = ['TCP', 'UDP'];
const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'];

/** The checks the API server makes of a Service podlab can build; each failure names its field. */
export function serviceCauses(o: K8sObject, plan?: LabView['plan']): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const type = (spec.type as string | undefined) ?? 'ClusterIP';
  if (!TYPES.includes(type)) causes.push({ field: 'spec.type', reason: 'FieldValueNotSupported', message: `Unsupported value: "${type}": podlab builds these through the API: ${TYPES.map((t) => `"${t}"`).join(', ')}` });
  const ports = spec.ports;
  if (!Array.isArray(ports) || !ports.length) causes.push({ field: 'spec.ports', reason: 'FieldValueRequired', message: 'Required value' });
  else
    ports.forEach((p: Record<string, unknown>, i) => {
      const port = p.port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) causes.push({ field: `spec.ports[${i}].port`, message: `Invalid value: ${JSON.stringify(port)}: must be between 1 and 65535, inclusive` });
      const proto = (p.protocol as string | undefined) ?? 'TCP';
      if (!PROTOCOLS.includes(proto)) causes.push({ field: `spec.ports[${i}].protocol`, reason: 'FieldValueNotSupported', message: `Unsupported value: "${proto}": supported values: "TCP", "UDP"` });
      const tp = p.targetPort;
      if (tp !== undefined && !(typeof tp === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(tp)) && !(typeof tp === 'number' && Number.isInteger(tp) && tp >= 1 && tp <= 65535))
        causes.push({ field: `spec.ports[${i}].targetPort`, message: `Invalid value: ${JSON.stringify(tp)}: must be a port number between 1 and 65535 or a port name` });
      if (ports.length > 1 && !p.name) causes.push({ field: `spec.ports[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
    });
  if (spec.selector !== undefined && (typeof spec.selector !== 'object' || Object.values(spec.selector as object).some((v) => typeof v !== 'string')))
    causes.push({ field: 'spec.selector', message: 'Invalid value: must be a map of label keys to string values' });
  if (spec.clusterIP !== undefined && spec.clusterIP !== '' && spec.clusterIP !== 'None' && typeof spec.clusterIP !== 'string') causes.push({ field: 'spec.clusterIP', message: 'Invalid value: must be an IP address, "" or "None"' });
  // Families and cluster IPs against the live lab's (kube-apiserver's checks on create and update).
  if (plan) causes.push(...settleFamilies(spec, { namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }, familiesOf(plan)).causes);
  return causes;
}

/** The cluster as the family rules see it: the live plan's families, Service CIDRs and Services. */
export const familiesOf = (plan: LabView['plan']) => ({ ipFamilies: plan.ipFamilies, serviceCidrs: plan.serviceCidrs, services: plan.services, ...(plan.dns ? { reserved: [plan.dns.serviceIP] } : {}) });

export const serviceKind: ApiKind = {
  group: '',
  version: 'v1',
  kind: 'Service',
  resource: 'services',
  singular: 'service',
  shortNames: ['svc'],
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  list: serviceObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the Service' },
    { name: 'Type', type: 'string', priority: 0, description: 'ClusterIP, NodePort, LoadBalancer or ExternalName' },
    { name: 'Cluster-IP', type: 'string', priority: 0, description: 'the virtual IP' },
    { name: 'External-IP', type: 'string', priority: 0, description: 'load-balancer address or external name' },
    { name: 'Port(s)', type: 'string', priority: 0, description: 'ports' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
    { name: 'Selector', type: 'string', priority: 1, description: 'the pods it selects' },
  ],
  row(o) {
    const spec = o.spec as { type: string; clusterIP?: string; externalName?: string; selector?: Record<string, string>; ports: { port: number; nodePort?: number; protocol: string }[] };
    const lb = (o.status as { loadBalancer: { ingress?: { ip: string }[] } }).loadBalancer.ingress?.map((i) => i.ip).join(',');
    return [
      o.metadata.name,
      spec.type,
      spec.clusterIP ?? '<none>',
      spec.externalName ?? lb ?? (spec.type === 'LoadBalancer' ? '<pending>' : '<none>'),
      spec.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(',') || '<none>',
      age(o.metadata.creationTimestamp as string),
      // kubectl's SELECTOR: labels.FormatLabels, as `podlab get svc -o wide` prints it.
      formatLabels(spec.selector),
    ];
  },
  write(o, ctx) {
    const causes = serviceCauses(o, ctx.view.plan);
    if (causes.length) throw invalid(serviceKind, ctx.name, causes);
    return { op: 'apply-service', object: o, meta: keptMetaOf(o, ctx) };
  },
  remove: (o) => ({ op: 'delete-service', namespace: o.metadata.namespace!, name: o.metadata.name }),
};

/** Each Service's creationTimestamp and uid as the API serves them (what its Endpoints and slices follow), by `namespace/name`. */
function serviceMetaOf(view: LabView): Map<string, { creationTimestamp: string; uid: string }> {
  return new Map(serviceObjects(view).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, { creationTimestamp: o.metadata.creationTimestamp as string, uid: o.metadata.uid as string }]));
}

/**
 * The Service's endpoints as the endpoint controllers list them: those the kube-proxy tables are
 * programmed with now (the live journal's, else the plan's), and the running pods it selects that
 * the control loops hold not ready, out of the tables (runtime/services.ts sliceEndpoints).
 */
function liveEndpointsOf(view: LabView, sv: PlanService): Endpoint[] {
  let all = slicesSeen.get(view.state);
  if (!all) slicesSeen.set(view.state, (all = sliceEndpoints(view.state)));
  return all[serviceKey(sv)] ?? [];
}

/** Worked out once per view of the state (a request's), not once per Service. */
const slicesSeen = new WeakMap<LabView['state'], ReturnType<typeof sliceEndpoints>>();

/**
 * Whether an endpoint is ready, as the EndpointSlice controller sets the condition: its pod is
 * ready, or the Service publishes not-ready addresses (runtime/status.ts). Without control loops
 * nothing takes a dead container's pod out of the kube-proxy tables, and its endpoint shows so.
 */
function readyOf(view: LabView, sv: PlanService, e: Endpoint): boolean {
  return view.status.services.find((s) => s.namespace === sv.namespace && s.name === sv.name)?.endpoints.find((x) => x.pod === e.pod)?.ready ?? true;
}

/**
 * Whether the endpoint serves (the condition's `serving`): its pod is ready, whatever the Service
 * publishes; a publishNotReadyAddresses Service's endpoint is `ready` regardless, as the
 * EndpointSlice controller sets them (endpointslice's podToEndpoint).
 */
function servingOf(view: LabView, sv: PlanService, e: Endpoint): boolean {
  const pod = view.status.pods.find((p) => p.name === e.pod && p.namespace === sv.namespace);
  return pod ? podReady(pod) : readyOf(view, sv, e);
}

/** An endpoint's address in one family: a dual-stack pod has one per family (`ips`), others only `ip`. */
const addressIn = (e: Endpoint, family: Family): string | undefined => [...(e.ips ?? []), e.ip].find((a) => parseAddr(a)?.family === family);

/** A Service's families as its endpoints are published: its own, else the lab's primary. */
const familiesOfService = (view: LabView, sv: PlanService): Family[] => (sv.ipFamilies.length ? sv.ipFamilies : [view.plan.ipFamilies[0]!]);

/** The endpoint's port for each Service port, as Endpoints and EndpointSlices list them. */
const portsOf = (sv: PlanService, eps: Endpoint[]) => sv.ports.map((p) => ({ name: p.name ?? '', port: eps[0]?.ports[p.key] ?? (typeof p.targetPort === 'number' ? p.targetPort : p.port), protocol: p.protocol }));

/**
 * Endpoints (v1) carry one family: the Service's primary one, as the endpoints controller picks a
 * pod's address by the family of the ClusterIP (or of ipFamilies[0] for a headless Service).
 */
function endpointsObjects(view: LabView): K8sObject[] {
  const owners = serviceMetaOf(view);
  return view.plan.services
    .filter((sv) => sv.type !== 'ExternalName' && sv.selector)
    .map((sv) => {
      const family = familiesOfService(view, sv)[0]!;
      const eps = liveEndpointsOf(view, sv).filter((e) => addressIn(e, family));
      const address = (e: Endpoint) => ({ ip: addressIn(e, family)!, nodeName: e.node, targetRef: { kind: 'Pod', namespace: sv.namespace, name: e.pod } });
      const ready = eps.filter((e) => readyOf(view, sv, e));
      const notReady = eps.filter((e) => !readyOf(view, sv, e));
      const obj: K8sObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        // Made by the endpoints controller as its Service was: as old as the Service.
        metadata: { name: sv.name, namespace: sv.namespace, creationTimestamp: owners.get(serviceKey(sv))!.creationTimestamp },
        subsets: eps.length
          ? [
              {
                ...(ready.length ? { addresses: ready.map(address) } : {}),
                ...(notReady.length ? { notReadyAddresses: notReady.map(address) } : {}),
                ports: portsOf(sv, eps).map(({ name, ...p }) => ({ ...(name ? { name } : {}), ...p })),
              },
            ]
          : [],
      };
      return finish(obj, view, endpointsKind);
    });
}

export const endpointsKind: ApiKind = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  resource: 'endpoints',
  singular: 'endpoints',
  shortNames: ['ep'],
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  list: endpointsObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the Service' },
    { name: 'Endpoints', type: 'string', priority: 0, description: 'ready addresses and ports' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row(o, view) {
    // kubectl's cell (k8s/printers.ts), as `podlab get endpoints` prints it.
    return [o.metadata.name, formatEndpoints(o.subsets as EndpointSubsetView[]), age(o.metadata.creationTimestamp as string)];
  },
};

/**
 * kube-controller-manager's EndpointSlice controller names every slice of a Service by
 * generateName `<service>-` plus 5 random characters, whatever its family; here the characters are
 * derived from the Service (and the family, past IPv4, whose slice keeps the name it always had),
 * so they are stable.
 */
export const sliceName = (ns: string, name: string, family: Family = 'IPv4') => `${name}-${(fnv(family === 'IPv4' ? `${ns}/${name}` : `${ns}/${name}/${family}`) % 36 ** 5).toString(36).padStart(5, '0')}`;

/** One EndpointSlice per family of the Service (the controller reconciles each of spec.ipFamilies apart), each with the pods' addresses of that family. */
function sliceObjects(view: LabView): K8sObject[] {
  const owners = serviceMetaOf(view);
  return view.plan.services
    .filter((sv) => sv.type !== 'ExternalName' && sv.selector)
    .flatMap((sv) =>
      familiesOfService(view, sv).map((family) => {
        const eps = liveEndpointsOf(view, sv).filter((e) => addressIn(e, family));
        const obj: K8sObject = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: sliceName(sv.namespace, sv.name, family),
            namespace: sv.namespace,
            generateName: `${sv.name}-`,
            labels: { 'kubernetes.io/service-name': sv.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
            // Made by the EndpointSlice controller as its Service was (a Service applied now has new slices), owned by it.
            creationTimestamp: owners.get(serviceKey(sv))!.creationTimestamp,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: sv.name, uid: owners.get(serviceKey(sv))!.uid, controller: true, blockOwnerDeletion: true }],
          },
          addressType: family,
          endpoints: eps.map((e) => ({ addresses: [addressIn(e, family)!], conditions: { ready: readyOf(view, sv, e), serving: servingOf(view, sv, e), terminating: false }, nodeName: e.node, targetRef: { kind: 'Pod', namespace: sv.namespace, name: e.pod } })),
          ports: portsOf(sv, eps),
        };
        return finish(obj, view, sliceKind);
      }),
    );
}

export const sliceKind: ApiKind = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  resource: 'endpointslices',
  singular: 'endpointslice',
  shortNames: [],
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  list: sliceObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the slice' },
    { name: 'AddressType', type: 'string', priority: 0, description: 'IPv4 or IPv6' },
    { name: 'Ports', type: 'string', priority: 0, description: 'ports' },
    { name: 'Endpoints', type: 'string', priority: 0, description: 'addresses' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
  ],
  row(o, view) {
    const eps = (o.endpoints as { addresses: string[] }[]).flatMap((e) => e.addresses);
    const ports = (o.ports as { port: number }[]).map((p) => p.port).join(',');
    return [o.metadata.name, o.addressType, ports || '<unset>', eps.length ? eps.slice(0, 3).join(',') + (eps.length > 3 ? ` + ${eps.length - 3} more...` : '') : '<unset>', age(o.metadata.creationTimestamp as string)];
  },
};

