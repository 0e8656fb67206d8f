/**
 * The general nft sync (runtime/nft-sync.ts over the registry of plan/nft-tables.ts): for one
 * namespace, the transaction from the tables applied last to the tables of a view. Whole tables
 * the first time, differences after, a table deleted when its builder no longer wants it, and
 * nothing at all when nothing changed. Pure (no nft is run).
 */
import { describe, expect, it } from 'vitest';
import policyLab from '../../labs/network-policy.lab.ts';
import dualStackLab from '../../labs/dual-stack.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { nftTargets, plannedView, TABLE_BUILDERS } from '../../src/plan/nft-tables.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { namespaceScript } from '../../src/runtime/nft-sync.ts';

const { lab } = validateValue(policyLab, 'labs/network-policy.lab.ts');
const plan = buildPlan(lab!);
const view = plannedView(plan);
const w1 = nftTargets(plan).find((t) => t.name === 'worker-1')!;
const lines = (s: string) => s.split('\n').filter(Boolean);

describe('nft sync of one namespace', () => {
  it('the registry lists kube-proxy and the policy table (ip, then ip6 for a lab with IPv6), then the underlay rule, then the per-pool NAT of Calico (ip, then ip6 for its IPv6 pools)', () => {
    expect(TABLE_BUILDERS.map((b) => b.table)).toEqual(['podlab', 'ip6 podlab', 'podlab-policy', 'ip6 podlab-policy', 'bridge podlab_underlay', 'calico', 'ip6 calico']);
  });

  it("nodeNetwork.podTraffic 'drop': the fabric is a target holding only the underlay table, in every family", () => {
    expect(nftTargets(plan).some((t) => t.kind === 'fabric')).toBe(false);
    const cloud = buildPlan({ ...lab!, nodeNetwork: { ...lab!.nodeNetwork, podTraffic: 'drop' } });
    const fabric = nftTargets(cloud).find((t) => t.kind === 'fabric')!;
    expect(fabric.netns).toBe(cloud.fabric.netns);
    const { script, tables } = namespaceScript(plannedView(cloud), fabric, {});
    expect(Object.keys(tables)).toEqual(['bridge podlab_underlay']);
    expect(script).toContain(`ip saddr ${cloud.podCidr} counter drop`);
    expect(script).toContain(`ip daddr ${cloud.podCidr} counter drop`);
    // Nodes keep their own tables, without the underlay's.
    const node = namespaceScript(plannedView(cloud), nftTargets(cloud).find((t) => t.name === 'worker-1')!, {});
    expect(Object.keys(node.tables)).toEqual(['podlab', 'podlab-policy']);
  });

  it('in a dual-stack lab the fabric still holds only the underlay table, with a rule pair per family', () => {
    const ds = validateValue(dualStackLab, 'labs/dual-stack.lab.ts').lab!;
    const cloud = buildPlan({ ...ds, nodeNetwork: { ...ds.nodeNetwork, podTraffic: 'drop' } });
    const fabric = nftTargets(cloud).find((t) => t.kind === 'fabric')!;
    const { script, tables } = namespaceScript(plannedView(cloud), fabric, {});
    expect(Object.keys(tables)).toEqual(['bridge podlab_underlay']);
    for (const cidr of cloud.podCidrs) expect(script).toContain(`${cidr.includes(':') ? 'ip6' : 'ip'} saddr ${cidr} counter drop`);
    expect(cloud.podCidrs.some((c) => c.includes(':'))).toBe(true);
  });

  it('first sync: both tables whole, each replacing any table of its name', () => {
    const { script, tables } = namespaceScript(view, w1, {});
    expect(Object.keys(tables)).toEqual(['podlab', 'podlab-policy']);
    expect(script).toContain('delete table ip podlab\n');
    expect(script).toContain('delete table ip podlab-policy\n');
  });

  it("up's first sync into its new namespaces: the same tables, added without replacing (no delete: nothing to delete)", () => {
    const replacing = namespaceScript(view, w1, {});
    const fresh = namespaceScript(view, w1, {}, true);
    expect(fresh.tables).toEqual(replacing.tables);
    expect(fresh.script).not.toContain('delete table');
    expect(fresh.script).toContain('table ip podlab {\n');
    expect(fresh.script).toContain('table ip podlab-policy {\n');
    // Nothing else differs: the replacing script is the fresh one with each table's two-line preamble.
    expect(replacing.script.replace(/^table ip [\w-]+\ndelete table ip [\w-]+\n/gm, '')).toBe(fresh.script);
    // Only a first sync: later syncs are differences whatever `fresh` says.
    expect(namespaceScript(view, w1, fresh.tables, true).script).toBe('');
  });

  it('the same view again: no transaction', () => {
    const { tables } = namespaceScript(view, w1, {});
    expect(namespaceScript(view, w1, tables).script).toBe('');
  });

  it('a policy added: only policy-table lines, its chains and sets, no kube-proxy line', () => {
    const { tables } = namespaceScript(view, w1, {});
    const extra = normalizePolicy('allow-from-y', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] });
    const { script } = namespaceScript({ ...view, policies: [...view.policies, extra] }, w1, tables);
    expect(lines(script).length).toBeGreaterThan(0);
    expect(lines(script).every((l) => l.includes(' ip podlab-policy '))).toBe(true);
    expect(script).toContain('add chain ip podlab-policy np.x/allow-from-y.ingress');
    expect(script).toContain('add set ip podlab-policy np.x/allow-from-y.ingress.0.peer.0');
    // The pods of x on worker-1 now also jump to the new policy's chain: their chains are rewritten.
    expect(script).toContain('flush chain ip podlab-policy ingress.x/x-a');
  });

  it('the last policy deleted: the policy table is deleted, kube-proxy untouched', () => {
    const { tables } = namespaceScript(view, w1, {});
    expect(namespaceScript({ ...view, policies: [] }, w1, tables).script).toBe('delete table ip podlab-policy\n');
  });

  it('the gateway gets no policy table', () => {
    const gw = { kind: 'gateway' as const, name: 'gateway' as const, netns: 'gw' };
    expect(TABLE_BUILDERS[1]!.build(view, gw)).toBeUndefined();
  });
});
