/**
 * Live `podlab trace` over flannel's VXLAN after a learner breaks the path by hand
 * (labs/pod-networking.lab.ts as sn-vxlan): deletes one of the two entries that carry a packet over
 * the tunnel (the peer's FDB entry, then its VTEP's neighbour entry), where the vxlan hop reads the
 * device's entries and says which one is missing, and how flannel writes it; sets the destination
 * pod's veth down, then flannel.1 itself, where the hop that needs the device says it is down; adds
 * a drop rule in a table of its own, which the hop where the packet stopped names.
 */
import { describe, expect, it } from 'vitest';
import podLab from '../../labs/pod-networking.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { hop } from './trace-checks.ts';

const live = liveGuard();

describe.skipIf(!live)("live trace over VXLAN with the peer's FDB or neighbour entry deleted (labs/pod-networking.lab.ts as sn-vxlan)", () => {
  const name = 'sn-vxlan';
  const { lab } = labAroundSuite({ ...(podLab as LabSpec), name, scenarios: {}, checks: [] });
  const trace = () => traceLive(realExecutor, readState(name)!, { from: 'client', to: 'web-2', port: 8080 });
  const sh = async (argv: string[]) => {
    const r = await inLab(lab(), 'node/worker-1', argv);
    expect(r.exitCode, r.stderr).toBe(0);
  };
  /** worker-2's VTEP MAC, as the trace predicts it. */
  const peerMac = async () => /inner to (\S+)/.exec(hop(await trace(), 'vxlan').linux)![1]!;

  it('as built: the vxlan hop is confirmed', async () => {
    const t = await trace();
    expect(hop(t, 'vxlan')).toMatchObject({ status: 'confirmed', observed: expect.stringMatching(/^flannel\.1 sent \d+ packets?$/) });
    expect(t.observed!.differences).toEqual([]);
  }, 60_000);

  it("worker-2's FDB entry deleted on worker-1: the vxlan hop names it", async () => {
    const mac = await peerMac();
    await sh(['bridge', 'fdb', 'del', mac, 'dev', 'flannel.1', 'dst', '172.16.94.12', 'self']);
    const t = await trace();
    expect(t.observed!.ok).toBe(false);
    const v = hop(t, 'vxlan');
    expect(v.status).toBe('differs');
    expect(v.observed).toContain(`flannel.1 sent 0 packets: no FDB entry for ${mac} on flannel.1: the kernel does not know which node to send the VXLAN packet to, so it is not sent; the CNI writes it: bridge fdb append ${mac} dev flannel.1 dst 172.16.94.12`);
    await sh(['bridge', 'fdb', 'append', mac, 'dev', 'flannel.1', 'dst', '172.16.94.12']);
    expect((await trace()).observed!.differences).toEqual([]);
  }, 60_000);

  it("worker-2's VTEP neighbour entry deleted on worker-1: the vxlan hop names it", async () => {
    const mac = await peerMac();
    await sh(['ip', 'neigh', 'del', '10.244.2.0', 'dev', 'flannel.1']);
    const t = await trace();
    expect(t.observed!.ok).toBe(false);
    const v = hop(t, 'vxlan');
    expect(v.status).toBe('differs');
    expect(v.observed).toMatch(/^flannel\.1 sent 0 packets: no neighbour entry gives 10\.244\.2\.0 \(the peer's VTEP\) a MAC on flannel\.1[ ,(]/);
    expect(v.observed).toContain(`the CNI writes it permanent: ip neigh replace 10.244.2.0 lladdr ${mac} dev flannel.1 nud permanent`);
    await sh(['ip', 'neigh', 'replace', '10.244.2.0', 'lladdr', mac, 'dev', 'flannel.1', 'nud', 'permanent']);
    expect((await trace()).observed!.differences).toEqual([]);
  }, 60_000);

  it("web-2's veth set down on worker-2: the bridge hop says it is down", async () => {
    const veth = /to (\S+) \(FDB/.exec(hop(await trace(), 'bridge').linux)![1]!;
    const r = await inLab(lab(), 'node/worker-2', ['ip', 'link', 'set', veth, 'down']);
    expect(r.exitCode, r.stderr).toBe(0);
    const t = await trace();
    expect(t.observed!.ok).toBe(false);
    expect(hop(t, 'bridge')).toMatchObject({ status: 'differs', observed: expect.stringContaining(`${veth} is down (ip link: no UP flag): ip link set ${veth} up`) });
    const up = await inLab(lab(), 'node/worker-2', ['ip', 'link', 'set', veth, 'up']);
    expect(up.exitCode, up.stderr).toBe(0);
  }, 60_000);

  it("a drop rule in a table of the learner's own on worker-2: the hop where the packet stopped names that table", async () => {
    const nft = (args: string[]) => inLab(lab(), 'node/worker-2', ['nft', ...args]);
    for (const args of [['add', 'table', 'inet', 'learner'], ['add', 'chain', 'inet', 'learner', 'block', '{ type filter hook forward priority 0; policy accept; }'], ['add', 'rule', 'inet', 'learner', 'block', 'tcp', 'dport', '8080', 'drop']]) {
      const r = await nft(args);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const t = await trace();
    expect(t.observed!.ok).toBe(false);
    // Where the packet stopped: the bridge hop, or the pod when a multicast of another pod's, flooded by cni0, grew web-2's veth counter meanwhile.
    const stop = t.hops.find((h) => h.status === 'differs')!;
    expect(['bridge', 'deliver']).toContain(stop.kind);
    expect(stop.observed).toContain('node worker-2 has nftables table podlab did not write, inet learner: a rule there may drop it (nft list table inet learner)');
    const r = await nft(['delete', 'table', 'inet', 'learner']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await trace()).observed!.differences).toEqual([]);
  }, 60_000);

  // Last: the kernel removes the routes through flannel.1 when it goes down, and they do not come back.
  it("flannel.1 set down on worker-1: the node-route hop says so, and that its routes went with it; nothing after it was reached", async () => {
    await sh(['ip', 'link', 'set', 'flannel.1', 'down']);
    const t = await trace();
    const route = hop(t, 'node-route');
    expect(route.status).toBe('differs');
    expect(route.observed).toContain('flannel.1 is down (ip link: no UP flag), and the kernel removed the routes through it when it went down');
    const after = t.hops.slice(t.hops.indexOf(route) + 1).filter((h) => h.kind !== 'reply');
    expect(after.map((h) => `${h.kind}:${h.status}`)).toEqual(after.map((h) => `${h.kind}:unreached`));
  }, 60_000);
});
