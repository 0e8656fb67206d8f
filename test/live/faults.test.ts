/**
 * Live fault tests beyond the lifecycle ones: four labs with identical plans brought up, checked
 * and torn down at the same time by four `podlab` processes; and name fuzzing on the real host —
 * valid extreme names (63-byte lab and pod names, 15- and 16-byte node names, a 15-byte
 * interface, two labs whose names share a 59-byte prefix) work and stay apart, and invalid ones
 * (path traversal, shell metacharacters, Unicode) are rejected with a code and create nothing.
 * Each time, nothing of these labs is left and the host's root namespace is unchanged.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { down, labNamespacesOnHost } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { labNamespaces } from '../../src/render/render.ts';
import { liveGuard, twoPodLab, upLab, writeLabFile } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const TMP = 'test/live/.tmp/faults';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false });

function labFile(name: string, spec: unknown): string {
  return writeLabFile(TMP, `${name.replace(/[^a-z0-9-]/g, '_').slice(0, 40)}-${Math.random().toString(36).slice(2, 8)}`, spec);
}

/** The same plan for every lab: same node IPs, same pod CIDRs, same pod IPs. */
const quad = (name: string): LabSpec => twoPodLab(name, { fixedIps: true });

const QUADS = ['fc-quad-a', 'fc-quad-b', 'fc-quad-c', 'fc-quad-d'];
const PREFIX = `fz-shared-${'p'.repeat(49)}`; // 59 bytes
const LONG_A = PREFIX;
const LONG_B = `${PREFIX}-b`;
const POD63 = `pod-${'x'.repeat(59)}`;
const NS63 = `ns-${'y'.repeat(60)}`;

