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
  ['externalNetwork', ['externalNetwork', 'cidr'], 'external network'],
] as const;

/** Where the pool's CIDR of `family` was written: `loadBalancer.pool`, or its entry in a list of two. */
export function poolPath(lab: Lab, family: Family): (string | number)[] {
  const written = lab.loadBalancer?.written ?? [];
  const i = written.findIndex((t) => familyOfText(t) === family);
  return written.length > 1 && i >= 0 ? ['loadBalancer', 'pool', i] : ['loadBalancer', 'pool'];
}

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
    // The external network's IPv6 prefix, once written or used (a host lives there).
    ...(lab.cidrsWritten.externalNetwork.some((t) => familyOfText(t) === 'IPv6') || lab.hosts.some((h) => h.network === 'external') ? [['external network', v6.externalCidr, externalPath(lab)] as [string, string, (string | number)[]]] : []),
  ];
  const parsed: [string, Prefix, (string | number)[]][] = [];
  for (const [what, text, path] of nets) {
    const p = parsePrefix(text);
    if (p?.family === 'IPv6') parsed.push([what, p, path]);
    else {
      const loose = parsePrefix(text, false);
      out.push(diag('PL2408', path, loose?.family === 'IPv6' ? `${what} "${text}" has host bits set (a CIDR names a network)` : `${what} "${text}" is not a valid IPv6 CIDR`, loose?.family === 'IPv6' ? `Host bits are set; did you mean "${formatPrefix(loose)}"?` : 'Write it as an IPv6 prefix, e.g. "fd00:10:244::/56".'));
    }
  }
  for (let i = 0; i < parsed.length; i++)
    for (let j = i + 1; j < parsed.length; j++) {
      const [wa, a] = parsed[i]!;
      const [wb, b, pb] = parsed[j]!;
      if (overlaps(a, b)) out.push(diag('PL2002', pb, `${wb} ${formatPrefix(b)} overlaps the ${wa} ${formatPrefix(a)}`, 'Pods, Services and nodes need disjoint networks, or routing cannot tell them apart.'));
    }
  // Outside hosts take the IPv4 external network's host numbers in the IPv6 one (.10 → ::a), so it must hold them all.
  const ext6 = parsed.find(([w]) => w === 'external network')?.[1];
  const ext4 = parsePrefix(lab.externalNetwork.cidr);
  if (ext6 && ext4?.family === 'IPv4' && ext6.bits > 128 - (32 - ext4.bits))
    out.push(diag('PL2424', externalPath(lab), `external network ${formatPrefix(ext6)} holds ${sizeOf(ext6)} addresses, fewer than the ${sizeOf(ext4)} host numbers of the ${lab.ipFamilies.includes('IPv4') ? 'IPv4 external network' : 'external network podlab numbers hosts with'} ${formatPrefix(ext4)}`, `Outside hosts and the gateway take the same host number in the IPv6 prefix (.10 → ::a): use a /${128 - (32 - ext4.bits)} or shorter, e.g. "fd00:203:0:113::/64".`));
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
 * What an IPv6-only lab takes in IPv6: a load-balancer pool, fixed node, host and load-balancer
 * addresses, each inside its IPv6 network's first host numbers (the plan numbers them as IPv4
 * inside, see inside4 in lab.ts; the IPv4 rules then judge the twins: taken twice, the gateway's).
 * An address without a twin is said here, at its line.
 */
