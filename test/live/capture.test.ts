/**
 * `podlab capture` on a live lab: tcpdump in a pod sees a ping's requests and replies, in a node
 * the pods' traffic on the pod bridge (kubenet's cbr0), writes a pcap file on request, and an unknown target or interface is
 * a coded error naming what exists (exit 2), with nothing started.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { inLab, labAroundSuite, liveGuard, twoPodLab } from './host.ts';

const live = liveGuard();
const LAB = 'capture-live';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, timeout: 20_000 });

/** Starts a capture, waits until tcpdump listens, then runs `traffic`; resolves with the capture's result. */
async function captureDuring(args: string[], traffic: () => Promise<unknown>) {
  const proc = execa('node', ['bin/podlab.js', 'capture', LAB, ...args], { reject: false, timeout: 20_000 });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/listening on/.test(err)) resolve();
    });
    proc.once('exit', () => reject(new Error(`capture ended before listening: ${err}`)));
  });
  await traffic();
  return proc;
}

describe.skipIf(!live)('podlab capture', () => {
  const state = labAroundSuite({ ...twoPodLab(LAB), cni: 'kubenet', dns: false }).lab;
  const dir = mkdtempSync(`${tmpdir()}/podlab-capture-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("in a pod: its eth0 sees a ping's requests and replies, and stops after --count", async () => {
    const b = state().plan.pods.find((p) => p.name === 'b')!.ip;
    const r = await captureDuring(['a', '-c', '2', '--', 'icmp'], () => inLab(state(), 'a', ['ping', '-c', '1', '-W', '2', b]));
    expect(r.exitCode).toBe(0);
    const a = state().plan.pods.find((p) => p.name === 'a')!.ip;
    expect(r.stdout).toMatch(new RegExp(`IP ${a.replace(/\./g, '\\.')} > ${b.replace(/\./g, '\\.')}: ICMP echo request`));
    expect(r.stdout).toMatch(new RegExp(`IP ${b.replace(/\./g, '\\.')} > ${a.replace(/\./g, '\\.')}: ICMP echo reply`));
  });

  it('in a node, on kubenet\'s bridge cbr0, with a pcap file written', async () => {
    const file = `${dir}/w1.pcap`;
    const b = state().plan.pods.find((p) => p.name === 'b')!.ip;
    const r = await captureDuring(['node/w1', '-i', 'cbr0', '-c', '1', '-w', file, '--', 'icmp'], () => inLab(state(), 'a', ['ping', '-c', '1', '-W', '2', b]));
    expect(r.exitCode).toBe(0);
    // The pcap file header: its magic number, little-endian.
    expect(readFileSync(file).subarray(0, 4).toString('hex')).toBe('d4c3b2a1');
  });

  it('an unknown target or interface: a coded error naming what exists, exit 2', async () => {
    const pod = await podlab('capture', LAB, 'nope');
    expect(pod.exitCode).toBe(2);
    expect(pod.stderr).toContain('error PL3030');
    expect(pod.stderr).toContain('default/a, default/b');
    const iface = await podlab('capture', LAB, 'node/w1', '-i', 'flannel.1');
    expect(iface.exitCode).toBe(2);
    expect(iface.stderr).toContain('error PL3031');
    expect(iface.stderr).toMatch(/Its interfaces: .*cbr0.*eth0.*lo/);
    const count = await podlab('capture', LAB, 'a', '-c', '0');
    // A usage error: exit 2, the option named, no internal error.
    expect(count.exitCode).toBe(2);
    expect(count.stderr).toContain("option '-c, --count <n>' argument '0' is invalid. It takes a whole number from 1 to");
    expect(count.stderr).not.toContain('internal error');
  });
});
