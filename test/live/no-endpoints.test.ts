/**
 * A Service with no endpoints refuses, as kube-proxy makes it refuse (lab ui-noep, flannel, two
 * nodes): curl to its ClusterIP from a pod and from a node, and to its NodePort from the other
 * node, fails with "connection refused" (curl exit 7), never a timeout (curl exit 28, after -m 5);
 * a Service whose last endpoint is deleted starts refusing (the table's diff adds it to the map)
 * and one that gets it back answers again; the check's why stays "Service … has no ready
 * endpoints".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { runCheck } from '../../src/check/run.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { createPod, deletePod } from '../../src/runtime/pods.ts';
import { readState } from '../../src/runtime/state.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'ui-noep';

const lab: LabSpec = {
  name,
  nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {} },
  cni: 'flannel',
  pods: {
    web: { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'control-plane' },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    empty: { type: 'NodePort', selector: { app: 'nothing' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30090 }] },
  },
  checks: [{ kind: 'http', from: 'client', to: 'svc/empty', timeoutMs: 5000, name: 'no endpoints' }],
};

/** curl's exit code and message: 0 answered, 7 refused (could not connect), 28 timed out. */
async function curl(from: string, url: string): Promise<{ code: number; text: string }> {
  const r = await inLab(readState(name)!, from, ['curl', '-sS', '-m', '5', '-o', '/dev/null', url]);
  return { code: r.exitCode ?? -1, text: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!live)('a Service with no endpoints refuses (lab ui-noep)', () => {
  const suite = labAroundSuite(lab);
  let clusterIP = '';
  let webIP = '';
  let workerIP = '';
  beforeAll(() => {
    const state = suite.lab();
    clusterIP = state.plan.services.find((s) => s.name === 'empty')!.clusterIP!;
    webIP = state.plan.services.find((s) => s.name === 'web')!.clusterIP!;
    workerIP = state.plan.nodes.find((n) => n.name === 'worker-1')!.ip;
  });

  it('curl from a pod to its ClusterIP: connection refused, not a timeout', async () => {
    const r = await curl('client', `http://${clusterIP}/`);
    expect(r.code, r.text).toBe(7);
    expect(r.text).toMatch(/Failed to connect to .* port 80.*(Couldn't connect to server|Connection refused)/);
  });

  it('from a node (its own output hook) and to the NodePort from the other node: refused too', async () => {
    expect((await curl('node/control-plane', `http://${clusterIP}/`)).code).toBe(7);
    expect((await curl('node/control-plane', `http://${workerIP}:30090/`)).code).toBe(7);
  });

  it('the Service with an endpoint answers; deleting its pod makes it refuse, re-creating it makes it answer again', async () => {
    expect((await curl('client', `http://${webIP}/`)).code).toBe(0);
    await deletePod(realExecutor, readState(name)!, 'web');
    expect((await curl('client', `http://${webIP}/`)).code).toBe(7);
    await createPod(realExecutor, readState(name)!, 'web');
    expect((await curl('client', `http://${webIP}/`)).code).toBe(0);
  }, 60_000);

  it("the check's why is still \"Service default/empty has no ready endpoints\", settled before its timeout", async () => {
    const state = readState(name)!;
    const r = await runCheck(state, state.plan.checks[0]!);
    expect(r.status).toBe('fail');
    expect(r.seen).toMatch(/^Service default\/empty has no ready endpoints \(/);
    expect(r.settled).toBe(true);
  }, 30_000);
});
