/**
 * Ingress as the resolved lab holds it (networking.k8s.io/v1, defaults filled in) and the names
 * podlab's ingress controller goes by. Pure data; read by validation, the router, the plan and the
 * nginx configuration renderer.
 */

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';
export const PATH_TYPES: readonly PathType[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

/** podlab's controller: ingress-nginx's names, namespace and labels. */
export const INGRESS = {
  controller: 'k8s.io/ingress-nginx',
  namespace: 'ingress-nginx',
  podName: 'controller',
  containerName: 'controller',
  serviceName: 'ingress-nginx-controller',
  labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
  httpPort: 80,
  httpsPort: 443,
  sslRedirect: 'nginx.ingress.kubernetes.io/ssl-redirect',
  forceSslRedirect: 'nginx.ingress.kubernetes.io/force-ssl-redirect',
  rewriteTarget: 'nginx.ingress.kubernetes.io/rewrite-target',
  useRegex: 'nginx.ingress.kubernetes.io/use-regex',
  /** The ConfigMap's `http-redirect-code`: the status of the HTTP → HTTPS redirect. */
  httpRedirectCode: 308,
  /** The ConfigMap's `no-tls-redirect-locations`: paths never redirected to HTTPS (ACME HTTP-01 challenges must answer over HTTP). */
  noTlsRedirectLocations: ['/.well-known/acme-challenge'],
} as const;

/**
 * A boolean annotation as ingress-nginx reads it (parser.GetBoolAnnotation → Go's strconv.ParseBool):
 * 1, t, T, TRUE, true, True are true; 0, f, F, FALSE, false, False are false; anything else (or
 * nothing) undefined, and validation refuses it (PL2260).
 */
export function annotationBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** A Service port, by number or by name, of a Service in the Ingress's namespace. */
export interface IngressBackend {
  service: string;
  port: number | string;
}

export interface IngressPath {
  path: string;
  /** As written; validation rejects anything but PATH_TYPES. */
  pathType: string;
  backend: IngressBackend;
}

export interface IngressRule {
  /** Absent: every host. */
  host?: string;
  paths: IngressPath[];
}

export interface Ingress {
  name: string;
  namespace: string;
  /** The class asked for, or the default class's name; undefined when neither exists. */
  className?: string;
  annotations: Record<string, string>;
  defaultBackend?: IngressBackend;
  rules: IngressRule[];
  tls: { hosts: string[]; secretName?: string }[];
}

export interface IngressClass {
  name: string;
  controller: string;
  isDefault: boolean;
}

export interface LabIngress {
  classes: IngressClass[];
  ingresses: Ingress[];
  controller: { node: string; serviceType: 'LoadBalancer' | 'NodePort'; /** The lab's primary family: the controller's Service is single-stack in IPv4, dual-stack IPv6 first when IPv6 is primary. */ family: 'IPv4' | 'IPv6'; /** An IPv6-only lab: the Service is IPv6-only (its load-balancer address from the IPv6 pool). */ ipv6Only?: true };
}

/** Whether podlab's controller serves this Ingress (its class is one of the controller's). */
export function served(ing: Pick<LabIngress, 'classes'>, i: Pick<Ingress, 'className'>): boolean {
  return ing.classes.some((c) => c.name === i.className && c.controller === INGRESS.controller);
}

/** `<namespace>/<name>` */
export const ingressKey = (i: Pick<Ingress, 'namespace' | 'name'>) => `${i.namespace}/${i.name}`;
