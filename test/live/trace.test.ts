/**
 * Live `podlab trace`: labs/services.lab.ts (flannel) as see-svc, labs/kubenet.lab.ts as
 * see-kube and labs/calico.lab.ts (BGP, BIRD) as see-cal. Each trace is predicted from the live view, then one probe runs between two reads of
 * the path's link and policy counters and conntrack is read: every hop must be confirmed by what
 * the kernel counted (the veth, the VXLAN device, the bridge port towards the pod), by conntrack
 * (the DNAT's endpoint, the SNAT address) or by a live read (route, DNS answer).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import calicoLab from '../../labs/calico.lab.ts';
import kubenetLab from '../../labs/kubenet.lab.ts';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runCheck } from '../../src/check/run.ts';
import { down } from '../../src/runtime/down.ts';
import { deletePod } from '../../src/runtime/pods.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive, type LiveTrace } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { bgpConverged } from './calico-lab.ts';
import { liveGuard, upLab } from './host.ts';
import { allConfirmed, kinds } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

const statuses = (t: LiveTrace) => Object.fromEntries(t.hops.map((h) => [h.kind, h.status]));

describe.skipIf(!live)('live trace, flannel (labs/services.lab.ts as see-svc)', () => {
  const name = 'see-svc';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  beforeAll(async () => {
    await down(name);
    await upLab({
      ...(servicesLab as LabSpec),
      name,
      scenarios: {},
      // Two checks that must fail, for the learner's message: a port nothing listens on, a Service left without endpoints.
      checks: [
        { kind: 'tcp', from: 'client', to: 'web-2', port: 8081, timeoutMs: 5000, name: 'wrong port' },
        { kind: 'http', from: 'client', to: 'svc/solo-local', timeoutMs: 5000, name: 'no endpoints' },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await down(name);
  }, 60_000);

  it('pod → pod on the same node: route, veth, bridge port, delivery, conntrack; no node route', async () => {
    const t = await trace({ from: 'web-1', to: 'web-2', port: 8080 });
    expect(kinds(t)).toEqual(['route', 'veth', 'bridge', 'deliver', 'reply']);
    allConfirmed(t);
    // On the same bridge: on-link, no gateway.
    expect(t.hops[0]!.observed).toMatch(new RegExp(`${t.dest.ip} dev eth0 src`));
    expect(t.hops[1]!.linux).toMatch(/↔ veth[0-9a-f]+ on worker-1/);
  });

  it('pod → pod across nodes over VXLAN: the flannel route, VNI and outer addresses, counted on flannel.1', async () => {
    const t = await trace({ from: 'client', to: 'web-3', port: 8080 });
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'vxlan', 'bridge', 'deliver', 'reply']);
    allConfirmed(t);
    const vx = t.hops.find((h) => h.kind === 'vxlan')!;
    expect(vx.linux).toMatch(/VXLAN VNI 1: outer 172\.16\.94\.10 → 172\.16\.94\.12 UDP 8472/);
    expect(vx.observed).toMatch(/flannel\.1 sent [1-9]\d* packet/);
    expect(t.hops.find((h) => h.kind === 'node-route')!.observed).toMatch(/dev flannel\.1/);
  });

  it('pod → ClusterIP by DNS name: the DNS answer and its Corefile block, the DNAT to the endpoint conntrack shows', async () => {
    const t = await trace({ from: 'client', to: 'web.default.svc.cluster.local' });
    expect(kinds(t).slice(0, 4)).toEqual(['dns', 'route', 'veth', 'dnat']);
    allConfirmed(t);
    expect(t.hops[0]!.k8s).toMatch(/server block "\.:53", plugin "kubernetes cluster\.local/);
    expect(t.hops[0]!.observed).toContain(t.daddr);
    const dnat = t.hops.find((h) => h.kind === 'dnat')!;
    expect(dnat.linux).toContain(`chain svc.default/web/`);
    expect(dnat.observed).toContain(`was sent to ${t.endpoint!.ip}:${t.endpoint!.port}`);
    expect(t.hops.at(-1)!.observed).toMatch(/conntrack: tcp/);
  });

  it('outside → NodePort: the gateway and node network, DNAT on the node, masquerade to the node\'s address', async () => {
    const t = await trace({ from: 'host/internet', to: 'node/worker-1', port: 30080 });
    expect(kinds(t)).toContain('snat');
    allConfirmed(t);
    expect(t.hops.find((h) => h.kind === 'dnat')!.linux).toMatch(/chain ext\.default\/web-nodeport\//);
    expect(t.hops.find((h) => h.kind === 'snat')!.observed).toMatch(/the reply goes to (10\.244|172\.16\.94)\./);
  });

  it('a failing check says why, stops retrying once the cause is settled, and its try: line is a command a learner knows', async () => {
    const state = readState(name)!;
    const wrong = await runCheck(state, state.plan.checks[0]!);
    expect(wrong.status).toBe('fail');
    expect(wrong.seen).toMatch(/^10\.244\.\d+\.\d+:8081\/tcp refused: pod web-2 listens on TCP 8080 \(/);
    expect(wrong.ms, 'settled: no waiting out the 5 s timeout').toBeLessThan(2500);
    expect(wrong.command).toBe(`podlab trace ${name} client web-2 --port 8081 --proto tcp`);
    await deletePod(realExecutor, state, 'solo');
    const none = await runCheck(readState(name)!, state.plan.checks[1]!);
    expect(none.status).toBe('fail');
    expect(none.seen).toMatch(/^Service default\/solo-local has no ready endpoints \(/);
    expect(none.ms).toBeLessThan(2500);
    expect(none.command).toMatch(new RegExp(`^podlab exec ${name} client -- curl -sS -m 2 http://10\\.96\\.\\d+\\.\\d+:80/$`));
  }, 30_000);

  it('bad input: an unknown pod is coded, naming what exists; a port nothing listens on is traced to the refusal', async () => {
    await expect(trace({ from: 'nobody', to: 'web-1', port: 8080 })).rejects.toMatchObject({ code: 'PL3110' });
    // The try: line of the failing check above: the path to web-1, then the reset at its deliver hop.
    const t = await trace({ from: 'client', to: 'web-1', port: 8081 });
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'vxlan', 'bridge', 'deliver']);
    expect(t.hops.slice(0, -1).filter((h) => h.status !== 'confirmed').map((h) => `${h.kind}: ${h.observed}`)).toEqual([]);
    expect(t.hops.at(-1)).toMatchObject({ kind: 'deliver', status: 'dropped', linux: `eth0 ${t.dest.ip}:8081/tcp: nothing listens on 8081/tcp: the kernel answers with a TCP reset`, k8s: 'pod default/web-1 listens on TCP 8080 (ss); no container declares 8081/TCP' });
    expect(t.hops.at(-1)!.observed).toMatch(/^refused at once, as predicted: connect ECONNREFUSED /);
    expect(t.observed).toMatchObject({ ok: false, differences: [] });
    expect(t.refused).toMatchObject({ port: 8081, listening: [8080], declared: false });
    const cli = await execa('node', [BIN, 'trace', name, 'client', 'web-1', '--port', '8081'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stderr).not.toMatch(/PL3112/);
    expect(cli.stdout).toMatch(/^predicted: refused — 10\.244\.\d+\.\d+:8081\/tcp refused \(a TCP reset\): pod default\/web-1 listens on TCP 8080$/m);
    const ok = await execa('node', [BIN, 'trace', name, 'client', 'web-3', '--port', '8080', '--json'], { reject: false });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ outcome: 'delivered', observed: { ok: true, differences: [] } });
  }, 30_000);
});

describe.skipIf(!live)('live trace, kubenet (labs/kubenet.lab.ts as see-kube)', () => {
  const name = 'see-kube';
  beforeAll(async () => {
    await down(name);
    await upLab({ ...(kubenetLab as LabSpec), name });
  }, 120_000);
  afterAll(async () => {
    await down(name);
  }, 60_000);

  it('pod → pod across nodes: a plain route via the peer node, the node network, no tunnel', async () => {
    const t = await traceLive(realExecutor, readState(name)!, { from: 'web-a', to: 'web-b', port: 8080 });
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'fabric', 'bridge', 'deliver', 'reply']);
    allConfirmed(t);
    const w2 = readState(name)!.plan.nodes.find((n) => n.name === 'worker-2')!;
    expect(t.hops.find((h) => h.kind === 'node-route')!.observed).toContain(`via ${w2.ip} dev `);
    expect(statuses(t)['fabric']).toBe('confirmed');
  });
});

describe.skipIf(!live)('live trace, Calico BGP (labs/calico.lab.ts as see-cal)', () => {
  const name = 'see-cal';
  beforeAll(async () => {
    await down(name);
    await upLab({ ...(calicoLab as LabSpec), name, checks: [], scenarios: {} });
  }, 180_000);
  afterAll(async () => {
    await down(name);
  }, 60_000);

  it('pod → pod across nodes: 169.254.1.1, a cali veth, the block BIRD learnt from the peer, a /32 to the pod', async () => {
    // BIRD's sessions come up after `up`: wait (bounded) until the routes are learnt.
    await bgpConverged(name);
    const t = await traceLive(realExecutor, readState(name)!, { from: 'client', to: 'web-2', port: 8080 });
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'fabric', 'bridge', 'deliver', 'reply']);
    allConfirmed(t);
    const hop = (k: string) => t.hops.find((h) => h.kind === k)!;
    expect(hop('route').linux).toMatch(/via 169\.254\.1\.1 dev eth0/);
    expect(hop('veth').linux).toMatch(/cali[0-9a-f]{11}/);
    expect(hop('node-route').linux).toMatch(/ via 172\.16\.94\.12 dev \S+ proto bird$/);
    expect(hop('node-route').observed).toMatch(/^ip route get: 10\.244\.\d+\.\d+ via 172\.16\.94\.12 dev /);
    expect(hop('node-route').k8s).toMatch(/learnt by BIRD over iBGP from 172\.16\.94\.12/);
    expect(hop('bridge').linux).toMatch(/dev cali[0-9a-f]{11} scope link/);
  }, 90_000);
});
