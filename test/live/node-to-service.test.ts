/**
 * A node's own connections to a ClusterIP, in a lab without a gateway (so without a default route
 * on the nodes, as the flagship lab): a real node has its default route, so `curl <cluster IP>` or
 * `dig @10.96.0.10` on a node is routed and meets kube-proxy's DNAT. Here each node has a link
 * route to each Service CIDR for that (render: node.serviceRoutes); before it, the kernel refused
 * the connection at once (ENETUNREACH), and a hostNetwork pod with ClusterFirstWithHostNet could
 * not reach the cluster DNS. Lab ns-svc: dual stack, two nodes, no gateway.
 */
import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { runCheck } from '../../src/check/run.ts';
import { connectFrom, inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();

const lab: LabSpec = {
  name: 'ns-svc',
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'kubenet',
  nodes: { 'worker-1': {}, 'worker-2': {} },
  pods: {
    web: { node: 'worker-2', labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo', port: 8080 } }] },
    agent: { node: 'worker-1', hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', containers: [{ name: 'agent', workload: { kind: 'http-echo', port: 9100 } }] },
  },
  services: { web: { selector: { app: 'web' }, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80, targetPort: 8080 }] } },
  checks: [
    { kind: 'dns', from: 'agent', query: 'web', expectAnswers: ['svc/web'] },
    { kind: 'http', from: 'agent', to: 'svc/web' },
  ],
};

describe.skipIf(!live)('a node reaches Services without a default route', () => {
  const { lab: state } = labAroundSuite(lab);
  const clusterIps = () => state().plan.services.find((s) => s.name === 'web')!.clusterIPs;

  it('has no default route, and a link route to each Service CIDR', async () => {
    const v4 = await inLab(state(), 'node/worker-1', ['ip', 'route']);
    const v6 = await inLab(state(), 'node/worker-1', ['ip', '-6', 'route']);
    expect(v4.stdout).not.toMatch(/^default/m);
    expect(v4.stdout).toMatch(/^10\.96\.0\.0\/12 dev eth0/m);
    expect(v6.stdout).toMatch(/^fd00:10:96::\/112 dev eth0/m);
  });

  it("the node's own TCP connection to the Service's IPv4 and IPv6 cluster IPs reaches the pod", async () => {
    const [v4, v6] = clusterIps() ?? [];
    expect(await connectFrom(state(), 'node/worker-1', v4!, 80)).toBe('connected');
    expect(await connectFrom(state(), 'node/worker-1', v6!, 80)).toBe('connected');
  });

  it('an address of the Service CIDR no Service has is still refused or dropped by kube-proxy, not sent on', async () => {
    expect(['timeout', 'ECONNREFUSED']).toContain(await connectFrom(state(), 'node/worker-1', '10.96.0.250', 80));
  });

  it('a ClusterFirstWithHostNet pod resolves a Service through the cluster DNS, and its http check passes', async () => {
    for (const c of state().plan.checks) {
      const r = await runCheck(state(), c);
      expect(r.status, `${c.name}: ${r.seen}`).toBe('pass');
    }
  });
});
