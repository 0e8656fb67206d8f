/**
 * Live: Calico with IPv6 alone and Calico's VXLAN in IPv6. labs/calico-ipv6-only.lab.ts (renamed
 * c6o-bgp) comes up with no IPv4 on any interface of its namespaces beyond loopback and no IPv4
 * route; BIRD's IPv6 mesh is Established with router ids hashed from the node names, the blocks
 * are learned `proto bird`, and the lab's checks pass (pod to pod across nodes without NAT, a
 * Service, DNS AAAA, bgp and block checks over IPv6). labs/calico-vxlan-dual-stack.lab.ts
 * (renamed c6o-vx) builds vxlan.calico beside vxlan-v6.calico (IPv6 outer headers between the
 * nodes' IPv6 addresses, Felix's MAC, MTU 70 below the link, FDB and neighbour entries), and its
 * checks pass; the same lab switched to IPv6-only by its ipFamilies line builds vxlan-v6.calico
 * alone. `down` leaves none of the three labs' namespaces.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bgpLab from '../../labs/calico-ipv6-only.lab.ts';
import vxlanLab from '../../labs/calico-vxlan-dual-stack.lab.ts';
import { runChecks } from '../../src/check/run.ts';
import { down } from '../../src/runtime/down.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { calicoStatus, calicoStatusLines } from '../../src/runtime/calico-status.ts';
import { hashRouterId } from '../../src/cni/calico/routerid.ts';
import { httpFrom, liveGuard, upLab } from './host.ts';

const live = liveGuard();

async function labNetns(name: string): Promise<string[]> {
  const { stdout } = await execa('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`podlab-${name}.`));
}

async function until<T>(probe: () => Promise<T | undefined>, ms = 30_000): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!live)('live Calico IPv6-only with BGP (labs/calico-ipv6-only.lab.ts)', () => {
  const name = 'c6o-bgp';
  let state: LabState;
  const node = (n: string) => state.plan.nodes.find((x) => x.name === n)!;
  const pod = (n: string) => state.plan.pods.find((p) => p.name === n)!;

  beforeAll(async () => {
    await down(name);
    state = await upLab({ ...bgpLab, name });
  }, 120_000);
  afterAll(async () => {
    await down(name);
    expect(await labNetns(name)).toEqual([]);
  }, 60_000);

  it('nothing IPv4: no namespace of the lab has an IPv4 address beyond loopback or an IPv4 route', async () => {
    const mine = await labNetns(name);
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
    const r = await httpFrom(state, 'client', `http://[${pod('web-2').ip}]:8080/`);
    expect([r.pod, r.client]).toEqual(['web-2', pod('client').ip]);
    const addrs = (await execa('ip', ['-n', pod('client').netns, '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).stdout;
    expect(addrs).toContain(`${pod('client').ip}/128`);
  });

  it("the lab's checks pass: pod to pod, a Service, DNS AAAA, bgp and block checks over IPv6", async () => {
    const results = await until(async () => {
      const r = await runChecks(state);
      return r.every((x) => x.status === 'pass') ? r : undefined;
    }, 20_000) ?? (await runChecks(state));
    expect(results.length).toBe(8);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });

  it('podlab status shows the IPv6 pool, each node’s IPv6 block and its IPv6 sessions Established, and no IPv4 line', async () => {
    const lines = calicoStatusLines((await calicoStatus(realExecutor, state))!);
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
  let state: LabState;
  let state6: LabState;
  const node = (s: LabState, n: string) => s.plan.nodes.find((x) => x.name === n)!;
  const pod = (s: LabState, n: string) => s.plan.pods.find((p) => p.name === n)!;
  const ip6 = (s: LabState, n: string) => pod(s, n).ips.find((a) => a.includes(':'))!;
  const details = async (s: LabState, n: string, dev: string) =>
    (JSON.parse((await execa('ip', ['-n', node(s, n).netns, '-j', '-d', 'link', 'show', dev])).stdout) as { address: string; mtu: number; linkinfo: { info_data: { id: number; port: number; local?: string; local6?: string } } }[])[0]!;

  beforeAll(async () => {
    await down(dual);
    await down(only);
    state = await upLab({ ...vxlanLab, name: dual });
    state6 = await upLab({ ...vxlanLab, name: only, ipFamilies: ['IPv6'] });
  }, 180_000);
  afterAll(async () => {
    await down(dual);
    await down(only);
    expect(await labNetns(dual)).toEqual([]);
    expect(await labNetns(only)).toEqual([]);
  }, 60_000);

  it('dual stack: vxlan.calico speaks IPv4 and vxlan-v6.calico IPv6 between the nodes, VNI 4096, UDP 4789, MTUs 1450 and 1430', async () => {
    const v4 = await details(state, 'c1-node1', 'vxlan.calico');
    const v6 = await details(state, 'c1-node1', 'vxlan-v6.calico');
    expect([v4.linkinfo.info_data.local, v4.mtu, v4.linkinfo.info_data.id, v4.linkinfo.info_data.port]).toEqual([node(state, 'c1-node1').ip, 1450, 4096, 4789]);
    const n1v6 = node(state, 'c1-node1').ips.find((a) => a.includes(':'))!;
    expect([v6.linkinfo.info_data.local6, v6.mtu, v6.linkinfo.info_data.id, v6.linkinfo.info_data.port]).toEqual([n1v6, 1430, 4096, 4789]);
    const n2v6 = node(state, 'c1-node2').ips.find((a) => a.includes(':'))!;
    const fdb = (await execa('bridge', ['-n', node(state, 'c1-node1').netns, 'fdb', 'show', 'dev', 'vxlan-v6.calico'])).stdout;
    expect(fdb).toContain(`dst ${n2v6}`);
    const addr = (await execa('ip', ['-n', node(state, 'c1-node1').netns, '-6', '-o', 'addr', 'show', 'dev', 'vxlan-v6.calico', 'scope', 'global'])).stdout;
    expect(addr).toContain('fd00:10:244::40/128');
  });

  it("dual stack: pod to pod across nodes in both families without NAT, and the lab's checks pass", async () => {
    const r6 = await httpFrom(state, 'client', `http://[${ip6(state, 'web-2')}]:8080/`);
    expect([r6.pod, r6.client]).toEqual(['web-2', ip6(state, 'client')]);
    const r4 = await httpFrom(state, 'client', `http://${pod(state, 'web-2').ip}:8080/`);
    expect([r4.pod, r4.client]).toEqual(['web-2', pod(state, 'client').ip]);
    const results = await runChecks(state);
    expect(results.length).toBe(7);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });

  it('IPv6-only by one line: vxlan-v6.calico alone, nothing IPv4 beyond loopback, pod to pod over it without NAT, its checks pass', async () => {
    for (const ns of await labNetns(only)) {
      const v4 = (await execa('ip', ['-n', ns, '-4', '-o', 'addr', 'show'])).stdout.split('\n').filter((l) => l && !/\blo\b/.test(l));
      expect(v4, ns).toEqual([]);
      expect((await execa('ip', ['-n', ns, '-4', 'route', 'show'])).stdout, ns).toBe('');
    }
    const links = (await execa('ip', ['-n', node(state6, 'c1-node1').netns, '-o', 'link', 'show', 'type', 'vxlan'])).stdout;
    expect(links).toContain('vxlan-v6.calico');
    expect(links).not.toContain('vxlan.calico:');
    const r = await httpFrom(state6, 'client', `http://[${pod(state6, 'web-2').ip}]:8080/`);
    expect([r.pod, r.client]).toEqual(['web-2', pod(state6, 'client').ip]);
    const results = await runChecks(state6);
    // A check without `family` goes to the pod's one (IPv6) address: every check of the lab passes.
    expect(results.length).toBe(7);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });
});
