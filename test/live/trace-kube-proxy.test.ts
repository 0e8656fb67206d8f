/**
 * Live `podlab trace` where kube-proxy's rules decide by who the client is, on labs/services.lab.ts
 * as tg-trace (flannel) with a LoadBalancer Service of externalTrafficPolicy Local (solo-lb) and a
 * pod isolated by a NetworkPolicy (loop): externalTrafficPolicy Local reached from a pod (a
 * load-balancer address, its own node's NodePort, another node's with and without an endpoint) and
 * from a node itself; a pod reaching its own Service and landing on itself (hairpin); the gateway
 * as the source. Every hop must be confirmed by the kernel's counters, conntrack at each place that
 * translated the probe, or a live read; the prediction and the probe must agree.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import calicoLab from '../../labs/calico.lab.ts';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive, type LiveTrace } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { labAroundSuite, liveGuard } from './host.ts';
import { allConfirmed, at, hop } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

const spec = servicesLab as LabSpec;

describe.skipIf(!live)('live trace: externalTrafficPolicy Local, hairpin, the gateway (labs/services.lab.ts as tg-trace)', () => {
  const name = 'tg-trace';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  const ipOf = (pod: string) => readState(name)!.plan.pods.find((p) => p.name === pod)!.ip;
  labAroundSuite({
    ...spec,
    name,
    checks: [],
    scenarios: {},
    pods: { ...spec.pods, loop: { node: 'worker-1', labels: { app: 'loop' }, containers: [{ name: 'echo', workload: { kind: 'http-echo', port: 8080 } }] } },
    services: {
      ...spec.services,
      'solo-lb': { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [{ port: 80, targetPort: 8080 }] },
      loop: { selector: { app: 'loop' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    // Nothing may reach loop, but loop itself through its Service (the policy table's @self).
    networkPolicies: { 'loop-isolated': { podSelector: { matchLabels: { app: 'loop' } }, policyTypes: ['Ingress'] } },
  });

  it('a pod → a load-balancer address of externalTrafficPolicy Local: short-circuited on its own node to the endpoint on another, its address kept', async () => {
    const lb = readState(name)!.plan.services.find((s) => s.name === 'solo-lb')!;
    const t = await trace({ from: 'client', to: lb.loadBalancerIP!, port: 80 });
    allConfirmed(t);
    // The lab's policy table is met where the packet meets it: on the client's node, then, past VXLAN, on solo's.
    expect(at(t).slice(0, 4)).toEqual(['route@pod default/client', 'veth@node control-plane', 'dnat@node control-plane', 'policy@node control-plane']);
    expect(at(t).slice(4, 8)).toEqual(['node-route@node control-plane', 'vxlan@node control-plane', 'policy@node worker-2', 'bridge@node worker-2']);
    expect(hop(t, 'dnat').linux).toMatch(/chain ext\.default\/solo-lb\/tcp-80 → svc\.default\/solo-lb\/tcp-80 \(ip saddr 10\.244\.0\.0\/16 goto /);
    expect(hop(t, 'dnat').observed).toBe(`conntrack: ${lb.loadBalancerIP}:80 was sent to ${ipOf('solo')}:8080`);
    expect(t.hops.map((h) => h.kind)).not.toContain('snat');
    expect(hop(t, 'deliver').observed).toBe(`connected from ${ipOf('client')}`);
  }, 30_000);

  it('a pod → its own node\'s NodePort (no endpoint there): every endpoint all the same, no masquerade', async () => {
    const t = await trace({ from: 'client', to: 'node/control-plane', port: 30081 });
    allConfirmed(t);
    expect(hop(t, 'dnat', 'node control-plane').linux).toMatch(/\(ip saddr 10\.244\.0\.0\/16 goto svc\.default\/solo-local\/tcp-80\): dnat to /);
    expect(hop(t, 'deliver').observed).toBe(`connected from ${ipOf('client')}`);
  }, 30_000);

  it('a pod → another node\'s NodePort without an endpoint: masqueraded by natOutgoing, kept local there, dropped — and the probe agrees', async () => {
    const t = await trace({ from: 'client', to: 'node/worker-1', port: 30081 });
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node control-plane', 'node-route@node control-plane', 'snat@node control-plane', 'dnat@node worker-1']);
    expect(t.hops.slice(0, -1).filter((h) => h.status !== 'confirmed').map((h) => `${h.kind}: ${h.observed}`)).toEqual([]);
    expect(t.hops.at(-1)).toMatchObject({ kind: 'dnat', status: 'dropped' });
    expect(t.hops.at(-1)!.observed).toMatch(/^eth0 of worker-1 received [1-9]\d* packets; no conntrack entry: nothing was DNATed$/);
    expect(t.outcome).toBe('dropped');
    expect(t.observed!.ok).toBe(false);
    expect(t.observed!.differences).toEqual([]);
    const cli = await execa('node', [BIN, 'trace', name, 'client', 'node/worker-1', '--port', '30081'], { reject: false });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toMatch(/predicted: dropped — Service default\/solo-local has no endpoint on node worker-1/);
  }, 30_000);

  it('… and another node\'s NodePort with an endpoint: that one, which sees the source node\'s address', async () => {
    const t = await trace({ from: 'client', to: 'node/worker-2', port: 30081 });
    allConfirmed(t);
    expect(hop(t, 'dnat').k8s).toContain("externalTrafficPolicy Local: only node worker-2's own endpoints (1)");
    expect(hop(t, 'deliver').observed).toBe(`connected from 172.16.94.10 (the probe's own ${ipOf('client')} was translated on the way)`);
  }, 30_000);

  it('a node → its own NodePort: masqueraded and sent to the endpoint on another node (kube-proxy\'s "masquerade local traffic")', async () => {
    const t = await trace({ from: 'node/worker-1', to: 'node/worker-1', port: 30081 });
    allConfirmed(t);
    // Masqueraded in nat postrouting: after the route to worker-2, before flannel.1 encapsulates it.
    expect(at(t).slice(1, 5)).toEqual(['dnat@node worker-1', 'node-route@node worker-1', 'snat@node worker-1', 'vxlan@node worker-1']);
    expect(hop(t, 'snat')).toMatchObject({ at: 'node worker-1', observed: 'conntrack: the reply goes to 10.244.1.0' });
    expect(hop(t, 'deliver').observed).toBe("connected from 10.244.1.0 (the probe's own 172.16.94.11 was translated on the way)");
  }, 30_000);

  it('hairpin: a pod reaching its own Service lands on itself, masqueraded to cni0\'s address, back out its own bridge port', async () => {
    const t = await trace({ from: 'solo', to: 'svc/solo-local' });
    allConfirmed(t);
    expect(at(t)).toEqual(['route@pod default/solo', 'veth@node worker-2', 'dnat@node worker-2', 'policy@node worker-2', 'snat@node worker-2', 'bridge@node worker-2', 'deliver@pod default/solo', 'reply@node worker-2']);
    expect(hop(t, 'dnat').observed).toMatch(new RegExp(`was sent to ${ipOf('solo').replaceAll('.', '\\.')}:8080$`));
    expect(hop(t, 'snat').observed).toBe('conntrack: the reply goes to 10.244.2.1');
    const veth = /↔ (\S+)/.exec(hop(t, 'veth').linux)![1]!;
    expect(hop(t, 'bridge').linux).toContain(`forwards to ${veth} (FDB: the pod's MAC), back out the port it came in on: hairpin mode on`);
    expect(hop(t, 'bridge').observed).toMatch(new RegExp(`^${veth} sent [1-9]\\d* packets? to the pod$`));
    expect(hop(t, 'deliver').observed).toBe(`connected from 10.244.2.1 (the probe's own ${ipOf('solo')} was translated on the way)`);
  }, 30_000);

  it('hairpin through a NetworkPolicy that isolates the pod: the policy table\'s counted @self rule let it through', async () => {
    const t = await trace({ from: 'loop', to: 'svc/loop' });
    allConfirmed(t);
    expect(hop(t, 'policy').linux).toContain('rules: worker-1: forward "a pod reaching itself through a Service (hairpin)"');
    expect(hop(t, 'policy').observed).toMatch(/^counters grew: worker-1: forward "a pod reaching itself through a Service \(hairpin\)" \+[1-9]/);
    expect(hop(t, 'deliver').observed).toBe(`connected from 10.244.1.1 (the probe's own ${ipOf('loop')} was translated on the way)`);
  }, 30_000);

  it('the gateway → a pod: its return route to the node, the node network, the bridge; the pod sees the gateway', async () => {
    const t = await trace({ from: 'gateway', to: 'web-1', port: 8080 });
    allConfirmed(t);
    // (The lab's NetworkPolicy makes every trace ask the policy table; web-1 is not isolated.)
    expect(at(t)).toEqual(['route@gateway', 'fabric@fabric', 'policy@node worker-1', 'bridge@node worker-1', 'deliver@pod default/web-1', 'reply@node worker-1']);
    expect(hop(t, 'route').observed).toMatch(new RegExp(`^ip route get: ${ipOf('web-1').replaceAll('.', '\\.')} via 172\\.16\\.94\\.11 dev eth0 src 172\\.16\\.94\\.1 `));
    expect(hop(t, 'fabric').observed).toMatch(/^eth0 of worker-1 received [1-9]/);
    expect(hop(t, 'deliver').observed).toBe('connected from 172.16.94.1');
  }, 30_000);

  it('the gateway → a NodePort: over the node network, DNAT and masquerade on the node', async () => {
    const t = await trace({ from: 'gateway', to: 'node/worker-1', port: 30080 });
    allConfirmed(t);
    expect(at(t).slice(0, 3)).toEqual(['route@gateway', 'fabric@fabric', 'dnat@node worker-1']);
  }, 30_000);

  it('the gateway → its own load-balancer address, or a cluster IP: PL3119, exit 2, saying why', async () => {
    const lb = readState(name)!.plan.services.find((s) => s.name === 'solo-lb')!;
    const own = await execa('node', [BIN, 'trace', name, 'gateway', lb.loadBalancerIP!, '--port', '80'], { reject: false });
    expect(own.exitCode).toBe(2);
    expect(own.stderr).toMatch(/PL3119 the gateway holds load-balancer address \S+ of Service default\/solo-lb itself \(on its loopback\)/);
    // What the trace says is what the kernel does: from the gateway, nothing answers there.
    const probe = await execa('nsenter', [`--net=/run/netns/${readState(name)!.plan.gateway!.netns}`, '--', 'bash', '-c', `exec 3<>/dev/tcp/${lb.loadBalancerIP}/80`], { reject: false, timeout: 5000 });
    expect(probe.exitCode).not.toBe(0);
    const vip = await execa('node', [BIN, 'trace', name, 'gateway', 'svc/web'], { reject: false });
    expect(vip.exitCode).toBe(2);
    expect(vip.stderr).toMatch(/PL3119 cluster IP 10\.96\.0\.1 of Service default\/web is reachable only inside the cluster: the gateway is outside it/);
    const ok = await execa('node', [BIN, 'trace', name, 'gateway', 'web-1', '--port', '8080', '--json'], { reject: false });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ outcome: 'delivered', observed: { ok: true, differences: [] } });
  }, 60_000);
});

describe.skipIf(!live)('live trace: hairpin on Calico (labs/calico.lab.ts as tg-cal)', () => {
  const name = 'tg-cal';
  labAroundSuite({ ...(calicoLab as LabSpec), name, checks: [], scenarios: {} });

  it('web-1 through its own Service, when kube-proxy picks web-1: routed back out its cali veth, masqueraded to the node\'s address', async () => {
    const state = readState(name)!;
    const web1 = state.plan.pods.find((p) => p.name === 'web-1')!;
    const node = state.plan.nodes.find((n) => n.name === web1.node)!;
    let t: LiveTrace | undefined;
    for (let i = 0; i < 40 && t?.endpoint?.pod !== 'web-1'; i++) t = await traceLive(realExecutor, readState(name)!, { from: 'web-1', to: 'svc/web' });
    expect(t!.endpoint!.pod).toBe('web-1');
    allConfirmed(t!);
    expect(hop(t!, 'snat').observed).toBe(`conntrack: the reply goes to ${node.ip}`);
    expect(hop(t!, 'bridge').linux).toMatch(/dev cali[0-9a-f]{11} scope link \(a \/32 route per local pod\), back out the veth it came in on$/);
    expect(hop(t!, 'deliver').observed).toBe(`connected from ${node.ip} (the probe's own ${web1.ip} was translated on the way)`);
  }, 120_000);
});
