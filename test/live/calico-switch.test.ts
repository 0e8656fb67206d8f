/**
 * Two promises of the Calico mode, held live:
 * - labs/calico.lab.ts switched to VXLAN by one line (`encapsulation: 'VXLAN'`): validation
 *   flags exactly its BGP-only checks (bgp kind, PL2156); the other checks, minus those of BGP's
 *   routing (BIRD's routes, a next hop at the peer's node address), all pass on the VXLAN data plane; no BIRD runs.
 * - BIRD never outlives its lab: with the lab's state lost (state.json gone, as after a crash
 *   that took the journal with it), `down <name>` still stops every BIRD (found by its node's
 *   namespace) and leaves nothing of the lab on the host.
 * - set-nat-outgoing on a live lab: an outside host sees the node's address, then the pod's, then
 *   the node's again.
 * Labs cal-sw-vx, cal-sw-lost, cal-sw-nat.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import calicoLab from '../../labs/calico.lab.ts';
import type { CalicoNode } from '../../src/cni/calico/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { readState, stateDir } from '../../src/runtime/state.ts';
import { runChecks } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { comparable, hostSnapshot, liveGuard, upLab, type HostSnapshot } from './host.ts';

const live = liveGuard();

/** Processes whose command line names a path of lab `lab`'s state directory (BIRD's config and socket). */
function birdsOf(lab: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.startsWith('bird ') && cmd.includes(`/run/podlab/${lab}/`)) out.push(`${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Only what belongs to the host itself, and anything of lab `lab`: other engineers' labs may come and go meanwhile. */
function hostPart(s: HostSnapshot, lab: string) {
  const c = comparable(s);
  const mine = (x: string) => x.includes(lab);
  return { links: c.links, addresses: c.addresses, routes: c.routes, rules: c.rules, nft: c.nft, labNetns: c.podlabNetns.filter(mine), labState: c.state.filter(mine), labMounts: c.stateMounts.filter(mine) };
}

/**
 * A check of BGP's routing: the bgp kind, a route installed by BIRD, a command listing BIRD's
 * routes, a route to a peer's block via the peer's node address (BGP's next hop; VXLAN's is the
 * peer's tunnel address on vxlan.calico).
 */
const readsBgp = (c: NonNullable<LabSpec['checks']>[number]) =>
  c.kind === 'bgp' ||
  (c.kind === 'route' && (c.proto === 'bird' || (c.via?.startsWith('node/') ?? false))) ||
  (c.kind === 'command' && c.command.join(' ').includes('proto bird'));

describe.skipIf(!live)('labs/calico.lab.ts switched to VXLAN by one line', () => {
  const name = 'cal-sw-vx';
  afterAll(async () => {
    await down(name);
  });

  it("validation flags exactly its bgp checks (PL2156), and every other check that does not read BIRD's routes passes over vxlan.calico", async () => {
    await down(name);
    const cni = calicoLab.cni as Extract<LabSpec['cni'], { type: 'calico' }>;
    // The one line: cni: { type: 'calico', ipPool: …, encapsulation: 'VXLAN' }.
    const switched: LabSpec = { ...calicoLab, name, cni: { ...cni, encapsulation: 'VXLAN' } };
    const { diagnostics } = validateValue(switched, 'calico.lab.ts');
    const bgpChecks = calicoLab.checks!.flatMap((c, i) => (c.kind === 'bgp' ? [i] : []));
    expect(bgpChecks.length).toBeGreaterThan(0);
    expect(diagnostics.map((d) => `${d.code} ${d.path.slice(0, 2).join('.')}`)).toEqual(bgpChecks.map((i) => `PL2156 checks.${i}`));

    const kept = calicoLab.checks!.filter((c) => !readsBgp(c));
    expect(kept.length).toBeGreaterThanOrEqual(7); // pod to pod, the Service, node to pod, a blackhole, blocks, the pod's routes
    // Where the BGP lab checks a route via the peer's node, VXLAN's goes through the tunnel.
    const checks: NonNullable<LabSpec['checks']> = [...kept, { kind: 'route', from: 'node/c1-master1', to: 'node/c1-node2', dev: 'vxlan.calico', name: "c1-node2's block through vxlan.calico" }];
    const state = await upLab({ ...switched, checks });
    const results = await runChecks(state);
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: expected ${r.expected}, seen ${r.seen}`)).toEqual([]);
    expect(results.length).toBe(checks.length);
    expect(birdsOf(name)).toEqual([]);
    const link = await execa('ip', ['-n', state.plan.nodes[0]!.netns, '-d', '-j', 'link', 'show', 'dev', 'vxlan.calico'], { reject: false });
    expect(JSON.parse(link.stdout)[0].linkinfo.info_data).toMatchObject({ id: 4096, port: 4789 });
  }, 120_000);
});

