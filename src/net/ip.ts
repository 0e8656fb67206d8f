/**
 * Address text checks for the DNS server and the Corefile rules: is this text an IPv4 or an IPv6
 * address? node:net's isIPv6 compiles a large regular expression on first use, about 5 ms of the
 * DNS server's start-up (measured with --cpu-prof); these are plain parsers. Zone suffixes
 * (`fe80::1%eth0`) are not addresses here, as for Go's net.ParseIP, which CoreDNS uses.
 */
import { parseIp } from './ipv4.ts';

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

export function isIPv4(text: string): boolean {
  return parseIp(text) !== undefined;
}

export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // Dotted IPv4 may only end the address (::ffff:10.0.0.1); it counts as two groups.
  const end = halves.length === 2 ? tail : head;
  let count = head.length + tail.length;
  if (end.length && end[end.length - 1]!.includes('.')) {
    if (!isIPv4(end.pop()!)) return false;
    count += 1;
  }
  if (!head.every((g) => HEXTET.test(g)) || !tail.every((g) => HEXTET.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** 4, 6, or 0 when `text` is not an address (node:net's isIP, without its regular expressions). */
export function isIP(text: string): 0 | 4 | 6 {
  return isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0;
}
