/**
 * Live: two labs with identical address plans side by side; `up` killed (SIGKILL) after every
 * journaled step and then `down`, for a two-pod lab and for the flagship lab; down without state,
 * down with a process the lab never recorded, down of a lab that never existed, down --all — each
 * time the host must equal its baseline.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { parseMountinfo } from '../../src/runtime/statefs.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import type { LabSpec } from '../../src/index.ts';
import { down, labsOnHost } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { realExecutor, type Executor } from '../../src/runtime/exec.ts';
import { isAlive, recordOf } from '../../src/runtime/procs.ts';
import { runChecks } from '../../src/check/run.ts';
import { STEPS } from '../../src/runtime/up.ts';
import { comparable, hostSnapshot, httpFrom, liveGuard, twoPodLab, upLab, writeLabFile, type HostSnapshot } from './host.ts';

const live = liveGuard();
const TMP = 'test/live/.tmp';
const CLI = ['bin/podlab.js'];

const twin = (name: string): LabSpec =>
  twoPodLab(name, {
    fixedIps: true,
    checks: [
      { kind: 'http', from: 'a', to: 'b', port: 8080, expectPod: 'b', expectNoNat: true },
      { kind: 'http', from: 'b', to: 'a', port: 8080, expectPod: 'a', expectNoNat: true },
    ],
  });

/** A lab file for the CLI (inside the repository, so `import 'podlab'` resolves). */
function labFile(name: string): string {
  return writeLabFile(TMP, name, twin(name));
}

/** The flagship lab's file, renamed `name` (a `pod-networking` lab someone has up is never touched). */
function flagshipFile(name: string): string {
  const source = readFileSync('labs/pod-networking.lab.ts', 'utf8');
  expect(source).toContain("name: 'pod-networking'");
  mkdirSync(TMP, { recursive: true });
  const file = `${TMP}/${name}.lab.ts`;
  writeFileSync(file, source.replace("name: 'pod-networking'", `name: '${name}'`));
  return file;
}

