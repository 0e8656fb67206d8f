/**
 * The dual-stack address type (src/net/addr.ts): parsing agrees with node:net on which texts are
 * addresses, formatting agrees with glibc's inet_ntop (node's SocketAddress) on random addresses
 * rich in zero runs and IPv4-mapped forms, IPv4 agrees with ipv4.ts, and the prefix arithmetic
 * holds for both families.
 */
import { isIP, SocketAddress } from 'node:net';
import { describe, expect, it } from 'vitest';
import { contains, formatAddr, formatPrefix, nth, overlaps, parseAddr, parsePrefix, sizeOf, subnet } from '../../src/net/addr.ts';
import * as v4 from '../../src/net/ipv4.ts';
import { prng } from '../../src/prng.ts';

const rand = prng(20261206);
const int = (n: number) => Math.floor(rand() * n);

/** A random IPv6 address whose groups are often zero (so '::' runs of every length and position occur) or the mapped form. */
function randomV6(): bigint {
  const words = Array.from({ length: 8 }, () => (rand() < 0.5 ? 0 : rand() < 0.2 ? 1 : int(0x10000)));
  if (rand() < 0.15) words.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
  return words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

describe('addresses of both families', () => {
  it('format IPv6 as inet_ntop does, and parse back what they format (5000 random addresses)', () => {
    for (let i = 0; i < 5000; i++) {
      const value = randomV6();
      const text = formatAddr({ family: 'IPv6', value });
      expect(text).toBe(new SocketAddress({ address: text, family: 'ipv6' }).address);
      expect(parseAddr(text)).toEqual({ family: 'IPv6', value });
      // The uncompressed form parses to the same value.
      const full = Array.from({ length: 8 }, (_, k) => Number((value >> BigInt(16 * (7 - k))) & 0xffffn).toString(16)).join(':');
      expect(parseAddr(full)?.value).toBe(value);
    }
  });

  it('agree with node:net on which texts are addresses (20000 mutated texts)', () => {
    const alphabet = '0123456789abcdefABCDEF:.%/ g';
    for (let i = 0; i < 20000; i++) {
      let text = rand() < 0.5 ? formatAddr({ family: 'IPv6', value: randomV6() }) : v4.formatIp(int(2 ** 32));
      for (let m = int(3); m > 0; m--) {
        const at = int(text.length + 1);
        text = rand() < 0.5 ? text.slice(0, at) + alphabet[int(alphabet.length)]! + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      }
      const want = text.includes('%') ? 0 : isIP(text);
      const got = parseAddr(text);
      expect(got ? (got.family === 'IPv4' ? 4 : 6) : 0, JSON.stringify(text)).toBe(want);
    }
  });

  it('IPv4 agrees with ipv4.ts: parse, format, prefixes, slices', () => {
    for (let i = 0; i < 2000; i++) {
      const n = int(2 ** 32);
      const text = v4.formatIp(n);
      expect(parseAddr(text)).toEqual({ family: 'IPv4', value: BigInt(n) });
      expect(formatAddr({ family: 'IPv4', value: BigInt(n) })).toBe(text);
      const bits = int(33);
      const old = v4.parseCidr(`${text}/${bits}`, false)!;
      const p = parsePrefix(`${text}/${bits}`, false)!;
      expect(formatPrefix(p)).toBe(v4.formatCidr(old));
      if (bits <= 30) expect(formatPrefix(subnet(p, bits + 2, 3)!)).toBe(v4.formatCidr(v4.subnet(old, bits + 2, 3)));
    }
  });

  it('prefixes: strict parsing, membership, overlap, slicing and nth in IPv6', () => {
    expect(parsePrefix('fd00:10:244::/56')).toEqual({ family: 'IPv6', network: 0xfd000010024400000000000000000000n, bits: 56 });
    expect(parsePrefix('fd00:10:244::1/56')).toBeUndefined();
    expect(parsePrefix('fd00:10:244::1/56', false)).toMatchObject({ bits: 56 });
    for (const bad of ['fd00::/129', '10.0.0.0/33', 'fd00::/064', 'fd00::', '::/', 'fe80::1%eth0/64']) expect(parsePrefix(bad), bad).toBeUndefined();
    const pods = parsePrefix('fd00:10:244::/56')!;
    const node2 = subnet(pods, 64, 2)!;
    expect(formatPrefix(node2)).toBe('fd00:10:244:2::/64');
    expect(subnet(pods, 64, 256)).toBeUndefined();
    expect(formatAddr(nth(node2, 1)!)).toBe('fd00:10:244:2::1');
    expect(contains(node2, parseAddr('fd00:10:244:2::abcd')!)).toBe(true);
    expect(contains(node2, parseAddr('fd00:10:244:3::1')!)).toBe(false);
    expect(contains(node2, parseAddr('10.244.2.1')!)).toBe(false);
    expect(overlaps(pods, node2)).toBe(true);
    expect(overlaps(node2, subnet(pods, 64, 3)!)).toBe(false);
    expect(overlaps(parsePrefix('0.0.0.0/0')!, parsePrefix('::/0')!)).toBe(false);
    expect(sizeOf(node2)).toBe(2n ** 64n);
    expect(nth(parsePrefix('10.0.0.0/30')!, 4)).toBeUndefined();
  });
});
