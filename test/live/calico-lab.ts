/**
 * Live-test support for the calico mode (calico.test.ts, calico6.test.ts): the three-node lab
 * both build (pods a and b on w1, c on w2), polling until a route converges, BIRD asked through a
 * lab's socket, and the assertions both make of a pod, its node side, a stopped BIRD and `down`,
 * each for the address families the caller names.
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { expect } from 'vitest';
import { hostVethName } from '../../src/cni/calico/veth.ts';
import type { LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { isAlive } from '../../src/runtime/procs.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { comparable, hostSnapshot, inLab, type HostSnapshot } from './host.ts';

/** Nodes cp, w1, w2 at fixed addresses; pods a, b on w1 and c on w2 serving http-echo; no DNS. */
export function calicoLab(name: string, cni: LabSpec['cni'], extra: Partial<LabSpec> = {}): LabSpec {
  return {
    name,
    ...extra,
    cni,
    nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' } },
    pods: {
      a: { node: 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      b: { node: 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      c: { node: 'w2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    },
    dns: false,
  };
}

/** Polls `probe` until it returns a value (not undefined) or `ms` pass; returns the last value. Convergence is awaited, never timed. */
export async function until<T>(probe: () => Promise<T | undefined>, ms = 30_000): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Only what belongs to the host itself, and anything of lab `lab`: other engineers' labs may come and go meanwhile. */
export function hostPart(s: HostSnapshot, lab: string) {
  const c = comparable(s);
  const mine = (x: string) => x.includes(lab);
  return { links: c.links, addresses: c.addresses, routes: c.routes, rules: c.rules, nft: c.nft, sysctls: c.sysctls, labNetns: c.podlabNetns.filter(mine), labState: c.state.filter(mine), labMounts: c.stateMounts.filter(mine) };
}

export const birdc = (lab: string, node: string, ...args: string[]) => execa('birdc', ['-s', `/run/podlab/${lab}/bird-${node}.ctl`, ...args], { reject: false, timeout: 10_000 });

/**
 * The pod's side: eth0 holds `v4` as a /32 (and `v6` as a /128), the default route goes via
 * 169.254.1.1, on-link (and via fe80::ecee:eeff:feee:eeee in IPv6).
 */
export async function expectCalicoPod(state: LabState, pod: string, ips: { v4: string; v6?: string }): Promise<void> {
  const addrs = (await inLab(state, pod, ['ip', '-o', 'address', 'show', 'dev', 'eth0'])).stdout;
  expect(addrs, pod).toContain(`inet ${ips.v4}/32`);
  const routes = (await inLab(state, pod, ['ip', '-4', 'route'])).stdout;
  expect(routes, pod).toMatch(/^default via 169\.254\.1\.1 dev eth0/m);
  expect(routes, pod).toMatch(/^169\.254\.1\.1 dev eth0 scope link/m);
  if (!ips.v6) return;
  expect(addrs, pod).toContain(`inet6 ${ips.v6}/128`);
  expect((await inLab(state, pod, ['ip', '-6', 'route', 'show', 'default'])).stdout, pod).toMatch(/^default via fe80::ecee:eeff:feee:eeee dev eth0/m);
}

/**
 * The node's side of a pod's cali veth, for the families given: IPv4 — cali<hash>, MAC
 * ee:ee:ee:ee:ee:ee, no IPv4 address, proxy ARP, a /32 route to `v4`; IPv6 — the veth holds
 * fe80::ecee:eeff:feee:eeee itself, proxy NDP, a /128 route to `v6`.
 */
export async function expectCalicoNodeSide(state: LabState, node: string, pod: string, ips: { v4?: string; v6?: string }): Promise<void> {
  const veth = hostVethName('default', pod);
  const on = (argv: string[]) => inLab(state, `node/${node}`, argv);
  if (ips.v4) {
    expect(veth).toMatch(/^cali[0-9a-f]{11}$/);
    expect((await on(['ip', '-o', 'link', 'show', 'dev', veth])).stdout).toContain('link/ether ee:ee:ee:ee:ee:ee');
    expect((await on(['ip', '-o', 'address', 'show', 'dev', veth])).stdout).not.toMatch(/inet /);
    expect((await on(['sysctl', '-n', `net.ipv4.conf.${veth}.proxy_arp`])).stdout.trim()).toBe('1');
    expect((await on(['ip', 'route', 'show', ips.v4])).stdout).toContain(`${ips.v4} dev ${veth} scope link`);
  }
  if (ips.v6) {
    expect((await on(['ip', '-6', '-o', 'address', 'show', 'dev', veth])).stdout).toContain('inet6 fe80::ecee:eeff:feee:eeee/64 scope link');
    expect((await on(['sysctl', '-n', `net.ipv6.conf.${veth}.proxy_ndp`])).stdout.trim()).toBe('1');
    expect((await on(['ip', '-6', 'route', 'show', ips.v6])).stdout).toContain(`${ips.v6} dev ${veth}`);
  }
}

/**
 * Stops `node`'s BIRD cleanly (SIGTERM: a Cease to each peer, which drop its routes at once) and
 * waits until `peer`'s `proto bird` routes of the family (`-4`, `-6`) no longer hold `block`;
 * returns those routes, or undefined if the block stayed.
 */
export async function stopBirdUntilWithdrawn(state: LabState, lab: string, node: string, peer: string, family: '-4' | '-6', block: string): Promise<string | undefined> {
  const bird = readState(lab)!.daemons![`${node}/bird`]!;
  expect(isAlive(bird)).toBe(true);
  process.kill(bird.pid, 'SIGTERM');
  return until(async () => {
    const out = (await inLab(state, `node/${peer}`, ['ip', family, 'route', 'show', 'proto', 'bird'])).stdout;
    return out.includes(block) ? undefined : out;
  });
}

/**
 * Waits (bounded, never timed) until BGP has converged in a live Calico lab: every node holds a
 * `proto bird` route to each other node's IPv4 blocks via that node. BIRD's sessions come up in
 * their own second after `up`, and without them a pod on another node is unreachable (the lab's
 * gateway routes no block of a natOutgoing pool).
 */
export async function bgpConverged(lab: string): Promise<void> {
  const state = readState(lab)!;
  const nodes = state.plan.nodes.filter((n) => n.cni.type === 'calico');
  const blocks = (n: (typeof nodes)[number]) => (n.cni as unknown as { blocks: string[] }).blocks;
  for (const n of nodes) {
    const want = nodes.filter((m) => m !== n).flatMap((m) => blocks(m).map((b) => `${b} via ${m.ip} `));
    const routes = await until(async () => {
      const out = (await execa('ip', ['-n', n.netns, 'route', 'show', 'proto', 'bird'], { reject: false })).stdout;
      return want.every((w) => out.includes(w)) ? out : undefined;
    });
    if (routes === undefined) throw new Error(`BGP did not converge on ${n.name} in 30 s: it lacks one of ${want.join(', ')}`);
  }
}

/** `down` stops every one of the 3 BIRDs by its recorded pid, removes the lab's state and leaves the host as `before`. */
export async function expectDownStopsBirds(lab: string, before: HostSnapshot): Promise<void> {
  const daemons = Object.values(readState(lab)!.daemons!);
  expect(daemons).toHaveLength(3);
  await down(lab);
  for (const d of daemons) expect(isAlive(d)).toBe(false);
  expect(existsSync(`/run/podlab/${lab}`)).toBe(false);
  expect(hostPart(await hostSnapshot(), lab)).toEqual(hostPart(before, lab));
}
