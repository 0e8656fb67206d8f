/**
 * Live `podlab trace` where the lab was broken by hand, as a learner breaks it (labs/services.lab.ts
 * as h2-stops, no control loops): a CoreDNS whose server process was killed is not "a ready
 * endpoint", and a name it cannot answer ends the trace at the dns hop; a name asked with CoreDNS
 * deleted is unresolved; a kube-proxy table flushed on the client's node is where the DNAT differs,
 * with the empty chains named; a pod CIDR route deleted on a node is where the packet stopped, and
 * the hops after it were not reached.
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { at, hop } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)('live trace of a lab broken by hand (labs/services.lab.ts as h2-stops)', () => {
  const name = 'h2-stops';
  const { lab } = labAroundSuite({ ...(servicesLab as LabSpec), name, scenarios: {}, checks: [] });
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);

  it("CoreDNS's server killed: its endpoint is not called ready, and web.default ends at the dns hop without a connection", async () => {
    // The container's process (the recorded pid) and the server it started.
    const pid = lab().pods.coredns!.containers.coredns!.pid;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    for (const p of [...children, pid]) process.kill(p, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const dns = await trace({ from: 'client', to: 'svc/kube-system/kube-dns', port: 53, protocol: 'udp' });
    const deliver = hop(dns, 'deliver');
    expect(deliver.k8s).toMatch(/^pod kube-system\/coredns, an endpoint of Service kube-system\/kube-dns that is not ready, listens on UDP no port at all \(ss\): container coredns of pod kube-system\/coredns is not running \(its process \d+ has exited, and nothing restarts it: the lab runs no control loops\)$/);
    expect(dns.reason).toMatch(/container coredns of pod kube-system\/coredns is not running/);

    const t = await trace({ from: 'client', to: 'web.default' });
    expect(at(t)).toEqual(['dns@pod default/client']);
    expect(t.hops[0]!.status).toBe('differs');
    expect(t.hops[0]!.observed).toMatch(/^dig got no answer: .*; container coredns of pod kube-system\/coredns is not running/);
    expect(t.observed!.ok).toBe(false);
    expect(t.observed!.probe).toMatch(/^dig web\.default\.svc\.cluster\.local A @10\.96\.0\.10: no answer/);
  }, 60_000);

  it('CoreDNS deleted: web.default is predicted unresolved, kube-proxy refuses the query, observed as predicted', async () => {
    const del = await execa('node', [BIN, 'pod', 'delete', name, 'kube-system/coredns'], { reject: false });
    expect(del.exitCode, del.stderr).toBe(0);
    const t = await trace({ from: 'client', to: 'web.default' });
    expect(at(t)).toEqual(['dns@pod default/client']);
    expect(t.hops[0]).toMatchObject({ status: 'dropped' });
    expect(t.reason).toBe('web.default does not resolve: Service kube-system/kube-dns has no ready endpoints, so kube-proxy refuses the query (ICMP port unreachable)');
    expect(t.observed!.differences).toEqual([]);
    const cli = await execa('node', [BIN, 'trace', name, 'client', 'web.default'], { reject: false });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).not.toMatch(/^probe: connected/m);
    expect(cli.stdout).toMatch(/^predicted: unresolved — /m);
  }, 60_000);

  it("kube-proxy's table flushed on the client's node: the dnat hop differs and names the empty chains; after it nothing was reached", async () => {
    const r = await inLab(lab(), 'node/control-plane', ['nft', 'flush', 'table', 'ip', 'podlab']);
    expect(r.exitCode, r.stderr).toBe(0);
    const t = await trace({ from: 'client', to: 'svc/web' });
    const dnat = hop(t, 'dnat');
    expect(dnat.status).toBe('differs');
    expect(dnat.observed).toMatch(/^no conntrack entry: the packet was not translated \(kube-proxy's rules for Service default\/web are missing on node control-plane: in table ip podlab, chains nat-prerouting, services, svc\.default\/web\/http hold no rule\), so it went on to 10\.96\.0\.1:80 as it was sent(; the probe: .*)?$/);
    const after = t.hops.slice(t.hops.indexOf(dnat) + 1);
    expect(after.map((h) => `${h.kind}:${h.status}`)).toEqual(after.map((h) => `${h.kind}:unreached`));
    expect(t.observed!.differences.filter((d) => !d.startsWith('predicted delivered'))).toHaveLength(1);
  }, 60_000);

  it('a pod CIDR route deleted on worker-1 (and its default route): the node-route hop carries ENETUNREACH, the pod was not reached', async () => {
    for (const argv of [['ip', 'route', 'del', '10.244.2.0/24'], ['ip', 'route', 'del', 'default']]) {
      const r = await inLab(lab(), 'node/worker-1', argv);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const t = await trace({ from: 'web-1', to: 'web-3', port: 8080 });
    const route = hop(t, 'node-route', 'node worker-1');
    expect(route.status).toBe('differs');
    expect(route.observed).toMatch(/; the probe: connect ENETUNREACH /);
    expect(hop(t, 'deliver')).toMatchObject({ status: 'unreached', observed: 'not reached' });
    expect(hop(t, 'vxlan')).toMatchObject({ status: 'unreached' });
    expect(t.observed!.differences.some((d) => d.startsWith('deliver'))).toBe(false);
  }, 60_000);
});
