/**
 * Live: Calico as a Calico user sees it, on live labs, through podlab's CLI and the real kubectl.
 * - cv-course (labs/calico.lab.ts): `podlab calicoctl … node status` against what each node's BIRD
 *   says, the same on the node through `podlab exec … -- calicoctl node status`; `get ippool`;
 *   `ipam show --show-blocks` counting the running pods; `kubectl get ippools` and
 *   `blockaffinities` (the same objects: one uid), the Nodes' podCIDR (kube-controller-manager's
 *   slice, not the block); a block claimed at run time shows at once in both.
 * - cv-borrow: an address borrowed from another node's block (`ipam show --show-borrowed`).
 * - cv-kubenet: a lab without Calico is PL3170, and serves no Calico kinds.
 */
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import calicoLab from '../../labs/calico.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { labAroundSuite, liveGuard } from './host.ts';
import { GIVEN_CA_CERTS } from './kubectl-cli.ts';

const live = liveGuard();
const ROOT = new URL('../../', import.meta.url).pathname;
/** `podlab <args>` from this checkout, its output whole: calicoctl's ends in a blank line. */
const podlab = (...args: string[]) => execa(`${ROOT}bin/podlab.js`, args, { reject: false, cwd: ROOT, timeout: 60_000, stripFinalNewline: false, env: { NODE_EXTRA_CA_CERTS: GIVEN_CA_CERTS } });
const kubectlWith = (kubeconfig: string) => (...args: string[]) => execa('kubectl', args, { reject: false, env: { KUBECONFIG: kubeconfig }, timeout: 30_000, stripFinalNewline: false });

/** A lab brought up by the runtime, and a kubectl against its API server (started by `podlab kubeconfig`). */
function suiteLab(spec: LabSpec) {
  const k = { kubectl: kubectlWith('') };
  labAroundSuite(spec);
  beforeAll(async () => {
    const c = await podlab('kubeconfig', spec.name);
    if (c.exitCode !== 0) throw new Error(`podlab kubeconfig failed: ${c.stderr}`);

    k.kubectl = kubectlWith(c.stdout.trim());
  }, 60_000);
  return k;
}

