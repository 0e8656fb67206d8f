/**
 * Stopping and starting a node's BIRD (Calico's BGP) on a live lab, for the scenario actions
 * stop-bird and start-bird. Stop: SIGTERM to the recorded pid (BIRD sends each peer a Cease, so they
 * drop its routes at once; its own kernel routes stay, `persist`), the record removed. Start: the
 * same argv `up` ran, in the node's namespace, recorded before it is awaited, ready once its control
 * socket exists again.
 */
import { existsSync, rmSync } from 'node:fs';
import { birdSocket } from '../cni/calico/index.ts';
import { birdDaemon } from './calico-status.ts';
import type { Executor } from './exec.ts';
import { isAlive, stopProcesses } from './procs.ts';
import { stateDir, writeState, type LabState } from './state.ts';
import { startNodeDaemons } from './up.ts';
import { releaseUid } from './uids.ts';

const key = birdDaemon;

/** What happened, or why nothing could: a node without BIRD (another mode, VXLAN) is an error. */
export async function setBird(ex: Executor, state: LabState, name: string, to: 'stop' | 'start'): Promise<{ pid?: number; was: 'running' | 'stopped' }> {
  const node = state.plan.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`lab "${state.lab}" has no node "${name}"`);
  if (node.cni.type !== 'calico' || (node.cni as unknown as { routing: { kind: string } }).routing.kind !== 'bgp')
    throw new Error(`node "${name}" of lab "${state.lab}" runs no BIRD (Calico BGP only)`);
  const rec = state.daemons?.[key(name)];
  const running = rec !== undefined && isAlive(rec);
  if (to === 'stop') {
    if (rec) await stopProcesses(ex, [rec], 3000);
    if (rec?.uid !== undefined) releaseUid(rec.uid, rec);
    delete state.daemons?.[key(name)];
    writeState(state);
    return { was: running ? 'running' : 'stopped' };
  }
  if (running) return { pid: rec.pid, was: 'running' };
  // A socket left by a BIRD that did not remove it would look ready at once.
  const socket = birdSocket(stateDir(state.lab), name);
  if (existsSync(socket)) rmSync(socket, { force: true });
  await startNodeDaemons(ex, state.plan, state, node, `${stateDir(state.lab)}/rendered`);
  return { pid: state.daemons?.[key(name)]?.pid, was: 'stopped' };
}
