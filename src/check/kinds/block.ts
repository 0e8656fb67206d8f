/**
 * The block kind (Calico's block IPAM): a node holds a block iff it has the blackhole route Calico
 * installs for it (`ip -j route show type blackhole`, read in the node). `holds`: exactly these
 * blocks. `pod`: whether the pod's current address lies in a block of its own node (`borrowed:
 * false`) or in none of them, i.e. was borrowed from another node's block (`borrowed: true`).
 * IPv6 blocks (an IPv6 `holds`, a pod's IPv6 address, a node of an IPv6-only lab) are read from
 * `ip -j -6 route show type blackhole`: without -6 ip lists the IPv4 table only.
 */
import { diag } from '../../compile/diagnostics.ts';
import { contains, formatPrefix, parseAddr, parsePrefix } from '../../net/addr.ts';
import type { CalicoNode } from '../../cni/calico/index.ts';
import { resolveSource, type Peers } from './targets.ts';
import { asNode, requireCalico, requireFamily, requireNode } from './bgp.ts';
import { checkAt, clip, parseJsonArray, type Check, type CheckTarget, type ProbeKind, type Stage, type Stages } from './kind.ts';

export type BlockCheck<S extends Stage> = Check<
  S,
  'block',
  {
    from: Stages[S]['source'];
    holds?: string[];
    /** The pod as written; planned, the pod with its address (the runner puts in its current one). */
    to?: S extends 'lab' ? string : CheckTarget;
    borrowed: boolean;
    /** As written, the family asked for; planned, 'IPv6' when the blocks asked about are IPv6 ones (`family`, an IPv6 `holds`, a pod's IPv6 address, an IPv6-only node). */
    family?: S extends 'lab' ? 'IPv4' | 'IPv6' : 'IPv6';
  }
>;

/** Whether `addr` lies in `cidr`, in either family (false across families). */
const inside = (cidr: string, addr: string) => {
  const c = parsePrefix(cidr, false);
  const a = parseAddr(addr);
  return c !== undefined && a !== undefined && contains(c, a);
};

/** Whose planned block (IPv4 or IPv6) an address is in (the node that lent it), for the report. */
function ownerOf(peers: Peers, addr: string): string | undefined {
  const blocksOf = (cni: CalicoNode) => [...cni.blocks, ...(cni.ipv6?.blocks ?? [])];
  return peers.nodes.find((n) => n.cni.type === 'calico' && blocksOf(n.cni as unknown as CalicoNode).some((b) => inside(b, addr)))?.name;
}

