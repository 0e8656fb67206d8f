/**
 * What `up`, `down`, `pod recreate` and `dns reload` do to the host, in order, through the one
 * door (the Executor), asserted without root: a recording executor runs nothing, and the state
 * lives in a temporary directory. Parallel work (nodes, pods) is asserted per lane and by phase,
 * not as one total order.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-order-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import { PODLAB_UIDS } from '../../src/constants.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { reloadDns } from '../../src/runtime/dns.ts';
import { down } from '../../src/runtime/down.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { isAlive } from '../../src/runtime/procs.ts';
import { readState } from '../../src/runtime/state.ts';
import { up } from '../../src/runtime/up.ts';
import { recordingExecutor, type Recorder } from './recorder.ts';

/** Two nodes (flannel), a Service's backend and a client, and cluster DNS (on by default). */
const spec: LabSpec = {
  name: 'order',
  nodes: { a: {}, b: {} },
  pods: {
    web: { node: 'a', labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    client: { node: 'b', containers: [{ name: 'sh', command: ['sleep', 'infinity'] }] },
  },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
};

function planOf(s: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(s, 'order.lab.ts');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPlan(lab!);
}

/** The index of the first line matching `re` (failing the test when there is none). */
function at(lines: string[], re: RegExp, from = 0): number {
  const i = lines.findIndex((l, k) => k >= from && re.test(l));
  expect(i, `no line matching ${re} after line ${from} in:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

const recorders: Recorder[] = [];
const recorder = () => {
  const r = recordingExecutor();
  recorders.push(r);
  return r;
};

afterAll(() => {
  for (const r of recorders) r.close();
  rmSync(root, { recursive: true, force: true });
});

/** The lines of the first describe's `up` (a lab without node resolvers). */
let firstLines: string[] = [];
const lines0 = () => firstLines;

describe('up, through the executor', () => {
  const plan = planOf(spec);
  const ex = recorder();
  let lines: string[];
  beforeAll(async () => {
    await up(plan, render(plan), { ex });
    lines = firstLines = ex.lines();
  });

  it("mounts the lab's state tmpfs first, then makes every namespace in one batch", () => {
    expect(lines[0]).toBe(`mount -t tmpfs -o mode=0755,nosuid,nodev podlab-order ${root}/order`);
    expect(lines[1]).toBe('ip -batch -');
    const batch = ex.calls[1]!.op === 'run' ? ex.calls[1]!.input : '';
    for (const ns of ['fabric', 'node.a', 'node.b', 'pod.default.web', 'pod.default.client']) expect(batch).toContain(`netns add podlab-order.${ns}\n`);
  });

  it("starts the DNS pod's sandbox alongside the node network and its network first, and its server once every pod has its network, from sockets contain binds", () => {
    const namespaces = at(lines, /^ip -batch -$/);
    const template = at(lines, /^spawn \S+\/pause .*--mount-template$/);
    const dnsSandbox = at(lines, /^spawn \S+\/pause --netns \/run\/netns\/podlab-order\.pod\.kube-system\.coredns /);
    const dnsServer = at(lines, /^spawn nsenter -t \d+ .* -- unshare --pid .*podlab-dns/);
    const firstPod = at(lines, /^spawn \S+\/pause --netns \/run\/netns\/podlab-order\.pod\.default\./);
    const adds = ex.calls.flatMap((c, i) => (c.op === 'run' && c.env?.CNI_COMMAND === 'ADD' ? [{ i, ns: c.env.CNI_NETNS }] : []));
    expect(adds.length).toBe(3);
    expect([namespaces < template, template < dnsSandbox, dnsSandbox < firstPod, adds.at(-1)!.i < dnsServer]).toEqual([true, true, true, true]);
    expect(adds[0]!.ns).toContain('pod.kube-system.coredns');
    expect(lines[dnsServer]).toContain(' --listen tcp4:53 --listen udp4:53 ');
  });

  it("starts each node's sandbox (hostname, /etc/hosts) from the mount template, before any pod's but the DNS pod's (alongside), and records it", () => {
    const template = at(lines, /^spawn \S+\/pause .*--mount-template$/);
    const firstPod = at(lines, /^spawn \S+\/pause --netns \/run\/netns\/podlab-order\.pod\.default\./);
    for (const n of ['a', 'b']) {
      const node = at(lines, new RegExp(`^spawn \\S+/pause --netns /run/netns/podlab-order\\.node\\.${n} --hostname ${n} --mount-from /proc/\\d+/ns/mnt --write /etc/hosts=`));
      expect([template < node, node < firstPod]).toEqual([true, true]);
    }
    expect(Object.keys(readState('order')!.nodeSandboxes!).sort()).toEqual(['a', 'b']);
  });

  it('wires the node network, then each node (its sysctls, its batch, its FDB entries), before any other pod', () => {
    const fabric = at(lines, /^ip -n podlab-order\.fabric -batch .*\/ip\/fabric\.batch$/);
    const firstPod = at(lines, /^spawn \S+\/pause --netns \/run\/netns\/podlab-order\.pod\.default\./);
    for (const n of ['a', 'b']) {
      const batch = at(lines, new RegExp(`^ip -n podlab-order\\.node\\.${n} -batch .*/ip/node-${n}\\.batch$`));
      const fdb = at(lines, new RegExp(`^bridge -n podlab-order\\.node\\.${n} -batch .*/ip/fdb-${n}\\.batch$`));
      const sysctl = at(lines, new RegExp(`^nsenter --net=/run/netns/podlab-order\\.node\\.${n} -- sysctl -qw net\\.ipv4\\.ip_forward=1`));
      expect([fabric < sysctl, sysctl < batch, batch < fdb, fdb < firstPod]).toEqual([true, true, true, true]);
    }
  });

  it('per pod: its sandbox, then the CNI ADD in its node, then its containers; kube-proxy tables in every node', () => {
    for (const [pod, node, container] of [['web', 'a', '/workload http-echo'], ['client', 'b', ' sleep infinity']] as const) {
      const sandbox = at(lines, new RegExp(`^spawn \\S+/pause --netns /run/netns/podlab-order\\.pod\\.default\\.${pod} `));
      const add = ex.calls.findIndex((c) => c.op === 'run' && c.env?.CNI_COMMAND === 'ADD' && c.env.CNI_NETNS === `/run/netns/podlab-order.pod.default.${pod}`);
      const cmd = ex.calls[add]!;
      expect(cmd.op === 'run' && cmd.argv.slice(0, 3)).toEqual(['nsenter', `--net=/run/netns/podlab-order.node.${node}`, '--']);
      const started = lines.findIndex((l, i) => i > add && l.startsWith('spawn nsenter -t ') && l.includes(container));
      expect([sandbox < add, add < started]).toEqual([true, true]);
    }
    for (const n of ['a', 'b']) at(lines, new RegExp(`^nsenter --net=/run/netns/podlab-order\\.node\\.${n} -- nft -f -$`));
  });

  it('per pod with containers: its sandbox allows low ports as it starts (pause --low-ports), no sysctl process of its own', () => {
    for (const pod of ['web', 'client']) {
      const sandbox = at(lines, new RegExp(`^spawn \\S+/pause --netns /run/netns/podlab-order\\.pod\\.default\\.${pod} `));
      expect(lines[sandbox]).toContain(' --low-ports');
      expect(lines.filter((l) => l.includes(`/run/netns/podlab-order.pod.default.${pod} -- sysctl`))).toEqual([]);
    }
  });

  it('runs nothing else: every command is one podlab means to run', () => {
    const programs = new Set(ex.calls.flatMap((c) => (c.op === 'signal' ? [] : [c.argv[0] === 'nsenter' ? c.argv[c.argv.indexOf('--') + 1]!.split('/').at(-1)! : c.argv[0]!.split('/').at(-1)!])));
    expect([...programs].sort()).toEqual(['bridge', 'contain', 'ip', 'mount', 'nft', 'pause', 'sysctl', 'unshare']);
    expect(ex.calls.filter((c) => c.op === 'signal')).toEqual([]);
  });

  it('starts every container through contain, as a uid of its own from the container range, in a sandbox that allows low ports', () => {
    const spawned = ex.calls.flatMap((c) => (c.op === 'spawn' && c.argv[0] === 'nsenter' ? [[...c.argv]] : []));
    const uids = spawned.map((argv) => {
      const at = argv.findIndex((a) => a.endsWith('/contain'));
      expect(at, argv.join(' ')).toBeGreaterThan(0);
      expect(argv.slice(at + 1, at + 4)).toEqual(['--uid', argv[at + 2], '--gid']);
      return Number(argv[at + 2]);
    });
    const programs = spawned.map((argv) => argv[argv.indexOf('--', argv.findIndex((a) => a.endsWith('/contain'))) + 1]!.split('/').at(-1));
    expect(new Set(programs)).toEqual(new Set(['node', 'workload', 'sleep']));
    for (const uid of uids) expect(uid >= PODLAB_UIDS.container.first && uid < PODLAB_UIDS.container.first + PODLAB_UIDS.container.count).toBe(true);
    expect(new Set(uids).size).toBe(uids.length);
    // The pod's sandbox, started with --low-ports, before its first container.
    for (const pod of ['web', 'client']) {
      const sandbox = at(lines, new RegExp(`^spawn \\S+/pause --netns /run/netns/podlab-order\\.pod\\.default\\.${pod} .*--low-ports`));
      expect(sandbox).toBeLessThan(lines.findIndex((l) => l.startsWith('spawn nsenter -t ') && l.includes(`${pod === 'web' ? 'http-echo' : 'sleep'}`)));
    }
  });

  it('pod recreate: containers stopped, then the sandbox, CNI DEL, namespace gone and made again, sandbox, ADD, containers, tables', async () => {
    const state = readState('order')!;
    const old = state.pods.web!;
    const mark = ex.calls.length;
    await recreatePod(ex, state, 'web');
    const after = ex.lines().slice(mark);
    const i = {
      stopContainer: at(after, new RegExp(`^signal SIGTERM ${old.containers.web!.pid}$`)),
      stopSandbox: at(after, new RegExp(`^signal SIGTERM ${old.pause!.pid}$`)),
      del: ex.calls.slice(mark).findIndex((c) => c.op === 'run' && c.env?.CNI_COMMAND === 'DEL'),
      netnsDel: at(after, /^ip netns del podlab-order\.pod\.default\.web$/),
      netnsAdd: at(after, /^ip netns add podlab-order\.pod\.default\.web$/),
      sandbox: at(after, /^spawn \S+\/pause --netns \/run\/netns\/podlab-order\.pod\.default\.web /),
      add: ex.calls.slice(mark).findIndex((c) => c.op === 'run' && c.env?.CNI_COMMAND === 'ADD'),
      container: at(after, /^spawn nsenter -t \d+ .*\/workload http-echo/),
      tables: at(after, /^nsenter --net=\/run\/netns\/podlab-order\.node\.a -- nft -f -$/),
    };
    const order = Object.entries(i).sort(([, a], [, b]) => a - b).map(([k]) => k);
    expect(order).toEqual(['stopContainer', 'stopSandbox', 'del', 'netnsDel', 'netnsAdd', 'sandbox', 'add', 'container', 'tables']);
  });

  it('down: SIGKILL to every recorded process, and (no namespace or mount of this lab being on the host) nothing else to run', async () => {
    const state = readState('order')!;
    const recorded = [state.mountTemplate!, ...Object.values(state.nodeSandboxes ?? {}), ...Object.values(state.pods).flatMap((p) => [...(p.pause ? [p.pause] : []), ...Object.values(p.containers)])];
    const mark = ex.calls.length;
    await down('order', ex);
    const after = ex.lines().slice(mark);
    const kills = after.filter((l) => l.startsWith('signal SIGKILL '));
    expect(kills.sort()).toEqual(recorded.map((r) => `signal SIGKILL ${r.pid}`).sort());
    expect(after.filter((l) => !l.startsWith('signal '))).toEqual([]);
    expect(recorded.filter(isAlive)).toEqual([]);
    expect(readState('order')).toBeUndefined();
  });
});

describe('up of a dual-stack lab, through the executor', () => {
  const plan = planOf({ ...spec, name: 'order6', ipFamilies: ['IPv4', 'IPv6'] });
  const ex = recorder();
  let lines: string[];
  beforeAll(async () => {
    await up(plan, render(plan), { ex });
    lines = ex.lines();
  });

  it('turns DAD off in each node, on its node-network interface too, before its batch brings anything up', () => {
    for (const n of ['a', 'b']) {
      const sysctl = at(lines, new RegExp(`^nsenter --net=/run/netns/podlab-order6\\.node\\.${n} -- sysctl -qw `));
      const batch = at(lines, new RegExp(`^ip -n podlab-order6\\.node\\.${n} -batch .*/ip/node-${n}\\.batch$`));
      expect(lines[sysctl]!.split(' ')).toEqual(expect.arrayContaining(['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.eth0.accept_dad=0', 'net.ipv6.conf.all.forwarding=1']));
      expect(sysctl).toBeLessThan(batch);
    }
  });
});

describe('up of a lab with an upstream DNS host, through the executor', () => {
  const zone = '$ORIGIN example.org.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 7200 1800 86400 300\n  IN NS ns1\nns1 IN A 203.0.113.53\n';
  const plan = planOf({
    ...spec,
    name: 'orderup',
    hosts: { upstream: { network: 'external', ip: '203.0.113.53', dns: { zones: { 'example.org': zone } } } },
    dns: { corefile: '.:53 {\n    errors\n    kubernetes cluster.local\n    forward . 203.0.113.53\n    loop\n}\n', nameservers: ['host/upstream'] },
  });
  const ex = recorder();
  let lines: string[];
  beforeAll(async () => {
    await up(plan, render(plan), { ex });
    lines = ex.lines();
  });

  it("gives each node's sandbox the nodes' resolvers as /etc/resolv.conf (never the machine's); without any, no nameserver", () => {
    for (const n of ['a', 'b']) {
      const node = lines[at(lines, new RegExp(`^spawn \\S+/pause --netns /run/netns/podlab-orderup\\.node\\.${n} `))]!;
      expect(node).toMatch(/ --write \/etc\/resolv\.conf=# Generated by podlab from \S+ for node \w+: the nodes' resolvers \(dns\.nameservers\)\.\nnameserver 203\.0\.113\.53\n$/);
    }
    const plain = at(lines0(), /^spawn \S+\/pause --netns \/run\/netns\/podlab-order\.node\.a /);
    expect(lines0()[plain]).toContain(' --write /etc/resolv.conf=');
    expect(lines0()[plain]).not.toMatch(/\nnameserver /);
  });

  // Beside the pods' CNI calls, so not ordered against them: only against the cluster DNS.
  it("starts the host's server once its network is there, and the cluster DNS only after it (its loop probe forwards at once)", () => {
    const hostBatch = at(lines, /^ip -n podlab-orderup\.host\.upstream -batch /);
    const hostServer = at(lines, /^spawn nsenter --net=\S+podlab-orderup\.host\.upstream -- \S*contain .*podlab-dns/);
    const dnsServer = at(lines, /^spawn nsenter -t \d+ .* -- unshare --pid .*podlab-dns/);
    expect([hostBatch < hostServer, hostServer < dnsServer]).toEqual([true, true]);
  });
});

describe('dns reload, through the executor', () => {
  it('checks the new Corefile, installs it, and sends SIGUSR1 to the server (the container process\'s child)', async () => {
    const plan = planOf({ ...spec, name: 'order-dns' });
    const ex = recorder();
    await up(plan, render(plan), { ex });
    const state = readState('order-dns')!;
    const mark = ex.calls.length;
    reloadDns(ex, state, '.:53 {\n    errors\n    forward . 172.16.94.10\n}\n');
    const sent = ex.calls.slice(mark);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ op: 'signal', signal: 'SIGUSR1' });
    const container = state.pods.coredns!.containers.coredns!.pid;
    expect(sent[0]!.op === 'signal' && sent[0]!.pid).not.toBe(container);
    expect(() => reloadDns(ex, state, '.:53 {\n    forwrd . 172.16.94.10\n}\n')).toThrow(/does not load/);
    expect(ex.calls.length).toBe(mark + 1);
    await down('order-dns', ex);
  });
});

describe('a failed command during up, through the executor', () => {
  it('ends up with a coded CommandError (PL3050) naming the command and what it said', async () => {
    const plan = planOf({ ...spec, name: 'order-fail' });
    const failing = recordingExecutor((argv) => (argv[0] === 'ip' && argv.at(-1)?.endsWith('/ip/node-b.batch') ? { exitCode: 2, stdout: '', stderr: 'RTNETLINK answers: File exists' } : undefined));
    recorders.push(failing);
    await expect(up(plan, render(plan), { ex: failing })).rejects.toMatchObject({ code: 'PL3050', message: expect.stringMatching(/ip -n podlab-order-fail\.node\.b -batch .*node-b\.batch` failed \(exit 2\): RTNETLINK answers: File exists/) });
    await down('order-fail', failing);
  });
});
