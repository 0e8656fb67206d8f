/**
 * Semantic rules: small named pure functions over the resolved lab, each pushing diagnostics.
 * All run; none throws. Paths are those of the authoring form so positions point at the source.
 */
import { DEFAULTS, IFNAME_MAX, SERVICES } from '../constants.ts';
import * as ip from '../net/ipv4.ts';
import { nodeNetworkAddresses } from '../net/node-network.ts';
import { diag, warning, type Code, type Diagnostic } from './diagnostics.ts';
import type { Lab } from './lab.ts';
import { checkAt } from '../check/kinds/kind.ts';
import { GRID_KINDS, kindOf, type LabCheck, type ProbeKindName } from '../check/kinds/index.ts';
import { scenariosAreValid } from './rules-scenarios.ts';
import { dnsServiceIp, selects } from '../k8s/objects.ts';
import { nodeLabels } from '../k8s/manifests.ts';
import { DNS_RULES } from './rules-dns.ts';
import { clusterPoliciesAreValid } from './rules-cluster-policy.ts';
import { policiesAreValid } from './rules-policy.ts';
import { LOOP_RULES } from './rules-loops.ts';
import { INGRESS_RULES } from './rules-ingress.ts';
import { withController } from '../ingress/controller.ts';
import { HOST_RULES, reservedRangeOf } from './rules-host.ts';
import { cniMode } from '../cni/registry.ts';
import { FAMILY_RULES, poolPath } from './rules-families.ts';
import { familyOfText } from './lab.ts';
import { DNS_SUBDOMAIN_HINT, isDnsSubdomain } from '../lib/object-name.ts';

export type Rule = (lab: Lab, out: Diagnostic[]) => void;

const nodePath = (name: string, ...rest: string[]) => ['nodes', name, ...rest];
const podPath = (name: string, ...rest: (string | number)[]) => ['pods', name, ...rest];

/** The lab's three networks parse, do not overlap, and the pod network holds a slice per node. */
export const networksAreValid: Rule = (lab, out) => {
  const nets: [string, string, (string | number)[]][] = [
    ['node network', lab.nodeNetwork.cidr, ['nodeNetwork', 'cidr']],
    ['pod network', lab.podCidr, ['podCidr']],
    ['service network', lab.serviceCidr, ['serviceCidr']],
  ];
  const parsed: [string, ip.Cidr, (string | number)[]][] = [];
  for (const [what, text, path] of nets) {
    const c = ip.parseCidr(text);
    if (!c) {
      const loose = ip.parseCidr(text, false);
      out.push(
        diag('PL2001', path, `${what} "${text}" is not a valid IPv4 CIDR`, loose ? `Host bits are set; did you mean "${ip.formatCidr(loose)}"?` : 'Write it as a.b.c.d/n, e.g. "10.244.0.0/16".'),
      );
    // A network in a reserved range (0.0.0.0/0 covers them all) is reported once, by networksAreUsable, at its own property.
    } else if (!reservedRangeOf(text)) parsed.push([what, c, path]);
  }
  for (let i = 0; i < parsed.length; i++)
    for (let j = i + 1; j < parsed.length; j++) {
      const [wa, a, pa] = parsed[i]!;
      const [wb, b, pb] = parsed[j]!;
      if (ip.overlaps(a, b))
        out.push({
          ...diag('PL2002', pb, `${wb} ${ip.formatCidr(b)} overlaps the ${wa} ${ip.formatCidr(a)}`, 'Pods, Services and nodes need disjoint networks, or routing cannot tell them apart.'),
          // When pb is a default (not in the source), at pa, which the author wrote.
          otherwise: { path: pa, message: `${wa} ${ip.formatCidr(a)} overlaps the ${wb} ${ip.formatCidr(b)}` },
        });
    }
  const pod = ip.parseCidr(lab.podCidr);
  if (pod && !reservedRangeOf(lab.podCidr) && cniMode(lab.cni.type).nodeSlices) {
    if (lab.podCidrMaskSize < pod.prefix) {
      const message = `a node slice of /${lab.podCidrMaskSize} is larger than the pod network ${lab.podCidr}`;
      // At podCidr when podCidrMaskSize is the default, which is not in the source.
      out.push({ ...diag('PL2005', ['podCidrMaskSize'], message, `Use a mask size of at least ${pod.prefix}.`), otherwise: { path: ['podCidr'], message } });
    } else {
      const slices = 2 ** (lab.podCidrMaskSize - pod.prefix);
      if (slices < lab.nodes.length)
        out.push(diag('PL2005', ['podCidr'], `pod network ${lab.podCidr} holds ${slices} slice(s) of /${lab.podCidrMaskSize}, but the lab has ${lab.nodes.length} nodes`, 'Make the pod network larger or podCidrMaskSize longer.'));
    }
  }
};

