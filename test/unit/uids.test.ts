/**
 * The uids of containers and sandboxes (src/runtime/uids.ts): each holder gets a uid no live
 * holder has, a uid whose holder ended is taken over, a handed-over uid follows its new holder,
 * `sweepUids` frees exactly the ended holders' uids, and `releaseEnded` (down's) exactly the given
 * ended holders' own.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';

const dir = vi.hoisted(() => {
  // The lock directory is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const d = mkdtempSync(`${require('node:os').tmpdir()}/podlab-uids-`);
  process.env.PODLAB_UID_DIR = d;
  return d;
});

import { PODLAB_UIDS } from '../../src/constants.ts';
import { recordOf } from '../../src/runtime/procs.ts';
import { acquireUid, endContainerUids, releaseEnded, releaseUid, sweepUids, transferUid, uidHolder, uidsInUse } from '../../src/runtime/uids.ts';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small part of the sandbox pool, so that filling it is cheap. */
const SMALL = { first: PODLAB_UIDS.sandbox.first + 4000, count: 16 };
const inRange = (pool: 'container' | 'sandbox', uid: number) => uid >= PODLAB_UIDS[pool].first && uid < PODLAB_UIDS[pool].first + PODLAB_UIDS[pool].count;

describe('uids for containers and sandboxes', () => {
  it('the two ranges are disjoint, not root, below 2^31', () => {
    const { sandbox, container } = PODLAB_UIDS;
    expect(sandbox.first + sandbox.count).toBeLessThanOrEqual(container.first);
    expect(sandbox.first).toBeGreaterThan(65535);
    expect(container.first + container.count).toBeLessThan(2 ** 31);
  });

  it('200 holders at once get 200 different uids of their pool, each with its lock file naming the holder', () => {
    const uids = Array.from({ length: 200 }, (_, i) => acquireUid(i % 2 ? 'container' : 'sandbox'));
    expect(new Set(uids).size).toBe(200);
    uids.forEach((u, i) => expect(inRange(i % 2 ? 'container' : 'sandbox', u)).toBe(true));
    for (const u of uids) expect(uidHolder(u)).toEqual(recordOf(process.pid));
    for (const u of uids) releaseUid(u);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a uid whose holder has ended is taken over; a live holder's never is", async () => {
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const live = recordOf(child.pid!);
    const dead = { pid: live.pid, startTime: live.startTime + 1 }; // the pid, recycled: not that process
    const { first, count } = SMALL;
    // Fill the range: half with the live holder, half with an ended one.
    for (let i = 0; i < count; i++) writeFileSync(`${dir}/${first + i}`, `${(i % 2 ? dead : live).pid} ${(i % 2 ? dead : live).startTime}\n`);
    const got = acquireUid('sandbox', undefined, SMALL);
    expect((got - first) % 2).toBe(1);
    expect(uidHolder(got)).toEqual(recordOf(process.pid));
    // Once the live holder ends, sweeping frees every uid it held, and not the one just taken.
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(sweepUids()).toBe(count - 1);
    expect(readdirSync(dir)).toEqual([String(got)]);
    releaseUid(got);
  });

  it("an ended holder's uid is not taken over while a process still runs as that uid (a container's orphan)", () => {
    const me = recordOf(process.pid);
    const { first, count } = SMALL;
    // Every uid held by a live holder but one, whose holder ended; a process runs as that uid if we are root (then it must wait).
    const orphanUid = process.getuid!() === 0 ? first + 7 : undefined;
    for (let i = 0; i < count; i++) writeFileSync(`${dir}/${first + i}`, first + i === (orphanUid ?? first + 7) ? '1 1\n' : `${me.pid} ${me.startTime}\n`);
    if (orphanUid === undefined) {
      expect(acquireUid('sandbox', undefined, SMALL)).toBe(first + 7); // not root: nothing can run as it, so it is free
    } else {
      const orphan = spawn('sleep', ['30'], { uid: orphanUid, gid: orphanUid });
      try {
        const deadline = Date.now() + 5000;
        while (!readdirSync('/proc').some((p) => { try { return /^\d+$/.test(p) && require('node:fs').statSync(`/proc/${p}`).uid === orphanUid; } catch { return false; } }) && Date.now() < deadline) {}
        expect(() => acquireUid('sandbox', undefined, SMALL)).toThrow('are in use');
        expect(sweepUids()).toBe(0);
      } finally {
        orphan.kill('SIGKILL');
      }
    }
    for (let i = 0; i < count; i++) releaseUid(first + i);
  });

  it('transfer hands a uid to the container process; release by a holder that no longer holds it does nothing', () => {
    const uid = acquireUid('container');
    const container = { pid: 1, startTime: 12345 };
    transferUid(uid, container);
    expect(readFileSync(`${dir}/${uid}`, 'utf8')).toBe('1 12345\n');
    releaseUid(uid, recordOf(process.pid));
    expect(existsSync(`${dir}/${uid}`)).toBe(true);
    releaseUid(uid, container);
    expect(existsSync(`${dir}/${uid}`)).toBe(false);
  });

  it("releaseEnded frees the given ended holders' uids, and not a live holder's, a reused file or another's", async () => {
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const live = recordOf(child.pid!);
    const ended = { pid: live.pid, startTime: live.startTime + 1 };
    const other = { pid: 1, startTime: 1 }; // ended too, but not given
    const { first } = SMALL;
    writeFileSync(`${dir}/${first}`, `${ended.pid} ${ended.startTime}\n`);
    writeFileSync(`${dir}/${first + 1}`, `${live.pid} ${live.startTime}\n`);
    writeFileSync(`${dir}/${first + 2}`, `${other.pid} ${other.startTime}\n`); // taken over by someone since
    writeFileSync(`${dir}/${first + 3}`, `${other.pid} ${other.startTime}\n`);
    try {
      expect(await releaseEnded([{ uid: first, holder: ended }, { uid: first + 1, holder: live }, { uid: first + 2, holder: ended }, { uid: first + 5, holder: ended }])).toBe(1);
      expect(readdirSync(dir).sort()).toEqual([first + 1, first + 2, first + 3].map(String));
    } finally {
      child.kill('SIGKILL');
      for (let i = 0; i < 4; i++) releaseUid(first + i);
    }
  });

  it("endContainerUids (a pod deleted): ends what still runs as a gone container's uid, then frees it; never a uid taken over since, nor a live container's", async () => {
    const root = process.getuid!() === 0;
    const { first } = SMALL;
    const [gone, taken, alive] = [first + 11, first + 12, first + 13];
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const live = recordOf(child.pid!);
    const ended = { pid: live.pid, startTime: live.startTime + 1 };
    writeFileSync(`${dir}/${gone}`, `${ended.pid} ${ended.startTime}\n`);
    writeFileSync(`${dir}/${taken}`, '1 1\n');
    writeFileSync(`${dir}/${alive}`, `${live.pid} ${live.startTime}\n`);
    // As root, a detached child of the gone container still runs as its uid.
    const orphan = root ? spawn('sleep', ['30'], { uid: gone, gid: gone }) : undefined;
    if (orphan) await new Promise((r) => orphan.once('spawn', r));
    const killed: number[] = [];
    const kill = async (uid: number) => {
      killed.push(uid);
      orphan?.kill('SIGKILL');
    };
    try {
      const had = await endContainerUids([{ uid: gone, holder: ended }, { uid: taken, holder: ended }, { uid: alive, holder: live }], kill);
      expect({ had, killed }).toEqual(root ? { had: [gone], killed: [gone] } : { had: [], killed: [] });
      expect(readdirSync(dir).sort()).toEqual([taken, alive].map(String));
    } finally {
      child.kill('SIGKILL');
      orphan?.kill('SIGKILL');
      for (const u of [gone, taken, alive]) releaseUid(u);
    }
  });

  it('uidsInUse sees a process running as a uid, unless it is one of the dying ones it was told of', async () => {
    const root = process.getuid!() === 0;
    const uid = root ? SMALL.first + 9 : process.getuid!();
    const child = spawn('sleep', ['30'], root ? { uid, gid: uid } : {});
    await new Promise((r) => child.once('spawn', r));
    try {
      const deadline = Date.now() + 5000;
      while (!uidsInUse(new Set())(uid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(uidsInUse(new Set())(uid)).toBe(true);
      if (root) expect(uidsInUse(new Set([child.pid!]))(uid)).toBe(false);
      // A file naming an ended holder stays while something runs as its uid.
      writeFileSync(`${dir}/${uid}`, '1 1\n');
      expect(await releaseEnded([{ uid, holder: { pid: 1, startTime: 1 } }], uidsInUse(new Set()))).toBe(0);
      expect(existsSync(`${dir}/${uid}`)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      releaseUid(uid);
    }
  });

  it('when every uid of a pool is held by a live process, acquiring fails with a message naming the range', () => {
    const me = recordOf(process.pid);
    const { first, count } = SMALL;
    for (let i = 0; i < count; i++) writeFileSync(`${dir}/${first + i}`, `${me.pid} ${me.startTime}\n`);
    expect(() => acquireUid('sandbox', undefined, SMALL)).toThrow(`all ${count} sandbox uids (${first}-${first + count - 1}) are in use`);
    for (let i = 0; i < count; i++) releaseUid(first + i);
  });
});
