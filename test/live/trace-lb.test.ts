/**
 * Live `podlab trace` to a load-balancer address from outside (labs/ingress.lab.ts as t2-lb): the
 * address named as checks name it, `lb/<namespace>/<name>`, traced through the gateway's DNAT to a
 * node's NodePort and on to the ingress controller, by the CLI as a learner types it.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import ingressLab from '../../labs/ingress.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import { labAroundSuite, liveGuard } from './host.ts';
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
});