export const hasNodes: Rule = (lab, out) => {
  if (!lab.nodes.length) out.push(diag('PL2013', ['nodes'], 'the lab declares no nodes', 'Add at least one node, e.g. nodes: { "worker-1": {} }.'));
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Node and pod keys become namespace names and hostnames: DNS-1123 labels, no '.', '/', or shell characters; other objects' names DNS-1123 subdomains. */
export const namesAreDnsLabels: Rule = (lab, out) => {
  const bad = (name: string) => name.length > 63 || !DNS_LABEL.test(name);
  for (const n of lab.nodes)
    if (bad(n.name)) out.push(diag('PL1005', ['nodes', n.name], `node name "${n.name}" is not a DNS-1123 label`, "Use lower-case letters, digits and '-' (at most 63), e.g. \"worker-1\"."));
  for (const p of lab.pods)
    if (bad(p.name)) out.push(diag('PL1005', ['pods', p.name], `pod name "${p.name}" is not a DNS-1123 label`, "Use lower-case letters, digits and '-' (at most 63), e.g. \"web-1\"."));
  for (const h of lab.hosts)
    if (bad(h.name)) out.push(diag('PL1005', ['hosts', h.name], `host name "${h.name}" is not a DNS-1123 label`, "Use lower-case letters, digits and '-' (at most 63), e.g. \"client\"."));
  // Service names are DNS-1035 labels: they must also start with a letter.
  for (const s of lab.services)
    if (bad(s.name) || !/^[a-z]/.test(s.name))
      out.push(diag('PL1005', ['services', s.name], `Service name "${s.name}" is not a DNS-1035 label`, "Start with a letter; use lower-case letters, digits and '-' (at most 63), e.g. \"web\"."));
  // Other objects' names are DNS-1123 subdomains, as the API server holds them: they become nft
  // chain names and comments, nginx.conf comments and certificate file names (lib/object-name.ts).
  const objects: [string, string, string[]][] = [
    ['NetworkPolicy', 'networkPolicies', lab.networkPolicies.map((p) => p.name)],
    ['ClusterNetworkPolicy', 'clusterNetworkPolicies', lab.clusterNetworkPolicies.map((p) => p.name)],
    ['IngressClass', 'ingressClasses', (lab.ingress?.classes ?? []).map((c) => c.name)],
    ['Ingress', 'ingresses', (lab.ingress?.ingresses ?? []).map((i) => i.name)],
  ];
  for (const [kind, key, names] of objects)
    for (const name of names) if (!isDnsSubdomain(name)) out.push(diag('PL1005', [key, name], `${kind} name ${JSON.stringify(name)} is not a DNS-1123 subdomain`, DNS_SUBDOMAIN_HINT));
  for (const i of lab.ingress?.ingresses ?? [])
    i.tls.forEach((t, ti) => {
      if (t.secretName !== undefined && !isDnsSubdomain(t.secretName))
        out.push(diag('PL1005', ['ingresses', i.name, 'tls', ti, 'secretName'], `TLS secretName ${JSON.stringify(t.secretName)} of Ingress ${JSON.stringify(`${i.namespace}/${i.name}`)} is not a DNS-1123 subdomain (a Secret's name)`, DNS_SUBDOMAIN_HINT));
    });
};

/** Fixed node IPs lie inside the node network, are usable host addresses, and are not shared. */
export const nodeAddressesAreValid: Rule = (lab, out) => {
  const net = ip.parseCidr(lab.nodeNetwork.cidr);
  const seen = new Map<number, string>();
  for (const n of lab.nodes) {
    // An IPv6 address here is reported by the family rules (rules-families.ts).
    if (n.ip === undefined || familyOfText(n.ip) === 'IPv6') continue;
    const a = ip.parseIp(n.ip);
    const path = nodePath(n.name, 'ip');
    if (a === undefined) out.push(diag('PL2003', path, `node "${n.name}" has "${n.ip}", which is not an IPv4 address`));
    else if (net && !ip.contains(net, a)) out.push(diag('PL2003', path, `node "${n.name}" has ${n.ip}, outside the node network ${lab.nodeNetwork.cidr}`, 'Pick an address inside nodeNetwork.cidr.'));
    else if (net && ip.isNetworkOrBroadcast(net, a)) out.push(diag('PL2003', path, `node "${n.name}" has ${n.ip6 ?? n.ip}, the network or broadcast address of ${n.ip6 ? lab.ipv6?.nodeCidr : lab.nodeNetwork.cidr}`));
    else if (seen.has(a)) out.push(diag('PL2004', path, `node "${n.name}" has ${n.ip6 ?? n.ip}, already the address of node "${seen.get(a)}"`));
    else seen.set(a, n.name);
  }
  // Nodes without a fixed IP get .10 upward (the classic lab's numbering), so those must fit too.
  const auto = lab.nodes.filter((n) => n.ip === undefined);
  if (net && auto.length && ip.size(net) - 1 <= 10 + auto.length - 1 + [...seen.keys()].filter((a) => a >= net.network + 10).length)
    out.push(diag('PL2005', ['nodeNetwork', 'cidr'], `node network ${lab.nodeNetwork.cidr} is too small for ${auto.length} node(s) numbered from .10 upward`, 'Give those nodes fixed IPs, or use a larger node network (e.g. a /24).'));
  else if (net && lab.nodes.length > ip.size(net) - 2)
    out.push(diag('PL2005', ['nodeNetwork', 'cidr'], `node network ${lab.nodeNetwork.cidr} has room for ${Math.max(0, ip.size(net) - 2)} hosts, but the lab has ${lab.nodes.length} nodes`));
};

/** Interface names the author chooses must fit Linux's 15-byte limit (IFNAMSIZ). */
export const interfaceNamesFit: Rule = (lab, out) => {
  for (const n of lab.nodes) {
    const bytes = Buffer.byteLength(n.interface);
    if (bytes > IFNAME_MAX)
      out.push(diag('PL2009', nodePath(n.name, 'interface'), `interface name "${n.interface}" is ${bytes} bytes; Linux allows at most ${IFNAME_MAX}`, 'Use a shorter name, e.g. "eth0" or "enp0s8".'));
    else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n.interface) || n.interface === 'lo')
      out.push(diag('PL2009', nodePath(n.name, 'interface'), `"${n.interface}" is not a usable interface name`, "Use letters, digits, '-', '_' or '.', not 'lo'."));
  }
};

