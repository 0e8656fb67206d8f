/**
 * The value grammar Corefile arguments share: zone names (with CoreDNS's reverse-CIDR shorthand),
 * IP addresses, `host:port` listen addresses, Go-style durations and integers, and the
 * "did you mean" helper. Pure functions, no issue reporting: each returns a value or a reason,
 * and the caller (parse.ts for server keys, check.ts for arguments) turns the reason
 * into a coded issue at the right token.
 *
 * Kept free of imports from src/compile (which pulls in @babel/code-frame): the DNS server is
 * bundled on its own with esbuild, so the edit distance below is a deliberate second copy.
 */
import { isIP, isIPv4, isIPv6 } from '../../net/ip.ts';
import { parseIp } from '../../net/ipv4.ts';
import { editDistance } from '../../lib/edit-distance.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(reason: string): Result<T> => ({ ok: false, reason });

// ── Domain names ──────────────────────────────────────────────────────────────────────────────

/** Lower case with the trailing dot: `Example.ORG` → `example.org.`; `.` stays `.`. */
export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/**
 * Why `name` is not a usable domain name, or undefined when it is. Stricter than miekg/dns's
 * IsDomainName (which accepts almost any byte): a character outside letters, digits, `-`, `_`
 * and `*` in a zone is in practice a typo (a stray comma, brace or colon), so podlab says so.
 */
export function domainProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '.') return undefined;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length > 253) return `it is ${bare.length} characters long; a domain name has at most 253`;
  for (const label of bare.split('.')) {
    if (label === '') return 'it has an empty label (two dots in a row, or a leading dot)';
    if (label.length > 63) return `its label "${label.slice(0, 20)}…" is ${label.length} characters long; a label has at most 63`;
    const bad = /[^A-Za-z0-9_*-]/.exec(label);
    if (bad) return `it contains ${JSON.stringify(bad[0])}, which does not belong in a domain name`;
  }
  return undefined;
}

/** True when `name` equals `zone` or lies below it (both FQDNs). */
export function isInZone(name: string, zone: string): boolean {
  if (zone === '.') return true;
  return name === zone || name.endsWith(`.${zone}`);
}

// ── IP addresses and reverse zones ────────────────────────────────────────────────────────────

/** Address text as a Corefile takes it: IPv6 without a zone index (`fe80::1%eth0` means nothing there). */
export { isIPv4 as isIPv4Address, isIPv6 as isIPv6Address };

export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}

/** The 32 hex nibbles of an IPv6 address, most significant first. */
function ipv6Nibbles(text: string): number[] {
  let head = text;
  let v4words: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 tail (`::ffff:10.0.0.1`) is the last two 16-bit words.
    const v4 = parseIp(text.slice(lastColon + 1))!;
    v4words = [Math.floor(v4 / 65536), v4 % 65536];
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const words = (s: string) => s.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16));
  let all: number[];
  if (head.includes('::')) {
    const [left, right] = head.split('::') as [string, string];
    const l = words(left);
    const r = [...words(right), ...v4words];
    all = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  } else {
    all = [...words(head), ...v4words];
  }
  return all.flatMap((w) => [(w >> 12) & 15, (w >> 8) & 15, (w >> 4) & 15, w & 15]);
}

/**
 * The reverse zones a CIDR stands for, as CoreDNS computes them (plugin/pkg/cidr Split): on an
 * octet (IPv4) or nibble (IPv6) boundary one zone, e.g. `10.0.0.0/24` → `0.0.10.in-addr.arpa.`;
 * otherwise the network is split at the next longer boundary, e.g. `10.0.0.0/23` →
 * `0.0.10.in-addr.arpa.` and `1.0.10.in-addr.arpa.`. Host bits set are cleared, as Go's
 * net.ParseCIDR does. Undefined when `text` is not a CIDR at all.
 */
export function reverseZones(text: string): Result<{ zones: string[]; hostBitsSet: boolean }> | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const [, addr, prefixText] = m as unknown as [string, string, string];
  const prefix = Number(prefixText);
  if (isIPv4(addr)) {
    if (prefix > 32) return fail(`the prefix /${prefix} is longer than 32`);
    const ip = parseIp(addr)!;
    const bytes = [24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256);
    const boundary = Math.ceil(prefix / 8) * 8;
    const keep = boundary / 8;
    const zones: string[] = [];
    const networkBits = bitsOf(bytes, 8, prefix);
    for (let i = 0; i < 2 ** (boundary - prefix); i++) {
      const bits = addBits(networkBits, boundary, i);
      const labels = groupBits(bits, 8).slice(0, keep).reverse();
      zones.push([...labels, 'in-addr', 'arpa', ''].join('.'));
    }
    return ok({ zones, hostBitsSet: bitsOf(bytes, 8, 32).join('') !== networkBits.join('').padEnd(32, '0') });
  }
  if (isIPv6(addr)) {
    if (prefix > 128) return fail(`the prefix /${prefix} is longer than 128`);
    const nibbles = ipv6Nibbles(addr);
    const boundary = Math.ceil(prefix / 4) * 4;
    const keep = boundary / 4;
    const zones: string[] = [];
    const networkBits = bitsOf(nibbles, 4, prefix);
    for (let i = 0; i < 2 ** (boundary - prefix); i++) {
      const bits = addBits(networkBits, boundary, i);
      const labels = groupBits(bits, 4).slice(0, keep).map((n) => n.toString(16)).reverse();
      zones.push([...labels, 'ip6', 'arpa', ''].join('.'));
    }
    return ok({ zones, hostBitsSet: bitsOf(nibbles, 4, 128).join('') !== networkBits.join('').padEnd(128, '0') });
  }
  return fail(`"${addr}" is not an IPv4 or IPv6 address`);
}

