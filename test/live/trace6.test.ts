/**
 * Live `podlab trace` in IPv6 (issue #24): labs/ipv6-only.lab.ts (flannel, IPv6 alone) as t6-v6
 * and labs/dual-stack.lab.ts (kubenet, IPv4 primary) as t6-ds and labs/calico-dual-stack.lab.ts
 * (Calico BGP, BIRD's IPv6 mesh) as t6-cal, both traced with --family IPv6. Each
 * trace is predicted, then one probe over IPv6 (the TCP client at the IPv6 address) runs between
 * two reads of the path's link counters, and `ip -6 route get` and `conntrack -f ipv6` are read:
 * every hop must be confirmed by what the kernel counted or said.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import calicoDualLab from '../../labs/calico-dual-stack.lab.ts';
import dualLab from '../../labs/dual-stack.lab.ts';
import v6Lab from '../../labs/ipv6-only.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive, type LiveTrace } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { labAroundSuite, liveGuard } from './host.ts';
import { allConfirmed, kinds } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)('live trace in an IPv6-only flannel lab (labs/ipv6-only.lab.ts as t6-v6)', () => {
  const name = 't6-v6';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  const { hosts: _h, loadBalancer: _lb, ingresses: _i, ingressClasses: _ic, ...rest } = v6Lab as LabSpec & Record<string, unknown>;
  const pods = (v6Lab as LabSpec).pods!;
  // echo is isolated for ingress (no rule): the IPv6 drop is counted in table ip6 podlab-policy.
  labAroundSuite({
    ...(rest as LabSpec),
    name,
    pods: { ...pods, echo: { ...pods.echo!, labels: { app: 'echo' } } },
    services: { web: (v6Lab as LabSpec).services!.web! },
    networkPolicies: { 'deny-echo': { namespace: 'default', podSelector: { matchLabels: { app: 'echo' } }, policyTypes: ['Ingress'] } },
    checks: [],
  });

  it('pod → Service: ip -6 route get, DNAT in table ip6 podlab to the endpoint conntrack -f ipv6 names, delivered over IPv6', async () => {
    const t = await trace({ from: 'client', to: 'svc/web' });
    expect(t.family).toBe('IPv6');
    expect(kinds(t).slice(0, 3)).toEqual(['route', 'veth', 'dnat']);
    allConfirmed(t);
    expect(t.daddr).toMatch(/^fd00:10:96::/);
    expect(t.hops[0]!.observed).toMatch(new RegExp(`^ip route get: ${t.daddr} (from :: )?via fd00:10:244:1::1 dev eth0`));
    const dnat = t.hops.find((h) => h.kind === 'dnat')!;
    expect(dnat.linux).toMatch(/^nft table ip6 podlab, chain svc\.default\/web\/tcp-80: dnat to \[fd00:10:244:/);
    expect(dnat.observed).toContain(`was sent to [${t.endpoint!.ip}]:8080`);
    expect(t.hops.at(-1)!.observed).toMatch(/conntrack: tcp +6 .*src=fd00:10:244:1::3 dst=fd00:10:96::/);
    expect(t.observed!.probe).toMatch(/^connected from /);
  }, 30_000);

  it('pod → pod across nodes: the IPv6 pod CIDR through flannel-v6.1, counted on it; the CLI in JSON exits 0', async () => {
    const t = await trace({ from: 'client', to: 'web-2', port: 8080 });
    // The lab has a policy (deny-echo), so the path has a policy hop: web-2 is not isolated, allowed.
    expect(kinds(t)).toEqual(['route', 'veth', 'policy', 'node-route', 'vxlan', 'policy', 'bridge', 'deliver', 'reply']);
    allConfirmed(t);
    expect(t.hops.find((h) => h.kind === 'node-route')!.observed).toMatch(/dev flannel-v6\.1/);
    expect(t.hops.find((h) => h.kind === 'vxlan')!.observed).toMatch(/flannel-v6\.1 sent [1-9]\d* packet/);
    const cli = await execa('node', [BIN, 'trace', name, 'client', 'web-2', '--port', '8080', '--proto', 'icmp', '--json'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const j = JSON.parse(cli.stdout) as LiveTrace;
    expect(j.family).toBe('IPv6');
    expect(j.observed!.probe).toBe('echo reply');
    const v4 = await execa('node', [BIN, 'trace', name, 'client', 'web-2', '--family', 'IPv4'], { reject: false });
    expect(v4.exitCode).toBe(2);
    expect(v4.stderr).toMatch(/PL3146 lab "t6-v6" has no IPv4/);
  }, 30_000);

  it('a NetworkPolicy drop in IPv6: predicted at table ip6 podlab-policy, confirmed by its drop rule counting the probe', async () => {
    const t = await trace({ from: 'client', to: 'echo', port: 9000 });
    // client on worker-1, echo on worker-3: over flannel-v6.1 (its counter grew), then the drop on worker-3.
    expect(kinds(t)).toEqual(['route', 'veth', 'policy', 'node-route', 'vxlan', 'policy']);
    expect(t.hops.slice(0, -1).filter((h) => h.status !== 'confirmed').map((h) => `${h.kind}: ${h.observed}`)).toEqual([]);
    expect(t.hops.find((h) => h.kind === 'vxlan')!.observed).toMatch(/^flannel-v6\.1 sent [1-9]/);
    expect(t.outcome).toBe('dropped');
    const policy = t.hops.at(-1)!;
    expect(policy.linux).toMatch(/^nft table ip6 podlab-policy, hook forward: worker-3 drop; rules: worker-3: ingress\.default\/echo "default\/echo isolated for ingress by default\/deny-echo: no rule allowed"/);
    expect(policy.status, policy.observed).toBe('dropped');
    expect(policy.observed).toMatch(/^counters grew: worker-3: ingress\.default\/echo "default\/echo isolated for ingress by default\/deny-echo: no rule allowed" \+[1-9]/);
    expect(t.observed!.ok).toBe(false);
  }, 30_000);
});

describe.skipIf(!live)('live trace --family IPv6 in a dual-stack kubenet lab (labs/dual-stack.lab.ts as t6-ds)', () => {
  const name = 't6-ds';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  const { hosts: _h, loadBalancer: _lb, ...rest } = dualLab as LabSpec & Record<string, unknown>;
  labAroundSuite({ ...(rest as LabSpec), name, services: {}, checks: [] });

  it('pod → pod across nodes in IPv6: the IPv6 route via the peer node\'s IPv6 address, confirmed; IPv4 by default', async () => {
    const t = await trace({ from: 'client', to: 'web-2', port: 8080, family: 'IPv6' });
    expect(t.family).toBe('IPv6');
    expect(t.dest.ip).toMatch(/^fd00:/);
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'fabric', 'bridge', 'deliver', 'reply']);
    allConfirmed(t);
    expect(t.hops.find((h) => h.kind === 'node-route')!.observed).toMatch(/^ip route get: fd00:[0-9a-f:]+ (from :: )?via fd00:172:16:94::[0-9a-f]+ dev eth0/);
    expect(t.hops.at(-1)!.observed).toMatch(/src=fd00:[0-9a-f:]+ dst=fd00:/);
    const four = await trace({ from: 'client', to: 'web-2', port: 8080 });
    expect(four.family).toBe('IPv4');
    allConfirmed(four);
    expect(four.hops.at(-1)!.observed).toMatch(/src=10\.244\./);
  }, 30_000);
});

describe.skipIf(!live)('live trace --family IPv6 in a dual-stack Calico BGP lab (labs/calico-dual-stack.lab.ts as t6-cal)', () => {
  const name = 't6-cal';
  labAroundSuite({ ...(calicoDualLab as LabSpec), name, checks: [], scenarios: {} });

  it('pod → pod across nodes in IPv6: fe80::ecee:eeff:feee:eeee, a cali veth, the /122 BIRD learnt over IPv6, a /128 to the pod', async () => {
    // BIRD's IPv6 sessions come up after `up`: wait (bounded) until the IPv6 block route is learnt.
    const state = readState(name)!;
    const ip6 = (n: { ips: string[] }) => n.ips.find((a) => a.includes(':'))!;
    const n2 = state.plan.nodes.find((n) => n.name === 'c1-node2')!;
    for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 250))) {
      const r = await execa('ip', ['-n', state.plan.nodes.find((n) => n.name === 'c1-node1')!.netns, '-6', 'route', 'show', 'proto', 'bird'], { reject: false });
      if (r.stdout.includes(`via ${ip6(n2)}`)) break;
      if (Date.now() > end) throw new Error(`no IPv6 BGP route via ${ip6(n2)} on c1-node1 in 30 s: ${r.stdout}`);
    }
    const t = await traceLive(realExecutor, readState(name)!, { from: 'client', to: 'web-2', port: 8080, family: 'IPv6' });
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'fabric', 'bridge', 'deliver', 'reply']);
    allConfirmed(t);
    const hop = (k: string) => t.hops.find((h) => h.kind === k)!;
    expect(hop('route').observed).toMatch(/via fe80::ecee:eeff:feee:eeee dev eth0/);
    expect(hop('node-route').observed).toMatch(new RegExp(`^ip route get: fd00:[0-9a-f:]+ (from :: )?via ${ip6(n2)} dev `));
    expect(hop('bridge').linux).toMatch(/dev cali[0-9a-f]{11} scope link \(a \/128 route/);
  }, 90_000);
});