/** Pods reference declared nodes and namespaces; (namespace, name) is unique; containers are well-formed. */
export const podsAreValid: Rule = (lab, out) => {
  const nodes = new Set(lab.nodes.map((n) => n.name));
  const namespaces = new Set(lab.namespaces);
  for (const p of lab.pods) {
    if (!nodes.has(p.node))
      out.push(diag('PL2006', podPath(p.name, 'node'), `pod "${p.name}" is scheduled on node "${p.node}", which the lab does not declare`, `Declared nodes: ${[...nodes].join(', ') || '(none)'}.`));
    if (!namespaces.has(p.namespace))
      out.push(diag('PL2007', podPath(p.name, 'namespace'), `pod "${p.name}" is in namespace "${p.namespace}", which the lab does not declare`, `Add "${p.namespace}" to namespaces.`));
    const names = new Set<string>();
    const ports = new Map<string, string>();
    p.containers.forEach((c, i) => {
      if (names.has(c.name)) out.push(diag('PL2008', podPath(p.name, 'containers', i, 'name'), `pod "${p.name}" has two containers named "${c.name}"`));
      names.add(c.name);
      if (!!c.workload === !!c.command)
        out.push(diag('PL2011', podPath(p.name, 'containers', i), `container "${c.name}" of pod "${p.name}" must have exactly one of "workload" and "command"`, 'Use workload: workloads.httpEcho() for a built-in server, or command: [...] for a program.'));
      c.ports.forEach((port) => {
        const key = `${port.protocol}/${port.containerPort}`;
        const owner = ports.get(key);
        if (owner && owner !== c.name)
          out.push(diag('PL2010', podPath(p.name, 'containers', i), `containers "${owner}" and "${c.name}" of pod "${p.name}" both use ${key}`, 'Containers of a pod share one network namespace (one IP), so each port can be bound only once.'));
        ports.set(key, c.name);
      });
    });
  }
};

/** Pod IPs per node slice: each node's pods must fit in its slice (minus network, gateway, broadcast). */
export const podSlicesFit: Rule = (lab, out) => {
  if (!cniMode(lab.cni.type).nodeSlices) return;
  const room = 2 ** (32 - lab.podCidrMaskSize) - 3;
  for (const n of lab.nodes) {
    const count = lab.pods.filter((p) => p.node === n.name && !p.hostNetwork).length;
    if (count > room)
      out.push(diag('PL2005', nodePath(n.name), `node "${n.name}" has ${count} pods, but a /${lab.podCidrMaskSize} slice holds ${room}`, 'Use a shorter podCidrMaskSize or spread the pods over more nodes.'));
  }
};

