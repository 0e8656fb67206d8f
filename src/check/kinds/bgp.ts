/**
 * The bgp kind (Calico with BGP): asks a node's BIRD through its control socket (`birdc -s
 * <state>/bird-<node>.ctl`), run in the node. Without `learned`: the session to the peer (BIRD
 * protocol Mesh_<peer ip>, or Node_/Global_<peer ip> for a BGPPeer, as Calico's templates name them) is Established (`show protocols`). With
 * `learned`: each CIDR is a route the node has from that session (`show route protocol …`);
 * 'blocks' stands for every block the peer holds in the plan. `absent` asserts the opposite, e.g.
 * after the peer's BIRD was stopped. In an IPv6-only lab the nodes' addresses are IPv6: the session
 * is the IPv6 mesh's (Mesh_fd00_172_16_94__c) and 'blocks' the peer's IPv6 blocks.
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
    /** As written, the family asked for; planned, 'IPv6' when the session is an IPv6 one (`family`, an IPv6 `learned`, an IPv6-only lab). */
    family?: S extends 'lab' ? 'IPv4' | 'IPv6' : 'IPv6';
    /** Planned: the control socket and the BIRD protocol of the session; no protocol when the node's bird.conf has no session to the peer. */
    bird: S extends 'lab' ? {} : { socket: string; protocol?: string };
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

/** A Calico check's `family` must be one of the lab's (PL2186). */
export function requireFamily(lab: LabView, c: { name: string; at: (string | number)[]; family?: 'IPv4' | 'IPv6' }, out: Diagnostic[]): void {
  const families = lab.ipFamilies ?? ['IPv4'];
  if (c.family !== undefined && !families.includes(c.family))
    out.push(diag('PL2186', checkAt(c)('family'), `check "${c.name}": family ${c.family}, but the lab is ${families.length > 1 ? 'dual stack' : `${families[0]}-only`}: no session or block of that family exists`, `Leave family out, or write ${families.map((f) => `'${f}'`).join(' or ')}.`));
}

/** `from` and `peer` of a Calico check are always nodes: `n1` is `node/n1`, as `stop-bird` and a BGPPeer name them. */
export const asNode = (ref: string): string => (ref.includes('/') ? ref : `node/${ref}`);

