/**
 * What the middleware plugins (rewrite, cache, loadbalance, hosts, template, log, errors) share:
 * name normalisation between the two spellings of a name, zone matching, the few canned
 * responses, CoreDNS's classification of a response, and reverse-name parsing.
 *
 * Two spellings of a name: `req.qname` and the zones of a config are lower case WITH the
 * trailing dot (`web.default.svc.cluster.local.`); names inside dns-packet objects carry no
 * trailing dot (`web.default.svc.cluster.local`, the root is `.`). `fqdn()` goes one way,
 * `wireName()` the other; comparisons are always made on the fqdn form.
 */
import { isIPv4, isIPv6 } from '../net/ip.ts';
import * as packet from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import type { DnsResponse, Fallthrough } from './types.ts';

/** Lower case, fully qualified (trailing dot); the root is `.`. */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** The dns-packet spelling of a name: no trailing dot, the root as `.`. Case is kept. */
export function wireName(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** True when `name` is `zone` or below it (CoreDNS's plugin.Name.Matches); both in either spelling. */
export function isSubdomain(name: string, zone: string): boolean {
  const n = fqdn(name);
  const z = fqdn(zone);
  return z === '.' || n === z || n.endsWith(`.${z}`);
}

/** The longest of `zones` that contains `name` (CoreDNS's plugin.Zones.Matches), or undefined. */
export function matchZone(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) {
    if (isSubdomain(name, z) && (best === undefined || fqdn(z).length > best.length)) best = fqdn(z);
  }
  return best;
}

/** CoreDNS's fall.F.Through: absent → never, `fallthrough` alone ([]) → always, else only in the listed zones. */
export function fallsThrough(fall: Fallthrough, name: string): boolean {
  if (fall === undefined) return false;
  if (fall.length === 0) return true;
  return matchZone(name, fall) !== undefined;
}

/**
 * miekg/dns's IsDomainName, as CoreDNS's rewrite checks a rewritten name: no empty label, labels of
 * at most 63 octets, the whole name at most 255 octets on the wire.
 */
export function isDomainName(name: string): boolean {
  if (name === '.') return true;
  const labels = wireName(name).split('.');
  if (labels.some((l) => l.length === 0 || l.length > 63)) return false;
  return labels.reduce((n, l) => n + l.length + 1, 1) <= 255;
}

/** A CoreDNS (Go RE2) pattern as a JavaScript RegExp: Go's named groups `(?P<x>…)` are JavaScript's `(?<x>…)`. */
export function jsRegExp(source: string): RegExp {
  return new RegExp(source.replace(/\(\?P</g, '(?<'));
}

// ── Canned responses ─────────────────────────────────────────────────────────────────────────

export function response(rcode: DnsResponse['rcode'], aa: boolean, answers: Answer[] = [], authorities: Answer[] = []): DnsResponse {
  return { rcode, aa, answers, authorities, additionals: [] };
}

/** Name does not exist; with the zone's SOA in the authority section when there is one (RFC 2308). */
export function nxdomain(soa?: Answer, aa = true): DnsResponse {
  return response('NXDOMAIN', aa, [], soa ? [soa] : []);
}

/** Name exists, not with this type: NOERROR and no answer (RFC 2308 NODATA). */
export function nodata(soa?: Answer, aa = true): DnsResponse {
  return response('NOERROR', aa, [], soa ? [soa] : []);
}

/** What a plugin "returns" when CoreDNS would return SERVFAIL without writing a message. */
export function servfail(): DnsResponse {
  return response('SERVFAIL', false);
}

/** A copy of a record that can be changed without touching the original (data objects copied one level). */
export function copyRecord(r: Answer): Answer {
  const data = (r as { data?: unknown }).data;
  if (data && typeof data === 'object' && !Array.isArray(data) && !Buffer.isBuffer(data)) {
    return { ...r, data: { ...(data as object) } } as Answer;
  }
  return { ...r } as Answer;
}

export function copyResponse(res: DnsResponse): DnsResponse {
  return {
    ...res,
    answers: res.answers.map(copyRecord),
    authorities: res.authorities.map(copyRecord),
    additionals: res.additionals.map(copyRecord),
  };
}

// ── Request header bits ─────────────────────────────────────────────────────────────────────

/** The query's EDNS0 DO (DNSSEC OK) bit. */
export function dnssecOk(msg: Packet): boolean {
  const opt = msg.additionals?.find((a) => a.type === 'OPT') as { flags?: number; flag_do?: boolean } | undefined;
  return opt !== undefined && (opt.flag_do === true || ((opt.flags ?? 0) & packet.DNSSEC_OK) !== 0);
}

export function hasFlag(msg: Packet, flag: number): boolean {
  return ((msg.flags ?? 0) & flag) !== 0;
}

// ── CoreDNS's response classification (plugin/pkg/response) ──────────────────────────────────

export type ResponseType = 'NOERROR' | 'NXDOMAIN' | 'NODATA' | 'DELEGATION' | 'SERVERERROR' | 'META' | 'OTHERERROR';

/** response.Typify for a response to a question of type `qtype` (podlab never sees UPDATE/NOTIFY, nor signatures). */
export function typify(res: DnsResponse, qtype: string): ResponseType {
  if (qtype === 'AXFR' || qtype === 'IXFR') return 'META';
  const ok = res.rcode === 'NOERROR';
  // Any answer is NOERROR, a CNAME alone too (a chain cut short): its TTL is then the message's,
  // which `cache` gives every record it passes on (CoreDNS; see answersQuestion for storing it).
  if (res.answers.length > 0 && ok) return 'NOERROR';
  const soa = res.authorities.some((r) => r.type === 'SOA');
  const ns = res.authorities.some((r) => r.type === 'NS');
  if (soa && ok) return 'NODATA';
  if (soa && res.rcode === 'NXDOMAIN') return 'NXDOMAIN';
  if (res.rcode === 'SERVFAIL' || res.rcode === 'NOTIMP') return 'SERVERERROR';
  if (ns && ok) return 'DELEGATION';
  if (ok) return 'NOERROR';
  return 'OTHERERROR';
}

/**
 * Whether a NOERROR response with answers holds a record of the type asked at the end of its
 * CNAME chain (CoreDNS's cache, isNODATA since coredns/coredns#8232): one that does not, e.g. a
 * CNAME whose target did not resolve, is a negative answer without SOA, which RFC 2308 §5 says
 * not to cache. A CNAME or ANY question is answered by any record.
 */
export function answersQuestion(res: DnsResponse, qname: string, qtype: string): boolean {
  if (res.answers.length === 0 || qtype === 'ANY') return true;
  const lower = (n: string) => n.toLowerCase().replace(/\.$/, '');
  let name = lower(qname);
  if (qtype !== 'CNAME') {
    const seen = new Set<string>();
    for (;;) {
      if (seen.has(name)) return false;
      seen.add(name);
      const targets = new Set(res.answers.flatMap((r) => (r.type === 'CNAME' && lower(r.name) === name ? [lower(r.data)] : [])));
      if (targets.size > 1) return false;
      const [target] = targets;
      if (target === undefined) break;
      name = target;
    }
  }
  return res.answers.some((r) => r.type === qtype && lower(r.name) === name);
}

export type ResponseClass = 'success' | 'denial' | 'error';

/** response.Classify: what the `log` plugin's `class` filter looks at. */
export function classify(t: ResponseType): ResponseClass {
  if (t === 'NOERROR' || t === 'DELEGATION') return 'success';
  if (t === 'NXDOMAIN' || t === 'NODATA') return 'denial';
  return 'error';
}

// ── Addresses ───────────────────────────────────────────────────────────────────────────────

/**
 * One spelling per address so a reverse lookup finds what a hosts line wrote: IPv4 dotted quad,
 * IPv6 as eight 4-digit lower-case groups; an IPv4-mapped IPv6 address is its IPv4 address (as Go's
 * To4 treats it). Undefined when not an address; an IPv6 zone (`%eth0`) is dropped.
 */
export function canonicalIp(text: string): string | undefined {
  const ip = text.replace(/%.*$/, '');
  if (isIPv4(ip)) return ip.split('.').map((o) => String(Number(o))).join('.');
  if (!isIPv6(ip)) return undefined;
  let s = ip.toLowerCase();
  // An embedded dotted quad (`::ffff:10.0.0.1`) becomes its two hex groups first.
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m) {
    const [a, b, c, d] = m.slice(2).map(Number) as [number, number, number, number];
    s = `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const split = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const [left, right] = s.split('::');
  const l = split(left);
  const r = split(right);
  const hex = s.includes('::') ? [...l, ...new Array<string>(8 - l.length - r.length).fill('0'), ...r] : l;
  const groups = hex.map((g) => parseInt(g, 16));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
}

/** The address a reverse name (`4.3.2.1.in-addr.arpa.`, 32 nibbles `.ip6.arpa.`) stands for, canonical; undefined otherwise. */
export function addressFromReverse(name: string): string | undefined {
  const n = fqdn(name);
  if (n.endsWith('.in-addr.arpa.')) {
    const labels = n.slice(0, -'.in-addr.arpa.'.length).split('.');
    if (labels.length !== 4 || !labels.every((l) => /^\d{1,3}$/.test(l))) return undefined;
    return canonicalIp(labels.reverse().join('.'));
  }
  if (n.endsWith('.ip6.arpa.')) {
    const labels = n.slice(0, -'.ip6.arpa.'.length).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    const hex = labels.reverse().join('');
    return canonicalIp(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

/** Go's net.ParseIP-based family test: 4 or 6 for an address (v4-mapped counts as 4), 0 otherwise. */
export function ipFamily(text: string): 0 | 4 | 6 {
  const c = canonicalIp(text);
  if (c === undefined) return 0;
  return c.includes(':') ? 6 : 4;
}
