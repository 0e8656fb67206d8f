/**
 * The bgp kind (Calico with BGP): asks a node's BIRD through its control socket (`birdc -s
 * <state>/bird-<node>.ctl`), run in the node. Without `learned`: the session to the peer (BIRD
 * protocol Mesh_<peer ip>, or Node_/Global_<peer ip> for a BGPPeer, as Calico's templates name them) is Established (`show protocols`). With
 * `learned`: each CIDR is a route the node has from that session (`show route protocol …`);
 * 'blocks' stands for every block the peer holds in the plan. `absent` asserts the opposite, e.g.
 * after the peer's BIRD was stopped. `family: 'IPv6'` (a dual-stack lab): the IPv6 session between
 * the nodes' IPv6 addresses (Mesh_fd00_…, or an IPv6 BGPPeer's) and the peer's IPv6 blocks.
 */
import { diag } from '../../compile/diagnostics.ts';
import { formatPrefix, parsePrefix } from '../../net/addr.ts';
// BIRD's name for the mesh session to a peer, and a node's control socket: as the Calico mode writes them.
import { birdSocket, meshName, meshName6, type CalicoNode } from '../../cni/calico/index.ts';
import { resolveSource, type Peers } from './targets.ts';
import { checkAt, clip, type Check, type LabView, type ProbeKind, type Stage, type Stages } from './kind.ts';
import type { Diagnostic } from '../../compile/diagnostics.ts';

export type BgpCheck<S extends Stage> = Check<
  S,
  'bgp',
  {
    from: Stages[S]['source'];
    /** The peer as written (node/<name>); planned, with its address. */
    peer: S extends 'lab' ? string : { name: string; ip: string };
    /** As written ('blocks' or a CIDR); planned, the CIDRs. */
    learned?: S extends 'lab' ? string : string[];
    absent: boolean;
    family: 'IPv4' | 'IPv6';
    /** Planned: the control socket and the BIRD protocol of the session. */
    bird: S extends 'lab' ? {} : { socket: string; protocol: string };
  }
>;


/** Calico's checks read the Calico mode; PL2156 when the lab has none (or, for `bgp`, routes with VXLAN). */
export function requireCalico(lab: LabView, c: { name: string; at: (string | number)[]; cell?: { row: number; col: number } }, kind: string, bgp: boolean, out: Diagnostic[]): boolean {
  const cni = lab.cni;
  if (cni?.type === 'calico' && !(bgp && cni.encapsulation === 'VXLAN')) return true;
  out.push(
    diag(
      'PL2156',
      checkAt(c)('kind'),
      `check "${c.name}" is a ${kind} check, but the lab ${cni?.type === 'calico' ? "routes with Calico's VXLAN, which has no BGP" : `uses cni '${cni?.type ?? '?'}', not Calico`}`,
      bgp ? "bgp checks ask BIRD, which runs with cni: { type: 'calico' } and encapsulation 'None' (the default)." : "block checks read Calico's block IPAM: cni: { type: 'calico' }.",
    ),
  );
  return false;
}

/** `from` must be a node of the lab. */
export function requireNode(lab: LabView, c: { name: string; at: (string | number)[] }, field: string, ref: string, out: Diagnostic[]): boolean {
  if (ref.startsWith('node/') && lab.nodes.some((n) => `node/${n.name}` === ref)) return true;
  out.push(diag('PL2157', checkAt(c)(field), `check "${c.name}": ${field} "${ref}" is not a node of the lab`, `Write ${field}: "node/<name>" with one of: ${lab.nodes.map((n) => n.name).join(', ')}.`));
  return false;
}

/** One row of `birdc show protocols`: name, state ('up', 'start', …) and info ('Established', 'Active', 'Passive', …). */
export interface BirdProtocol {
  name: string;
  proto: string;
  state: string;
  info: string;
}

/** `birdc show protocols` as rows (the header and the banner left out). */
export function parseBirdProtocols(text: string): BirdProtocol[] {
  return text
    .split('\n')
    .filter((l) => /^\S+\s+\S+\s+\S+\s+\S+\s+\S+/.test(l) && !l.startsWith('Name ') && !l.startsWith('BIRD '))
    .map((l) => {
      const cols = l.trim().split(/\s+/);
      // Name Proto Table State Since Info
      return { name: cols[0]!, proto: cols[1]!, state: cols[3]!, info: cols.slice(5).join(' ') };
    });
}

const calicoOf = (peers: Peers, node: string) => {
  const n = peers.nodes.find((x) => x.name === node);
  return n?.cni.type === 'calico' ? (n.cni as unknown as CalicoNode) : undefined;
};

const peerBlocks = (peers: Peers, node: string, family: 'IPv4' | 'IPv6'): string[] => (family === 'IPv6' ? (calicoOf(peers, node)?.ipv6?.blocks ?? []) : (calicoOf(peers, node)?.blocks ?? []));

const sessionTo = (peers: Peers, node: string, peerIp: string, family: 'IPv4' | 'IPv6'): string => {
  const routing = calicoOf(peers, node)?.routing;
  const sessions = routing?.kind === 'bgp' ? (family === 'IPv6' ? (routing.peers6 ?? []) : routing.peers) : [];
  return sessions.find((p) => p.ip === peerIp)?.protocol ?? (family === 'IPv6' ? meshName6(peerIp) : meshName(peerIp));
};

