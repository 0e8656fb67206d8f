/**
 * Live `podlab trace` of connections that are not delivered, as a learner meets them: a port
 * nothing listens on is traced to the refusal at its `deliver` hop (labs/services.lab.ts as
 * tr2-svc), confirmed by the probe's ECONNREFUSED and the counters on the way; a failing tcp check's
 * try: line is exactly such a trace; a NetworkPolicy is met where the packet meets it, the crossing
 * (VXLAN) between the source's egress and the destination's ingress, each confirmed by counters
 * (labs/network-policy.lab.ts as tr2-np); a translation without a conntrack entry says why and is
 * confirmed otherwise; a lab whose policies reject is told from one whose policies drop (tr2-rej).
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import policyLab from '../../labs/network-policy.lab.ts';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runCheck } from '../../src/check/run.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { applyPolicy, deletePolicy } from '../../src/runtime/policies.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive, type LiveTrace } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { inLab, labAroundSuite, liveGuard, twoPodLab } from './host.ts';
import { at, hop } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
/**
 * Every hop before the last confirmed (but those named in `unconfirmed`: predicted, not
 * contradicted); the last is where it ends, as predicted; the probe did not get through; nothing differs.
 */
function endsAsPredicted(t: LiveTrace, last: { kind: string; at?: string }, unconfirmed: string[] = []): void {
  expect(t.hops.slice(0, -1).filter((h) => h.status !== 'confirmed' && !(h.status === 'predicted' && unconfirmed.includes(`${h.kind}@${h.at}`))).map((h) => `${h.kind}@${h.at}: ${h.observed}`), JSON.stringify(t.hops, null, 1)).toEqual([]);
  expect(t.hops.at(-1)).toMatchObject({ ...last, status: 'dropped' });
  expect(t.outcome).toBe('dropped');
  expect(t.observed!.ok).toBe(false);
  expect(t.observed!.differences).toEqual([]);
}

