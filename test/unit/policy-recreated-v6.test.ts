/**
 * NetworkPolicy follows a pod made at run time in every family (issue #24): the live view of the
 * pods (`viewPods`, which every policy table of a live lab is built from) carries a re-created
 * pod's new IPv6 address, so the `ip6 podlab-policy` sets hold it as a selected pod and as a
 * source, and not its planned one; a pod that is not running is in no set of either family.
 * Dual stack (either order of families) and IPv6-only, without root.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { policyTables, policyTables6, type NftView } from '../../src/plan/nft-tables.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import type { NftTable } from '../../src/nft/table.ts';
import { currentAddresses, viewPods } from '../../src/runtime/services.ts';
import type { LabState, PodState } from '../../src/runtime/state.ts';

const echo = { name: 'echo', workload: { kind: 'tcp-echo' as const, port: 80 }, ports: [{ name: 'echo', containerPort: 80 }] };
const spec = (ipFamilies: LabSpec['ipFamilies']): LabSpec => ({
  name: 'v6n-unit',
  ipFamilies,
  cni: 'kubenet',
  dns: false,
  nodes: { 'worker-1': {}, 'worker-2': {} },
  pods: {
    server: { node: 'worker-1', labels: { app: 'server' }, containers: [echo] },
    friend: { node: 'worker-2', labels: { role: 'friend' }, containers: [echo] },
    stranger: { node: 'worker-2', containers: [echo] },
  },
  networkPolicies: {
    'server-from-friends': { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'friend' } } }], ports: [{ port: 'echo' }] }] },
  },
});

function planOf(s: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(s, 'v6n-unit.lab.ts');
  expect(diagnostics).toEqual([]);
  return buildPlan(lab!);
}

/** The state of a live lab whose pods run at their planned addresses, except those given. */
function stateOf(plan: Plan, changed: Record<string, PodState | null>): LabState {
  const pods: Record<string, PodState> = {};
  for (const p of plan.pods) {
    const c = changed[p.name];
    if (c === null) continue;
    pods[p.name] = c ?? { ip: p.ip, containers: {} };
  }
  return { lab: plan.lab, status: 'up', createdAt: '', steps: [], plan, pods } as LabState;
}

const view = (state: LabState): NftView => ({ plan: state.plan, endpoints: {}, pods: viewPods(state), policies: state.plan.networkPolicy!.policies });
const setOf = (t: NftTable | undefined, suffix: string) => t!.sets.find((s) => s.name.endsWith(suffix))!.elements.map(([e]) => e);
const node = (plan: Plan, name: string) => ({ kind: 'node' as const, name, netns: plan.nodes.find((n) => n.name === name)!.netns });
const six = (ips: readonly string[]) => ips.find((a) => a.includes(':'))!;
const four = (ips: readonly string[]) => ips.find((a) => !a.includes(':'))!;

