/**
 * Checks from a node run as the node would, the same view as `podlab exec … node/<name>`: its
 * hostname and its /etc/hosts (the lab's nodes by name), not only its network namespace. On the
 * lab see-nodes (c1-master1, c1-node1), `podlab check --json` passes a check that asks a node its
 * name and one that resolves the other node by name — which the host's own /etc/hosts cannot
 * (asserted first, so the test fails if the check ran in the host's view) — and sees the same
 * output `podlab exec` prints. And the tools scripts/setup.sh installs for learners work through
 * `podlab exec`: traceroute across the nodes to a pod, conntrack showing its flows, tcpdump.
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

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
  labAroundSuite(lab);

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

  it('the tools setup.sh installs work through exec: traceroute to a pod on the other node, conntrack, tcpdump', async () => {
    const setup = readFileSync(new URL('../../scripts/setup.sh', import.meta.url), 'utf8').match(/^PACKAGES=\((.*)\)$/m)![1]!.split(' ');
    for (const p of ['tcpdump', 'traceroute', 'conntrack']) expect(setup).toContain(p);
    const web = readState(name)!.plan.pods.find((p) => p.name === 'web')!.ip;
    const tr = await podlab('exec', name, 'node/c1-master1', '--', 'traceroute', '-n', '-q', '1', '-w', '1', web);
    expect(tr.exitCode, tr.stderr).toBe(0);
    // Over flannel: c1-node1's flannel.1 address (10.244.x.0), then the pod.
    expect(tr.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1])).toEqual([web.replace(/\.\d+$/, '.0'), web]);
    const ct = await podlab('exec', name, 'node/c1-master1', '--', 'conntrack', '-L', '-p', 'udp', '-d', web);
    expect(ct.exitCode, ct.stderr).toBe(0);
    expect(ct.stdout).toMatch(new RegExp(`^udp .* dst=${web.replace(/\./g, '\\.')} sport=\\d+ dport=334\\d\\d `, 'm'));
    const td = await podlab('exec', name, 'web', '--', 'tcpdump', '--version');
    expect(td.exitCode, td.stderr).toBe(0);
    expect(td.stdout).toMatch(/^tcpdump version /);
  });
});
