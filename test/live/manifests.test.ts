/**
 * Live manifests-in: labs/from-manifests.lab.ts (its pods, Deployment, NodePort Service and
 * CoreDNS ConfigMap read from labs/k8s/*.yaml) built for real under another name, its checks
 * passing, and torn down whatever happens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../src/check/run.ts';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { down } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { up } from '../../src/runtime/up.ts';
import { inLab, liveGuard } from './host.ts';

const live = liveGuard();

describe.skipIf(!live)('live lab from Kubernetes manifests (labs/from-manifests.lab.ts)', () => {
  const name = 'k8sio-fm';
  let checks = 0;

  beforeAll(async () => {
    await down(name);
    const r = await compileLab('labs/from-manifests.lab.ts');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const plan = buildPlan({ ...r.lab!, name });
    checks = plan.checks.length;
    try {
      await up(plan, render(plan));
    } catch (e) {
      await down(name);
      throw e;
    }
  }, 90_000);

  afterAll(async () => {
    await down(name);
  }, 60_000);

  it('passes every check of the lab', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.length).toBe(checks);
  }, 60_000);

  it('the dnsPolicy None pod has the resolv.conf its dnsConfig says', async () => {
    const r = await inLab(readState(name)!, 'custom-dns', ['cat', '/etc/resolv.conf']);
    expect(r.stdout).toContain('nameserver 10.96.0.10\nsearch default.svc.cluster.local corp.example\noptions ndots:2');
  });

  it('the Deployment made three pods spread over both workers', () => {
    const pods = Object.values(readState(name)!.plan.pods).filter((p) => p.labels.app === 'web');
    expect(pods.length).toBe(3);
    expect(new Set(pods.map((p) => p.node))).toEqual(new Set(['worker-1', 'worker-2']));
  });
});
