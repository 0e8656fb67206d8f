/**
 * Live `podlab trace` to a Service's DNS name when the policies drop the DNS query itself
 * (labs/network-policy.lab.ts as t2-dnsnp, with y/deny-all isolating namespace y both ways): the
 * trace ends at its dns hop, dropped by that policy, confirmed by dig's silence and the denying
 * rule's counter, and nothing differs; a pod the policy leaves alone resolves the name as before.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import policyLab from '../../labs/network-policy.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import type { TraceRequest } from '../../src/trace/trace.ts';
import { labAroundSuite, liveGuard } from './host.ts';
import { at } from './trace-checks.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const spec = policyLab as LabSpec;

describe.skipIf(!live)('live trace of a DNS name whose query a NetworkPolicy drops (labs/network-policy.lab.ts as t2-dnsnp)', () => {
  const name = 't2-dnsnp';
  const trace = (req: TraceRequest) => traceLive(realExecutor, readState(name)!, req);
  labAroundSuite({ ...spec, name, checks: [], scenarios: {}, networkPolicies: { ...spec.networkPolicies, 'deny-all': { namespace: 'y', podSelector: {}, policyTypes: ['Ingress', 'Egress'] } } });

  it('y-a to s-z-c.z: the query to kube-dns is dropped by y/deny-all, the trace stops there, as observed', async () => {
    const t = await trace({ from: 'y-a', to: 's-z-c.z', port: 80 });
    expect(at(t)).toEqual(['dns@pod y/y-a']);
    const dns = t.hops[0]!;
    expect(dns).toMatchObject({ status: 'dropped', action: 'drop' });
    expect(dns.linux).toMatch(/^A s-z-c\.z: no answer, the query to 10\.96\.0\.10:53\/udp is dropped: nft table ip podlab-policy, hook forward: worker-1 drop; rules: worker-1: egress\.y\/y-a /);
    expect(dns.k8s).toMatch(/egress at y\/y-a denied \(isolated by y\/deny-all; no rule matched\)/);
    expect(dns.observed).toMatch(/^dig got no answer, as predicted: communications error to 10\.96\.0\.10#53: timed out.*; counters grew: worker-1: egress\.y\/y-a "y\/y-a isolated for egress by y\/deny-all: no rule allowed" \+[1-9]\d*$/);
    expect(t.outcome).toBe('dropped');
    expect(t.reason).toMatch(/^the DNS query for s-z-c\.z \(s-z-c\.z\.svc\.cluster\.local\) to Service kube-system\/kube-dns is denied by NetworkPolicy \(dropped: the client hears nothing\): egress at y\/y-a denied \(isolated by y\/deny-all; no rule matched\)/);
    expect(t.observed).toMatchObject({ ok: false, differences: [] });
    const cli = await execa('node', [BIN, 'trace', name, 'y-a', 's-z-c.z', '--port', '80'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/^ 1 ✗ dns +pod y\/y-a$/m);
    expect(cli.stdout).not.toMatch(/^ 2 /m);
    expect(cli.stdout).toMatch(/^predicted: dropped — the DNS query for s-z-c\.z /m);
    expect(cli.stdout).toMatch(/^observed as predicted$/m);
  }, 30_000);

  it('x-a, which no policy isolates for egress, resolves the name and reaches the Service', async () => {
    const t = await trace({ from: 'x-a', to: 's-z-c.z', port: 80 });
    expect(t.hops[0]).toMatchObject({ kind: 'dns', status: 'confirmed', observed: `dig answered ${t.daddr}` });
    expect(t.observed).toMatchObject({ ok: true, differences: [] });
  }, 30_000);
});
