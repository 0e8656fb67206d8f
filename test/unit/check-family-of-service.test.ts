/**
 * A check that asks a Service for an address family it does not have cannot be told apart from
 * one that passes: it used to fall back to the Service's primary address and pass (a single-stack
 * answer got the IPv6 marks of the dual-stack-service exercise). It is PL2426 at its `family`, or
 * at the expected answer of an AAAA/A query, naming the Service's families and how to ask for both.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';

const lab = (service: Record<string, unknown>) => ({
  name: 'fam',
  ipFamilies: ['IPv4', 'IPv6'],
  nodes: { 'worker-1': {} },
  pods: { client: { node: 'worker-1' }, web: { node: 'worker-1', labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] } },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...service } },
  checks: [
    { kind: 'http', from: 'client', to: 'svc/web', family: 'IPv6' },
    { kind: 'http', from: 'client', to: 'svc/web', family: 'IPv4' },
    { kind: 'dns', from: 'client', query: 'web.default.svc.cluster.local.', type: 'AAAA', expectAnswers: ['svc/web'] },
  ],
});
const found = (service: Record<string, unknown>) =>
  validateValue(lab(service), 'fam.lab.ts')
    .diagnostics.filter((d) => d.code === 'PL2426')
    .map((d) => `${d.path.join('.')}: ${d.message}`);

describe('a check asking a Service for a family it lacks', () => {
  it('a single-stack Service (the default) has no IPv6 cluster IP: the IPv6 check and the AAAA answer are PL2426', () => {
    expect(found({})).toEqual([
      'checks.0.family: check "http client → svc/web (IPv6)" asks for IPv6, but Service "default/web" has no IPv6 cluster IP: it is IPv4 only',
      'checks.2.expectAnswers.0: check "client resolves web.default.svc.cluster.local. AAAA" expects the AAAA record of "svc/web", but Service "default/web" has no IPv6 cluster IP: it is IPv4 only',
    ]);
  });

  it('an IPv6-only Service has no IPv4 cluster IP', () => {
    expect(found({ ipFamilies: ['IPv6'] })).toEqual(['checks.1.family: check "http client → svc/web (IPv4)" asks for IPv4, but Service "default/web" has no IPv4 cluster IP: it is IPv6 only']);
  });

  it('a dual-stack Service has both: nothing to say', () => {
    expect(found({ ipFamilyPolicy: 'PreferDualStack' })).toEqual([]);
  });
});
