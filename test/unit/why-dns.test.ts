/**
 * Why a dns check failed when the policies drop its query (src/check/why.ts): the query a dns check
 * sends as explain takes it (its pod's resolv.conf names kube-dns: the Service, UDP 53), and the
 * policy that dropped it, named from the counters around the check's own attempt and settled, as a
 * reach check's policy drop is. No root: the lab planned, its attempt's counters given.
 */
import { describe, expect, it } from 'vitest';
import { dnsRequestOf, whyFailed, type DnsCheck } from '../../src/check/why.ts';
import type { ProbeCheck } from '../../src/check/checks.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { plannedView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { explain } from '../../src/trace/explain.ts';
import { recordingExecutor } from './recorder.ts';
import { shopLab } from './shop-lab.ts';

const defaultDeny = { 'default-deny': { namespace: 'shop', podSelector: {}, policyTypes: ['Ingress', 'Egress'] } };

function planned(policies: Record<string, unknown>) {
  const spec = { ...(shopLab(policies) as object), checks: [{ kind: 'dns', from: 'frontend', query: 'backend.shop' }] };
  const { lab, diagnostics } = validateValue(spec, 'shop.lab.ts');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const plan = buildPlan(lab!);
  const state = { lab: plan.lab, status: 'up', createdAt: new Date().toISOString(), steps: [], plan, pods: {} } as unknown as LabState;
  return { plan, state, check: plan.checks[0] as DnsCheck };
}

describe('a dns check whose query a NetworkPolicy drops', () => {
  it("asks kube-dns, as the pod's resolv.conf says: the Service, UDP 53", () => {
    const { plan, check } = planned(defaultDeny);
    expect(dnsRequestOf(plan, check)).toEqual({ from: 'frontend', to: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP' });
  });

  it('names the policy whose drop rule counted the attempt, settled', async () => {
    const { plan, state, check } = planned(defaultDeny);
    const x = explain(plannedView(plan), dnsRequestOf(plan, check)!);
    const drop = x.cases[0]!.nft[0]!;
    const fired = { [drop.node]: drop.hits.map((h) => ({ chain: h.chain, comment: h.comment!, packets: 1, delta: 1 })) };
    const cause = await whyFailed(recordingExecutor(), state, check as ProbeCheck, { x, fired });
    expect(cause).toEqual({
      cause: 'its query to svc/kube-system/kube-dns UDP/53 is dropped by NetworkPolicy default-deny in namespace shop (egress of shop/frontend: no rule allows it; the drop rule in chain egress.shop/frontend counted the packet)',
      settled: true,
    });
  });

  it('a rule for DNS lets it through: no policy cause', async () => {
    const dns = { ...defaultDeny, dns: { namespace: 'shop', podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] } };
    const { state, check } = planned(dns);
    expect(await whyFailed(recordingExecutor(), state, check as ProbeCheck)).toBeUndefined();
  });
});
