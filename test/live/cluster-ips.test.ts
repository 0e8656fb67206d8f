/**
 * Traffic to the service CIDR that no Service port takes (lab hk-cip, flannel, two nodes, a
 * gateway): kube-proxy's cluster-ips-check. A port no Service has at an allocated cluster IP is
 * refused (ECONNREFUSED), from a pod and from a node; an address of the service CIDR no Service
 * holds is dropped (the connect times out), where before both followed the default route to the
 * gateway ("Network is unreachable"). A Service added at run time joins the set cluster-ips, one
 * deleted leaves it.
 */
import { describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { applyService, deleteService } from '../../src/runtime/live-services.ts';
import { readState } from '../../src/runtime/state.ts';
import { connectFrom, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'hk-cip';

const lab: LabSpec = {
  name,
  nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {} },
  cni: 'flannel',
  pods: {
    web: { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'control-plane' },
  },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  // The pool makes the gateway, and with it the default route a stray packet would follow.
  loadBalancer: { pool: '172.16.94.240/28' },
};

const connect = (from: string, host: string, port: number) => connectFrom(readState(name)!, from, host, port);

describe.skipIf(!live)('cluster-ips-check (lab hk-cip)', () => {
  const suite = labAroundSuite(lab);
  const webIP = () => suite.lab().plan.services.find((s) => s.name === 'web')!.clusterIP!;

  it('a port the Service does not have at its cluster IP: refused, from a pod and from a node', async () => {
    expect(await connect('client', webIP(), 80)).toBe('connected');
    expect(await connect('client', webIP(), 81)).toBe('ECONNREFUSED');
    expect(await connect('node/control-plane', webIP(), 81)).toBe('ECONNREFUSED');
  }, 30_000);

  it('an address of the service CIDR that no Service holds: dropped, not sent to the gateway', async () => {
    expect(await connect('client', '10.96.0.200', 80)).toBe('timeout');
    expect(await connect('node/worker-1', '10.96.0.200', 80)).toBe('timeout');
  }, 30_000);

  it('a Service added at run time joins cluster-ips (its other ports refused); deleted, its address is dropped again', async () => {
    const { service } = await applyService(realExecutor, readState(name)!, { name: 'extra', namespace: 'default', type: 'ClusterIP', selector: { app: 'web' }, ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 }], clusterIP: '10.96.0.200', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' });
    expect(service.clusterIP).toBe('10.96.0.200');
    expect(await connect('client', '10.96.0.200', 80)).toBe('connected');
    expect(await connect('client', '10.96.0.200', 81)).toBe('ECONNREFUSED');
    await deleteService(realExecutor, readState(name)!, 'default', 'extra');
    expect(await connect('client', '10.96.0.200', 81)).toBe('timeout');
  }, 60_000);
});