describe.skipIf(!live)('live lifecycle', () => {
  let baseline: HostSnapshot;
  const names = ['lt-twin-a', 'lt-twin-b', 'lt-crash', 'lt-crash-flag', 'lt-nostate', 'lt-stray', 'lt-hold'];

  beforeAll(async () => {
    for (const n of names) await down(n);
    baseline = comparable(await hostSnapshot());
  });
  afterAll(async () => {
    for (const n of names) await down(n);
    rmSync(TMP, { recursive: true, force: true });
  });

  it('two labs with identical address plans run at the same time without interfering', async () => {
    const [a, b] = await Promise.all([upLab(twin('lt-twin-a')), upLab(twin('lt-twin-b'))]);
    // Each lab's state directory is a tmpfs of its own, named after the lab.
    const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountPoint.startsWith('/run/podlab/lt-twin-'));
    expect(mounts.sort((x, y) => x.mountPoint.localeCompare(y.mountPoint))).toEqual(
      ['a', 'b'].map((l) => ({ mountPoint: `/run/podlab/lt-twin-${l}`, fsType: 'tmpfs', source: `podlab-lt-twin-${l}` })),
    );
    const [ra, rb] = await Promise.all([runChecks(a), runChecks(b)]);
    expect([...ra, ...rb].map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    // The same address answers from a different sandbox in each lab.
    expect((await httpFrom(a, 'a', 'http://10.244.1.2:8080/')).pod).toBe('b');
    expect(a.pods.b!.containers.web!.pid).not.toBe(b.pods.b!.containers.web!.pid);
    await down('lt-twin-a');
    // Lab b is untouched by a's teardown.
    expect((await runChecks(readState('lt-twin-b')!)).every((r) => r.status === 'pass')).toBe(true);
    await down('lt-twin-b');
    expect(comparable(await hostSnapshot())).toEqual(baseline);
  });

  it.each([
    ['a two-pod lab', 'lt-crash', labFile],
    // Four nodes, five pods (the DNS server's started before the network), Services, a mount template.
    ['the flagship lab', 'lt-crash-flag', flagshipFile],
  ])('up of %s killed after every step, then down: the host equals its baseline each time', async (_what, lab, fileOf) => {
    const file = fileOf(lab);
    const steps = STEPS;
    for (let k = 0; k <= steps.length; k++) {
      const r = await execa('node', [...CLI, 'up', file, '--crash-after-step', String(k)], { reject: false });
      if (k < steps.length) expect(r.signal, `up should have been killed after step ${k}`).toBe('SIGKILL');
      else expect(r.exitCode, r.stderr).toBe(0);
      const d = await execa('node', [...CLI, 'down', lab], { reject: false });
      expect(d.exitCode, d.stderr).toBe(0);
      expect(comparable(await hostSnapshot()), `leak after a crash at step ${k} (${steps[k] ?? 'none'})`).toEqual(baseline);
    }
  });

  // (Not at 'services': the last step before 'up' only syncs the endpoints, which the tables were
  // loaded with already, so a Ctrl-C there usually lands once the lab is up, and up exits 0.)
  it('Ctrl-C during up (at the namespaces, nodes and pods steps): up finishes what is in flight, removes everything, exits 130', async () => {
    const file = labFile('lt-sigint');
    for (const at of ['namespaces', 'nodes', 'pods']) {
      const child = execa('node', [...CLI, 'up', file], { reject: false });
      let err = '';
      await new Promise<void>((resolve) => {
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes(`· ${at}`)) resolve();
        });
        void child.then(() => resolve());
      });
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode, `${at}: ${r.stderr}`).toBe(130);
      expect(r.stderr).toContain('the host is as it was before');
      expect(comparable(await hostSnapshot()), `leak after Ctrl-C at ${at}`).toEqual(baseline);
    }
  });

  // A terminal's Ctrl-C goes to the whole process group: the tool a step runs may die of it (exit
  // 130) before up has heard it. Still an interruption: PL3006, exit 130 (it was PL3050, exit 2).
  it('Ctrl-C to the process group, as a terminal sends it: exit 130 and PL3006 at every try', async () => {
    const file = labFile('lt-sigint');
    for (let i = 0; i < 5; i++) {
      const child = execa('node', [...CLI, 'up', file], { reject: false, detached: true });
      let err = '';
      await new Promise<void>((resolve) => {
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('· nodes')) resolve();
        });
        void child.then(() => resolve());
      });
      process.kill(-child.pid!, 'SIGINT');
      const r = await child;
      expect(r.exitCode, `try ${i}: ${r.stderr}`).toBe(130);
      expect(r.stderr).toContain('PL3006');
      expect(comparable(await hostSnapshot()), `leak after Ctrl-C to the group, try ${i}`).toEqual(baseline);
    }
  });

  it('down works from the namespace prefix alone when the state is gone, and a second down is a no-op', async () => {
    await upLab(twin('lt-nostate'));
    // Everything in the state directory goes; its tmpfs stays mounted, and down must unmount it.
    for (const f of readdirSync('/run/podlab/lt-nostate')) rmSync(`/run/podlab/lt-nostate/${f}`, { recursive: true, force: true });
    expect(labsOnHost()).toContain('lt-nostate');
    const r = await down('lt-nostate');
    expect(r.existed).toBe(true);
    expect(r.processes).toBeGreaterThanOrEqual(4); // 2 pause + 2 servers, found by namespace
    expect(comparable(await hostSnapshot())).toEqual(baseline);
    const again = await execa('node', [...CLI, 'down', 'lt-nostate'], { reject: false });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('nothing to remove');
  });

  it('down stops a process the lab never recorded (a shell a learner left in a pod) with its own, and waits until all are gone', async () => {
    const state = await upLab(twin('lt-stray'));
    const own = [state.mountTemplate!, ...Object.values(state.pods).flatMap((p) => [p.pause!, ...Object.values(p.containers)])];
    expect(own.every(isAlive)).toBe(true);
    const pod = state.plan.pods.find((p) => p.name === 'a')!;
    const stray = spawn('nsenter', [`--net=/run/netns/${pod.netns}`, '--', 'sleep', '600'], { detached: true, stdio: 'ignore' });
    stray.unref();
    // nsenter joins the namespace, then becomes sleep.
    for (let i = 0; i < 200 && readFileSync(`/proc/${stray.pid}/comm`, 'utf8').trim() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
    const strayRec = recordOf(stray.pid!);
    try {
      expect(isAlive(strayRec)).toBe(true);
      const r = await down('lt-stray');
      // At least those: the DNS server under its recorded `unshare` is found in the pod's namespace
      // too, unless it has already died with its parent (--kill-child) by the time /proc is read.
      expect(r.processes).toBeGreaterThanOrEqual(own.length + 1);
      expect([...own, strayRec].filter(isAlive)).toEqual([]);
      expect(comparable(await hostSnapshot())).toEqual(baseline);
    } finally {
      if (isAlive(strayRec)) process.kill(strayRec.pid, 'SIGKILL');
    }
  });

  it('down holds every namespace of the lab open while it removes them, so the kernel frees them in one go, and keeps none after', async () => {
    await upLab(twin('lt-hold'));
    const lab = readdirSync('/run/netns').filter((n) => n.startsWith('podlab-lt-hold.'));
    const inodes = new Set(lab.map((n) => statSync(`/run/netns/${n}`).ino));
    expect(lab.length).toBeGreaterThanOrEqual(4); // fabric, node, two pods
    /** The network namespaces this process holds a descriptor of, by inode. */
    const heldHere = () =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const { ino } = statSync(`/proc/self/fd/${fd}`);
          return inodes.has(ino) ? [ino] : [];
        } catch {
          return [];
        }
      });
    let whileNamesGo: number[] | undefined;
    const watching: Executor = {
      ...realExecutor,
      run: async (argv, options) => {
        const r = await realExecutor.run(argv, options);
        // The names are gone now: what keeps each namespace alive is its processes and down's hold.
        if (argv.includes('-batch') && String(options?.input).includes('netns del')) whileNamesGo = heldHere();
        return r;
      },
    };
    await down('lt-hold', watching);
    expect(new Set(whileNamesGo)).toEqual(inodes);
    expect(heldHere()).toEqual([]);
    expect(comparable(await hostSnapshot())).toEqual(baseline);
  });

  it('down of a lab that never existed succeeds and changes nothing', async () => {
    const r = await execa('node', [...CLI, 'down', 'never-was-here'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(comparable(await hostSnapshot())).toEqual(baseline);
  });

  it('down --all removes every lab found by prefix, even without state', async () => {
    if (labsOnHost().length) {
      console.warn(`down --all test skipped: other podlab labs are up on this host (${labsOnHost().join(', ')})`);
      if (process.env.CI) throw new Error('CI host has foreign podlab labs');
      return;
    }
    await upLab(twin('lt-twin-a'));
    await upLab(twin('lt-twin-b'));
    // Lab b's state directory is gone, tmpfs and all: down --all finds it by its namespaces.
    await execa('umount', ['-l', '/run/podlab/lt-twin-b']);
    rmSync('/run/podlab/lt-twin-b', { recursive: true, force: true });
    const r = await execa('node', [...CLI, 'down', '--all', '--json'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).map((x: { lab: string }) => x.lab).sort()).toEqual(['lt-twin-a', 'lt-twin-b']);
    expect(comparable(await hostSnapshot())).toEqual(baseline);
  });

  it('a lab that fails validation changes nothing on the host', async () => {
    mkdirSync(TMP, { recursive: true });
    writeFileSync(`${TMP}/bad.lab.ts`, `import { defineLab } from 'podlab';\nexport default defineLab({ name: 'lt-bad', nodes: { w1: {} }, pods: { a: { node: 'w9' } } });\n`);
    const r = await execa('node', [...CLI, 'up', `${TMP}/bad.lab.ts`], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error PL2006 pods.a.node');
    expect(r.stderr).toContain('Nothing was changed on this host.');
    expect(comparable(await hostSnapshot())).toEqual(baseline);
  });
});
