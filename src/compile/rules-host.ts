/**
 * Rules for values the kernel and the host's tools cannot take, so that a lab that validates does
 * not fail at `up` with a raw tool error or a crash: names podlab keeps for its own parts of a
 * lab, kernel names podlab derives that must fit IFNAMSIZ, networks in address ranges that are not
 * for hosts (loopback, multicast, link-local, "this network", reserved), and bytes a command line
 * or environment cannot hold. Each error is at the property that has to change.
 */
import { IFNAME_MAX } from '../constants.ts';
import * as ip from '../net/ipv4.ts';
import { cniMode } from '../cni/registry.ts';
import { diag, type Diagnostic, type Path } from './diagnostics.ts';
import type { Lab, LabCheck, LabContainer } from './lab.ts';

type Rule = (lab: Lab, out: Diagnostic[]) => void;

/**
 * Names podlab gives its own parts of a lab: `gateway` is the lab gateway's namespace, its nft
 * file (nft/gateway.nft), its kube-proxy table and `podlab exec <lab> gateway`; `fabric` is the
 * node network's namespace and its nft file (nft/fabric.nft, beside each node's nft/<node>.nft).
 * A node, host or pod of either name would be confused with them.
 */
export const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  ['gateway', "the lab gateway's (its namespace, nft/gateway.nft, and `podlab exec <lab> gateway`)"],
  ['fabric', "the node network's (its namespace and nft/fabric.nft)"],
]);

export const namesAreNotReserved: Rule = (lab, out) => {
  const check = (kind: string, name: string, path: Path) => {
    const whose = RESERVED_NAMES.get(name);
    if (whose) out.push(diag('PL2051', path, `${kind} name "${name}" is reserved: it is ${whose}`, `Rename the ${kind}, e.g. "${name}-1".`));
  };
  for (const n of lab.nodes) check('node', n.name, ['nodes', n.name]);
  for (const h of lab.hosts) check('host', h.name, ['hosts', h.name]);
  for (const p of lab.pods) check('pod', p.name, ['pods', p.name]);
};

/**
 * Kernel names podlab derives from the lab: each must fit 15 bytes (IFNAMSIZ 16 with the NUL), or
 * `ip link add` fails. The CNI mode says which interfaces it creates (CniMode.interfaces), asked
 * here for the lab's own nodes with stand-in addresses (names never depend on addresses).
 */
export const derivedNamesFit: Rule = (lab, out) => {
  const mode = cniMode(lab.cni.type);
  const podCidr = ip.parseCidr(lab.podCidr);
  if (!podCidr) return; // networksAreValid reports it
  const nodes = lab.nodes.map((n, i) => ({ name: n.name, ip: ip.formatIp(ip.parseIp('10.0.0.0')! + i + 1), iface: n.interface, slice: ip.parseCidr(`10.${(i >> 8) & 255}.${i & 255}.0/24`)!, podGateway: `10.${(i >> 8) & 255}.${i & 255}.1`, hostPorts: false }));
  let plans: ReturnType<typeof mode.planNodes>;
  try {
    plans = mode.planNodes({ lab: lab.name, config: lab.cni, nodes, nodeCidrs: nodes.map((n) => [n.slice]), ipamDir: '', mtu: 1500, natOutgoing: lab.natOutgoing, podCidr, pods: [] });
  } catch {
    return; // a configuration the mode cannot plan: its own rules report why
  }
  const said = new Set<string>();
  plans.forEach((p, i) => {
    for (const dev of mode.interfaces({ name: nodes[i]!.name, netns: '', ip: nodes[i]!.ip, iface: nodes[i]!.iface, cni: p.data })) {
      const bytes = Buffer.byteLength(dev);
      if (bytes <= IFNAME_MAX || said.has(dev)) continue;
      said.add(dev);
      out.push(diag('PL2052', ['cni'], `the ${lab.cni.type} CNI mode would name an interface "${dev}" (${bytes} bytes) with this configuration; Linux allows at most ${IFNAME_MAX}`, lab.cni.type === 'flannel' ? 'flannel names its VXLAN device flannel.<vni>: use a VNI of at most 7 digits (≤ 9999999).' : 'Change the setting the name is derived from.'));
    }
  });
};

/**
 * Address ranges that are not for hosts' networks (RFC 6890): a lab network inside or around one
 * of them would give pods or nodes addresses the kernel treats specially (127/8 never leaves a
 * namespace's lo, 224/4 is multicast, 169.254/16 is link-local, 0/8 "this network").
 */
