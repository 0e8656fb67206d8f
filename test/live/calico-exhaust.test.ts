/**
 * Live: the scenario action exhaust-block (lab cal-exhaust). Pool 10.244.0.0/28 in /30 blocks: cp,
 * w1 and w2 claim one block each as they join, one block (10.244.0.12/30) stays free; w1 holds
 * p1–p3 at .4–.6.
 * - exhaust-block w1, then a pod created on w1: it claims the free block (a new blackhole on w1, the
 *   block learned by w2 over BGP) and takes its first address.
 * - exhaust-block w1 again, then another pod on w1: no block is free, so it borrows cp's next free
 *   address (10.244.0.1): its /32 is advertised by w1's BIRD, learned by w2, and installed on the
 *   lender cp (proto bird) past cp's own blackhole; reachable without NAT.
 */
import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import type { CalicoNode } from '../../src/cni/calico/index.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'cal-exhaust';
const web = { containers: [{ name: 'web', workload: { kind: 'http-echo' as const } }] };

const spec: LabSpec = {
  name,
  cni: { type: 'calico', ipPool: { cidr: '10.244.0.0/28', blockSize: 30 } },
  nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' } },
  pods: { r: { node: 'cp', ...web }, p1: { node: 'w1', ...web }, p2: { node: 'w1', ...web }, p3: { node: 'w1', ...web }, q: { node: 'w2', ...web } },
  dns: false,
  scenarios: {
    'new-block': {
      steps: [
        { action: 'delete-pod', pod: 'p2' },
        { action: 'exhaust-block', node: 'w1' },
        { action: 'create-pod', pod: 'p2' },
        { check: { kind: 'block', from: 'node/w1', holds: ['10.244.0.4/30', '10.244.0.12/30'], name: 'w1 claimed the free block' } },
        { check: { kind: 'block', from: 'node/w1', pod: 'p2', borrowed: false, name: "p2's address is from w1's new block" } },
        { check: { kind: 'bgp', from: 'node/w2', peer: 'node/w1', learned: '10.244.0.12/30', timeoutMs: 10000, name: "w2 learned w1's new block" } },
        { check: { kind: 'http', from: 'q', to: 'p2', port: 8080, expectPod: 'p2', expectNoNat: true, name: 'w2 → p2 in the new block, no NAT' } },
      ],
    },
    borrow: {
      steps: [
        { action: 'delete-pod', pod: 'p3' },
        { action: 'exhaust-block', node: 'w1' },
        { action: 'create-pod', pod: 'p3' },
        { check: { kind: 'block', from: 'node/w1', pod: 'p3', name: "p3's address is borrowed (from cp's block)" } },
        { check: { kind: 'bgp', from: 'node/w2', peer: 'node/w1', learned: '10.244.0.1/32', timeoutMs: 10000, name: "w2 learned p3's /32 from w1" } },
        { check: { kind: 'route', from: 'node/cp', to: '10.244.0.1/32', via: 'node/w1', proto: 'bird', timeoutMs: 10000, name: 'the lender cp routes the /32 to w1, past its blackhole' } },
        { check: { kind: 'http', from: 'q', to: 'p3', port: 8080, expectPod: 'p3', expectNoNat: true, name: 'w2 → the borrowed pod, no NAT' } },
        { check: { kind: 'http', from: 'r', to: 'p3', port: 8080, expectPod: 'p3', expectNoNat: true, name: "the lender's pod → the borrowed pod" } },
      ],
    },
  },
};

describe.skipIf(!live)('live exhaust-block (cal-exhaust)', () => {
  labAroundSuite(spec);

  it('exhaust-block, then a new pod: it claims the free block, which BIRD advertises', async () => {
    const [r] = await runScenarios(name, ['new-block'], realExecutor);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    expect(r!.steps[1]!.message).toBe('node/w1: 2 free address(es) of 10.244.0.4/30 reserved; its next pod claims a new block or borrows');
    expect(readState(name)!.pods.p2!.ip).toBe('10.244.0.12');
  }, 120_000);

  it("with no free block left, the next pod borrows cp's address; its /32 is advertised and reachable", async () => {
    const [r] = await runScenarios(name, ['borrow'], realExecutor);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    const state = readState(name)!;
    expect(state.pods.p3!.ip).toBe('10.244.0.1');
    const w1 = state.plan.nodes.find((n) => n.name === 'w1')!.cni as unknown as CalicoNode;
    expect(w1.borrowed).toEqual([{ pod: 'p3', ip: '10.244.0.1', block: '10.244.0.0/30', from: 'cp' }]);
  }, 120_000);
});