export const bgp: ProbeKind<'bgp', BgpCheck<'lab'>, BgpCheck<'plan'>> = {
  kind: 'bgp',
  normalize: (c, index, at) => ({
    index,
    at,
    kind: 'bgp',
    timeoutMs: c.timeoutMs ?? 10000,
    from: c.from,
    peer: c.peer,
    ...(c.learned !== undefined ? { learned: c.learned } : {}),
    absent: c.absent ?? false,
    family: c.family ?? (c.learned?.includes(':') ? 'IPv6' : 'IPv4'),
    bird: {},
    name:
      c.name ??
      (c.learned !== undefined
        ? `${c.from} has ${c.absent ? 'not ' : ''}learned ${c.learned === 'blocks' ? `${c.peer}'s blocks` : c.learned} from ${c.peer} over BGP`
        : `${c.from}'s BGP session to ${c.peer} is ${c.absent ? 'not ' : ''}Established`),
  }),
  validate(lab, c, out) {
    if (!requireCalico(lab, c, 'bgp', true, out)) return;
    if (!requireNode(lab, c, 'from', c.from, out) || !requireNode(lab, c, 'peer', c.peer, out)) return;
    if (c.peer === c.from) out.push(diag('PL2157', checkAt(c)('peer'), `check "${c.name}": a node has no BGP session to itself`, 'Name another node as peer.'));
    if (c.family === 'IPv6' && !lab.ipFamilies?.includes('IPv6'))
      out.push(diag('PL2419', checkAt(c)('family'), `check "${c.name}" asks for an IPv6 BGP session, but the lab has no IPv6: BIRD runs IPv4 sessions only`, "Leave family out, or make the lab dual stack (ipFamilies: ['IPv4', 'IPv6'])."));
    if (c.learned !== undefined && c.learned !== 'blocks' && parsePrefix(c.learned)?.family !== c.family)
      out.push(diag('PL2157', checkAt(c)('learned'), `check "${c.name}": learned "${c.learned}" is not an ${c.family} CIDR`, "Write a block such as '10.244.0.64/26' (or 'fd00:10:244::40/122' with family 'IPv6'), or 'blocks' for every block the peer holds."));
  },
  plan(c, peers) {
    const peerName = c.peer.slice('node/'.length);
    // The peer's address of the session's family: its IPv6 one is its Calico node's (the IPv6 mesh's neighbor).
    const peerIp = c.family === 'IPv6' ? (calicoOf(peers, peerName)?.ipv6?.ip ?? '') : peers.nodes.find((n) => n.name === peerName)!.ip;
    const from = resolveSource(peers, c.from);
    return {
      index: c.index,
      name: c.name,
      kind: 'bgp',
      from,
      timeoutMs: c.timeoutMs,
      peer: { name: peerName, ip: peerIp },
      ...(c.learned !== undefined ? { learned: c.learned === 'blocks' ? peerBlocks(peers, peerName, c.family) : [formatPrefix(parsePrefix(c.learned)!)] } : {}),
      absent: c.absent,
      family: c.family,
      // The session's protocol as the node's bird.conf names it (Mesh_, Node_ or Global_<ip>); Mesh_ when it has none to that peer.
      bird: { socket: birdSocket(peers.stateDir, from.name), protocol: sessionTo(peers, from.name, peerIp, c.family) },
    };
  },
  probe: (c) => ['birdc', '-s', c.bird.socket, ...(c.learned ? ['show', 'route', 'protocol', c.bird.protocol] : ['show', 'protocols', c.bird.protocol])],
  judge(_plan, c, r) {
    const out = r.stdout;
    const unreachable = /Unable to connect|No such file|Connection refused/i.test(`${r.stdout}\n${r.stderr}`);
    if (!c.learned) {
      const expected = `BGP session ${c.bird.protocol} (to ${c.peer.name}) ${c.absent ? 'not ' : ''}Established`;
      if (unreachable) return { ok: c.absent, expected, seen: `BIRD is not answering on its socket: ${clip((r.stderr || r.stdout).trim())}` };
      const row = parseBirdProtocols(out).find((p) => p.name === c.bird.protocol);
      if (!row) return { ok: false, expected, seen: `no protocol ${c.bird.protocol} in birdc output: ${clip(out.trim())}` };
      // The Info column says Established, Active, Connect, Passive, …
      const established = row.state === 'up' && /^Established/.test(row.info);
      return { ok: established !== c.absent, expected, seen: `${c.bird.protocol} ${row.state}${row.info ? ` ${row.info}` : ''}` };
    }
    const expected = `${c.absent ? 'no route' : 'routes'} to ${c.learned.join(', ')} learned from ${c.peer.name} (${c.bird.protocol})`;
    if (unreachable) return { ok: c.absent, expected, seen: `BIRD is not answering on its socket: ${clip((r.stderr || r.stdout).trim())}` };
    const learned = out
      .split('\n')
      .map((l) => /^(\d+\.\d+\.\d+\.\d+\/\d+|[0-9a-f]*:[0-9a-f:]*\/\d+)\s/i.exec(l)?.[1])
      .filter((x): x is string => x !== undefined);
    const have = c.learned.filter((x) => learned.includes(x));
    const seen = learned.length ? `learned from ${c.peer.name}: ${learned.join(', ')}` : `nothing learned from ${c.peer.name}`;
    return { ok: c.absent ? have.length === 0 : have.length === c.learned.length, expected, seen };
  },
};
