/**
 * A Service's address families as kube-apiserver settles them on create and update
 * (pkg/registry/core/service/storage/alloc.go initIPFamilyFields, validation.go
 * ValidateService): `ipFamilyPolicy`, `ipFamilies` and `clusterIP(s)` checked against each other
 * and against the cluster's families and Service CIDRs (the live lab's plan), then defaulted:
 * SingleStack in the cluster's primary family; PreferDualStack or RequireDualStack on a
 * dual-stack cluster adds the other family; two families or two cluster IPs without a policy
 * are RequireDualStack; a dual-stack Service updated to SingleStack keeps its first family. Every refusal is a cause naming its field, as the API server's 422 does.
 * Pure: the plan is read, nothing else.
 */
import { contains, parseAddr, parsePrefix, type Family } from '../net/addr.ts';
import type { PlanService } from '../plan/services.ts';
import type { StatusCause } from './types.ts';

export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
const POLICIES: readonly FamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const FAMILIES: readonly Family[] = ['IPv4', 'IPv6'];

/** What the plan says of the cluster: its families (primary first), Service CIDRs in that order, and the Services it has. */
export interface ClusterFamilies {
  ipFamilies: readonly Family[];
  serviceCidrs: readonly string[];
  services: readonly Pick<PlanService, 'namespace' | 'name' | 'clusterIPs' | 'clusterIP'>[];
  /** Cluster IPs no Service may take (the DNS Service's, when the plan has cluster DNS). */
  reserved?: readonly string[];
}

export interface SettledFamilies {
  causes: StatusCause[];
  ipFamilyPolicy: FamilyPolicy;
  /** The Service's families, primary first. */
  ipFamilies: Family[];
  /** The cluster IPs asked for, in family order ('None' for a headless Service); absent: allocate. */
  clusterIPs?: string[];
}

const familyOfIp = (text: string): Family | undefined => parseAddr(text)?.family;
const go = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

