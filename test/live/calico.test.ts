/**
 * Live: the calico CNI mode on real namespaces. BGP: pods across nodes reach each other without
 * NAT over routes that real BIRD daemons (one per node namespace) exchange in a full iBGP mesh;
 * the routes are `proto bird`, the sessions Established (asked through each lab's BIRD socket);
 * pods sit behind 169.254.1.1 on cali veths; a node whose BIRD stops has its block withdrawn from
 * its peers. VXLAN: the same pods over vxlan.calico (VNI 4096, UDP 4789) with no BIRD at all.
 * `down` stops the daemons by pid and leaves the host as it was.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { hostVethName } from '../../src/cni/calico/veth.ts';
import { STEPS } from '../../src/runtime/up.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { birdc, calicoLab, expectCalicoNodeSide, expectCalicoPod, expectDownStopsBirds, hostPart, stopBirdUntilWithdrawn, until } from './calico-lab.ts';
import { hostSnapshot, type HostSnapshot, httpFrom, inLab, labAroundSuite, liveGuard, writeLabFile } from './host.ts';

const live = liveGuard();

const spec = (name: string, encapsulation: 'None' | 'VXLAN'): LabSpec => calicoLab(name, { type: 'calico', encapsulation });

// Blocks are claimed in node order: cp 10.244.0.0/26, w1 10.244.0.64/26, w2 10.244.0.128/26.
// BGP: a = .64, b = .65, c = .128. VXLAN: each node's tunnel address is its block's first, so a = .65, b = .66, c = .129.

describe.skipIf(!live)('live calico (BGP with BIRD)', () => {
  const name = 'calico-lt-bgp';
  let before: HostSnapshot;
  const state = labAroundSuite(spec(name, 'None'), { beforeUp: async () => { before = await hostSnapshot(); } }).lab;

  it('every BGP session of the mesh comes up Established (birdc show protocols, through the lab socket)', async () => {
    for (const node of ['cp', 'w1', 'w2']) {
      const established = await until(async () => {
        const out = (await birdc(name, node, 'show', 'protocols')).stdout;
        return (out.match(/^Mesh_\S+\s+BGP\s+.*Established/gm) ?? []).length === 2 ? out : undefined;
      });
      expect(established, `node ${node}`).toBeDefined();
    }
  });

  it('BIRD runs as an unprivileged uid of its own with only its CAP_NET_* capabilities (its configuration is written from the lab)', () => {
    const daemons = Object.values(readState(name)!.daemons ?? {});
    expect(daemons).toHaveLength(3);
    for (const d of daemons) {
      const status = readFileSync(`/proc/${d.pid}/status`, 'utf8');
      const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(status)!.slice(1).map(Number);
      expect(uids).toEqual([d.uid, d.uid, d.uid, d.uid]);
      expect(d.uid).toBeGreaterThan(1_000_000_000);
      // CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_NET_ADMIN, CAP_NET_RAW (bits 10-13), and nothing else: no file access as root.
      expect(/^CapEff:\s+([0-9a-f]+)$/m.exec(status)![1]).toBe('0000000000003c00');
    }
  });

  it("a node's table has the peers' blocks proto bird via their node IPs, and a blackhole for its own block", async () => {
    const routes = await until(async () => {
      const out = (await inLab(state(), 'node/cp', ['ip', 'route', 'show', 'proto', 'bird'])).stdout;
      return out.includes('10.244.0.64/26 via 172.16.94.11 dev eth0') && out.includes('10.244.0.128/26 via 172.16.94.12 dev eth0') ? out : undefined;
    });
    expect(routes).toBeDefined();
    expect(routes).toMatch(/^blackhole 10\.244\.0\.0\/26 /m);
    // Calico's aggregation: the pods' /32 routes stay on their node, only blocks are advertised.
    expect((await inLab(state(), 'node/cp', ['ip', 'route', 'show', '10.244.0.64'])).stdout.trim()).toBe('');
    expect((await birdc(name, 'w1', 'show', 'route', 'export', 'Mesh_172_16_94_10')).stdout).not.toMatch(/10\.244\.0\.6[45]\/32/);
  });

  it('the pod: eth0 holds its IP as a /32, 169.254.1.1 scope link, default via it', async () => {
    await expectCalicoPod(state(), 'a', { v4: '10.244.0.64' });
  });

  it('the node side: cali<hash> veth, MAC ee:ee:ee:ee:ee:ee, no address, proxy ARP, a /32 route to the pod', async () => {
    await expectCalicoNodeSide(state(), 'w1', 'a', { v4: '10.244.0.64' });
  });

  it('pods across nodes and on one node reach each other without NAT', async () => {
    expect(await httpFrom(state(), 'a', 'http://10.244.0.128:8080/')).toMatchObject({ pod: 'c', client: '10.244.0.64' });
    expect(await httpFrom(state(), 'c', 'http://10.244.0.65:8080/')).toMatchObject({ pod: 'b', client: '10.244.0.128' });
    expect(await httpFrom(state(), 'a', 'http://10.244.0.65:8080/')).toMatchObject({ pod: 'b', client: '10.244.0.64' });
  });

  it('a re-created pod (CNI DEL, then ADD) gets a new address of its block and the same cali veth, reachable across nodes', async () => {
    const r = await recreatePod(realExecutor, readState(name)!, 'b');
    expect(r.oldIp).toBe('10.244.0.65');
    expect(r.ip).not.toBe('10.244.0.65');
    expect(r.ip).toMatch(/^10\.244\.0\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])$/);
    const veth = hostVethName('default', 'b');
    expect((await inLab(state(), 'node/w1', ['ip', 'route', 'show', 'dev', veth])).stdout.trim()).toBe(`${r.ip} scope link`);
    expect((await inLab(state(), 'node/w1', ['ip', 'route', 'show', '10.244.0.65'])).stdout.trim()).toBe('');
    expect(await httpFrom(readState(name)!, 'c', `http://${r.ip}:8080/`)).toMatchObject({ pod: 'b', client: '10.244.0.128' });
  });

  it("a node whose BIRD stops has its block withdrawn from its peers' tables", async () => {
    const gone = await stopBirdUntilWithdrawn(state(), name, 'w2', 'cp', '-4', '10.244.0.128/26');
    expect(gone, "cp still routes w2's block").toBeDefined();
    expect(gone).toContain('10.244.0.64/26 via 172.16.94.11 dev eth0');
  });

  it('down stops every BIRD by its recorded pid and leaves the host as it was', async () => {
    await expectDownStopsBirds(name, before);
    expect((await down(name)).existed).toBe(false);
  });
});

describe.skipIf(!live)('live calico (VXLAN)', () => {
  const name = 'calico-lt-vxlan';
  let before: HostSnapshot;
  const state = labAroundSuite(spec(name, 'VXLAN'), { beforeUp: async () => { before = await hostSnapshot(); } }).lab;

  it('vxlan.calico: VNI 4096, UDP 4789, the tunnel address; routes to peer blocks via their tunnel addresses; no BIRD', async () => {
    const link = (await inLab(state(), 'node/w1', ['ip', '-d', 'link', 'show', 'dev', 'vxlan.calico'])).stdout;
    expect(link).toMatch(/mtu 1450[\s\S]*vxlan id 4096 local 172\.16\.94\.11 dev eth0 .*dstport 4789/);
    expect((await inLab(state(), 'node/w1', ['ip', '-o', 'address', 'show', 'dev', 'vxlan.calico'])).stdout).toContain('inet 10.244.0.64/32');
    const routes = (await inLab(state(), 'node/w1', ['ip', 'route'])).stdout;
    expect(routes).toContain('10.244.0.128/26 via 10.244.0.128 dev vxlan.calico onlink');
    expect(routes).toMatch(/^blackhole 10\.244\.0\.64\/26/m);
    expect(readState(name)!.daemons ?? {}).toEqual({});
  });

  it('pods across nodes reach each other without NAT, through the tunnel', async () => {
    expect(await httpFrom(state(), 'a', 'http://10.244.0.129:8080/')).toMatchObject({ pod: 'c', client: '10.244.0.65' });
    expect(await httpFrom(state(), 'node/cp', 'http://10.244.0.66:8080/')).toMatchObject({ pod: 'b' });
  });

  it('down leaves the host as it was', async () => {
    await down(name);
    expect(hostPart(await hostSnapshot(), name)).toEqual(hostPart(before, name));
  });
});

/** Processes whose command line names a path of lab `lab`'s state directory (BIRD's config and socket). */
function processesOfLab(lab: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(`/run/podlab/${lab}/`)) out.push(`${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

describe.skipIf(!live)('live calico: up killed after every step, then down', () => {
  const name = 'calico-lt-crash';
  const dir = 'test/live/.tmp/calico';

  afterAll(async () => {
    await down(name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no BIRD and nothing of the lab on the host, whichever step up died after', async () => {
    await down(name);
    const before = await hostSnapshot();
    const file = writeLabFile(dir, name, spec(name, 'None'));
    for (let k = 0; k <= STEPS.length; k++) {
      const r = await execa('node', ['bin/podlab.js', 'up', file, '--crash-after-step', String(k)], { reject: false });
      if (k < STEPS.length) expect(r.signal, `up should have been killed after step ${k}`).toBe('SIGKILL');
      else expect(r.exitCode, r.stderr).toBe(0);
      const d = await execa('node', ['bin/podlab.js', 'down', name], { reject: false });
      expect(d.exitCode, d.stderr).toBe(0);
      expect(processesOfLab(name), `after a crash at step ${k} (${STEPS[k] ?? 'none'})`).toEqual([]);
      expect(hostPart(await hostSnapshot(), name), `after a crash at step ${k}`).toEqual(hostPart(before, name));
    }
  }, 180_000);
});