/** Until every BGP session of every node's BIRD is Established (the mesh converges within seconds of `up`). */
async function meshEstablished(lab: string, nodes: readonly string[], timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const outs = await Promise.all(nodes.map((n) => execa('birdc', ['-s', `/run/podlab/${lab}/bird-${n}.ctl`, 'show', 'protocols'], { reject: false })));
    const sessions = outs.flatMap((o) => o.stdout.split('\n').filter((l) => /^Mesh_\S+\s+BGP/.test(l)));
    if (sessions.length === nodes.length * (nodes.length - 1) && sessions.every((l) => /\sEstablished/.test(l))) return;
    if (Date.now() > until) throw new Error(`the BGP mesh of ${lab} is not Established: ${sessions.join('; ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The table rows (cells) of a tablewriter box. */
const boxRows = (text: string) => text.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));

describe.skipIf(!live)('live calicoctl views of labs/calico.lab.ts (cv-course)', () => {
  const name = 'cv-course';
  const spec: LabSpec = {
    ...(calicoLab as LabSpec),
    name,
    // A block claimed at run time: c1-node3's block is full (reserved), so web-3 created again takes a new one.
    scenarios: { 'new-block': { steps: [{ action: 'delete-pod', pod: 'web-3' }, { action: 'exhaust-block', node: 'c1-node3' }, { action: 'create-pod', pod: 'web-3' }] } },
  };
  const k = suiteLab(spec);
  beforeAll(() => meshEstablished(name, ['c1-master1', 'c1-node1', 'c1-node2', 'c1-node3']), 30_000);

  it("node status: each peer of the node's BIRD, as calicoctl prints it: node-to-node mesh, up, Established; no IPv6 peers", async () => {
    const r = await podlab('calicoctl', name, 'node', 'status', '--node', 'c1-master1');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Calico process is running\.\n\nIPv4 BGP status\n\+-+\+-+\+-+\+-+\+-+\+\n\| PEER ADDRESS \|     PEER TYPE     \| STATE \|  SINCE   \|    INFO     \|\n/);
    expect(r.stdout).toMatch(/\n\nIPv6 BGP status\nNo IPv6 peers found\.\n\n$/);
    const rows = boxRows(r.stdout).slice(1);
    expect(rows.map((c) => [c[0], c[1], c[2], c[4]])).toEqual(['172.16.94.11', '172.16.94.12', '172.16.94.13'].map((ip) => [ip, 'node-to-node mesh', 'up', 'Established']));
    expect(rows.every((c) => /^\d\d:\d\d:\d\d$/.test(c[3]!))).toBe(true);
    // What BIRD itself says, session by session (its since to the millisecond; calicoctl's to the second).
    const bird = await execa('birdc', ['-s', `/run/podlab/${name}/bird-c1-master1.ctl`, 'show', 'protocols'], { reject: false });
    for (const c of rows) expect(bird.stdout).toMatch(new RegExp(`^Mesh_${c[0]!.replaceAll('.', '_')}\\s+BGP\\s+---\\s+up\\s+${c[3]}\\.\\d{3}\\s+Established`, 'm'));
  }, 60_000);

  it('podlab exec … node/c1-node2 -- calicoctl node status is the same, as on that node; without --node every node in turn', async () => {
    const onNode = await podlab('exec', name, 'node/c1-node2', '--', 'calicoctl', 'node', 'status');
    expect(onNode.exitCode, onNode.stderr).toBe(0);
    expect(boxRows(onNode.stdout).slice(1).map((c) => c[0])).toEqual(['172.16.94.10', '172.16.94.11', '172.16.94.13']);
    const direct = await podlab('calicoctl', name, 'node', 'status', '--node', 'c1-node2');
    expect(onNode.stdout).toBe(direct.stdout);
    const all = await podlab('calicoctl', name, 'node', 'status');
    expect(all.stdout.match(/^# node \S+ \(\S+\)$/gm)).toEqual(['# node c1-master1 (172.16.94.10)', '# node c1-node1 (172.16.94.11)', '# node c1-node2 (172.16.94.12)', '# node c1-node3 (172.16.94.13)']);
    const json = JSON.parse((await podlab('calicoctl', name, 'node', 'status', '--json')).stdout) as { nodes: { node: string; birdRunning: boolean; ipv4: { info: string }[] }[] };
    expect(json.nodes.map((n) => `${n.node} ${n.birdRunning} ${n.ipv4.map((p) => p.info).join(',')}`)).toEqual(['c1-master1', 'c1-node1', 'c1-node2', 'c1-node3'].map((n) => `${n} true Established,Established,Established`));
  }, 60_000);

  it('get ippool -o wide: the pool as calicoctl lists it; -o yaml is the object kubectl get ippools serves (one uid)', async () => {
    const wide = await podlab('calicoctl', name, 'get', 'ippool', '-o', 'wide');
    expect(wide.exitCode, wide.stderr).toBe(0);
    expect(wide.stdout).toBe(
      'NAME                  CIDR            NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR   \ndefault-ipv4-ippool   10.244.0.0/16   true   Never      Never       false      false              all()      \n\n',
    );
    const yaml = await podlab('exec', name, 'node/c1-node1', '--', 'calicoctl', 'get', 'ippool', '-o', 'yaml');
    expect(yaml.stdout).toMatch(/^apiVersion: projectcalico\.org\/v3\nitems:\n- apiVersion: projectcalico\.org\/v3\n  kind: IPPool\n/);
    expect(yaml.stdout).toMatch(/\n    cidr: 10\.244\.0\.0\/16\n    ipipMode: Never\n    natOutgoing: true\n    nodeSelector: all\(\)\n    vxlanMode: Never\nkind: IPPoolList\n/);
    const uid = await k.kubectl('get', 'ippools.crd.projectcalico.org', 'default-ipv4-ippool', '-o', 'jsonpath={.metadata.uid}');
    expect(uid.exitCode, uid.stderr).toBe(0);
    expect(yaml.stdout).toContain(`    uid: ${uid.stdout}\n`);
  }, 60_000);

  it('kubectl get ippools and blockaffinities: NAME and CREATED AT; a BlockAffinity per node and block', async () => {
    const pools = await k.kubectl('get', 'ippools');
    expect(pools.exitCode, pools.stderr).toBe(0);
    expect(pools.stdout).toMatch(/^NAME\s+CREATED AT\ndefault-ipv4-ippool\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    const aff = await k.kubectl('get', 'blockaffinities', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.node} {.spec.cidr} {.spec.state}{"\\n"}{end}');
    expect(aff.stdout.trim().split('\n')).toEqual(['c1-master1-10-244-0-0-26 c1-master1 10.244.0.0/26 confirmed', 'c1-node1-10-244-0-64-26 c1-node1 10.244.0.64/26 confirmed', 'c1-node2-10-244-0-128-26 c1-node2 10.244.0.128/26 confirmed', 'c1-node3-10-244-0-192-26 c1-node3 10.244.0.192/26 confirmed']);
    const resources = await k.kubectl('api-resources', '--api-group=crd.projectcalico.org', '--no-headers');
    expect(resources.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]).sort()).toEqual(['blockaffinities', 'ippools']);
  }, 60_000);

  it("the Nodes' podCIDR is kube-controller-manager's /24 slice, in kubectl and podlab get alike; the blocks are Calico's", async () => {
    const nodes = await k.kubectl('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR} {.metadata.annotations.projectcalico\\.org/IPv4Address}{"\\n"}{end}');
    expect(nodes.stdout.trim().split('\n')).toEqual(['c1-master1 10.244.0.0/24 172.16.94.10/24', 'c1-node1 10.244.1.0/24 172.16.94.11/24', 'c1-node2 10.244.2.0/24 172.16.94.12/24', 'c1-node3 10.244.3.0/24 172.16.94.13/24']);
    const get = await podlab('get', 'nodes', name, '-o', 'json');
    expect((JSON.parse(get.stdout) as { items: { spec: { podCIDR?: string } }[] }).items.map((i) => i.spec.podCIDR)).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
  }, 60_000);

  it('ipam show --show-blocks: an address in use per running pod, in the block it came from; --show-configuration: StrictAffinity false', async () => {
    const r = await podlab('calicoctl', name, 'ipam', 'show', '--show-blocks');
    expect(r.exitCode, r.stderr).toBe(0);
    const status = labStatus(name)!;
    const inBlock = (block: string) => status.pods.filter((p) => p.running && p.ip.startsWith('10.244.0.') && Math.floor(Number(p.ip.split('.')[3]) / 64) * 64 === Number(block.split('.')[3]!.split('/')[0])).length;
    expect(boxRows(r.stdout)).toEqual([
      ['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'],
      ['IP Pool', '10.244.0.0/16', '65536', '5 (0%)', '65531 (100%)'],
      ...['10.244.0.0/26', '10.244.0.128/26', '10.244.0.192/26', '10.244.0.64/26'].map((b) => ['Block', b, '64', `${inBlock(b)} (${Math.round((inBlock(b) * 100) / 64)}%)`, `${64 - inBlock(b)} (${Math.round(((64 - inBlock(b)) * 100) / 64)}%)`]),
    ]);
    const config = await podlab('calicoctl', name, 'ipam', 'show', '--show-configuration');
    expect(boxRows(config.stdout)).toEqual([['PROPERTY', 'VALUE'], ['StrictAffinity', 'false'], ['AutoAllocateBlocks', 'true'], ['MaxBlocksPerHost', '0']]);
  }, 60_000);

  it('a block claimed at run time is a BlockAffinity and a row of ipam show at once', async () => {
    const [s] = await runScenarios(name, ['new-block'], realExecutor);
    expect(s!.steps.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.message}`)).toEqual([]);
    const aff = await k.kubectl('get', 'blockaffinities', '-o', 'name');
    expect(aff.stdout).toContain('blockaffinity.crd.projectcalico.org/c1-node3-10-244-1-0-26\n');
    const r = await podlab('calicoctl', name, 'ipam', 'show', '--show-blocks');
    // web-3 left 10.244.0.192/26 (its reserved addresses are no allocations, as before Calico v3.34) for 10.244.1.0/26.
    expect(boxRows(r.stdout).filter((c) => c[1] === '10.244.0.192/26' || c[1] === '10.244.1.0/26')).toEqual([
      ['Block', '10.244.0.192/26', '64', '0 (0%)', '64 (100%)'],
      ['Block', '10.244.1.0/26', '64', '1 (2%)', '63 (98%)'],
    ]);
  }, 120_000);

  it('usage errors and a pool that is not there are coded: PL3141 (exit 2), PL3171 (exit 1); a lab that is not up PL3113', async () => {
    const bad = await podlab('calicoctl', name, 'get', 'bgppeers');
    expect([bad.exitCode, bad.stderr]).toEqual([2, expect.stringMatching(/^error PL3141 .*"bgppeers" is not a resource podlab's calicoctl shows/)]);
    const none = await podlab('calicoctl', name, 'get', 'ippool', 'nope');
    expect([none.exitCode, none.stderr]).toEqual([1, expect.stringMatching(/^error PL3171 resource does not exist: IPPool\(nope\)/)]);
    const down = await podlab('calicoctl', 'cv-not-up', 'ipam', 'show', '--json');
    expect(down.exitCode).toBe(2);
    expect(JSON.parse(down.stdout).diagnostics[0].code).toBe('PL3113');
  }, 60_000);
});

describe.skipIf(!live)('live calicoctl ipam show --show-borrowed (cv-borrow)', () => {
  const name = 'cv-borrow';
  // Pool 10.244.0.0/28 in /30 blocks: one block each for the four nodes; w1's fifth pod borrows cp's first address.
  const k = suiteLab({
    name,
    cni: { type: 'calico', ipPool: { cidr: '10.244.0.0/28', blockSize: 30 } },
    nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' }, w3: { ip: '172.16.94.13' } },
    pods: Object.fromEntries(['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => [p, { node: 'w1' }])),
    dns: false,
  });

  it("the borrowed address, the lender's block counting it, and four BlockAffinities", async () => {
    const borrowed = await podlab('calicoctl', name, 'ipam', 'show', '--show-borrowed');
    expect(borrowed.exitCode, borrowed.stderr).toBe(0);
    expect(boxRows(borrowed.stdout)).toEqual([
      ['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO'],
      ['10.244.0.0', 'w1', '10.244.0.0/30', 'cp', 'pod', 'default/p5'],
    ]);
    const blocks = await podlab('calicoctl', name, 'ipam', 'show', '--show-blocks');
    expect(boxRows(blocks.stdout).slice(1)).toEqual([
      ['IP Pool', '10.244.0.0/28', '16', '5 (31%)', '11 (69%)'],
      ['Block', '10.244.0.0/30', '4', '1 (25%)', '3 (75%)'],
      ['Block', '10.244.0.12/30', '4', '0 (0%)', '4 (100%)'],
      ['Block', '10.244.0.4/30', '4', '4 (100%)', '0 (0%)'],
      ['Block', '10.244.0.8/30', '4', '0 (0%)', '4 (100%)'],
    ]);
    const aff = await k.kubectl('get', 'blockaffinities', '--no-headers', '-o', 'custom-columns=N:.metadata.name');
    expect(aff.stdout.trim().split('\n')).toEqual(['cp-10-244-0-0-30', 'w1-10-244-0-4-30', 'w2-10-244-0-8-30', 'w3-10-244-0-12-30']);
  }, 60_000);
});

describe.skipIf(!live)('live calicoctl on a lab without Calico (cv-kubenet)', () => {
  const name = 'cv-kubenet';
  const k = suiteLab({ name, cni: 'kubenet', nodes: { n1: { role: 'control-plane' } }, dns: false });

  it('is PL3170 (exit 2); its API serves no ippools', async () => {
    const r = await podlab('calicoctl', name, 'node', 'status');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error PL3170 lab "cv-kubenet" uses cni 'kubenet', not Calico/);
    const pools = await k.kubectl('get', 'ippools');
    expect(pools.exitCode).not.toBe(0);
    expect(pools.stderr).toContain('the server doesn\'t have a resource type "ippools"');
  }, 60_000);
});