export const ipv6OnlyIsBuilt: Rule = (lab, out) => {
  if (lab.ipFamilies.includes('IPv4')) return;
  const v6 = lab.ipv6;
  for (const h of lab.hosts) {
    if (h.ip === undefined) continue;
    const path = ['hosts', h.name, 'ip'];
    const net6 = h.network === 'external' ? v6?.externalCidr : v6?.nodeCidr;
    const room = h.network === 'external' ? 2 ** (32 - (parsePrefix(lab.externalNetwork.cidr)?.bits ?? 24)) : hostRoom(lab);
    if (h.ip6 === undefined)
      out.push(diag('PL2404', path, `host "${h.name}" ip "${h.ip}" is IPv4, but the lab is IPv6-only`, `Give the host's IPv6 address in its network ${net6}, or leave ip out.`));
    else if (h.ip === h.ip6)
      out.push(diag('PL2421', path, parseAddr(h.ip6)?.family === 'IPv6' ? `host "${h.name}" ip ${h.ip6} is not one of the first ${room} addresses of its network ${net6}` : `host "${h.name}" ip "${h.ip6}" is not an IPv6 address`, `podlab numbers an IPv6-only lab's hosts with the host numbers of an IPv4 network of ${room} addresses (::1 is the gateway's): use e.g. "${(net6 && nthText(net6, 20)) ?? 'fd00:203:0:113::14'}", or leave ip out.`));
  }
  const lb = lab.loadBalancer;
  if (lb && lb.pool6 === undefined)
    out.push(diag('PL2404', ['loadBalancer', 'pool'], `load-balancer pool "${lb.pool}" is IPv4, but the lab is IPv6-only`, `Write the pool in IPv6, inside the node network ${v6?.nodeCidr} (or list one per family): e.g. "${v6 ? (nthText(v6.nodeCidr, 240) ?? 'fd00:172:16:94::f0') : 'fd00:172:16:94::f0'}/124".`));
  else if (lb && v6) {
    const p = parsePrefix(lb.pool6!);
    if (p?.family !== 'IPv6') {
      const loose = parsePrefix(lb.pool6!, false);
      out.push(diag('PL2408', poolPath(lab, 'IPv6'), `load-balancer pool "${lb.pool6}" is not a valid IPv6 CIDR`, loose?.family === 'IPv6' ? `Host bits are set; did you mean "${formatPrefix(loose)}"?` : 'Write it as an IPv6 prefix, e.g. "fd00:172:16:94::f0/124".'));
    } else if (lb.pool === lb.pool6)
      out.push(diag('PL2415', poolPath(lab, 'IPv6'), `load-balancer pool ${lb.pool6} is not inside the first ${hostRoom(lab)} addresses of the IPv6 node network ${v6.nodeCidr}`, `podlab gives IPv6-only load-balancer addresses from the node network, as MetalLB's layer-2 mode does (the gateway answers neighbour solicitations for them): e.g. "${nthText(v6.nodeCidr, 240) ?? 'fd00:172:16:94::f0'}/124".`));
  }
  for (const s of lab.services) {
    if (s.type !== 'LoadBalancer' || s.loadBalancerIP === undefined || lb?.pool6 === undefined || lb.pool === lb.pool6) continue;
    const path = svcPath(s.name, 'loadBalancerIP');
    if (s.loadBalancerIP6 === undefined)
      out.push(diag('PL2404', path, `Service "${s.name}": loadBalancerIP "${s.loadBalancerIP}" is IPv4, but the lab is IPv6-only`, `Give an address of the IPv6 pool ${lb.pool6}, or leave loadBalancerIP out.`));
    else if (s.loadBalancerIP === s.loadBalancerIP6)
      out.push(diag('PL2422', path, parseAddr(s.loadBalancerIP6)?.family === 'IPv6' ? `Service "${s.name}": loadBalancerIP ${s.loadBalancerIP6} is not an address of the pool ${lb.pool6}` : `Service "${s.name}": loadBalancerIP "${s.loadBalancerIP6}" is not an IPv6 address`, `Give an address of the pool ${lb.pool6}, or leave loadBalancerIP out to have the next free one.`));
  }
  for (const n of lab.nodes) {
    if (n.ip === undefined) continue;
    if (n.ip6 === undefined)
      out.push(diag('PL2404', ['nodes', n.name, 'ip'], `node "${n.name}" ip "${n.ip}" is IPv4, but the lab is IPv6-only`, `Give the node's IPv6 address in the node network ${v6?.nodeCidr}, or leave ip out (the nodes take ::a, ::b, … in declaration order).`));
    else if (n.ip === n.ip6)
      out.push(diag('PL2417', ['nodes', n.name, 'ip'], `node "${n.name}" ip ${n.ip6} is not one of the first ${hostRoom(lab)} addresses of the IPv6 node network ${v6?.nodeCidr}`, `Use an address such as "${v6 ? (nthText(v6.nodeCidr, 20) ?? 'fd00:172:16:94::14') : 'fd00:172:16:94::14'}", or leave ip out.`));
  }
};

