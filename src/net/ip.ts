/**
 * Address text checks for the DNS server and the Corefile rules: is this text an IPv4 or an IPv6
 * address? node:net's isIPv6 compiles a large regular expression on first use, about 5 ms of the
 * DNS server's start-up (measured with --cpu-prof); these are plain parsers. Zone suffixes
 * (`fe80::1%eth0`) are not addresses here, as for Go's net.ParseIP, which CoreDNS uses.
 */
import { parseAddr } from './addr.ts';
import { parseIp } from './ipv4.ts';

export function isIPv4(text: string): boolean {
  return parseIp(text) !== undefined;
}

export function isIPv6(text: string): boolean {
  return parseAddr(text)?.family === 'IPv6';
}

export function isIP(text: string): 0 | 4 | 6 {
  return isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0;
}
