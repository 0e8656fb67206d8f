/**
 * A learner flushes a node's kube-proxy table (lab hk-resync, flannel, two nodes): the Service
 * stops answering from that node's pods, `doctor`'s check (tableDrift) names the table, and the
 * next sync (a pod re-created) rewrites it whole instead of sending a difference into empty
 * chains, so the Service answers again and the table is as podlab wrote it.
 */
import { describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { tableDrift } from '../../src/runtime/nft-sync.ts';
import { createPod, deletePod } from '../../src/runtime/pods.ts';
import { readState } from '../../src/runtime/state.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'hk-resync';

const lab: LabSpec = {
  name,
  nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {} },
  cni: 'flannel',
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-2': { node: 'control-plane', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'worker-1' },
  },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
};

async function curl(url: string): Promise<number> {
  return (await inLab(readState(name)!, 'client', ['curl', '-sS', '-m', '3', '-o', '/dev/null', url])).exitCode ?? -1;
}

describe.skipIf(!live)('a flushed kube-proxy table is rewritten whole (lab hk-resync)', () => {
  const suite = labAroundSuite(lab);
  const url = () => `http://${suite.lab().plan.services.find((s) => s.name === 'web')!.clusterIP}/`;

  it('flushed: the Service fails from the node, and the doctor names the table', async () => {
    expect(await curl(url())).toBe(0);
    expect(await tableDrift(realExecutor, readState(name)!)).toEqual([]);
    await inLab(readState(name)!, 'node/worker-1', ['nft', 'flush', 'table', 'ip', 'podlab']);
    expect(await curl(url())).not.toBe(0);
    const drift = await tableDrift(realExecutor, readState(name)!);
    expect(drift.map((d) => [d.target, d.table])).toEqual([['worker-1', 'podlab']]);
    expect(drift[0]!.differences).toContain('chain services: 0 rules (podlab wrote 2)');
  }, 30_000);

  it('the next sync rewrites it whole: the Service answers again, the table is as written', async () => {
    await deletePod(realExecutor, readState(name)!, 'web-2');
    await createPod(realExecutor, readState(name)!, 'web-2');
    const listed = (await inLab(readState(name)!, 'node/worker-1', ['nft', 'list', 'chain', 'ip', 'podlab', 'services'])).stdout;
    expect(listed).toContain('vmap @service-ips');
    expect(await curl(url())).toBe(0);
    expect(await tableDrift(realExecutor, readState(name)!)).toEqual([]);
  }, 60_000);
});
