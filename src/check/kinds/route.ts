/**
 * The route kind: a route in the source's routing table (`ip -j route`). A CIDR names an exact
 * route; an address asks the kernel which route it would take; `node/<name>` is that node's pod
 * CIDR, and a `node/<name>` next hop that node's address.
 */
import { diag } from '../../compile/diagnostics.ts';
import * as ip from '../../net/ipv4.ts';
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
    route: { via: c.via, dev: c.dev, ...(c.proto ? { proto: c.proto } : {}), ...(c.type ? { type: c.type } : {}), absent: c.absent ?? false },
    name: c.name ?? `${c.from} has ${c.absent ? 'no ' : ''}${c.type && c.type !== 'unicast' ? `${c.type} ` : ''}route to ${c.to}${c.via ? ` via ${c.via}` : ''}${c.dev ? ` dev ${c.dev}` : ''}${c.proto ? ` proto ${c.proto}` : ''}`,
  }),
  /** A destination and next hop that mean something. */
  validate(lab, c, out) {
    const at = checkAt(c);
    const nodeRef = (r: string) => r.startsWith('node/') && lab.nodes.some((n) => `node/${n.name}` === r);
    if (!nodeRef(c.to) && !ip.parseCidr(c.to) && ip.parseIp(c.to) === undefined)
      out.push(diag('PL2012', at('to'), `check "${c.name}": route destination "${c.to}" is not a CIDR, an IPv4 address or node/<name>`, "node/<name> stands for that node's pod CIDR."));
    const via = c.route.via;
    if (via !== undefined && !nodeRef(via) && ip.parseIp(via) === undefined) out.push(diag('PL2012', at('via'), `check "${c.name}": next hop "${via}" is not an IPv4 address or node/<name>`));
  },
  plan: (c, peers) => ({
    index: c.index,
    name: c.name,
    kind: 'route',
    from: resolveSource(peers, c.from),
    to: routeDestination(peers, c.to),
    timeoutMs: c.timeoutMs,
    route: { ...c.route, via: c.route.via?.startsWith('node/') ? peers.nodes.find((n) => `node/${n.name}` === c.route.via)?.ip : c.route.via },
  }),
  // A CIDR names an exact route; an address asks the kernel which route it would take.
  probe: (c) => (c.to.ip.includes('/') ? ['ip', '-j', 'route', 'show', 'exact', c.to.ip] : ['ip', '-j', 'route', 'get', c.to.ip]),
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

/** A route check's destination: `node/<name>` is that node's pod CIDR; a CIDR or an address as written. */
function routeDestination(peers: Peers, ref: string): CheckTarget {
  const node = ref.startsWith('node/') ? peers.nodes.find((n) => `node/${n.name}` === ref) : undefined;
  return { kind: 'ip', name: ref, ip: node ? node.podCidr : ref };
}
