/**
 * NodePorts at the node's primary address only (lab hk-npip, flannel, two nodes), as kube-proxy's
 * nftables mode has them (`--nodeport-addresses primary`): the NodePort answers at the node's IP,
 * from a pod and from the node itself, and not at the node's cni0 address (the pods' gateway) or
 * its flannel.1 address, where before `fib daddr type local` took it on every local address.
 */
import { describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { readState } from '../../src/runtime/state.ts';
import { connectFrom, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'hk-npip';

const lab: LabSpec = {
  name,
  nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {} },
  cni: 'flannel',
  pods: {
    web: { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'worker-1' },
  },
  services: { web: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] } },
};

const connect = (from: string, host: string, port: number) => connectFrom(readState(name)!, from, host, port);

describe.skipIf(!live)('NodePorts at the primary address only (lab hk-npip)', () => {
  const suite = labAroundSuite(lab);
  const worker = () => suite.lab().plan.nodes.find((n) => n.name === 'worker-1')!;

  it("the node's IP answers, from a pod and from the node", async () => {
    expect(await connect('client', worker().ip, 30080)).toBe('connected');
    expect(await connect('node/worker-1', worker().ip, 30080)).toBe('connected');
  }, 30_000);

  it("the node's cni0 address (the pod's gateway) and flannel.1 address do not: nothing listens there", async () => {
    const cni0 = worker().podGateway;
    const vtep = worker().podCidr.replace(/\.\d+\/\d+$/, '.0');
    for (const a of [cni0, vtep]) {
      expect(await connect('client', a, 30080), a).toBe('ECONNREFUSED');
      expect(await connect('node/worker-1', a, 30080), a).toBe('ECONNREFUSED');
    }
  }, 30_000);
});
