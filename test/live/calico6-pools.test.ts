/**
 * Live: Calico's IPv6 side complete (issue 24), labs c6p-*.
 * - c6p-pools: two IPv6 pools beside the IPv4 one. v6-nat (fd00:10:244:a::/120, /124 blocks,
 *   natOutgoing) selects the node labelled rack=a, v6-rest (fd00:10:244:b::/112, /122 blocks, no
 *   natOutgoing) the others. Pods take their IPv6 address from the pool of their node; BIRD carries
 *   the /124 beside the /122s; pod to pod across pools without NAT; an outside host reached over IPv6
 *   sees the node's IPv6 address for v6-nat (Felix's ip6 nat table) and the pod's own for v6-rest;
 *   set-nat-outgoing on the IPv6 pool alone flips that.
 * - c6p-claim: IPv6 blocks claimed at run time. Pool six (fd00:10:244:c::/124 in /126 blocks): cp,
 *   w1, w2 claim one block each, fd00:10:244:c::c/126 stays free. exhaust-block w1 (family IPv6),
 *   then a pod on w1: it claims the free IPv6 block (a blackhole on w1, learned by w2 over the IPv6
 *   mesh); again: no IPv6 block is free, the pod borrows cp's next free IPv6 address, its /128
 *   advertised by w1's BIRD and installed past cp's blackhole; both reachable over IPv6 without NAT.
 *   The bgp and block check kinds in IPv6 (`family: 'IPv6'`).
 * - c6p-peers: BGPPeers in dual stack, the mesh off. Every node peers with cp (global peers at
 *   cp's IPv4 and IPv6 addresses: Global_172_16_94_10, Global_fd00_172_16_94__a), cp with each node
 *   (node-specific peers: Node_…). The IPv6 sessions come up, IPv6 blocks travel over them, pods
 *   reach cp's pod over IPv6 without NAT, and iBGP reflects nothing: w1 never learns w2's block.
 * - c6p-example: labs/calico-ipv6-pools.lab.ts itself (renamed): every check of the lab passes.
 * Every lab: `down` leaves nothing of it on the host.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import ipv6PoolsLab from '../../labs/calico-ipv6-pools.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { calicoStatus, calicoStatusLines } from '../../src/runtime/calico-status.ts';
import { down } from '../../src/runtime/down.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import type { CalicoNode } from '../../src/cni/calico/index.ts';
import { comparable, hostSnapshot, type HostSnapshot, inLab, labAroundSuite, liveGuard } from './host.ts';
import { until } from './calico-lab.ts';

const live = liveGuard();
const web = { containers: [{ name: 'web', workload: { kind: 'http-echo' as const } }] };
const internet = { internet: { network: 'external' as const, containers: [{ name: 'web', workload: { kind: 'http-echo' as const, port: 80 } }] } };
const toInternet6 = (from: string, expect: { expectSource?: string; expectNoNat?: boolean }, what: string) => ({ kind: 'http' as const, from, to: 'host/internet', port: 80, family: 'IPv6' as const, ...expect, name: what });

/** What of the host a lab may not leave behind: links, addresses, routes, rules, nft, sysctls, and its own netns, state and mounts. */
function hostPart(s: HostSnapshot, name: string) {
  const c = comparable(s);
  const mine = (x: string) => x.includes(name);
  return { links: c.links, addresses: c.addresses, routes: c.routes, rules: c.rules, nft: c.nft, sysctls: c.sysctls, labNetns: c.podlabNetns.filter(mine), labState: c.state.filter(mine), labMounts: c.stateMounts.filter(mine) };
}

