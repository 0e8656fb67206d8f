/**
 * What `podlab status` adds for a Calico lab: its IP pool, the blocks each node holds (its
 * blackhole routes, read live; a borrowed address shows as a /32 route to a pod on a node that
 * does not hold its block) and each node's BGP sessions as its BIRD reports them (`birdc show
 * protocols` on the node's control socket, `birdProtocols`, which `podlab calicoctl node status` reads
 * too). Read only: `ip -j route` and `birdc` through the Executor.
 */
import { birdSocket, type CalicoNode } from '../cni/calico/index.ts';
import { parseBirdProtocols } from '../check/kinds/bgp.ts';
import type { Executor } from './exec.ts';
import { isAlive } from './procs.ts';
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
    /** BGP: the node's BIRD process as `up` recorded it (state.daemons), and whether it still runs. */
    bird?: { pid?: number; alive: boolean };
    /** A lab with IPv6: the IPv6 blocks it was planned and holds now (a blackhole each), borrowed IPv6 addresses, and its IPv6 BGP sessions (none with VXLAN). */
    ipv6?: { selected: string[]; plannedBlocks: string[]; blocks: string[]; borrowed: CalicoNode['borrowed']; bgp: { peer: string; protocol: string; state: string; info: string }[] };
  }[];
  /** A lab with IPv6: the IPv6 pools (Calico's default-ipv6-ippool, or the IPv6 entries of ipPools), with VXLAN when vxlan-v6.calico carries them; in an IPv6-only lab the only pools. */
  pools6?: CalicoNode['pools'];
}

/**
 * `birdc show protocols` asked of a node's BIRD on its control socket under the lab's state
 * directory `run` (what `podlab status` and `podlab calicoctl node status` read); `answered` false
 * when BIRD is not there (stopped, crashed, or a VXLAN lab's node, which runs none).
 */
export async function birdProtocols(ex: Executor, run: string, node: string): Promise<{ answered: boolean; stdout: string }> {
  const r = await ex.run(['birdc', '-s', birdSocket(run, node), 'show', 'protocols'], { timeoutMs: 5000 });
  return { answered: r.exitCode === 0, stdout: r.stdout };
}

export async function calicoStatus(ex: Executor, state: LabState): Promise<CalicoStatus | undefined> {
  const nodes = state.plan.nodes.filter((n) => n.cni.type === 'calico');
  if (!nodes.length) return undefined;
  const data = (n: (typeof nodes)[number]) => n.cni as unknown as CalicoNode;
  const pools6 = data(nodes[0]!).ipv6?.pools;
  return {
    ...(pools6 ? { pools6 } : {}),
    pools: data(nodes[0]!).pools,
    strictAffinity: data(nodes[0]!).strictAffinity,
    nodes: await Promise.all(
      nodes.map(async (n) => {
        const c = data(n);
        const blackholes = async (family: '-4' | '-6') => {
          const routes = await ex.run(['ip', '-n', n.netns, family, '-j', 'route', 'show', 'type', 'blackhole']);
          try {
            return (JSON.parse(routes.stdout || '[]') as { dst?: string }[]).map((r) => r.dst ?? '').filter((d) => d.includes('/'));
          } catch {
            return [];
          }
        };
        const blocks = await blackholes('-4');
        const blocks6 = c.ipv6 ? await blackholes('-6') : [];
        const base = { name: n.name, selected: c.selected, plannedBlocks: c.blocks, blocks, borrowed: c.borrowed ?? [] };
        // VXLAN (vxlan-v6.calico in IPv6): the IPv6 blocks, no sessions.
        if (c.routing.kind !== 'bgp') return { ...base, ...(c.ipv6 ? { ipv6: { selected: c.ipv6.selected, plannedBlocks: c.ipv6.blocks, blocks: blocks6, borrowed: c.ipv6.borrowed, bgp: [] } } : {}) };
        const r = await birdProtocols(ex, state.plan.stateDir, n.name);
        const rows = r.answered ? parseBirdProtocols(r.stdout) : [];
        const routing = c.routing;
        // No record in a journal that keeps daemons: stopped (stop-bird removes it).
        const rec = state.daemons?.[birdDaemon(n.name)];
        const bird = rec ? { pid: rec.pid, alive: isAlive(rec) } : state.daemons ? { alive: false } : undefined;
        const session = (p: { node: string; protocol: string }) => {
          const row = rows.find((x) => x.name === p.protocol);
          return { peer: p.node, protocol: p.protocol, state: row?.state ?? 'down', info: row?.info ?? (rows.length ? 'no such protocol' : bird && !bird.alive ? 'BIRD not running' : 'BIRD not answering') };
        };
        return {
          ...base,
          ...(bird ? { bird } : {}),
          ...(r.answered && rows.length ? {} : { birdDown: true }),
          bgp: routing.peers.map(session),
          ...(c.ipv6 ? { ipv6: { selected: c.ipv6.selected, plannedBlocks: c.ipv6.blocks, blocks: blocks6, borrowed: c.ipv6.borrowed, bgp: (routing.peers6 ?? []).map(session) } } : {}),
        };
      }),
    ),
  };
}