/** The nodes' IPv4 addresses as the plan will hand them out; undefined when an address written cannot be read. */
function nodeIpsOf(lab: Lab): string[] | undefined {
  const nodeNet = ip.parseCidr(lab.nodeNetwork.cidr);
  const written = [...lab.nodes, ...lab.hosts].map((x) => x.ip).filter((a): a is string => a !== undefined);
  if (!nodeNet || written.some((a) => ip.parseIp(a) === undefined)) return undefined;
  const pool = lab.loadBalancer?.pool !== undefined ? ip.parseCidr(lab.loadBalancer.pool) : undefined;
  const hasGateway = lab.hosts.some((h) => h.network === 'external') || !!lab.loadBalancer;
  const hosts = lab.hosts.map((h) => ({ ...(h.ip ? { ip: h.ip } : {}), onNodes: h.network === 'nodes' }));
  return nodeNetworkAddresses({ nodeNet, nodes: lab.nodes, hosts, ...(hasGateway ? { gateway: ip.nth(nodeNet, DEFAULTS.gatewayHost) } : {}), ...(pool ? { pool } : {}) }).nodeIps;
}

/** The CNI mode's own rules over its config (e.g. Calico's IP pool and AS number), at paths below `cni`. */
export const cniIsValid: Rule = (lab, out) => {
  const ips = nodeIpsOf(lab);
  const nodes = lab.nodes.map((n, i) => ({ name: n.name, labels: nodeLabels(n), ...(ips?.[i] ? { ip: ips[i] } : {}) }));
  for (const p of cniMode(lab.cni.type).validate(lab.cni, { ...lab, nodes })) out.push((p.severity === 'warning' ? warning : diag)(p.code as Code, ['cni', ...p.path], p.message, p.hint));
};

const svcPath = (name: string, ...rest: (string | number)[]) => ['services', name, ...rest];

