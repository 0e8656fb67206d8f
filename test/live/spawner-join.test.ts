/**
 * The spawner entering namespaces itself in place of nsenter (exec.ts nsenterJoin): a command and a
 * daemon run inside a network namespace, a pod-style join of a process's net, UTS and mount
 * namespaces, and a namespace that is not there is a clear failure, not a command run on the host.
 * And the spawner's mount built-ins. The namespace is named like lab `lt-sj`'s and the tmpfs is
 * mounted where its state directory would be, so `down lt-sj` removes both after a crash.
 */
import { mkdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { down } from '../../src/runtime/down.ts';
import { realExecutor, spawnDaemon } from '../../src/runtime/exec.ts';
import { ensureNative } from '../../src/runtime/artifacts.ts';
import { stopProcesses, recordOf } from '../../src/runtime/procs.ts';
import { spawner } from '../../src/runtime/spawner.ts';
import { stateDir } from '../../src/runtime/state.ts';
import { mountsAt, stateSource } from '../../src/runtime/statefs.ts';
import { liveGuard } from './host.ts';

const live = liveGuard();
const LAB = 'lt-sj';
const NS = `podlab-${LAB}.node.a`;
const FILE = `/run/netns/${NS}`;

describe.skipIf(!live)('the spawner enters namespaces itself', () => {
  beforeAll(async () => {
    const d = await ensureNative();
    if (d) throw new Error(d.message);
    expect(spawner()).toBeDefined();
    await down(LAB);
    await execa('ip', ['netns', 'add', NS]);
  });
  afterAll(() => down(LAB));

  it('runs a command inside a network namespace, as `nsenter --net=` would', async () => {
    const r = await realExecutor.run(['nsenter', `--net=${FILE}`, '--', 'sh', '-c', 'readlink /proc/self/ns/net; ip -o link show']);
    const [inode, ...links] = r.stdout.trim().split('\n');
    expect(r.exitCode).toBe(0);
    expect(inode).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(links.map((l) => l.split(': ')[1])).toEqual(['lo']);
    // The same as nsenter itself gives.
    expect(inode).toBe((await execa('nsenter', [`--net=${FILE}`, '--', 'readlink', '/proc/self/ns/net'])).stdout);
  });

  it("joins a process's net, UTS and mount namespaces, and starts a daemon there", async () => {
    const holder = await spawnDaemon(['unshare', '--uts', '--mount', '--', 'sh', '-c', 'hostname sj-holder; echo ready; exec sleep 60'], { readyLine: 'ready' });
    try {
      const r = await realExecutor.run(['nsenter', '-t', String(holder), '--uts', '--mount', '--net', '--', 'sh', '-c', 'hostname; readlink /proc/self/ns/mnt /proc/self/ns/uts']);
      expect(r.stdout.trim().split('\n')).toEqual(['sj-holder', readlinkSync(`/proc/${holder}/ns/mnt`), readlinkSync(`/proc/${holder}/ns/uts`)]);
      const daemon = await spawnDaemon(['nsenter', `--net=${FILE}`, '--', 'sh', '-c', 'echo ready; exec sleep 60'], { readyLine: 'ready' });
      expect(readlinkSync(`/proc/${daemon}/ns/net`)).toBe((await execa('ip', ['netns', 'exec', NS, 'readlink', '/proc/self/ns/net'])).stdout);
      expect(readFileSync(`/proc/${daemon}/comm`, 'utf8').trim()).toBe('sleep'); // the daemon itself, no nsenter in between
      await stopProcesses(realExecutor, [recordOf(daemon)]);
    } finally {
      await stopProcesses(realExecutor, [recordOf(holder)]);
    }
  });

  it("sets sysctls inside a network namespace itself (no sysctl process), and leaves the root namespace's alone", async () => {
    const root = readFileSync('/proc/sys/net/ipv4/conf/lo/forwarding', 'utf8');
    const inNs = async (key: string) => (await execa('ip', ['netns', 'exec', NS, 'sysctl', '-n', key])).stdout;
    const before = await inNs('net.ipv4.conf.lo.forwarding');
    const value = before === '1' ? '0' : '1';
    const r = await realExecutor.run(['nsenter', `--net=${FILE}`, '--', 'sysctl', '-qw', `net.ipv4.conf.lo.forwarding=${value}`, 'net.ipv4.ping_group_range=0 0']);
    expect(r).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await inNs('net.ipv4.conf.lo.forwarding')).toBe(value);
    expect((await inNs('net.ipv4.ping_group_range')).split(/\s+/)).toEqual(['0', '0']);
    expect(readFileSync('/proc/sys/net/ipv4/conf/lo/forwarding', 'utf8')).toBe(root);
    // A key that does not exist fails like sysctl does (non-zero, the key named), after the ones before it.
    const bad = await realExecutor.run(['nsenter', `--net=${FILE}`, '--', 'sysctl', '-qw', `net.ipv4.conf.lo.forwarding=${before}`, 'net.ipv4.no_such_key=1']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^sysctl: cannot set net\.ipv4\.no_such_key: No such file or directory/);
    expect(await inNs('net.ipv4.conf.lo.forwarding')).toBe(before);
  });

  it("mounts a tmpfs and detaches it itself (no mount or umount process), with mount(8)'s flags, and fails with the path named", async () => {
    // The lab's state directory and mount source: `down lt-sj` (afterAll) unmounts it after a failure.
    const dir = stateDir(LAB);
    mkdirSync(dir, { recursive: true });
    const ok = { exitCode: 0, stdout: '', stderr: '' };
    expect(await realExecutor.run(['mount', '-t', 'tmpfs', '-o', 'mode=0750,nosuid,nodev', stateSource(LAB), dir])).toEqual(ok);
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === dir)!;
    const f = line.split(' ');
    const sep = f.indexOf('-');
    expect([f[sep + 1], f[sep + 2]]).toEqual(['tmpfs', stateSource(LAB)]);
    expect(f[5]!.split(',')).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
    expect(f[5]!.split(',')).not.toContain('noexec');
    expect(statSync(dir).mode & 0o7777).toBe(0o750);
    expect(await realExecutor.run(['umount', '-l', dir])).toEqual(ok);
    expect(mountsAt(dir)).toBe(0);
    // Exit 1 with the path and the system's reason (umount(8) and mount(8) would exit 32).
    expect(await realExecutor.run(['umount', '-l', dir])).toEqual({ exitCode: 1, stdout: '', stderr: `umount: ${dir}: Invalid argument\n` });
    expect(await realExecutor.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', stateSource(LAB), `${dir}/none`])).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: `mount: ${dir}/none: No such file or directory\n`,
    });
    expect(mountsAt(`${dir}/none`)).toBe(0);
  });

  it('a namespace file that is not there fails the command (127) and names the file; nothing runs', async () => {
    const r = await realExecutor.run(['nsenter', '--net=/run/netns/podlab-lt-sj.node.none', '--', 'touch', '/tmp/podlab-sj-ran']);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/cannot enter namespace \/run\/netns\/podlab-lt-sj\.node\.none: No such file or directory/);
    expect((await execa('test', ['-e', '/tmp/podlab-sj-ran'], { reject: false })).exitCode).toBe(1);
    await expect(spawnDaemon(['nsenter', '-t', '999999999', '--net', '--', 'sleep', '1'])).rejects.toThrow(/cannot enter namespace \/proc\/999999999\/ns\/net/);
  });
});
