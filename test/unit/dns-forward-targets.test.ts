/**
 * A Corefile's `forward` to an address where no DNS server of the lab answers is a warning
 * (PL2024) at its line: an address of the outside network no host has (when every host there has
 * its address written), or a host without dns zones. A host with zones, or a network whose
 * machines are left to the plan, is not warned of.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';

const corefile = (to: string) => `.:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . ${to}\n    cache 30\n}\n`;
const lab = (to: string, hosts: Record<string, object>) => ({
  name: 'fwd',
  nodes: { 'worker-1': {} },
  pods: { client: { node: 'worker-1' } },
  hosts,
  dns: { corefile: corefile(to) },
});
const upstream = { network: 'external', ip: '203.0.113.53', dns: { zones: { 'example.org': '@ IN SOA ns hostmaster 1 7200 900 1209600 300\n@ IN NS ns\nns IN A 203.0.113.53\n' } } };
const web = { network: 'external', ip: '203.0.113.80' };
const pl2024 = (value: unknown) =>
  validateValue(value, 'fwd.lab.ts')
    .diagnostics.filter((d) => d.code === 'PL2024')
    .map((d) => d.message);

describe('forward targets in the Corefile', () => {
  it('a host with dns zones answers: no warning', () => {
    expect(pl2024(lab('203.0.113.53', { upstream, web }))).toEqual([]);
  });

  it('an outside address no host has, where every outside host has its address written, is warned of', () => {
    expect(pl2024(lab('203.0.113.54', { upstream, web }))).toEqual([expect.stringMatching(/^Corefile 4:15: nothing in the lab answers at 203\.0\.113\.54/)]);
  });

  it('a host without dns zones is warned of, by name', () => {
    expect(pl2024(lab('203.0.113.80', { upstream, web }))).toEqual(["Corefile 4:15: 203.0.113.80 is web's, which runs no DNS server; these queries fail"]);
  });

  it('an outside host whose address the plan picks may be the one: no warning', () => {
    expect(pl2024(lab('203.0.113.54', { upstream, other: { network: 'external', dns: upstream.dns } }))).toEqual([]);
  });
});