/**
 * The load-balancer pool per family, in a lab with IPv4 (an IPv6-only lab's is ipv6OnlyIsBuilt's):
 * one CIDR per family; the IPv6 one a valid prefix clear of the IPv6 pod, service and external
 * networks; each fixed loadBalancerIP of one of its Service's families, an IPv6 one inside the IPv6
 * CIDR and nobody else's; and room for every Service that needs an IPv6 address from it.
 */
export const loadBalancerPoolsAreValid: Rule = (lab, out) => {
  const lb = lab.loadBalancer;
  if (!lb) return;
  // A CIDR of a family the lab lacks is not used, but it is still written right (the lab may switch families).
  for (const fam of (['IPv4', 'IPv6'] as const).filter((f) => !lab.ipFamilies.includes(f))) {
    const text = lb.written.find((t) => familyOfText(t) === fam);
    if (text !== undefined && parsePrefix(text)?.family !== fam)
      out.push(diag(fam === 'IPv6' ? 'PL2408' : 'PL2001', poolPath(lab, fam), `load-balancer pool "${text}" is not a valid ${fam} CIDR`, 'The lab does not use it, but would once it has that family: write it right or leave it out.'));
  }
  if (!lab.ipFamilies.includes('IPv4')) return;
  const fams = lb.written.map(familyOfText);
  if (fams.length === 2 && fams[0] === fams[1])
    out.push(diag('PL2423', ['loadBalancer', 'pool', 1], `loadBalancer.pool lists two ${fams[0]} CIDRs ("${lb.written[0]}" and "${lb.written[1]}"); the pool holds one CIDR per family`, `Write one CIDR per family, e.g. ['172.16.94.240/28', 'fd00:172:16:94::f0/124'].`));
  const v6 = lab.ipv6;
  const p6 = lb.pool6 !== undefined ? parsePrefix(lb.pool6) : undefined;
  if (lb.pool6 !== undefined && p6?.family !== 'IPv6') {
    const loose = parsePrefix(lb.pool6, false);
    out.push(diag('PL2408', poolPath(lab, 'IPv6'), `load-balancer pool "${lb.pool6}" is not a valid IPv6 CIDR`, loose?.family === 'IPv6' ? `Host bits are set; did you mean "${formatPrefix(loose)}"?` : 'Write it as an IPv6 prefix, e.g. "fd00:172:16:94::f0/124".'));
  } else if (p6 && v6)
    for (const [what, text] of [['pod network', v6.podCidr], ['service network', v6.serviceCidr], ...(lab.hosts.some((h) => h.network === 'external') ? [['external network', v6.externalCidr]] : [])] as const) {
      const o = parsePrefix(text);
      if (o?.family === 'IPv6' && overlaps(p6, o)) out.push(diag('PL2002', poolPath(lab, 'IPv6'), `load-balancer pool ${lb.pool6} overlaps the IPv6 ${what} ${text}`, 'Load-balancer addresses must be told apart from pods, Services and outside hosts by routing.'));
    }
  const pool6 = p6?.family === 'IPv6' && v6 ? p6 : undefined;
  const owners = pool6 ? ipv6Owners(lab) : new Map<bigint, string>();
  const given = new Map<bigint, string>();
  let need = 0;
  for (const s of lab.services) {
    if (s.type !== 'LoadBalancer') continue;
    const wants6 = s.ipFamilies.includes('IPv6');
    if (s.loadBalancerIP === undefined) {
      if (wants6 && pool6) need++;
      continue;
    }
    const path = svcPath(s.name, 'loadBalancerIP');
    const fam = familyOfText(s.loadBalancerIP);
    if (!lab.ipFamilies.includes(fam)) {
      out.push(diag('PL2404', path, `Service "${s.name}": loadBalancerIP "${s.loadBalancerIP}" is ${fam}, but the lab is ${describe(lab.ipFamilies)}`, dualHint));
      continue;
    }
    if (!s.ipFamilies.includes(fam)) {
      out.push(diag('PL2422', path, `Service "${s.name}": loadBalancerIP ${s.loadBalancerIP} is ${fam}, but the Service is ${describe(s.ipFamilies)}`, `loadBalancerIP fixes the Service's address of its own family (Kubernetes' spec.loadBalancerIP is one address): give an ${s.ipFamilies[0]} one, or leave it out.`));
      continue;
    }
    if (fam === 'IPv4') {
      if (wants6 && pool6) need++;
      continue;
    }
    const a = parseAddr(s.loadBalancerIP);
    if (a?.family !== 'IPv6') out.push(diag('PL2422', path, `Service "${s.name}": loadBalancerIP "${s.loadBalancerIP}" is not an IPv6 address`));
    else if (lb.pool6 === undefined)
      out.push(diag('PL2422', path, `Service "${s.name}": loadBalancerIP ${s.loadBalancerIP} is IPv6, but the pool lists no IPv6 CIDR`, `List one per family, e.g. loadBalancer: { pool: ['${lb.pool ?? '172.16.94.240/28'}', 'fd00:172:16:94::f0/124'] }, or leave loadBalancerIP out.`));
    else if (!pool6) continue;
    else if (!contains(pool6, a)) out.push(diag('PL2422', path, `Service "${s.name}": loadBalancerIP ${s.loadBalancerIP} is not an address of the pool ${lb.pool6}`, `Give an address of ${lb.pool6}, or leave loadBalancerIP out to have the next free one.`));
    else if (pool6.bits < 127 && (a.value === pool6.network || a.value === pool6.network + sizeOf(pool6) - 1n))
      out.push(diag('PL2422', path, `Service "${s.name}": loadBalancerIP ${s.loadBalancerIP} is the first or last address of the pool ${lb.pool6}, which podlab does not hand out (as the network and broadcast addresses in IPv4)`));
    else if (owners.has(a.value)) out.push(diag('PL2004', path, `Service "${s.name}": loadBalancerIP ${s.loadBalancerIP} is already the address of ${owners.get(a.value)}`));
    else if (given.has(a.value)) out.push(diag('PL2004', path, `Service "${s.name}": loadBalancerIP ${s.loadBalancerIP} is already the address of ${given.get(a.value)}`));
    else given.set(a.value, `Service "${s.name}"`);
  }
  if (pool6 && need) {
    const usable = sizeOf(pool6) - (pool6.bits < 127 ? 2n : 0n);
    const edge = pool6.bits < 127 ? 1n : 0n;
    const inside = (x: bigint) => x >= pool6.network + edge && x <= pool6.network + sizeOf(pool6) - 1n - edge;
    const left = usable - BigInt([...new Set([...owners.keys(), ...given.keys()])].filter(inside).length);
    if (left < BigInt(need)) {
      const last = lab.services.filter((s) => s.type === 'LoadBalancer' && s.ipFamilies.includes('IPv6') && !s.loadBalancerIP?.includes(':')).at(-1)!;
      out.push(diag('PL2019', svcPath(last.name, 'type'), `${need} LoadBalancer Service(s) need an IPv6 address, but the pool ${lb.pool6} has ${left} left`, 'Use a larger IPv6 pool, or move node and host addresses out of it.'));
    }
  }
};

