/**
 * Live manifests-in: labs/from-manifests.lab.ts (its pods, Deployment, NodePort Service and
 * CoreDNS ConfigMap read from labs/k8s/*.yaml) built for real under another name, its checks
 * passing, and torn down whatever happens.
 */
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/check/run.ts';
import { readState } from '../../src/runtime/state.ts';
import { inLab, labAroundSuite, liveGuard, upLabFile } from './host.ts';

const live = liveGuard();

describe.skipIf(!live)('live lab from Kubernetes manifests (labs/from-manifests.lab.ts)', () => {
  const name = 'k8sio-fm';
  const state = labAroundSuite({ name, up: () => upLabFile('labs/from-manifests.lab.ts', { name }) }).lab;

  it('passes every check of the lab', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.length).toBe(state().plan.checks.length);
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
