/**
 * The native spawner (native/spawner.c) through podlab's executor: what a command returns (exit
 * code, output, a signal, a timeout, a missing program), many at once, daemons with and without a
 * ready line, that it neither keeps podlab alive nor outlives it, and that what it was still
 * starting when podlab died does not outlive podlab either. Needs no root.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { nsenterJoin, realExecutor, requestOf, spawnDaemon } from '../../src/runtime/exec.ts';
import { decodeAnswers, encodeRequest, spawner, SPAWNER_BIN } from '../../src/runtime/spawner.ts';
import { ensureNative } from '../../src/runtime/artifacts.ts';
import { isAlive, recordOf } from '../../src/runtime/procs.ts';

let dir: string;
beforeAll(async () => {
  const d = await ensureNative();
  if (d) throw new Error(d.message);
  dir = mkdtempSync(join(tmpdir(), 'podlab-spawner-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spawner frames', () => {
  it('encode a request field by field, and decode answers split anywhere in the stream', () => {
    const f = encodeRequest(7, { kind: 'daemon', argv: ['a', 'bé'], env: { K: 'v', GONE: undefined }, timeoutMs: 5, logFile: '/l', readyLine: 'ready', join: ['/proc/9/ns/net'] });
    // Read it back the way native/spawner.c does: every byte accounted for, nothing left over.
    let p = 0;
    const u32 = () => ((p += 4), f.readUInt32LE(p - 4));
    const str = () => {
      const n = u32();
      p += n;
      return f.subarray(p - n, p).toString();
    };
    const list = () => Array.from({ length: u32() }, str);
    expect(u32()).toBe(f.length - 4);
    expect([u32(), u32(), u32()]).toEqual([7, 1, 5]);
    expect(list()).toEqual(['a', 'bé']);
    expect(list()).toEqual(['K=v']);
    expect([str(), str(), str()]).toEqual(['', '/l', 'ready']);
    expect(list()).toEqual(['/proc/9/ns/net']);
    expect(p).toBe(f.length);
    expect(encodeRequest(1, { kind: 'run', argv: ['x'], env: {} }).subarray(-4).readUInt32LE(0)).toBe(0); // no namespaces to enter

    const answer = (id: number, out: string) => {
      const o = Buffer.from(out);
      const body = Buffer.alloc(24 + o.length);
      body.writeUInt32LE(id, 0);
      body.writeUInt32LE(0, 4);
      body.writeInt32LE(3, 8);
      body.writeInt32LE(42, 12);
      body.writeUInt32LE(o.length, 16);
      o.copy(body, 20);
      body.writeUInt32LE(0, 20 + o.length);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(body.length);
      return Buffer.concat([len, body]);
    };
    const stream = Buffer.concat([answer(1, 'one'), answer(2, 'two')]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const a = decodeAnswers(stream.subarray(0, cut));
      const b = decodeAnswers(Buffer.concat([a.rest, stream.subarray(cut)]));
      const all = [...a.answers, ...b.answers];
      expect(all.map((x) => [x.id, x.value, x.pid, x.stdout.toString()])).toEqual([[1, 3, 42, 'one'], [2, 3, 42, 'two']]);
      expect(b.rest.length).toBe(0);
    }
  });
});

describe('nsenter forms the spawner does itself', () => {
  it.each([
    [['nsenter', '--net=/run/netns/a', '--', 'ip', 'link'], { join: ['/run/netns/a'], argv: ['ip', 'link'] }],
    [['nsenter', '-t', '42', '--net', '--uts', '--ipc', '--mount', '--', 'sh', '-c', 'x'], { join: ['/proc/42/ns/ipc', '/proc/42/ns/uts', '/proc/42/ns/net', '/proc/42/ns/mnt'], argv: ['sh', '-c', 'x'] }],
    [['nsenter', '-t', '7', '--mount', '--net', '--', 'cat', '--', '-x'], { join: ['/proc/7/ns/net', '/proc/7/ns/mnt'], argv: ['cat', '--', '-x'] }],
  ])('%j enters its namespaces in nsenter’s order', (argv, expected) => {
    expect(nsenterJoin(argv)).toEqual(expected);
  });

  it.each([
    [['ip', 'link']],
    [['nsenter', '--net=/run/netns/a', 'ip']], // no --
    [['nsenter', '--net=/run/netns/a', '--']], // no command
    [['nsenter', '--net=relative', '--', 'ip']],
    [['nsenter', '--net=/a', '--uts', '--', 'ip']],
    [['nsenter', '-t', 'self', '--net', '--', 'ip']],
    [['nsenter', '-t', '0', '--net', '--', 'ip']],
    [['nsenter', '-t', '5', '--', 'ip']],
    [['nsenter', '-t', '5', '--pid', '--', 'ip']], // nsenter forks for a PID namespace: left to nsenter
    [['nsenter', '-t', '5', '--net', '--net', '--', 'ip']],
  ])('%j is left to nsenter', (argv) => {
    expect(nsenterJoin(argv)).toBeUndefined();
  });
});

describe('sysctl settings the spawner writes itself', () => {
  it.each([
    [['sysctl', '-qw', 'net.ipv4.ip_forward=1'], { argv: ['@sysctl', 'net.ipv4.ip_forward=1'] }],
    [['nsenter', '--net=/run/netns/a', '--', 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1'], { join: ['/run/netns/a'], argv: ['@sysctl', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1'] }],
  ])('%j', (argv, expected) => {
    expect(requestOf(argv)).toEqual(expected);
  });

  it.each([
    [['sysctl', '-n', 'net.ipv4.ip_forward']], // a read: sysctl prints it
    [['sysctl', '-w', 'net.ipv4.ip_forward=1']], // not quiet: sysctl prints what it set
    [['sysctl', '-qw']],
    [['sysctl', '-qw', 'net/ipv4/ip_forward=1']], // slashes: sysctl's own rules
    [['sysctl', '-qw', 'net.ipv4.ip_forward']], // no value
    [['sysctl', '-qw', 'net..x=1']],
    [['sysctl', '-qw', '../../etc/x=1']],
  ])('%j is left to sysctl', (argv) => {
    expect(requestOf(argv).argv[0]).toBe('sysctl');
  });
});

describe('mounts the spawner makes and removes itself', () => {
  it.each([
    [['umount', '-l', '/run/podlab/x'], { argv: ['@umount-lazy', '/run/podlab/x'] }],
    [['mount', '-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev', 'podlab-x', '/run/podlab/x'], { argv: ['@mount-tmpfs', 'mode=0755,nosuid,nodev', 'podlab-x', '/run/podlab/x'] }],
  ])('%j', (argv, expected) => {
    expect(requestOf(argv)).toEqual(expected);
  });

  it.each([
    [['umount', '/run/podlab/x']], // not lazy
    [['umount', '-l']],
    [['umount', '-l', 'podlab-x']], // a source, not a path
    [['mount', '-t', 'tmpfs', 'podlab-x', '/run/podlab/x']], // no options
    [['mount', '-t', 'ext4', '-o', 'nodev', '/dev/sda1', '/mnt']],
    [['mount', '-t', 'tmpfs', '-o', 'ro,nodev', 'podlab-x', '/run/podlab/x']], // a flag the built-in does not know
    [['mount', '-t', 'tmpfs', '-o', 'mode=0755,', 'podlab-x', '/run/podlab/x']],
    [['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'podlab-x', 'x']], // relative
    [['mount', '--bind', '/a', '/b']],
  ])('%j is left to mount or umount', (argv) => {
    expect(requestOf(argv).argv[0]).toBe(argv[0]);
  });
});

describe('the spawner', () => {
  it('is in use here (built, and not turned off)', () => {
    expect(spawner()).toBeDefined();
  });

  it('returns exit code, stdout and stderr, feeds stdin, and passes the environment', async () => {
    expect(await realExecutor.run(['sh', '-c', 'cat; echo err >&2; exit 3'], { input: 'hello\n' })).toEqual({ exitCode: 3, stdout: 'hello\n', stderr: 'err\n' });
    expect((await realExecutor.run(['sh', '-c', 'echo "$PODLAB_T"'], { env: { PODLAB_T: 'x y' } })).stdout).toBe('x y\n');
    const big = 'x'.repeat(1_000_000);
    expect((await realExecutor.run(['cat'], { input: big })).stdout).toBe(big);
  });

  it('reports a missing program (127), a signal (128 + n) and a timeout (124, the command killed)', async () => {
    const missing = await realExecutor.run(['/nonexistent/podlab-nothing']);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('No such file or directory');
    expect((await realExecutor.run(['sh', '-c', 'kill -TERM $$'])).exitCode).toBe(128 + 15);
    const t = Date.now();
    const slow = await realExecutor.run(['sh', '-c', 'echo $$; exec sleep 30'], { timeoutMs: 200 });
    expect(slow.exitCode).toBe(124);
    expect(Date.now() - t).toBeLessThan(5000);
    const pid = Number(slow.stdout.trim());
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('runs 300 commands at once (more than its 256 slots: the rest wait their turn), each answer to its own request', async () => {
    const rs = await Promise.all(Array.from({ length: 300 }, (_, i) => realExecutor.run(['sh', '-c', `sleep 0.2; echo ${i}; exit ${i % 7}`])));
    expect(rs.map((r) => [r.stdout, r.exitCode])).toEqual(Array.from({ length: 300 }, (_, i) => [`${i}\n`, i % 7]));
  });

  it('answers for a command that ended while a child of its own still holds its output, without calling it a timeout', async () => {
    const t = Date.now();
    const r = await realExecutor.run(['sh', '-c', 'sleep 3 & echo done'], { timeoutMs: 500 });
    expect(r).toEqual({ exitCode: 0, stdout: 'done\n', stderr: '' });
    expect(Date.now() - t).toBeLessThan(2500);
  });

  it('outlives a Ctrl-C to its process group (podlab decides what a Ctrl-C means)', async () => {
    const pid = Number((await execa('pgrep', ['-P', String(process.pid), '-f', SPAWNER_BIN])).stdout.split('\n')[0]);
    process.kill(pid, 'SIGINT');
    await new Promise((res) => setTimeout(res, 50));
    expect((await realExecutor.run(['echo', 'still here'])).stdout).toBe('still here\n');
  });

  it('starts daemons in a session of their own: ready line, exit before ready, not ready in time, log file', async () => {
    const pid = await spawnDaemon(['sh', '-c', 'echo starting; echo ready; exec sleep 30'], { readyLine: 'ready' });
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      expect(Number(stat[3])).toBe(pid); // session id (field 6) is its own pid: setsid()
    } finally {
      process.kill(pid, 'SIGKILL');
    }
    await expect(spawnDaemon(['sh', '-c', 'echo broken >&2; exit 4'], { readyLine: 'ready' })).rejects.toThrow(/exited \(4\) before it was ready: broken/);
    await expect(spawnDaemon(['sh', '-c', 'echo $$ > ' + join(dir, 'slow.pid') + '; exec sleep 30'], { readyLine: 'ready', readyTimeoutMs: 200 })).rejects.toThrow(/did not become ready in 200 ms/);
    // Not ready in time, it is not left behind.
    const slow = Number(readFileSync(join(dir, 'slow.pid'), 'utf8'));
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      await new Promise((res) => setTimeout(res, 10));
      try {
        gone = readFileSync(`/proc/${slow}/stat`, 'utf8').includes(') Z');
      } catch {
        gone = true;
      }
    }
    expect(gone).toBe(true);
    const log = join(dir, 'd.log');
    await spawnDaemon(['sh', '-c', 'echo out; echo err >&2'], { logFile: log });
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(log, 'utf8').split('\n').sort()).toEqual(['', 'err', 'out']);
  });

  it('does not keep podlab alive, and does not outlive it', async () => {
    const script = [
      "import { realExecutor } from './src/runtime/exec.ts';",
      "const r = await realExecutor.run(['true']);",
      "const { spawner } = await import('./src/runtime/spawner.ts');",
      'console.log(JSON.stringify({ code: r.exitCode, spawner: spawner() !== undefined }));',
    ].join('\n');
    const t = Date.now();
    const r = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
    expect(JSON.parse(r.stdout)).toEqual({ code: 0, spawner: true });
    expect(Date.now() - t).toBeLessThan(15_000);
    // Killed outright, the parent leaves a spawner whose stdin closes: it ends too.
    const orphanScript = [
      "import { realExecutor } from './src/runtime/exec.ts';",
      "await realExecutor.run(['true']);",
      "setInterval(() => {}, 1000);",
      "console.log('up');",
    ].join('\n');
    const child = execa('node', ['--import', 'tsx', '--input-type=module', '-e', orphanScript], { reject: false });
    await new Promise<void>((res) => child.stdout!.on('data', () => res()));
    const spawners = async () => (await execa('pgrep', ['-P', String(child.pid), '-f', SPAWNER_BIN], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
    const before = await spawners();
    expect(before).toHaveLength(1);
    child.kill('SIGKILL');
    await child;
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      await new Promise((res) => setTimeout(res, 20));
      try {
        process.kill(before[0]!, 0);
        alive = !readFileSync(`/proc/${before[0]}/stat`, 'utf8').includes(') Z');
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  it('when podlab dies, kills what it was still starting: a daemon not yet ready (with its session) and a command still running', async () => {
    const files = mkdtempSync(`${tmpdir()}/podlab-spawner-`);
    const script = [
      "import { realExecutor, spawnDaemon } from './src/runtime/exec.ts';",
      `void spawnDaemon(['sh', '-c', 'sleep 60 & echo $! > ${files}/child; echo $$ > ${files}/daemon; exec sleep 61'], { readyLine: 'never', readyTimeoutMs: 60000 });`,
      `void realExecutor.run(['sh', '-c', 'echo $$ > ${files}/run; exec sleep 62']);`,
      'setInterval(() => {}, 1000);',
      "console.log('up');",
    ].join('\n');
    const child = execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false });
    const pids: number[] = [];
    try {
      await new Promise<void>((res) => child.stdout!.on('data', () => res()));
      for (let i = 0; i < 200 && pids.length < 3; i++) {
        await new Promise((res) => setTimeout(res, 20));
        pids.splice(0, pids.length, ...['daemon', 'child', 'run'].filter((f) => existsSync(`${files}/${f}`) && readFileSync(`${files}/${f}`, 'utf8').endsWith('\n')).map((f) => Number(readFileSync(`${files}/${f}`, 'utf8'))));
      }
      expect(pids).toHaveLength(3);
      const recs = pids.map(recordOf);
      expect(recs.filter(isAlive)).toHaveLength(3);
      child.kill('SIGKILL');
      await child;
      for (let i = 0; i < 50 && recs.some(isAlive); i++) await new Promise((res) => setTimeout(res, 20));
      expect(recs.filter(isAlive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone, as it should be */
        }
      }
      rmSync(files, { recursive: true, force: true });
    }
  });
});
