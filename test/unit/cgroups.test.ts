/**
 * lib/cgroups.ts: where podlab makes its cgroups (from the mount table and its own cgroups, for
 * cgroup v1 as on this project's machines, a container's partial view, and v2), and, as root on a
 * host that has them, that `contain --cgroup` puts a program in one whose memory limit the kernel
 * enforces there: the program is OOM-killed, the count says so, and the cgroup is removed after.
 */
import { existsSync, rmdirSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cgroupDirs, cgroupHost, cgroupPids, findCgroupHost, makeCgroup, oomKills, podlabCgroups, removeCgroup, sweepEvalCgroups } from '../../src/lib/cgroups.ts';
import { CONTAIN_BIN } from '../../src/runtime/artifacts.ts';
import { PODLAB_UIDS } from '../../src/constants.ts';
import { containedProgram } from '../../src/render/render.ts';

const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '38 31 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const V1_SELF = '8:pids:/\n4:memory:/process_api/9ee3\n0::/\n';

describe('where podlab makes its cgroups', () => {
  it('cgroup v1: below its own cgroup of each hierarchy, so a limit on podlab holds for what it starts', () => {
    expect(findCgroupHost(V1_MOUNTS, V1_SELF, () => ['hugetlb'])).toEqual({ version: 1, memory: '/sys/fs/cgroup/memory/process_api/9ee3/podlab', pids: '/sys/fs/cgroup/pids/podlab' });
  });

  it("a container's view of a hierarchy (its mount's root is podlab's own cgroup): below the mount point", () => {
    const mounts = '35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n38 31 0:35 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids';
    expect(findCgroupHost(mounts, '4:memory:/docker/abc\n8:pids:/docker/abc/x\n', () => undefined)).toEqual({ version: 1, memory: '/sys/fs/cgroup/memory/podlab', pids: '/sys/fs/cgroup/pids/x/podlab' });
  });

  it('cgroup v2: one directory, where the root delegates memory and pids; else what is missing', () => {
    const mounts = '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';
    expect(findCgroupHost(mounts, '0::/user.slice/session-1.scope\n', () => ['cpu', 'memory', 'pids'])).toEqual({ version: 2, memory: '/sys/fs/cgroup/podlab', pids: '/sys/fs/cgroup/podlab' });
    const missing = findCgroupHost(mounts, '0::/\n', () => ['cpu']);
    expect(missing).toEqual({ missing: expect.stringContaining('no memory and pids cgroup controller') });
    // This host's own unified hierarchy delegates neither: v1 must have both.
    expect(findCgroupHost(V1_MOUNTS.replace(/.*rw,pids$/m, ''), V1_SELF, () => ['hugetlb'])).toEqual({ missing: expect.stringContaining('no pids cgroup controller') });
  });

  it('a cgroup per hierarchy for v1, one for v2; names are plain', () => {
    expect(cgroupDirs({ version: 1, memory: '/m/podlab', pids: '/p/podlab' }, 'lab-web')).toEqual(['/m/podlab/lab-web', '/p/podlab/lab-web']);
    expect(cgroupDirs({ version: 2, memory: '/c/podlab', pids: '/c/podlab' }, 'eval-60001')).toEqual(['/c/podlab/eval-60001']);
    expect(() => cgroupDirs({ version: 2, memory: '/c/podlab', pids: '/c/podlab' }, '../x')).toThrow(/cgroup name/);
  });

  it('contain gets each directory as --cgroup, before its other options', () => {
    expect(containedProgram(['sleep', '1'], 60001, '/c', { cgroups: ['/m/podlab/lab-x', '/p/podlab/lab-x'], maxProcs: 256 })).toEqual(['/c', '--uid', '60001', '--gid', '60001', '--cgroup', '/m/podlab/lab-x', '--cgroup', '/p/podlab/lab-x', '--max-procs', '256', '--', 'sleep', '1']);
  });
});

const host = cgroupHost();
const usable = process.getuid?.() === 0 && !('missing' in host);

describe.skipIf(!usable)('a cgroup of this host, with contain --cgroup', () => {
  const UID = PODLAB_UIDS.container.first + PODLAB_UIDS.container.count - 5;

  it('holds a program to its memory: the kernel kills it there, counts it, and the cgroup is removed after', async () => {
    if ('missing' in host) throw new Error(host.missing);
    const dirs = makeCgroup(host, 'test-cgroups-oom', { memoryBytes: 64 * 1024 * 1024, pids: 32 });
    try {
      expect(podlabCgroups(host)).toContain('test-cgroups-oom');
      // tail keeps the last 100 MB of the pipe in memory: more than the cgroup allows.
      const r = await execa(CONTAIN_BIN, ['--uid', String(UID), '--gid', String(UID), '--no-tmp', ...dirs.flatMap((d) => ['--cgroup', d]), '--', '/bin/sh', '-c', 'cat /proc/self/cgroup; head -c 120000000 /dev/zero | tail -c 100000000 | wc -c'], { reject: false });
      expect(r.stdout).toContain(`memory:${dirs[0]!.replace(/^\/sys\/fs\/cgroup\/memory/, '')}`);
      expect(r.stdout).not.toMatch(/^100000000$/m);
      expect(oomKills(dirs)).toBeGreaterThanOrEqual(1);
      expect(cgroupPids(dirs)).toEqual([]);
    } finally {
      expect(await removeCgroup(dirs)).toEqual([]);
    }
    for (const d of dirs) expect(existsSync(d)).toBe(false);
  }, 30_000);

  it("sweeps an empty evaluation cgroup no sandbox holds (a CLI exited before its evaluation ended), not a held one", () => {
    if ('missing' in host) throw new Error(host.missing);
    const stale = makeCgroup(host, 'eval-1950004090', { memoryBytes: 64 << 20, pids: 8 });
    const held = makeCgroup(host, 'eval-1950004091', { memoryBytes: 64 << 20, pids: 8 });
    try {
      sweepEvalCgroups((uid) => uid === 1950004091);
      for (const d of stale) expect(existsSync(d)).toBe(false);
      for (const d of held) expect(existsSync(d)).toBe(true);
    } finally {
      for (const d of [...stale, ...held]) if (existsSync(d)) rmdirSync(d);
    }
  });

  it('refuses a directory outside /sys/fs/cgroup (usage error, nothing run)', async () => {
    const r = await execa(CONTAIN_BIN, ['--uid', String(UID), '--gid', String(UID), '--cgroup', '/tmp', '--', '/bin/true'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--cgroup takes an absolute directory under \/sys\/fs\/cgroup/);
  });
});

it('runs its live half wherever CI runs', () => {
  if (process.env.CI === 'true') expect(usable, `CI must have a memory and pids cgroup podlab can use: ${'missing' in host ? host.missing : ''}`).toBe(true);
});
