/**
 * The route kind: a route in the source's routing table (`ip -j route`, `ip -j -6 route` for an
 * IPv6 destination). A CIDR names an exact route; an address asks the kernel which route it would
 * take; `node/<name>` is that node's pod CIDR (of the check's `family`), and a `node/<name>` next
 * hop that node's address in the destination's family.
 */
import { diag } from '../../compile/diagnostics.ts';
import { parseAddr, parsePrefix, type Family } from '../../net/addr.ts';
import { resolveSource, type Peers } from './targets.ts';
import { checkAt, clip, parseJsonArray, type Check, type CheckTarget, type ProbeKind, type Stage, type Stages } from './kind.ts';

export type RouteCheck<S extends Stage> = Check<
  S,
  'route',
  {
    from: Stages[S]['source'];
    /** The destination; planned, `ip` is the CIDR or address asked about. */
    to: Stages[S]['target'];
    /** `via` as written (an address or node/<name>); planned, an address. */
    route: { via?: string; dev?: string; proto?: string; type?: string; absent: boolean };
    /** As written: the family of a `node/<name>` destination's pod CIDR. */
    family?: Family;
  }
>;

interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  /** `ip -j` leaves it out for unicast routes. */
  type?: string;
  protocol?: string;
}

export const route: ProbeKind<'route', RouteCheck<'lab'>, RouteCheck<'plan'>> = {
  kind: 'route',
  normalize: (c, index, at) => ({
    index,
    at,
    kind: 'route',
    timeoutMs: c.timeoutMs ?? 5000,
    from: c.from,
    to: c.to,
    ...(c.family ? { family: c.family } : {}),
    route: { via: c.via, dev: c.dev, ...(c.proto ? { proto: c.proto } : {}), ...(c.type ? { type: c.type } : {}), absent: c.absent ?? false },
    name: c.name ?? `${c.from} has ${c.absent ? 'no ' : ''}${c.type && c.type !== 'unicast' ? `${c.type} ` : ''}route to ${c.to}${c.via ? ` via ${c.via}` : ''}${c.dev ? ` dev ${c.dev}` : ''}${c.proto ? ` proto ${c.proto}` : ''}`,
  }),
  /** A destination and next hop that mean something. */
  validate(lab, c, out) {
    const at = checkAt(c);
    const nodeRef = (r: string) => r.startsWith('node/') && lab.nodes.some((n) => `node/${n.name}` === r);
    const literal = literalFamily(c.to);
    if (!nodeRef(c.to) && !literal)
      out.push(diag('PL2012', at('to'), `check "${c.name}": route destination "${c.to}" is not a CIDR, an IPv4 or IPv6 address or node/<name>`, "node/<name> stands for that node's pod CIDR."));
    const via = c.route.via;
    const viaFamily = via === undefined ? undefined : parseAddr(via)?.family;
    if (via !== undefined && !nodeRef(via) && !viaFamily) out.push(diag('PL2012', at('via'), `check "${c.name}": next hop "${via}" is not an IPv4 or IPv6 address or node/<name>`));
    if (c.family && lab.ipFamilies && !lab.ipFamilies.includes(c.family))
      out.push(diag('PL2404', at('family'), `check "${c.name}" asks for an ${c.family} route, but the lab is ${lab.ipFamilies.join('-')}-only`, "Add ipFamilies: ['IPv4', 'IPv6'] to the lab for dual stack."));
    else if (c.family && literal && literal !== c.family)
      out.push(diag('PL2412', at('family'), `check "${c.name}" asks for an ${c.family} route, but its destination ${c.to} is ${literal}`, 'Leave family out (an address or CIDR has its own), or write a destination of that family.'));
    const toFamily = literal ?? c.family;
    if (toFamily && viaFamily && viaFamily !== toFamily)
      out.push(diag('PL2413', at('via'), `check "${c.name}": next hop ${via} is ${viaFamily}, but the destination ${c.to} is ${toFamily}`, 'A route leads to a next hop of its own family; write node/<name> to mean that node’s address of the destination’s family.'));
  },
  plan: (c, peers) => {
    const to = routeDestination(peers, c.to, c.family);
    const v6 = to.ip.includes(':');
    const viaNode = c.route.via?.startsWith('node/') ? peers.nodes.find((n) => `node/${n.name}` === c.route.via) : undefined;
    const via = viaNode ? ((viaNode.ips ?? [viaNode.ip]).find((a) => a.includes(':') === v6) ?? viaNode.ip) : c.route.via;
    return { index: c.index, name: c.name, kind: 'route', from: resolveSource(peers, c.from), to, timeoutMs: c.timeoutMs, route: { ...c.route, via } };
  },
  // A CIDR names an exact route; an address asks the kernel which route it would take. `ip route
  // show` lists the IPv4 table unless told otherwise: an IPv6 destination asks with -6.
  probe: (c) => ['ip', '-j', ...(c.to.ip.includes(':') ? ['-6'] : []), 'route', ...(c.to.ip.includes('/') ? ['show', 'exact', c.to.ip] : ['get', c.to.ip])],
  judge(_plan, check, r) {
    const want = check.route;
    const dst = check.to.ip;
    const kindOf = (x: IpRoute) => x.type ?? 'unicast';
    const expected = `${want.absent ? 'no ' : ''}${want.type && want.type !== 'unicast' ? `${want.type} ` : ''}route to ${dst}${want.via ? ` via ${want.via}` : ''}${want.dev ? ` dev ${want.dev}` : ''}${want.proto ? ` proto ${want.proto}` : ''}`;
    // `ip route get` to an unreachable address exits non-zero: that is "no route", not a broken probe.
    const routes = r.exitCode === 0 ? parseJsonArray<IpRoute>(r.stdout) : [];
    if (!routes) return { ok: false, expected, seen: `unreadable ip output: ${clip(r.stdout || r.stderr)}` };
    // Shown as `ip route` prints it, the type and protocol only when the check asks about them (older reports stay as they were).
    const show = (x: IpRoute) =>
      `${want.type && kindOf(x) !== 'unicast' ? `${kindOf(x)} ` : ''}${x.dst ?? dst}${x.gateway ? ` via ${x.gateway}` : ''}${x.dev ? ` dev ${x.dev}` : ''}${want.proto && x.protocol ? ` proto ${x.protocol}` : ''}`;
    const matching = routes.filter(
      (x) => (!want.via || x.gateway === want.via) && (!want.dev || x.dev === want.dev) && (!want.proto || x.protocol === want.proto) && (!want.type || kindOf(x) === want.type),
    );
    const seen = routes.length ? routes.map(show).join('; ') : `no route${r.exitCode ? ` (${clip(r.stderr.trim())})` : ''}`;
    return { ok: want.absent ? matching.length === 0 : matching.length > 0, expected, seen };
  },
};

/** The family of a destination written as an address or CIDR. */
function literalFamily(text: string): Family | undefined {
  return (text.includes('/') ? parsePrefix(text)?.family : parseAddr(text)?.family) ?? undefined;
}

/** A route check's destination: `node/<name>` is that node's pod CIDR of `family` (else its primary one); a CIDR or an address as written. */
function routeDestination(peers: Peers, ref: string, family?: Family): CheckTarget {
  const node = ref.startsWith('node/') ? peers.nodes.find((n) => `node/${n.name}` === ref) : undefined;
  const cidrs = node ? (node.podCidrs ?? [node.podCidr]) : [];
  const cidr = node && ((family && cidrs.find((c) => c.includes(':') === (family === 'IPv6'))) ?? node.podCidr);
  return { kind: 'ip', name: ref, ip: cidr ?? ref };
}
