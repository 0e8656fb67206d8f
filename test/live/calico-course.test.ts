/**
 * Live: labs/calico.lab.ts itself, the course's "Local Cluster – Calico CNI Plugin" on BGP (lab
 * renamed cal-course): every check of the lab passes (pod to pod without NAT across nodes, the
 * Service over three nodes, BIRD's routes and blackholes, the bgp and block checks, natOutgoing to
 * an outside host), and a learner's commands work as the docs say: `podlab exec <lab>
 * node/<n> -- birdc show protocols` (BIRD's socket of that node), `podlab status` with the pool,
 * blocks and sessions.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import calicoLab from '../../labs/calico.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const name = 'cal-course';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' } });

describe.skipIf(!live)('live labs/calico.lab.ts (cal-course)', () => {
  labAroundSuite({ ...(calicoLab as LabSpec), name });

  it('every check of the course lab passes', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.length).toBe((calicoLab as LabSpec).checks!.length);
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: expected ${r.expected}, saw ${r.seen}`)).toEqual([]);
  }, 90_000);

  it('podlab exec … node/<n> -- birdc show protocols talks to that node\'s BIRD; podlab status shows pool, blocks and sessions', async () => {
    const r = await podlab('exec', name, 'node/c1-master1', '--', 'birdc', 'show', 'protocols');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Mesh_172_16_94_11\s+BGP\s+.*Established/m);
    expect(r.stdout).toMatch(/^Mesh_172_16_94_13\s+BGP\s+.*Established/m);
    const s = await podlab('status', name);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(s.stdout).toContain('pool default-ipv4-ippool 10.244.0.0/16 (/26 blocks, natOutgoing true, encapsulation None)');
    expect(s.stdout).toMatch(/blocks c1-node2\s+10\.244\.0\.128\/26/);
    expect(s.stdout).toMatch(/bgp\s+c1-node3\s+c1-master1 Established, c1-node1 Established, c1-node2 Established/);
  }, 60_000);
});
