/**
 * Live `podlab trace` where a NetworkPolicy meets a packet that a NodePort path translated on the
 * way (labs/calico.lab.ts as tr-pnat, natOutgoing, with NodePorts; web admits only pods labelled
 * role=client): natOutgoing masquerades a pod's packet to another node's NodePort to its node's
 * address, so the endpoint's ingress judges that address, not the pod's; and the pod's egress is
 * judged on its own node to the NodePort, before the other node DNATs it. The prediction must name
 * the rule the counters show, and the probe must agree.
 */
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import calicoLab from '../../labs/calico.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { applyPolicy, deletePolicy } from '../../src/runtime/policies.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive, type LiveTrace } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { bgpConverged } from './calico-lab.ts';
import { labAroundSuite, liveGuard } from './host.ts';
import { allConfirmed, at, hop } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const spec = calicoLab as LabSpec;

/** Every hop before the last confirmed, the last a policy drop where predicted, the probe silent, nothing differs. */
function droppedAt(t: LiveTrace, where: string): void {
  expect(t.hops.slice(0, -1).filter((h) => h.status !== 'confirmed').map((h) => `${h.kind}@${h.at}: ${h.observed}`), JSON.stringify(t.hops, null, 1)).toEqual([]);
  expect(t.hops.at(-1)).toMatchObject({ kind: 'policy', at: where, status: 'dropped', action: 'drop' });
  expect(t.outcome).toBe('dropped');
  expect(t.observed!.ok).toBe(false);
  expect(t.observed!.differences).toEqual([]);
}

describe.skipIf(!live)('live trace: NetworkPolicy after natOutgoing and a NodePort of another node (labs/calico.lab.ts as tr-pnat)', () => {
  const name = 'tr-pnat';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  labAroundSuite({
    ...spec,
    name,
    checks: [],
    scenarios: {},
    pods: { ...spec.pods, client: { ...spec.pods!.client!, labels: { role: 'client' } } },
    services: {
      ...spec.services,
      'web-local': { type: 'NodePort', externalTrafficPolicy: 'Local', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30081 }] },
    },
    networkPolicies: { 'web-from-client': { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] }] } },
  });
  // A node reaches another node's pods only once BIRD has told it the way.
  beforeAll(() => bgpConverged(name), 60_000);

  it('the pod through a cluster IP: DNATed on its own node, judged as the pod, admitted', async () => {
    const t = await trace({ from: 'client', to: 'svc/web' });
    allConfirmed(t);
  }, 30_000);

  it('the pod to another node\'s NodePort: masqueraded to its node\'s address by natOutgoing, so web-2\'s ingress denies it, as its counters show', async () => {
    const t = await trace({ from: 'client', to: 'node/c1-node2', port: 30081 });
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node c1-node1', 'policy@node c1-node1', 'node-route@node c1-node1', 'snat@node c1-node1', 'dnat@node c1-node2', 'policy@node c1-node2']);
    droppedAt(t, 'node c1-node2');
    expect(hop(t, 'snat').observed).toBe('conntrack: the reply goes to 172.16.94.11');
    expect(t.hops.at(-1)!.k8s).toMatch(/ingress at destination denied \(isolated by default\/web-from-client; no rule matched\) from 172\.16\.94\.11, the source as masqueraded by the IP pool's natOutgoing on node c1-node1 /);
    expect(t.hops.at(-1)!.observed).toMatch(/^counters grew: c1-node2: ingress\.default\/web-2 "default\/web-2 isolated for ingress by default\/web-from-client: no rule allowed" \+[1-9]/);
    // The see: line's explain asks the same question and says the same.
    const cli = await execa('node', [BIN, 'explain', name, 'node/c1-node1', 'default/web-2', '--port', '8080'], { reject: false });
    expect(cli.stdout).toMatch(/: DENIED$/m);
    expect(cli.stdout).toMatch(/^✓ observed as predicted$/m);
  }, 30_000);

  it('an egress policy of the pod: judged on its node to the NodePort, before c1-node2 DNATs it', async () => {
    await applyPolicy(realExecutor, readState(name)!, normalizePolicy('client-egress', { namespace: 'default', podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }] }));
    try {
      const t = await trace({ from: 'client', to: 'node/c1-node2', port: 30081 });
      expect(at(t)).toEqual(['route@pod default/client', 'veth@node c1-node1', 'policy@node c1-node1']);
      droppedAt(t, 'node c1-node1');
      expect(t.policy!.egress).toBe("denied (isolated by default/client-egress; no rule matched) to 172.16.94.12:30081, node c1-node2's NodePort (DNATed there, not on the source's node)");
      expect(t.hops.at(-1)!.observed).toMatch(/^counters grew: c1-node1: egress\.default\/client "default\/client isolated for egress by default\/client-egress: no rule allowed" \+[1-9]/);
      // Through the cluster IP the endpoint is judged, and the egress rule admits it.
      allConfirmed(await trace({ from: 'client', to: 'svc/web' }));
    } finally {
      await deletePolicy(realExecutor, readState(name)!, 'default', 'client-egress');
    }
  }, 60_000);
});