/** Services: ports well-formed, addresses and NodePorts valid and unique, fields fit the type, selectors match something. */
export const servicesAreValid: Rule = (lab, out) => {
  const serviceNet = ip.parseCidr(lab.serviceCidr);
  // The IPv4 pool (in an IPv6-only lab the IPv6 one's twin inside, see inside4; its faults are the family rules').
  const only6 = !lab.ipFamilies.includes('IPv4');
  const pool = lab.loadBalancer?.pool !== undefined && (!only6 || lab.loadBalancer.pool6 !== undefined) ? ip.parseCidr(lab.loadBalancer.pool) : undefined;
  const poolText = only6 ? lab.loadBalancer?.pool6 : lab.loadBalancer?.pool;
  const clusterIps = new Map<number, string>();
  const nodePorts = new Map<number, string>();
  const lbIps = new Map<number, string>();
  const namespaces = new Set(lab.namespaces);
  // Addresses the pool cannot hand out: fixed node and host addresses, the gateway's, and given loadBalancerIPs.
  const nodeNet = ip.parseCidr(lab.nodeNetwork.cidr);
  const owners = new Map<number, string>();
  for (const n of lab.nodes) if (n.ip && ip.parseIp(n.ip) !== undefined) owners.set(ip.parseIp(n.ip)!, `node "${n.name}"`);
  for (const h of lab.hosts) if (h.ip && ip.parseIp(h.ip) !== undefined) owners.set(ip.parseIp(h.ip)!, `host "${h.name}"`);
  if (nodeNet && lab.loadBalancer) owners.set(ip.nth(nodeNet, DEFAULTS.gatewayHost), 'the lab gateway');
  const poolUsable = (a: number) => pool !== undefined && ip.contains(pool, a) && !ip.isNetworkOrBroadcast(pool, a);
  const givenLb = new Set(lab.services.flatMap((s) => (s.type === 'LoadBalancer' && s.loadBalancerIP && ip.parseIp(s.loadBalancerIP) !== undefined ? [ip.parseIp(s.loadBalancerIP)!] : [])));
  // A fixed loadBalancerIP judged here: IPv4 as written, or an IPv6-only lab's twin inside its pool; the rest is the family rules' (rules-families.ts).
  const judgedHere = (s: (typeof lab.services)[number]) =>
    s.loadBalancerIP !== undefined && (only6 ? pool !== undefined && s.loadBalancerIP6 !== undefined && s.loadBalancerIP !== s.loadBalancerIP6 : familyOfText(s.loadBalancerIP) === 'IPv4' && s.ipFamilies.includes('IPv4'));
  let poolLeft = pool ? ip.size(pool) - (pool.prefix < 31 ? 2 : 0) - [...new Set([...owners.keys(), ...givenLb])].filter(poolUsable).length : 0;
  // Cluster IPs: every host address of the service network except the DNS one and the given ones.
  if (serviceNet) {
    const given = new Set(lab.services.flatMap((s) => (s.clusterIP && s.clusterIP !== 'None' && ip.parseIp(s.clusterIP) !== undefined ? [ip.parseIp(s.clusterIP)!] : [])));
    const auto = lab.services.filter((s) => s.type !== 'ExternalName' && s.clusterIP === undefined).length;
    const room = ip.size(serviceNet) - 2 - 1 - [...given].filter((a) => ip.contains(serviceNet, a) && !ip.isNetworkOrBroadcast(serviceNet, a) && a !== dnsServiceIp(serviceNet)).length;
    if (auto > room)
      out.push(diag('PL2005', ['serviceCidr'], `service network ${lab.serviceCidr} has room for ${Math.max(0, room)} more cluster IP(s), but ${auto} Service(s) need one`, 'Use a larger serviceCidr.'));
  }
  for (const s of lab.services) {
    const where = `Service "${s.namespace}/${s.name}"`;
    if (!namespaces.has(s.namespace))
      out.push(diag('PL2007', svcPath(s.name, 'namespace'), `${where} is in namespace "${s.namespace}", which the lab does not declare`, `Add "${s.namespace}" to namespaces.`));
    const exposed = s.type === 'NodePort' || s.type === 'LoadBalancer';
    const headless = s.clusterIP === 'None';

    // Fields that only some types take.
    if (s.type === 'ExternalName') {
      if (!s.externalName) out.push(diag('PL2021', svcPath(s.name, 'type'), `${where} is of type ExternalName but has no externalName`, 'Add externalName: "db.example.com" (the name the Service is an alias of).'));
      else if (!/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/.test(s.externalName))
        out.push(diag('PL2021', svcPath(s.name, 'externalName'), `${where}: externalName "${s.externalName}" is not a DNS name`));
      if (s.clusterIP) out.push(diag('PL2021', svcPath(s.name, 'clusterIP'), `${where} is of type ExternalName, which has no cluster IP`));
    } else if (s.externalName) out.push(diag('PL2021', svcPath(s.name, 'externalName'), `${where} has externalName but is of type ${s.type}`, "Use type: 'ExternalName', or drop externalName."));
    if (headless && exposed) out.push(diag('PL2021', svcPath(s.name, 'clusterIP'), `${where} is headless (clusterIP: None) and cannot be of type ${s.type}`, 'A NodePort or LoadBalancer Service needs a cluster IP to forward to.'));
    if (!exposed && s.externalTrafficPolicy !== 'Cluster')
      out.push(diag('PL2021', svcPath(s.name, 'externalTrafficPolicy'), `${where}: externalTrafficPolicy applies only to NodePort and LoadBalancer Services, not ${s.type}`));
    if (s.loadBalancerIP !== undefined && s.type !== 'LoadBalancer')
      out.push(diag('PL2021', svcPath(s.name, 'loadBalancerIP'), `${where}: loadBalancerIP applies only to LoadBalancer Services, not ${s.type}`));

    // Ports. A headless Service may have none (the API server's rule): DNS answers with its pods' addresses.
    if (s.type !== 'ExternalName' && !headless && !s.ports.length)
      out.push(diag('PL2018', svcPath(s.name), `${where} has no ports`, 'Add ports: [{ port: 80, targetPort: 8080 }].'));
    const names = new Set<string>();
    const pairs = new Set<string>();
    s.ports.forEach((p, i) => {
      const path = svcPath(s.name, 'ports', i);
      if (s.ports.length > 1 && !p.name) out.push(diag('PL2018', path, `${where} has ${s.ports.length} ports, so each needs a name`, 'Name each port, e.g. name: "http" (Kubernetes requires it; DNS SRV records use it).'));
      if (p.name && names.has(p.name)) out.push(diag('PL2018', [...path, 'name'], `${where} has two ports named "${p.name}"`));
      if (p.name) names.add(p.name);
      const pair = `${p.protocol}/${p.port}`;
      if (pairs.has(pair)) out.push(diag('PL2018', [...path, 'port'], `${where} exposes ${pair} twice`));
      pairs.add(pair);
      if (p.nodePort !== undefined) {
        const np = [...path, 'nodePort'];
        if (!exposed) out.push(diag('PL2021', np, `${where} is of type ${s.type}; only NodePort and LoadBalancer Services have a nodePort`));
        else if (p.nodePort < SERVICES.nodePortMin || p.nodePort > SERVICES.nodePortMax)
          out.push(diag('PL2016', np, `nodePort ${p.nodePort} of ${where} is outside the NodePort range ${SERVICES.nodePortMin}-${SERVICES.nodePortMax}`, 'Pick a port in the range, or leave nodePort out to have one allocated.'));
        else if (nodePorts.has(p.nodePort)) out.push(diag('PL2016', np, `nodePort ${p.nodePort} of ${where} is already used by ${nodePorts.get(p.nodePort)}`, 'A NodePort is open on every node, so two Services cannot share one.'));
        else nodePorts.set(p.nodePort, where);
      }
    });

    // Cluster IP.
    // An IPv6 cluster IP is judged by the family rules (rules-families.ts).
    if (s.clusterIP !== undefined && !headless && s.type !== 'ExternalName' && familyOfText(s.clusterIP) === 'IPv4') {
      const a = ip.parseIp(s.clusterIP);
      const path = svcPath(s.name, 'clusterIP');
      const dnsIp = serviceNet && dnsServiceIp(serviceNet);
      if (a === undefined) out.push(diag('PL2015', path, `${where}: clusterIP "${s.clusterIP}" is not an IPv4 address or "None"`));
      else if (serviceNet && (!ip.contains(serviceNet, a) || ip.isNetworkOrBroadcast(serviceNet, a)))
        out.push(diag('PL2015', path, `${where}: clusterIP ${s.clusterIP} is outside the service network ${lab.serviceCidr}`, 'Pick an address inside serviceCidr, or leave clusterIP out to have one allocated.'));
      else if (a === dnsIp && !(s.namespace === 'kube-system' && s.name === 'kube-dns'))
        out.push(diag('PL2015', path, `${where}: clusterIP ${s.clusterIP} is kept for the cluster DNS Service (kube-system/kube-dns)`));
      else if (clusterIps.has(a)) out.push(diag('PL2004', path, `${where}: clusterIP ${s.clusterIP} is already the address of ${clusterIps.get(a)}`));
      else clusterIps.set(a, where);
    }

    // Load-balancer address.
    if (s.type === 'LoadBalancer') {
      const needs4 = only6 || s.ipFamilies.includes('IPv4');
      if (!lab.loadBalancer) out.push(diag('PL2019', svcPath(s.name, 'type'), `${where} is of type LoadBalancer, but the lab declares no load-balancer pool`, "Add loadBalancer: { pool: '172.16.94.240/28' } to the lab (addresses the gateway will answer for)."));
      else if (!only6 && needs4 && lab.loadBalancer.pool === undefined)
        out.push(diag('PL2423', svcPath(s.name, 'type'), `${where} needs an IPv4 load-balancer address, but the pool lists no IPv4 CIDR (${lab.loadBalancer.written.join(', ')})`, `List an IPv4 CIDR in loadBalancer.pool too, e.g. ['172.16.94.240/28', '${lab.loadBalancer.written[0]}'], or make the Service IPv6-only (ipFamilies: ['IPv6']).`));
      else if (judgedHere(s)) {
        const text = s.loadBalancerIP6 ?? s.loadBalancerIP!;
        const a = ip.parseIp(s.loadBalancerIP!);
        const path = svcPath(s.name, 'loadBalancerIP');
        if (a === undefined || (pool && !ip.contains(pool, a))) out.push(diag('PL2019', path, `${where}: loadBalancerIP "${text}" is not an address of the pool ${poolText}`));
        else if (pool && ip.isNetworkOrBroadcast(pool, a)) out.push(diag('PL2019', path, only6 ? `${where}: loadBalancerIP ${text} is the first or last address of the pool ${poolText}, which podlab does not hand out (as the network and broadcast addresses in IPv4)` : `${where}: loadBalancerIP ${text} is the network or broadcast address of the pool ${poolText}`));
        else if (owners.has(a)) out.push(diag('PL2004', path, `${where}: loadBalancerIP ${text} is already the address of ${owners.get(a)}`));
        else if (lbIps.has(a)) out.push(diag('PL2004', path, `${where}: loadBalancerIP ${text} is already the address of ${lbIps.get(a)}`));
        else lbIps.set(a, where);
      } else if (s.loadBalancerIP === undefined && needs4 && pool && --poolLeft < 0)
        out.push(diag('PL2019', svcPath(s.name, 'type'), `${where} gets no address: the pool ${poolText} is used up`, 'Use a larger pool, or move node and host addresses out of it.'));
    }

    // Selector and named target ports.
    if (s.type !== 'ExternalName' && s.selector) {
      const selected = lab.pods.filter((p) => selects(s, p));
      if (!selected.length)
        out.push(warning('PL2020', svcPath(s.name, 'selector'), `${where} selects no pod: it will have no endpoints`, `No pod in namespace "${s.namespace}" has all the labels ${Object.entries(s.selector).map(([k, v]) => `${k}=${v}`).join(', ')}.`));
      s.ports.forEach((p, i) => {
        if (typeof p.targetPort !== 'string' || !selected.length) return;
        const has = selected.some((pod) => pod.containers.some((c) => c.ports.some((q) => q.name === p.targetPort && q.protocol === p.protocol)));
        if (!has) {
          const known = [...new Set(selected.flatMap((pod) => pod.containers.flatMap((c) => c.ports.filter((q) => q.name).map((q) => `${q.name} (${q.protocol}/${q.containerPort})`))))];
          out.push(diag('PL2017', svcPath(s.name, 'ports', i, 'targetPort'), `${where}: targetPort "${p.targetPort}" names a ${p.protocol} port that no selected pod's containers declare`, known.length ? `Named ports of the selected pods: ${known.join(', ')}.` : 'Name a container port, e.g. ports: [{ name: "http", containerPort: 8080 }], or use a number.'));
        }
      });
    }
  }
};

