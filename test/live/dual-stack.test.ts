/**
 * Live dual stack: labs/dual-stack.lab.ts (renamed ds-live) built for real. Every pod has an
 * address per family; pods reach each other across nodes over IPv6 without NAT (the echo reports
 * the client's own IPv6 address); IPv6 and dual-stack Services answer at their IPv6 cluster IPs
 * through kube-proxy's `ip6` table; a NodePort on a node's IPv6 address is source-NATed; and
 * `down` leaves nothing behind.
 */
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import dualStackLab from '../../labs/dual-stack.lab.ts';
import dualStackIPv6Lab from '../../labs/dual-stack-ipv6.lab.ts';
import flagship from '../../labs/pod-networking.lab.ts';
import { runChecks } from '../../src/check/run.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { down } from '../../src/runtime/down.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { recreatePod, scalePod } from '../../src/runtime/pods.ts';
import { readState } from '../../src/runtime/state.ts';
import { httpFrom, inLab, labAroundSuite, labNetnsOnHost, liveGuard, upLab } from './host.ts';

const live = liveGuard();
const name = 'ds-live';

describe.skipIf(!live)('live dual stack (labs/dual-stack.lab.ts)', () => {
  const state = labAroundSuite({ ...dualStackLab, name }).lab;
  const pod = (n: string) => state().plan.pods.find((p) => p.name === n)!;
  const v6 = (ips: readonly string[]) => ips.find((a) => a.includes(':'))!;
  const svc = (n: string) => state().plan.services.find((s) => s.name === n)!;

  it('pod to pod across nodes over IPv6 without NAT: the server sees the client pod’s IPv6 address', async () => {
    // The first request, right after `up`, with no retry: `up` returns once IPv6 works across nodes
    // (DAD off before any node interface comes up; the probe's timeout is 2 s, the wait it used to see ~1 s).
    const r = await httpFrom(state(), 'client', `http://[${v6(pod('web-2').ips)}]:8080/`);
    expect(r.pod).toBe('web-2');
    expect(r.client).toBe(v6(pod('client').ips));
  });

  it('every pod has an IPv4 and an IPv6 address on eth0, IPv4 first (status.podIPs)', async () => {
    for (const pn of ['web-1', 'web-2', 'client']) {
      const p = pod(pn);
      expect(p.ips.map((a) => a.includes(':'))).toEqual([false, true]);
      const { stdout } = await execa('ip', ['-n', p.netns, '-j', 'addr', 'show', 'eth0']);
      const addrs = (JSON.parse(stdout) as { addr_info: { local: string; tentative?: boolean }[] }[])[0]!.addr_info;
      for (const a of p.ips) expect(addrs.map((x) => x.local), pn).toContain(a);
      // DAD is off: no address is left tentative.
      expect(addrs.filter((x) => x.tentative)).toEqual([]);
    }
    // `podlab status` shows status.podIPs and a dual-stack Service's clusterIPs.
    const st = labStatus(name)!;
    expect(st.pods.find((p) => p.name === 'client')!.podIPs).toEqual(pod('client').ips);
    expect(st.services.find((s) => s.name === 'web')!.clusterIPs).toEqual(svc('web').clusterIPs);
  });

  it('a dual-stack Service answers at both cluster IPs; an IPv6 Service at its IPv6 one', async () => {
    const web = svc('web');
    expect(web.ipFamilies).toEqual(['IPv4', 'IPv6']);
    const [a, b] = web.clusterIPs!;
    expect((await httpFrom(state(), 'client', `http://${a}/`)).client).toBe(pod('client').ips[0]);
    expect((await httpFrom(state(), 'client', `http://[${b}]/`)).client).toBe(v6(pod('client').ips));
    const only6 = svc('web-v6');
    expect(only6.clusterIPs!.length).toBe(1);
    expect(only6.clusterIP).toContain(':');
    expect(['web-1', 'web-2']).toContain((await httpFrom(state(), 'client', `http://[${only6.clusterIP}]/`)).pod);
  });

  it('DNS: AAAA for IPv6 cluster IPs, NODATA for an IPv4-only Service, ip6.arpa PTR, DNS Service over IPv6', async () => {
    const dig = async (server: string, ...q: string[]) => (await inLab(state(), 'client', ['dig', '+time=2', '+tries=2', `@${server}`, ...q])).stdout;
    const [dns4, dns6] = svc('kube-dns').clusterIPs!;
    expect(dns6).toContain(':');
    const web = svc('web').clusterIPs!;
    // Asked over IPv6, at the kube-dns Service's IPv6 cluster IP.
    const aaaa = await dig(dns6!, 'web.default.svc.cluster.local', 'AAAA');
    expect(aaaa).toContain('status: NOERROR');
    expect(aaaa).toMatch(new RegExp(`IN\\s+AAAA\\s+${web[1]!.replace(/\./g, '\\.')}`));
    expect(await dig(dns4!, '+short', 'web.default.svc.cluster.local', 'A')).toBe(web[0]);
    const nodata = await dig(dns4!, 'web-v4.default.svc.cluster.local', 'AAAA');
    expect(nodata).toContain('status: NOERROR');
    expect(nodata).toContain('ANSWER: 0');
    expect(await dig(dns4!, '+short', '-x', web[1]!)).toBe('web.default.svc.cluster.local.');
    expect(await dig(dns4!, '+short', '-x', v6(pod('web-2').ips))).toContain('.web.default.svc.cluster.local.');
  });

  it('the lab’s own checks pass in both families (pod-to-pod, Services, node-to-node, AAAA, NODATA)', async () => {
    const results = await runChecks(state());
    expect(results.length).toBeGreaterThanOrEqual(8);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });

  it('checks in IPv6: the dns check asks kube-dns at its IPv6 cluster IP and PTRs an IPv6 cluster IP, the route check reads ip -6 route, tcp goes to a pod’s IPv6 address', async () => {
    const results = await runChecks(state());
    const byName = (n: string) => results.find((x) => x.name === n)!;
    for (const n of ['kube-dns asked at its IPv6 cluster IP', 'PTR of an IPv6 cluster IP, under ip6.arpa', 'TCP to a pod at its IPv6 address', 'kubenet: the IPv6 slice of worker-2 via its IPv6 address (ip -6 route)'])
      expect(byName(n), n).toMatchObject({ status: 'pass' });
    expect(byName('kube-dns asked at its IPv6 cluster IP').seen).toContain(`A ${svc('web').clusterIPs![0]}`);
    // From the client's own IPv6 address, to web-2's.
    expect(byName('TCP to a pod at its IPv6 address').seen).toMatch(new RegExp(`^connected from \\[?${v6(pod('client').ips)}\\]?\\S* to ${v6(pod('web-2').ips)}:8080$`));
    expect(byName('kubenet: the IPv6 slice of worker-2 via its IPv6 address (ip -6 route)').seen).toBe(`${state().plan.nodes.find((n) => n.name === 'worker-2')!.podCidrs[1]} via ${v6(state().plan.nodes.find((n) => n.name === 'worker-2')!.ips)} dev eth0`);
  });

  it('NodePort on a node’s IPv6 address: the backend sees a node address, not the client (SNAT in IPv6)', async () => {
    const w1 = state().plan.nodes.find((n) => n.name === 'worker-1')!;
    const cp = state().plan.nodes.find((n) => n.name === 'control-plane')!;
    const r = await httpFrom(state(), 'node/control-plane', `http://[${v6(w1.ips)}]:30080/`);
    expect(['web-1', 'web-2']).toContain(r.pod);
    expect(r.client).toContain(':');
    expect(r.client).not.toBe(v6(cp.ips));
  });
  it('an outside host and the gateway have IPv6 too: a pod reaches the host source-NATed to its node’s IPv6 address, the host a NodePort over IPv6', async () => {
    const host = state().plan.hosts.find((h) => h.name === 'internet')!;
    const w1 = state().plan.nodes.find((n) => n.name === 'worker-1')!;
    expect(host.ips.map((a) => a.includes(':'))).toEqual([false, true]);
    const out = await httpFrom(state(), 'client', `http://[${v6(host.ips)}]:8000/`);
    expect([out.pod, out.client]).toEqual(['internet', v6(w1.ips)]);
    const w2 = state().plan.nodes.find((n) => n.name === 'worker-2')!;
    const np = await httpFrom(state(), 'host/internet', `http://[${v6(w2.ips)}]:30080/`);
    expect(['web-1', 'web-2']).toContain(np.pod);
    expect(np.client).toContain(':');
    // A dual-stack LoadBalancer Service: an address per family, both held by the gateway.
    const lb = svc('web-lb').loadBalancerIPs!;
    expect(lb.map((a) => a.includes(':'))).toEqual([false, true]);
    for (const a of lb) expect(['web-1', 'web-2']).toContain((await httpFrom(state(), 'host/internet', a.includes(':') ? `http://[${a}]/` : `http://${a}/`)).pod);
  });

  it('a pod re-created at run time, and a copy made by scale, keep an IPv6 endpoint (address, Services, status)', async () => {
    const old = pod('web-2').ips;
    const r = await recreatePod(realExecutor, state(), 'web-2');
    const now = readState(name)!.pods['web-2']!;
    expect(r.ip).not.toBe(old[0]);
    // The new IPv4 address's host number in worker-2's IPv6 slice (10.244.2.N → fd00:10:244:2::N).
    const six = `fd00:10:244:2::${Number(r.ip.split('.')[3]).toString(16)}`;
    expect(now.ips).toEqual([r.ip, six]);
    const eth0 = JSON.parse((await execa('ip', ['-n', pod('web-2').netns, '-j', 'addr', 'show', 'eth0'])).stdout) as { addr_info: { local: string }[] }[];
    expect(eth0[0]!.addr_info.map((a) => a.local)).toEqual(expect.arrayContaining([r.ip, six]));
    expect(labStatus(name)!.pods.find((p) => p.name === 'web-2')!.podIPs).toEqual([r.ip, six]);
    // The IPv6-only Service's endpoints follow: its ip6 table sends to the new IPv6 address.
    expect(r.sync.endpoints['default/web-v6']!.map((e) => e.ips ?? [e.ip]).flat()).toContain(six);
    const table = (await execa('ip', ['netns', 'exec', state().plan.nodes[1]!.netns, 'nft', 'list', 'table', 'ip6', 'podlab'])).stdout;
    expect(table).toContain(six);
    expect(table).not.toContain(old[1]!);
    const seen = new Set<string>();
    for (let i = 0; i < 12 && !seen.has('web-2'); i++) seen.add((await httpFrom(readState(name)!, 'client', `http://[${svc('web-v6').clusterIP}]/`)).pod);
    expect(seen).toContain('web-2');
    // scale: the copy web-1-r2 gets its own address in both families, and backs the IPv6 Service.
    const sc = await scalePod(realExecutor, readState(name)!, 'web-1', 2);
    expect(sc.created).toEqual(['web-1-r2']);
    const copy = readState(name)!.pods['web-1-r2']!;
    expect(copy.ips!.map((a) => a.includes(':'))).toEqual([false, true]);
    expect(sc.sync.endpoints['default/web-v6']!.flatMap((e) => e.ips ?? [e.ip])).toContain(copy.ips![1]);
    const direct = await httpFrom(readState(name)!, 'client', `http://[${copy.ips![1]}]:8080/`);
    expect([direct.pod, direct.client]).toEqual(['web-1-r2', v6(pod('client').ips)]);
  }, 60_000);
});

