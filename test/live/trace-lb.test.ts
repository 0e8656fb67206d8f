/**
 * Live `podlab trace` to a load-balancer address from outside (labs/ingress.lab.ts as t2-lb): the
 * address named as checks name it, `lb/<namespace>/<name>`, traced through the gateway's DNAT to a
 * node's NodePort and on to the ingress controller, by the CLI as a learner types it; and, with the
 * controller's nginx dead (a reset, which deletes the gateway's conntrack entry) or its pod deleted
 * (no endpoint), the node the gateway chose at random, seen in the counters, every time.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import ingressLab from '../../labs/ingress.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { deletePod } from '../../src/runtime/pods.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { allConfirmed, hop } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const LB = 'lb/ingress-nginx/ingress-nginx-controller';

describe.skipIf(!live)('live trace to a load-balancer address through the gateway (labs/ingress.lab.ts as t2-lb)', () => {
  const name = 't2-lb';
  labAroundSuite({ ...(ingressLab as LabSpec), name, checks: [], scenarios: {} });
  const lbIp = () => readState(name)!.plan.services.find((s) => s.name === 'ingress-nginx-controller')!.loadBalancerIP!;

  it('lb/<ns>/<name> is the controller\'s load-balancer address: traced from the internet host, every hop confirmed', async () => {
    const t = await traceLive(realExecutor, readState(name)!, { from: 'host/internet', to: LB, port: 80 });
    expect(t.daddr).toBe(lbIp());
    expect(hop(t, 'dnat', 'gateway').linux).toMatch(/^nft table ip podlab \(the gateway\), chain lb\.ingress-nginx\/ingress-nginx-controller\/http\/\S+: dnat to 172\.16\.94\.\d+:\d+ \(1 of 3 nodes, numgen random\)$/);
    allConfirmed(t);
    const cli = await execa('node', [BIN, 'trace', name, 'host/internet', LB, '--port', '80'], { reject: false });
    expect(cli.stderr).toBe('');
    expect(cli.exitCode).toBe(0);
    expect(cli.stdout.split('\n')[0]).toMatch(new RegExp(`^trace host/internet → ${LB} tcp/80 \\(first packet to ${lbIp().replaceAll('.', '\\.')}, endpoint ingress-nginx/controller `));
    // Without --port: the Service has two; which one, as for svc/…
    const which = await execa('node', [BIN, 'trace', name, 'host/internet', LB], { reject: false });
    expect(which.exitCode).toBe(2);
    expect(which.stderr).toMatch(/PL3115 Service ingress-nginx\/ingress-nginx-controller has several ports; which one\?/);
  }, 30_000);

  it('a name that is no load-balancer address: PL3110, and the hint lists the lb/ names', async () => {
    const cli = await execa('node', [BIN, 'trace', name, 'host/internet', 'lb/web', '--port', '80'], { reject: false });
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toMatch(/PL3110 Service default\/web of lab "t2-lb" has no load-balancer address: it is type ClusterIP/);
    expect(cli.stderr).toContain(`load-balancer addresses: ${LB}`);
  }, 30_000);

  it('the controller\'s nginx dead: the reset leaves the gateway no entry, and each trace follows the node the counters show it chose', async () => {
    const state = readState(name)!;
    // SIGTERM: nginx's master stops its workers too (a SIGKILL would leave them listening).
    process.kill(state.pods.controller!.containers.controller!.pid, 'SIGTERM');
    for (const end = Date.now() + 5000; (await inLab(state, 'ingress-nginx/controller', ['ss', '-Hltn'])).stdout.includes(':80 '); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() > end) throw new Error('the controller still listens on 80 5 s after its nginx was killed');
    // The gateway picks one of three nodes at random: six traces all but surely meet more than the first
    // (a trace that guessed the first node would differ, two times in three).
    for (let i = 0; i < 6; i++) {
      const t = await traceLive(realExecutor, readState(name)!, { from: 'host/internet', to: LB, port: 80 });
      expect(t.observed!.differences, JSON.stringify(t.hops, null, 1)).toEqual([]);
      expect(t.observed!.probe).toMatch(/ECONNREFUSED/);
      const gw = hop(t, 'dnat', 'gateway');
      expect(gw.status).toBe('confirmed');
      expect(gw.observed).toMatch(new RegExp(`; the gateway's pick is seen in the counters: eth0 of ${t.gateway!.node} received [1-9]\\d* and sent [1-9]\\d* packets?, and of the paths through control-plane, worker-1, worker-2 the one through ${t.gateway!.node} fits them best$`));
      expect(hop(t, 'fabric').observed).toMatch(new RegExp(`^eth0 of ${t.gateway!.node} received [1-9]`));
      expect(hop(t, 'dnat', `node ${t.gateway!.node}`).status).toBe('confirmed');
      expect(t.hops.at(-1)).toMatchObject({ kind: 'deliver', status: 'dropped' });
    }
    const cli = await execa('node', [BIN, 'trace', name, 'host/internet', LB, '--port', '80'], { reject: false });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toMatch(/^observed as predicted$/m);
    expect(cli.stdout).toMatch(/^predicted: refused — endpoint ingress-nginx\/controller refuses /m);
  }, 60_000);

  it('no endpoint at all: the trace ends at the node the gateway chose, which sent the reset', async () => {
    await deletePod(realExecutor, readState(name)!, 'controller');
    for (let i = 0; i < 4; i++) {
      const t = await traceLive(realExecutor, readState(name)!, { from: 'host/internet', to: LB, port: 80 });
      expect(t.hops.map((h) => h.kind)).toEqual(['dnat']);
      const d = t.hops[0]!;
      expect(d).toMatchObject({ at: `node ${t.gateway!.node}`, status: 'dropped' });
      expect(d.linux).toBe("chain service-endpoints-check: NodePort 30000/TCP (the gateway's DNAT of " + lbIp() + ':80) is in @no-endpoint-nodeports: reject-chain refuses it (TCP reset)');
      // The gateway's pick, from the counters; when another node's link counted stray packets in the
      // same window the trace says the counters fit both, and follows the gateway's node all the same.
      expect(d.observed).toMatch(new RegExp(`^eth0 of ${t.gateway!.node} received [1-9]\\d* packets \\((the gateway's pick, seen in the counters: it sent [1-9]\\d* back, and of the paths through control-plane, worker-1, worker-2 its own fits them best|the counters fit the paths through [-a-z0-9 ]+ alike: followed ${t.gateway!.node})\\); no conntrack entry: nothing was DNATed$`));
      expect(t.observed).toMatchObject({ ok: false, differences: [] });
    }
  }, 60_000);
});