/** The first `count` bits of a big-endian sequence of `width`-bit groups. */
function bitsOf(groups: number[], width: number, count: number): number[] {
  const bits = groups.flatMap((g) => Array.from({ length: width }, (_, i) => (g >> (width - 1 - i)) & 1));
  return bits.slice(0, count);
}

/** `prefixBits` padded to `length` bits, with `i` written into the bits after the prefix. */
function addBits(prefixBits: number[], length: number, i: number): number[] {
  const extra = length - prefixBits.length;
  const tail = Array.from({ length: extra }, (_, k) => (i >> (extra - 1 - k)) & 1);
  return [...prefixBits, ...tail];
}

function groupBits(bits: number[], width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + width <= bits.length; i += width) out.push(bits.slice(i, i + width).reduce((a, b) => a * 2 + b, 0));
  return out;
}

/**
 * A zone argument as plugins take them (CoreDNS's plugin.Host(..).Normalize()): a domain name,
 * or a CIDR standing for its reverse zones. Ports are not allowed here.
 */
export function zoneArgument(text: string): Result<string[]> {
  const rev = reverseZones(text);
  if (rev) return rev.ok ? ok(rev.value.zones) : fail(rev.reason);
  if (/:\d+$/.test(text)) return fail('a zone argument takes no port');
  const problem = domainProblem(text);
  return problem ? fail(problem) : ok([fqdn(text)]);
}

// ── Listen addresses ──────────────────────────────────────────────────────────────────────────

/** `host:port`, `:port` or `[v6]:port`, as Go's net.SplitHostPort reads them (port required). */
export function hostPort(text: string): Result<{ host: string; port: number }> {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(text);
    if (!m) return fail('an IPv6 address in brackets needs a port after it, e.g. [::1]:8080');
    [host, portText] = [m[1]!, m[2]!];
    if (!isIPv6(host)) return fail(`"${host}" is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return fail('the port is missing (write HOST:PORT or :PORT)');
    [host, portText] = [text.slice(0, colon), text.slice(colon + 1)];
    if (host.includes(':')) return fail('an IPv6 address must be written in brackets, e.g. [::1]:8080');
    if (host !== '' && !isIPv4(host) && domainProblem(host)) return fail(`"${host}" is not an IP address or host name`);
  }
  const port = portNumber(portText);
  if (port === undefined) return fail(`"${portText}" is not a port number (1-65535)`);
  return ok({ host, port });
}

export function portNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

// ── Numbers and durations ─────────────────────────────────────────────────────────────────────

/** An integer as Go's strconv.Atoi reads it (optional sign, decimal digits). */
export function integer(text: string): number | undefined {
  return /^[+-]?\d{1,15}$/.test(text) ? Number(text) : undefined;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration (time.ParseDuration) in milliseconds: `500ms`, `5s`, `1m30s`, `1.5h`, `0`.
 * Undefined when it does not parse; negative values parse (callers decide).
 */
export function duration(text: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(text)!;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!;
  if (body === '0') return 0;
  if (body === '') return undefined;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    part.lastIndex = at;
    const p = part.exec(body);
    if (!p) return undefined;
    total += Number(p[1]) * UNIT_MS[p[2]!]!;
    at = part.lastIndex;
  }
  return sign * total;
}

/** Why a duration did not parse, in Go's terms, for the message. */
export function durationProblem(text: string): string {
  if (/^[+-]?\d+(\.\d*)?$/.test(text)) return `"${text}" has no unit; write e.g. ${text}s`;
  return `"${text}" is not a duration; write a number with a unit: ms, s, m or h (e.g. 500ms, 5s, 1m)`;
}

/** Milliseconds as a Go duration string for messages: 1500 → `1.5s`, 60000 → `1m0s` is written `1m`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

// ── Did you mean ──────────────────────────────────────────────────────────────────────────────

/** The candidate nearest to `word` within edit distance 2 (case-insensitive), if any. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && c < best)) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(1, Math.min(2, Math.floor(w.length / 2))) ? best : undefined;
}


/** `did you mean "x"?` or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const n = nearest(word, candidates);
  return n && n !== word ? `Did you mean "${n}"?` : undefined;
}
