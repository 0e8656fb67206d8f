/**
 * The pod sandbox process (native/pause.c) on its own: a mount template without the host's nsfs
 * mounts, pods whose mount namespace starts as a copy of it (or of the host's when it is gone),
 * files written read-only over /etc from a tmpfs that only the pod's mount namespace holds, and
 * usage errors. Everything runs in namespaces named like lab `lt-pz`'s, so `down lt-pz` removes
 * whatever a failed run leaves.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { down } from '../../src/runtime/down.ts';
import { ensureNative, PAUSE_BIN } from '../../src/runtime/artifacts.ts';
import { liveGuard } from './host.ts';

const live = liveGuard();
const LAB = 'lt-pz';
const ns = (n: string) => `/run/netns/podlab-${LAB}.node.${n}`;
const started: ResultPromise[] = [];

/** Starts a pause process (argv after the binary) and waits for its "ready" line; its pid. */
async function pause(args: string[], wrap: string[] = []): Promise<number> {
  const argv = [...wrap, PAUSE_BIN, ...args];
  const proc = execa(argv[0]!, argv.slice(1), { reject: false, buffer: false, stdin: 'ignore' });
  started.push(proc);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => reject(new Error(`pause exited ${code} before ready: ${err}`)));
  });
  return proc.pid!;
}

const mountinfo = (pid: number) => readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean);
const nsfs = (pid: number) => mountinfo(pid).filter((l) => / - nsfs /.test(l));
const inPod = (pid: number, cmd: string) => execa('nsenter', ['-t', String(pid), '--mount', '--uts', '--', 'sh', '-c', cmd], { reject: false });

describe.skipIf(!live)('pause: mount template, written files, usage', () => {
  beforeAll(async () => {
    const d = await ensureNative();
    if (d) throw new Error(d.message);
    await down(LAB);
    for (const n of ['t', 'a', 'b', 'c']) await execa('ip', ['netns', 'add', `podlab-${LAB}.node.${n}`]);
  });

  afterAll(async () => {
    for (const p of started) p.kill('SIGTERM');
    await down(LAB);
  });

  let template = 0;

  it('a mount template holds a mount namespace with none of the host’s nsfs mounts', async () => {
    // The template starts from a mount namespace with a marker tmpfs the host does not have, so a
    // pod that shows the marker was copied from the template, not from the host.
    template = await pause(['--netns', ns('t'), '--mount-template'], ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs pzmarker /mnt && exec "$0" "$@"']);
    expect(nsfs(process.pid).length).toBeGreaterThanOrEqual(4); // the host has this test's four at least
    expect(nsfs(template)).toEqual([]);
    expect(mountinfo(template).some((l) => l.includes(' pzmarker '))).toBe(true);
    expect(mountinfo(process.pid).some((l) => l.includes(' pzmarker '))).toBe(false);
  });

  it('a pod started from the template gets its files read-only over /etc, and nothing on the host changes', async () => {
    const hostHosts = readFileSync('/etc/hosts', 'utf8');
    const hosts = '127.0.0.1\tlocalhost\n10.244.1.7\tweb-0.web.default.svc.cluster.local\tweb-0\n';
    const resolv = 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';
    const pod = await pause(['--netns', ns('a'), '--hostname', 'web-0', '--mount-from', `/proc/${template}/ns/mnt`, '--write', `/etc/hosts=${hosts}`, '--write', `/etc/resolv.conf=${resolv}`]);
    expect(mountinfo(pod).some((l) => l.includes(' pzmarker '))).toBe(true);
    expect(nsfs(pod)).toEqual([]);
    const r = await inPod(pod, 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; hostname');
    expect(r.stdout).toBe(`${hosts}---\n${resolv}---\nweb-0`);
    const w = await inPod(pod, 'echo changed > /etc/hosts');
    expect(w.stderr).toMatch(/Read-only file system/);
    expect(readFileSync('/etc/hosts', 'utf8')).toBe(hostHosts);
    // The staging tmpfs is gone from the pod's view: its /tmp is the host's again.
    const tmpMounts = (pid: number) => mountinfo(pid).filter((l) => l.split(' ')[4] === '/tmp').length;
    expect(tmpMounts(pod)).toBe(tmpMounts(process.pid));
  });

  it('with the template gone, a pod copies the host’s table and still drops its nsfs mounts', async () => {
    const pod = await pause(['--netns', ns('b'), '--hostname', 'b', '--mount-from', '/proc/999999999/ns/mnt', '--write', '/etc/hosts=10.0.0.2 b\n']);
    expect(mountinfo(pod).some((l) => l.includes(' pzmarker '))).toBe(false);
    expect(nsfs(pod)).toEqual([]);
    expect((await inPod(pod, 'cat /etc/hosts')).stdout).toBe('10.0.0.2 b');
  });

  it.each([
    [['--netns', ns('c'), '--hostname', 'c', '--write', '/etc/hosts'], /--write needs \/DST=TEXT/],
    [['--netns', ns('c'), '--hostname', 'c', '--write', 'etc/hosts=x'], /--write needs \/DST=TEXT/],
    [['--netns', ns('c'), '--hostname', 'c', '--write', '/tmp/x=y'], /cannot target \/tmp/],
    [['--netns', ns('c'), '--hostname', 'c', '--write', '/tmp=y'], /cannot target \/tmp/],
    [['--netns', ns('c'), '--mount-template', '--hostname', 'c'], /--mount-template takes only --netns/],
    [['--netns', ns('c'), '--hostname', 'c', '--mount-from', '/etc/hostname'], /setns \(mount\) \/etc\/hostname/],
  ])('rejects %j', async (args, message) => {
    const r = await execa(PAUSE_BIN, args, { reject: false, timeout: 5000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
