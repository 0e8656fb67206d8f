/**
 * Live: what the network upstream of a Calico cluster (the lab's gateway) knows of the pods. A
 * pool with natOutgoing sends its pods out as their nodes, so the gateway has no route to its
 * blocks: the nodes reach each other's pods only by the routes BIRD exchanges, and a node whose
 * BIRD stops is cut off (there is no way around through the gateway, as there is none in a
 * cluster whose router does not peer). A pool without natOutgoing sends its pods out as
 * themselves, so the gateway routes its blocks back; set live, the gateway's routes follow.
 */
import { describe, expect, it } from 'vitest';
import { PROBE_BIN } from '../../src/runtime/artifacts.ts';
import { setNatOutgoing } from '../../src/runtime/calico-nat.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import { calicoLab, stopBirdUntilWithdrawn, until } from './calico-lab.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();

// Blocks in node order: cp 10.244.0.0/26, w1 10.244.0.64/26, w2 10.244.0.128/26; a = .64 (w1), c = .128 (w2).
describe.skipIf(!live)('live calico: the gateway routes only the blocks of pools that do not masquerade', () => {
  const name = 'cal-upstream';
  const { lab } = labAroundSuite(
    calicoLab(name, { type: 'calico', ipPool: { natOutgoing: true } }, { hosts: { internet: { network: 'external', containers: [{ name: 'web', workload: { kind: 'http-echo', port: 80 } }] } } }),
  );
  const gatewayRoutes = async () => (await inLab(lab(), 'gateway', ['ip', 'route', 'show'])).stdout;
  const connect = async (from: string, host: string) => {
    const r = await inLab(readState(name)!, from, [PROBE_BIN, 'tcp-connect', '--host', host, '--port', '8080', '--timeout-ms', '1000']);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ok: boolean; error?: string };
  };

  it('natOutgoing true: the gateway has no route to any block', async () => {
    expect(await gatewayRoutes()).not.toContain('10.244.');
  });

  it('natOutgoing set false live: the gateway routes each block via its node; set true again: the routes go', async () => {
    await setNatOutgoing(realExecutor, readState(name)!, false);
    const routes = await gatewayRoutes();
    expect(routes).toContain('10.244.0.0/26 via 172.16.94.10 dev eth0');
    expect(routes).toContain('10.244.0.64/26 via 172.16.94.11 dev eth0');
    expect(routes).toContain('10.244.0.128/26 via 172.16.94.12 dev eth0');
    expect(readState(name)!.plan.gateway!.routes.map((r) => r.dst)).toEqual(['10.244.0.0/26', '10.244.0.64/26', '10.244.0.128/26']);
    await setNatOutgoing(realExecutor, readState(name)!, true);
    expect(await gatewayRoutes()).not.toContain('10.244.');
    expect(readState(name)!.plan.gateway!.routes).toEqual([]);
  }, 60_000);

  it("a node whose BIRD stops is cut off: its peers' packets to its pods meet the gateway, which has no route", async () => {
    // BIRD's sessions come up in their own second after `up`: wait for w1 to learn w2's block.
    const learned = await until(async () => ((await inLab(lab(), 'node/w1', ['ip', 'route', 'show', 'proto', 'bird'])).stdout.includes('10.244.0.128/26 via 172.16.94.12') ? true : undefined));
    expect(learned).toBe(true);
    expect(await connect('a', '10.244.0.128')).toMatchObject({ ok: true });
    const gone = await stopBirdUntilWithdrawn(lab(), name, 'w2', 'w1', '-4', '10.244.0.128/26');
    expect(gone, "w1 still routes w2's block").toBeDefined();
    // w1 now sends it by its default route, to the gateway, which answers "unreachable".
    expect((await inLab(lab(), 'node/w1', ['ip', 'route', 'get', '10.244.0.128'])).stdout).toContain('via 172.16.94.1 ');
    const r = await connect('a', '10.244.0.128');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/);
    // The trace predicted the route BIRD installs; the node's table no longer has it, and it says so.
    const t = await traceLive(realExecutor, readState(name)!, { from: 'a', to: 'c', port: 8080 });
    const hop = t.hops.find((h) => h.kind === 'node-route')!;
    expect(hop.linux).toMatch(/^10\.244\.0\.128\/26 via 172\.16\.94\.12 dev eth0 proto bird/);
    expect(hop).toMatchObject({ status: 'differs' });
    expect(hop.observed).toMatch(/^ip route get: 10\.244\.0\.128 via 172\.16\.94\.1 dev eth0 .*\(not via 172\.16\.94\.12: the route predicted is not in the node's table\)(; the probe: .*)?$/);
  }, 60_000);
});
