/**
 * Live NetworkPolicy mistakes of a small shop (test/unit/shop-lab.ts as h2-shop): frontend's egress
 * denied on its node while backend would admit it, which live explain and trace both call as
 * predicted (the ingress accept past the drop is never met); a dns check whose query that egress
 * denial drops, failed at its first attempt with the policy named; a tcp check denied because the
 * egress rule allows the Service's port 80 and not the pods' 8080, which its cause says.
 */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/run.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { explainLive } from '../../src/runtime/explain.ts';
import { applyPolicy, deletePolicy } from '../../src/runtime/policies.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import { egressDenied, shopLab } from '../unit/shop-lab.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();

describe.skipIf(!live)('live NetworkPolicy mistakes of a shop (h2-shop)', () => {
  const name = 'h2-shop';
  const spec = {
    ...(shopLab(egressDenied) as LabSpec),
    name,
    checks: [
      { kind: 'dns', from: 'frontend', query: 'backend.shop', name: 'frontend resolves backend' },
      { kind: 'tcp', from: 'frontend', to: 'svc/shop/backend', name: 'frontend reaches backend' },
    ],
  } as LabSpec;
  labAroundSuite(spec);

  it("frontend's egress dropped on its node: explain and trace observe it as predicted, backend's ingress accept never met", async () => {
    const x = await explainLive(realExecutor, readState(name)!, { from: 'frontend', to: 'svc/shop/backend' });
    expect(x.cases[0]!.allowed).toBe(false);
    expect(x.observed!.differences).toEqual([]);
    expect(x.observed!.agrees).toBe(true);
    expect(Object.entries(x.observed!.fired).filter(([, rs]) => rs.length).map(([n]) => n)).toEqual(['worker-1']);
    const t = await traceLive(realExecutor, readState(name)!, { from: 'frontend', to: 'svc/shop/backend' });
    expect(t.observed!.differences).toEqual([]);
  }, 60_000);

  it('a dns check whose query the egress denial drops: the policy named, settled at the first attempt', async () => {
    const state = readState(name)!;
    const r = await runCheck(state, state.plan.checks[0]!);
    expect(r.status).toBe('fail');
    expect(r.seen).toMatch(/^its query to svc\/kube-system\/kube-dns UDP\/53 is dropped by NetworkPolicy deny-egress in namespace shop \(egress of shop\/frontend: no rule allows it; the drop rule in chain egress\.shop\/frontend counted the packet\) \(no DNS answer/);
    expect(r.settled).toBe(true);
    expect(r.attempts).toBe(1);
    expect(r.ms).toBeLessThan(2500);
  }, 60_000);

  it('egress allowed to the Service port 80 while the pods listen on 8080: the tcp check says the rule needs 8080', async () => {
    await deletePolicy(realExecutor, readState(name)!, 'shop', 'deny-egress');
    await applyPolicy(realExecutor, readState(name)!, normalizePolicy('default-deny', { namespace: 'shop', podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    await applyPolicy(realExecutor, readState(name)!, normalizePolicy('dns', { namespace: 'shop', podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] }));
    await applyPolicy(realExecutor, readState(name)!, normalizePolicy('fe-be', { namespace: 'shop', podSelector: { matchLabels: { app: 'frontend' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'backend' } } }], ports: [{ protocol: 'TCP', port: 80 }] }] }));
    const state = readState(name)!;
    const r = await runCheck(state, state.plan.checks[1]!);
    expect(r.status).toBe('fail');
    expect(r.seen).toMatch(/^dropped by NetworkPolicy default-deny in namespace shop, dns in namespace shop, fe-be in namespace shop \(egress of shop\/frontend: no rule allows it; rule shop\/fe-be egress\[0\] allows TCP\/80, the port of Service shop\/backend, but kube-proxy DNATs the packet to the endpoint's TCP\/8080 \(targetPort\) before the policies judge it: that rule needs port 8080; the drop rule in chain egress\.shop\/frontend counted the packet\)/);
    expect(r.settled).toBe(true);
    // The name resolves now (the dns policy), and explain says the same of the connection.
    expect((await runCheck(state, state.plan.checks[0]!)).status).toBe('pass');
    const x = await explainLive(realExecutor, state, { from: 'frontend', to: 'svc/shop/backend' });
    expect(x.cases[0]!.egress.servicePortRule).toMatchObject({ servicePort: 80, targetPort: 8080 });
    expect(x.observed!.agrees).toBe(true);
  }, 60_000);
});
