/**
 * `down` ends every process of a container, also a chain of short-lived forks: each shell starts
 * the next and exits, so no pid lives long enough for a pass over /proc to find it, and killing by
 * pid and by namespace left the chain running as the container's uid after `down`, with that uid
 * freed for the next container (a hostile-student audit's "ghost"). `down` now ends what is left by
 * uid (kill -1 as the uid) before it frees it. Lab dfc.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UID_LOCK_DIR } from '../../src/constants.ts';
import { down } from '../../src/runtime/down.ts';
import { labAroundSuite, liveGuard, uidProcesses } from './host.ts';

const live = liveGuard();
// Each generation starts the next in the background and exits; it stops after 20000 generations.
const CHAIN = 'n=${1:-0}; [ "$n" -lt 20000 ] || exit 0; sh -c "$0" "$0" $((n+1)) &';

describe.skipIf(!live)('down ends a chain of forks (lab dfc)', () => {
  const { lab } = labAroundSuite({
    name: 'dfc',
    nodes: { 'worker-1': {} },
    pods: { ghost: { node: 'worker-1', containers: [{ name: 'g', command: ['/bin/sh', '-c', `sh -c '${CHAIN}' '${CHAIN}'; exec sleep 1000`] }] } },
  });

  it('leaves no process running as the container\'s uid, and frees the uid only then', async () => {
    const uid = lab().pods.ghost!.containers.g!.uid!;
    await new Promise((r) => setTimeout(r, 300)); // the chain under way
    expect(uidProcesses(uid).length).toBeGreaterThan(0);
    const report = await down('dfc');
    expect(report.existed).toBe(true);
    // Whatever ran then is gone, and nothing starts again.
    for (let i = 0; i < 5; i++) {
      expect(uidProcesses(uid), `processes of uid ${uid} after down`).toEqual([]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(existsSync(`${UID_LOCK_DIR}/${uid}`)).toBe(false);
  }, 60_000);
});