describe('policy sets follow a pod re-created at run time over IPv6', () => {
  for (const families of [['IPv4', 'IPv6'], ['IPv6', 'IPv4']] as const) {
    it(`dual stack ${families.join(', ')}: the re-created friend and server are in the ip6 sets at their new IPv6 addresses`, () => {
      const plan = planOf(spec([...families]));
      const planned = (n: string) => plan.pods.find((p) => p.name === n)!;
      // As createPod records them: the next free host number of the node's slice, in both families.
      const friendNow = planned('friend').ips.map((a) => (a.includes(':') ? a.replace(/::\d+$/, '::9') : a.replace(/\.\d+$/, '.9')));
      const serverNow = planned('server').ips.map((a) => (a.includes(':') ? a.replace(/::\d+$/, '::7') : a.replace(/\.\d+$/, '.7')));
      const state = stateOf(plan, {
        friend: { ip: four(friendNow), ips: friendNow, containers: {} },
        server: { ip: four(serverNow), ips: serverNow, containers: {} },
      });
      const t6 = policyTables6.build(view(state), node(plan, 'worker-1'));
      // As a source: the ingress rule's peer set.
      expect(setOf(t6, 'ingress.0.peer.0')).toEqual([six(friendNow)]);
      // As the selected pod: the named port resolves against the server at its new address.
      expect(setOf(t6, 'ingress.0.port.0')).toEqual([`${six(serverNow)} . tcp . 80`]);
      // Never the planned IPv6 addresses any more.
      expect(JSON.stringify(t6)).not.toContain(six(planned('friend').ips));
      expect(JSON.stringify(t6)).not.toContain(six(planned('server').ips));
      // The IPv4 table follows as before.
      const t4 = policyTables.build(view(state), node(plan, 'worker-1'));
      expect(setOf(t4, 'ingress.0.peer.0')).toEqual([four(friendNow)]);
      expect(setOf(t4, 'ingress.0.port.0')).toEqual([`${four(serverNow)} . tcp . 80`]);
    });
  }

  it('a scale copy (the template\'s planned ips, its own recorded ones) is in the ip6 set at its own address', () => {
    const plan = planOf(spec(['IPv4', 'IPv6']));
    const friend = plan.pods.find((p) => p.name === 'friend')!;
    // scalePod copies the template's plan entry; the copy's addresses are only in the state.
    const copy = { ...friend, name: 'friend-r2', replicaOf: 'friend', replica: 2 };
    const withCopy: Plan = { ...plan, pods: [...plan.pods, copy] };
    const state = stateOf(withCopy, { 'friend-r2': { ip: '10.244.1.5', ips: ['10.244.1.5', 'fd00:10:244:1::5'], containers: {} } });
    expect(setOf(policyTables6.build(view(state), node(plan, 'worker-1')), 'ingress.0.peer.0')).toEqual([six(friend.ips), 'fd00:10:244:1::5']);
  });

  it('IPv6-only: the re-created pod is in the ip6 set at its new address only', () => {
    const plan = planOf(spec(['IPv6']));
    const friend = plan.pods.find((p) => p.name === 'friend')!;
    const now = friend.ip.replace(/::\d+$/, '::9');
    const state = stateOf(plan, { friend: { ip: now, containers: {} } });
    expect(setOf(policyTables6.build(view(state), node(plan, 'worker-1')), 'ingress.0.peer.0')).toEqual([now]);
    expect(policyTables.build(view(state), node(plan, 'worker-1'))).toBeUndefined();
  });

  it('a pod that is not running is in no set of either family', () => {
    const plan = planOf(spec(['IPv4', 'IPv6']));
    const state = stateOf(plan, { friend: null });
    expect(setOf(policyTables6.build(view(state), node(plan, 'worker-1')), 'ingress.0.peer.0')).toEqual([]);
    expect(setOf(policyTables.build(view(state), node(plan, 'worker-1')), 'ingress.0.peer.0')).toEqual([]);
  });

  it('currentAddresses: recorded addresses first, the planned ones while the pod keeps its planned address', () => {
    const plan = planOf(spec(['IPv4', 'IPv6']));
    const friend = plan.pods.find((p) => p.name === 'friend')!;
    expect(currentAddresses(friend, undefined)).toBeUndefined();
    expect(currentAddresses(friend, { containers: {} })).toBeUndefined();
    expect(currentAddresses(friend, { ip: friend.ip, containers: {} })).toEqual({ ip: friend.ip, ips: friend.ips });
    expect(currentAddresses(friend, { ip: '10.244.1.9', ips: ['10.244.1.9', 'fd00:10:244:1::9'], containers: {} })).toEqual({ ip: '10.244.1.9', ips: ['10.244.1.9', 'fd00:10:244:1::9'] });
  });
});

describe('neighbour discovery through the ip6 policy table', () => {
  it('the hooked chain of the ip6 table accepts NS and NA before any pod is judged; the ip table has no such rule', () => {
    const plan = planOf(spec(['IPv4', 'IPv6']));
    const state = stateOf(plan, {});
    const forward = (t: NftTable | undefined) => t!.chains.find((c) => c.hook)!.rules;
    const six = forward(policyTables6.build(view(state), node(plan, 'worker-2')));
    expect(six.slice(0, 2)).toEqual(['ct state established,related accept', 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept']);
    expect(six.indexOf('ip6 saddr vmap @egress-pods')).toBeGreaterThan(1);
    expect(forward(policyTables.build(view(state), node(plan, 'worker-2'))).join('\n')).not.toContain('icmpv6');
  });
});
