/**
 * Live `podlab trace` to a Service's DNS name from pods whose resolv.conf is not ClusterFirst's
 * (labs/dns.lab.ts as ht-dns): a dnsPolicy Default pod asks its node's resolver, the upstream host,
 * which knows nothing of cluster.local, so the name does not resolve and the trace ends at its dns
 * hop, confirmed by dig at that server; a dnsPolicy None pod whose dnsConfig names kube-dns resolves
 * it there and is delivered, every hop as observed.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import dnsLab from '../../labs/dns.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { labAroundSuite, liveGuard } from './host.ts';
import { at } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)("live trace of a DNS name asks the pod's own resolver (labs/dns.lab.ts as ht-dns)", () => {
  const name = 'ht-dns';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  labAroundSuite({ ...(dnsLab as LabSpec), name, checks: [], scenarios: {} });

  it('node-resolver (dnsPolicy Default) → web.default: asked 203.0.113.53, the upstream host, which gives no address: unresolved, as observed', async () => {
    const t = await trace({ from: 'node-resolver', to: 'web.default' });
    expect(at(t)).toEqual(['dns@pod default/node-resolver']);
    expect(t.hops[0]).toMatchObject({ status: 'dropped', linux: 'A web.default: no address from 203.0.113.53' });
    expect(t.hops[0]!.k8s).toMatch(/^dnsPolicy Default: pod default\/node-resolver's resolv\.conf is its node's/);
    expect(t.hops[0]!.observed).toMatch(/^dig got no address, as predicted/);
    expect(t.observed).toMatchObject({ ok: false, differences: [] });
    expect(t.observed!.probe).toMatch(/^dig web\.default\.svc\.cluster\.local A @203\.0\.113\.53: no answer/);
    const cli = await execa('node', [BIN, 'trace', name, 'node-resolver', 'web.default'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/^predicted: unresolved — web\.default does not resolve: dnsPolicy Default/m);
    expect(cli.stdout).toMatch(/^observed as predicted$/m);
  }, 60_000);

  it('custom (dnsPolicy None, dnsConfig 10.96.0.10) → web.default: kube-dns answers, delivered, every hop as observed', async () => {
    const t = await trace({ from: 'custom', to: 'web.default' });
    expect(t.dnsServer).toBe('10.96.0.10');
    expect(t.hops[0]).toMatchObject({ kind: 'dns', status: 'confirmed' });
    expect(t.hops[0]!.k8s).toMatch(/\(dnsPolicy None: pod default\/custom's resolv\.conf is its dnsConfig alone, and names 10\.96\.0\.10, the cluster DNS Service\)$/);
    expect(t.outcome).toBe('delivered');
    expect(t.observed).toMatchObject({ ok: true, differences: [] });
  }, 60_000);
});
