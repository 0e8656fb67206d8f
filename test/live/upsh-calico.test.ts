/**
 * Live: the rendered up.sh of the Calico lab (labs/calico.lab.ts as tg-upsh-cal, BGP) starts BIRD
 * as `podlab up` does, without root (SECURITY.md boundary 12): run by hand from a folder `render
 * -o` wrote outside generated/, every node's BIRD runs as the uid the script gives it (-u/-g, of
 * podlab's container range, none of root's) with only CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST,
 * CAP_NET_ADMIN and CAP_NET_RAW in effect, its full iBGP mesh comes up Established, the pods
 * reach each other over the routes BIRD learnt, and down.sh leaves no namespace and no BIRD.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PODLAB_UIDS } from '../../src/constants.ts';
import { labNetnsOnHost, liveGuard } from './host.ts';
import { renderedLabAroundSuite } from './rendered-lab.ts';

const live = liveGuard();
const LAB = 'tg-upsh-cal';
const STATE = `/run/podlab/${LAB}`;
const NODES = ['c1-master1', 'c1-node1', 'c1-node2', 'c1-node3'];

/** The BIRD process in a node's namespace (found by its namespace, never by name alone). */
async function birdIn(node: string): Promise<number | undefined> {
  const pids = (await execa('ip', ['netns', 'pids', `podlab-${LAB}.node.${node}`], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
  return pids.find((pid) => existsSync(`/proc/${pid}/comm`) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'bird');
}

async function until<T>(f: () => Promise<T | undefined>, ms = 30_000): Promise<T | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const v = await f();
    if (v !== undefined) return v;
  }
  return undefined;
}

describe.skipIf(!live)('the rendered up.sh of a Calico lab starts BIRD without root', () => {
  // labs/calico.lab.ts under a name of this test's own, rendered and brought up by its up.sh.
  const lab = renderedLabAroundSuite('calico', LAB, 'upsh-calico', { runUp: true });

  it('every node\'s BIRD runs as the uid up.sh gives it, of the container range, with only its four CAP_NET_* capabilities', async () => {
    const given = new Map([...lab.upSh().matchAll(/^ip netns exec podlab-\S+\.node\.(\S+) bird .* -u (\d+) -g (\d+) /gm)].map((m) => [m[1]!, [Number(m[2]), Number(m[3])]]));
    expect([...given.keys()]).toEqual(NODES);
    for (const node of NODES) {
      const pid = await until(() => birdIn(node), 10_000);
      expect(pid, `BIRD of ${node} (log: ${existsSync(`${STATE}/${node}_bird.log`) ? readFileSync(`${STATE}/${node}_bird.log`, 'utf8') : 'none'})`).toBeDefined();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const [uid, gid] = given.get(node)!;
      expect(uid).toBeGreaterThanOrEqual(PODLAB_UIDS.container.first);
      expect(/^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(status)!.slice(1).map(Number)).toEqual([uid, uid, uid, uid]);
      expect(/^Gid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(status)!.slice(1).map(Number)).toEqual([gid, gid, gid, gid]);
      // CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_NET_ADMIN, CAP_NET_RAW (bits 10-13), nothing else.
      expect(/^CapEff:\s+([0-9a-f]+)$/m.exec(status)![1]).toBe('0000000000003c00');
      // It read its configuration as that uid: the copy in the state directory.
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(`${STATE}/bird/${node}.conf`);
    }
  }, 60_000);

  it('the full iBGP mesh comes up Established, and a pod reaches a pod on another node over the routes BIRD learnt', async () => {
    for (const node of NODES) {
      const out = await until(async () => {
        const r = await execa('birdc', ['-s', `${STATE}/bird-${node}.ctl`, 'show', 'protocols'], { reject: false });
        return (r.stdout.match(/^Mesh_\S+\s+BGP\s+.*Established/gm) ?? []).length === NODES.length - 1 ? r.stdout : undefined;
      });
      expect(out, `BGP sessions of ${node}`).toBeDefined();
    }
    const routes = (await execa('ip', ['-n', `podlab-${LAB}.node.c1-node1`, 'route', 'show', 'proto', 'bird'])).stdout;
    expect(routes).toMatch(/10\.244\.0\.128\/26 via 172\.16\.94\.12 dev eth0/);
    const web2 = /^ip netns exec podlab-\S+\.node\.c1-node2 env CNI_COMMAND=ADD .*IP=(10\.244\.\d+\.\d+);K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-2'/m.exec(lab.upSh())![1]!;
    const curl = await until(async () => {
      const r = await execa('ip', ['netns', 'exec', `podlab-${LAB}.pod.default.client`, 'curl', '-s', '-m', '2', `http://${web2}:8080/`], { reject: false });
      return r.stdout.includes('"pod":"web-2"') ? r.stdout : undefined;
    }, 15_000);
    expect(curl).toBeDefined();
  }, 90_000);

  it('down.sh stops every BIRD and removes the lab', async () => {
    const pids = await Promise.all(NODES.map(birdIn));
    const dn = await lab.runDown();
    expect(dn.exitCode, dn.stderr).toBe(0);
    expect(await labNetnsOnHost(LAB)).toEqual([]);
    expect(existsSync(STATE)).toBe(false);
    const alive = await until(async () => (pids.every((p) => !p || !existsSync(`/proc/${p}`)) ? true : undefined), 5000);
    expect(alive, `BIRD pids ${pids.join(', ')} still running`).toBe(true);
  }, 60_000);
});
