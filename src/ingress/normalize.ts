/**
 * Ingress in the resolved lab: defaults filled (namespace 'default', the controller 'k8s.io/ingress-nginx',
 * an Ingress without ingressClassName gets the default class), records turned into arrays in
 * declaration order. Only called for labs that declare Ingresses or IngressClasses.
 */
import type { IngressClassSpec, IngressSpec } from '../schema/ingress-schema.ts';
import { INGRESS, type Ingress, type IngressBackend, type LabIngress } from './types.ts';

type BackendSpec = NonNullable<IngressSpec['defaultBackend']>;

const backend = (b: BackendSpec): IngressBackend => ({ service: b.service.name, port: b.service.port.number ?? b.service.port.name ?? '' });

export function normalizeIngress(
  classes: Record<string, IngressClassSpec> | undefined,
  ingresses: Record<string, IngressSpec> | undefined,
  controller: { node?: string; serviceType?: 'LoadBalancer' | 'NodePort' } | undefined,
  defaults: { node: string; hasPool: boolean; family?: 'IPv4' | 'IPv6'; ipv6Only?: boolean },
): LabIngress | undefined {
  if (!classes && !ingresses) return undefined;
  const cls = Object.entries(classes ?? {}).map(([name, c]) => ({ name, controller: c.controller ?? INGRESS.controller, isDefault: c.default ?? false }));
  const defaultClass = cls.find((c) => c.isDefault)?.name;
  return {
    classes: cls,
    ingresses: Object.entries(ingresses ?? {}).map(
      ([name, i]): Ingress => ({
        name,
        namespace: i.namespace ?? 'default',
        className: i.ingressClassName ?? defaultClass,
        annotations: i.annotations ?? {},
        ...(i.defaultBackend ? { defaultBackend: backend(i.defaultBackend) } : {}),
        rules: (i.rules ?? []).map((r) => ({ ...(r.host !== undefined ? { host: r.host } : {}), paths: (r.http?.paths ?? []).map((p) => ({ path: p.path, pathType: p.pathType, backend: backend(p.backend) })) })),
        tls: (i.tls ?? []).map((t) => ({ hosts: t.hosts ?? [], ...(t.secretName !== undefined ? { secretName: t.secretName } : {}) })),
      }),
    ),
    controller: { node: controller?.node ?? defaults.node, serviceType: controller?.serviceType ?? (defaults.hasPool ? 'LoadBalancer' : 'NodePort'), family: defaults.family ?? 'IPv4', ...(defaults.ipv6Only ? { ipv6Only: true as const } : {}) },
  };
}