describe.skipIf(!live)('live dual stack on flannel (the flagship lab with its ipFamilies line on)', () => {
  const fl = 'ds-flannel';
  const state = labAroundSuite({ ...flagship, name: fl, ipFamilies: ['IPv4', 'IPv6'] }).lab;

  it('IPv6 pod to pod across nodes rides flannel-v6.1 (IPv6 outer headers), IPv4 flannel.1, without NAT; the lab’s own checks pass', async () => {
    const ips = (n: string) => state().plan.pods.find((p) => p.name === n)!.ips;
    const client = state().plan.pods.find((p) => p.name === 'client')!;
    const node = state().plan.nodes.find((n) => n.name === client.node)!;
    const peer = state().plan.nodes.find((n) => n.name === state().plan.pods.find((p) => p.name === 'web-2')!.node)!;
    type Link = { ifname: string; address: string; mtu: number; linkinfo: { info_data: { local?: string; local6?: string } } };
    const links = async () => JSON.parse((await execa('ip', ['-n', node.netns, '-j', '-s', '-d', 'link', 'show', 'type', 'vxlan'])).stdout) as (Link & { stats64: { tx: { packets: number } } })[];
    const before = await links();
    // flanneld's two VTEPs: each its family's local address, a MAC of its own, the IPv6 one 70 below the link's MTU.
    expect(before.map((l) => [l.ifname, l.mtu, l.linkinfo.info_data.local ?? l.linkinfo.info_data.local6])).toEqual([
      ['flannel.1', 1450, node.ips[0]],
      ['flannel-v6.1', 1430, node.ips[1]],
    ]);
    expect(before[0]!.address).not.toBe(before[1]!.address);
    expect((await execa('bridge', ['-n', node.netns, 'fdb', 'show', 'dev', 'flannel-v6.1'])).stdout).toContain(`dst ${peer.ips[1]}`);
    expect((await execa('ip', ['-n', node.netns, '-6', 'route', 'get', ips('web-2')[1]!])).stdout).toContain('dev flannel-v6.1');
    const r = await httpFrom(state(), 'client', `http://[${ips('web-2')[1]}]:8080/`);
    expect(r.pod).toBe('web-2');
    expect(r.client).toBe(ips('client')[1]);
    const after = await links();
    expect(after[1]!.stats64.tx.packets).toBeGreaterThan(before[1]!.stats64.tx.packets);
    const results = await runChecks(state());
    expect(results.filter((x) => x.status !== 'pass').map((x) => x.name)).toEqual([]);
  });
});

