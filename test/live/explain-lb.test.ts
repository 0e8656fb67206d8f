/**
 * Live `podlab explain` of a load-balancer address from outside (labs/services.lab.ts as ht-elb,
 * web and solo admitting the internet's addresses only): the gateway sends the connection to one
 * node's NodePort, and under externalTrafficPolicy Cluster kube-proxy there masquerades it towards
 * an endpoint on another node, so that endpoint's policy sees the node's address and drops it;
 * under Local the client's address is kept and admitted. Explain names a case per node and
 * endpoint, and every probe's counters match one of them.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { explainLive } from '../../src/runtime/explain.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)('live explain of a load-balancer address from outside, judged as the endpoint sees it (labs/services.lab.ts as ht-elb)', () => {
  const name = 'ht-elb';
  labAroundSuite({
    ...(servicesLab as LabSpec),
    name,
    checks: [],
    scenarios: {},
    services: { ...(servicesLab as LabSpec).services, 'solo-lb': { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [{ port: 80, targetPort: 8080 }] } },
    hosts: { ...(servicesLab as LabSpec).hosts, ops: { network: 'nodes' } },
    networkPolicies: {
      'web-from-internet': { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] },
      'solo-from-internet': { podSelector: { matchLabels: { app: 'solo' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] },
    },
  });

  it('host/internet → lb/web-lb (Cluster): each probe meets the case of the node the gateway chose, denied unless it is the endpoint\'s own', async () => {
    // The gateway and kube-proxy each pick at random, and the probe tries again on a new socket every
    // 200 ms while nothing answers: a third of the paths keep the client's address and connect.
    const notes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const x = await explainLive(realExecutor, readState(name)!, { from: 'host/internet', to: 'lb/web-lb' });
      expect(x.cases).toHaveLength(9);
      expect(x.cases.every((c) => c.allowed === (c.through === c.endpoint!.node))).toBe(true);
      expect(x.observed, JSON.stringify(x.observed)).toMatchObject({ agrees: true, differences: [] });
      const c = x.cases[x.observed!.matchedCase!]!;
      expect(x.observed!.probe.ok).toBe(c.allowed);
      if (x.observed!.note) notes.push(x.observed!.note);
    }
    // Some try was sent through another node than its endpoint's, masqueraded, and dropped by the endpoint's policy.
    expect(notes.join('\n')).toMatch(/denied default\/web-\d through /);
    const cli = await execa('node', [BIN, 'explain', name, 'host/internet', 'lb/web-lb'], { reject: false });
    expect(cli.stdout).toMatch(/^endpoint default\/web-1 10\.244\.1\.\d+:8080 on worker-1, through node worker-2: DENIED$/m);
    expect(cli.stdout).toMatch(/^✓ observed as predicted/m);
  }, 120_000);

  it('host/internet → lb/solo-lb (Local): the client\'s address kept, admitted; host/ops on the node network arrives as the gateway, denied', async () => {
    const x = await explainLive(realExecutor, readState(name)!, { from: 'host/internet', to: 'lb/solo-lb' });
    expect(x.cases.map((c) => [c.through, c.endpoint!.pod, c.allowed])).toEqual([['worker-2', 'solo', true]]);
    expect(x.observed).toMatchObject({ agrees: true, differences: [], probe: { ok: true } });
    const ops = await explainLive(realExecutor, readState(name)!, { from: 'host/ops', to: 'lb/solo-lb' });
    expect(ops.allowed).toBe(false);
    expect(ops.cases[0]!.path!.ingress).toMatch(/^from 172\.16\.94\.1, the source as masqueraded by the gateway /);
    expect(ops.observed).toMatchObject({ agrees: true, differences: [], probe: { ok: false } });
    expect(ops.observed!.fired['worker-2']).toEqual([expect.objectContaining({ chain: 'ingress.default/solo' })]);
  }, 60_000);
});