/** `from` must be a node of the lab. */
export function requireNode(lab: LabView, c: { name: string; at: (string | number)[] }, field: string, ref: string, out: Diagnostic[]): boolean {
  if (ref.startsWith('node/') && lab.nodes.some((n) => `node/${n.name}` === ref)) return true;
  // A `from` of node/<unknown> is the check's own PL2012 already (every check's from is judged): not said twice.
  if (field === 'from' && ref.startsWith('node/')) return false;
  out.push(diag('PL2157', checkAt(c)(field), `check "${c.name}": ${field} "${ref}" is not a node of the lab`, `Write ${field}: "<name>" (or "node/<name>") with one of: ${lab.nodes.map((n) => n.name).join(', ')}.`));
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

const calicoOf = (peers: Peers, node: string): CalicoNode | undefined => {
  const n = peers.nodes.find((x) => x.name === node);
  return n?.cni.type === 'calico' ? (n.cni as unknown as CalicoNode) : undefined;
};

/** The blocks a peer holds in the family of the session: its IPv6 blocks over an IPv6 session. */
const peerBlocks = (peers: Peers, node: string, v6: boolean): string[] => {
  const c = calicoOf(peers, node);
  return (v6 ? c?.ipv6?.blocks : c?.blocks) ?? [];
};

/**
 * The session's BIRD protocol: among the node's IPv4 sessions, then its IPv6 ones; with the mesh on,
 * the mesh's name for the peer; undefined when the node's bird.conf has no session to it (the mesh
 * off and no BGPPeer of that address).
 */
const sessionTo = (peers: Peers, node: string, peerIp: string): string | undefined => {
  const routing = calicoOf(peers, node)?.routing;
  const bgp = routing?.kind === 'bgp' ? routing : undefined;
  const configured = bgp?.peers.find((p) => p.ip === peerIp)?.protocol ?? bgp?.peers6?.find((p) => p.ip === peerIp)?.protocol;
  if (configured || (bgp && !bgp.mesh)) return configured;
  return peerIp.includes(':') ? meshName6(peerIp) : meshName(peerIp);
};

/** What a node without a session to the peer has instead: its sessions, as `birdc show protocols` lists them. */
const noSession = (c: BgpCheck<'plan'>, out: string): string => {
  const sessions = parseBirdProtocols(out).filter((p) => /^(Mesh|Node|Global)_/.test(p.name));
  const listed = sessions.map((p) => `${p.name} ${p.state}${p.info ? ` ${p.info}` : ''}`).join(', ');
  return `${c.from.name} has no BGP session to ${c.peer.name} (${c.peer.ip}) in its bird.conf: ${sessions.length ? `its sessions are ${listed}` : 'it has no session at all'}`;
};

export const bgp: ProbeKind<'bgp', BgpCheck<'lab'>, BgpCheck<'plan'>> = {
  kind: 'bgp',
  normalize: (c, index, at) => ({
    index,
    at,
    kind: 'bgp',
    timeoutMs: c.timeoutMs ?? 10000,
    from: asNode(c.from),
    peer: asNode(c.peer),
    ...(c.learned !== undefined ? { learned: c.learned } : {}),
    absent: c.absent ?? false,
    ...(c.family ? { family: c.family } : {}),
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
    requireFamily(lab, c, out);
    if (c.peer === c.from) out.push(diag('PL2157', checkAt(c)('peer'), `check "${c.name}": a node has no BGP session to itself`, 'Name another node as peer.'));
    const learned = c.learned !== undefined && c.learned !== 'blocks' ? parsePrefix(c.learned) : undefined;
    if (c.learned !== undefined && c.learned !== 'blocks' && !learned)
      out.push(diag('PL2157', checkAt(c)('learned'), `check "${c.name}": learned "${c.learned}" is not a CIDR`, "Write a block such as '10.244.0.64/26' (or 'fd00:10:244::40/122' in IPv6), or 'blocks' for every block the peer holds."));
    else if (learned && c.family !== undefined && learned.family !== c.family)
      out.push(diag('PL2186', checkAt(c)('learned'), `check "${c.name}": learned "${c.learned}" is an ${learned.family} CIDR, but the check asks for family ${c.family}`, `Write an ${c.family} CIDR, or leave family out (learned says which family).`));
    else if (learned && c.family === undefined && !(lab.ipFamilies ?? ['IPv4']).includes(learned.family))
      out.push(diag('PL2186', checkAt(c)('learned'), `check "${c.name}": learned "${c.learned}" is an ${learned.family} CIDR, but the lab has no ${learned.family}: no session of that family exists`, `Write ${(lab.ipFamilies ?? ['IPv4']).join(' or ')} CIDRs.`));
  },
  plan(c, peers) {
    const peerName = c.peer.slice('node/'.length);
    const peerNode = peers.nodes.find((n) => n.name === peerName)!;
    const from = resolveSource(peers, c.from);
    // The session of the asked family; without one, the node's own address's (IPv6 in an IPv6-only lab), and so are the blocks it carries.
    const learned = c.learned !== undefined && c.learned !== 'blocks' ? parsePrefix(c.learned)! : undefined;
    // A CIDR in learned says the family too (BIRD prints it canonically: so is it written here).
    const v6 = c.family ? c.family === 'IPv6' : learned ? learned.family === 'IPv6' : peerNode.ip.includes(':');
    const peerIp = (peerNode.ips ?? [peerNode.ip]).find((a) => a.includes(':') === v6) ?? peerNode.ip;
    const protocol = sessionTo(peers, from.name, peerIp);
    return {
      index: c.index,
      name: c.name,
      kind: 'bgp',
      from,
      timeoutMs: c.timeoutMs,
      peer: { name: peerName, ip: peerIp },
      ...(c.learned !== undefined ? { learned: learned ? [formatPrefix(learned)] : peerBlocks(peers, peerName, v6) } : {}),
      absent: c.absent,
      ...(v6 ? { family: 'IPv6' as const } : {}),
      // The session's protocol as the node's bird.conf names it (Mesh_, Node_ or Global_<ip>); none when it has none to that peer.
      bird: { socket: birdSocket(peers.stateDir, from.name), ...(protocol ? { protocol } : {}) },
    };
  },
  // Without a session to ask about, every session: what the node has instead.
  probe: (c) => ['birdc', '-s', c.bird.socket, ...(!c.bird.protocol ? ['show', 'protocols'] : c.learned ? ['show', 'route', 'protocol', c.bird.protocol] : ['show', 'protocols', c.bird.protocol])],
  judge(_plan, c, r) {
    const out = r.stdout;
    // birdc's own failure to reach BIRD; a session's Info column may say "Connection refused" too (the peer's).
    const unreachable = /Unable to connect to server control socket/i.test(`${r.stdout}\n${r.stderr}`);
    if (!c.learned) {
      const expected = `BGP session ${c.bird.protocol ?? ''}${c.bird.protocol ? ' ' : ''}(to ${c.peer.name}) ${c.absent ? 'not ' : ''}Established`;
      if (unreachable) return { ok: c.absent, expected, seen: `BIRD is not answering on its socket: ${clip((r.stderr || r.stdout).trim())}` };
      // bird.conf does not change on its own: no session now is no session at the timeout (definite).
      if (!c.bird.protocol) return { ok: c.absent, expected, seen: noSession(c, out), definite: true };
      const row = parseBirdProtocols(out).find((p) => p.name === c.bird.protocol);
      if (!row) return { ok: false, expected, seen: `no protocol ${c.bird.protocol} in birdc output: ${clip(out.trim())}` };
      // The Info column says Established, Active, Connect, Passive, …
      const established = row.state === 'up' && /^Established/.test(row.info);
      return { ok: established !== c.absent, expected, seen: `${c.bird.protocol} ${row.state}${row.info ? ` ${row.info}` : ''}` };
    }
    const expected = `${c.absent ? 'no route' : 'routes'} to ${c.learned.join(', ')} learned from ${c.peer.name}${c.bird.protocol ? ` (${c.bird.protocol})` : ''}`;
    if (unreachable) return { ok: c.absent, expected, seen: `BIRD is not answering on its socket: ${clip((r.stderr || r.stdout).trim())}` };
    if (!c.bird.protocol) return { ok: c.absent, expected, seen: noSession(c, out), definite: true };
    const learned = out
      .split('\n')
      // A route's line starts with its prefix, IPv4 or IPv6 (`fd00:10:244::80/122  unicast [Mesh_… …]`).
      .map((l) => /^(\d+\.\d+\.\d+\.\d+\/\d+|[0-9a-f:]*:[0-9a-f:]*\/\d+)\s/i.exec(l)?.[1])
      .filter((x): x is string => x !== undefined);
    const have = c.learned.filter((x) => learned.includes(x));
    const seen = learned.length ? `learned from ${c.peer.name}: ${learned.join(', ')}` : `nothing learned from ${c.peer.name}`;
    return { ok: c.absent ? have.length === 0 : have.length === c.learned.length, expected, seen };
  },
};
