/**
 * Checks from a node run as the node would, the same view as `podlab exec … node/<name>`: its
 * hostname and its /etc/hosts (the lab's nodes by name), not only its network namespace. On the
 * lab see-nodes (c1-master1, c1-node1), `podlab check --json` passes a check that asks a node its
 * name and one that resolves the other node by name — which the host's own /etc/hosts cannot
 * (asserted first, so the test fails if the check ran in the host's view) — and sees the same
 * output `podlab exec` prints.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { liveGuard, upLab } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const name = 'see-nodes';

const lab: LabSpec = {
  name,
  nodes: { 'c1-master1': { role: 'control-plane' }, 'c1-node1': {} },
  cni: 'flannel',
  pods: { web: { node: 'c1-node1', containers: [container(workloads.httpEcho(8080))] } },
  checks: [
    { kind: 'command', from: 'node/c1-master1', command: ['hostname'], expectOutput: 'c1-master1', name: 'the node knows its name' },
    { kind: 'command', from: 'node/c1-master1', command: ['getent', 'hosts', 'c1-node1'], expectMatch: '^172\\.16\\.94\\.11\\s+c1-node1$', name: 'the node finds the other by name' },
    { kind: 'command', from: 'node/c1-node1', command: ['getent', 'hosts', 'c1-master1'], expectMatch: '^172\\.16\\.94\\.10\\s+c1-master1$', name: 'and back' },
  ],
};

const podlab = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 60_000 });

describe.skipIf(!live)('checks from a node, in its own view (lab see-nodes)', () => {
  beforeAll(async () => {
    await down(name);
    await upLab(lab);
  }, 120_000);
  afterAll(async () => {
    await down(name);
  }, 60_000);

  it("pass where only the node's view answers: its name, the other node by name", async () => {
    // The host's own view does not know c1-node1: a check run there would fail.
    expect((await execa('getent', ['hosts', 'c1-node1'], { reject: false })).exitCode).not.toBe(0);
    const r = await podlab('check', name, '--json');
    const report = JSON.parse(r.stdout) as { passed: boolean; results: { name: string; status: string; seen: string }[] };
    expect(report.results.map((x) => [x.name, x.status, x.seen])).toEqual([
      ['the node knows its name', 'pass', 'exit 0: c1-master1'],
      ['the node finds the other by name', 'pass', expect.stringMatching(/^exit 0: 172\.16\.94\.11\s+c1-node1$/)],
      ['and back', 'pass', expect.stringMatching(/^exit 0: 172\.16\.94\.10\s+c1-master1$/)],
    ]);
    expect(r.exitCode).toBe(0);
    // The same as a learner's exec on that node.
    const exec = await podlab('exec', name, 'node/c1-master1', '--', 'getent', 'hosts', 'c1-node1');
    expect(report.results[1]!.seen).toBe(`exit 0: ${exec.stdout.trim().replace(/\s+/g, ' ')}`);
  });
});