export const block: ProbeKind<'block', BlockCheck<'lab'>, BlockCheck<'plan'>> = {
  kind: 'block',
  normalize: (c, index, at) => ({
    index,
    at,
    kind: 'block',
    timeoutMs: c.timeoutMs ?? 5000,
    from: asNode(c.from),
    ...(c.holds ? { holds: c.holds } : {}),
    ...(c.pod !== undefined ? { to: c.pod } : {}),
    borrowed: c.borrowed ?? true,
    ...(c.family ? { family: c.family } : {}),
    name:
      c.name ??
      (c.pod !== undefined
        ? `${c.pod}'s address is ${c.borrowed === false ? `from a block of ${c.from}` : `borrowed (in no block of ${c.from})`}`
        : `${c.from} holds ${c.holds?.join(', ') || 'no block'}`),
  }),
  validate(lab, c, out) {
    if (!requireCalico(lab, c, 'block', false, out)) return;
    if (!requireNode(lab, c, 'from', c.from, out)) return;
    requireFamily(lab, c, out);
    const at = checkAt(c);
    if ((c.holds === undefined) === (c.to === undefined))
      out.push(diag('PL2157', at('kind'), `check "${c.name}" needs exactly one of holds (the node's blocks) and pod (where a pod's address came from)`, "Write holds: ['10.244.0.0/26'] or pod: '<pod on that node>'."));
    const families = new Set<string>();
    for (const [i, b] of (c.holds ?? []).entries()) {
      const p = parsePrefix(b);
      if (!p) out.push(diag('PL2157', at('holds', i), `check "${c.name}": "${b}" is not a CIDR`, "Write a block such as '10.244.0.64/26', or an IPv6 one such as 'fd00:10:244::40/122'."));
      else if (families.add(p.family).size > 1)
        out.push(diag('PL2157', at('holds', i), `check "${c.name}": holds mixes IPv4 and IPv6 blocks`, 'A node keeps a blackhole per block in each family\'s table: write one check per family.'));
      else if (c.family === undefined && !(lab.ipFamilies ?? ['IPv4']).includes(p.family))
        out.push(diag('PL2186', at('holds', i), `check "${c.name}": "${b}" is an ${p.family} block, but the lab has no ${p.family}: its nodes hold no block of that family`, `Write ${(lab.ipFamilies ?? ['IPv4']).join(' or ')} blocks.`));
      else if (c.family !== undefined && p.family !== c.family)
        out.push(diag('PL2186', at('holds', i), `check "${c.name}": "${b}" is an ${p.family} block, but the check asks for family ${c.family}`, `Write ${c.family} blocks, or leave family out (holds says which family).`));
    }
    if (c.to !== undefined) {
      const pod = lab.pods.find((p) => p.name === c.to);
      if (!pod || pod.hostNetwork || `node/${pod.node}` !== c.from)
        out.push(
          diag('PL2157', at('pod'), `check "${c.name}": "${c.to}" is not ${pod ? (pod.hostNetwork ? 'a pod with an address of its own (hostNetwork)' : `on ${c.from} (it runs on node/${pod.node})`) : 'a pod of the lab'}`, `Name a pod that runs on ${c.from}.`),
        );
    }
  },
  plan: (c, peers) => {
    const pod = c.to !== undefined ? peers.pods.find((p) => p.name === c.to)! : undefined;
    const from = resolveSource(peers, c.from);
    const node = peers.nodes.find((n) => n.name === from.name)?.cni as unknown as CalicoNode | undefined;
    const v6 = c.family ? c.family === 'IPv6' : c.holds?.length ? c.holds[0]!.includes(':') : pod ? pod.ip.includes(':') : node?.ipv6?.only === true;
    // The pod's address of that family (dual stack: `family: 'IPv6'` asks where its IPv6 address came from).
    const podIp = pod && ((pod.ips ?? [pod.ip]).find((a) => a.includes(':') === v6) ?? pod.ip);
    return {
      index: c.index,
      name: c.name,
      kind: 'block',
      from,
      timeoutMs: c.timeoutMs,
      ...(c.holds ? { holds: c.holds.map((b) => formatPrefix(parsePrefix(b)!)) } : {}),
      ...(pod ? { to: { kind: 'pod' as const, name: pod.name, ip: podIp! } } : {}),
      borrowed: c.borrowed,
      ...(v6 ? { family: 'IPv6' as const } : {}),
    };
  },
  // `ip route` without -6 lists the IPv4 table only.
  probe: (c) => ['ip', '-j', ...(c.family === 'IPv6' ? ['-6'] : []), 'route', 'show', 'type', 'blackhole'],
  judge(plan, c, r) {
    const routes = r.exitCode === 0 ? parseJsonArray<{ dst?: string }>(r.stdout) : undefined;
    const expected = c.to ? `${c.to.name} (${c.to.ip}) ${c.borrowed ? 'in no block of' : 'in a block of'} ${c.from.name}` : `${c.from.name} holds exactly ${c.holds!.join(', ') || 'no block'}`;
    if (!routes) return { ok: false, expected, seen: `unreadable ip output: ${clip(r.stdout || r.stderr)}` };
    const held = routes.map((x) => x.dst ?? '').filter((d) => d.includes('/'));
    const heldText = held.length ? `${c.from.name} holds ${held.join(', ')}` : `${c.from.name} holds no block`;
    if (c.to) {
      const own = held.find((b) => inside(b, c.to!.ip));
      const lender = own ? undefined : ownerOf(plan, c.to.ip);
      return { ok: c.borrowed ? !own : own !== undefined, expected, seen: `${heldText}; ${c.to.ip} ${own ? `is in ${own}` : `is in none of them${lender ? ` (a block of ${lender})` : ''}`}` };
    }
    const want = new Set(c.holds);
    return { ok: held.length === want.size && held.every((b) => want.has(b)), expected, seen: heldText };
  },
};