/** Settles spec.ipFamilyPolicy, spec.ipFamilies and spec.clusterIP(s) of a Service written to the live lab. */
export function settleFamilies(input: Record<string, unknown>, key: { namespace: string; name: string }, cluster: ClusterFamilies): SettledFamilies {
  const causes: StatusCause[] = [];
  // A dual-stack Service updated to SingleStack keeps its primary family only: the API server drops
  // the second of clusterIPs and ipFamilies (which kubectl apply's merge sends back) itself.
  const old = cluster.services.find((s) => s.namespace === key.namespace && s.name === key.name);
  const downgrade = input.ipFamilyPolicy === 'SingleStack' && (old?.clusterIPs?.length ?? 0) > 1;
  const spec = downgrade ? { ...input, ...(Array.isArray(input.clusterIPs) ? { clusterIPs: input.clusterIPs.slice(0, 1) } : {}), ...(Array.isArray(input.ipFamilies) ? { ipFamilies: input.ipFamilies.slice(0, 1) } : {}) } : input;
  const primary = cluster.ipFamilies[0]!;
  const dualCluster = cluster.ipFamilies.length > 1;
  const single = (): SettledFamilies => ({ causes, ipFamilyPolicy: 'SingleStack', ipFamilies: [primary] });
  if (spec.type === 'ExternalName') return { ...single(), ipFamilies: [] };

  // clusterIP and clusterIPs: clusterIPs[0] is clusterIP when both are written.
  const one = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined;
  const list = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as unknown[]).filter((v): v is string => typeof v === 'string' && v !== '') : undefined;
  if (one && list?.length && list[0] !== one) causes.push({ field: 'spec.clusterIPs[0]', message: `Invalid value: ${go(list[0])}: must match clusterIP when set` });
  const ips = list?.length ? list : one ? [one] : [];
  const headless = ips[0] === 'None';
  if (headless && ips.length > 1) causes.push({ field: 'spec.clusterIPs[1]', message: `Invalid value: ${go(ips[1])}: must not be set when clusterIPs[0] is 'None'` });
  const ipFams: Family[] = [];
  if (!headless)
    ips.forEach((a, i) => {
      const f = familyOfIp(a);
      if (!f) causes.push({ field: `spec.clusterIPs[${i}]`, message: `Invalid value: ${go(a)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)` });
      else if (ipFams.includes(f)) causes.push({ field: `spec.clusterIPs[${i}]`, message: `Invalid value: ${go(a)}: may not be the same IP family as clusterIPs[0]` });
      else ipFams.push(f);
    });
  if (ips.length > 2) causes.push({ field: 'spec.clusterIPs', message: `Invalid value: ${go(ips)}: may not have more than 2 entries` });

  // ipFamilies: each a family once, matching the cluster IPs given at the same index.
  const written = Array.isArray(spec.ipFamilies) ? (spec.ipFamilies as unknown[]) : [];
  const fams: Family[] = [];
  written.forEach((f, i) => {
    if (!FAMILIES.includes(f as Family)) causes.push({ field: `spec.ipFamilies[${i}]`, reason: 'FieldValueNotSupported', message: `Unsupported value: ${go(f)}: supported values: "IPv4", "IPv6"` });
    else if (fams.includes(f as Family)) causes.push({ field: `spec.ipFamilies[${i}]`, reason: 'FieldValueDuplicate', message: `Duplicate value: ${go(f)}` });
    else fams.push(f as Family);
  });
  if (!headless)
    ips.forEach((a, i) => {
      const f = familyOfIp(a);
      if (f && fams[i] && fams[i] !== f) causes.push({ field: `spec.clusterIPs[${i}]`, message: `Invalid value: ${go(a)}: expected an ${fams[i]} value as indicated by \`ipFamilies[${i}]\`` });
    });

  // The policy: as written, else RequireDualStack when two families or two IPs are given (the API server's default).
  const given = spec.ipFamilyPolicy;
  if (given !== undefined && given !== null && !POLICIES.includes(given as FamilyPolicy))
    causes.push({ field: 'spec.ipFamilyPolicy', reason: 'FieldValueNotSupported', message: `Unsupported value: ${go(given)}: supported values: "PreferDualStack", "RequireDualStack", "SingleStack"` });
  const policy: FamilyPolicy = POLICIES.includes(given as FamilyPolicy) ? (given as FamilyPolicy) : fams.length > 1 || ipFams.length > 1 ? 'RequireDualStack' : 'SingleStack';
  if (policy === 'SingleStack' && (fams.length > 1 || ipFams.length > 1))
    causes.push({ field: 'spec.ipFamilyPolicy', message: `Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple ${fams.length > 1 ? 'ipFamilies' : 'clusterIPs'} are specified` });

  // Against the cluster: dual stack required of a single-stack cluster, a family it lacks.
  if (policy === 'RequireDualStack' && !dualCluster) causes.push({ field: 'spec.ipFamilyPolicy', message: 'Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services' });
  fams.forEach((f, i) => {
    if (!cluster.ipFamilies.includes(f)) causes.push({ field: `spec.ipFamilies[${i}]`, message: `Invalid value: ${go(f)}: not configured on this cluster` });
  });
  if (!headless)
    ips.forEach((a, i) => {
      const f = familyOfIp(a);
      if (f && !cluster.ipFamilies.includes(f) && !fams.includes(f)) causes.push({ field: `spec.clusterIPs[${i}]`, message: `Invalid value: ${go(a)}: ${f} is not configured on this cluster (its Service CIDR is ${cluster.serviceCidrs.join(', ')})` });
    });
  if (causes.length) return { ...single(), causes };

  // Defaults: the families written, else those of the IPs given, else the primary; a dual policy adds the other.
  const base = fams.length ? fams : ipFams.length ? ipFams : [primary];
  const families = policy !== 'SingleStack' && dualCluster && base.length === 1 ? [base[0]!, cluster.ipFamilies.find((f) => f !== base[0])!] : base;

  // Each cluster IP given inside its family's Service CIDR and nobody else's (the IP allocator's checks).
  if (!headless && ips.length) {
    for (const a of ips) {
      const addr = parseAddr(a)!;
      const cidr = cluster.serviceCidrs[cluster.ipFamilies.indexOf(addr.family)]!;
      const net = parsePrefix(cidr);
      if (!net || !contains(net, addr)) causes.push({ field: 'spec.clusterIPs', message: `Invalid value: ${go(ips)}: failed to allocate IP ${a}: the provided IP (${a}) is not in the valid range. The range of valid IPs is ${cidr}` });
      else if (cluster.reserved?.includes(a) || cluster.services.some((s) => !(s.namespace === key.namespace && s.name === key.name) && (s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])).includes(a)))
        causes.push({ field: 'spec.clusterIPs', message: `Invalid value: ${go(ips)}: failed to allocate IP ${a}: provided IP is already allocated` });
    }
  }
  return { causes, ipFamilyPolicy: policy, ipFamilies: families, ...(ips.length ? { clusterIPs: headless ? ['None'] : ips } : {}) };
}
