/**
 * Live: real namespaces, real CNI plugins, real packets. For both CNI modes: pod-to-pod on one
 * node and across nodes without NAT, node-to-pod, containers sharing localhost and hostname, a
 * container restart keeping the pod IP, and `down` leaving the host exactly as it was.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { restartContainer } from '../../src/runtime/sandbox.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { isAlive } from '../../src/runtime/procs.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { runChecks } from '../../src/check/run.ts';
import { comparable, hostSnapshot, type HostSnapshot, httpFrom, inLab, labAroundSuite, liveGuard, upLab } from './host.ts';

const live = liveGuard();

function spec(name: string, cni: 'flannel' | 'kubenet'): LabSpec {
  return {
    name,
    cni,
    nodes: { cp: { role: 'control-plane' }, w1: {}, w2: {} },
    pods: {
      a: { node: 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo' } }, { name: 'side', command: ['sleep', 'infinity'] }] },
      b: { node: 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      c: { node: 'w2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    },
    checks: [
      { kind: 'http', from: 'a', to: 'c', port: 8080, expectPod: 'c', expectNoNat: true },
      { kind: 'ping', from: 'node/cp', to: 'b' },
    ],
  };
}

describe.skipIf(!live).each(['flannel', 'kubenet'] as const)('live pod network (%s)', (cni) => {
  const name = `lt-${cni}`;
  let before: HostSnapshot;
  const state = labAroundSuite(spec(name, cni), { beforeUp: async () => { before = await hostSnapshot(); } }).lab;

  it('same-node pod-to-pod: the server sees the client pod IP (no NAT)', async () => {
    const r = await httpFrom(state(), 'a', 'http://10.244.1.3:8080/');
    expect(r).toMatchObject({ pod: 'b', podIP: '10.244.1.3', client: '10.244.1.2' });
  });

  it('cross-node pod-to-pod: the server sees the client pod IP (no NAT)', async () => {
    const r = await httpFrom(state(), 'a', 'http://10.244.2.2:8080/');
    expect(r).toMatchObject({ pod: 'c', podIP: '10.244.2.2', client: '10.244.1.2' });
  });

  it('node agents reach pods on their node and, via the pod routes, on others', async () => {
    expect((await httpFrom(state(), 'node/w2', 'http://10.244.2.2:8080/')).pod).toBe('c');
    expect((await inLab(state(), 'node/cp', ['ping', '-c', '1', '-W', '2', '10.244.1.3'])).exitCode).toBe(0);
  });

  it(`${cni === 'flannel' ? 'encapsulates in VXLAN (VNI 1, port 8472, MTU 1450)' : 'routes pod CIDRs via node IPs, no tunnel'}`, async () => {
    const link = (await inLab(state(), 'node/w1', ['ip', '-d', 'link', 'show'])).stdout;
    const routes = (await inLab(state(), 'node/w1', ['ip', 'route'])).stdout;
    if (cni === 'flannel') {
      expect(link).toMatch(/flannel\.1: .*mtu 1450[\s\S]*vxlan id 1 local 172\.16\.94\.11 dev eth0 .*dstport 8472/);
      expect(routes).toContain('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    } else {
      expect(link).not.toContain('vxlan');
      expect(routes).toContain('10.244.2.0/24 via 172.16.94.12 dev eth0');
    }
  });

  it('containers of a pod share its IP, localhost and hostname (the pause sandbox)', async () => {
    const side = state().pods.a!.containers.side!;
    const r = await execa('nsenter', ['-t', String(side.pid), '--net', '--uts', '--', 'node', new URL('../../assets/workload.mjs', import.meta.url).pathname, 'http-get', '--url', 'http://127.0.0.1:8080/'], { reject: false });
    const body = JSON.parse(JSON.parse(r.stdout).body);
    expect(body).toMatchObject({ pod: 'a', client: '127.0.0.1', hostname: 'a' });
    expect((await execa('nsenter', ['-t', String(side.pid), '--uts', '--', 'hostname'])).stdout).toBe('a');
  });

  it('a restarted container gets a new process but keeps the pod IP', async () => {
    const old = state().pods.a!.containers.web!;
    await restartContainer(realExecutor, state(), 'a', 'web');
    const fresh = readState(name)!.pods.a!.containers.web!;
    expect(fresh.pid).not.toBe(old.pid);
    expect(isAlive(old)).toBe(false);
    let reply;
    for (let i = 0; i < 20 && !reply; i++) reply = await httpFrom(state(), 'b', 'http://10.244.1.2:8080/').catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)));
    expect(reply).toMatchObject({ pod: 'a', podIP: '10.244.1.2' });
  });

  it("runs the lab's own checks", async () => {
    const results = await runChecks(readState(name)!);
    expect(results.map((r) => [r.name, r.status])).toEqual(results.map((r) => [r.name, 'pass']));
  });

  it('IPAM leases live under the lab state; down removes every trace and leaves the host as it was', async () => {
    expect(readdirSync(`/run/podlab/${name}/ipam/w1/podlab-${name}`)).toEqual(expect.arrayContaining(['10.244.1.2', '10.244.1.3']));
    await down(name);
    expect(existsSync(`/run/podlab/${name}`)).toBe(false);
    const after = await hostSnapshot();
    expect(comparable(after)).toEqual(comparable(before));
    expect((await down(name)).existed).toBe(false);
  });
});

describe.skipIf(!live)("live pod network over a node network that drops pod traffic (nodeNetwork.podTraffic 'drop')", () => {
  const labs = { kubenet: 'lt-drop-kubenet', flannel: 'lt-drop-flannel' } as const;
  let before: HostSnapshot;
  const states: Partial<Record<keyof typeof labs, LabState>> = {};

  function dropSpec(name: string, cni: 'flannel' | 'kubenet'): LabSpec {
    const cross = cni === 'flannel' ? 'reach' : 'no-reach';
    return {
      ...spec(name, cni),
      nodeNetwork: { podTraffic: 'drop' },
      checks: [
        { kind: 'ping', from: 'a', to: 'b', name: 'same node' },
        { kind: 'ping', from: 'a', to: 'c', expect: cross, name: 'pod to pod across nodes' },
        { kind: 'ping', from: 'node/cp', to: 'b', expect: cross, name: 'node to pod across nodes' },
        { kind: 'ping', from: 'node/w1', to: 'node/w2', name: 'node to node' },
        { kind: 'ping', from: 'a', to: 'node/w2', name: "pod to another node (masqueraded to its node's address)" },
      ],
    };
  }

  beforeAll(async () => {
    for (const name of Object.values(labs)) await down(name);
    before = await hostSnapshot();
    for (const cni of ['kubenet', 'flannel'] as const) states[cni] = await upLab(dropSpec(labs[cni], cni));
  });
  afterAll(async () => {
    for (const name of Object.values(labs)) await down(name);
  });

  it('kubenet: routes via node addresses are dropped on the wire; same-node pods and node addresses still work', async () => {
    const results = await runChecks(states.kubenet!);
    expect(results.map((r) => [r.name, r.status])).toEqual(results.map((r) => [r.name, 'pass']));
    const fabric = (await execa('ip', ['netns', 'exec', states.kubenet!.plan.fabric.netns, 'nft', 'list', 'table', 'bridge', 'podlab_underlay'])).stdout;
    const dropped = [...fabric.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    expect(dropped.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("flannel: VXLAN carries pod packets between node addresses, so pods reach each other and see each other's own IPs", async () => {
    const results = await runChecks(states.flannel!);
    expect(results.map((r) => [r.name, r.status])).toEqual(results.map((r) => [r.name, 'pass']));
    expect(await httpFrom(states.flannel!, 'a', 'http://10.244.2.2:8080/')).toMatchObject({ pod: 'c', client: '10.244.1.2' });
  });

  it("no pod's mount namespace holds a namespace mount (nsfs) of its own lab or the other one, which would pin it past down", async () => {
    const { readFileSync } = await import('node:fs');
    const hostNsfs = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - nsfs /.test(l)).length;
    expect(hostNsfs).toBeGreaterThanOrEqual(16); // both labs' namespaces (8 each) are mounted on the host
    for (const s of Object.values(states)) {
      for (const [pod, ps] of Object.entries(s!.pods)) {
        const mounts = readFileSync(`/proc/${ps.pause!.pid}/mountinfo`, 'utf8');
        expect(mounts.split('\n').filter((l) => / - nsfs /.test(l)), pod).toEqual([]);
        expect(mounts).toMatch(/ \/etc\/resolv\.conf ro,/); // its own files are still bound
      }
    }
  });

  it("each pod's mount namespace starts from its lab's mount template, and its files are on no disk of the host", async () => {
    const { existsSync, readFileSync } = await import('node:fs');
    for (const s of Object.values(states)) {
      const template = s!.mountTemplate!;
      expect(readFileSync(`/proc/${template.pid}/cmdline`, 'utf8').split('\0')).toContain('--mount-template');
      for (const [pod, ps] of Object.entries(s!.pods)) {
        const argv = readFileSync(`/proc/${ps.pause!.pid}/cmdline`, 'utf8').split('\0');
        expect(argv[argv.indexOf('--mount-from') + 1], pod).toBe(`/proc/${template.pid}/ns/mnt`);
        // resolv.conf and hosts come from a tmpfs of the pod's own, not from the state directory.
        expect(readFileSync(`/proc/${ps.pause!.pid}/mountinfo`, 'utf8')).toMatch(/ \/etc\/hosts ro,\S* - tmpfs /);
      }
      expect(existsSync(`${s!.plan.stateDir}/rendered/pods`)).toBe(false);
    }
  });

  it('down removes both labs, the fabric filter with its namespace', async () => {
    for (const name of Object.values(labs)) await down(name);
    expect(comparable(await hostSnapshot())).toEqual(comparable(before));
  });
});
