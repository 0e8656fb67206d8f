/**
 * What `up` no longer waits for (issue 28): the lab's API server starts in the background, so
 * `podlab up` returns while it may still be making its certificates. `podlab kubeconfig` waits for
 * it; a `down` right after `up` stops it wherever it is, and leaves nothing of it behind. And the
 * DNS pod now starts alongside the node network: an `up` killed at any step still leaves nothing.
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

describe.skipIf(!live)("up's API server in the background", () => {
  beforeAll(async () => {
    await down(LAB);
  }, 60_000);
  afterAll(async () => {
    await down(LAB);
  }, 60_000);

  it('podlab kubeconfig right after up waits for the server, and kubectl gets an answer', async () => {
    const up = await podlab('up', LAB_FILE);
    expect(up.exitCode, up.stderr).toBe(0);
    const rec = readState(LAB)!.api!;
    expect(isAlive(rec)).toBe(true);
    const k = await podlab('kubeconfig', '--json', LAB);
    expect(k.exitCode, k.stderr).toBe(0);
    const info = JSON.parse(k.stdout) as { kubeconfig: string; server: string };
    expect(info.server).toBe(`https://127.0.0.1:${apiPort(LAB)}`);
    const pods = await execa('kubectl', ['get', 'pods', '-o', 'name'], { reject: false, env: { KUBECONFIG: info.kubeconfig }, timeout: 30_000 });
    expect(pods.stdout.trim().split('\n')).toContain('pod/web');
    expect((await podlab('down', LAB)).exitCode).toBe(0);
    expect(isAlive(rec)).toBe(false);
  }, 90_000);

  it('down at once after up stops the server however far it got, and leaves none of its files', async () => {
    for (let i = 0; i < 3; i++) {
      const up = await podlab('up', LAB_FILE);
      expect(up.exitCode, up.stderr).toBe(0);
      const rec = readState(LAB)!.api!;
      const d = await podlab('down', LAB);
      expect(d.exitCode, d.stderr).toBe(0);
      expect(isAlive(rec)).toBe(false);
      expect(apiServers()).toEqual([]);
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