/**
 * The IPv6 addresses of a lab with IPv4 that a load-balancer address must not take: each node's and
 * node-network host's twin (fixed, or numbered from .10 upward as the plan does, skipping fixed
 * addresses, the gateway's and the IPv4 pool) and the gateway's.
 */
function ipv6Owners(lab: Lab): Map<bigint, string> {
  const out = new Map<bigint, string>();
  const n4 = parsePrefix(lab.nodeNetwork.cidr);
  const n6 = lab.ipv6 && parsePrefix(lab.ipv6.nodeCidr);
  if (n4?.family !== 'IPv4' || n6?.family !== 'IPv6') return out;
  const pool4 = lab.loadBalancer?.pool !== undefined ? parsePrefix(lab.loadBalancer.pool) : undefined;
  const twin = (v: bigint) => n6.network + (v - n4.network);
  const gateway = n4.network + 1n;
  const fixed = new Set<bigint>([gateway]);
  const members = [...lab.nodes.map((n) => [`node "${n.name}"`, n.ip] as const), ...lab.hosts.filter((h) => h.network === 'nodes').map((h) => [`host "${h.name}"`, h.ip] as const)];
  for (const [, text] of members) {
    const a = text !== undefined ? parseAddr(text) : undefined;
    if (a?.family === 'IPv4') fixed.add(a.value);
  }
  out.set(twin(gateway), 'the lab gateway');
  let next = n4.network + 10n;
  for (const [who, text] of members) {
    const a = text !== undefined ? parseAddr(text) : undefined;
    if (a?.family === 'IPv4') out.set(twin(a.value), who);
    else if (text === undefined) {
      while (fixed.has(next) || (pool4?.family === 'IPv4' && contains(pool4, { family: 'IPv4', value: next }))) next++;
      fixed.add(next);
      out.set(twin(next++), who);
    }
  }
  return out;
}

