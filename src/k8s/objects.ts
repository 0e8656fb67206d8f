/**
 * Kubernetes conventions that validation and the plan both apply: how a Service's selector picks
 * pods, how a Service is named in a reference, and the well-known address of cluster DNS. Pure,
 * and below both compile and plan in the flow, so neither imports the other for them.
 */
import { DEFAULTS, SERVICES } from '../constants.ts';
import * as ip from '../net/ipv4.ts';

/** Whether a Service's selector picks a pod: same namespace, every selector label equal (a Service without a selector picks none). */
export function selects(service: { namespace: string; selector?: Readonly<Record<string, string>> }, pod: { namespace: string; labels: Readonly<Record<string, string>> }): boolean {
  if (!service.selector || pod.namespace !== service.namespace) return false;
  return Object.entries(service.selector).every(([k, v]) => pod.labels[k] === v);
}

/** Finds a Service (of the lab or of the plan) by `name` (namespace default) or `namespace/name`. */
export function findService<S extends { name: string; namespace: string }>(services: readonly S[], ref: string): S | undefined {
  const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [DEFAULTS.namespace, ref];
  return services.find((s) => s.name === name && s.namespace === ns);
}

/** The kube-dns Service's address: the serviceCidr's 10th address, as kubeadm chooses it. */
export const dnsServiceIp = (serviceCidr: ip.Cidr): number => ip.nth(serviceCidr, SERVICES.dnsHost);
