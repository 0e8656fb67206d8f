/**
 * Semantic rules: small named pure functions over the resolved lab, each pushing diagnostics.
 * All run; none throws. Paths are those of the authoring form so positions point at the source.
 */
import { IFNAME_MAX } from '../constants.ts';
import * as ip from '../net/ipv4.ts';
import { diag, warning, type Diagnostic } from './diagnostics.ts';
import type { Lab } from './lab.ts';

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
    } else parsed.push([what, c, path]);
  }
  for (let i = 0; i < parsed.length; i++)
    for (let j = i + 1; j < parsed.length; j++) {
      const [wa, a] = parsed[i]!;
      const [wb, b, pb] = parsed[j]!;
      if (ip.overlaps(a, b))
        out.push(diag('PL2002', pb, `${wb} ${ip.formatCidr(b)} overlaps the ${wa} ${ip.formatCidr(a)}`, 'Pods, Services and nodes need disjoint networks, or routing cannot tell them apart.'));
    }
  const pod = ip.parseCidr(lab.podCidr);
  if (pod) {
    if (lab.podCidrMaskSize < pod.prefix) {
      out.push(diag('PL2005', ['podCidrMaskSize'], `a node slice of /${lab.podCidrMaskSize} is larger than the pod network ${lab.podCidr}`, `Use a mask size of at least ${pod.prefix}.`));
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

/** Node and pod keys become namespace names and hostnames: DNS-1123 labels, no '.', '/', or shell characters. */
export const namesAreDnsLabels: Rule = (lab, out) => {
  const bad = (name: string) => name.length > 63 || !DNS_LABEL.test(name);
  for (const n of lab.nodes)
    if (bad(n.name)) out.push(diag('PL1005', ['nodes', n.name], `node name "${n.name}" is not a DNS-1123 label`, "Use lower-case letters, digits and '-' (at most 63), e.g. \"worker-1\"."));
  for (const p of lab.pods)
    if (bad(p.name)) out.push(diag('PL1005', ['pods', p.name], `pod name "${p.name}" is not a DNS-1123 label`, "Use lower-case letters, digits and '-' (at most 63), e.g. \"web-1\"."));
};

/** Fixed node IPs lie inside the node network, are usable host addresses, and are not shared. */
export const nodeAddressesAreValid: Rule = (lab, out) => {
  const net = ip.parseCidr(lab.nodeNetwork.cidr);
  const seen = new Map<number, string>();
  for (const n of lab.nodes) {
    if (n.ip === undefined) continue;
    const a = ip.parseIp(n.ip);
    const path = nodePath(n.name, 'ip');
    if (a === undefined) out.push(diag('PL2003', path, `node "${n.name}" has "${n.ip}", which is not an IPv4 address`));
    else if (net && !ip.contains(net, a)) out.push(diag('PL2003', path, `node "${n.name}" has ${n.ip}, outside the node network ${lab.nodeNetwork.cidr}`, 'Pick an address inside nodeNetwork.cidr.'));
    else if (net && ip.isNetworkOrBroadcast(net, a)) out.push(diag('PL2003', path, `node "${n.name}" has ${n.ip}, the network or broadcast address of ${lab.nodeNetwork.cidr}`));
    else if (seen.has(a)) out.push(diag('PL2004', path, `node "${n.name}" has ${n.ip}, already the address of node "${seen.get(a)}"`));
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
  const room = 2 ** (32 - lab.podCidrMaskSize) - 3;
  for (const n of lab.nodes) {
    const count = lab.pods.filter((p) => p.node === n.name && !p.hostNetwork).length;
    if (count > room)
      out.push(diag('PL2005', nodePath(n.name), `node "${n.name}" has ${count} pods, but a /${lab.podCidrMaskSize} slice holds ${room}`, 'Use a shorter podCidrMaskSize or spread the pods over more nodes.'));
  }
};

/** Check endpoints name a pod, `node/<name>`, or (for `to`) an IPv4 address. */
export const checksAreValid: Rule = (lab, out) => {
  const pods = new Set(lab.pods.map((p) => p.name));
  const nodes = new Set(lab.nodes.map((n) => n.name));
  const known = (ref: string) => (ref.startsWith('node/') ? nodes.has(ref.slice(5)) : pods.has(ref));
  for (const c of lab.checks) {
    if (!known(c.from))
      out.push(diag('PL2012', ['checks', c.index, 'from'], `check "${c.name}" starts from "${c.from}", which is neither a pod nor node/<name> of this lab`));
    if (!known(c.to) && ip.parseIp(c.to) === undefined)
      out.push(diag('PL2012', ['checks', c.index, 'to'], `check "${c.name}" targets "${c.to}", which is not a pod, node/<name> or IPv4 address of this lab`));
    const target = lab.pods.find((p) => p.name === c.to);
    if (c.kind === 'http' && c.expectPod && !pods.has(c.expectPod))
      out.push(diag('PL2012', ['checks', c.index, 'expectPod'], `check "${c.name}" expects an answer from pod "${c.expectPod}", which the lab does not declare`));
    if (target && c.port && c.expect === 'reach' && !target.containers.some((k) => k.ports.some((p) => p.containerPort === c.port)))
      out.push(warning('PL2014', ['checks', c.index, 'port'], `check "${c.name}" expects pod "${target.name}" to answer on port ${c.port}, but none of its containers declares it`));
  }
};

/** The registry: every rule, in the order their diagnostics read best. */
export const RULES: Rule[] = [
  hasNodes,
  namesAreDnsLabels,
  networksAreValid,
  nodeAddressesAreValid,
  interfaceNamesFit,
  podsAreValid,
  podSlicesFit,
  checksAreValid,
];

export function runRules(lab: Lab): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of RULES) rule(lab, out);
  return out;
}
