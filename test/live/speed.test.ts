/**
 * What `up` no longer does (issue 28): the lab's API server starts on first use, with the first
 * `podlab kubeconfig`, which waits until it answers; the next ones reuse it, one that died is
 * replaced, and a `down` while it starts leaves nothing of it behind. And the DNS pod starts
 * alongside the node network: an `up` killed at any step still leaves nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPort } from '../../src/api/launch.ts';
import { down } from '../../src/runtime/down.ts';
import { isAlive } from '../../src/runtime/procs.ts';
import { readState } from '../../src/runtime/state.ts';
import { STEPS } from '../../src/runtime/up.ts';
import { liveGuard } from './host.ts';
import { scopedSnapshot } from './scoped.ts';

const live = liveGuard();
const LAB = 'spd-api';
const LAB_FILE = 'test/fixtures/labs/spd-api.lab.ts';
const ROOT = new URL('../../', import.meta.url).pathname;
const podlab = (...args: string[]) => execa(process.execPath, [`${ROOT}bin/podlab.js`, ...args], { reject: false, cwd: ROOT, timeout: 60_000 });

/** Processes whose command line names this lab's API server. */
function apiServers(): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('api-server') && cmd.includes(LAB)) out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe.skipIf(!live)('the API server on first use', () => {
  beforeAll(async () => {
    await down(LAB);
  }, 60_000);
  afterAll(async () => {
    await down(LAB);
  }, 60_000);

  const kubeconfig = async () => {
    const k = await podlab('kubeconfig', '--json', LAB);
    expect(k.exitCode, k.stderr).toBe(0);
    return JSON.parse(k.stdout) as { kubeconfig: string; server: string };
  };
  const kubectlPods = async (kubeconfig: string) =>
    (await execa('kubectl', ['get', 'pods', '-o', 'name'], { reject: false, env: { KUBECONFIG: kubeconfig }, timeout: 30_000 })).stdout.trim().split('\n');

  it('up starts none; the first podlab kubeconfig starts it and waits for it, the next reuse it, one that died is replaced', async () => {
    const up = await podlab('up', LAB_FILE);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain(`export KUBECONFIG=$(podlab kubeconfig ${LAB})`);
    expect(readState(LAB)!.api).toBeUndefined();
    expect(apiServers()).toEqual([]);
    const first = await kubeconfig();
    const rec = readState(LAB)!.api!;
    expect(isAlive(rec)).toBe(true);
    expect(first.server).toBe(`https://127.0.0.1:${apiPort(LAB)}`);
    expect(await kubectlPods(first.kubeconfig)).toContain('pod/web');
    // Again: the same server.
    expect((await kubeconfig()).server).toBe(first.server);
    expect(readState(LAB)!.api).toEqual(rec);
    expect(apiServers()).toEqual([rec.pid]);
    // Killed: the next kubeconfig starts another, and names its port, not the dead one's.
    process.kill(rec.pid, 'SIGKILL');
    await expect.poll(() => isAlive(rec)).toBe(false);
    const second = await kubeconfig();
    const rec2 = readState(LAB)!.api!;
    expect(rec2.pid).not.toBe(rec.pid);
    expect(second.server).toBe(`https://127.0.0.1:${apiPort(LAB)}`);
    expect(await kubectlPods(second.kubeconfig)).toContain('pod/web');
    expect((await podlab('down', LAB)).exitCode).toBe(0);
    expect(isAlive(rec2)).toBe(false);
  }, 90_000);

  it('down while podlab kubeconfig starts the server stops it however far it got, and leaves none of its files', async () => {
    // down at once, and down as soon as the server's process exists (before it answers).
    for (const when of ['at once', 'server spawned', 'server spawned']) {
      const up = await podlab('up', LAB_FILE);
      expect(up.exitCode, up.stderr).toBe(0);
      const k = podlab('kubeconfig', LAB);
      if (when === 'server spawned') await expect.poll(apiServers, { interval: 1, timeout: 10_000 }).not.toEqual([]);
      const d = await podlab('down', LAB);
      expect(d.exitCode, d.stderr).toBe(0);
      // kubeconfig printed the path (the server was ready before down), or said the lab is gone.
      expect([0, 1, 2]).toContain((await k).exitCode);
      // A server started after down read the state finds its lab gone and ends by itself.
      await expect.poll(apiServers, { timeout: 5000 }).toEqual([]);
      expect(existsSync(`/run/podlab/${LAB}`)).toBe(false);
    }
  }, 120_000);

  it('the flagship killed after every step of up (DNS pod starting beside the node network), then down: nothing of it is left', async () => {
    const lab = 'spd-crash';
    const source = readFileSync(`${ROOT}labs/pod-networking.lab.ts`, 'utf8');
    expect(source).toContain("name: 'pod-networking'");
    mkdirSync(`${ROOT}test/live/.tmp`, { recursive: true });
    const file = `${ROOT}test/live/.tmp/${lab}.lab.ts`;
    writeFileSync(file, source.replace("name: 'pod-networking'", `name: '${lab}'`));
    await down(lab);
    const baseline = await scopedSnapshot([lab]);
    try {
      for (let k = 0; k < STEPS.length; k++) {
        const r = await podlab('up', file, '--crash-after-step', String(k));
        expect(r.signal, `up should have been killed after step ${k}`).toBe('SIGKILL');
        const d = await podlab('down', lab);
        expect(d.exitCode, d.stderr).toBe(0);
        const now = await scopedSnapshot([lab]);
        expect({ netns: now.podlabNetns, state: now.state, mounts: now.stateMounts, procs: now.procs }, `leak after a crash at step ${k} (${STEPS[k]})`).toEqual({ netns: baseline.podlabNetns, state: baseline.state, mounts: baseline.stateMounts, procs: baseline.procs });
      }
    } finally {
      await down(lab);
    }
  }, 240_000);
});