/** How many host numbers of the IPv6 node network an IPv6-only lab numbers with (the IPv4 node network's size inside). */
const hostRoom = (lab: Lab): number => {
  const p = parsePrefix(lab.nodeNetwork.cidr);
  return p ? 2 ** (32 - p.bits) : 256;
};
/** Where the external network's IPv6 prefix was written (or would be). */
const externalPath = (lab: Lab): (string | number)[] => {
  const list = lab.cidrsWritten.externalNetwork;
  const i = list.findIndex((t) => familyOfText(t) === 'IPv6');
  return list.length > 1 && i >= 0 ? ['externalNetwork', 'cidr', i] : ['externalNetwork', 'cidr'];
};
const nthText = (cidr: string, i: number): string | undefined => {
  const p = parsePrefix(cidr);
  const a = p && nth(p, i);
  return a ? formatAddr(a) : undefined;
};

/**
 * An IPv6-only LoadBalancer Service in a dual-stack lab takes its address from the pool's IPv6 CIDR;
 * without one it has none (a dual-stack Service's IPv6 address is then its IPv4 one's twin).
 */
export const loadBalancersAreBuilt: Rule = (lab, out) => {
  if (!lab.ipFamilies.includes('IPv4') || !lab.loadBalancer || lab.loadBalancer.pool6 !== undefined) return;
  for (const s of lab.services)
    if (s.type === 'LoadBalancer' && s.ipFamilies.length === 1 && s.ipFamilies[0] === 'IPv6')
      out.push(diag('PL2410', svcPath(s.name, s.ipFamiliesWritten ? 'ipFamilies' : 'type'), `Service "${s.name}" is an IPv6-only LoadBalancer, but the load-balancer pool lists no IPv6 CIDR`, `List one CIDR per family (as MetalLB's IPAddressPool lists addresses): loadBalancer: { pool: ['${lab.loadBalancer.pool ?? '172.16.94.240/28'}', 'fd00:172:16:94::f0/124'] }; or make the Service dual stack (ipFamilyPolicy: 'RequireDualStack'): its IPv6 address is then its IPv4 one's twin.`));
};

/** A node's and a host's fixed address is its IPv4 one (its IPv6 address takes the same host number in the IPv6 network). */
export const ipv4OnlyFieldsAreIPv4: Rule = (lab, out) => {
  if (!lab.ipFamilies.includes('IPv4')) return; // an IPv6-only lab's are IPv6 (ipv6OnlyIsBuilt)
  const v4only = (path: (string | number)[], what: string, text: string | undefined) => {
    if (text !== undefined && familyOfText(text) === 'IPv6')
      out.push(diag('PL2404', path, `${what} "${text}" is IPv6, but podlab takes it in IPv4 only`, lab.ipFamilies.includes('IPv6') ? 'Give the IPv4 address: the IPv6 one is derived from it (the same host number in the IPv6 network).' : dualHint));
  };
  for (const n of lab.nodes) v4only(['nodes', n.name, 'ip'], `node "${n.name}" ip`, n.ip);
  for (const h of lab.hosts) v4only(['hosts', h.name, 'ip'], `host "${h.name}" ip`, h.ip);
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
    if (new Set(written).size !== written.length) {
      const other = written[0] === 'IPv4' ? 'IPv6' : 'IPv4';
      const both = lab.ipFamilies.includes(other) ? `, or ipFamilies: ['${written[0]}', '${other}'] with ipFamilyPolicy: 'PreferDualStack' or 'RequireDualStack' for both (the first is the Service's primary family)` : '';
      out.push(diag('PL2406', svcPath(s.name, 'ipFamilies', 1), `${where} names ${written[0]} twice in ipFamilies`, `A family is listed once: ipFamilies: ['${written[0]}'] for one family${both}.`));
    }
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

export const FAMILY_RULES: Rule[] = [ipFamiliesAreValid, familyListsAreValid, ipv6NetworksAreValid, ipv4OnlyFieldsAreIPv4, serviceFamiliesAreValid, loadBalancersAreBuilt, loadBalancerPoolsAreValid, ipv6OnlyIsBuilt];
