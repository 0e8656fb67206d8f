/**
 * Cluster DNS follows a pod re-created at run time in every family (issue #24): the cluster view
 * the DNS server answers pod records from (`rendered/dns/cluster.json`, rewritten on every sync)
 * holds a re-created dual-stack pod at its new IPv4 *and* new IPv6 address, not its planned IPv6
 * one; a pod that is not running has no record. Without root.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { clusterViewFile } from '../../src/render/render.ts';
import { livePodAddresses } from '../../src/runtime/services.ts';
import type { LabState, PodState } from '../../src/runtime/state.ts';

const echo = { name: 'echo', workload: { kind: 'tcp-echo' as const, port: 80 } };
const spec = (ipFamilies: LabSpec['ipFamilies']): LabSpec => ({
  name: 'dns-v6-unit',
  ipFamilies,
  cni: 'kubenet',
  nodes: { 'worker-1': {}, 'worker-2': {} },
  pods: { web: { node: 'worker-1', containers: [echo] }, idle: { node: 'worker-2', containers: [echo] } },
});

function planOf(s: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(s, 'dns-v6-unit.lab.ts');
  expect(diagnostics).toEqual([]);
  return buildPlan(lab!);
}

const podRecords = (plan: Plan, state: LabState, name: string) =>
  (JSON.parse(clusterViewFile(plan, {}, livePodAddresses(state))) as { pods: { name: string; ip: string }[] }).pods.filter((p) => p.name === name).map((p) => p.ip);

describe('DNS pod records follow a pod re-created at run time over IPv6', () => {
  for (const families of [['IPv4', 'IPv6'], ['IPv6', 'IPv4']] as const) {
    it(`dual stack ${families.join(', ')}: the re-created pod answers at its new address in both families`, () => {
      const plan = planOf(spec([...families]));
      const web = plan.pods.find((p) => p.name === 'web')!;
      const v4 = web.ips.find((a) => !a.includes(':'))!;
      const v6 = web.ips.find((a) => a.includes(':'))!;
      const new4 = v4.replace(/\d+$/, (d) => String(Number(d) + 7));
      const new6 = v6.replace(/[0-9a-f]+$/, (h) => (parseInt(h, 16) + 7).toString(16));
      const ips = families[0] === 'IPv4' ? [new4, new6] : [new6, new4];
      const pods: Record<string, PodState> = { web: { ip: ips[0]!, ips, containers: {} } as PodState };
      const state = { lab: plan.lab, status: 'up', createdAt: '', steps: [], plan, pods } as unknown as LabState;
      expect(podRecords(plan, state, 'web').sort()).toEqual([new4, new6].sort());
      expect(podRecords(plan, state, 'web')).not.toContain(v6);
      expect(podRecords(plan, state, 'idle')).toEqual([]); // not running: no record
    });
  }
  it('a pod still at its planned addresses keeps both', () => {
    const plan = planOf(spec(['IPv4', 'IPv6']));
    const web = plan.pods.find((p) => p.name === 'web')!;
    const state = { lab: plan.lab, status: 'up', createdAt: '', steps: [], plan, pods: { web: { ip: web.ip, containers: {} } } } as unknown as LabState;
    expect(podRecords(plan, state, 'web').sort()).toEqual([...web.ips].sort());
  });
});
