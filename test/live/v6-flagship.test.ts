/**
 * Live: the flagship Services lab (labs/services.lab.ts) switched to IPv6-only by one line,
 * `ipFamilies: ['IPv6']` (its pool lists a CIDR per family; docs/dual-stack.md).
 * Every check passes (ClusterIP spread and affinity, UDP, hostNetwork, NodePorts with both traffic
 * policies from an outside host, the LoadBalancer through the gateway, hostPort, natOutgoing, the
 * reachability matrix), every scenario passes, and no namespace of the lab holds IPv4 beyond loopback.
 */
import { describe, expect, it } from 'vitest';
import servicesLab from '../../labs/services.lab.ts';
import { runChecks } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { ipv4In, labAroundSuite, labNetnsOnHost, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'v6-flagship';

describe.skipIf(!live)('live: the flagship Services lab in IPv6 only', () => {
  const state = labAroundSuite({ ...servicesLab, name, ipFamilies: ['IPv6'] }).lab;

  it('no namespace of the lab has an IPv4 address beyond loopback or an IPv4 route', async () => {
    const mine = await labNetnsOnHost(name);
    expect(mine.length).toBe(14); // fabric, gateway, 3 nodes, the internet host, 7 pods with a network of their own, coredns
    for (const ns of mine) expect(await ipv4In(ns), ns).toEqual({ addresses: [], routes: '' });
  });

  it('all 12 of the flagship’s checks pass over IPv6', async () => {
    const results = await runChecks(state());
    expect(results.length).toBe(12);
    expect(results.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.seen}`)).toEqual([]);
    const lb = state().plan.services.find((s) => s.name === 'web-lb')!;
    expect(lb.loadBalancerIPs).toEqual(['fd00:172:16:94::f1']);
  }, 60_000);

  it('all four scenarios pass (re-created pod, scale, restart, node unplugged)', async () => {
    const results = await runScenarios(name, [], realExecutor);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['pod-ip-changes', 'pass'],
      ['scale', 'pass'],
      ['restart-keeps-ip', 'pass'],
      ['node-unplugged', 'pass'],
    ]);
  }, 120_000);
});
