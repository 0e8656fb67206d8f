/**
 * The address-family rules of dual-stack and IPv6-only labs: `ipFamilies` itself, the per-family
 * CIDR lists (one CIDR per family, in ipFamilies order, as kube-apiserver's
 * --service-cluster-ip-range and kubeadm's podSubnet), the IPv6 networks, and each Service's
 * ipFamilyPolicy, ipFamilies and clusterIPs as the API server validates them. The IPv4 networks
 * keep their own rules in rules.ts. Pure.
 */
import { cniMode } from '../cni/registry.ts';
import { contains, formatAddr, nth, overlaps, parseAddr, parsePrefix, sizeOf, formatPrefix, type Family, type Prefix } from '../net/addr.ts';
import { diag, type Diagnostic } from './diagnostics.ts';
import { familyOfText, type Lab } from './lab.ts';

type Rule = (lab: Lab, out: Diagnostic[]) => void;

const svcPath = (name: string, ...rest: (string | number)[]) => ['services', name, ...rest];
const dualHint = "Add ipFamilies: ['IPv4', 'IPv6'] to the lab for dual stack.";
const describe = (fams: readonly Family[]) => (fams.length === 1 ? `${fams[0]}-only` : `dual-stack (${fams.join(', ')})`);

/** ipFamilies names each family once. */
export const ipFamiliesAreValid: Rule = (lab, out) => {
  if (new Set(lab.ipFamilies).size !== lab.ipFamilies.length)
    out.push(diag('PL2400', ['ipFamilies', 1], `ipFamilies names ${lab.ipFamilies[0]} twice`, "Write ['IPv4'], ['IPv4', 'IPv6'], ['IPv6', 'IPv4'] or ['IPv6']."));
};

const LISTS = [
  ['nodeNetwork', ['nodeNetwork', 'cidr'], 'node network'],
  ['podCidr', ['podCidr'], 'pod network'],
  ['serviceCidr', ['serviceCidr'], 'service network'],
] as const;

/** Each per-family list holds at most one CIDR per family, of the lab's families, in ipFamilies order. */
export const familyListsAreValid: Rule = (lab, out) => {
  for (const [key, base, what] of LISTS) {
    const list = lab.cidrsWritten[key];
    const seen = new Map<Family, number>();
    list.forEach((text, i) => {
      const fam = familyOfText(text);
      const path = list.length === 1 ? [...base] : [...base, i];
      if (!lab.ipFamilies.includes(fam)) {
        out.push(diag('PL2404', path, `${what} "${text}" is ${fam}, but the lab is ${describe(lab.ipFamilies)}`, fam === 'IPv6' ? dualHint : "Add 'IPv4' to the lab's ipFamilies, or leave the IPv4 network out."));
        return;
      }
      if (seen.has(fam)) {
        out.push(diag('PL2401', path, `${key} lists two ${fam} CIDRs ("${list[seen.get(fam)!]}" and "${text}"); a list holds one CIDR per family`, `Write one ${fam} CIDR, in ipFamilies order (${lab.ipFamilies.join(', ')}).`));
        return;
      }
      seen.set(fam, i);
    });
    const order = [...seen.keys()];
    const expected = lab.ipFamilies.filter((f) => seen.has(f));
    if (order.length === 2 && order.join() !== expected.join())
      out.push(diag('PL2401', [...base, 0], `${key} lists ${order.join(' before ')}, but ipFamilies puts ${expected[0]} first`, `List the CIDRs in ipFamilies order: ${expected.join(', ')}.`));
  }
};

