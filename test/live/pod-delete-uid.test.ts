/**
 * Deleting one pod ends every process of its containers, also one a container forked out of its
 * process group (setsid, a double fork), which a stop by pid misses: before, such a child ran as
 * the container's uid until `down`. `pod delete` now ends what is left of each container's uid
 * (kill -1 as the uid) once the container is gone, and frees the uid only then. A container
 * restarted alone (restart-container) is emptied the same way. Lab ffdel.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { UID_LOCK_DIR } from '../../src/constants.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard, uidProcesses } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const name = 'ffdel';
/** A detached child in a session of its own, then the container's own long sleep. */
const FORKS = ['/bin/sh', '-c', 'setsid sleep 1001 & exec sleep infinity'];

/** A process of `uid` whose command line is `sleep 1001`: the detached child. */
const detached = (uid: number) => uidProcesses(uid).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim() === 'sleep 1001');

/** Waits (at most 5 s) until the container has forked its child. */
async function forked(uid: number): Promise<void> {
  const end = Date.now() + 5000;
  while (!detached(uid).length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

const podlab = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 60_000 });

describe.skipIf(!live)('pod delete ends what a container forked out of its process group (lab ffdel)', () => {
  labAroundSuite({
    name,
    nodes: { 'worker-1': {} },
    pods: {
      forker: { node: 'worker-1', containers: [{ name: 'f', command: FORKS }] },
      again: { node: 'worker-1', containers: [{ name: 'f', command: FORKS }] },
    },
    scenarios: { restart: { steps: [{ action: 'restart-container', pod: 'again', container: 'f' }] } },
  });

  it('pod delete: no process of the container’s uid is left, and the uid is free', async () => {
    const uid = readState(name)!.pods.forker!.containers.f!.uid!;
    await forked(uid);
    const child = detached(uid);
    expect(child.length).toBe(1);
    // Its own session: not in the container's process group.
    expect(readFileSync(`/proc/${child[0]}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]).toBe(child[0]);
    const del = await podlab('pod', 'delete', name, 'forker');
    expect(del.exitCode, del.stderr).toBe(0);
    expect(uidProcesses(uid)).toEqual([]);
    expect(existsSync(`${UID_LOCK_DIR}/${uid}`)).toBe(false);
  }, 30_000);

  it('restart-container: the old instance’s detached child ends with it', async () => {
    const uid = readState(name)!.pods.again!.containers.f!.uid!;
    await forked(uid);
    expect(detached(uid).length).toBe(1);
    const r = await podlab('scenario', name, 'restart');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const now = readState(name)!.pods.again!.containers.f!.uid!;
    expect(now).not.toBe(uid);
    expect(uidProcesses(uid)).toEqual([]);
  }, 30_000);
});
