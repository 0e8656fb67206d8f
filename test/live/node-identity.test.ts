/**
 * Node identity and `exec -c`, through the CLI, on the lab ui-nodes (the course's names: a
 * control plane c1-master1 and a worker c1-node1): a node has its own hostname and an /etc/hosts
 * listing the nodes, so `getent hosts c1-node1` answers on c1-master1; a hostNetwork pod's
 * container has its node's name and network (its own sandbox's UTS namespace, the node's network); the host's own hostname is untouched;
 * `exec -c` runs in the container's own view (its uid, its private /tmp) and names the containers
 * there are when asked for one that is not; a closed pipe (`status | head -1`) ends quietly.
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const name = 'ui-nodes';

const lab: LabSpec = {
  name,
  nodes: { 'c1-master1': { role: 'control-plane' }, 'c1-node1': {} },
  cni: 'flannel',
  pods: {
    web: { node: 'c1-node1', containers: [container(workloads.httpEcho(8080))] },
    agent: { node: 'c1-node1', hostNetwork: true, containers: [container(workloads.httpEcho(9090))] },
  },
};

const podlab = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 30_000 });

describe.skipIf(!live)('node identity and exec -c (lab ui-nodes)', () => {
  const hostBefore = hostname();
  labAroundSuite(lab);

  it('a node answers its own name and finds the other nodes by name (getent hosts)', async () => {
    const r = await podlab('exec', name, 'node/c1-master1', '--', 'getent', 'hosts', 'c1-node1');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^172\.16\.94\.11\s+c1-node1$/);
    expect((await podlab('exec', name, 'node/c1-node1', '--', 'hostname')).stdout.trim()).toBe('c1-node1');
    expect((await podlab('exec', name, 'node/c1-master1', '--', 'getent', 'hosts', 'c1-master1')).stdout.trim()).toMatch(/^172\.16\.94\.10\s+c1-master1$/);
    // The host's own name is its own.
    expect(hostname()).toBe(hostBefore);
    expect((await execa('hostname')).stdout.trim()).toBe(hostBefore);
  });

  it("a hostNetwork pod has its node's name: exec into it, and its container's own UTS namespace", async () => {
    expect((await podlab('exec', name, 'agent', '--', 'hostname')).stdout.trim()).toBe('c1-node1');
    const state = readState(name)!;
    const c = Object.values(state.pods.agent!.containers)[0]!;
    const node = state.nodeSandboxes!['c1-node1']!;
    // Its sandbox is its own (its resolv.conf follows its dnsPolicy), in the node's network with the node's name.
    expect(readlinkSync(`/proc/${c.pid}/ns/uts`)).toBe(readlinkSync(`/proc/${state.pods.agent!.pause!.pid}/ns/uts`));
    expect(readlinkSync(`/proc/${c.pid}/ns/net`)).toBe(readlinkSync(`/proc/${node.pid}/ns/net`));
    expect((await podlab('exec', name, 'agent', '-c', Object.keys(state.pods.agent!.containers)[0]!, '--', 'hostname')).stdout.trim()).toBe('c1-node1');
    // An ordinary pod keeps its own name.
    expect((await podlab('exec', name, 'web', '--', 'hostname')).stdout.trim()).toBe('web');
  });

  it("exec -c runs in the container's view: its uid, its private /tmp; without -c, the pod's sandbox as root", async () => {
    const state = readState(name)!;
    const [cname, rec] = Object.entries(state.pods.web!.containers)[0]!;
    const r = await podlab('exec', name, 'web', '-c', cname, '--', 'id', '-u');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(String(rec.uid));
    expect((await podlab('exec', name, 'web', '--', 'id', '-u')).stdout.trim()).toBe('0');
    // The container's /tmp is its own tmpfs (contain.c), not the sandbox's.
    const tmp = (args: string[]) => podlab('exec', name, 'web', ...args, '--', 'stat', '-f', '-c', '%T', '/tmp');
    expect((await tmp(['-c', cname])).stdout.trim()).toBe('tmpfs');
    const mnt = await podlab('exec', name, 'web', '-c', cname, '--', 'readlink', '/proc/self/ns/mnt');
    expect(mnt.stdout.trim()).toBe(readlinkSync(`/proc/${rec.pid}/ns/mnt`));
  });

  it('exec -c with a container the pod does not have: exit 2, naming the ones it has', async () => {
    const state = readState(name)!;
    const cname = Object.keys(state.pods.web!.containers)[0]!;
    const r = await podlab('exec', name, 'web', '-c', 'nope', '--', 'true');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`pod default/web has no container "nope"; its containers: ${cname}`);
    expect((await podlab('exec', name, 'node/c1-node1', '-c', cname, '--', 'true')).exitCode).toBe(2);
  });

  it('a closed pipe ends quietly: status | head -1, and a reader gone before the first write (exit 141, as SIGPIPE)', async () => {
    const head = await execa('bash', ['-c', `node ${BIN} status ${name} | head -1`], { reject: false });
    expect(head.stdout).toMatch(new RegExp(`^lab ${name}: up`));
    expect(head.stderr).toBe('');
    // \`true\` exits at once: every write podlab makes meets a closed pipe.
    const gone = await execa('bash', ['-c', `set -o pipefail; node ${BIN} status ${name} | true`], { reject: false });
    expect(gone.stderr).toBe('');
    expect(gone.exitCode).toBe(141);
  });
});
