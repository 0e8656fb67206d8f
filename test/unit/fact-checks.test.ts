/** Command, route and VXLAN checks: the command each builds and the judge on `ip -j` output recorded from live labs. */
import { describe, expect, it } from 'vitest';
import { command } from '../../src/check/kinds/command.ts';
import { route } from '../../src/check/kinds/route.ts';
import { vxlan as vxlanKind } from '../../src/check/kinds/vxlan.ts';
import type { PlanCheck } from '../../src/plan/plan.ts';
import { planFrom } from '../live/host.ts';

// Recorded on labs/pod-networking.lab.ts (flannel) and labs/kubenet.lab.ts.
const FLANNEL_ROUTE = '[{"dst":"10.244.2.0/24","gateway":"10.244.2.0","dev":"flannel.1","flags":["onlink"]}]';
const KUBENET_ROUTE = '[{"dst":"10.244.2.0/24","gateway":"192.168.56.12","dev":"enp0s8","flags":[]}]';
const ROUTE_GET = '[{"dst":"10.244.3.5","gateway":"10.244.3.0","dev":"flannel.1","prefsrc":"10.244.1.0","flags":[],"uid":0,"cache":[]}]';
const VXLAN = '[{"ifindex":3,"ifname":"flannel.1","mtu":1450,"linkinfo":{"info_kind":"vxlan","info_data":{"id":1,"local":"172.16.94.11","link":"eth0","port":8472,"learning":false}}}]';

const plan = planFrom({
  name: 'f',
  nodes: { a: {}, b: {} },
  pods: { client: { node: 'a' } },
  checks: [
    { kind: 'route', from: 'node/a', to: 'node/b', dev: 'flannel.1' },
    { kind: 'route', from: 'node/a', to: '10.244.3.5', via: '10.244.3.0' },
    { kind: 'route', from: 'node/a', to: 'node/b', via: 'node/b', absent: true },
    { kind: 'vxlan', from: 'node/a', vni: 1, port: 8472, dev: 'flannel.1' },
    { kind: 'command', from: 'client', command: ['hostname'], expectOutput: 'client', expectMatch: '^cl' },
    { kind: 'command', from: 'client', command: ['false'], expectExit: 1 },
  ],
});
const [routeCidr, routeGet, routeAbsent, vxlan, cmd, cmdFalse] = plan.checks as [PlanCheck<'route'>, PlanCheck<'route'>, PlanCheck<'route'>, PlanCheck<'vxlan'>, PlanCheck<'command'>, PlanCheck<'command'>];
const out = (stdout: string, exitCode = 0, stderr = '') => ({ stdout, stderr, exitCode });

describe('route checks', () => {
  it('node/<name> stands for its pod CIDR (exact route); an address asks which route it takes', () => {
    expect(routeCidr!.to.ip).toBe('10.244.1.0/24');
    expect(route.probe(routeCidr!, '')).toEqual(['ip', '-j', 'route', 'show', 'exact', '10.244.1.0/24']);
    expect(route.probe(routeGet!, '')).toEqual(['ip', '-j', 'route', 'get', '10.244.3.5']);
    expect(routeAbsent!.route!.via).toBe(plan.nodes[1]!.ip);
  });
  it('passes when a route has the wanted device and next hop; says what it saw otherwise', () => {
    expect(route.judge(plan, routeCidr!, out(FLANNEL_ROUTE))).toMatchObject({ ok: true, seen: '10.244.2.0/24 via 10.244.2.0 dev flannel.1' });
    expect(route.judge(plan, routeCidr!, out(KUBENET_ROUTE))).toMatchObject({ ok: false, seen: '10.244.2.0/24 via 192.168.56.12 dev enp0s8' });
    expect(route.judge(plan, routeCidr!, out('[]'))).toMatchObject({ ok: false, seen: 'no route' });
    expect(route.judge(plan, routeGet!, out(ROUTE_GET)).ok).toBe(true);
  });
  it('an unreachable address (ip route get fails) is "no route"; absent passes then', () => {
    expect(route.judge(plan, routeGet!, out('', 2, 'RTNETLINK answers: Network is unreachable'))).toMatchObject({ ok: false, seen: 'no route (RTNETLINK answers: Network is unreachable)' });
    expect(route.judge(plan, routeAbsent!, out('[]')).ok).toBe(true);
    expect(route.judge(plan, routeAbsent!, out(KUBENET_ROUTE.replace('192.168.56.12', plan.nodes[1]!.ip))).ok).toBe(false);
  });
});

describe('VXLAN checks', () => {
  it('finds the device by VNI, port and name', () => {
    expect(vxlanKind.probe(vxlan!, '')).toEqual(['ip', '-j', '-d', 'link', 'show', 'type', 'vxlan']);
    expect(vxlanKind.judge(plan, vxlan!, out(VXLAN))).toEqual({ ok: true, expected: 'a VXLAN device flannel.1 with VNI 1 on UDP 8472', seen: 'flannel.1 VNI 1 port 8472' });
    expect(vxlanKind.judge(plan, vxlan!, out(VXLAN.replace('"id":1', '"id":2'))).ok).toBe(false);
    expect(vxlanKind.judge(plan, vxlan!, out('[]'))).toMatchObject({ ok: false, seen: 'no VXLAN device' });
    expect(vxlanKind.judge(plan, vxlan!, out('garbage')).seen).toContain('unreadable');
  });
});

describe('command checks', () => {
  it('runs the argv as given and judges exit code, text and pattern', () => {
    expect(command.probe(cmd!, '')).toEqual(['hostname']);
    expect(command.judge(plan, cmd!, out('client\n'))).toEqual({ ok: true, expected: 'exit 0, output contains "client", output matches /^cl/', seen: 'exit 0: client' });
    expect(command.judge(plan, cmd!, out('web\n'))).toMatchObject({ ok: false, seen: 'exit 0: web — output lacks "client", output does not match /^cl/' });
    expect(command.judge(plan, cmdFalse!, out('', 1)).ok).toBe(true);
    expect(command.judge(plan, cmdFalse!, out('', 0))).toMatchObject({ ok: false, seen: 'exit 0, no output — exit 0' });
  });
});
