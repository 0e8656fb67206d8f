/**
 * Live IPv6-only: labs/ipv6-only.lab.ts (the flagship's shape, flannel; renamed v6-only) built
 * for real with no IPv4 at all. No namespace of the lab holds an IPv4 address (beyond loopback),
 * an IPv4 route or an `ip` table; pods reach each other across nodes over flannel's VXLAN in IPv6
 * without NAT; a Service and a NodePort answer through kube-proxy's `ip6` table; cluster DNS
 * answers AAAA at its IPv6 cluster IP (A is NODATA); the lab's own checks pass; a pod re-created
 * at run time gets a new IPv6 address that its Service follows; `down` leaves nothing behind.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import ipv6OnlyLab from '../../labs/ipv6-only.lab.ts';
import { runChecks } from '../../src/check/run.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { readState } from '../../src/runtime/state.ts';
import { httpFrom, inLab, ipv4In, labAroundSuite, labNetnsOnHost, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'v6-only';

describe.skipIf(!live)('live IPv6-only (labs/ipv6-only.lab.ts)', () => {
  const state = labAroundSuite({ ...ipv6OnlyLab, name }).lab;
  const pod = (n: string) => state().plan.pods.find((p) => p.name === n)!;

  it('no IPv4 anywhere: no namespace of the lab has an IPv4 address beyond loopback, an IPv4 route or an ip table', async () => {
    const mine = await labNetnsOnHost(name);
    expect(mine.length).toBe(13); // fabric, gateway, 4 nodes, the internet host, 4 pods, coredns, the ingress controller
    for (const ns of mine) expect(await ipv4In(ns, { tables: true }), ns).toEqual({ addresses: [], routes: '', tables: [] });
    const node = state().plan.nodes.find((n) => n.name === 'worker-1')!;
    expect((await execa('ip', ['netns', 'exec', node.netns, 'nft', 'list', 'tables'])).stdout).toContain('table ip6 podlab');
  });

  it('pod to pod across nodes over flannel VXLAN in IPv6, no NAT: the server sees the client’s IPv6 address', async () => {
    const r = await httpFrom(state(), 'client', `http://[${pod('web-2').ip}]:8080/`);
    expect([r.pod, r.client]).toEqual(['web-2', pod('client').ip]);
    // One VTEP, flannel-v6.1 as flanneld names it, its outer addresses the nodes' IPv6 ones; no flannel.1.
    const w1 = state().plan.nodes.find((n) => n.name === 'worker-1')!;
    const vx = JSON.parse((await execa('ip', ['-n', w1.netns, '-j', '-d', 'link', 'show', 'type', 'vxlan'])).stdout) as { ifname: string; mtu: number; linkinfo: { info_data: { local6?: string; local?: string } } }[];
    expect(vx.map((l) => [l.ifname, l.mtu])).toEqual([['flannel-v6.1', 1430]]);
    expect(vx[0]!.linkinfo.info_data.local6 ?? vx[0]!.linkinfo.info_data.local).toBe(w1.ip);
    const fdb = (await execa('bridge', ['-n', w1.netns, 'fdb', 'show', 'dev', 'flannel-v6.1'])).stdout;
    expect(fdb).toContain(`dst ${state().plan.nodes.find((n) => n.name === 'worker-2')!.ip}`);
  });

  it('DNS in IPv6 only: resolv.conf names kube-dns’s IPv6 cluster IP, AAAA answers, A is NODATA', async () => {
    const dnsIp = state().plan.services.find((s) => s.name === 'kube-dns')!.clusterIP!;
    expect(dnsIp).toMatch(/^fd00:10:96::a$/);
    expect((await inLab(state(), 'client', ['cat', '/etc/resolv.conf'])).stdout).toContain(`nameserver ${dnsIp}\n`);
    const web = state().plan.services.find((s) => s.name === 'web')!;
    expect((await inLab(state(), 'client', ['dig', '+short', '+time=2', 'web.default.svc.cluster.local', 'AAAA'])).stdout).toBe(web.clusterIP);
    const a = (await inLab(state(), 'client', ['dig', '+time=2', 'web.default.svc.cluster.local', 'A'])).stdout;
    expect(a).toContain('status: NOERROR');
    expect(a).toContain('ANSWER: 0');
  });

  it('the lab’s own checks pass (pods, Service, NodePort, AAAA, NODATA, VXLAN, ip -6 route)', async () => {
    const results = await runChecks(state());
    expect(results.length).toBe(17);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });

  it('outside host and gateway in IPv6 only: a pod reaches the host masqueraded to its node (ip6), the host reaches a NodePort and the LoadBalancer', async () => {
    const host = state().plan.hosts.find((h) => h.name === 'internet')!;
    const w1 = state().plan.nodes.find((n) => n.name === 'worker-1')!;
    expect(host.ip).toBe('fd00:203:0:113::a');
    // natOutgoing: the host sees worker-1's IPv6 address, not the pod's (masquerade in the node's ip6 table).
    const r = await httpFrom(state(), 'client', `http://[${host.ip}]:8000/`);
    expect(r.client).toBe(w1.ip);
    const masq = (await execa('ip', ['netns', 'exec', w1.netns, 'nft', 'list', 'table', 'ip6', 'podlab'])).stdout;
    expect(masq).toMatch(/ip6 saddr fd00:10:244::\/56 ip6 daddr != fd00:10:244::\/56 .*masquerade/);
    // The host reaches a NodePort and the LoadBalancer's IPv6 address through the gateway.
    const lb = state().plan.services.find((s) => s.name === 'web-lb')!;
    expect(lb.loadBalancerIPs).toEqual(['fd00:172:16:94::f1']);
    const fromHost = async (url: string) => JSON.parse((await execa('ip', ['netns', 'exec', host.netns, 'curl', '-sS', '--max-time', '3', url])).stdout) as { pod: string };
    expect(['web', 'web-2']).toContain((await fromHost(`http://[${state().plan.nodes.find((n) => n.name === 'worker-2')!.ip}]:30080/`)).pod);
    expect(['web', 'web-2']).toContain((await fromHost(`http://[${lb.loadBalancerIP}]/`)).pod);
  });

  it('an Ingress answers over IPv6: nginx listens on [::] only, behind the controller’s IPv6 LoadBalancer address; plain HTTP to its TLS host is redirected', async () => {
    const ctl = state().plan.services.find((s) => s.name === 'ingress-nginx-controller')!;
    expect([ctl.ipFamilies, ctl.loadBalancerIPs]).toEqual([['IPv6'], ['fd00:172:16:94::f2']]);
    const ing = pod('controller');
    const listening = (await execa('ip', ['netns', 'exec', ing.netns, 'ss', '-Hltn'])).stdout;
    expect(listening).toMatch(/\[::\]:80\b/);
    expect(listening).toMatch(/\[::\]:443\b/);
    expect(listening).not.toMatch(/0\.0\.0\.0:(80|443)\b/);
    const host = state().plan.hosts.find((h) => h.name === 'internet')!;
    // shop.example.com has TLS: plain HTTP is answered 308 to https:// (ingress-nginx's default), HTTPS reaches the pods.
    const plain = (await execa('ip', ['netns', 'exec', host.netns, 'curl', '-sS', '--max-time', '3', '-o', '/dev/null', '-D', '-', '-H', 'Host: shop.example.com', `http://[${ctl.loadBalancerIP}]/`])).stdout;
    expect(plain).toMatch(/^HTTP\/1\.1 308 /);
    expect(plain).toMatch(/^location: https:\/\/shop\.example\.com\r?$/im);
    const ca = `${state().plan.ingress!.tlsDir}/ca.crt`;
    const out = (await execa('ip', ['netns', 'exec', host.netns, 'curl', '-sS', '--max-time', '3', '--cacert', ca, '--resolve', `shop.example.com:443:[${ctl.loadBalancerIP}]`, 'https://shop.example.com/'])).stdout;
    expect(['web', 'web-2']).toContain((JSON.parse(out) as { pod: string }).pod);
  });

  it('hairpin in IPv6: a pod reaching itself through its Service is masqueraded to its node’s cni0 address', async () => {
    const web = state().plan.services.find((s) => s.name === 'web')!.clusterIP!;
    let r = await httpFrom(state(), 'web-2', `http://[${web}]/`);
    for (let i = 0; i < 20 && r.pod !== 'web-2'; i++) r = await httpFrom(state(), 'web-2', `http://[${web}]/`);
    expect(r.pod).toBe('web-2');
    expect(r.client).toBe(state().plan.nodes.find((n) => n.name === 'worker-2')!.podGateway);
  });

  it('status shows IPv6 only; a re-created pod gets a new IPv6 address that its Service follows', async () => {
    const st = labStatus(name)!;
    expect(st.pods.find((p) => p.name === 'web-2')!.podIPs).toEqual([pod('web-2').ip]);
    const old = pod('web-2').ip;
    const r = await recreatePod(realExecutor, state(), 'web-2');
    expect(r.ip).toMatch(/^fd00:10:244:2::/);
    expect(r.ip).not.toBe(old);
    expect(r.sync.endpoints['default/web']!.map((e) => e.ip)).toContain(r.ip);
    const table = (await execa('ip', ['netns', 'exec', state().plan.nodes[1]!.netns, 'nft', 'list', 'table', 'ip6', 'podlab'])).stdout;
    expect(table).toContain(r.ip);
    expect(table).not.toContain(`${old} . 8080`);
    const direct = await httpFrom(readState(name)!, 'client', `http://[${r.ip}]:8080/`);
    expect(direct.pod).toBe('web-2');
    const results = await runChecks(readState(name)!);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  });
});