describe.skipIf(!live)('live trace of a refusal (labs/services.lab.ts as tr2-svc)', () => {
  const name = 'tr2-svc';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  labAroundSuite({
    ...(servicesLab as LabSpec),
    name,
    scenarios: {},
    checks: [
      { kind: 'tcp', from: 'client', to: 'web-2', port: 8081, timeoutMs: 5000, name: 'wrong port' },
      { kind: 'tcp', from: 'client', to: 'svc/solo-local', timeoutMs: 1500, name: 'every endpoint refuses' },
    ],
  });

  it('a pod port nothing listens on: the path to the pod across VXLAN, then the reset at its deliver hop', async () => {
    const t = await trace({ from: 'client', to: 'web-1', port: 9999 });
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node control-plane', 'node-route@node control-plane', 'vxlan@node control-plane', 'bridge@node worker-1', 'deliver@pod default/web-1']);
    endsAsPredicted(t, { kind: 'deliver', at: 'pod default/web-1' });
    const d = t.hops.at(-1)!;
    expect(d.linux).toBe(`eth0 ${t.dest.ip}:9999/tcp: nothing listens on 9999/tcp: the kernel answers with a TCP reset`);
    expect(d.k8s).toBe('pod default/web-1 listens on TCP 8080 (ss); no container declares 9999/TCP');
    expect(d.observed).toBe(`refused at once, as predicted: connect ECONNREFUSED ${t.dest.ip}:9999`);
    // The SYN was counted all the way: out of flannel.1, and out of the bridge port towards the pod.
    expect(hop(t, 'vxlan').observed).toMatch(/^flannel\.1 sent [1-9]/);
    expect(hop(t, 'bridge').observed).toMatch(/^veth[0-9a-f]+ sent [1-9]\d* packets? to the pod$/);
    expect(t.refused).toMatchObject({ port: 9999, protocol: 'tcp', listening: [8080], declared: false });
    const cli = await execa('node', [BIN, 'trace', name, 'client', 'web-1', '--port', '9999'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/^ 6 ✗ deliver +pod default\/web-1$/m);
    expect(cli.stdout).toMatch(/^predicted: refused — 10\.244\.1\.\d+:9999\/tcp refused \(a TCP reset\): pod default\/web-1 listens on TCP 8080$/m);
    expect(cli.stdout).toMatch(/^observed as predicted$/m);
  }, 30_000);

  it('UDP: ICMP port unreachable; a node port and a hostNetwork pod\'s: refused in the node\'s namespace', async () => {
    const udp = await trace({ from: 'client', to: 'web-1', port: 53, protocol: 'udp' });
    endsAsPredicted(udp, { kind: 'deliver' });
    expect(udp.hops.at(-1)!.linux).toMatch(/nothing listens on 53\/udp: the kernel answers with ICMP port unreachable$/);
    expect(udp.hops.at(-1)!.observed).toMatch(/^refused at once, as predicted: \S+ ECONNREFUSED /);
    const node = await trace({ from: 'node/worker-1', to: 'node/worker-2', port: 9999 });
    endsAsPredicted(node, { kind: 'deliver', at: 'node/worker-2' });
    // agent, a hostNetwork pod on worker-2, listens there on 9090.
    expect(node.hops.at(-1)!.k8s).toMatch(/^node worker-2 listens on TCP (\d+, )*9090(, \d+)* \(ss\)$/);
    // natOutgoing masquerades client to worker-2's address; the reset deletes that entry too, and nothing else counts a masquerade.
    const agent = await trace({ from: 'client', to: 'agent', port: 9999 });
    endsAsPredicted(agent, { kind: 'deliver', at: 'agent' }, ['snat@node control-plane']);
    expect(hop(agent, 'snat').observed).toBe('no conntrack entry, as expected: a TCP reset answered the first packet, and conntrack deletes such an entry at once; the masquerade is predicted, not contradicted (nothing counts it)');
    expect(agent.hops.at(-1)!.see).toBe(`podlab exec ${name} default/agent -- ss -ltnup`);
  }, 30_000);

  it('a failing tcp check says why, and its try: line is a trace that follows the refusal (exit 1, not PL3112)', async () => {
    const state = readState(name)!;
    const r = await runCheck(state, state.plan.checks[0]!);
    expect(r.status).toBe('fail');
    expect(r.seen).toMatch(/^10\.244\.1\.\d+:8081\/tcp refused: pod web-2 listens on TCP 8080 \(/);
    expect(r.settled).toBe(true);
    expect(r.command).toBe(`podlab trace ${name} client web-2 --port 8081 --proto tcp`);
    const argv = r.command!.split(' ').slice(1);
    const cli = await execa('node', [BIN, ...argv], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/✗ deliver +pod default\/web-2\n +linux: eth0 10\.244\.1\.\d+:8081\/tcp: nothing listens on 8081\/tcp: the kernel answers with a TCP reset/);
    expect(cli.stdout).toMatch(/^observed as predicted$/m);
  }, 30_000);

  it('a Service every endpoint of which refuses: traced through the DNAT to the refusal; the reset leaves no entry, the endpoint\'s veth confirms the DNAT', async () => {
    const state = readState(name)!;
    const echo = state.pods.solo!.containers['http-echo']!;
    process.kill(echo.pid, 'SIGKILL');
    for (const end = Date.now() + 5000; (await inLab(state, 'solo', ['ss', '-Hltn'])).stdout.includes(':8080'); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() > end) throw new Error('solo still listens on 8080 5 s after its http-echo was killed');
    const t = await trace({ from: 'client', to: 'svc/solo-local' });
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node control-plane', 'dnat@node control-plane', 'node-route@node control-plane', 'vxlan@node control-plane', 'bridge@node worker-2', 'deliver@pod default/solo']);
    endsAsPredicted(t, { kind: 'deliver', at: 'pod default/solo' });
    expect(hop(t, 'dnat').k8s).toMatch(/; its only endpoint refuses the port \(default\/solo: nothing listens\)$/);
    expect(hop(t, 'dnat').observed).toMatch(/^no conntrack entry, as expected: a TCP reset answered the first packet, and conntrack deletes such an entry at once; the DNAT to 10\.244\.2\.\d+:8080 is confirmed by veth[0-9a-f]+, which passed [1-9]\d* packets? to pod default\/solo$/);
    expect(t.reason).toMatch(/^endpoint default\/solo refuses 10\.244\.2\.\d+:8080\/tcp: it listens on TCP no port at all; container http-echo of pod default\/solo is not running \(its process \d+ has exited, and nothing restarts it: the lab runs no control loops\) \(the only endpoint of Service default\/solo-local\)$/);
    const cli = await execa('node', [BIN, 'trace', name, 'client', 'svc/solo-local'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stderr).not.toMatch(/PL3112/);
    expect(cli.stdout).toMatch(/^predicted: refused — endpoint default\/solo refuses /m);
    // The check names why: the server's process is gone, and nothing in this lab restarts it (settled).
    const r = await runCheck(readState(name)!, state.plan.checks[1]!);
    expect(r).toMatchObject({ status: 'fail', settled: true });
    expect(r.seen).toMatch(/^container http-echo of pod default\/solo is not running \(its process \d+ has exited, and nothing restarts it: the lab runs no control loops\) \(/);
  }, 60_000);
});

describe.skipIf(!live)('live trace of a NetworkPolicy drop where the packet meets it (labs/network-policy.lab.ts as tr2-np)', () => {
  const name = 'tr2-np';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  labAroundSuite({ ...(policyLab as LabSpec), name, checks: [], scenarios: {} });

  it('an ingress drop on another node: let out on worker-2, over VXLAN (counted), dropped on worker-1 (its drop rule counted)', async () => {
    const t = await trace({ from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(at(t)).toEqual(['route@pod x/x-b', 'veth@node worker-2', 'dnat@node worker-2', 'policy@node worker-2', 'node-route@node worker-2', 'vxlan@node worker-2', 'policy@node worker-1']);
    endsAsPredicted(t, { kind: 'policy', at: 'node worker-1' });
    expect(hop(t, 'policy', 'node worker-2').observed).toBe('no policy rule counted it, as predicted: nothing isolates it here, and the table lets it through uncounted');
    expect(hop(t, 'vxlan').observed).toMatch(/^flannel\.1 sent [1-9]/);
    expect(hop(t, 'node-route').observed).toMatch(/^ip route get: 10\.244\.0\.\d+ via 10\.244\.0\.0 dev flannel\.1 /);
    expect(t.hops.at(-1)!.observed).toMatch(/^counters grew: worker-1: ingress\.x\/x-a "x\/x-a isolated for ingress by x\/default-deny-ingress: no rule allowed" \+[1-9]\d*$/);
    // The first packet left worker-2, so worker-2's conntrack holds the DNAT.
    expect(hop(t, 'dnat').observed).toMatch(/^conntrack: 10\.96\.\d+\.\d+:80 was sent to 10\.244\.0\.\d+:80$/);
    expect(t.observed!.probe).toMatch(/^ETIMEDOUT /);
    const cli = await execa('node', [BIN, 'trace', name, 'x-b', 'svc/x/s-x-a', '--port', '80'], { reject: false });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toMatch(/^ 7 ✗ policy +node worker-1$/m);
    expect(cli.stdout).toMatch(/^predicted: dropped — denied by NetworkPolicy \(dropped: the client hears nothing\)/m);
  }, 30_000);

  it('an egress drop ends before the crossing, at the drop rule of the source node', async () => {
    await applyPolicy(realExecutor, readState(name)!, normalizePolicy('b-no-egress', { namespace: 'x', podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Egress'] }));
    try {
      const t = await trace({ from: 'x-b', to: 'svc/y/s-y-a', port: 80 });
      expect(at(t)).toEqual(['route@pod x/x-b', 'veth@node worker-2', 'dnat@node worker-2', 'policy@node worker-2']);
      endsAsPredicted(t, { kind: 'policy', at: 'node worker-2' }, ['dnat@node worker-2']);
      expect(t.hops.at(-1)!.observed).toMatch(/^counters grew: worker-2: egress\.x\/x-b "[^"]*" \+[1-9]/);
      // Dropped on the node that DNATs it, before conntrack confirms an entry; the egress chain is the source's: predicted, not contradicted.
      expect(hop(t, 'dnat').observed).toMatch(/^no conntrack entry, as expected: the first packet was dropped on node worker-2 by NetworkPolicy \(hook forward\) before conntrack confirms an entry, so it lists none; the DNAT to 10\.244\.0\.\d+:80 is predicted, not contradicted \(kube-proxy's chains count nothing\)$/);
    } finally {
      await deletePolicy(realExecutor, readState(name)!, 'x', 'b-no-egress');
    }
  }, 30_000);

  it('a drop on the node that DNATs it: no conntrack entry, as expected; the endpoint\'s ingress chain confirms the DNAT', async () => {
    // z-a and x-a are both on worker-1.
    const t = await trace({ from: 'z-a', to: 'svc/x/s-x-a', port: 80 });
    expect(at(t)).toEqual(['route@pod z/z-a', 'veth@node worker-1', 'dnat@node worker-1', 'policy@node worker-1']);
    endsAsPredicted(t, { kind: 'policy', at: 'node worker-1' });
    const dnat = hop(t, 'dnat');
    expect(dnat.status).toBe('confirmed');
    expect(dnat.observed).toMatch(/^no conntrack entry, as expected: the first packet was dropped on node worker-1 by NetworkPolicy \(hook forward\) before conntrack confirms an entry, so it lists none; the DNAT to 10\.244\.0\.\d+:80 is confirmed by chain ingress\.x\/x-a of the policy table, which only a packet to 10\.244\.0\.\d+ enters: its rule counted \+[1-9]\d*$/);
    expect(dnat.observed).not.toMatch(/^no conntrack entry$/);
  }, 30_000);

  it('allowed across nodes: both policy hops confirmed, delivered', async () => {
    const t = await trace({ from: 'x-a', to: 'svc/y/s-y-b', port: 80 });
    expect(t.hops.map((h) => h.kind)).toEqual(['route', 'veth', 'dnat', 'policy', 'node-route', 'vxlan', 'policy', 'bridge', 'deliver', 'reply']);
    expect(t.hops.filter((h) => h.status !== 'confirmed').map((h) => `${h.kind}: ${h.observed}`)).toEqual([]);
    expect(t.observed).toMatchObject({ ok: true, differences: [] });
  }, 30_000);
});

describe.skipIf(!live)('live trace in a lab whose policies reject (tr2-rej)', () => {
  const name = 'tr2-rej';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  const spec = twoPodLab(name, { checks: [] });
  labAroundSuite({ ...spec, policyDenyAction: 'Reject', pods: { ...spec.pods, b: { ...spec.pods!.b!, labels: { app: 'b' } } }, networkPolicies: { 'b-isolated': { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'] } } });

  it('rejected at the destination node after the crossing: refused at once, told from a drop and from a closed port', async () => {
    const t = await trace({ from: 'a', to: 'b', port: 8080 });
    expect(at(t)).toEqual(['route@pod default/a', 'veth@node w1', 'policy@node w1', 'node-route@node w1', 'vxlan@node w1', 'policy@node w2']);
    endsAsPredicted(t, { kind: 'policy', at: 'node w2' });
    expect(t.hops.at(-1)!.linux).toMatch(/hook forward: w2 reject; rules: /);
    expect(t.observed!.probe).toMatch(/ECONNREFUSED/);
    expect(t.refused).toBeUndefined();
    const cli = await execa('node', [BIN, 'trace', name, 'a', 'b', '--port', '8080'], { reject: false });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toMatch(/^predicted: rejected — denied by NetworkPolicy \(rejected: ICMP port unreachable\)/m);
  }, 30_000);
});