/** The IPv6 networks parse, do not overlap, and the IPv6 pod network holds a slice per node. */
export const ipv6NetworksAreValid: Rule = (lab, out) => {
  const v6 = lab.ipv6;
  if (!v6) return;
  const nets: [string, string, (string | number)[]][] = [
    ['node network', v6.nodeCidr, ['nodeNetwork', 'cidr']],
    ['pod network', v6.podCidr, ['podCidr']],
    ['service network', v6.serviceCidr, ['serviceCidr']],
  ];
  const parsed: [string, Prefix, (string | number)[]][] = [];
  for (const [what, text, path] of nets) {
    const p = parsePrefix(text);
    if (p?.family === 'IPv6') parsed.push([what, p, path]);
    else {
      const loose = parsePrefix(text, false);
      out.push(diag('PL2408', path, `${what} "${text}" is not a valid IPv6 CIDR`, loose?.family === 'IPv6' ? `Host bits are set; did you mean "${formatPrefix(loose)}"?` : 'Write it as an IPv6 prefix, e.g. "fd00:10:244::/56".'));
    }
  }
  for (let i = 0; i < parsed.length; i++)
    for (let j = i + 1; j < parsed.length; j++) {
      const [wa, a] = parsed[i]!;
      const [wb, b, pb] = parsed[j]!;
      if (overlaps(a, b)) out.push(diag('PL2002', pb, `${wb} ${formatPrefix(b)} overlaps the ${wa} ${formatPrefix(a)}`, 'Pods, Services and nodes need disjoint networks, or routing cannot tell them apart.'));
    }
  const pod = parsePrefix(v6.podCidr);
  if (pod?.family === 'IPv6' && cniMode(lab.cni.type).nodeSlices) {
    const mask = v6.podCidrMaskSize;
    if (mask < pod.bits)
      out.push({ ...diag('PL2402', ['podCidrMaskSizeIPv6'], `an IPv6 node slice of /${mask} is larger than the pod network ${v6.podCidr}`, `Use podCidrMaskSizeIPv6 of at least ${pod.bits}, or a larger IPv6 pod network (e.g. a /56 for /64 slices).`), otherwise: { path: ['podCidr'], message: `the IPv6 pod network ${v6.podCidr} is smaller than a node slice of /${mask}` } });
    else if (mask - pod.bits < 32 && 2 ** (mask - pod.bits) < lab.nodes.length)
      out.push(diag('PL2402', ['podCidr'], `IPv6 pod network ${v6.podCidr} holds ${2 ** (mask - pod.bits)} slice(s) of /${mask}, but the lab has ${lab.nodes.length} nodes`, `Make the IPv6 pod network larger (a /${mask - Math.ceil(Math.log2(lab.nodes.length))} or shorter) or podCidrMaskSizeIPv6 longer.`));
  }
};

/**
 * What an IPv6-only lab builds in IPv6 alone, and what it does not yet, said at the line rather
 * than half-built. A load-balancer pool and fixed node addresses are written in IPv6 inside the
 * IPv6 node network (the plan numbers them as IPv4 inside, see inside4 in lab.ts); a host's fixed
 * address and a Service's fixed loadBalancerIP are not built yet.
 */
export const ipv6OnlyIsBuilt: Rule = (lab, out) => {
  if (lab.ipFamilies.includes('IPv4')) return;
  const v6 = lab.ipv6;
  for (const h of lab.hosts)
    if (h.ip !== undefined) out.push(diag('PL2414', ['hosts', h.name, 'ip'], `host "${h.name}": a fixed host address is not supported in an IPv6-only lab yet`, 'Leave ip out: hosts take the next free host numbers of their network in IPv6 (the external network is fd00:203:0:113::/64).'));
  const lb = lab.loadBalancer;
  if (lb && lb.pool6 === undefined)
    out.push(diag('PL2404', ['loadBalancer', 'pool'], `load-balancer pool "${lb.pool}" is IPv4, but the lab is IPv6-only`, `Write the pool in IPv6, inside the node network ${v6?.nodeCidr}: e.g. "${v6 ? (nthText(v6.nodeCidr, 240) ?? 'fd00:172:16:94::f0') : 'fd00:172:16:94::f0'}/124".`));
  else if (lb && v6) {
    const p = parsePrefix(lb.pool6!);
    if (p?.family !== 'IPv6') {
      const loose = parsePrefix(lb.pool6!, false);
      out.push(diag('PL2408', ['loadBalancer', 'pool'], `load-balancer pool "${lb.pool6}" is not a valid IPv6 CIDR`, loose?.family === 'IPv6' ? `Host bits are set; did you mean "${formatPrefix(loose)}"?` : 'Write it as an IPv6 prefix, e.g. "fd00:172:16:94::f0/124".'));
    } else if (lb.pool === lb.pool6)
      out.push(diag('PL2415', ['loadBalancer', 'pool'], `load-balancer pool ${lb.pool6} is not inside the first ${hostRoom(lab)} addresses of the IPv6 node network ${v6.nodeCidr}`, `podlab gives IPv6-only load-balancer addresses from the node network, as MetalLB's layer-2 mode does (the gateway answers neighbour solicitations for them): e.g. "${nthText(v6.nodeCidr, 240) ?? 'fd00:172:16:94::f0'}/124".`));
  }
  for (const s of lab.services)
    if (s.type === 'LoadBalancer' && s.loadBalancerIP !== undefined)
      out.push(diag('PL2416', svcPath(s.name, 'loadBalancerIP'), `Service "${s.name}": a fixed loadBalancerIP is not supported in an IPv6-only lab yet`, 'Leave loadBalancerIP out: the Service gets the next free address of the IPv6 pool.'));
  for (const n of lab.nodes) {
    if (n.ip === undefined) continue;
    if (n.ip6 === undefined)
      out.push(diag('PL2404', ['nodes', n.name, 'ip'], `node "${n.name}" ip "${n.ip}" is IPv4, but the lab is IPv6-only`, `Give the node's IPv6 address in the node network ${v6?.nodeCidr}, or leave ip out (the nodes take ::a, ::b, … in declaration order).`));
    else if (n.ip === n.ip6)
      out.push(diag('PL2417', ['nodes', n.name, 'ip'], `node "${n.name}" ip ${n.ip6} is not one of the first ${hostRoom(lab)} addresses of the IPv6 node network ${v6?.nodeCidr}`, `Use an address such as "${v6 ? (nthText(v6.nodeCidr, 20) ?? 'fd00:172:16:94::14') : 'fd00:172:16:94::14'}", or leave ip out.`));
  }
};

