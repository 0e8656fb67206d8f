/**
 * What `podlab status` adds for a Calico lab: its IP pool, the blocks each node holds (its
 * blackhole routes, read live; a borrowed address shows as a /32 route to a pod on a node that
 * does not hold its block) and each node's BGP sessions as its BIRD reports them (`birdc show
 * protocols` on the node's control socket). Read only: `ip -j route` and `birdc` through the Executor.
 */
import { birdSocket, type CalicoNode } from '../cni/calico/index.ts';
import { parseBirdProtocols } from '../check/kinds/bgp.ts';
import type { Executor } from './exec.ts';
import type { LabState } from './state.ts';

export interface CalicoStatus {
  pools: CalicoNode['pools'];
  strictAffinity: boolean;
  nodes: {
    name: string;
    /** The enabled pools that select the node. */
    selected: string[];
    /** The blocks the plan gave the node. */
    plannedBlocks: string[];
    /** The blocks the node holds now (a blackhole route each). */
    blocks: string[];
    /** Addresses its pods borrowed from other nodes' blocks (planned). */
    borrowed: CalicoNode['borrowed'];
    /** BGP: each mesh session as BIRD reports it; undefined with VXLAN. */
    bgp?: { peer: string; protocol: string; state: string; info: string }[];
    /** BGP: BIRD did not answer on its socket (stopped, or crashed). */
    birdDown?: boolean;
  }[];
}

export async function calicoStatus(ex: Executor, state: LabState): Promise<CalicoStatus | undefined> {
  const nodes = state.plan.nodes.filter((n) => n.cni.type === 'calico');
  if (!nodes.length) return undefined;
  const data = (n: (typeof nodes)[number]) => n.cni as unknown as CalicoNode;
  return {
    pools: data(nodes[0]!).pools,
    strictAffinity: data(nodes[0]!).strictAffinity,
    nodes: await Promise.all(
      nodes.map(async (n) => {
        const c = data(n);
        const routes = await ex.run(['ip', '-n', n.netns, '-j', 'route', 'show', 'type', 'blackhole']);
        let blocks: string[] = [];
        try {
          blocks = (JSON.parse(routes.stdout || '[]') as { dst?: string }[]).map((r) => r.dst ?? '').filter((d) => d.includes('/'));
        } catch {
          blocks = [];
        }
        const base = { name: n.name, selected: c.selected, plannedBlocks: c.blocks, blocks, borrowed: c.borrowed ?? [] };
        if (c.routing.kind !== 'bgp') return base;
        const r = await ex.run(['birdc', '-s', birdSocket(state.plan.stateDir, n.name), 'show', 'protocols'], { timeoutMs: 5000 });
        const rows = r.exitCode === 0 ? parseBirdProtocols(r.stdout) : [];
        const routing = c.routing;
        return {
          ...base,
          ...(r.exitCode === 0 && rows.length ? {} : { birdDown: true }),
          bgp: routing.peers.map((p) => {
            const row = rows.find((x) => x.name === p.protocol);
            return { peer: p.node, protocol: p.protocol, state: row?.state ?? 'down', info: row?.info ?? (rows.length ? 'no such protocol' : 'BIRD not answering') };
          }),
        };
      }),
    ),
  };
}

/** The text `podlab status` prints for it. */
export function calicoStatusLines(s: CalicoStatus): string[] {
  const lines = s.pools.map((p) => `  pool ${p.name} ${p.cidr} (/${p.blockSize} blocks, natOutgoing ${p.natOutgoing}, encapsulation ${p.encapsulation}${p.nodeSelector !== 'all()' ? `, nodeSelector ${p.nodeSelector}` : ''}${p.disabled ? ', disabled' : ''})`);
  if (s.pools.length > 1) for (const n of s.nodes) lines.push(`  pools  ${n.name.padEnd(14)} ${n.selected.join(', ') || '(none)'}`);
  for (const n of s.nodes) {
    lines.push(`  blocks ${n.name.padEnd(14)} ${n.blocks.join(' ') || '(none)'}${n.blocks.join() !== n.plannedBlocks.join() ? `  (planned ${n.plannedBlocks.join(' ')})` : ''}`);
    if (n.borrowed.length) lines.push(`  borrow ${n.name.padEnd(14)} ${n.borrowed.map((b) => `${b.pod} ${b.ip} (${b.from}'s ${b.block})`).join(', ')}`);
    if (n.bgp) lines.push(`  bgp    ${n.name.padEnd(14)} ${n.birdDown ? 'BIRD not answering  ' : ''}${n.bgp.map((b) => `${b.peer} ${b.state === 'up' ? b.info : `${b.state}${b.info ? ` ${b.info}` : ''}`}`).join(', ') || '(no BGP peers: nodeToNodeMesh off, no peers apply)'}`);
  }
  return lines;
}