describe.skipIf(!live)('BIRD never outlives its lab', () => {
  const name = 'cal-sw-lost';
  afterAll(async () => {
    await down(name);
  });

  it("down stops every BIRD of a lab whose state is lost, and leaves nothing of the lab", async () => {
    await down(name);
    const before = await hostSnapshot();
    const spec: LabSpec = {
      name,
      cni: { type: 'calico' },
      nodes: { n1: { ip: '172.16.94.10' }, n2: { ip: '172.16.94.11' }, n3: { ip: '172.16.94.12' } },
      pods: { p1: { node: 'n1' }, p2: { node: 'n2' } },
      dns: false,
    };
    await upLab(spec);
    expect(birdsOf(name)).toHaveLength(3);
    // The journal is gone: down knows the lab by name only.
    rmSync(`${stateDir(name)}/state.json`);
    expect(existsSync(`${stateDir(name)}/state.json`)).toBe(false);
    const d = await execa('node', ['bin/podlab.js', 'down', name], { reject: false });
    expect(d.exitCode, d.stderr).toBe(0);
    expect(birdsOf(name)).toEqual([]);
    expect(hostPart(await hostSnapshot(), name)).toEqual(hostPart(before, name));
  }, 120_000);
});

describe.skipIf(!live)('set-nat-outgoing: the pool masquerades, then not, then again', () => {
  const name = 'cal-sw-nat';
  afterAll(async () => {
    await down(name);
  });

  it("an outside host sees the node address, then the pod IP, then the node address, and the node's table is back as it was", async () => {
    await down(name);
    const toInternet = (expect: { expectSource?: string; expectNoNat?: boolean }, what: string) => ({ check: { kind: 'http' as const, from: 'client', to: 'host/internet', port: 80, ...expect, name: what } });
    const spec: LabSpec = {
      name,
      cni: { type: 'calico', ipPool: { natOutgoing: true } },
      nodes: { n1: { ip: '172.16.94.10' }, n2: { ip: '172.16.94.11' } },
      pods: { client: { node: 'n2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] } },
      hosts: { internet: { network: 'external', containers: [{ name: 'web', workload: { kind: 'http-echo', port: 80 } }] } },
      dns: false,
      scenarios: {
        nat: {
          steps: [
            toInternet({ expectSource: 'nodes' }, 'natOutgoing true: the host sees a node address'),
            { action: 'set-nat-outgoing', natOutgoing: false },
            toInternet({ expectNoNat: true }, "natOutgoing false: the host sees the pod's own address"),
            { action: 'set-nat-outgoing', natOutgoing: true },
            toInternet({ expectSource: 'nodes' }, 'natOutgoing true again: a node address'),
          ],
        },
      },
    };
    const state = await upLab(spec);
    const before = (await execa('ip', ['netns', 'exec', state.plan.nodes[1]!.netns, 'nft', 'list', 'table', 'ip', 'calico'], { reject: false })).stdout;
    expect(before).toMatch(/ip saddr @masq-ipam-pools ip daddr != @all-ipam-pools masquerade/);
    const [r] = await runScenarios(name, ['nat']);
    expect(r!.steps.filter((s) => s.status !== 'pass').map((s) => `step ${s.step} ${s.name}: ${s.message}`)).toEqual([]);
    expect(r!.steps.filter((s) => s.kind === 'action').map((s) => s.message)).toEqual(['IP pools natOutgoing true → false', 'IP pools natOutgoing false → true']);
    expect(readState(name)!.plan.nodes.map((n) => (n.cni as unknown as CalicoNode).pools[0]!.natOutgoing)).toEqual([true, true]);
    const after = (await execa('ip', ['netns', 'exec', state.plan.nodes[1]!.netns, 'nft', 'list', 'table', 'ip', 'calico'], { reject: false })).stdout;
    expect(after).toBe(before);
  }, 120_000);
});
