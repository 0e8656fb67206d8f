/**
 * The lab language for Ingress: `networking.k8s.io/v1` IngressClass and Ingress as an author
 * writes them in a lab (structure only). What the API server and the controller would reject
 * beyond structure (a path not starting with '/', an unknown pathType, a wildcard in the wrong
 * place, a TLS host no rule serves, a backend Service or port that does not exist, two Ingresses
 * claiming one host and path) is checked by compile/rules-ingress.ts, each with a code and a line.
 */
import { z } from 'zod';
import { port } from './fields.ts';

/** A Service port by number or by name (exactly one). */
export const ingressServicePortSchema = z.strictObject({
  number: port.optional(),
  name: z.string().optional(),
});

/** Where matching requests go: a Service (in the Ingress's namespace) and one of its ports. */
export const ingressBackendSchema = z.strictObject({
  service: z.strictObject({
    name: z.string(),
    port: ingressServicePortSchema,
  }),
});

export const ingressPathSchema = z.strictObject({
  /** Must start with '/'. */
  path: z.string(),
  /**
   * 'Exact' (the whole path, case-sensitive), 'Prefix' (element-wise on '/', a trailing slash
   * ignored: `/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`) or
   * 'ImplementationSpecific' (here: nginx's prefix match, so `/foo` also matches `/foobar`).
   */
  pathType: z.string(),
  backend: ingressBackendSchema,
});

export const ingressRuleSchema = z.strictObject({
  /** A host name (`shop.example.com`) or a wildcard of exactly one label (`*.example.com`). Absent: every host. */
  host: z.string().optional(),
  http: z.strictObject({ paths: z.array(ingressPathSchema).min(1, { message: 'must list at least one path' }) }).optional(),
});

export const ingressTlsSchema = z.strictObject({
  /** Hosts the certificate is for; each must be a rule's host. */
  hosts: z.array(z.string()).optional(),
  /**
   * The Secret holding the certificate: podlab issues it from the lab's CA at `up`, for these
   * hosts. Absent: the controller's default ("fake") certificate, and the hosts still have TLS
   * (plain HTTP to them is redirected unless ssl-redirect is 'false').
   */
  secretName: z.string().optional(),
});

export const ingressSchema = z.strictObject({
  /** @default 'default' */
  namespace: z.string().optional(),
  /** The IngressClass; absent: the default class (an Ingress of no class is not served). */
  ingressClassName: z.string().optional(),
  /**
   * ingress-nginx annotations understood, each for this Ingress's own paths:
   * `nginx.ingress.kubernetes.io/ssl-redirect` (default 'true': plain HTTP to a host with TLS is
   * answered 308 to https://; 'false' keeps it plain); `force-ssl-redirect` (default 'false';
   * 'true': redirected whether the host has TLS or not); `use-regex` ('true': the paths of every
   * Ingress of its hosts are case-insensitive regular expressions, longest first);
   * `rewrite-target` (the path the backend sees, `$1`, `$2` … the path's groups; it also turns
   * regular expressions on). See docs/ingress.md.
   */
  annotations: z.record(z.string(), z.string()).optional(),
  /** Where requests no rule matches go. */
  defaultBackend: ingressBackendSchema.optional(),
  rules: z.array(ingressRuleSchema).optional(),
  tls: z.array(ingressTlsSchema).optional(),
});

export const ingressClassSchema = z.strictObject({
  /** The controller that serves the class. @default 'k8s.io/ingress-nginx' (podlab's controller) */
  controller: z.string().optional(),
  /** Ingresses without an ingressClassName get this class (the `ingressclass.kubernetes.io/is-default-class` annotation). @default false */
  default: z.boolean().optional(),
});

/** Where the ingress controller runs and how it is exposed. */
export const ingressControllerSchema = z.strictObject({
  /** @default the first worker node (else the first node) */
  node: z.string().optional(),
  /** @default 'LoadBalancer' when the lab has a loadBalancer pool, else 'NodePort' */
  serviceType: z.enum(['LoadBalancer', 'NodePort']).optional(),
});

export type IngressSpec = z.input<typeof ingressSchema>;
export type IngressClassSpec = z.input<typeof ingressClassSchema>;
