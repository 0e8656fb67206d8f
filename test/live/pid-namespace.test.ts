/**
 * A pod's own PID namespace (shareProcessNamespace), through the CLI, on the lab see-pid: in pod
 * `shared` `ps -e` shows only the pod — its pause process as PID 1 and its two containers (and ps
 * itself) — from `exec` and from `exec -c`; a pod without the option sees the node's processes
 * (podlab's default); `down` leaves no process of the pod behind, the ones outside its namespace
 * (the recorded pause and contain parents) included.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const name = 'see-pid';

const lab: LabSpec = {
  name,
  nodes: { 'worker-1': {} },
  pods: {
    shared: { node: 'worker-1', shareProcessNamespace: true, containers: [container(workloads.httpEcho(8080)), container(workloads.tcpEcho(9000), 'tcp')] },
    plain: { node: 'worker-1', containers: [container(workloads.httpEcho(8080))] },
  },
};

const podlab = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 30_000 });

/** `ps -e` in a pod: [pid, command line] per process. */
async function ps(...target: string[]): Promise<[number, string][]> {
  const r = await podlab('exec', name, ...target, '--', 'ps', '-e', '-o', 'pid=,args=');
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(.*)$/)!)
    .map((m) => [Number(m[1]), m[2]!]);
}

/** Host pids of every process in the PID namespace `ns` (a /proc/PID/ns/pid link text). */
function pidsIn(ns: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readlinkSync(`/proc/${d}/ns/pid`) === ns;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const PF_EXITING = 0x4;

/**
 * Whether a process still runs: neither gone, nor a zombie, nor exiting. (A PID namespace's init
 * stays "exiting" until the host's init reaps the zombies its children became, which on a busy
 * host can take seconds; none of them runs any more.)
 */
function running(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const [state, , , , , , flags] = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return state !== 'Z' && state !== 'X' && (Number(flags) & PF_EXITING) === 0;
}

describe.skipIf(!live)('a pod with its own PID namespace (lab see-pid)', () => {
  labAroundSuite(lab);

  it('ps -e in the pod shows its pause as PID 1, its containers and nothing of the node', async () => {
    const procs = await ps('shared');
    expect(procs[0]).toEqual([1, '/pause --pid-init']);
    const rest = procs.slice(1).map(([, a]) => a);
    expect(rest.filter((a) => a.includes('workload http-echo --port 8080 --pod shared'))).toHaveLength(1);
    expect(rest.filter((a) => a.includes('workload tcp-echo --port 9000 --pod shared'))).toHaveLength(1);
    expect(rest.filter((a) => a.startsWith('ps '))).toHaveLength(1);
    expect(procs).toHaveLength(4);
    // From inside one container (exec -c), the same pod: the other container is there too.
    const inContainer = (await ps('shared', '-c', 'tcp')).map(([, a]) => a);
    expect(inContainer[0]).toBe('/pause --pid-init');
    expect(inContainer.some((a) => a.includes('http-echo --port 8080 --pod shared'))).toBe(true);
    expect(inContainer).toHaveLength(4);
  });

  it("a pod without it sees the node's processes (podlab's default), other pods' included", async () => {
    const procs = (await ps('plain')).map(([, a]) => a);
    expect(procs.some((a) => a.includes('--pod shared'))).toBe(true);
    expect(procs.length).toBeGreaterThan(10);
  });

  it('down leaves no process of the pod, inside its PID namespace or outside it', async () => {
    const state = readState(name)!;
    const pause = state.pods.shared!.pause!.pid;
    const ns = readlinkSync(`/proc/${pause}/ns/pid_for_children`);
    const inside = pidsIn(ns);
    expect(inside.length).toBe(3); // PID 1 and the two programs
    const outside = [pause, ...Object.values(state.pods.shared!.containers).map((c) => c.pid)];
    await down(name);
    expect([...inside, ...outside].filter(running)).toEqual([]);
  });
});
