/**
 * Live: fixed IPv6 addresses and per-family pools (docs/dual-stack.md). An IPv6-only lab whose
 * outside host sits at its fixed IPv6 address in a written external prefix reaches a LoadBalancer
 * Service at its fixed IPv6 address; in a dual-stack lab an IPv6-only LoadBalancer Service takes
 * its address from the pool's IPv6 CIDR (beyond the node network) and answers an outside host and a
 * pod over IPv6, while the gateway's IPv4 table knows nothing of it. A bad lab is refused before anything is built. Labs v6f-*.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { httpFrom, inLab, labAroundSuite, labNetnsOnHost, liveGuard } from './host.ts';

const live = liveGuard();
const echo = (port: number) => [{ name: 'web', workload: { kind: 'http-echo' as const, port } }];
const pods: LabSpec['pods'] = {
  'web-1': { node: 'a', labels: { app: 'web' }, containers: echo(8080) },
  'web-2': { node: 'b', labels: { app: 'web' }, containers: echo(8080) },
  client: { node: 'a' },
};

describe.skipIf(!live)('live: an IPv6-only lab with a fixed host address and a fixed loadBalancerIP', () => {
  const name = 'v6f-only';
  const state = labAroundSuite({
    name,
    ipFamilies: ['IPv6'],
    cni: 'kubenet',
    nodes: { a: {}, b: {} },
    pods,
    services: { 'web-lb': { type: 'LoadBalancer', loadBalancerIP: 'fd00:172:16:94::f7', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    externalNetwork: { cidr: 'fd00:198:51:100::/64' },
    hosts: { internet: { network: 'external', ip: 'fd00:198:51:100::50', containers: echo(80) } },
    loadBalancer: { pool: ['172.16.94.240/28', 'fd00:172:16:94::f0/124'] },
    checks: [
      { kind: 'http', from: 'host/internet', to: 'lb/web-lb', requests: 20, expectSpread: 2, expectSource: 'nodes' },
      { kind: 'http', from: 'client', to: 'host/internet', port: 80, expectSource: 'node/a' },
    ],
  }).lab;

  it('the host holds its fixed address in the written prefix, the gateway the fixed load-balancer address', async () => {
    const host = state().plan.hosts.find((h) => h.name === 'internet')!;
    const addrs = (await execa('ip', ['-n', host.netns, '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).stdout;
    expect(addrs).toContain('inet6 fd00:198:51:100::50/64');
    const gw = (await execa('ip', ['-n', state().plan.gateway!.netns, '-6', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
    expect(gw).toContain('inet6 fd00:172:16:94::f7/128');
    expect((await execa('ip', ['-n', state().plan.gateway!.netns, '-6', '-o', 'addr', 'show', 'dev', 'eth1'])).stdout).toContain('inet6 fd00:198:51:100::1/64');
  });

  it('the host at fd00:198:51:100::50 reaches the LoadBalancer at fd00:172:16:94::f7 through the gateway; the lab’s checks pass', async () => {
    const r = await httpFrom(state(), 'host/internet', 'http://[fd00:172:16:94::f7]:80/');
    expect(['web-1', 'web-2']).toContain(r.pod);
    // The NodePort's source NAT (externalTrafficPolicy Cluster): masquerade takes the address of the
    // way out to the pod, a node's IPv6 address when the pod is on another node, the node's bridge
    // address (its pods' gateway) when the node the gateway chose holds the pod itself.
    expect(state().plan.nodes.flatMap((n) => [...n.ips, n.podGateway])).toContain(r.client);
    expect(r.client).not.toBe('fd00:198:51:100::50');
    const results = await runChecks(state());
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
    expect(results.length).toBe(2);
  }, 60_000);
});

describe.skipIf(!live)('live: an IPv6-only LoadBalancer Service in a dual-stack lab', () => {
  const name = 'v6f-dual';
  const state = labAroundSuite({
    name,
    ipFamilies: ['IPv4', 'IPv6'],
    cni: 'kubenet',
    nodes: { a: {}, b: {} },
    pods,
    services: {
      'web-lb6': { type: 'LoadBalancer', ipFamilies: ['IPv6'], selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      'web-lb': { type: 'LoadBalancer', ipFamilyPolicy: 'RequireDualStack', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    externalNetwork: { cidr: ['198.51.100.0/24', 'fd00:198:51:100::/120'] },
    hosts: { internet: { network: 'external' } },
    // The IPv6 CIDR is not the IPv4 one's twin, nor in the node network: the gateway holds its
    // addresses, which nodes and hosts reach by their default route.
    loadBalancer: { pool: ['172.16.94.240/28', 'fd00:100:0:94::/124'] },
    checks: [
      { kind: 'http', from: 'host/internet', to: 'lb/web-lb6', requests: 20, expectSpread: 2, expectSource: 'nodes' },
      { kind: 'http', from: 'host/internet', to: 'lb/web-lb', family: 'IPv6', requests: 10, expectSpread: 2 },
      { kind: 'http', from: 'host/internet', to: 'lb/web-lb', family: 'IPv4', requests: 10, expectSpread: 2 },
    ],
  }).lab;

  it('the IPv6-only Service has one IPv6 load-balancer address from the IPv6 CIDR; the dual-stack one one per family', () => {
    const lb = (n: string) => state().plan.services.find((s) => s.name === n)!.loadBalancerIPs;
    expect([lb('web-lb6'), lb('web-lb')]).toEqual([['fd00:100:0:94::1'], ['172.16.94.241', 'fd00:100:0:94::2']]);
    expect(state().plan.hosts[0]!.ips).toEqual(['198.51.100.10', 'fd00:198:51:100::a']);
    // podlab status names every address the gateway holds, IPv6 ones too.
    expect(labStatus(name)!.gateway!.loadBalancerIps).toEqual(['172.16.94.241', 'fd00:100:0:94::1', 'fd00:100:0:94::2']);
  });

  it('an outside host reaches it over IPv6 through the gateway’s ip6 table; the gateway’s ip table has no rule for it', async () => {
    const r = await httpFrom(state(), 'host/internet', 'http://[fd00:100:0:94::1]:80/');
    expect(['web-1', 'web-2']).toContain(r.pod);
    const gw = state().plan.gateway!.netns;
    const t6 = (await execa('ip', ['netns', 'exec', gw, 'nft', 'list', 'table', 'ip6', 'podlab'])).stdout;
    const t4 = (await execa('ip', ['netns', 'exec', gw, 'nft', 'list', 'table', 'ip', 'podlab'])).stdout;
    expect(t6).toContain('fd00:100:0:94::1 . tcp . 80');
    expect(t4).toContain('172.16.94.241 . tcp . 80');
    expect(t4).not.toContain('web-lb6');
    // From inside the cluster too: the node's default route leads to the gateway that holds it.
    expect(['web-1', 'web-2']).toContain((await httpFrom(state(), 'client', 'http://[fd00:100:0:94::1]:80/')).pod);
    // The host's own address in the written IPv6 prefix.
    const ip6 = await inLab(state(), 'host/internet', ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']);
    expect(ip6.stdout).toContain('inet6 fd00:198:51:100::a/120');
  });

  it('the lab’s three checks pass: the IPv6-only LoadBalancer, and the dual-stack one in each family', async () => {
    const results = await runChecks(state());
    expect(results.length).toBe(3);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
  }, 60_000);
});

describe.skipIf(!live)('live: a bad fixed IPv6 address is refused before anything is built', () => {
  it('podlab up of fixture 378 exits 1 with PL2421 and leaves no namespace', async () => {
    const r = await execa('node', ['bin/podlab.js', 'up', 'test/fixtures/bad-labs/378-v6only-fixed-host-ip.lab.ts'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr + r.stdout).toContain('PL2421');
    expect(await labNetnsOnHost('v6f-fixed-hosts')).toEqual([]);
  }, 60_000);
});
