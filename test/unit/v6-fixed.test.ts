/**
 * Fixed IPv6 addresses and per-family pools (issue #24's last IPv6 refusals outside Calico): a
 * host's fixed `ip` and a Service's fixed `loadBalancerIP` in an IPv6-only lab, `loadBalancer.pool`
 * per family (an IPv6-only LoadBalancer Service in a dual-stack lab), and the external network's
 * IPv6 prefix written in the lab. Plan, render and the rules' codes; the live side is
 * test/live/v6-fixed.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { resolveTarget } from '../../src/check/kinds/targets.ts';

const web = { node: 'a', labels: { app: 'web' }, containers: [{ name: 'c', workload: { kind: 'http-echo' as const } }] };
const lbSvc = (extra: Record<string, unknown> = {}) => ({ type: 'LoadBalancer' as const, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...extra });
const base: LabSpec = { name: 'v6f-unit', cni: 'kubenet', nodes: { a: {}, b: {} }, pods: { web } };

function plan(s: LabSpec) {
  const { lab, diagnostics } = validateValue(s, 'v6f-unit.lab.ts');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPlan(lab!);
}
const errors = (s: LabSpec) => validateValue(s, 'v6f-unit.lab.ts').diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path.join('.'), d.message]);
const peersOf = (p: ReturnType<typeof plan>) => ({ stateDir: '', nodes: p.nodes, pods: p.pods, hosts: p.hosts, services: p.services });
const V4 = /\b(10|172|203|198)\.\d+\.\d+\.\d+/;

describe('IPv6-only: a host’s fixed ip and a Service’s fixed loadBalancerIP', () => {
  const p = plan({
    ...base,
    ipFamilies: ['IPv6'],
    hosts: { internet: { network: 'external', ip: 'fd00:203:0:113::50' }, near: { ip: 'fd00:172:16:94::a' }, auto: {} },
    loadBalancer: { pool: 'fd00:172:16:94::f0/124' },
    services: { fixed: lbSvc({ loadBalancerIP: 'fd00:172:16:94::f1' }), next: lbSvc() },
  });
  const files = render(p);

  it('each host has its address as written; a node-network host’s fixed address is skipped by the nodes numbered ::a upward', () => {
    expect(p.hosts.map((h) => [h.name, h.ip, h.ips, h.defaultVia])).toEqual([
      ['internet', 'fd00:203:0:113::50', ['fd00:203:0:113::50'], 'fd00:203:0:113::1'],
      ['near', 'fd00:172:16:94::a', ['fd00:172:16:94::a'], 'fd00:172:16:94::1'],
      ['auto', 'fd00:172:16:94::d', ['fd00:172:16:94::d'], 'fd00:172:16:94::1'],
    ]);
    expect(p.nodes.map((n) => n.ip)).toEqual(['fd00:172:16:94::b', 'fd00:172:16:94::c']);
    expect(files.get('ip/host-internet.batch')).toContain('address add fd00:203:0:113::50/64 dev eth0');
    expect(resolveTarget(peersOf(p), 'host/internet').ip).toBe('fd00:203:0:113::50');
  });

  it('the fixed loadBalancerIP is the Service’s; the next Service skips it; the gateway holds both in IPv6 alone', () => {
    const lbs = p.services.filter((s) => s.type === 'LoadBalancer').map((s) => [s.name, s.loadBalancerIP, s.loadBalancerIPs]);
    expect(lbs).toEqual([
      ['fixed', 'fd00:172:16:94::f1', ['fd00:172:16:94::f1']],
      ['next', 'fd00:172:16:94::f2', ['fd00:172:16:94::f2']],
    ]);
    expect([p.gateway!.loadBalancerIps, p.gateway!.loadBalancerIps6]).toEqual([[], ['fd00:172:16:94::f1', 'fd00:172:16:94::f2']]);
    expect(files.get('nft/gateway.ip6.nft')).toContain('fd00:172:16:94::f1 . tcp . 80 : goto lb.default/fixed/tcp-80');
    for (const [f, text] of files) if (f !== 'plan.json') expect(text, f).not.toMatch(V4);
  });

  it('bad fixed addresses are said at their line in IPv6, as IPv4’s are', () => {
    const bad = errors({
      ...base,
      ipFamilies: ['IPv6'],
      nodes: { a: { ip: 'fd00:172:16:94::14' }, b: {} },
      hosts: { far: { network: 'external', ip: 'fd00:203:0:114::5' }, gw: { ip: 'fd00:172:16:94::1' }, twin: { ip: 'fd00:172:16:94::14' }, v4: { ip: '172.16.94.30' } },
      loadBalancer: { pool: 'fd00:172:16:94::f0/124' },
      services: { out: lbSvc({ loadBalancerIP: 'fd00:172:16:94::105' }), node: lbSvc({ loadBalancerIP: 'fd00:172:16:94::ff' }), one: lbSvc({ loadBalancerIP: 'fd00:172:16:94::f3' }), two: lbSvc({ loadBalancerIP: 'fd00:172:16:94::f3' }) },
    });
    expect(bad.map(([c, path]) => `${c} ${path}`).sort()).toEqual([
      'PL2004 hosts.gw.ip',
      'PL2004 hosts.twin.ip',
      'PL2004 services.two.loadBalancerIP',
      'PL2019 services.node.loadBalancerIP',
      'PL2404 hosts.v4.ip',
      'PL2421 hosts.far.ip',
      'PL2422 services.out.loadBalancerIP',
    ]);
    expect(bad.find(([, path]) => path === 'hosts.twin.ip')![2]).toBe('host "twin" has fd00:172:16:94::14, already the address of node "a"');
    expect(bad.find(([, path]) => path === 'services.two.loadBalancerIP')![2]).toBe('Service "default/two": loadBalancerIP fd00:172:16:94::f3 is already the address of Service "default/one"');
  });
});

describe('load-balancer pools per family', () => {
  const pool = ['172.16.94.240/28', 'fd00:172:16:94::f0/124'];

  it('an IPv4-only lab uses the IPv4 CIDR only; an IPv6-only one the IPv6 CIDR (a family the lab lacks is unused)', () => {
    const four = plan({ ...base, hosts: { internet: { network: 'external' } }, loadBalancer: { pool }, services: { lb: lbSvc() } });
    expect(four.services.find((s) => s.name === 'lb')!.loadBalancerIP).toBe('172.16.94.241');
    expect(JSON.stringify(four)).not.toContain('fd00:');
    const six = plan({ ...base, ipFamilies: ['IPv6'], loadBalancer: { pool }, services: { lb: lbSvc() } });
    expect(six.services.find((s) => s.name === 'lb')!.loadBalancerIPs).toEqual(['fd00:172:16:94::f1']);
  });

  it('the CIDR of a family the lab lacks is unused but still checked: a malformed one is said at its entry', () => {
    const bad = (families: LabSpec['ipFamilies'], p: string[]) => errors({ ...base, ipFamilies: families, loadBalancer: { pool: p }, services: { lb: lbSvc() } }).map(([c, path]) => `${c} ${path}`);
    expect(bad(['IPv4'], ['172.16.94.240/28', 'fd00:172:16:94::f1/124'])).toEqual(['PL2408 loadBalancer.pool.1']);
    expect(bad(['IPv6'], ['172.16.94.241/28', 'fd00:172:16:94::f0/124'])).toEqual(['PL2001 loadBalancer.pool.0']);
    expect(bad(['IPv4'], ['172.16.94.240/28', 'fd00:172:16:94::f0/124'])).toEqual([]);
  });

  describe('a dual-stack lab', () => {
    const p = plan({
      ...base,
      ipFamilies: ['IPv4', 'IPv6'],
      hosts: { internet: { network: 'external' } },
      // The IPv6 CIDR is not the IPv4 one's twin: addresses come from it, skipping what is someone's (node a is ::a).
      loadBalancer: { pool: ['172.16.94.240/28', 'fd00:172:16:94::8/125'] },
      services: {
        six: lbSvc({ ipFamilies: ['IPv6'] }),
        dual: lbSvc({ ipFamilyPolicy: 'RequireDualStack' }),
        fixed: lbSvc({ ipFamilies: ['IPv6'], loadBalancerIP: 'fd00:172:16:94::e' }),
        four: lbSvc(),
      },
    });
    const files = render(p);

    it('an IPv6-only LoadBalancer Service takes the IPv6 CIDR’s next free address; a dual-stack one one of each; a fixed IPv6 one is kept', () => {
      expect(p.nodes.map((n) => n.ips)).toEqual([['172.16.94.10', 'fd00:172:16:94::a'], ['172.16.94.11', 'fd00:172:16:94::b']]);
      expect(p.services.filter((s) => s.type === 'LoadBalancer').map((s) => [s.name, s.loadBalancerIP, s.loadBalancerIPs])).toEqual([
        ['six', 'fd00:172:16:94::9', ['fd00:172:16:94::9']],
        ['dual', '172.16.94.241', ['172.16.94.241', 'fd00:172:16:94::c']],
        ['fixed', 'fd00:172:16:94::e', ['fd00:172:16:94::e']],
        ['four', '172.16.94.242', undefined],
      ]);
    });

    it('the gateway holds IPv4 addresses in its ip table and IPv6 ones in its ip6 table, each Service in its families only', () => {
      expect([p.gateway!.loadBalancerIps, p.gateway!.loadBalancerIps6]).toEqual([['172.16.94.241', '172.16.94.242'], ['fd00:172:16:94::9', 'fd00:172:16:94::c', 'fd00:172:16:94::e']]);
      const t4 = files.get('nft/gateway.nft')!;
      const t6 = files.get('nft/gateway.ip6.nft')!;
      expect(t4).not.toContain('default/six');
      expect(t4).not.toContain('fd00:');
      expect(t6).toContain('fd00:172:16:94::9 . tcp . 80 : goto lb.default/six/tcp-80');
      expect(t6).not.toContain('default/four');
      expect(t6).toMatch(/lb\.default\/six\/tcp-80\/a \{\n\s+meta l4proto tcp dnat to \[fd00:172:16:94::a\]:30\d{3}/);
      expect(files.get('ip/gateway.batch')).toContain('address add fd00:172:16:94::9/128 dev eth0 nodad');
      expect(resolveTarget(peersOf(p), 'lb/six').ip).toBe('fd00:172:16:94::9');
      expect(resolveTarget(peersOf(p), 'lb/dual').ip).toBe('172.16.94.241');
    });

    it('the IPv6 CIDR is used up as IPv4’s is: the Service that finds none is refused at its line', () => {
      const full = errors({ ...base, ipFamilies: ['IPv4', 'IPv6'], loadBalancer: { pool: ['172.16.94.240/28', 'fd00:172:16:94::8/126'] }, services: { x: lbSvc({ ipFamilies: ['IPv6'] }), y: lbSvc({ ipFamilies: ['IPv6'] }) } });
      // ::8/126 holds ::9 and ::a to hand out; ::a is node a's.
      expect(full).toEqual([['PL2019', 'services.y.type', '2 LoadBalancer Service(s) need an IPv6 address, but the pool fd00:172:16:94::8/126 has 1 left']]);
      // A /127 is all usable, as an IPv4 /31: both addresses are handed out.
      const p127 = plan({ ...base, ipFamilies: ['IPv4', 'IPv6'], loadBalancer: { pool: ['172.16.94.240/28', 'fd00:172:16:94::f0/127'] }, services: { x: lbSvc({ ipFamilies: ['IPv6'] }), y: lbSvc({ ipFamilies: ['IPv6'] }) } });
      expect(p127.services.filter((s) => s.type === 'LoadBalancer').map((s) => s.loadBalancerIP)).toEqual(['fd00:172:16:94::f0', 'fd00:172:16:94::f1']);
    });

    it('without an IPv6 CIDR an IPv6-only LoadBalancer Service is refused (PL2410); a fixed IPv6 loadBalancerIP too (PL2422)', () => {
      expect(errors({ ...base, ipFamilies: ['IPv4', 'IPv6'], loadBalancer: { pool: '172.16.94.240/28' }, services: { x: lbSvc({ ipFamilies: ['IPv6'] }) } }).map(([c]) => c)).toEqual(['PL2410']);
      expect(errors({ ...base, ipFamilies: ['IPv4', 'IPv6'], loadBalancer: { pool: '172.16.94.240/28' }, services: { x: lbSvc({ ipFamilyPolicy: 'RequireDualStack', loadBalancerIP: 'fd00:172:16:94::f5' }) } }).map(([c]) => c)).toEqual(['PL2422']);
    });
  });
});

describe('the external network’s IPv6 prefix, written', () => {
  it('a dual-stack lab: hosts and the gateway’s far side take the IPv4 host numbers in the written IPv6 prefix', () => {
    const p = plan({ ...base, ipFamilies: ['IPv4', 'IPv6'], externalNetwork: { cidr: ['198.51.100.0/24', 'fd00:198:51:100::/120'] }, hosts: { internet: { network: 'external' } } });
    expect(p.hosts.map((h) => [h.ips, h.defaultVia6])).toEqual([[['198.51.100.10', 'fd00:198:51:100::a'], 'fd00:198:51:100::1']]);
    expect([p.gateway!.externalSide!.ip6, p.gateway!.externalSide!.prefixLen6]).toEqual(['fd00:198:51:100::1', 120]);
    expect(render(p).get('ip/host-internet.batch')).toContain('address add fd00:198:51:100::a/120 dev eth0');
  });

  it('an IPv6-only lab: the written prefix is the external network; a fixed host address lies in it', () => {
    const p = plan({ ...base, ipFamilies: ['IPv6'], externalNetwork: { cidr: 'fd00:198:51:100::/64' }, hosts: { internet: { network: 'external', ip: 'fd00:198:51:100::20' } } });
    expect([p.externalNetwork!.cidr, p.hosts[0]!.ip, p.gateway!.externalSide!.ip]).toEqual(['fd00:198:51:100::/64', 'fd00:198:51:100::20', 'fd00:198:51:100::1']);
  });

  it('bad prefixes are said at their line: invalid, too small for the host numbers, overlapping, of a family the lab lacks, out of order', () => {
    const ext = (families: LabSpec['ipFamilies'], cidr: string | string[]) => errors({ ...base, ipFamilies: families, externalNetwork: { cidr }, hosts: { internet: { network: 'external' } } }).map(([c, path]) => `${c} ${path}`);
    expect(ext(['IPv4', 'IPv6'], ['198.51.100.0/24', 'fd00:198:51:100::1/64'])).toEqual(['PL2408 externalNetwork.cidr.1']);
    expect(ext(['IPv4', 'IPv6'], ['198.51.100.0/24', 'fd00:198:51:100::/121'])).toEqual(['PL2424 externalNetwork.cidr.1']);
    expect(ext(['IPv6'], 'fd00:10:244:5::/64')).toEqual(['PL2002 externalNetwork.cidr']);
    expect(ext(['IPv4'], ['198.51.100.0/24', 'fd00:198:51:100::/64'])).toEqual(['PL2404 externalNetwork.cidr.1']);
    expect(ext(['IPv6'], '198.51.100.0/24')).toEqual(['PL2404 externalNetwork.cidr']);
    expect(ext(['IPv4', 'IPv6'], ['fd00:198:51:100::/64', '198.51.100.0/24'])).toEqual(['PL2401 externalNetwork.cidr.0']);
  });
});