const RESERVED_RANGES: [string, string][] = [
  ['0.0.0.0/8', '"this network" (unspecified)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (and broadcast)'],
];
const RESERVED_CIDRS = RESERVED_RANGES.map(([c, what]) => [ip.parseCidr(c)!, c, what] as const);

/** The reserved range `cidr` overlaps, if any. */
export function reservedRangeOf(cidr: string): { range: string; what: string } | undefined {
  const c = ip.parseCidr(cidr);
  if (!c) return undefined;
  const hit = RESERVED_CIDRS.find(([r]) => ip.overlaps(c, r));
  return hit ? { range: hit[1], what: hit[2] } : undefined;
}

export const networksAreUsable: Rule = (lab, out) => {
  const nets: [string, string, Path][] = [
    ['node network', lab.nodeNetwork.cidr, ['nodeNetwork', 'cidr']],
    ['pod network', lab.podCidr, ['podCidr']],
    ['service network', lab.serviceCidr, ['serviceCidr']],
    ...(lab.hosts.some((h) => h.network === 'external') ? [['external network', lab.externalNetwork.cidr, ['externalNetwork', 'cidr']] as [string, string, Path]] : []),
    ...(lab.loadBalancer?.pool !== undefined && lab.ipFamilies.includes('IPv4') ? [['load-balancer pool', lab.loadBalancer.pool, ['loadBalancer', 'pool']] as [string, string, Path]] : []),
  ];
  for (const [what, text, path] of nets) {
    const r = reservedRangeOf(text);
    if (r) out.push(diag('PL2053', path, `${what} ${text} overlaps ${r.range}, which is ${r.what}: no host network may use it`, 'Use a private range (RFC 1918), e.g. 10.244.0.0/16 for pods, 172.16.94.0/24 for nodes.'));
  }
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const ENV_NAME = /^[^=]+$/;

/**
 * Command lines and environments reach execve(2) as C strings: a NUL byte would cut the value
 * short (the kernel sees another program or variable than the lab says), so it is refused. An
 * environment name holds no '=' (it ends the name) and no control character (newlines make
 * `env` output and /proc/<pid>/environ ambiguous); values and arguments may hold newlines (a
 * script for `sh -c`).
 */
function commandAndEnvAreClean(argv: readonly string[] | undefined, env: Record<string, string>, at: Path, who: string, out: Diagnostic[]): void {
  argv?.forEach((a, i) => {
    if (a.includes('\0')) out.push(diag('PL2054', [...at, 'command', i], `${who}: argument ${i} holds a NUL byte, which no command line can carry`, 'Remove the \\0; pass binary data through a file.'));
  });
  for (const [k, v] of Object.entries(env)) {
    if (!k.length || !ENV_NAME.test(k) || CONTROL.test(k))
      out.push(diag('PL2054', [...at, 'env', k], `${who}: environment name ${JSON.stringify(k)} is not usable: a name is not empty and holds no '=', NUL, newline or other control character`, 'Use a name like MY_SETTING.'));
    if (v.includes('\0')) out.push(diag('PL2054', [...at, 'env', k], `${who}: the value of ${JSON.stringify(k)} holds a NUL byte, which no environment can carry`, 'Remove the \\0.'));
  }
}

export const commandsAreClean: Rule = (lab, out) => {
  const containers = (cs: LabContainer[], owner: Path, whose: string) =>
    cs.forEach((c, i) => commandAndEnvAreClean(c.command, c.env, [...owner, 'containers', i], `container "${c.name}" of ${whose}`, out));
  for (const p of lab.pods) containers(p.containers, ['pods', p.name], `pod "${p.name}"`);
  for (const h of lab.hosts) containers(h.containers, ['hosts', h.name], `host "${h.name}"`);
  const check = (c: LabCheck) => {
    if (c.kind === 'command') commandAndEnvAreClean(c.command.argv, {}, c.at, `check ${JSON.stringify(c.name)}`, out);
  };
  lab.checks.forEach(check);
  for (const sc of lab.scenarios)
    for (const st of sc.steps) {
      if (st.action?.action === 'exec') commandAndEnvAreClean(st.action.command, {}, [...st.path], `scenario "${sc.name}" step`, out);
      if (st.check) check(st.check);
    }
};

export const HOST_RULES: Rule[] = [namesAreNotReserved, derivedNamesFit, networksAreUsable, commandsAreClean];