describe.skipIf(!live)('live dual stack, IPv6 primary (labs/dual-stack-ipv6.lab.ts, and the flagship on flannel)', () => {
  const v6p = 'ds-v6p';
  const v6f = 'ds-v6p-flannel';
  const state = labAroundSuite({ ...dualStackIPv6Lab, name: v6p }).lab;
  const pod = (n: string) => state().plan.pods.find((p) => p.name === n)!;
  // The flagship of the last test, if it failed half-way.
  afterAll(async () => {
    await down(v6f);
    expect(await labNetnsOnHost(v6f)).toEqual([]);
  }, 60_000);

  it('IPv6 is first: node and pod lists, status podIPs and endpoints, a pod reached at its primary address without NAT', async () => {
    // Right after `up`, with no retry: the first request is IPv6 across nodes.
    const r = await httpFrom(state(), 'client', `http://[${pod('web-2').ips[0]}]:8080/`);
    expect([r.pod, r.client]).toEqual(['web-2', pod('client').ips[0]]);
    for (const pn of ['web-1', 'web-2', 'client']) expect(pod(pn).ips.map((a) => a.includes(':')), pn).toEqual([true, false]);
    const st = labStatus(v6p)!;
    expect(st.pods.find((p) => p.name === 'client')!.podIPs).toEqual(pod('client').ips);
    expect(st.nodes.find((n) => n.name === 'worker-1')!.ips[0]).toContain(':');
    expect(st.services.find((s) => s.name === 'web-v6')!.endpoints.every((e) => e.ip.includes(':'))).toBe(true);
  });

  it('resolv.conf names kube-dns’s IPv6 cluster IP, and the pod resolves through it (A and AAAA)', async () => {
    const dnsIPs = state().plan.services.find((s) => s.name === 'kube-dns')!.clusterIPs!;
    expect(dnsIPs[0]).toContain(':');
    const conf = (await inLab(state(), 'client', ['cat', '/etc/resolv.conf'])).stdout;
    expect(conf).toContain(`nameserver ${dnsIPs[0]}\n`);
    const web = state().plan.services.find((s) => s.name === 'web')!.clusterIPs!;
    expect((await inLab(state(), 'client', ['dig', '+short', '+time=2', 'web.default.svc.cluster.local', 'AAAA'])).stdout).toBe(web[0]);
    expect((await inLab(state(), 'client', ['dig', '+short', '+time=2', 'web.default.svc.cluster.local', 'A'])).stdout).toBe(web[1]);
  });

  it('the lab’s own checks pass (primary-family targets, IPv4 on request, A NODATA for an IPv6-only Service)', async () => {
    const results = await runChecks(state());
    expect(results.length).toBe(13);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });

  it('flannel: the flagship lab with ipFamilies [IPv6, IPv4] comes up and passes its checks over IPv6', async () => {
    await down(v6f);
    const fl = await upLab({ ...flagship, name: v6f, ipFamilies: ['IPv6', 'IPv4'] });
    const ips = (n: string) => fl.plan.pods.find((p) => p.name === n)!.ips;
    const r = await httpFrom(fl, 'client', `http://[${ips('web-2')[0]}]:8080/`);
    expect([r.pod, r.client]).toEqual(['web-2', ips('client')[0]]);
    const results = await runChecks(fl);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
    await down(v6f);
  }, 90_000);
});
