import { describe, expect, it } from 'vitest';
import { fabricPortName, labOfNetns, macFor, netns } from '../../src/plan/names.ts';

describe('names', () => {
  it('namespace names are unambiguous between labs whose names share a prefix', () => {
    const a = netns.node('a', 'b-c');
    const ab = netns.node('a-b', 'c');
    expect(a).not.toBe(ab);
    expect(labOfNetns(a)).toBe('a');
    expect(labOfNetns(ab)).toBe('a-b');
    expect(labOfNetns(netns.pod('lab', 'default', 'web'))).toBe('lab');
    expect(labOfNetns('cni-1234')).toBeUndefined();
    expect(labOfNetns('podlab-')).toBeUndefined();
  });
  it("the kernel probe's namespace is not a lab, so down --all leaves a running probe alone; lab \"probe\" still is one", () => {
    expect(labOfNetns('podlab-probe.12345')).toBeUndefined();
    expect(labOfNetns(netns.fabric('probe'))).toBe('probe');
    expect(labOfNetns(netns.host('probe', 'h'))).toBe('probe');
    expect(labOfNetns(netns.gateway('lab'))).toBe('lab');
  });
  it('interface names fit 15 bytes: readable when they fit, hashed (not truncated) otherwise', () => {
    expect(fabricPortName('worker-1')).toBe('worker-1');
    expect(fabricPortName('a'.repeat(15))).toBe('a'.repeat(15));
    const long = fabricPortName('a'.repeat(16));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(15);
    expect(long).not.toBe(fabricPortName(`${'a'.repeat(15)}b`));
  });
  it('MACs are locally administered unicast and stable', () => {
    const m = macFor('lab/node/worker-1');
    expect(m).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(macFor('lab/node/worker-1')).toBe(m);
    expect(macFor('lab/node/worker-2')).not.toBe(m);
  });
});