const failures = (results: { status: string; name: string; expected?: string; seen?: string }[]) => results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: expected ${r.expected}, saw ${r.seen}`);

const pools = 'c6p-pools';
const poolsSpec: LabSpec = {
  name: pools,
  ipFamilies: ['IPv4', 'IPv6'],
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'v4', cidr: '10.244.0.0/16', natOutgoing: true },
      { name: 'v6-nat', cidr: 'fd00:10:244:a::/120', blockSize: 124, nodeSelector: "rack == 'a'", natOutgoing: true },
      { name: 'v6-rest', cidr: 'fd00:10:244:b::/112', nodeSelector: '!has(rack)', natOutgoing: false },
    ],
  },
  nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, n1: { ip: '172.16.94.11', labels: { rack: 'a' } }, n2: { ip: '172.16.94.12' } },
  pods: { a1: { node: 'n1', ...web }, b1: { node: 'n2', ...web } },
  hosts: internet,
  dns: false,
  checks: [
    { kind: 'command', from: 'node/n2', command: ['ip', '-6', 'route', 'show', 'proto', 'bird'], expectMatch: 'fd00:10:244:a::/124 via fd00:172:16:94::b dev eth0', name: "n2 learned n1's /124 of pool v6-nat over the IPv6 mesh" },
    { kind: 'command', from: 'node/n1', command: ['ip', '-6', 'route', 'show', 'proto', 'bird'], expectMatch: 'fd00:10:244:b::40/122 via fd00:172:16:94::c dev eth0', name: "n1 learned n2's /122 of pool v6-rest" },
    { kind: 'http', from: 'a1', to: 'b1', port: 8080, family: 'IPv6', expectPod: 'b1', expectNoNat: true, name: 'pool v6-nat → pool v6-rest over IPv6, no NAT' },
    { kind: 'http', from: 'b1', to: 'a1', port: 8080, family: 'IPv6', expectPod: 'a1', expectNoNat: true, name: 'pool v6-rest → pool v6-nat over IPv6, no NAT' },
    toInternet6('a1', { expectSource: 'node/n1' }, "v6-nat has natOutgoing: the outside host sees n1's IPv6 address"),
    toInternet6('b1', { expectNoNat: true }, "v6-rest has none: the outside host sees b1's own IPv6 address"),
  ],
  scenarios: {
    'nat-v6-rest': {
      steps: [
        { action: 'set-nat-outgoing', natOutgoing: true, pool: 'v6-rest' },
        { check: toInternet6('b1', { expectSource: 'node/n2' }, "v6-rest has natOutgoing now: the outside host sees n2's IPv6 address") },
        { check: toInternet6('a1', { expectSource: 'node/n1' }, 'v6-nat unchanged') },
        { action: 'set-nat-outgoing', natOutgoing: false, pool: 'v6-rest' },
        { check: toInternet6('b1', { expectNoNat: true }, "v6-rest without natOutgoing again: b1's own address") },
      ],
    },
  },
};

describe.skipIf(!live)('live calico IPv6 pools and natOutgoing (c6p-pools)', () => {
  let before: HostSnapshot;
  labAroundSuite(poolsSpec, { beforeUp: async () => { before = await hostSnapshot(); } });

  it("pods take the IPv6 address of their node's pool; BGP carries both pools' blocks; natOutgoing per IPv6 pool as Felix's ip6 table", async () => {
    const state = readState(pools)!;
    const ips = (pod: string) => state.plan.pods.find((p) => p.name === pod)!.ips;
    expect(ips('a1')).toEqual(['10.244.0.64', 'fd00:10:244:a::']);
    expect(ips('b1')).toEqual(['10.244.0.128', 'fd00:10:244:b::40']);
    expect((await inLab(state, 'a1', ['ip', '-6', '-o', 'address', 'show', 'dev', 'eth0'])).stdout).toContain('inet6 fd00:10:244:a::/128');
    const ok = await until(async () => {
      const out = (await inLab(state, 'node/n2', ['ip', '-6', 'route', 'show', 'proto', 'bird'])).stdout;
      return out.includes('fd00:10:244:a::/124') ? out : undefined;
    });
    expect(ok).toBeDefined();
    expect(failures(await runChecks(state))).toEqual([]);
    const nft = (await execa('ip', ['netns', 'exec', state.plan.nodes[1]!.netns, 'nft', 'list', 'table', 'ip6', 'calico'])).stdout;
    expect(nft).toMatch(/set masq-ipam-pools \{[^}]*elements = \{ fd00:10:244:a::\/120 \}/s);
    expect(nft).toMatch(/set all-ipam-pools \{[^}]*elements = \{ fd00:10:244:a::\/120,\s+fd00:10:244:b::\/112 \}/s);
    const lines = calicoStatusLines((await calicoStatus(realExecutor, state))!);
    expect(lines).toContain("  pool v6-nat fd00:10:244:a::/120 (/124 blocks, natOutgoing true, encapsulation None, nodeSelector rack == 'a')");
    expect(lines).toContain('  pools6 n1             v6-nat');
    expect(lines).toContain('  blocks6 n1            fd00:10:244:a::/124');
  }, 90_000);

  it('set-nat-outgoing on an IPv6 pool changes that pool alone', async () => {
    const [r] = await runScenarios(pools, ['nat-v6-rest'], realExecutor);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    expect(r!.steps.filter((s) => s.kind === 'action').map((s) => s.message)).toEqual(['IP pool v6-rest natOutgoing false → true', 'IP pool v6-rest natOutgoing true → false']);
    expect(r!.steps.filter((s) => s.kind === 'check')).toHaveLength(3);
  }, 120_000);

  it('down leaves nothing of the lab on the host', async () => {
    await down(pools);
    expect(hostPart(await hostSnapshot(), pools)).toEqual(hostPart(before, pools));
  }, 60_000);
});

const claim = 'c6p-claim';
const claimSpec: LabSpec = {
  name: claim,
  ipFamilies: ['IPv4', 'IPv6'],
  cni: { type: 'calico', ipPools: [{ name: 'v4', cidr: '10.244.0.0/16' }, { name: 'six', cidr: 'fd00:10:244:c::/124', blockSize: 126 }] },
  nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' } },
  pods: { r: { node: 'cp', ...web }, p1: { node: 'w1', ...web }, p2: { node: 'w1', ...web }, p3: { node: 'w1', ...web }, q: { node: 'w2', ...web } },
  dns: false,
  checks: [
    { kind: 'bgp', from: 'node/cp', peer: 'node/w1', family: 'IPv6', name: 'the IPv6 session cp ⇄ w1 is Established' },
    { kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: 'blocks', family: 'IPv6', name: "cp learned w1's IPv6 block" },
    { kind: 'block', from: 'node/w1', holds: ['fd00:10:244:c::4/126'], name: 'w1 holds one IPv6 block' },
    { kind: 'block', from: 'node/w1', pod: 'p1', borrowed: false, family: 'IPv6', name: "p1's IPv6 address is from w1's block" },
  ],
  scenarios: {
    'new-block6': {
      steps: [
        { action: 'delete-pod', pod: 'p2' },
        { action: 'exhaust-block', node: 'w1', family: 'IPv6' },
        { action: 'create-pod', pod: 'p2' },
        { check: { kind: 'block', from: 'node/w1', holds: ['fd00:10:244:c::4/126', 'fd00:10:244:c::c/126'], name: 'w1 claimed the free IPv6 block' } },
        { check: { kind: 'block', from: 'node/w1', pod: 'p2', borrowed: false, family: 'IPv6', name: "p2's IPv6 address is from w1's new block" } },
        { check: { kind: 'bgp', from: 'node/w2', peer: 'node/w1', learned: 'fd00:10:244:c::c/126', timeoutMs: 10000, name: "w2 learned w1's new IPv6 block" } },
        { check: { kind: 'http', from: 'q', to: 'p2', port: 8080, family: 'IPv6', expectPod: 'p2', expectNoNat: true, name: 'w2 → p2 in the new IPv6 block, no NAT' } },
      ],
    },
    borrow6: {
      steps: [
        { action: 'delete-pod', pod: 'p3' },
        { action: 'exhaust-block', node: 'w1', family: 'IPv6' },
        { action: 'create-pod', pod: 'p3' },
        { check: { kind: 'block', from: 'node/w1', pod: 'p3', family: 'IPv6', name: "p3's IPv6 address is borrowed (from cp's block)" } },
        { check: { kind: 'bgp', from: 'node/w2', peer: 'node/w1', learned: 'fd00:10:244:c::1/128', timeoutMs: 10000, name: "w2 learned p3's /128 from w1" } },
        { check: { kind: 'command', from: 'node/cp', command: ['ip', '-6', 'route', 'show', 'fd00:10:244:c::1/128'], expectMatch: 'via fd00:172:16:94::b dev eth0 proto bird', timeoutMs: 10000, name: 'the lender cp routes the /128 to w1, past its blackhole' } },
        { check: { kind: 'http', from: 'q', to: 'p3', port: 8080, family: 'IPv6', expectPod: 'p3', expectNoNat: true, name: 'w2 → the borrowed pod over IPv6, no NAT' } },
        { check: { kind: 'http', from: 'r', to: 'p3', port: 8080, family: 'IPv6', expectPod: 'p3', expectNoNat: true, name: "the lender's pod → the borrowed pod over IPv6" } },
      ],
    },
  },
};

describe.skipIf(!live)('live calico IPv6 blocks claimed at run time (c6p-claim)', () => {
  let before: HostSnapshot;
  labAroundSuite(claimSpec, { beforeUp: async () => { before = await hostSnapshot(); } });

  it('the bgp and block kinds in IPv6: the IPv6 session, its learned block, the IPv6 blocks a node holds', async () => {
    const state = readState(claim)!;
    await until(async () => ((await inLab(state, 'node/cp', ['ip', '-6', 'route', 'show', 'proto', 'bird'])).stdout.includes('fd00:10:244:c::4/126 via') ? true : undefined));
    expect(failures(await runChecks(state))).toEqual([]);
  }, 90_000);

  it('exhaust-block in IPv6, then a new pod: it claims the free IPv6 block, which BIRD advertises', async () => {
    const [r] = await runScenarios(claim, ['new-block6'], realExecutor);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    expect(r!.steps[1]!.message).toBe('node/w1: 2 free address(es) of fd00:10:244:c::4/126 reserved; its next pod claims a new block or borrows');
    expect(readState(claim)!.pods.p2!.ips).toContain('fd00:10:244:c::c');
  }, 120_000);

  it("with no free IPv6 block left, the next pod borrows cp's IPv6 address; its /128 is advertised and reachable", async () => {
    const [r] = await runScenarios(claim, ['borrow6'], realExecutor);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    const state = readState(claim)!;
    expect(state.pods.p3!.ips).toContain('fd00:10:244:c::1');
    const w1 = state.plan.nodes.find((n) => n.name === 'w1')!.cni as unknown as CalicoNode;
    expect(w1.ipv6!.borrowed).toEqual([{ pod: 'p3', ip: 'fd00:10:244:c::1', block: 'fd00:10:244:c::/126', from: 'cp' }]);
  }, 120_000);

  it('down leaves nothing of the lab on the host', async () => {
    await down(claim);
    expect(hostPart(await hostSnapshot(), claim)).toEqual(hostPart(before, claim));
  }, 60_000);
});

const peers = 'c6p-peers';
const peersSpec: LabSpec = {
  name: peers,
  ipFamilies: ['IPv4', 'IPv6'],
  cni: {
    type: 'calico',
    nodeToNodeMesh: false,
    peers: [
      { peerIP: '172.16.94.10', asNumber: 64512 },
      { peerIP: 'fd00:172:16:94::a', asNumber: 64512 },
      { node: 'cp', peerIP: '172.16.94.11', asNumber: 64512 },
      { node: 'cp', peerIP: '172.16.94.12', asNumber: 64512 },
      { node: 'cp', peerIP: 'fd00:172:16:94::b', asNumber: 64512 },
      { node: 'cp', peerIP: 'fd00:172:16:94::c', asNumber: 64512 },
    ],
  },
  nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' } },
  pods: { r: { node: 'cp', ...web }, a: { node: 'w1', ...web }, c: { node: 'w2', ...web } },
  dns: false,
  checks: [
    { kind: 'bgp', from: 'node/w1', peer: 'node/cp', family: 'IPv6', timeoutMs: 20000, name: "w1's IPv6 BGPPeer session to cp (Global_fd00_172_16_94__a) is Established" },
    { kind: 'bgp', from: 'node/cp', peer: 'node/w2', family: 'IPv6', timeoutMs: 20000, name: "cp's node-specific IPv6 session to w2 (Node_fd00_172_16_94__c) is Established" },
    { kind: 'bgp', from: 'node/w1', peer: 'node/cp', timeoutMs: 20000, name: "w1's IPv4 BGPPeer session to cp is Established" },
    { kind: 'bgp', from: 'node/w1', peer: 'node/cp', learned: 'blocks', family: 'IPv6', timeoutMs: 20000, name: "w1 learned cp's IPv6 block over the IPv6 peer session" },
    { kind: 'bgp', from: 'node/cp', peer: 'node/w2', learned: 'blocks', family: 'IPv6', timeoutMs: 20000, name: "cp learned w2's IPv6 block" },
    { kind: 'bgp', from: 'node/w1', peer: 'node/cp', learned: 'fd00:10:244::80/122', absent: true, name: "iBGP reflects nothing: w1 has not learned w2's IPv6 block from cp" },
    { kind: 'http', from: 'a', to: 'r', port: 8080, family: 'IPv6', expectPod: 'r', expectNoNat: true, name: "w1's pod → cp's pod over IPv6, routed by the IPv6 peer session, no NAT" },
    { kind: 'http', from: 'r', to: 'c', port: 8080, family: 'IPv6', expectPod: 'c', expectNoNat: true, name: "cp's pod → w2's pod over IPv6, no NAT" },
  ],
};

describe.skipIf(!live)('live calico BGPPeers in dual stack (c6p-peers)', () => {
  let before: HostSnapshot;
  labAroundSuite(peersSpec, { beforeUp: async () => { before = await hostSnapshot(); } });

  it('IPv6 BGPPeers: sessions Established, IPv6 blocks learned over them, pods reachable, nothing reflected', async () => {
    const state = readState(peers)!;
    expect(failures(await runChecks(state))).toEqual([]);
    const protocols = (await execa('birdc', ['-s', `/run/podlab/${peers}/bird-w1.ctl`, 'show', 'protocols'], { reject: false })).stdout;
    expect(protocols).toMatch(/^Global_fd00_172_16_94__a\s+BGP\s+.*Established/m);
    expect(protocols).not.toMatch(/^Mesh_/m);
  }, 120_000);

  it('down leaves nothing of the lab on the host', async () => {
    await down(peers);
    expect(hostPart(await hostSnapshot(), peers)).toEqual(hostPart(before, peers));
  }, 60_000);
});

const example = 'c6p-example';
describe.skipIf(!live)('live labs/calico-ipv6-pools.lab.ts (c6p-example)', () => {
  labAroundSuite({ ...(ipv6PoolsLab as LabSpec), name: example });

  it('every check of the example lab passes: blocks of both IPv6 pools, BGP in IPv6, no NAT between pools, natOutgoing per IPv6 pool', async () => {
    const results = await runChecks(readState(example)!);
    expect(results).toHaveLength(6);
    expect(failures(results)).toEqual([]);
  }, 120_000);
});
