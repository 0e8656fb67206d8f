/**
 * Live (issue #24): flannel's IPv6 VTEP as flanneld builds it, on a dual-stack lab (v6n-fl, two
 * nodes). flannel.1 carries IPv4 between the nodes' IPv4 addresses, flannel-v6.1 IPv6 between
 * their IPv6 addresses, each with a MAC of its own, permanent neighbour and FDB entries, and the
 * IPv6 one 70 bytes below the link's MTU. The pods keep flanneld's MTU (the link's less 50), so a
 * full-size IPv6 packet meets flannel-v6.1's smaller MTU: the node answers Packet Too Big and a
 * large transfer still completes (path MTU discovery, as on a flannel cluster).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import type { FlannelNode } from '../../src/cni/flannel/index.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { hostSnapshot, httpFrom, inLab, liveGuard, upLab, WORKLOAD } from './host.ts';

const live = liveGuard();
const name = 'v6n-fl';
const web = { name: 'web', workload: { kind: 'http-echo' as const } };

const spec: LabSpec = {
  name,
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'flannel',
  dns: false,
  nodes: { 'worker-1': {}, 'worker-2': {} },
  pods: {
    client: { node: 'worker-1', containers: [{ name: 'shell', command: ['sleep', 'infinity'] }] },
    server: { node: 'worker-2', containers: [web, { name: 'echo', workload: { kind: 'tcp-echo', port: 9000 } }] },
  },
};

type Link = { ifname: string; address: string; mtu: number; linkinfo: { info_data: { id: number; port: number; local?: string; local6?: string; learning?: boolean } }; stats64: { tx: { packets: number } } };

describe.skipIf(!live)('live flannel-v6.1 beside flannel.1 (v6n-fl, dual stack)', () => {
  let state: LabState;
  let rootNft = '';
  const node = (n: string) => state.plan.nodes.find((x) => x.name === n)!;
  const ipsOf = (p: string) => state.plan.pods.find((x) => x.name === p)!.ips;
  const links = async (n: string) => JSON.parse((await execa('ip', ['-n', node(n).netns, '-j', '-s', '-d', 'link', 'show', 'type', 'vxlan'])).stdout) as Link[];

  beforeAll(async () => {
    await down(name);
    rootNft = (await hostSnapshot()).nft;
    state = await upLab(spec);
  }, 120_000);
  afterAll(async () => {
    await down(name);
    expect((await hostSnapshot()).nft).toBe(rootNft);
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain(`podlab-${name}.`);
  }, 60_000);

  it('two VTEPs per node: VNI 1 on UDP 8472 each, local in its own family, a MAC of its own, no learning, MTU 1450 and 1430', async () => {
    const w1 = node('worker-1');
    const vx = await links('worker-1');
    expect(vx.map((l) => [l.ifname, l.mtu, l.linkinfo.info_data.id, l.linkinfo.info_data.port, l.linkinfo.info_data.local ?? l.linkinfo.info_data.local6, l.linkinfo.info_data.learning])).toEqual([
      ['flannel.1', 1450, 1, 8472, w1.ips[0], false],
      ['flannel-v6.1', 1430, 1, 8472, w1.ips[1], false],
    ]);
    const planned = w1.cni as unknown as FlannelNode;
    expect(vx.map((l) => l.address)).toEqual([planned.vxlan.mac, planned.vxlan6!.mac]);
    // The VTEP addresses: the slice's network address, /32 and /128.
    const addrs = JSON.parse((await execa('ip', ['-n', w1.netns, '-j', 'addr', 'show', 'dev', 'flannel-v6.1'])).stdout) as { addr_info: { local: string; prefixlen: number; scope: string }[] }[];
    expect(addrs[0]!.addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([`${planned.vxlan6!.address}/128`]);
  });

  it('the peer is known on flannel-v6.1 in IPv6 alone: a permanent neighbour entry, an FDB entry to its IPv6 address, an onlink route', async () => {
    const w1 = node('worker-1');
    const w2 = node('worker-2');
    const peer6 = (w2.cni as unknown as FlannelNode).vxlan6!;
    const neigh = (await execa('ip', ['-n', w1.netns, '-6', 'neigh', 'show', 'dev', 'flannel-v6.1'])).stdout;
    expect(neigh).toContain(`${peer6.address} lladdr ${peer6.mac} PERMANENT`);
    const fdb = (await execa('bridge', ['-n', w1.netns, 'fdb', 'show', 'dev', 'flannel-v6.1'])).stdout;
    expect(fdb).toContain(`${peer6.mac} dst ${w2.ips[1]} self permanent`);
    expect(fdb).not.toMatch(/dst \d+\.\d+\.\d+\.\d+/);
    const routes = JSON.parse((await execa('ip', ['-n', w1.netns, '-j', '-6', 'route', 'show', 'dev', 'flannel-v6.1'])).stdout) as { dst: string; gateway?: string; flags: string[] }[];
    expect(routes.filter((r) => r.gateway).map((r) => [r.dst, r.gateway, r.flags])).toEqual([[w2.podCidrs[1], peer6.address, ['onlink']]]);
    // And nothing IPv6 on flannel.1.
    expect((await execa('ip', ['-n', w1.netns, '-6', 'route', 'show', 'dev', 'flannel.1'])).stdout).not.toContain('fd00');
  });

  it('IPv6 pod to pod goes out flannel-v6.1 and IPv4 out flannel.1, without NAT', async () => {
    const before = await links('worker-1');
    const r6 = await httpFrom(state, 'client', `http://[${ipsOf('server')[1]}]:8080/`);
    expect([r6.pod, r6.client]).toEqual(['server', ipsOf('client')[1]]);
    const mid = await links('worker-1');
    expect(mid[1]!.stats64.tx.packets).toBeGreaterThan(before[1]!.stats64.tx.packets);
    const r4 = await httpFrom(state, 'client', `http://${ipsOf('server')[0]}:8080/`);
    expect([r4.pod, r4.client]).toEqual(['server', ipsOf('client')[0]]);
    const after = await links('worker-1');
    expect(after[0]!.stats64.tx.packets).toBeGreaterThan(mid[0]!.stats64.tx.packets);
  });

  it('a full-size IPv6 packet from a pod (MTU 1450) meets flannel-v6.1 (1430): Packet Too Big comes back, and 60 kB echo both ways over TCP', async () => {
    const to = ipsOf('server')[1]!;
    // 1400 bytes of ICMPv6 payload + 48 of headers: too big for flannel-v6.1, fine for the pod's eth0.
    const ping = await inLab(state, 'client', ['ping', '-6', '-c', '3', '-i', '0.3', '-W', '1', '-M', 'do', '-s', '1400', to]);
    expect(`${ping.stdout}\n${ping.stderr}`).toMatch(/mtu[ =]1430/i);
    // Full-size TCP segments in both directions (each pod's MSS is its 1450 MTU's): they pass once each side learnt 1430.
    const message = 'x'.repeat(60_000);
    const echo = await inLab(state, 'client', ['node', WORKLOAD, 'tcp-echo-client', '--host', to, '--port', '9000', '--message', message, '--timeout-ms', '8000']);
    const out = JSON.parse(echo.stdout) as { ok: boolean; received?: string; error?: string };
    expect(out.error).toBeUndefined();
    expect([out.ok, out.received?.length]).toEqual([true, message.length]);
  }, 30_000);
});
