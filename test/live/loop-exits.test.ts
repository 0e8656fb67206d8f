/**
 * Live: exit codes of containers the agent did not stop (issue #30). The agent is not the
 * containers' parent; each container's shim (contain --exit-file, runtime/exits.ts) writes how the
 * program ended, so `status` and the events show the real code, and restartPolicy acts on it:
 * a container that exits 3 is restarted under OnFailure and left terminated under Never; one that
 * exits 0 under OnFailure is left Completed; one whose shim is killed with SIGKILL (the pid status
 * shows) ended as its program did, by SIGKILL: 137.
 */
import { describe, expect, it } from 'vitest';
import { readEvents } from '../../src/runtime/events.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { labAroundSuite, liveGuard, upLabFile } from './host.ts';

const live = liveGuard();
const name = 'loop-exits';
const job = (pod: string) => labStatus(name)!.pods.find((p) => p.name === pod)!.containers[0]!;

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!live)('live: exit codes and restart policies (control loops)', () => {
  labAroundSuite({ name, up: () => upLabFile('test/fixtures/labs/loop-exits.lab.ts') });

  it('exit 3 under OnFailure: status shows exit code 3 (Error), and the container is restarted', async () => {
    await until('a restart of fails-onfailure', () => (job('fails-onfailure').restarts ?? 0) >= 1);
    const c = job('fails-onfailure');
    expect({ lastExitCode: c.lastExitCode, lastReason: c.lastReason }).toEqual({ lastExitCode: 3, lastReason: 'Error' });
    const said = readEvents(name).filter((e) => e.object === 'pod/fails-onfailure').map((e) => `${e.reason}: ${e.message}`);
    expect(said).toContain('Exited: container job exited with code 3 (Error)');
    expect(said.some((m) => m.startsWith('Restarted: container job restarted (restart 1)'))).toBe(true);
  }, 30_000);

  it('exit 3 under Never: exit code 3, terminated, never restarted', async () => {
    await until('fails-never to be terminated', () => job('fails-never').state === 'terminated');
    await new Promise((r) => setTimeout(r, 1500)); // longer than the back-off: a restart would have come
    const c = job('fails-never');
    expect({ restarts: c.restarts, lastExitCode: c.lastExitCode, state: c.state, reason: c.reason, alive: c.alive }).toEqual({ restarts: 0, lastExitCode: 3, state: 'terminated', reason: 'Error', alive: false });
    expect(readEvents(name).some((e) => e.reason === 'Restarted' && e.object === 'pod/fails-never')).toBe(false);
  }, 30_000);

  it('exit 0 under OnFailure: Completed, not restarted', async () => {
    await until('completes-onfailure to be terminated', () => job('completes-onfailure').state === 'terminated');
    await new Promise((r) => setTimeout(r, 1500));
    const c = job('completes-onfailure');
    expect({ restarts: c.restarts, lastExitCode: c.lastExitCode, state: c.state, reason: c.reason }).toEqual({ restarts: 0, lastExitCode: 0, state: 'terminated', reason: 'Completed' });
    expect(readEvents(name).map((e) => `${e.reason} ${e.object}`)).toContain('NotRestarted pod/completes-onfailure');
  }, 30_000);

  it('SIGKILL to the pid status shows (the shim): exit code 137 (signal 9), Error, as a kill -9 of the program', async () => {
    await until('killed-never to run', () => job('killed-never').alive);
    const pid = job('killed-never').pid;
    process.kill(pid, 'SIGKILL');
    await until('killed-never to be terminated', () => job('killed-never').state === 'terminated');
    const c = job('killed-never');
    expect({ lastExitCode: c.lastExitCode, lastReason: c.lastReason, state: c.state, reason: c.reason }).toEqual({ lastExitCode: 137, lastReason: 'Error', state: 'terminated', reason: 'Error' });
    const said = readEvents(name).filter((e) => e.object === 'pod/killed-never' && e.reason === 'Exited').map((e) => e.message);
    expect(said).toEqual(['container job exited with code 137 (signal 9) (Error)']);
  }, 30_000);

  it("a pod with its own PID namespace (shareProcessNamespace): the shim still reports exit code 3", async () => {
    await until('shared-never to be terminated', () => job('shared-never').state === 'terminated');
    const c = job('shared-never');
    expect({ restarts: c.restarts, lastExitCode: c.lastExitCode, reason: c.reason }).toEqual({ restarts: 0, lastExitCode: 3, reason: 'Error' });
  }, 30_000);
});
