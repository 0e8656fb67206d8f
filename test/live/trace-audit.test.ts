/**
 * Live `podlab trace`, the audit's cases on labs/services.lab.ts as ft-trace-audit (flannel): a
 * load-balancer address from outside (the gateway's DNAT to a NodePort, then the node's), a pod to
 * a node address (natOutgoing's masquerade on the pod's node), what the destination saw after SNAT,
 * a Service one of whose endpoints is dead (its http-echo killed), a failed node, and the
 * questions a trace must ask (which port). Each hop must be confirmed by the kernel's counters,
 * conntrack at each place that translated the probe, or a live read.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { failNode, restoreNode } from '../../src/runtime/faults.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive, type LiveTrace } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { allConfirmed, at, hop } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)('live trace, the audit (labs/services.lab.ts as ft-trace-audit)', () => {
  const name = 'ft-trace-audit';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  labAroundSuite({ ...(servicesLab as LabSpec), name, checks: [], scenarios: {} });

  it('a load-balancer address from outside: the gateway DNATs to a node\'s NodePort, that node DNATs to the pod and masquerades', async () => {
    const state = readState(name)!;
    const lb = state.plan.services.find((s) => s.name === 'web-lb')!;
    for (let i = 0; i < 3; i++) {
      const t = await trace({ from: 'host/internet', to: lb.loadBalancerIP!, port: 80 });
      allConfirmed(t);
      expect(at(t).slice(0, 3)).toEqual(['route@host internet', 'dnat@gateway', 'fabric@fabric']);
      const gw = hop(t, 'dnat', 'gateway');
      expect(gw.linux).toMatch(new RegExp(`chain lb\\.default/web-lb/tcp-80/\\S+: dnat to 172\\.16\\.94\\.\\d+:${lb.ports[0]!.nodePort}`));
      expect(gw.observed).toContain(`was sent to ${t.facts.lbNode}`);
      const nodeDnat = t.hops.find((h) => h.kind === 'dnat' && h.at.startsWith('node '))!;
      expect(nodeDnat.linux).toMatch(/chain ext\.default\/web-lb\/tcp-80: dnat to 10\.244\./);
      expect(hop(t, 'snat').at).toBe(nodeDnat.at);
    }
  }, 60_000);

  it('a pod to a node address is masqueraded on its node, and the deliver hop says what the destination saw', async () => {
    const agent = await trace({ from: 'client', to: 'agent' });
    allConfirmed(agent);
    expect(at(agent)).toContain('snat@node control-plane');
    expect(hop(agent, 'snat').linux).toMatch(/becomes 172\.16\.94\.10 /);
    expect(hop(agent, 'deliver').observed).toMatch(/^connected from 172\.16\.94\.10 \(the probe's own 10\.244\.0\.\d+ was translated on the way\)$/);
    const np = await trace({ from: 'client', to: 'node/worker-1', port: 30080 });
    allConfirmed(np);
    expect(at(np).slice(2, 5)).toEqual(['node-route@node control-plane', 'snat@node control-plane', 'dnat@node worker-1']);
    // Then, after the route to the endpoint's node when it is another, kube-proxy's masquerade on worker-1.
    expect(at(np)).toContain('snat@node worker-1');
  }, 60_000);

  it('outside → NodePort: the deliver hop shows the address after SNAT, not the probe\'s own', async () => {
    const t = await trace({ from: 'host/internet', to: 'node/worker-1', port: 30080 });
    allConfirmed(t);
    const becomes = / becomes (\S+)/.exec(hop(t, 'snat').linux)![1]!;
    expect(becomes).not.toBe('203.0.113.10');
    expect(hop(t, 'deliver').observed).toBe(`connected from ${becomes} (the probe's own 203.0.113.10 was translated on the way)`);
  }, 30_000);

  it('no --port to a node: PL3115 which port, exit 2 (no probe with port "undefined")', async () => {
    const r = await execa('node', [BIN, 'trace', name, 'client', 'node/worker-1'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/PL3115 which port of node worker-1\?/);
    expect(r.stderr + r.stdout).not.toContain('undefined');
  }, 30_000);

  it('a Service with a dead endpoint: a trace of the endpoint the probe reached; the dead one is a drop at delivery, never PL3112', async () => {
    const state = readState(name)!;
    const echo = state.pods['web-1']!.containers['http-echo']!;
    process.kill(echo.pid, 'SIGKILL');
    // Until its socket is gone (the kernel closes it as the process dies).
    for (const end = Date.now() + 5000; (await inLab(state, 'web-1', ['ss', '-Hltn'])).stdout.includes(':8080'); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() > end) throw new Error('web-1 still listens on 8080 5 s after its http-echo was killed');
    const seen = new Set<string>();
    for (let i = 0; i < 40 && !(seen.has('web-1') && seen.size > 1); i++) {
      const t = await trace({ from: 'client', to: 'svc/web' });
      seen.add(t.endpoint!.pod);
      expect(hop(t, 'dnat').k8s).toContain('1 of 3 endpoints refuse the port (default/web-1: nothing listens)');
      expect(t.observed!.differences, JSON.stringify(t.hops, null, 1)).toEqual([]);
      if (t.endpoint!.pod === 'web-1') {
        expect(t.outcome).toBe('dropped');
        expect(t.observed!.ok).toBe(false);
        expect(t.hops.at(-1)).toMatchObject({ kind: 'deliver', status: 'dropped' });
        // Its server was killed: the lab's status says so, in a failed check's words.
        expect(t.reason).toMatch(/^endpoint default\/web-1 refuses 10\.244\.1\.\d+:8080\/tcp: it listens on TCP no port at all; container http-echo of pod default\/web-1 is not running \(its process \d+ has exited, and nothing restarts it: the lab runs no control loops\) \(1 of 3 endpoints/);
        expect(hop(t, 'deliver').k8s).toMatch(/^pod default\/web-1, an endpoint of Service default\/web that is not ready, /);
      } else allConfirmed(t);
    }
    expect([...seen]).toContain('web-1');
    expect(seen.size).toBeGreaterThan(1);
    const cli = await execa('node', [BIN, 'trace', name, 'client', 'svc/web'], { reject: false });
    expect(cli.exitCode, cli.stderr).not.toBe(2);
    expect(cli.stderr).not.toMatch(/PL3112|--port/);
  }, 120_000);

  it('a failed node: the drop is predicted at its link, and the trace says the node is failed', async () => {
    const state = readState(name)!;
    await failNode(realExecutor, state, 'worker-2');
    try {
      const t = await trace({ from: 'node/worker-1', to: 'node/worker-2', protocol: 'icmp' });
      expect(t.outcome).toBe('dropped');
      expect(t.reason).toBe('node worker-2 is failed (podlab node fail): its link to the node network is down');
      expect(t.hops.at(-1)).toMatchObject({ kind: 'fabric', at: 'node worker-2', status: 'dropped' });
      expect(t.observed!.ok).toBe(false);
      expect(t.observed!.differences).toEqual([]);
    } finally {
      await restoreNode(realExecutor, readState(name)!, 'worker-2');
    }
    // Restored, it is delivered again once the link is back (its first echo may meet a neighbour entry still failed: a moment).
    let back = await trace({ from: 'node/worker-1', to: 'node/worker-2', protocol: 'icmp' });
    for (let i = 0; i < 5 && !back.observed?.ok; i++) back = await trace({ from: 'node/worker-1', to: 'node/worker-2', protocol: 'icmp' });
    expect(back.outcome).toBe('delivered');
    expect(back.observed!.ok).toBe(true);
  }, 60_000);
});