/** The load-balancer pool and external network parse and keep clear of the pod and service networks. */
export const outsideNetworksAreValid: Rule = (lab, out) => {
  // A network in a reserved range is reported once, at its own property (networksAreUsable).
  const usable = (text: string) => (reservedRangeOf(text) ? undefined : ip.parseCidr(text));
  const inner: [string, ip.Cidr | undefined][] = [
    ['pod network', usable(lab.podCidr)],
    ['service network', usable(lab.serviceCidr)],
  ];
  const check = (what: string, text: string, path: (string | number)[], alsoNodes: boolean) => {
    const c = ip.parseCidr(text);
    if (!c) {
      const loose = ip.parseCidr(text, false);
      out.push(diag('PL2001', path, `${what} "${text}" is not a valid IPv4 CIDR`, loose ? `Host bits are set; did you mean "${ip.formatCidr(loose)}"?` : undefined));
      return;
    }
    const others: [string, ip.Cidr | undefined][] = alsoNodes ? [...inner, ['node network', usable(lab.nodeNetwork.cidr)]] : inner;
    for (const [w, o] of others) if (o && ip.overlaps(c, o)) out.push(diag('PL2002', path, `${what} ${text} overlaps the ${w} ${ip.formatCidr(o)}`));
  };
  // An IPv6-only lab's pool, and any pool's IPv6 CIDR, are checked in IPv6 (rules-families.ts).
  if (lab.loadBalancer?.pool !== undefined && lab.ipFamilies.includes('IPv4')) check('load-balancer pool', lab.loadBalancer.pool, poolPath(lab, 'IPv4'), false);
  if (lab.hosts.some((h) => h.network === 'external')) check('external network', lab.externalNetwork.cidr, ['externalNetwork', 'cidr'], true);
};

