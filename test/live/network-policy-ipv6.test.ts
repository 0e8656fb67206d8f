/**
 * Live NetworkPolicy over IPv6 on a dual-stack lab (np-v6, kubenet, IPv4 primary): a policy whose
 * ipBlocks name worker-2's IPv6 pod slice and worker-1's IPv4 one. Each family's table
 * (`ip podlab-policy`, `ip6 podlab-policy`) enforces its own block and ignores the other's, so
 * x/b reaches x/a over IPv6 only and x/c over IPv4 only — real packets, both families.
 */
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/check/run.ts';
import type { LabSpec } from '../../src/index.ts';
import { readState } from '../../src/runtime/state.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'np-v6';
/** x/a's IPv6 address: host .2 of worker-1's IPv6 slice (docs/dual-stack.md); the checks aim at it as an address. */
const A6 = 'fd00:10:244::2';
const echo = { name: 'echo', workload: { kind: 'tcp-echo' as const, port: 80 }, ports: [{ name: 'echo', containerPort: 80 }] };

const spec: LabSpec = {
  name,
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'kubenet',
  nodes: { 'worker-1': {}, 'worker-2': {} },
  namespaces: ['x'],
  pods: {
    a: { namespace: 'x', node: 'worker-1', containers: [echo] },
    b: { namespace: 'x', node: 'worker-2', containers: [echo] },
    c: { namespace: 'x', node: 'worker-1', containers: [echo] },
  },
  networkPolicies: {
    'a-from-blocks': {
      namespace: 'x',
      podSelector: { matchLabels: {} },
      ingress: [{ from: [{ ipBlock: { cidr: 'fd00:10:244:1::/64' } }, { ipBlock: { cidr: '10.244.0.0/24' } }] }],
    },
  },
  checks: [
    { kind: 'tcp', from: 'b', to: A6, port: 80, name: 'x/b → x/a over IPv6: in fd00:10:244:1::/64' },
    { kind: 'tcp', from: 'c', to: A6, port: 80, expect: 'no-reach', timeoutMs: 1500, name: 'x/c → x/a over IPv6: outside the IPv6 block' },
    { kind: 'tcp', from: 'b', to: 'a', port: 80, family: 'IPv4', expect: 'no-reach', timeoutMs: 1500, name: 'x/b → x/a over IPv4: outside 10.244.0.0/24' },
    { kind: 'tcp', from: 'c', to: 'a', port: 80, family: 'IPv4', name: 'x/c → x/a over IPv4: in 10.244.0.0/24' },
  ],
};

describe.skipIf(!live)('live NetworkPolicy over IPv6 (np-v6, dual stack)', () => {
  labAroundSuite(spec);

  it('each family enforces its own ipBlock: IPv6 from worker-2\'s slice, IPv4 from worker-1\'s', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.map((r) => `${r.status} ${r.name}${r.status === 'pass' ? '' : `: ${r.seen}`}`)).toEqual(spec.checks!.map((c) => `pass ${c.name}`));
  }, 60_000);

  it('the ip6 table is loaded beside the ip one, and its rule counted the IPv6 connection', async () => {
    const r = await inLab(readState(name)!, 'node/worker-1', ['nft', 'list', 'chain', 'ip6', 'podlab-policy', 'np.x/a-from-blocks.ingress']);
    expect(r.stdout).toMatch(/ip6 saddr fd00:10:244:1::\/64 counter packets [1-9]\d* bytes \d+ accept comment "x\/a-from-blocks ingress\[0\] from\[0\]"/);
    expect(r.stdout).not.toMatch(/10\.244\.0\.0/);
    const v4 = await inLab(readState(name)!, 'node/worker-1', ['nft', 'list', 'chain', 'ip', 'podlab-policy', 'np.x/a-from-blocks.ingress']);
    expect(v4.stdout).toMatch(/ip saddr 10\.244\.0\.0\/24 counter packets [1-9]\d* bytes \d+ accept/);
    expect(v4.stdout).not.toMatch(/fd00/);
  }, 30_000);
});