/** How many host numbers of the IPv6 node network an IPv6-only lab numbers with (the IPv4 node network's size inside). */
const hostRoom = (lab: Lab): number => {
  const p = parsePrefix(lab.nodeNetwork.cidr);
  return p ? 2 ** (32 - p.bits) : 256;
};
const nthText = (cidr: string, i: number): string | undefined => {
  const p = parsePrefix(cidr);
  const a = p && nth(p, i);
  return a ? formatAddr(a) : undefined;
};

/**
 * An IPv6-only LoadBalancer Service is built in an IPv6-only lab (its pool is IPv6); in a dual-stack
 * lab the pool is IPv4 (its IPv6 side is only the twin of a dual-stack Service's IPv4 address).
 */
export const loadBalancersAreBuilt: Rule = (lab, out) => {
  if (!lab.ipFamilies.includes('IPv4')) return;
  for (const s of lab.services)
    if (s.type === 'LoadBalancer' && s.ipFamilies.length === 1 && s.ipFamilies[0] === 'IPv6')
      out.push(diag('PL2410', svcPath(s.name, s.ipFamiliesWritten ? 'ipFamilies' : 'type'), `Service "${s.name}" is an IPv6-only LoadBalancer: podlab gives load-balancer addresses in IPv6 only beside an IPv4 one`, "Make it dual stack (ipFamilyPolicy: 'RequireDualStack'): it gets an address per family, the IPv6 one held by the gateway too."));
};

/** A node's fixed address is its IPv4 one (its IPv6 address takes the same host number in the IPv6 node network). */
export const ipv4OnlyFieldsAreIPv4: Rule = (lab, out) => {
  if (!lab.ipFamilies.includes('IPv4')) return; // an IPv6-only lab takes no fixed node address (ipv6OnlyIsBuilt)
  const v4only = (path: (string | number)[], what: string, text: string | undefined) => {
    if (text !== undefined && familyOfText(text) === 'IPv6')
      out.push(diag('PL2404', path, `${what} "${text}" is IPv6, but podlab takes it in IPv4 only`, lab.ipFamilies.includes('IPv6') ? 'Give the IPv4 address: the IPv6 one is derived from it (the same host number in the IPv6 network).' : dualHint));
  };
  for (const n of lab.nodes) v4only(['nodes', n.name, 'ip'], `node "${n.name}" ip`, n.ip);
};