/** A node's BIRD as the state journal names it (`up` records it among the CNI mode's daemons). */
export const birdDaemon = (node: string) => `${node}/bird`;

/**
 * How a node's BIRD is gone, when it is: its process has exited (`pid N has exited`), or it was
 * stopped (stop-bird drops its record); undefined when it runs, or the node runs none (another CNI
 * mode, VXLAN) or the journal keeps no daemons. Nothing in a lab starts a BIRD again by itself.
 */
export function birdGone(state: Pick<LabState, 'plan' | 'daemons'>, node: string): string | undefined {
  const n = state.plan.nodes.find((k) => k.name === node);
  if (n?.cni.type !== 'calico' || (n.cni as unknown as CalicoNode).routing.kind !== 'bgp' || !state.daemons) return undefined;
  const rec = state.daemons[birdDaemon(node)];
  if (!rec) return 'stopped';
  return isAlive(rec) ? undefined : `pid ${rec.pid} has exited`;
}

/**
 * What a node whose BIRD does not answer shows instead of its sessions, once: that the process has
 * exited when it has (nothing in the lab restarts it), else that it does not answer.
 */
export function birdDownSentence(n: Pick<CalicoStatus['nodes'][number], 'bird'>): string {
  if (n.bird && !n.bird.alive) return `BIRD is not running (${n.bird.pid !== undefined ? `pid ${n.bird.pid} has exited` : 'stopped'}): no BGP sessions, and nothing announced to its peers`;
  return `BIRD${n.bird?.pid !== undefined ? ` (pid ${n.bird.pid})` : ''} is not answering on its control socket: its sessions are unknown`;
}

/** The text `podlab status` prints for it. */
export function calicoStatusLines(s: CalicoStatus): string[] {
  const lines = [...s.pools, ...(s.pools6 ?? [])].map((p) => `  pool ${p.name} ${p.cidr} (/${p.blockSize} blocks, natOutgoing ${p.natOutgoing}, encapsulation ${p.encapsulation}${p.nodeSelector !== 'all()' ? `, nodeSelector ${p.nodeSelector}` : ''}${p.disabled ? ', disabled' : ''})`);
  // An IPv6-only lab has no IPv4 pool: its nodes show their IPv6 blocks and sessions alone.
  const v4 = s.pools.length > 0;
  if (s.pools.length > 1) for (const n of s.nodes) lines.push(`  pools  ${n.name.padEnd(14)} ${n.selected.join(', ') || '(none)'}`);
  if ((s.pools6?.length ?? 0) > 1) for (const n of s.nodes) if (n.ipv6) lines.push(`  pools6 ${n.name.padEnd(14)} ${n.ipv6.selected.join(', ') || '(none)'}`);
  for (const n of s.nodes) {
    if (v4) lines.push(`  blocks ${n.name.padEnd(14)} ${n.blocks.join(' ') || '(none)'}${n.blocks.join() !== n.plannedBlocks.join() ? `  (planned ${n.plannedBlocks.join(' ')})` : ''}`);
    if (n.borrowed.length) lines.push(`  borrow ${n.name.padEnd(14)} ${n.borrowed.map((b) => `${b.pod} ${b.ip} (${b.from}'s ${b.block})`).join(', ')}`);
    const sessions = (bgp: readonly { peer: string; state: string; info: string }[]) => bgp.map((b) => `${b.peer} ${b.state === 'up' ? b.info : `${b.state}${b.info ? ` ${b.info}` : ''}`}`).join(', ');
    if (n.bgp && (v4 || n.birdDown)) lines.push(`  bgp    ${n.name.padEnd(14)} ${n.birdDown ? birdDownSentence(n) : sessions(n.bgp) || '(no BGP peers: nodeToNodeMesh off, no peers apply)'}`);
    if (n.ipv6) {
      lines.push(`  blocks6 ${n.name.padEnd(13)} ${n.ipv6.blocks.join(' ') || '(none)'}${n.ipv6.blocks.join() !== n.ipv6.plannedBlocks.join() ? `  (planned ${n.ipv6.plannedBlocks.join(' ')})` : ''}`);
      if (n.ipv6.borrowed.length) lines.push(`  borrow6 ${n.name.padEnd(13)} ${n.ipv6.borrowed.map((b) => `${b.pod} ${b.ip} (${b.from}'s ${b.block})`).join(', ')}`);
      if (n.bgp && !(n.birdDown && !v4)) lines.push(`  bgp6   ${n.name.padEnd(14)} ${n.birdDown ? birdDownSentence(n) : sessions(n.ipv6.bgp) || '(no IPv6 BGP peers)'}`);
    }
  }
  return lines;
}