const longLab = (name: string): LabSpec => ({
  name,
  namespaces: [NS63],
  nodes: {
    // "n" is a prefix of ip(8)'s keyword "name": the batch files say `link add name …` / `link set dev …`.
    n: { interface: 'up' },
    'worker-15-bytes': { interface: 'enp0s8-uplink-1' },
    'worker-16-bytes1': {},
  },
  pods: {
    [POD63]: { node: 'worker-16-bytes1', namespace: NS63, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    c: { node: 'n', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    d: { node: 'worker-15-bytes' },
  },
  checks: [
    { kind: 'http', from: 'c', to: POD63, port: 8080, expectPod: POD63, expectNoNat: true },
    { kind: 'http', from: 'd', to: 'c', port: 8080, expectPod: 'c', expectNoNat: true },
    { kind: 'ping', from: 'node/worker-16-bytes1', to: 'c' },
  ],
});

describe.skipIf(!live)('live faults', () => {
  let baseline: ScopedSnapshot;
  const mine = ['fc-', 'fz-'];
  const all = [...QUADS, LONG_A, LONG_B];

  beforeAll(async () => {
    for (const l of all) await down(l);
    baseline = await scopedSnapshot(mine);
  });
  afterAll(async () => {
    for (const l of all) await down(l);
    rmSync(TMP, { recursive: true, force: true });
  });

  it('four labs with identical plans: up, check and down at the same time by four podlab processes', async () => {
    const files = QUADS.map((l) => labFile(l, quad(l)));
    const ups = await Promise.all(files.map((f) => podlab('up', f, '--check')));
    ups.forEach((r, i) => {
      expect(r.exitCode, `${QUADS[i]}: ${r.stderr}\n${r.stdout}`).toBe(0);
      expect(r.stdout).toContain('2 passed, 0 failed');
    });
    // Each lab answers from its own sandboxes, with the same addresses.
    const states = QUADS.map((l) => readState(l)!);
    expect(new Set(states.map((s) => s.pods.b!.pause!.pid)).size).toBe(4);
    expect(new Set(states.map((s) => s.pods.b!.ip)).size).toBe(1);
    // Checks once more, all labs at once, now that all four are up.
    const checks = await Promise.all(QUADS.map((l) => podlab('check', l, '--json')));
    for (const c of checks) expect(JSON.parse(c.stdout).passed, c.stdout).toBe(true);

    const downs = await Promise.all(QUADS.map((l) => podlab('down', l)));
    for (const d of downs) expect(d.exitCode, d.stderr).toBe(0);
    expect(await scopedSnapshot(mine)).toEqual(baseline);
  }, 120_000);

  it('valid extreme names work live: 59- and 61-byte lab names sharing a prefix, a 63-byte pod in a 63-byte namespace, 15- and 16-byte node names', async () => {
    const [a, b] = await Promise.all([upLab(longLab(LONG_A)), upLab(longLab(LONG_B))]);
    const [ra, rb] = await Promise.all([runChecks(a), runChecks(b)]);
    expect([...ra, ...rb].map((r) => `${r.name}: ${r.status} ${r.seen}`)).toEqual([...ra, ...rb].map((r) => `${r.name}: pass ${r.seen}`));
    // Each lab owns exactly its own namespaces, although one name is a prefix of the other.
    expect(labNamespacesOnHost(LONG_A).sort()).toEqual(labNamespaces(a.plan).sort());
    expect(labNamespacesOnHost(LONG_B).sort()).toEqual(labNamespaces(b.plan).sort());
    // The 16-byte node's fabric port is hashed, the 15-byte one kept.
    expect(a.plan.nodes.map((n) => n.fabricPort)).toEqual(['n', 'worker-15-bytes', expect.stringMatching(/^n-[0-9a-f]{10}$/)]);

    await down(LONG_A);
    expect(labNamespacesOnHost(LONG_A)).toEqual([]);
    expect(labNamespacesOnHost(LONG_B).sort()).toEqual(labNamespaces(b.plan).sort());
    expect((await runChecks(readState(LONG_B)!)).every((r) => r.status === 'pass')).toBe(true);
    await down(LONG_B);
    expect(await scopedSnapshot(mine)).toEqual(baseline);
  }, 120_000);

  it('invalid names (traversal, shell metacharacters, Unicode, too long) are rejected by up with a code, and nothing is created', async () => {
    const cases: [string, unknown, string][] = [
      ['lab ../', { name: 'fz-../../etc', nodes: { w1: {} } }, 'PL1005'],
      ['lab shell', { name: 'fz-$(touch /tmp/podlab-fz-pwned)', nodes: { w1: {} } }, 'PL1005'],
      ['node ../', { name: 'fz-node-dots', nodes: { '../../../etc/podlab-fz': {} } }, 'PL1005'],
      ['pod shell', { name: 'fz-pod-shell', nodes: { w1: {} }, pods: { 'a;touch /tmp/podlab-fz-pwned': { node: 'w1' } } }, 'PL1005'],
      ['lab unicode', { name: 'fz-läb', nodes: { w1: {} } }, 'PL1005'],
      ['node unicode', { name: 'fz-node-unicode', nodes: { 'wörker-1': {} } }, 'PL1005'],
      ['lab 64 bytes', { name: `fz-${'x'.repeat(61)}`, nodes: { w1: {} } }, 'PL1005'],
      ['interface 16 bytes', { name: 'fz-iface-16', nodes: { w1: { interface: 'enp0s8-uplink-01' } } }, 'PL2009'],
      ['interface shell', { name: 'fz-iface-shell', nodes: { w1: { interface: 'e;reboot' } } }, 'PL2009'],
    ];
    const results = await Promise.all(cases.map(([what, spec]) => podlab('up', labFile(what, spec))));
    results.forEach((r, i) => {
      const [what, , code] = cases[i]!;
      expect(r.exitCode, `${what}: ${r.stderr}`).toBe(1);
      expect(r.stderr, what).toContain(`error ${code}`);
      expect(r.stderr, what).toContain('Nothing was changed on this host.');
    });
    expect(existsSync('/tmp/podlab-fz-pwned')).toBe(false);
    expect(existsSync('/etc/podlab-fz')).toBe(false);
    expect(await scopedSnapshot(mine)).toEqual(baseline);
  }, 120_000);
});
