/**
 * Live: Calico's IPAM borrowing and BIRD stopped and started by scenario actions (lab cal-borrow).
 * The pool 10.244.0.0/28 in /30 blocks has four blocks, one per node as the nodes join; w1's fifth
 * pod finds its block full and no free block left, so it borrows cp's first free address
 * (10.244.0.0), and w1's BIRD advertises that /32, more specific than cp's blackhole for its block.
 * The lab's checks assert it (block borrowed, the /32 learned by w2 and installed `proto bird` on
 * cp, HTTP to and from the borrowed pod without NAT, from the lender's node too). A scenario stops
 * w1's BIRD: its peers withdraw its routes (the `bgp` checks say so, and the matrix shows every
 * pod of w1, the borrowed one included, unreachable from w2 and cp), then starts it again: sessions,
 * routes and the matrix come back. `down` leaves no BIRD behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'cal-borrow';
const web = { containers: [{ name: 'web', workload: { kind: 'http-echo' as const } }] };
const matrix = (expect: 'reach' | 'no-reach', label: string) => ({ kind: 'matrix' as const, name: label, from: ['q', 'r'], to: ['p5', 'p1'], probe: 'tcp' as const, port: 8080, expect, timeoutMs: 1500 });

const spec: LabSpec = {
  name,
  cni: { type: 'calico', ipPool: { cidr: '10.244.0.0/28', blockSize: 30 } },
  nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' }, w3: { ip: '172.16.94.13' } },
  pods: { p1: { node: 'w1', ...web }, p2: { node: 'w1' }, p3: { node: 'w1' }, p4: { node: 'w1' }, p5: { node: 'w1', ...web }, q: { node: 'w2', ...web }, r: { node: 'cp', ...web } },
  dns: false,
  checks: [
    { kind: 'block', from: 'node/w1', holds: ['10.244.0.4/30'], name: 'w1 holds one block, full with p1–p4' },
    { kind: 'block', from: 'node/w1', pod: 'p5', name: "p5's address is borrowed (from cp's block)" },
    { kind: 'block', from: 'node/w1', pod: 'p4', borrowed: false, name: "p4's address is from w1's own block" },
    { kind: 'bgp', from: 'node/w2', peer: 'node/w1', learned: '10.244.0.0/32', name: "w2 learned p5's borrowed /32 from w1" },
    { kind: 'route', from: 'node/cp', to: '10.244.0.0/32', via: 'node/w1', proto: 'bird', name: 'the lender cp routes the borrowed /32 to w1 (proto bird), past its own blackhole' },
    { kind: 'route', from: 'node/cp', to: '10.244.0.0/30', type: 'blackhole', name: 'cp keeps the blackhole for its block' },
    { kind: 'http', from: 'q', to: 'p5', port: 8080, expectPod: 'p5', expectNoNat: true, name: 'w2 → the borrowed pod, no NAT' },
    { kind: 'http', from: 'r', to: 'p5', port: 8080, expectPod: 'p5', expectNoNat: true, name: "the lender's pod → the borrowed pod, no NAT" },
    { kind: 'http', from: 'p5', to: 'r', port: 8080, expectPod: 'r', expectNoNat: true, name: "the borrowed pod → the lender's pod" },
  ],
  scenarios: {
    'bird-down': {
      description: "w1's BIRD stops: its peers withdraw its block and the borrowed /32; w1's pods are unreachable from w2 and cp until it starts again.",
      steps: [
        { check: matrix('reach', 'before: w2 and cp reach both pods of w1') },
        { action: 'stop-bird', node: 'w1' },
        { check: { kind: 'bgp', from: 'node/w2', peer: 'node/w1', absent: true, name: 'w2 ⇄ w1 is not Established' } },
        { check: { kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: 'blocks', absent: true, name: "cp has withdrawn w1's block" } },
        { check: { kind: 'route', from: 'node/cp', to: '10.244.0.0/32', absent: true, name: 'cp has withdrawn the borrowed /32' } },
        { check: matrix('no-reach', "w1's BIRD stopped: nobody reaches w1's pods, the borrowed one included") },
        { action: 'start-bird', node: 'w1' },
        { check: { kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: 'blocks', timeoutMs: 15000, name: "cp learned w1's block again" } },
        { check: { kind: 'bgp', from: 'node/w2', peer: 'node/w1', learned: '10.244.0.0/32', timeoutMs: 15000, name: 'w2 learned the borrowed /32 again' } },
        { check: matrix('reach', 'after: w2 and cp reach both pods of w1 again') },
      ],
    },
  },
};

/** BIRD processes of this lab (their command line names its state directory). */
function birds(): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmd.startsWith('bird ') && cmd.includes(`/run/podlab/${name}/`) ? [cmd] : [];
      } catch {
        return [];
      }
    });
}

describe.skipIf(!live)('live calico IPAM borrowing and BIRD stop/start (cal-borrow)', () => {
  // Registered before the lab's own hooks, so it runs after its `down`.
  afterAll(() => expect(birds()).toEqual([]));
  labAroundSuite(spec);

  it('a borrowed /32: the pod lives on w1 at an address of cp\'s block, advertised by BIRD and reachable without NAT', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: expected ${r.expected}, saw ${r.seen}`)).toEqual([]);
    expect(readState(name)!.pods.p5!.ip).toBe('10.244.0.0');
    expect(readState(name)!.pods.r!.ip).toBe('10.244.0.1');
  }, 60_000);

  it("stop-bird withdraws w1's routes from its peers (a matrix shows who is cut off), start-bird brings them back", async () => {
    const [r] = await runScenarios(name, ['bird-down'], realExecutor);
    const failures = r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`);
    expect(failures).toEqual([]);
    expect(r!.steps).toHaveLength(10);
    expect(birds()).toHaveLength(4);
  }, 120_000);
});
