/**
 * `podlab calicoctl` and Calico's resources in the lab's API, pure: Go's table printers as
 * calicoctl v3.29 uses them (src/lib/go-tables.ts), `node status` from `birdc show protocols`
 * recorded on live labs (test/fixtures/outputs/birdc-protocols-*.txt: labs/calico.lab.ts with every
 * peer up and with c1-node3's BIRD stopped, labs/calico-dual-stack.lab.ts), `get ippool` and
 * `ipam show` over the plan of labs/calico.lab.ts seen up, the IPPool and BlockAffinity kinds
 * (served in a Calico lab alone), the Node's podCIDR in a Calico lab, and `podlab exec … --
 * calicoctl`. test/live/calicoctl.test.ts runs them on live labs, with the real kubectl.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import calicoSpec from '../../labs/calico.lab.ts';
import kubectlSpec from '../fixtures/labs/kubectl-lab.lab.ts';
import { handle, type ApiRequest } from '../../src/api/handlers.ts';
import { calicoNodes, ipPoolObjects } from '../../src/api/kinds/calico.ts';
import type { K8sObject } from '../../src/api/types.ts';
import { asV3, borrowedText, calicoctlPeers, ipamShowText, ipPoolTable, nodeStatusText, type NodeStatus } from '../../src/cli/calicoctl-views.ts';
import { parseCalicoctl } from '../../src/cli/calicoctl.ts';
import { render } from '../../src/cli/get.ts';
import { affinityName, blockAffinities, borrowedIps, cidrToName, ipamBlocks, nodeAnnotations, poolUsage, type RunningPod } from '../../src/cni/calico/resources.ts';
import type { CalicoNode } from '../../src/cni/calico/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { goG, goRound, tablewriterBox, tabwriterColumns } from '../../src/lib/go-tables.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { targetCommand } from '../../src/runtime/enter.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { upView } from './api-view.ts';

const recorded = (name: string) => readFileSync(new URL(`../fixtures/outputs/birdc-protocols-${name}.txt`, import.meta.url), 'utf8');

function planOf(spec: LabSpec, name = spec.name): Plan {
  const { lab, diagnostics } = validateValue({ ...spec, name }, `${name}.lab.ts`);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPlan(lab!);
}

const calicoPlan = planOf(calicoSpec as LabSpec, 'calico');
const calicoView = upView(calicoPlan);
const running = (plan: Plan): RunningPod[] => plan.pods.filter((p) => !p.hostNetwork).map((p) => ({ name: p.name, namespace: p.namespace, node: p.node, ips: p.ips ?? [p.ip] }));

describe("Go's printers, as calicoctl v3.29 prints with them", () => {
  it('%.5g and %.f as fmt writes them: exponents past five digits, ties to even', () => {
    expect([65536, 131072, 100000, 64, 0, 4.722366482869645e21, 1e-5].map((x) => goG(x))).toEqual(['65536', '1.3107e+05', '1e+05', '64', '0', '4.7224e+21', '1e-05']);
    expect([1.5625, 12.5, 13.5, 0.5, 99.9923].map(goRound)).toEqual(['2', '12', '14', '0', '100']);
  });

  it("tablewriter: +---+ rules, headers upper-cased and centred, numbers right-aligned, a cell past 30 columns wrapped at a space", () => {
    expect(tablewriterBox(['Peer address', 'Info', 'ips_total'], [['172.16.94.13', 'Passive Received: Administrative shutdown', '65536']])).toBe(
      [
        '+--------------+--------------------------------+-----------+',
        '| PEER ADDRESS |              INFO              | IPS TOTAL |',
        '+--------------+--------------------------------+-----------+',
        '| 172.16.94.13 | Passive Received:              |     65536 |',
        '|              | Administrative shutdown        |           |',
        '+--------------+--------------------------------+-----------+',
        '',
      ].join('\n'),
    );
    // tablewriter fills a shorter cell's missing lines with two spaces, which overflow a column one wide: as Go prints it.
    expect(tablewriterBox(['Info', 'n'], [['Passive Received: Administrative shutdown', '7']]).split('\n')[4]).toBe('| Administrative shutdown        |    |');
    // No rows: the header between rules, then the closing rule.
    expect(tablewriterBox(['IP'], [])).toBe('+----+\n| IP |\n+----+\n+----+\n');
  });

  it('tabwriter (minwidth 5, padding 3): every cell padded, the last one too', () => {
    expect(tabwriterColumns([['NAME', 'X'], ['ab', 'yes']])).toBe('NAME   X     \nab     yes   \n');
  });
});

describe('calicoctl node status, from birdc show protocols recorded on live labs', () => {
  const status = (bird: string, over: Partial<NodeStatus> = {}): NodeStatus => ({ node: 'c1-master1', ip: '172.16.94.10', calicoRunning: true, birdRunning: true, ...calicoctlPeers(bird), ...over });

  it('the mesh Established: a peer per Mesh_ protocol, its address from the name, since to the second, no IPv6 peers', () => {
    expect(nodeStatusText(status(recorded('mesh')))).toBe(
      [
        'Calico process is running.',
        '',
        'IPv4 BGP status',
        '+--------------+-------------------+-------+----------+-------------+',
        '| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |',
        '+--------------+-------------------+-------+----------+-------------+',
        '| 172.16.94.11 | node-to-node mesh | up    | 14:52:51 | Established |',
        '| 172.16.94.12 | node-to-node mesh | up    | 14:52:51 | Established |',
        '| 172.16.94.13 | node-to-node mesh | up    | 14:54:02 | Established |',
        '+--------------+-------------------+-------+----------+-------------+',
        '',
        'IPv6 BGP status',
        'No IPv6 peers found.',
        '',
        '',
      ].join('\n'),
    );
  });

  it("a peer whose BIRD stopped: start, Passive and BIRD's reason, wrapped as tablewriter wraps it", () => {
    const text = nodeStatusText(status(recorded('peer-stopped')));
    expect(text).toContain('| 172.16.94.13 | node-to-node mesh | start | 14:53:52 | Passive Received:              |\n|              |                   |       |          | Administrative shutdown        |\n');
  });

  it("dual stack: Calico's bird and bird6 are one BIRD here; the IPv6 mesh's peers (Mesh_fd00_172_16_94__b) in the IPv6 table", () => {
    const peers = calicoctlPeers(recorded('dual-stack'));
    expect(peers.ipv4.map((p) => p.peerAddress)).toEqual(['172.16.94.11', '172.16.94.12']);
    expect(peers.ipv6.map((p) => `${p.peerAddress} ${p.peerType} ${p.state} ${p.info}`)).toEqual(['fd00:172:16:94::b node-to-node mesh up Established', 'fd00:172:16:94::c node-to-node mesh up Established']);
    expect(nodeStatusText(status(recorded('dual-stack')))).toContain('IPv6 BGP status\n+-------------------+-------------------+-------+----------+-------------+\n|   PEER ADDRESS    |');
  });

  it('BGPPeers show as global and node specific; no BIRD (VXLAN, or stopped) and no namespace as calicoctl says them', () => {
    const peers = calicoctlPeers('BIRD 2.0.12 ready.\nNode_172_16_94_12 BGP        ---        up     05:19:34.332  Established   \nGlobal_172_16_94_10 BGP        ---        start  05:19:34.332  Active        Socket: Connection refused\n');
    expect(peers.ipv4.map((p) => [p.peerType, p.info])).toEqual([['node specific', 'Established'], ['global', 'Active Socket: Connection refused']]);
    expect(nodeStatusText(status('', { birdRunning: false }))).toBe('Calico process is running.\n\nThe BGP backend process (BIRD) is not running.\n\n');
    expect(nodeStatusText(status('', { calicoRunning: false }))).toBe('Calico process is not running.\n');
    expect(nodeStatusText(status('BIRD 2.0.12 ready.\n'))).toBe('Calico process is running.\n\nIPv4 BGP status\nNo IPv4 peers found.\n\nIPv6 BGP status\nNo IPv6 peers found.\n\n');
  });
});

describe('what follows calicoctl', () => {
  it('is parsed as calicoctl takes it: node status, get ippool (its names), ipam show', () => {
    expect(parseCalicoctl(['node', 'status', '--node', 'c1-node1'])).toEqual({ what: 'node status', node: 'c1-node1' });
    expect(parseCalicoctl(['get', 'ippools', '-o', 'wide'])).toEqual({ what: 'get ippool', output: 'wide' });
    expect(parseCalicoctl(['get', 'pool', 'default-ipv4-ippool', '-o', 'yaml'])).toEqual({ what: 'get ippool', name: 'default-ipv4-ippool', output: 'yaml' });
    expect(parseCalicoctl(['ipam', 'show'])).toEqual({ what: 'ipam show', show: 'pools' });
    expect(parseCalicoctl(['ipam', 'show', '--show-blocks'])).toEqual({ what: 'ipam show', show: 'blocks' });
  });

  it('anything else is a usage error, PL3141 (exit 2): an unknown command, resource or output, two --show-* at once', () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const args of [['apply', '-f', 'x.yaml'], ['get', 'bgppeer'], ['get', 'ippool', '-o', 'go-template'], ['ipam', 'show', '--show-blocks', '--show-borrowed'], ['node']]) {
        expect(() => parseCalicoctl(args), args.join(' ')).toThrow(CommanderError);
      }
      const said = err.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toMatch(/^error PL3141 unknown command 'apply'/m);
      expect(said).toMatch(/"bgppeer" is not a resource podlab's calicoctl shows: it shows ippool/);
      expect(said).toMatch(/--show-blocks and --show-borrowed cannot be used together/);
    } finally {
      err.mockRestore();
    }
  });
});

describe('calicoctl get ippool and ipam show over labs/calico.lab.ts seen up', () => {
  const nodes = calicoNodes(calicoPlan);

  it('get ippool: the default pool, wide with NAT, IPIPMODE, VXLANMODE, DISABLED, DISABLEBGPEXPORT; YAML as the v3 object', () => {
    const pools = ipPoolObjects(calicoView);
    expect(ipPoolTable(pools, false)).toBe('NAME                  CIDR            SELECTOR   \ndefault-ipv4-ippool   10.244.0.0/16   all()      \n\n');
    expect(ipPoolTable(pools, true)).toBe(
      'NAME                  CIDR            NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR   \ndefault-ipv4-ippool   10.244.0.0/16   true   Never      Never       false      false              all()      \n\n',
    );
    const v3 = asV3(pools[0]!);
    expect(Object.keys(v3)).toEqual(['kind', 'apiVersion', 'metadata', 'spec']);
    expect(v3).toMatchObject({ kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: { name: 'default-ipv4-ippool', uid: pools[0]!.metadata.uid }, spec: { cidr: '10.244.0.0/16', vxlanMode: 'Never', ipipMode: 'Never', natOutgoing: true, blockSize: 26, nodeSelector: 'all()', allowedUses: ['Workload', 'Tunnel'] } });
  });

  it('ipam show --show-blocks: each block of the pool in name order, an address in use per running pod (cluster DNS too)', () => {
    const usage = poolUsage(nodes, ipamBlocks(nodes, running(calicoPlan)));
    expect(ipamShowText(usage, true)).toBe(
      [
        '+----------+-----------------+-----------+------------+--------------+',
        '| GROUPING |      CIDR       | IPS TOTAL | IPS IN USE |   IPS FREE   |',
        '+----------+-----------------+-----------+------------+--------------+',
        '| IP Pool  | 10.244.0.0/16   |     65536 | 5 (0%)     | 65531 (100%) |',
        '| Block    | 10.244.0.0/26   |        64 | 1 (2%)     | 63 (98%)     |',
        '| Block    | 10.244.0.128/26 |        64 | 1 (2%)     | 63 (98%)     |',
        '| Block    | 10.244.0.192/26 |        64 | 1 (2%)     | 63 (98%)     |',
        '| Block    | 10.244.0.64/26  |        64 | 2 (3%)     | 62 (97%)     |',
        '+----------+-----------------+-----------+------------+--------------+',
        '',
      ].join('\n'),
    );
    expect(ipamShowText(usage, false).split('\n')).toHaveLength(6);
    // A pod gone frees its address.
    expect(poolUsage(nodes, ipamBlocks(nodes, running(calicoPlan).filter((p) => p.name !== 'client')))[0]!.blocks.find((b) => b.cidr === '10.244.0.64/26')!.inUse).toBe(1);
  });

  it('a borrowed address counts in the lender\'s block and is listed by --show-borrowed; a VXLAN tunnel address is in use', () => {
    const spec: LabSpec = {
      name: 'cv-borrow',
      cni: { type: 'calico', ipPool: { cidr: '10.244.0.0/28', blockSize: 30 } },
      nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' }, w3: { ip: '172.16.94.13' } },
      pods: Object.fromEntries(['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => [p, { node: 'w1' }])),
      dns: false,
    };
    const plan = planOf(spec);
    const blocks = ipamBlocks(calicoNodes(plan), running(plan));
    expect(borrowedIps(blocks)).toEqual([{ ip: '10.244.0.0', borrowingNode: 'w1', block: '10.244.0.0/30', blockOwner: 'cp', type: 'pod', allocatedTo: 'default/p5' }]);
    expect(borrowedText(borrowedIps(blocks)).split('\n').slice(1, 4)).toEqual(['|     IP     | BORROWING-NODE |     BLOCK     | BLOCK OWNER | TYPE | ALLOCATED-TO |', '+------------+----------------+---------------+-------------+------+--------------+', '| 10.244.0.0 | w1             | 10.244.0.0/30 | cp          | pod  | default/p5   |']);
    const vxlan = planOf({ ...spec, name: 'cv-vxlan', cni: { type: 'calico', encapsulation: 'VXLAN' }, pods: { a: { node: 'w1' } } });
    const w1 = ipamBlocks(calicoNodes(vxlan), running(vxlan)).find((b) => b.node === 'w1')!;
    expect(w1.allocations.map((a) => `${a.ip} ${a.type}`)).toEqual(['10.244.0.64 vxlanTunnelAddress', '10.244.0.65 pod']);
    expect(nodeAnnotations({ ...calicoNodes(vxlan)[1]!, ips: ['172.16.94.11'] }, ['172.16.94.0/24'])).toEqual({
      'projectcalico.org/IPv4Address': '172.16.94.11/24',
      'projectcalico.org/IPv4VXLANTunnelAddr': '10.244.0.64',
      'projectcalico.org/VXLANTunnelMACAddr': (calicoNodes(vxlan)[1]!.cni.routing as { vxlan: { mac: string } }).vxlan.mac,
    });
  });

  it("names: a CIDR as Calico names objects after it (IPv4 and IPv6), a BlockAffinity <node>-<block>", () => {
    expect(cidrToName('10.244.0.64/26')).toBe('10-244-0-64-26');
    expect(cidrToName('fd00:10:244::40/122')).toBe('fd00-10-244--40-122');
    expect(affinityName('c1-node1', '10.244.0.64/26')).toBe('c1-node1-10-244-0-64-26');
    expect(blockAffinities(nodes).map((a) => `${a.name} ${a.spec.node} ${a.spec.cidr} ${a.spec.state} ${a.spec.deleted}`)).toEqual([
      'c1-master1-10-244-0-0-26 c1-master1 10.244.0.0/26 confirmed false',
      'c1-node1-10-244-0-64-26 c1-node1 10.244.0.64/26 confirmed false',
      'c1-node2-10-244-0-128-26 c1-node2 10.244.0.128/26 confirmed false',
      'c1-node3-10-244-0-192-26 c1-node3 10.244.0.192/26 confirmed false',
    ]);
  });
});

describe("the lab's API in a Calico lab", () => {
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  const get = (view: typeof calicoView, path: string, accept = 'application/json') => {
    const r = handle(view, { method: 'GET', path, query: new URLSearchParams(), accept, contentType: 'application/json' } satisfies ApiRequest, 1);
    return (r.type === 'json' ? r.body : undefined) as K8sObject & Record<string, unknown>;
  };

  it('discovery lists crd.projectcalico.org/v1 with ippools and blockaffinities in a Calico lab, and nowhere else', () => {
    const groups = (v: typeof calicoView) => (get(v, '/apis').groups as { name: string }[]).map((g) => g.name);
    expect(groups(calicoView)).toContain('crd.projectcalico.org');
    const other = upView(planOf(kubectlSpec as LabSpec, 'kubectl-lab'));
    expect(groups(other)).not.toContain('crd.projectcalico.org');
    expect(() => get(other, '/apis/crd.projectcalico.org/v1/ippools')).toThrow(/could not find the requested resource/);
    expect((get(calicoView, '/apis/crd.projectcalico.org/v1').resources as { name: string; kind: string; namespaced: boolean; verbs: string[] }[]).map((r) => `${r.name} ${r.kind} ${r.namespaced} ${r.verbs.join(',')}`)).toEqual([
      'ippools IPPool false get,list,watch',
      'blockaffinities BlockAffinity false get,list,watch',
    ]);
  });

  it('kubectl get ippools / blockaffinities: NAME and CREATED AT as for any CRD without printer columns; the objects as the datastore holds them', () => {
    const t = get(calicoView, '/apis/crd.projectcalico.org/v1/ippools', TABLE) as unknown as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Created At']);
    expect(t.rows.map((r) => r.cells)).toEqual([['default-ipv4-ippool', '2026-01-01T00:00:00Z']]);
    const pool = get(calicoView, '/apis/crd.projectcalico.org/v1/ippools/default-ipv4-ippool');
    expect(pool).toMatchObject({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', spec: { cidr: '10.244.0.0/16', blockSize: 26, natOutgoing: true, ipipMode: 'Never', vxlanMode: 'Never', nodeSelector: 'all()' } });
    const affinity = get(calicoView, '/apis/crd.projectcalico.org/v1/blockaffinities/c1-node2-10-244-0-128-26');
    expect(affinity.spec).toEqual({ state: 'confirmed', node: 'c1-node2', cidr: '10.244.0.128/26', deleted: 'false' });
    // A block claimed at run time (the run-time IPAM adds it to the node's plan data) is a BlockAffinity at once.
    const grown = structuredClone(calicoPlan);
    (grown.nodes.find((n) => n.name === 'c1-node3')!.cni as unknown as CalicoNode).blocks.push('10.244.1.0/26');
    expect(((get(upView(grown), '/apis/crd.projectcalico.org/v1/blockaffinities').items as K8sObject[]).map((o) => o.metadata.name))).toContain('c1-node3-10-244-1-0-26');
  });

  it("a Node's spec.podCIDR is kube-controller-manager's slice of podCidr (podCidrMaskSize), not its Calico block; calico-node's annotation is on it", () => {
    const node = get(calicoView, '/api/v1/nodes/c1-node1');
    expect(node.spec).toMatchObject({ podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
    expect((node.metadata.annotations as Record<string, string>)['projectcalico.org/IPv4Address']).toBe('172.16.94.11/24');
    // podlab get nodes -o json says the same (spec.podCIDR); the node's blocks stay Calico's (plan podCidrs: its first block).
    const podCidrOf = (view: typeof calicoView, node: string) => (JSON.parse(render(view.status, 'nodes', { all: false, output: 'json', now: Date.parse('2026-01-01T00:01:00Z') })) as { items: { metadata: { name: string }; spec: { podCIDR?: string } }[] }).items.find((i) => i.metadata.name === node)!.spec.podCIDR;
    expect(podCidrOf(calicoView, 'c1-node1')).toBe('10.244.1.0/24');
    expect(calicoView.status.nodes.find((n) => n.name === 'c1-node1')!.podCidrs).toEqual(['10.244.0.64/26']);
    // Dual stack: one slice per family; a pod network too small for every node's slice leaves the last ones without one (<none>).
    const dual = planOf({ ...(calicoSpec as LabSpec), ipFamilies: ['IPv4', 'IPv6'], checks: [] }, 'cv-dual');
    expect((dual.nodes[1]!.cni as unknown as CalicoNode).kubePodCidrs).toEqual(['10.244.1.0/24', 'fd00:10:244:1::/64']);
    const small = planOf({ ...(calicoSpec as LabSpec), podCidr: '10.244.0.0/23', checks: [] }, 'cv-small');
    expect(small.nodes.map((n) => (n.cni as unknown as CalicoNode).kubePodCidrs)).toEqual([['10.244.0.0/24'], ['10.244.1.0/24'], [], []]);
    const smallView = upView(small);
    expect(get(smallView, '/api/v1/nodes/c1-node3').spec).not.toHaveProperty('podCIDR');
    expect(podCidrOf(smallView, 'c1-node3')).toBeUndefined();
  });
});

describe('podlab exec … node/<n> -- calicoctl', () => {
  it("is podlab calicoctl on that lab; node status is that node's", () => {
    const state = { lab: 'calico', plan: calicoPlan } as LabState;
    const [node, bin, ...rest] = targetCommand(state, 'node/c1-node2', ['calicoctl', 'node', 'status']);
    expect([node, bin!.endsWith('/bin/podlab.js'), ...rest]).toEqual([process.execPath, true, 'calicoctl', 'calico', 'node', 'status', '--node', 'c1-node2']);
    expect(targetCommand(state, 'node/c1-node2', ['calicoctl', 'get', 'ippool', '-o', 'wide']).slice(2)).toEqual(['calicoctl', 'calico', 'get', 'ippool', '-o', 'wide']);
    // In a pod, or in a lab without Calico, calicoctl is whatever the machine has.
    expect(targetCommand(state, 'client', ['calicoctl', 'node', 'status'])).toEqual(['calicoctl', 'node', 'status']);
    const other = { lab: 'kubectl-lab', plan: planOf(kubectlSpec as LabSpec, 'kubectl-lab') } as LabState;
    expect(targetCommand(other, 'node/worker-1', ['calicoctl', 'node', 'status'])).toEqual(['calicoctl', 'node', 'status']);
  });
});