/** Outside hosts: fixed IPs inside their network, clear of the gateway, the nodes and each other. */
export const hostsAreValid: Rule = (lab, out) => {
  const nodeNet = ip.parseCidr(lab.nodeNetwork.cidr);
  const extNet = ip.parseCidr(lab.externalNetwork.cidr);
  const gateway = lab.loadBalancer || lab.hosts.some((h) => h.network === 'external');
  const used = new Map<number, string>();
  if (nodeNet && gateway) used.set(ip.nth(nodeNet, DEFAULTS.gatewayHost), 'the lab gateway');
  if (extNet) used.set(ip.nth(extNet, DEFAULTS.gatewayHost), 'the lab gateway');
  for (const n of lab.nodes) {
    const a = n.ip === undefined ? undefined : ip.parseIp(n.ip);
    if (a === undefined) continue;
    // Node-to-node clashes are nodeAddressesAreValid's; here only the gateway's address.
    if (used.get(a) === 'the lab gateway')
      out.push(diag('PL2004', nodePath(n.name, 'ip'), `node "${n.name}" has ${n.ip6 ?? n.ip}, which is the address of the lab gateway`, 'The gateway takes the first address of the node network when the lab has external hosts or a load-balancer pool.'));
    else used.set(a, `node "${n.name}"`);
  }
  const only6 = !lab.ipFamilies.includes('IPv4');
  for (const h of lab.hosts) {
    if (h.ip === undefined) continue;
    // An IPv6-only lab's host is judged here by its twin inside (see inside4) once it has one; an
    // address of the other family, and one without a twin, are the family rules' (PL2404, PL2421).
    if (only6 ? h.ip6 === undefined || h.ip === h.ip6 : familyOfText(h.ip) === 'IPv6') continue;
    const net = h.network === 'external' ? extNet : nodeNet;
    const netText = only6 ? (h.network === 'external' ? lab.ipv6?.externalCidr : lab.ipv6?.nodeCidr) : h.network === 'external' ? lab.externalNetwork.cidr : lab.nodeNetwork.cidr;
    const text = h.ip6 ?? h.ip;
    const a = ip.parseIp(h.ip);
    const path = ['hosts', h.name, 'ip'];
    if (a === undefined) out.push(diag('PL2003', path, `host "${h.name}" has "${h.ip}", which is not an IPv4 address`));
    else if (net && (!ip.contains(net, a) || ip.isNetworkOrBroadcast(net, a)))
      out.push(diag('PL2003', path, only6 ? `host "${h.name}" has ${text}, the network address or the last of the ${ip.size(net)} host numbers podlab uses in its network ${netText}` : `host "${h.name}" has ${h.ip}, not a host address of its network ${netText}`));
    else if (used.has(a)) out.push(diag('PL2004', path, `host "${h.name}" has ${text}, already the address of ${used.get(a)}`));
    else used.set(a, `host "${h.name}"`);
  }
};

