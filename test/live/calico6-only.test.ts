/**
 * Live: Calico with IPv6 alone and Calico's VXLAN in IPv6. labs/calico-ipv6-only.lab.ts (renamed
 * c6o-bgp) comes up with no IPv4 on any interface of its namespaces beyond loopback and no IPv4
 * route; BIRD's IPv6 mesh is Established with router ids hashed from the node names, the blocks
 * are learned `proto bird`, and the lab's checks pass (pod to pod across nodes without NAT, a
 * Service, DNS AAAA, bgp and block checks over IPv6). labs/calico-vxlan-dual-stack.lab.ts
 * (renamed c6o-vx) builds vxlan.calico beside vxlan-v6.calico (IPv6 outer headers between the
 * nodes' IPv6 addresses, Felix's MAC, MTU 70 below the link, FDB and neighbour entries), and its
 * checks pass; the same lab switched to IPv6-only by its ipFamilies line builds vxlan-v6.calico
 * alone. c6o-pools: IPv6-only with c6pools' IPv6 side — two IPv6 pools (nodeSelector, blockSize,
 * natOutgoing per pool), nodeToNodeMesh false with IPv6 BGPPeers under hashed router ids, an IPv6
 * block claimed at run time and advertised over a Node_ session. `down` leaves none of the labs'
 * namespaces.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import bgpLab from '../../labs/calico-ipv6-only.lab.ts';
import vxlanLab from '../../labs/calico-vxlan-dual-stack.lab.ts';
import { runChecks } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import type { LabSpec } from '../../src/index.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { calicoStatus, calicoStatusLines } from '../../src/runtime/calico-status.ts';
import { hashRouterId } from '../../src/cni/calico/routerid.ts';
import { httpFrom, labAroundSuite, labNetnsOnHost, liveGuard } from './host.ts';
import { until } from './calico-lab.ts';

const live = liveGuard();

describe.skipIf(!live)('live Calico IPv6-only with BGP (labs/calico-ipv6-only.lab.ts)', () => {
  const name = 'c6o-bgp';
  const state = labAroundSuite({ ...bgpLab, name }).lab;
  const node = (n: string) => state().plan.nodes.find((x) => x.name === n)!;
  const pod = (n: string) => state().plan.pods.find((p) => p.name === n)!;

  it('nothing IPv4: no namespace of the lab has an IPv4 address beyond loopback or an IPv4 route', async () => {
    const mine = await labNetnsOnHost(name);
    expect(mine.length).toBe(8); // fabric, 3 nodes, 3 pods, coredns
    for (const ns of mine) {
      const v4 = (await execa('ip', ['-n', ns, '-4', '-o', 'addr', 'show'])).stdout.split('\n').filter((l) => l && !/\blo\b/.test(l));
      expect(v4, ns).toEqual([]);
      expect((await execa('ip', ['-n', ns, '-4', 'route', 'show'])).stdout, ns).toBe('');
    }
  });

  it("BIRD's IPv6 mesh is Established under router ids hashed from the node names, and the peers' blocks are routes proto bird", async () => {
    const birdc = (n: string, ...a: string[]) => execa('birdc', ['-s', `/run/podlab/${name}/bird-${n}.ctl`, ...a], { reject: false, timeout: 10_000 });
    for (const n of ['c1-master1', 'c1-node1', 'c1-node2']) {
      const out = await until(async () => {
        const o = (await birdc(n, 'show', 'protocols')).stdout;
        return (o.match(/^Mesh_fd00_172_16_94__[abc]\s+BGP\s+.*Established/gm) ?? []).length === 2 ? o : undefined;
      });
      expect(out, n).toBeDefined();
      expect((await birdc(n, 'show', 'status')).stdout).toContain(`Router ID is ${hashRouterId(n)}`);
    }
    const routes = await until(async () => {
      const o = (await execa('ip', ['-n', node('c1-node1').netns, '-6', 'route', 'show', 'proto', 'bird'])).stdout;
      return o.includes('fd00:10:244::80/122 via fd00:172:16:94::c') ? o : undefined;
    });
    expect(routes).toContain('blackhole fd00:10:244::40/122');
    expect(routes).toContain('fd00:10:244::/122 via fd00:172:16:94::a dev eth0');
  });

  it('pod to pod across nodes over IPv6 without NAT, and the pods hold their /128 alone', async () => {
    const r = await httpFrom(state(), 'client', `http://[${pod('web-2').ip}]:8080/`);
    expect([r.pod, r.client]).toEqual(['web-2', pod('client').ip]);
    const addrs = (await execa('ip', ['-n', pod('client').netns, '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).stdout;
    expect(addrs).toContain(`${pod('client').ip}/128`);
  });

  it("the lab's checks pass: pod to pod, a Service, DNS AAAA, bgp and block checks over IPv6", async () => {
    const results = await until(async () => {
      const r = await runChecks(state());
      return r.every((x) => x.status === 'pass') ? r : undefined;
    }, 20_000) ?? (await runChecks(state()));
    expect(results.length).toBe(8);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });

  it('podlab status shows the IPv6 pool, each node’s IPv6 block and its IPv6 sessions Established, and no IPv4 line', async () => {
    const lines = calicoStatusLines((await calicoStatus(realExecutor, state()))!);
    expect(lines).toContain('  pool default-ipv6-ippool fd00:10:244::/56 (/122 blocks, natOutgoing false, encapsulation None)');
    expect(lines).toContain('  blocks6 c1-node1      fd00:10:244::40/122');
    expect(lines).toContain('  bgp6   c1-node1       c1-master1 Established, c1-node2 Established');
    expect(lines.filter((l) => /^ {2}(blocks|bgp) /.test(l))).toEqual([]);
  });

  it('a pod re-created at run time takes the next IPv6 address of its block, and its Service follows it', async () => {
    const { oldIp, ip } = await recreatePod(realExecutor, readState(name)!, 'web-2');
    expect([oldIp, ip]).toEqual(['fd00:10:244::80', 'fd00:10:244::81']);
    const now = readState(name)!;
    const r = await httpFrom(now, 'client', `http://[${ip}]:8080/`);
    expect(r.pod).toBe('web-2');
    const results = await runChecks(now);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });
});

describe.skipIf(!live)("live Calico VXLAN in IPv6: dual stack and IPv6-only (labs/calico-vxlan-dual-stack.lab.ts)", () => {
  const dual = 'c6o-vx';
  const only = 'c6o-vx6';
  const state = labAroundSuite({ ...vxlanLab, name: dual }).lab;
  const state6 = labAroundSuite({ ...vxlanLab, name: only, ipFamilies: ['IPv6'] }).lab;
  const node = (s: LabState, n: string) => s.plan.nodes.find((x) => x.name === n)!;
  const pod = (s: LabState, n: string) => s.plan.pods.find((p) => p.name === n)!;
  const ip6 = (s: LabState, n: string) => pod(s, n).ips.find((a) => a.includes(':'))!;
  const details = async (s: LabState, n: string, dev: string) =>
    (JSON.parse((await execa('ip', ['-n', node(s, n).netns, '-j', '-d', 'link', 'show', dev])).stdout) as { address: string; mtu: number; linkinfo: { info_data: { id: number; port: number; local?: string; local6?: string } } }[])[0]!;

  it('dual stack: vxlan.calico speaks IPv4 and vxlan-v6.calico IPv6 between the nodes, VNI 4096, UDP 4789, MTUs 1450 and 1430', async () => {
    const v4 = await details(state(), 'c1-node1', 'vxlan.calico');
    const v6 = await details(state(), 'c1-node1', 'vxlan-v6.calico');
    expect([v4.linkinfo.info_data.local, v4.mtu, v4.linkinfo.info_data.id, v4.linkinfo.info_data.port]).toEqual([node(state(), 'c1-node1').ip, 1450, 4096, 4789]);
    const n1v6 = node(state(), 'c1-node1').ips.find((a) => a.includes(':'))!;
    expect([v6.linkinfo.info_data.local6, v6.mtu, v6.linkinfo.info_data.id, v6.linkinfo.info_data.port]).toEqual([n1v6, 1430, 4096, 4789]);
    const n2v6 = node(state(), 'c1-node2').ips.find((a) => a.includes(':'))!;
    const fdb = (await execa('bridge', ['-n', node(state(), 'c1-node1').netns, 'fdb', 'show', 'dev', 'vxlan-v6.calico'])).stdout;
    expect(fdb).toContain(`dst ${n2v6}`);
    const addr = (await execa('ip', ['-n', node(state(), 'c1-node1').netns, '-6', '-o', 'addr', 'show', 'dev', 'vxlan-v6.calico', 'scope', 'global'])).stdout;
    expect(addr).toContain('fd00:10:244::40/128');
  });

  it("dual stack: pod to pod across nodes in both families without NAT, and the lab's checks pass", async () => {
    const r6 = await httpFrom(state(), 'client', `http://[${ip6(state(), 'web-2')}]:8080/`);
    expect([r6.pod, r6.client]).toEqual(['web-2', ip6(state(), 'client')]);
    const r4 = await httpFrom(state(), 'client', `http://${pod(state(), 'web-2').ip}:8080/`);
    expect([r4.pod, r4.client]).toEqual(['web-2', pod(state(), 'client').ip]);
    const results = await runChecks(state());
    expect(results.length).toBe(7);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });

  it('IPv6-only by one line: vxlan-v6.calico alone, nothing IPv4 beyond loopback, pod to pod over it without NAT, its checks pass', async () => {
    for (const ns of await labNetnsOnHost(only)) {
      const v4 = (await execa('ip', ['-n', ns, '-4', '-o', 'addr', 'show'])).stdout.split('\n').filter((l) => l && !/\blo\b/.test(l));
      expect(v4, ns).toEqual([]);
      expect((await execa('ip', ['-n', ns, '-4', 'route', 'show'])).stdout, ns).toBe('');
    }
    const links = (await execa('ip', ['-n', node(state6(), 'c1-node1').netns, '-o', 'link', 'show', 'type', 'vxlan'])).stdout;
    expect(links).toContain('vxlan-v6.calico');
    expect(links).not.toContain('vxlan.calico:');
    const r = await httpFrom(state6(), 'client', `http://[${pod(state6(), 'web-2').ip}]:8080/`);
    expect([r.pod, r.client]).toEqual(['web-2', pod(state6(), 'client').ip]);
    const results = await runChecks(state6());
    // A check without `family` goes to the pod's one (IPv6) address: every check of the lab passes.
    expect(results.length).toBe(7);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });
});

const web6 = { containers: [{ name: 'web', workload: { kind: 'http-echo' as const } }] };
const poolsName = 'c6o-pools';
const poolsSpec: LabSpec = {
  name: poolsName,
  ipFamilies: ['IPv6'],
  cni: {
    type: 'calico',
    ipPools: [
      { name: 'v6-nat', cidr: 'fd00:10:244:a::/120', blockSize: 124, nodeSelector: "rack == 'a'", natOutgoing: true },
      { name: 'six', cidr: 'fd00:10:244:c::/124', blockSize: 126, nodeSelector: '!has(rack)', natOutgoing: false },
    ],
    // No mesh: cp peers with each node (Node_), every node with cp (Global_), all IPv6 sessions.
    nodeToNodeMesh: false,
    peers: [
      { peerIP: 'fd00:172:16:94::a', asNumber: 64512 },
      { node: 'cp', peerIP: 'fd00:172:16:94::b', asNumber: 64512 },
      { node: 'cp', peerIP: 'fd00:172:16:94::c', asNumber: 64512 },
    ],
  },
  nodes: { cp: { role: 'control-plane' }, w1: { labels: { rack: 'a' } }, w2: {} },
  pods: { r: { node: 'cp', ...web6 }, a1: { node: 'w1', ...web6 }, q1: { node: 'w2', ...web6 }, q2: { node: 'w2', ...web6 } },
  hosts: { internet: { network: 'external', containers: [{ name: 'web', workload: { kind: 'http-echo', port: 80 } }] } },
  dns: false,
  checks: [
    { kind: 'bgp', from: 'node/w1', peer: 'node/cp', name: 'w1 ⇄ cp over a Global_ IPv6 session' },
    { kind: 'bgp', from: 'node/cp', peer: 'node/w2', learned: 'blocks', name: "cp learned w2's block of pool six over a Node_ session" },
    { kind: 'block', from: 'node/w1', holds: ['fd00:10:244:a::/124'], name: 'w1 holds a /124 of pool v6-nat' },
    { kind: 'http', from: 'a1', to: 'r', port: 8080, expectPod: 'r', expectNoNat: true, name: 'v6-nat → six across nodes, no NAT' },
    { kind: 'http', from: 'a1', to: 'host/internet', port: 80, expectSource: 'node/w1', name: "v6-nat has natOutgoing: the outside host sees w1's address" },
    { kind: 'http', from: 'q1', to: 'host/internet', port: 80, expectNoNat: true, name: "six has none: the outside host sees q1's own address" },
  ],
  scenarios: {
    claim6: {
      steps: [
        { action: 'delete-pod', pod: 'q2' },
        { action: 'exhaust-block', node: 'w2' },
        { action: 'create-pod', pod: 'q2' },
        { check: { kind: 'block', from: 'node/w2', holds: ['fd00:10:244:c::4/126', 'fd00:10:244:c::8/126'], name: 'w2 claimed a free block of pool six' } },
        { check: { kind: 'bgp', from: 'node/cp', peer: 'node/w2', learned: 'fd00:10:244:c::8/126', timeoutMs: 10000, name: "cp learned w2's new block" } },
        { check: { kind: 'http', from: 'r', to: 'q2', port: 8080, expectPod: 'q2', expectNoNat: true, name: 'cp → q2 in the new block, no NAT' } },
      ],
    },
  },
};

describe.skipIf(!live)('live Calico IPv6-only with several pools and peers (c6o-pools)', () => {
  const state = labAroundSuite(poolsSpec).lab;

  it("no IPv4 pool; pods take their node's pool; Node_/Global_ sessions under hashed router ids; natOutgoing per IPv6 pool", async () => {
    const ips = (pod: string) => state().plan.pods.find((p) => p.name === pod)!.ips;
    expect([ips('r'), ips('a1'), ips('q1')]).toEqual([['fd00:10:244:c::'], ['fd00:10:244:a::'], ['fd00:10:244:c::4']]);
    const cp = state().plan.nodes.find((n) => n.name === 'cp')!;
    const ok = await until(async () => ((await execa('birdc', ['-s', `${state().plan.stateDir}/bird-cp.ctl`, 'show', 'protocols'])).stdout.match(/Established/g)?.length === 2 ? true : undefined));
    expect(ok).toBe(true);
    expect((await execa('birdc', ['-s', `${state().plan.stateDir}/bird-cp.ctl`, 'show', 'status'])).stdout).toContain(`Router ID is ${hashRouterId('cp')}`);
    await until(async () => ((await execa('ip', ['-n', cp.netns, '-6', 'route', 'show', 'proto', 'bird'])).stdout.includes('fd00:10:244:a::/124') ? true : undefined));
    const results = await runChecks(state());
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
    const nft = (await execa('ip', ['netns', 'exec', state().plan.nodes[1]!.netns, 'nft', 'list', 'table', 'ip6', 'calico'])).stdout;
    expect(nft).toMatch(/set masq-ipam-pools \{[^}]*elements = \{ fd00:10:244:a::\/120 \}/s);
    const lines = calicoStatusLines((await calicoStatus(realExecutor, state()))!);
    expect(lines).toContain("  pool v6-nat fd00:10:244:a::/120 (/124 blocks, natOutgoing true, encapsulation None, nodeSelector rack == 'a')");
    expect(lines.some((l) => /^ {2}pool default-ipv4-ippool/.test(l))).toBe(false);
  }, 120_000);

  it('exhaust-block then a new pod: it claims a free IPv6 block, advertised over the Node_ session', async () => {
    const [r] = await runScenarios(poolsName, ['claim6'], realExecutor);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    expect(readState(poolsName)!.pods.q2!.ip).toBe('fd00:10:244:c::8');
  }, 120_000);
});
