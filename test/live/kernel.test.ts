/** Live: kernel features are probed for real in a throw-away namespace, and a missing one is named. */
import { describe, expect, it } from 'vitest';
import { probeKernel } from '../../src/runtime/preflight.ts';
import { listNetns } from '../../src/runtime/down.ts';
import { liveGuard } from './host.ts';

const live = liveGuard();

describe.skipIf(!live)('kernel feature probe', () => {
  it('finds bridge, veth and VXLAN present, and names IPIP as missing (not built into this kernel)', async () => {
    const present = await probeKernel(['veth', 'bridge', 'vxlan']);
    expect(present).toEqual([]);
    const missing = await probeKernel(['vxlan', 'ipip']);
    expect(missing.map((d) => d.code)).toEqual(['PL3001']);
    expect(missing[0]!.message).toContain('cannot create ipip devices');
    expect(missing[0]!.hint).toContain('Nothing was changed on this host.');
    expect(listNetns().filter((n) => n.startsWith('podlab-probe'))).toEqual([]);
  });

  it("loads podlab's kube-proxy features for real (nftables NAT, numgen, fib, dynamic sets; br_netfilter per namespace)", async () => {
    expect(await probeKernel(['nftables', 'br_netfilter', 'iptables'])).toEqual([]);
    expect(listNetns().filter((n) => n.startsWith('podlab-probe'))).toEqual([]);
  });
});
