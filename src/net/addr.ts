/**
 * Addresses and prefixes of either family, for the dual-stack plan: parse, format (IPv6 in the
 * canonical text of RFC 5952, as glibc's inet_ntop writes it, so what podlab prints matches
 * `ip addr`), membership, overlap, slicing. Values are bigints so one type holds both families.
 * Pure. The IPv4-only arithmetic of the current plan stays in ipv4.ts until the plan moves here.
 */
import { parseIp as parseIPv4, formatIp as formatIPv4 } from './ipv4.ts';

export type Family = 'IPv4' | 'IPv6';

/** An address's family from its text (a ':' is IPv6's), without parsing it. */
export const familyOfText = (text: string): Family => (text.includes(':') ? 'IPv6' : 'IPv4');

/** `addr:port`, an IPv6 address bracketed (`[fd00::2]:8080`), as URLs, `ss` and conntrack users write it; the address alone without a port. */
export const hostPort = (ip: string, port: number | string | undefined): string => (port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export interface Addr {
  family: Family;
  value: bigint;
}

export interface Prefix {
  family: Family;
  /** The network address (host bits cleared). */
  network: bigint;
  bits: number;
}

/** Address width of a family, in bits. */
export const widthOf = (f: Family): number => (f === 'IPv4' ? 32 : 128);

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIPv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // A dotted IPv4 address may only end the text (::ffff:10.0.0.1); it stands for two groups.
  const end = halves.length === 2 ? tail : head;
  let v4: number | undefined;
  if (end.length && end[end.length - 1]!.includes('.')) {
    v4 = parseIPv4(end.pop()!);
    if (v4 === undefined) return undefined;
  }
  if (!head.every((g) => HEXTET.test(g)) || !tail.every((g) => HEXTET.test(g))) return undefined;
  const words = [...head, ...tail].map((g) => parseInt(g, 16));
  const count = words.length + (v4 !== undefined ? 2 : 0);
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const all = [...head.map((g) => parseInt(g, 16)), ...Array(8 - count).fill(0), ...tail.map((g) => parseInt(g, 16))];
  if (v4 !== undefined) all.push(Math.floor(v4 / 65536), v4 % 65536);
  return all.reduce((acc: bigint, w: number) => (acc << 16n) | BigInt(w), 0n);
}

function formatIPv6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(16 * (7 - i))) & 0xffffn));
  // The longest run of two or more zero groups (the first on a tie) becomes '::'.
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { base: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  // ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 address dotted, as inet_ntop writes them.
  if (best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff)))
    return `::${best.len === 5 ? 'ffff:' : ''}${formatIPv4(words[6]! * 65536 + words[7]!)}`;
  const hex = words.map((w) => w.toString(16));
  if (best.base < 0) return hex.join(':');
  return `${hex.slice(0, best.base).join(':')}::${hex.slice(best.base + best.len).join(':')}`;
}

/** An IPv4 or IPv6 address in text; zone suffixes (`fe80::1%eth0`) are not addresses here. */
export function parseAddr(text: string): Addr | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 'IPv4', value: BigInt(v4) };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 'IPv6', value: v6 };
}

export function formatAddr(a: Addr): string {
  return a.family === 'IPv4' ? formatIPv4(Number(a.value)) : formatIPv6(a.value);
}

/** The mask of a prefix length in a family. */
export function maskOf(family: Family, bits: number): bigint {
  const w = widthOf(family);
  return bits === 0 ? 0n : ((1n << BigInt(w)) - 1n) ^ ((1n << BigInt(w - bits)) - 1n);
}

/** Parses `address/bits`. `strict` rejects host bits set (10.0.0.1/24, 2001:db8::1/64). */
export function parsePrefix(text: string, strict = true): Prefix | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const a = parseAddr(m[1]!);
  const bits = Number(m[2]);
  if (!a || bits > widthOf(a.family) || (m[2]!.length > 1 && m[2]!.startsWith('0'))) return undefined;
  const network = a.value & maskOf(a.family, bits);
  if (strict && network !== a.value) return undefined;
  return { family: a.family, network, bits };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr({ family: p.family, value: p.network })}/${p.bits}`;
}

/** How many addresses a prefix holds. */
export const sizeOf = (p: Prefix): bigint => 1n << BigInt(widthOf(p.family) - p.bits);

export function contains(p: Prefix, a: Addr): boolean {
  return p.family === a.family && (a.value & maskOf(p.family, p.bits)) === p.network;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const m = maskOf(a.family, Math.min(a.bits, b.bits));
  return (a.network & m) === (b.network & m);
}

/** The i-th subnet of length `bits` inside `parent` (i from 0); undefined when it does not fit. */
export function subnet(parent: Prefix, bits: number, i: number | bigint): Prefix | undefined {
  const n = BigInt(i);
  if (bits < parent.bits || bits > widthOf(parent.family) || n < 0n || n >= 1n << BigInt(bits - parent.bits)) return undefined;
  return { family: parent.family, network: parent.network + n * (1n << BigInt(widthOf(parent.family) - bits)), bits };
}

/** The i-th address of a prefix (0 is the network address); undefined past its end. */
export function nth(p: Prefix, i: number | bigint): Addr | undefined {
  const n = BigInt(i);
  return n < 0n || n >= sizeOf(p) ? undefined : { family: p.family, value: p.network + n };
}
