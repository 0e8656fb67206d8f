import { describe, expect, it } from 'vitest';
import * as ip from '../../src/net/ipv4.ts';

describe('ipv4', () => {
  it('parses and formats addresses', () => {
    expect(ip.formatIp(ip.parseIp('172.16.94.10')!)).toBe('172.16.94.10');
    expect(ip.parseIp('256.1.1.1')).toBeUndefined();
    expect(ip.parseIp('1.2.3')).toBeUndefined();
    expect(ip.parseIp('01.2.3.4')).toBeUndefined();
    expect(ip.parseIp('../etc')).toBeUndefined();
  });
  it('parses CIDRs strictly, or loosely clearing host bits', () => {
    expect(ip.parseCidr('10.244.0.0/16')).toEqual({ network: ip.parseIp('10.244.0.0'), prefix: 16 });
    expect(ip.parseCidr('10.244.1.0/16')).toBeUndefined();
    expect(ip.formatCidr(ip.parseCidr('10.244.1.0/16', false)!)).toBe('10.244.0.0/16');
    expect(ip.parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(ip.parseCidr('0.0.0.0/0')).toEqual({ network: 0, prefix: 0 });
  });
  it('detects overlap in both directions and disjointness', () => {
    const a = ip.parseCidr('10.96.0.0/12')!;
    expect(ip.overlaps(a, ip.parseCidr('10.100.0.0/16')!)).toBe(true);
    expect(ip.overlaps(ip.parseCidr('10.100.0.0/16')!, a)).toBe(true);
    expect(ip.overlaps(a, ip.parseCidr('10.244.0.0/16')!)).toBe(false);
  });
  it('slices subnets and finds members', () => {
    const pods = ip.parseCidr('10.244.0.0/16')!;
    expect(ip.formatCidr(ip.subnet(pods, 24, 3))).toBe('10.244.3.0/24');
    expect(ip.contains(pods, ip.parseIp('10.244.255.1')!)).toBe(true);
    expect(ip.contains(pods, ip.parseIp('10.245.0.1')!)).toBe(false);
    const net = ip.parseCidr('172.16.94.0/24')!;
    expect(ip.isNetworkOrBroadcast(net, ip.parseIp('172.16.94.255')!)).toBe(true);
    expect(ip.isNetworkOrBroadcast(net, ip.parseIp('172.16.94.1')!)).toBe(false);
  });
});
