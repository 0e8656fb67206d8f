/**
 * Pure IPv4 arithmetic for the planner and the validation rules: parse, format, CIDR membership,
 * overlap and subnet slicing. No I/O. IPv4 only for now; dual stack is a later step.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit number (host bits cleared). */
  network: number;
  prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIp(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`. `strict` rejects host bits set (e.g. 10.0.0.1/24). */
export function parseCidr(text: string, strict = true): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const network = (ip & maskOf(prefix)) >>> 0;
  if (strict && network !== ip) return undefined;
  return { network, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.network;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.network & maskOf(p)) >>> 0) === ((b.network & maskOf(p)) >>> 0);
}

/** The i-th subnet of length `prefix` inside `parent` (i from 0). */
export function subnet(parent: Cidr, prefix: number, i: number): Cidr {
  return { network: parent.network + i * 2 ** (32 - prefix), prefix };
}

/** The i-th address of a CIDR (0 is the network address). */
export function nth(c: Cidr, i: number): number {
  return c.network + i;
}

export function isNetworkOrBroadcast(c: Cidr, ip: number): boolean {
  return c.prefix < 31 && (ip === c.network || ip === c.network + size(c) - 1);
}
