/**
 * Live: several Calico IP pools (lab cal-pools). Pool rack-a (10.244.1.0/24, /28 blocks,
 * natOutgoing) selects the nodes labelled rack=a; pool rest (10.244.2.0/24, no natOutgoing) every
 * other node. n1's pods land in rack-a and are masqueraded to the node's address on their way to an
 * outside host; n2's land in rest and reach it with their own address; between the pools, pod to
 * pod without NAT, the blocks learned over BGP. A scenario turns natOutgoing on for the pool rest
 * alone (set-nat-outgoing with `pool`): the outside host now sees n2's address for b1.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { calicoStatus, calicoStatusLines } from '../../src/runtime/calico-status.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'cal-pools';
const web = { containers: [{ name: 'web', workload: { kind: 'http-echo' as const } }] };
const toInternet = (from: string, expect: { expectSource?: string; expectNoNat?: boolean }, what: string) => ({ kind: 'http' as const, from, to: 'host/internet', port: 80, ...expect, name: what });

const spec: LabSpec = {
  name,
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'rack-a', cidr: '10.244.1.0/24', blockSize: 28, nodeSelector: "rack == 'a'", natOutgoing: true },
      { name: 'rest', cidr: '10.244.2.0/24', nodeSelector: "!has(rack) || rack != 'a'", natOutgoing: false },
    ],
  },
  nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, n1: { ip: '172.16.94.11', labels: { rack: 'a' } }, n2: { ip: '172.16.94.12', labels: { rack: 'b' } } },
  pods: { a1: { node: 'n1', ...web }, b1: { node: 'n2', ...web } },
  hosts: { internet: { network: 'external', containers: [{ name: 'web', workload: { kind: 'http-echo', port: 80 } }] } },
  dns: false,
  checks: [
    { kind: 'block', from: 'node/n1', holds: ['10.244.1.0/28'], name: "n1 holds a /28 of pool rack-a" },
    { kind: 'block', from: 'node/n2', holds: ['10.244.2.64/26'], name: 'n2 holds a /26 of pool rest' },
    { kind: 'bgp', from: 'node/n2', peer: 'node/n1', learned: '10.244.1.0/28', name: "n2 learned n1's rack-a block" },
    { kind: 'http', from: 'a1', to: 'b1', port: 8080, expectPod: 'b1', expectNoNat: true, name: 'pool rack-a → pool rest, no NAT' },
    { kind: 'http', from: 'b1', to: 'a1', port: 8080, expectPod: 'a1', expectNoNat: true, name: 'pool rest → pool rack-a, no NAT' },
    toInternet('a1', { expectSource: 'node/n1' }, 'rack-a has natOutgoing: the outside host sees n1'),
    toInternet('b1', { expectNoNat: true }, "rest has none: the outside host sees b1's own address"),
  ],
  scenarios: {
    'nat-rest': {
      steps: [
        { action: 'set-nat-outgoing', natOutgoing: true, pool: 'rest' },
        { check: toInternet('b1', { expectSource: 'node/n2' }, 'rest has natOutgoing now: the outside host sees n2') },
        { check: toInternet('a1', { expectSource: 'node/n1' }, 'rack-a unchanged') },
        { action: 'set-nat-outgoing', natOutgoing: false, pool: 'rest' },
        { check: toInternet('b1', { expectNoNat: true }, "rest without natOutgoing again: b1's own address") },
      ],
    },
  },
};

describe.skipIf(!live)('live calico IP pools (cal-pools)', () => {
  labAroundSuite(spec);

  it("pods land in the pool that selects their node; natOutgoing masquerades only the pool that sets it", async () => {
    const state = readState(name)!;
    expect(state.pods.a1!.ip).toBe('10.244.1.0');
    expect(state.pods.b1!.ip).toBe('10.244.2.64');
    const results = await runChecks(state);
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: expected ${r.expected}, saw ${r.seen}`)).toEqual([]);
    const nft = (await execa('ip', ['netns', 'exec', state.plan.nodes[1]!.netns, 'nft', 'list', 'table', 'ip', 'calico'])).stdout;
    expect(nft).toMatch(/set masq-ipam-pools \{[^}]*elements = \{ 10\.244\.1\.0\/24 \}/s);
    expect(nft).toMatch(/set all-ipam-pools \{[^}]*elements = \{ 10\.244\.1\.0\/24, 10\.244\.2\.0\/24 \}/s);
    const lines = calicoStatusLines((await calicoStatus(realExecutor, state))!);
    expect(lines).toContain("  pool rack-a 10.244.1.0/24 (/28 blocks, natOutgoing true, encapsulation None, nodeSelector rack == 'a')");
    expect(lines).toContain('  pools  n1             rack-a');
    expect(lines).toContain('  pools  cp             rest');
  }, 60_000);

  it('set-nat-outgoing with a pool changes that pool alone', async () => {
    const [r] = await runScenarios(name, ['nat-rest'], realExecutor);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    expect(r!.steps.filter((s) => s.kind === 'action').map((s) => s.message)).toEqual(['IP pool rest natOutgoing false → true', 'IP pool rest natOutgoing true → false']);
  }, 120_000);
});