/** Two pods on one node cannot take the same hostPort (the node has one IP). */
export const hostPortsAreUnique: Rule = (lab, out) => {
  const seen = new Map<string, string>();
  for (const p of lab.pods)
    p.containers.forEach((c, i) =>
      c.ports.forEach((q, j) => {
        // A hostNetwork pod's every port is a port of the node; other pods take only their hostPorts.
        const port = p.hostNetwork ? q.containerPort : q.hostPort;
        if (!port) return;
        const key = `${p.node}/${q.protocol}/${port}`;
        const path = podPath(p.name, 'containers', i, 'ports', j, p.hostNetwork ? 'containerPort' : 'hostPort');
        if (seen.has(key) && seen.get(key) !== p.name)
          out.push(diag('PL2022', path, `pod "${p.name}" needs ${q.protocol} port ${port} on node "${p.node}", which pod "${seen.get(key)}" has already`, p.hostNetwork ? 'A hostNetwork pod listens in the node\'s own network namespace.' : undefined));
        else seen.set(key, p.name);
      }),
    );
};

/**
 * A pod's own PID namespace is held by its pause process; a hostNetwork pod's sandbox (in its node's
 * network namespace, for its hostname and resolv.conf) holds none in podlab.
 */
export const pidNamespaceNeedsSandbox: Rule = (lab, out) => {
  for (const p of lab.pods)
    if (p.shareProcessNamespace && p.hostNetwork)
      out.push(diag('PL3118', podPath(p.name, 'shareProcessNamespace'), `pod "${p.name}" asks for a PID namespace of its own (shareProcessNamespace) and for the node's network (hostNetwork); podlab's sandbox of a hostNetwork pod holds none`, 'Drop one of the two: a pod with its own network may share one PID namespace among its containers.'));
};

/** Checks: `from` names a pod, node or host of the lab; then each kind's own rules (check/kinds/). */
export const checksAreValid: Rule = (written, sink) => {
  // Checks may aim at the ingress controller's pod and Service, which the plan adds.
  const lab = withController(written);
  const pods = new Set(lab.pods.map((p) => p.name));
  const nodes = new Set(lab.nodes.map((n) => n.name));
  const hosts = new Set(lab.hosts.map((h) => h.name));
  const machine = (ref: string) =>
    ref.startsWith('node/') ? nodes.has(ref.slice(5)) : ref.startsWith('host/') ? hosts.has(ref.slice(5)) : pods.has(ref);
  const out: Diagnostic[] = [];
  for (const c of allChecks(lab)) {
    if (!machine(c.from))
      out.push(diag('PL2012', checkAt(c)('from'), `check "${c.name}" starts from "${c.from}", which is neither a pod, node/<name> nor host/<name> of this lab`));
    kindOf(c.kind).validate(lab, c, out);
  }
  // A matrix's cells share its source and target lists: say each problem once.
  const said = new Set<string>();
  for (const d of out) {
    const key = `${d.code} ${JSON.stringify(d.path)}`;
    if (!said.has(key)) sink.push(d);
    said.add(key);
  }
};

/** The checks as written: the lab's and the scenarios' (a matrix as one check). */
function writtenChecks(lab: Lab): LabCheck[] {
  return [...lab.checks, ...lab.scenarios.flatMap((s) => s.steps.flatMap((st) => (st.check ? [st.check] : [])))];
}

/** Every check to validate: the lab's, the scenarios' and each matrix's cells (a matrix itself is only its cells). */
export function allChecks(lab: Lab): LabCheck<ProbeKindName>[] {
  return writtenChecks(lab).flatMap((c) => (c.kind === 'matrix' ? c.matrix.cells : [c]));
}

/** Grid kinds' own rules (a matrix's expect grid), after every check's. */
export const matricesAreValid: Rule = (lab, out) => {
  for (const c of writtenChecks(lab)) if (c.kind === 'matrix') GRID_KINDS[c.kind].validate(lab, c, out);
};

/** The registry: every rule, in the order their diagnostics read best. */
export const RULES: Rule[] = [
  hasNodes,
  namesAreDnsLabels,
  ...HOST_RULES,
  networksAreValid,
  ...FAMILY_RULES,
  cniIsValid,
  nodeAddressesAreValid,
  interfaceNamesFit,
  podsAreValid,
  podSlicesFit,
  hostPortsAreUnique,
  pidNamespaceNeedsSandbox,
  outsideNetworksAreValid,
  hostsAreValid,
  servicesAreValid,
  ...DNS_RULES,
  policiesAreValid,
  clusterPoliciesAreValid,
  ...INGRESS_RULES,
  checksAreValid,
  matricesAreValid,
  scenariosAreValid,
  ...LOOP_RULES,
];

export function runRules(lab: Lab): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of RULES) rule(lab, out);
  return out;
}
