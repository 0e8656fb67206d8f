/**
 * Live: the calico mode in dual stack (BGP with BIRD). Every pod holds an IPv4 /32 and an IPv6
 * /128 (default via fe80::ecee:eeff:feee:eeee, its host veth's own link-local address); pods reach
 * each other across nodes in IPv6 without NAT over /122 block routes that BIRD learns in an IPv6
 * mesh between the nodes' IPv6 addresses (`proto bird`), each node holding a blackhole for its own
 * IPv6 block; a re-created pod takes a new IPv6 address of its node's block; a node whose BIRD
 * stops has its IPv6 block withdrawn; `down` stops the daemons by pid and leaves the host as it was.
 */
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/runtime/state.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { birdc as birdcOf, calicoLab, expectCalicoNodeSide, expectCalicoPod, expectDownStopsBirds, stopBirdUntilWithdrawn, until } from './calico-lab.ts';
import { hostSnapshot, type HostSnapshot, httpFrom, inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'c6-live';

const spec = calicoLab(name, { type: 'calico' }, { ipFamilies: ['IPv4', 'IPv6'] });

// IPv4 blocks as in calico.test.ts (cp .0/26, w1 .64/26, w2 .128/26); IPv6 /122 blocks of fd00:10:244::/56 in
// the same node order: cp fd00:10:244::/122, w1 fd00:10:244::40/122, w2 fd00:10:244::80/122.
// a = 10.244.0.64 + fd00:10:244::40, b = .65 + ::41, c = .128 + ::80. Nodes' IPv6: fd00:172:16:94::a, ::b, ::c.

const birdc = (node: string, ...args: string[]) => birdcOf(name, node, ...args);

describe.skipIf(!live)('live calico dual stack (BGP with BIRD, IPv4 and IPv6)', () => {
  let before: HostSnapshot;
  const state = labAroundSuite(spec, { beforeUp: async () => { before = await hostSnapshot(); } }).lab;

  it('every node has its IPv4 and IPv6 mesh sessions Established (Mesh_<ipv4>, Mesh_<ipv6>)', async () => {
    for (const node of ['cp', 'w1', 'w2']) {
      const out = await until(async () => {
        const o = (await birdc(node, 'show', 'protocols')).stdout;
        return (o.match(/^Mesh_\d+_\d+_\d+_\d+\s+BGP\s+.*Established/gm) ?? []).length === 2 && (o.match(/^Mesh_fd00_172_16_94__[abc]\s+BGP\s+.*Established/gm) ?? []).length === 2 ? o : undefined;
      });
      expect(out, `node ${node}`).toBeDefined();
    }
  });

  it('every pod holds both addresses: an IPv4 /32 and an IPv6 /128, default routes via 169.254.1.1 and fe80::ecee:eeff:feee:eeee', async () => {
    for (const [pod, v4, v6] of [['a', '10.244.0.64', 'fd00:10:244::40'], ['b', '10.244.0.65', 'fd00:10:244::41'], ['c', '10.244.0.128', 'fd00:10:244::80']] as const) await expectCalicoPod(state(), pod, { v4, v6 });
  });

  it("the node side: the cali veth holds fe80::ecee:eeff:feee:eeee itself, proxy NDP on, a /128 route to the pod", async () => {
    await expectCalicoNodeSide(state(), 'w1', 'a', { v6: 'fd00:10:244::40' });
  });

  it("the peers' IPv6 blocks are proto bird via their IPv6 node addresses; each node a blackhole for its own IPv6 block", async () => {
    const routes = await until(async () => {
      const out = (await inLab(state(), 'node/cp', ['ip', '-6', 'route', 'show', 'proto', 'bird'])).stdout;
      return out.includes('fd00:10:244::40/122 via fd00:172:16:94::b dev eth0') && out.includes('fd00:10:244::80/122 via fd00:172:16:94::c dev eth0') ? out : undefined;
    });
    expect(routes).toBeDefined();
    expect(routes).toMatch(/^blackhole fd00:10:244::\/122 /m);
    expect((await inLab(state(), 'node/w1', ['ip', '-6', 'route', 'show', 'proto', 'bird'])).stdout).toMatch(/^blackhole fd00:10:244::40\/122 /m);
    expect((await inLab(state(), 'node/w2', ['ip', '-6', 'route', 'show', 'proto', 'bird'])).stdout).toMatch(/^blackhole fd00:10:244::80\/122 /m);
    // Aggregation: only blocks are advertised, the pods' /128 routes stay on their node.
    expect((await inLab(state(), 'node/cp', ['ip', '-6', 'route', 'show', 'fd00:10:244::40/128'])).stdout.trim()).toBe('');
    expect((await birdc('w1', 'show', 'route', 'export', 'Mesh_fd00_172_16_94__a')).stdout).not.toMatch(/fd00:10:244::4[01]\/128/);
  });

  it('pods reach each other in IPv6 across nodes and on one node without NAT (the server sees the pod address); IPv4 still does', async () => {
    expect(await httpFrom(state(), 'a', 'http://[fd00:10:244::80]:8080/')).toMatchObject({ pod: 'c', client: 'fd00:10:244::40' });
    expect(await httpFrom(state(), 'c', 'http://[fd00:10:244::41]:8080/')).toMatchObject({ pod: 'b', client: 'fd00:10:244::80' });
    expect(await httpFrom(state(), 'a', 'http://[fd00:10:244::41]:8080/')).toMatchObject({ pod: 'b', client: 'fd00:10:244::40' });
    expect(await httpFrom(state(), 'a', 'http://10.244.0.128:8080/')).toMatchObject({ pod: 'c', client: '10.244.0.64' });
  });

  it('a re-created pod gets new addresses of its IPv4 and IPv6 blocks and is reachable in IPv6 across nodes', async () => {
    const r = await recreatePod(realExecutor, readState(name)!, 'b');
    expect(r.ip).not.toBe('10.244.0.65');
    const ips = readState(name)!.pods.b!.ips!;
    const v6 = ips.find((a) => a.includes(':'))!;
    expect(v6).toMatch(/^fd00:10:244::([4-7][0-9a-f])$/);
    expect(v6).not.toBe('fd00:10:244::41');
    expect(v6).not.toBe('fd00:10:244::40');
    expect((await inLab(readState(name)!, 'b', ['ip', '-6', '-o', 'address', 'show', 'dev', 'eth0'])).stdout).toContain(`inet6 ${v6}/128`);
    expect(await httpFrom(readState(name)!, 'c', `http://[${v6}]:8080/`)).toMatchObject({ pod: 'b', client: 'fd00:10:244::80' });
  });

  it("a node whose BIRD stops has its IPv6 block withdrawn from its peers' tables, its IPv4 one too", async () => {
    const gone = await stopBirdUntilWithdrawn(state(), name, 'w2', 'cp', '-6', 'fd00:10:244::80/122');
    expect(gone, "cp still routes w2's IPv6 block").toBeDefined();
    expect(gone).toContain('fd00:10:244::40/122 via fd00:172:16:94::b dev eth0');
    expect((await inLab(state(), 'node/cp', ['ip', 'route', 'show', 'proto', 'bird'])).stdout).not.toContain('10.244.0.128/26');
  });

  it('down stops every BIRD by its recorded pid and leaves the host as it was', async () => {
    await expectDownStopsBirds(name, before);
  });
});