/** Service ipFamilyPolicy, ipFamilies and clusterIPs, as the API server checks them. */
export const serviceFamiliesAreValid: Rule = (lab, out) => {
  const serviceNets: Partial<Record<Family, Prefix>> = {};
  const v4 = parsePrefix(lab.serviceCidr);
  if (v4?.family === 'IPv4') serviceNets.IPv4 = v4;
  const v6 = lab.ipv6 ? parsePrefix(lab.ipv6.serviceCidr) : undefined;
  if (v6?.family === 'IPv6') serviceNets.IPv6 = v6;
  for (const s of lab.services) {
    const where = `Service "${s.name}"`;
    if (s.type === 'ExternalName') continue;
    if (s.ipFamilyPolicy === 'RequireDualStack' && lab.ipFamilies.length < 2)
      out.push(diag('PL2405', svcPath(s.name, 'ipFamilyPolicy'), `${where} requires dual stack, but the lab is ${describe(lab.ipFamilies)}`, `Use PreferDualStack (dual stack where the lab has it), or ${dualHint[0]!.toLowerCase()}${dualHint.slice(1)}`));
    const written = s.ipFamiliesWritten ?? [];
    written.forEach((f, i) => {
      if (!lab.ipFamilies.includes(f)) out.push(diag('PL2404', svcPath(s.name, 'ipFamilies', i), `${where} asks for ${f}, but the lab is ${describe(lab.ipFamilies)}`, f === 'IPv6' ? dualHint : `Use ipFamilies: ['${lab.ipFamilies[0]}'].`));
    });
    if (new Set(written).size !== written.length) out.push(diag('PL2406', svcPath(s.name, 'ipFamilies', 1), `${where} names ${written[0]} twice in ipFamilies`));
    else if (written.length === 2 && s.ipFamilyPolicy === 'SingleStack')
      out.push(diag('PL2406', svcPath(s.name, 'ipFamilies'), `${where} lists two families, but its ipFamilyPolicy is SingleStack`, "Set ipFamilyPolicy: 'PreferDualStack' or 'RequireDualStack', or list one family."));
    if (s.clusterIP === 'None') continue;
    if (s.clusterIPs && s.clusterIPs.length === 2 && s.ipFamilyPolicy === 'SingleStack')
      out.push(diag('PL2406', svcPath(s.name, 'clusterIPs'), `${where} gives two clusterIPs, but its ipFamilyPolicy is SingleStack`, "Set ipFamilyPolicy: 'PreferDualStack' or 'RequireDualStack', or give one cluster IP."));
    const given = s.clusterIPs ?? (s.clusterIP !== undefined ? [s.clusterIP] : []);
    const pathOf = (i: number) => (s.clusterIPs ? svcPath(s.name, 'clusterIPs', i) : svcPath(s.name, 'clusterIP'));
    given.forEach((text, i) => {
      const fam = familyOfText(text);
      const want = s.ipFamilies[i];
      if (want !== undefined && fam !== want) {
        out.push(diag('PL2403', pathOf(i), `${where}: cluster IP ${text} is ${fam}, but the Service's ${i === 0 ? 'primary' : 'second'} family is ${want}`, `Give an ${want} address here (cluster IPs follow the Service's ipFamilies: ${s.ipFamilies.join(', ')}), or leave it out to have one allocated.`));
        return;
      }
      if (fam !== 'IPv6' || want === undefined) return;
      const a = parseAddr(text);
      const net = serviceNets.IPv6;
      if (a?.family !== 'IPv6') out.push(diag('PL2409', pathOf(i), `${where}: cluster IP "${text}" is not an IPv6 address`));
      else if (net && !contains(net, a)) out.push(diag('PL2409', pathOf(i), `${where}: cluster IP ${text} is outside the IPv6 service network ${formatPrefix(net)}`, 'Pick an address inside the IPv6 serviceCidr, or leave it out to have one allocated.'));
      else if (net && (a.value === net.network || a.value === nth(net, 10)!.value || a.value === net.network + sizeOf(net) - 1n))
        out.push(diag('PL2409', pathOf(i), `${where}: cluster IP ${text} is the network address or the one kept for cluster DNS`));
    });
    if (s.clusterIP !== undefined && s.clusterIPs && s.clusterIP !== s.clusterIPs[0])
      out.push(diag('PL2406', svcPath(s.name, 'clusterIP'), `${where}: clusterIP ${s.clusterIP} differs from clusterIPs[0] ${s.clusterIPs[0]}`, 'clusterIP is the first of clusterIPs; give the same address, or only clusterIPs.'));
  }
};

export const FAMILY_RULES: Rule[] = [ipFamiliesAreValid, familyListsAreValid, ipv6NetworksAreValid, ipv4OnlyFieldsAreIPv4, serviceFamiliesAreValid, loadBalancersAreBuilt, ipv6OnlyIsBuilt];
