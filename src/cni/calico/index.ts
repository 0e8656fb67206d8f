/**
 * Calico: pods are routed, not bridged. Each pod's veth has its host side named `cali<hash>`, no
 * address, MAC ee:ee:ee:ee:ee:ee and proxy ARP on; the pod has its IP as a /32 and a default route
 * via 169.254.1.1, an address nobody holds, which the host side answers for. The node has a /32
 * route per local pod (podlab's `calico` CNI plugin, src/cni/calico/plugin.c, makes all of that;
 * host-local hands out the address the plan chose). Addresses come from an IP pool cut into blocks
 * that nodes claim (ipam.ts). Between nodes, either real BIRD per node (full-mesh iBGP, each node
 * exporting its blocks, bird.conf from templates/bird.conf.hbs as Calico's confd templates write
 * it) or a VXLAN device `vxlan.calico` with static routes, neighbours and FDB entries (what Felix
 * programs). natOutgoing of the pool is the masquerade rule of the node's kube-proxy table.
 * Dual stack: IPv6 pools of /122 blocks (pools6.ts: the IPv6 podCidr, or ipPools' IPv6 entries;
 * their natOutgoing in nat6.ts; IPv6 BGPPeers in peers6.ts), each pod also an IPv6 /128 behind
 * fe80::ecee:eeff:feee:eeee, and BIRD runs bird6's half too: the IPv6 sessions between the nodes'
 * IPv6 addresses exporting the IPv6 blocks (docs/calico.md, "Dual stack"); with VXLAN, Felix's
 * vxlan-v6.calico beside vxlan.calico instead (vxlan6.ts). IPv6 alone: the same IPv6 pools and their
 * sessions or vxlan-v6.calico without anything IPv4 (ipv6-only.ts, BIRD's router id routerid.ts).
 */
import { DNS_SUBDOMAIN_HINT, isDnsSubdomain } from '../../lib/object-name.ts';
import { CALICO } from '../../constants.ts';
import * as ip from '../../net/ipv4.ts';
import { macFor } from '../../plan/names.ts';
import type { CniConflist, CniMode, CniNodeInput, CniProblem, CniValidationInput } from '../types.ts';
import { assignBlocks, blockCount, type PoolInput } from './ipam.ts';
import { planIPv6Only } from './ipv6-only.ts';
import { planVxlan6, vxlan6BatchLines, vxlan6Routes, type CalicoVtep, type CalicoVxlan6 } from './vxlan6.ts';
import { formatPrefix, overlaps, type Prefix } from '../../net/addr.ts';
import { bgpPeers6, isIPv6Peer, validatePeer6 } from './peers6.ts';
import { calicoConflist, rangeSet6 } from './conflist.ts';
import { assignBlocks6Pools, inBlock6, isIPv6Cidr, pools6Of, poolInputs6, validatePools6, type Pool6Config } from './pools6.ts';
import { parseSelector, selects } from './selector.ts';
import type { CalicoPool } from './pool-types.ts';
import type { calicoSchema } from './schema.ts';
import { hostVethName } from './veth.ts';
import { unmasqueradedBlocks } from './nat.ts';

export { hostVethName };
export type { CalicoPool };


/** An IP pool, resolved. */
export interface CalicoPoolConfig {
  name: string;
  /** Undefined: the lab's podCidr (the single `ipPool` without a cidr). */
  cidr?: string;
  blockSize: number;
  nodeSelector: string;
  /** Undefined: as the lab's natOutgoing. */
  natOutgoing?: boolean;
  disabled: boolean;
  /** As written; undefined: the lab's. */
  encapsulation?: 'None' | 'VXLAN';
  /** Where it was written, below `cni`: ['ipPool'] or ['ipPools', i]. */
  at: (string | number)[];
}

export interface CalicoConfig {
  type: 'calico';
  /** The IPv4 pools (`ipPool`, or the IPv4 entries of `ipPools`; the default pool when it has none). */
  pools: CalicoPoolConfig[];
  /** The IPv6 entries of `ipPools` (a lab with IPv6 without any has Calico's default IPv6 pool, pools6.ts). */
  pools6: Pool6Config[];
  strictAffinity: boolean;
  /** Both `ipPool` and `ipPools` were written (PL2174). */
  bothPoolForms?: true;
  encapsulation: 'None' | 'VXLAN' | 'IPIP';
  asNumber: number;
  nodeToNodeMesh: boolean;
  peers: { node?: string; peerIP: string; asNumber: number }[];
  vni: number;
  port: number;
}

/** A pod's endpoint on the node: its host-side veth (Calico's workload endpoint). */
export interface CalicoWorkload {
  pod: string;
  namespace: string;
  ip: string;
  /** Its IPv6 address, in a dual-stack lab. */
  ip6?: string;
  hostVeth: string;
}

/** BGP: what the node's bird.conf says. */
export interface CalicoBgp {
  kind: 'bgp';
  asNumber: number;
  /** Calico's nodeToNodeMeshEnabled. */
  mesh: boolean;
  /**
   * The node's BGP sessions, in bird.conf's order: the mesh's (Mesh_<ip>), then node-specific
   * (Node_<ip>) and global (Global_<ip>) BGPPeers. `node` is the lab node at `ip`, or the address
   * itself when no node has it (the session then never comes up).
   */
  peers: { node: string; ip: string; asNumber: number; protocol: string; passive: boolean; source: 'mesh' | 'node' | 'global' }[];
  /**
   * A lab with IPv6: the IPv6 sessions from the node's IPv6 address, in bird6.cfg's order: the
   * mesh's (Mesh_fd00_172_16_94__b), then IPv6 BGPPeers (Node_…, Global_…); they carry the IPv6 blocks.
   */
  peers6?: { node: string; ip: string; asNumber: number; protocol: string; passive: boolean; source: 'mesh' | 'node' | 'global' }[];
  /** An IPv6-only lab: BIRD's router id, hashed from the node name (CALICO_ROUTER_ID=hash, routerid.ts); else the node's IPv4 address. */
  routerId?: string;
}

/** VXLAN: the node's VTEP and, per peer, its VTEP and blocks (routed via its tunnel address). */
export interface CalicoVxlan {
  kind: 'vxlan';
  vxlan: CalicoVtep;
}

export interface CalicoNode {
  type: 'calico';
  /** The lab's IP pools, in order; `selected`: the names of the enabled ones that select this node. */
  pools: CalicoPool[];
  selected: string[];
  strictAffinity: boolean;
  /** The blocks this node holds, in the order it claimed them. */
  blocks: string[];
  /** Pods of this node whose address is borrowed from another node's block (advertised by BIRD as a /32). */
  borrowed: { pod: string; ip: string; block: string; from: string }[];
  /** Addresses of its blocks reserved on the live lab (exhaust-block, as Calico's IPReservation): no pod gets them. */
  reserved?: string[];
  /** The address its run-time IPAM handed out last (the next pod's search starts after it). */
  lastIp?: string;
  /**
   * The Node object's spec.podCIDRs, one per family, primary first: what kube-controller-manager
   * allocates the node from the lab's podCidr (kubeadm's --pod-network-cidr) in slices of
   * podCidrMaskSize, in node order; none when no slice is left for it. Calico's IPAM ignores them:
   * the node's pods take their addresses from its blocks (docs/calico.md, "The Node's podCIDR").
   */
  kubePodCidrs: string[];
  workloads: CalicoWorkload[];
  routing: CalicoBgp | CalicoVxlan;
  /**
   * A lab with IPv6 (dual stack or IPv6-only): the node's IPv6 address, the IPv6 pools (ipPools'
   * IPv6 entries, else the lab's IPv6 podCidr as Calico's default-ipv6-ippool) and the IPv6 blocks
   * this node holds, in claim order; `lastIp`: the IPv6 address its run-time IPAM handed out last.
   */
  ipv6?: {
    ip: string;
    /** The IPv6 pools, in order (pools6.ts); `selected`: the names of the enabled ones that select this node. */
    pools: CalicoPool[];
    selected: string[];
    blocks: string[];
    /** Pods of this node whose IPv6 address is borrowed from another node's IPv6 block (BIRD advertises the /128). */
    borrowed: { pod: string; ip: string; block: string; from: string }[];
    /** IPv6 addresses of its blocks reserved on the live lab (exhaust-block with family IPv6). */
    reserved?: string[];
    lastIp?: string;
    /** VXLAN with IPv6 in a dual-stack lab: the node's vxlan-v6.calico beside vxlan.calico (vxlan6.ts). */
    vxlan?: CalicoVxlan6;
    /** An IPv6-only lab (ipv6-only.ts): no IPv4 pool or block; `routing` is the IPv6 sessions or vxlan-v6.calico. */
    only?: true;
  };
}

/** A BGP protocol's name in bird.conf, as Calico's template names mesh peers: Mesh_172_16_94_11. */
export const meshName = (peerIp: string) => `Mesh_${peerIp.replaceAll('.', '_')}`;
/** BGPPeers' protocols, as Calico's template names them: Node_172_16_94_11 (one node's), Global_172_16_94_11 (every node's). */
const peerName = (peerIp: string, node: boolean) => `${node ? 'Node' : 'Global'}_${peerIp.replaceAll('.', '_')}`;

const poolCidr = (pool: CalicoPoolConfig, podCidr: string) => pool.cidr ?? podCidr;

/** An IPv6 BGP protocol's name, as Calico's bird6 template names it: Mesh_fd00_172_16_94__b (':' → '_'). */
export const meshName6 = (peerIp: string) => `Mesh_${peerIp.replaceAll(':', '_')}`;

/** Calico's default IPv4 pool (default-ipv4-ippool) over the lab's podCidr, as `ipPool` left out makes it. */
const defaultPool = (): CalicoPoolConfig => ({ name: CALICO.defaultPool, blockSize: CALICO.blockSize, nodeSelector: 'all()', disabled: false, at: ['ipPool'] });

/** The pools as the IPAM reads them: parsed, with the nodes each selects. Undefined when a pool is not a CIDR. */
function ipamPools(config: CalicoConfig, podCidr: string, nodes: readonly { labels?: Readonly<Record<string, string>> }[]): PoolInput[] | undefined {
  const out: PoolInput[] = [];
  // An IPv6-only lab has no IPv4 pool; the plan still numbers its nodes and pods inside IPv4 (plan.ts, inside4): over podCidr.
  for (const p of config.pools.length ? config.pools : [defaultPool()]) {
    const cidr = ip.parseCidr(poolCidr(p, podCidr));
    if (!cidr) return undefined;
    out.push({ cidr, blockSize: p.blockSize, disabled: p.disabled, selects: nodes.map((n) => selects(p.nodeSelector, n.labels ?? {})) });
  }
  return out;
}

/** The rules of the mode's config (PL2150–PL2189): pools, block sizes, selectors, AS numbers, encapsulation. */
function validate(config: CalicoConfig, lab: Parameters<CniMode['validate']>[1]): CniProblem[] {
  const out: CniProblem[] = [];
  const p = (code: string, path: (string | number)[], message: string, hint: string) => out.push({ code, path, message, hint });
  if (config.encapsulation === 'IPIP')
    p('PL2155', ['encapsulation'], "encapsulation 'IPIP' needs IP-in-IP tunnels (the kernel's ipip module, CONFIG_NET_IPIP), which this machine's kernel does not have", "Use encapsulation: 'VXLAN' (Calico's other overlay, vxlan.calico) or 'None' (routed, BGP with BIRD).");
  if (config.asNumber < 1 || config.asNumber > 4294967295)
    p('PL2154', ['asNumber'], `AS number ${config.asNumber} is out of range`, 'An AS number is 1–4294967295 (4-byte ASN); Calico uses 64512, the first private AS, by default.');
  if (config.encapsulation === 'VXLAN' && (config.peers.length || !config.nodeToNodeMesh))
    p('PL2170', [config.peers.length ? 'peers' : 'nodeToNodeMesh'], `${config.peers.length ? 'BGP peers are' : 'nodeToNodeMesh is'} set, but encapsulation 'VXLAN' runs no BGP (no BIRD)`, "Leave peers and nodeToNodeMesh out with VXLAN, or use encapsulation 'None' (routed, BGP with BIRD).");
  out.push(...validateIPv6(config, lab));
  out.push(...validatePools6(config.pools6, lab, { strictAffinity: config.strictAffinity, encapsulation: config.encapsulation, names: new Set(config.pools.map((q) => q.name)) }));
  const only = !!lab.ipv6 && !!lab.ipFamilies?.includes('IPv6') && !lab.ipFamilies.includes('IPv4');
  const nodeNet = lab.nodeNetwork ? ip.parseCidr(lab.nodeNetwork.cidr) : undefined;
  for (const [i, peer] of config.peers.entries()) {
    if (peer.node !== undefined && !lab.nodes.some((n) => n.name === peer.node))
      p('PL2171', ['peers', i, 'node'], `BGP peer ${i + 1} applies to node "${peer.node}", which is not a node of the lab`, `Name one of: ${lab.nodes.map((n) => n.name).join(', ')}; or leave node out for a peer of every node (a global BGPPeer).`);
    const addr = ip.parseIp(peer.peerIP);
    // An IPv6 peerIP is a session of bird6's (peers6.ts).
    if (isIPv6Peer(peer)) out.push(...validatePeer6(peer, i, lab));
    else if (only)
      p('PL2185', ['peers', i, 'peerIP'], `BGP peer ${i + 1}: peerIP ${peer.peerIP} is IPv4, but the lab is IPv6-only: its nodes have no IPv4 address to peer from (BIRD runs IPv6 sessions alone)`, 'Give the peer\'s IPv6 address (a node\'s, in the IPv6 node network), or add \'IPv4\' to ipFamilies for dual stack.');
    else if (addr === undefined)
      p('PL2172', ['peers', i, 'peerIP'], `BGP peer ${i + 1}: peerIP "${peer.peerIP}" is not an IPv4 address`, 'Write the peer node\'s address, e.g. "172.16.94.11".');
    else if (nodeNet && !ip.contains(nodeNet, addr))
      p('PL2172', ['peers', i, 'peerIP'], `BGP peer ${i + 1}: peerIP ${peer.peerIP} is outside the lab's node network ${lab.nodeNetwork!.cidr}`, "podlab's BIRD speaks BGP only to the lab's nodes, on its node network: give a node's address.");
    else if (lab.nodes.length && lab.nodes.every((n) => n.ip) && !lab.nodes.some((n) => n.ip === peer.peerIP)) {
      // Nothing at that address speaks BGP: the session stays Active. The nearest node's address is the likely meaning.
      const near = [...lab.nodes].sort((a, b) => Math.abs(ip.parseIp(a.ip!)! - addr) - Math.abs(ip.parseIp(b.ip!)! - addr))[0]!;
      out.push({
        code: 'PL2159',
        path: ['peers', i, 'peerIP'],
        message: `BGP peer ${i + 1}: peerIP ${peer.peerIP} is no node's address: nothing there speaks BGP, so its session never comes up (Active in birdc show protocols)`,
        hint: `Did you mean ${near.ip} (node "${near.name}")? The lab's nodes are ${lab.nodes.map((n) => `${n.name} ${n.ip}`).join(', ')}.`,
        severity: 'warning',
      });
    }
    if (peer.asNumber < 1 || peer.asNumber > 4294967295)
      p('PL2154', ['peers', i, 'asNumber'], `BGP peer ${i + 1}: AS number ${peer.asNumber} is out of range`, 'An AS number is 1–4294967295 (4-byte ASN); the nodes of this lab are in AS ' + config.asNumber + '.');
  }
  if (config.encapsulation === 'None' && !only) out.push(...oneSidedPeers(config, lab.nodes));
  if (config.bothPoolForms)
    p('PL2174', ['ipPools'], 'both ipPool and ipPools are set', 'Write one IP pool as ipPool, or every pool in ipPools; not both.');
  // Pool names are IPPool metadata.names: DNS-1123 subdomains (they become bird.conf comments).
  for (const pool of [...config.pools, ...config.pools6])
    if (pool.at && !isDnsSubdomain(pool.name)) p('PL1005', [...pool.at, 'name'], `IP pool name ${JSON.stringify(pool.name)} is not a DNS-1123 subdomain`, DNS_SUBDOMAIN_HINT);
  // An IPv6-only lab has no IPv4 pool to check (a written one is PL2184).
  if (only) return out;
  const podNet = ip.parseCidr(lab.podCidr);
  const parsed: { pool: CalicoPoolConfig; cidr: ip.Cidr }[] = [];
  const names = new Set<string>();
  for (const pool of config.pools) {
    const text = poolCidr(pool, lab.podCidr);
    const at = (...k: string[]) => [...pool.at, ...k];
    if (names.has(pool.name)) p('PL2174', at('name'), `two IP pools are named "${pool.name}"`, 'Give every pool a name of its own (Calico\'s IPPool metadata.name).');
    names.add(pool.name);
    const sel = parseSelector(pool.nodeSelector);
    if (!sel.ok)
      p('PL2177', at('nodeSelector'), `IP pool ${pool.name}: nodeSelector is not a Calico selector: ${sel.error}`, "Write e.g. all(), kubernetes.io/hostname == 'c1-node1', has(node-role.kubernetes.io/control-plane), !has(k), rack in {'a', 'b'}, joined with && and ||.");
    if (pool.encapsulation !== undefined && config.encapsulation !== 'IPIP' && pool.encapsulation !== config.encapsulation)
      p('PL2178', at('encapsulation'), `IP pool ${pool.name} has encapsulation '${pool.encapsulation}', but the lab's is '${config.encapsulation}'`, "podlab builds one routing per lab (BIRD for 'None', vxlan.calico for 'VXLAN'): give every pool the lab's encapsulation, or leave it out.");
    const cidr = ip.parseCidr(text);
    if (!cidr) {
      p('PL2150', pool.cidr !== undefined ? at('cidr') : pool.at, `IP pool "${text}" is not a valid IPv4 CIDR`, 'Write it as a.b.c.d/n with no host bits set, e.g. "10.244.0.0/16".');
      continue;
    }
    if (podNet && !(ip.contains(podNet, cidr.network) && cidr.prefix >= podNet.prefix))
      p('PL2151', at('cidr'), `IP pool ${text} is not inside the pod network ${lab.podCidr}`, 'Pods, Services and nodes are told apart by podCidr: choose a pool inside it, or leave ipPool.cidr out to use podCidr itself.');
    const bs = pool.blockSize;
    if (bs < 20 || bs > 32 || bs < cidr.prefix)
      p('PL2152', at('blockSize'), `a block size of /${bs} does not fit IP pool ${text}`, `Calico's IPv4 blocks are /20 to /32 and no larger than the pool: use a block size from ${Math.max(20, cidr.prefix)} to 32 (default 26).`);
    for (const o of parsed)
      if (ip.contains(o.cidr, cidr.network) || ip.contains(cidr, o.cidr.network))
        p('PL2175', at('cidr'), `IP pool ${pool.name} (${text}) overlaps IP pool ${o.pool.name} (${ip.formatCidr(o.cidr)})`, 'Calico refuses overlapping IPPools: an address belongs to one pool. Make the CIDRs disjoint.');
    parsed.push({ pool, cidr });
  }
  if (out.some((x) => ['PL2150', 'PL2151', 'PL2152', 'PL2174', 'PL2175', 'PL2177'].includes(x.code))) return out;
  // Every node needs an enabled pool that selects it: without one its pods get no address (in Kubernetes they stay ContainerCreating).
  const pools = ipamPools(config, lab.podCidr, lab.nodes)!;
  for (const [n, node] of lab.nodes.entries())
    if (!pools.some((q) => !q.disabled && q.selects[n]))
      p('PL2176', config.pools.length === 1 ? config.pools[0]!.at : ['ipPools'], `node "${node.name}": no enabled IP pool selects it, so it claims no block and its pods get no address`, `Every node needs an enabled pool whose nodeSelector matches its labels (${Object.entries(node.labels ?? {}).map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ')}): widen a nodeSelector (all()), or add a pool for it.`);
  if (out.length) return out;
  // Run the IPAM itself: each pod an address, borrowing allowed unless strictAffinity.
  const perNode = lab.nodes.map((n) => lab.pods.filter((q) => q.node === n.name && !q.hostNetwork).length);
  const pods = perNode.flatMap((k, node) => Array.from({ length: k }, () => ({ node })));
  const r = assignBlocks({ pools, nodes: lab.nodes.length, pods, tunnel: config.encapsulation === 'VXLAN', strictAffinity: config.strictAffinity });
  const missing = r.pods.filter((a) => a === undefined).length;
  const blockless = r.blocks.findIndex((b) => b.length === 0);
  if (missing || blockless >= 0) {
    const where = config.pools.length === 1 ? config.pools[0]!.at : ['ipPools'];
    const what = config.pools.map((q, i) => `${poolCidr(q, lab.podCidr)} (${blockCount(pools[i]!.cidr, q.blockSize)} block(s) of /${q.blockSize})`).join(', ');
    p(
      'PL2153',
      where,
      config.strictAffinity
        ? `IP pool${config.pools.length > 1 ? 's' : ''} ${what} cannot give the lab's ${lab.nodes.length} node(s) and their pods the blocks they need (${missing ? `${missing} pod(s) get no address` : `node "${lab.nodes[blockless]!.name}" gets no block`}), and strictAffinity forbids borrowing`
        : `IP pool${config.pools.length > 1 ? 's' : ''} ${what} cannot give the lab's ${lab.nodes.length} node(s) a block each${pods.length ? ` and their pods ${pods.length} addresses` : ''} (${missing ? `${missing} pod(s) get no address` : `node "${lab.nodes[blockless]!.name}" gets no block`})`,
      config.strictAffinity
        ? 'Every node claims at least one block, and one more per 2^(32 - blockSize) addresses; with strictAffinity it never borrows: make the pool larger, the blocks smaller, or drop strictAffinity.'
        : "Every node claims at least one block; once no block is free, pods borrow the free addresses of other nodes' blocks: make the pool larger or the blocks smaller (a longer blockSize).",
    );
  }
  return out;
}

/**
 * The rule of an IPv6-only Calico lab's IPv4 side (PL2184): it has none, so an IPv4 pool written is
 * refused. Its IPv6 pools are checked by pools6.ts (PL2183, PL2187, PL2188, …), its IPv6 BGPPeers by
 * peers6.ts, an IPv4 BGPPeer by `validate` (PL2185).
 */
function validateIPv6(config: CalicoConfig, lab: CniValidationInput): CniProblem[] {
  const out: CniProblem[] = [];
  if (!lab.ipv6 || !lab.ipFamilies?.includes('IPv6')) return out;
  const only = !lab.ipFamilies.includes('IPv4');
  const p = (code: string, path: (string | number)[], message: string, hint: string) => out.push({ code, path, message, hint });
  if (only && config.pools.length) {
    // An IPv6-only lab's normalize makes no IPv4 pool: one here was written, and is refused as a whole.
    const q = config.pools[0]!;
    const v4 = q.at[0] === 'ipPools' ? [...q.at, 'cidr'] : q.cidr !== undefined ? ['ipPool', 'cidr'] : q.blockSize !== CALICO.blockSize ? ['ipPool', 'blockSize'] : ['ipPool', 'natOutgoing'];
    p('PL2184', v4, `${v4.join('.')} configures an IPv4 pool, but the lab is IPv6-only: its pools are IPv6 ones (ipPools' IPv6 entries, else the IPv6 podCidr ${lab.ipv6.podCidr}, Calico's default-ipv6-ippool)`, `Leave ${v4[0]} out in an IPv6-only lab (write IPv6 pools in ipPools, or let podCidr set the default one), or add 'IPv4' to ipFamilies for dual stack.`);
  }
  return out;
}

/**
 * PL2189: an IPv4 BGPPeer that makes a node open a session to another node which has no session
 * back. BIRD answers a neighbour it has no protocol for with a refusal, so the session stays Active
 * ("Connection refused") and no route crosses it: both ends of a BGP session are configured, as in
 * Calico with the node-to-node mesh off. A warning: the lab builds, and `bgp` checks show it.
 */
function oneSidedPeers(config: CalicoConfig, labNodes: readonly { name: string; ip?: string }[]): CniProblem[] {
  if (!labNodes.every((n) => n.ip)) return [];
  const nodes = labNodes.map((n) => ({ name: n.name, ip: n.ip! }));
  const sessions = new Map(nodes.map((n) => [n.name, bgpPeers(config, nodes, n)]));
  const out: CniProblem[] = [];
  for (const [i, peer] of config.peers.entries()) {
    const target = isIPv6Peer(peer) ? undefined : nodes.find((n) => n.ip === peer.peerIP);
    if (!target) continue;
    // The nodes whose session to the target this entry made (an earlier entry or the mesh may have made it already).
    const protocol = peerName(peer.peerIP, peer.node !== undefined);
    const from = nodes.filter((n) => (peer.node === undefined || peer.node === n.name) && sessions.get(n.name)!.some((s) => s.protocol === protocol));
    const lonely = from.filter((n) => !sessions.get(target.name)!.some((s) => s.ip === n.ip));
    if (!lonely.length) continue;
    const them = lonely.map((n) => n.name).join(', ');
    const one = lonely.length === 1;
    out.push({
      code: 'PL2189',
      path: ['peers', i, 'peerIP'],
      message: `BGP peer ${i + 1}: ${them} ${one ? 'peers' : 'peer'} with node "${target.name}" (${target.ip}), but ${target.name} has no BGP session to ${one ? 'it' : 'them'}: its BIRD refuses the connection, so the session${one ? ' never comes' : 's never come'} up (Active, "Connection refused" in birdc show protocols) and no route crosses ${one ? 'it' : 'them'}`,
      hint: `Both ends of a BGP session are configured: add ${lonely.map((n) => `{ node: '${target.name}', peerIP: '${n.ip}', asNumber: ${config.asNumber} }`).join(', ')} (or a global peer of ${one ? lonely[0]!.ip : `each of ${lonely.map((n) => n.ip).join(', ')}`}), or turn nodeToNodeMesh back on.`,
      severity: 'warning',
    });
  }
  return out;
}

/**
 * A node's BGP sessions: the mesh (one session per pair: the node with the higher address connects,
 * the other waits, passive), then the BGPPeers that apply to it, node-specific before global as
 * Calico's template writes them; never to its own address, never twice to one address.
 */
function bgpPeers(config: CalicoConfig, nodes: readonly { name: string; ip: string }[], n: { name: string; ip: string }): CalicoBgp['peers'] {
  const out: CalicoBgp['peers'] = [];
  const seen = new Set([n.ip]);
  const nameAt = (addr: string) => nodes.find((o) => o.ip === addr)?.name ?? addr;
  if (config.nodeToNodeMesh)
    for (const o of nodes)
      if (!seen.has(o.ip)) {
        seen.add(o.ip);
        out.push({ node: o.name, ip: o.ip, asNumber: config.asNumber, protocol: meshName(o.ip), passive: ip.parseIp(o.ip)! > ip.parseIp(n.ip)!, source: 'mesh' });
      }
  const v4 = config.peers.filter((x) => !isIPv6Peer(x));
  const explicit = [...v4.filter((x) => x.node === n.name), ...v4.filter((x) => x.node === undefined)];
  for (const x of explicit)
    if (!seen.has(x.peerIP)) {
      seen.add(x.peerIP);
      out.push({ node: nameAt(x.peerIP), ip: x.peerIP, asNumber: x.asNumber, protocol: peerName(x.peerIP, x.node !== undefined), passive: false, source: x.node !== undefined ? 'node' : 'global' });
    }
  return out;
}

function conflist(lab: string, node: string, blocks: readonly ip.Cidr[], borrowed: readonly { ip: string; block: string }[], ipamDir: string, mtu: number, hostPorts: boolean, blocks6?: readonly Prefix[], borrowed6: readonly { ip: string; block: string }[] = []): CniConflist {
  // A borrowed address is a range of its own inside the lender's block (host-local refuses ranges that overlap: one per block, from the first borrowed address to the last).
  const lent = new Map<string, string[]>();
  for (const b of borrowed) lent.set(b.block, [...(lent.get(b.block) ?? []), b.ip]);
  const byIp = (a: string, b: string) => ip.parseIp(a)! - ip.parseIp(b)!;
  const set4 = [
    ...blocks.map((b) => ({ subnet: ip.formatCidr(b), rangeStart: ip.formatIp(b.network), rangeEnd: ip.formatIp(ip.nth(b, ip.size(b) - 1)), gateway: CALICO.gateway })),
    ...[...lent].map(([block, ips]) => {
      const sorted = [...ips].sort(byIp);
      return { subnet: block, rangeStart: sorted[0]!, rangeEnd: sorted.at(-1)!, gateway: CALICO.gateway };
    }),
  ];
  // One range set per family: a pod gets one address of each, from whichever of the node's blocks holds the one asked for.
  return calicoConflist({ lab, node, ipamDir, mtu, hostPorts, rangeSets: [set4, ...(blocks6 ? [rangeSet6(blocks6, borrowed6)] : [])], routes: [{ dst: '0.0.0.0/0' }, ...(blocks6 ? [{ dst: '::/0' }] : [])] });
}

export const calico: CniMode<'calico', typeof calicoSchema, CalicoConfig, CalicoNode> = {
  type: 'calico',
  nodeSlices: false,
  normalize: (spec, families = ['IPv4']) => ({
    type: 'calico',
    pools: spec?.ipPools?.some((q) => !isIPv6Cidr(q.cidr))
      ? spec.ipPools.flatMap((q, i) => (isIPv6Cidr(q.cidr) ? [] : [{
          name: q.name ?? `ippool-${i + 1}`,
          cidr: q.cidr,
          blockSize: q.blockSize ?? CALICO.blockSize,
          nodeSelector: q.nodeSelector ?? 'all()',
          ...(q.natOutgoing !== undefined ? { natOutgoing: q.natOutgoing } : {}),
          disabled: q.disabled ?? false,
          ...(q.encapsulation !== undefined ? { encapsulation: q.encapsulation } : {}),
          at: ['ipPools', i],
        }]))
      : // An IPv6-only lab gets no default IPv4 pool (Calico installed with CALICO_IPV6POOL_CIDR alone); an ipPool written stays, for PL2184.
        !families.includes('IPv4') && !(spec?.ipPool && (spec.ipPool.cidr !== undefined || spec.ipPool.blockSize !== undefined || spec.ipPool.natOutgoing !== undefined))
        ? []
        : [
            {
              ...defaultPool(),
              ...(spec?.ipPool?.cidr !== undefined ? { cidr: spec.ipPool.cidr } : {}),
              blockSize: spec?.ipPool?.blockSize ?? CALICO.blockSize,
              ...(spec?.ipPool?.natOutgoing !== undefined ? { natOutgoing: spec.ipPool.natOutgoing } : {}),
              at: spec?.ipPools ? ['ipPools'] : ['ipPool'],
            },
          ],
    pools6: (spec?.ipPools ?? []).flatMap((q, i) =>
      isIPv6Cidr(q.cidr)
        ? [
            {
              name: q.name ?? `ippool-${i + 1}`,
              cidr: q.cidr,
              blockSize: q.blockSize ?? CALICO.blockSize6,
              nodeSelector: q.nodeSelector ?? 'all()',
              ...(q.natOutgoing !== undefined ? { natOutgoing: q.natOutgoing } : {}),
              disabled: q.disabled ?? false,
              ...(q.encapsulation !== undefined ? { encapsulation: q.encapsulation } : {}),
              at: ['ipPools', i],
            },
          ]
        : [],
    ),
    strictAffinity: spec?.strictAffinity ?? spec?.ipPool?.strictAffinity ?? false,
    ...(spec?.ipPools && spec.ipPool ? { bothPoolForms: true as const } : {}),
    encapsulation: spec?.encapsulation ?? 'None',
    asNumber: spec?.asNumber ?? CALICO.asNumber,
    nodeToNodeMesh: spec?.nodeToNodeMesh ?? true,
    peers: (spec?.peers ?? []).map((x) => ({ ...(x.node !== undefined ? { node: x.node } : {}), peerIP: x.peerIP, asNumber: x.asNumber })),
    vni: spec?.vni ?? CALICO.vni,
    port: spec?.port ?? CALICO.port,
  }),
  validate,
  addressPods: ({ config, podCidr, podCidr6, nodes, pods }) => {
    const { pods: addresses, blocks } = assignBlocks({
      pools: ipamPools(config, ip.formatCidr(podCidr), nodes)!,
      nodes: nodes.length,
      pods,
      tunnel: config.encapsulation === 'VXLAN',
      strictAffinity: config.strictAffinity,
    });
    // Validation (PL2153, PL2176, PL2183) has made sure every pod has an address and every node a block.
    const v6 =
      podCidr6 && nodes[0]?.ipv6
        ? assignBlocks6Pools({
            pools: poolInputs6(pools6Of(config.pools6, formatPrefix(podCidr6)), nodes)!,
            nodes: nodes.length,
            pods,
            // With VXLAN each node's IPv6 tunnel address is taken first (vxlan6.ts), as its IPv4 one is, and nothing is borrowed (pools6.ts).
            strictAffinity: config.strictAffinity || config.encapsulation === 'VXLAN',
            tunnels: config.encapsulation === 'VXLAN',
          })
        : undefined;
    return {
      pods: addresses.map((a) => a ?? ''),
      nodeCidrs: blocks,
      nodeGateways: nodes.map(() => CALICO.gateway),
      ...(v6 ? { ipv6: { pods: v6.pods.map((a) => a ?? ''), nodeCidrs: v6.blocks, nodeGateways: nodes.map(() => CALICO.gateway6) } } : {}),
    };
  },
  planNodes: ({ lab, config, nodes, nodeCidrs, pods, ipamDir, mtu, natOutgoing, podCidr, ipv6 }) => {
    const vxlan = config.encapsulation === 'VXLAN';
    // Dual stack with VXLAN: pods get the smaller of the two devices' MTUs (Felix writes the least of its encapsulations' MTUs for the CNI plugin).
    const podMtu = vxlan ? mtu - (ipv6 ? CALICO.vxlanOverhead6 : CALICO.vxlanOverhead) : mtu;
    const nodes6 = ipv6 ? nodes.map((n, i) => ({ name: n.name, ip6: n.ipv6!.ip, blocks: ipv6.nodeCidrs[i]! })) : [];
    const vxlan6Of = (i: number) => (vxlan && ipv6 ? planVxlan6(nodes6, i, { vni: config.vni, port: config.port, mtu: mtu - CALICO.vxlanOverhead6 }) : undefined);
    const blocksOf = (i: number) => nodeCidrs[i]!.map(ip.formatCidr);
    const tunnelOf = (i: number) => ip.formatIp(nodeCidrs[i]![0]!.network);
    const vtepMac = (node: string) => macFor(`${lab}/vxlan.calico/${node}`);
    const encapsulation = vxlan ? ('VXLAN' as const) : ('None' as const);
    const pools: CalicoPool[] = config.pools.map((q) => ({
      name: q.name,
      cidr: poolCidr(q, ip.formatCidr(podCidr)),
      blockSize: q.blockSize,
      nodeSelector: q.nodeSelector,
      natOutgoing: q.natOutgoing ?? natOutgoing,
      disabled: q.disabled,
      encapsulation,
    }));
    const selectedBy = nodes.map((n) => pools.filter((q) => !q.disabled && selects(q.nodeSelector, n.labels ?? {})).map((q) => q.name));
    // Dual stack: the IPv6 pools (natOutgoing of a written one as the lab's; the default IPv6 pool's false, as CALICO_IPV6POOL_NAT_OUTGOING).
    const pools6: CalicoPool[] = ipv6
      ? pools6Of(config.pools6, formatPrefix(ipv6.podCidr)).map((q) => ({ name: q.name, cidr: q.cidr, blockSize: q.blockSize, nodeSelector: q.nodeSelector, natOutgoing: q.natOutgoing ?? natOutgoing, disabled: q.disabled, encapsulation }))
      : [];
    const selectedBy6 = nodes.map((n) => pools6.filter((q) => !q.disabled && selects(q.nodeSelector, n.labels ?? {})).map((q) => q.name));
    const borrowed6Of = (i: number) =>
      pods
        .filter((p) => p.node === i && p.ip6)
        .flatMap((p) => {
          for (const [j, bs] of (ipv6?.nodeCidrs ?? []).entries())
            for (const b of bs) if (inBlock6(formatPrefix(b), p.ip6!)) return j === i ? [] : [{ pod: p.name, ip: p.ip6!, block: formatPrefix(b), from: nodes[j]!.name }];
          return [];
        });
    // kube-controller-manager's slice of podCidr per node (Node spec.podCIDRs), which Calico's IPAM leaves unused.
    const kubePodCidrsOf = (i: number): string[] => {
      const n = nodes[i]!;
      const v4 = !n.ipv6?.only && n.slice.prefix >= podCidr.prefix && ip.contains(podCidr, n.slice.network) ? [ip.formatCidr(n.slice)] : [];
      const v6 = n.ipv6 && ipv6 && n.ipv6.slice.bits >= ipv6.podCidr.bits && overlaps(ipv6.podCidr, n.ipv6.slice) ? [formatPrefix(n.ipv6.slice)] : [];
      return n.ipv6?.primary ? [...v6, ...v4] : [...v4, ...v6];
    };
    if (ipv6 && nodes[0]?.ipv6?.only)
      return planIPv6Only({ lab, config, nodes, ipamDir, mtu, pods, ipv6, pools6, selected6: selectedBy6, borrowed6: borrowed6Of, peers6: (n) => bgpPeers6(config, nodes, n) }).map((p, i) => ({ ...p, data: { ...p.data, kubePodCidrs: kubePodCidrsOf(i) } }));
    // A pod whose address is in none of its node's blocks borrowed it: from the block (and node) it lies in.
    const blockOf = (addr: string) => {
      const a = ip.parseIp(addr)!;
      for (const [j, bs] of nodeCidrs.entries()) for (const b of bs) if (ip.contains(b, a)) return { block: ip.formatCidr(b), from: nodes[j]!.name, own: j };
      return undefined;
    };
    const borrowedOf = (i: number) =>
      pods
        .filter((p) => p.node === i)
        .flatMap((p) => {
          const b = blockOf(p.ip);
          return b && b.own !== i ? [{ pod: p.name, ip: p.ip, block: b.block, from: b.from }] : [];
        });
    return nodes.map((n, i) => {
      const others = nodes.map((o, j) => ({ o, j })).filter(({ j }) => j !== i);
      const routing: CalicoBgp | CalicoVxlan = vxlan
        ? {
            kind: 'vxlan',
            vxlan: {
              dev: CALICO.vxlanDevice,
              vni: config.vni,
              port: config.port,
              mac: vtepMac(n.name),
              mtu: mtu - CALICO.vxlanOverhead,
              address: tunnelOf(i),
              peers: others.map(({ o, j }) => ({ node: o.name, nodeIp: o.ip, mac: vtepMac(o.name), address: tunnelOf(j), blocks: blocksOf(j) })),
            },
          }
        : { kind: 'bgp', asNumber: config.asNumber, mesh: config.nodeToNodeMesh, peers: bgpPeers(config, nodes, n), ...(ipv6 && n.ipv6 ? { peers6: bgpPeers6(config, nodes, n) } : {}) };
      const blocks6 = ipv6 && n.ipv6 ? ipv6.nodeCidrs[i]! : undefined;
      const v6 = vxlan6Of(i);
      return {
        // VXLAN: Felix's routes to each peer block via the peer's tunnel address (IPv6 ones over vxlan-v6.calico); BGP: none here, BIRD learns them.
        routes: [
          ...(routing.kind === 'vxlan' ? routing.vxlan.peers.flatMap((p) => p.blocks.map((b) => ({ dst: b, via: p.address, dev: CALICO.vxlanDevice, onlink: true }))) : []),
          ...(v6 ? vxlan6Routes(v6) : []),
        ],
        conflist: conflist(lab, n.name, nodeCidrs[i]!, borrowedOf(i), ipamDir, podMtu, n.hostPorts, blocks6, blocks6 ? borrowed6Of(i) : []),
        data: {
          type: 'calico',
          pools,
          selected: selectedBy[i]!,
          strictAffinity: config.strictAffinity,
          blocks: blocksOf(i),
          borrowed: borrowedOf(i),
          kubePodCidrs: kubePodCidrsOf(i),
          workloads: pods.filter((p) => p.node === i).map((p) => ({ pod: p.name, namespace: p.namespace, ip: p.ip, ...(blocks6 && p.ip6 ? { ip6: p.ip6 } : {}), hostVeth: hostVethName(p.namespace, p.name) })),
          routing,
          ...(blocks6 && n.ipv6 ? { ipv6: { ip: n.ipv6.ip, pools: pools6, selected: selectedBy6[i]!, blocks: blocks6.map(formatPrefix), borrowed: borrowed6Of(i), ...(v6 ? { vxlan: v6 } : {}) } } : {}),
        },
      };
    });
  },
  // Calico's NAT is its own table, per pool (nat.ts: Felix's cali-nat-outgoing), not kube-proxy's podCidr-wide rule.
  kubeProxyNat: () => false,
  masquerade: { short: "the IP pool's natOutgoing", who: "the Calico IPPool's natOutgoing: Felix's cali-nat-outgoing, traffic from the pool to outside every pool" },
  kernelFeatures: (c) => (c.encapsulation === 'VXLAN' ? ['vxlan'] : ['bird']),
  featureHints: {
    vxlan: 'Calico\'s VXLAN encapsulation needs VXLAN (CONFIG_VXLAN). Use encapsulation: "None", which routes with BGP instead.',
    bird: 'Calico\'s BGP routing runs BIRD 2 in every node: apt-get install bird2 (or run scripts/setup.sh).',
  },
  nodeBatchLines: ({ ip: nodeIp, iface, cni: { routing: r, blocks, ipv6 } }) =>
    ipv6?.only
      ? [
          // An IPv6-only node: no 169.254.1.1 (the pods' gateway is the veth's own link-local address) and nothing IPv4.
          ...(r.kind === 'vxlan'
            ? vxlan6BatchLines(nodeIp, iface, r.vxlan, ipv6.blocks)
            : [
                `# Calico BGP in IPv6 alone: no device. BIRD (bird/<node>.conf) installs a blackhole route per IPv6 block of this node (${ipv6.blocks.join(', ')})`,
                "# and the routes to the peers' IPv6 blocks it learns over the IPv6 mesh (proto bird).",
              ]),
        ]
      : [
          // Proxy ARP answers only for an address the node routes out of another interface; Calico counts
          // on the node's default route for that, and a lab without a gateway gives its nodes none.
          `# The pods' gateway ${CALICO.gateway}: a route of its own (on lo, where nothing sends), so each cali veth answers ARP for it.`,
          `route add ${CALICO.gateway}/32 dev lo`,
          ...(r.kind === 'vxlan'
            ? [
                "# Calico VXLAN (what Felix programs): the node's VTEP holds its tunnel address, the first of its first block;",
                "# per peer a neighbour entry (its tunnel address → its VTEP's MAC) and an FDB entry (bridge batch); a blackhole per own block.",
                `link add name ${r.vxlan.dev} address ${r.vxlan.mac} mtu ${r.vxlan.mtu} type vxlan id ${r.vxlan.vni} local ${nodeIp} dev ${iface} dstport ${r.vxlan.port} nolearning`,
                `address add ${r.vxlan.address}/32 dev ${r.vxlan.dev}`,
                `link set dev ${r.vxlan.dev} up`,
                ...r.vxlan.peers.map((p) => `neigh add ${p.address} lladdr ${p.mac} dev ${r.vxlan.dev} nud permanent`),
                ...blocks.map((b) => `route add blackhole ${b}`),
                ...(ipv6?.vxlan ? vxlan6BatchLines(ipv6.ip, iface, ipv6.vxlan, ipv6.blocks) : []),
              ]
            : [
                `# Calico BGP: no device. BIRD (bird/<node>.conf) installs a blackhole route per block of this node (${blocks.join(', ')})`,
                "# and the routes to the peers' blocks it learns over iBGP (proto bird).",
              ]),
        ],
  nodeFiles: (n) =>
    n.cni.routing.kind === 'vxlan'
      ? [{ path: `ip/fdb-${n.name}.batch`, template: 'calico-fdb.batch' }, ...(n.cni.ipv6?.vxlan ? [{ path: `ip/fdb6-${n.name}.batch`, template: 'calico-fdb6.batch' }] : [])]
      : [{ path: `bird/${n.name}.conf`, template: n.cni.ipv6?.only ? 'bird6.conf' : 'bird.conf' }],
  nodeCommands: (n, dir) =>
    n.cni.routing.kind === 'vxlan'
      ? [['bridge', '-n', n.netns, '-batch', `${dir}/ip/fdb-${n.name}.batch`], ...(n.cni.ipv6?.vxlan ? [['bridge', '-n', n.netns, '-batch', `${dir}/ip/fdb6-${n.name}.batch`]] : [])]
      : [],
  nodeDaemons: (n, dir, run) =>
    n.cni.routing.kind === 'bgp'
      ? [{ name: 'bird', argv: ['bird', '-f', '-c', `${dir}/bird/${n.name}.conf`, '-s', birdSocket(run, n.name)], readyFile: birdSocket(run, n.name), dropTo: (uid: number) => ['-u', String(uid), '-g', String(uid)] }]
      : [],
  upstreamCidrs: (n) => unmasqueradedBlocks(n.cni),
  nodeAddresses: ({ cni: { routing: r, ipv6 } }) => [...(r.kind === 'vxlan' ? [r.vxlan.address] : []), ...(ipv6?.vxlan ? [ipv6.vxlan.address] : [])],
  interfaces: ({ cni: { routing: r, workloads, ipv6 } }) => [...(r.kind === 'vxlan' ? [r.vxlan.dev] : []), ...(ipv6?.vxlan ? [ipv6.vxlan.dev] : []), ...workloads.map((w) => w.hostVeth)],
  topology: ({ ip: nodeIp, iface, cni: { routing: r, ipv6 } }, peers) => {
    const v6 = ipv6?.vxlan;
    const vtep = (v: { dev: string; address: string; vni: number; mtu: number }) => ({ name: v.dev, detail: `VTEP ${v.address}/${v.address.includes(':') ? 128 : 32}, VNI ${v.vni}, MTU ${v.mtu}` });
    const peerIp6 = (o: (typeof peers)[number]) => o.cni.ipv6?.ip ?? o.ip;
    return r.kind === 'vxlan'
      ? {
          devices: [vtep(r.vxlan), ...(v6 ? [vtep(v6)] : [])],
          links: r.vxlan.peers.map((p) => ({
            peer: p.node,
            kind: 'tunnel' as const,
            device: r.vxlan.dev,
            detail: `VXLAN VNI ${r.vxlan.vni}, UDP ${r.vxlan.port}: ${nodeIp} ⇄ ${p.nodeIp}${v6 ? `; ${v6.dev}: ${ipv6!.ip} ⇄ ${v6.peers.find((q) => q.node === p.node)?.nodeIp ?? '?'}` : ''}`,
          })),
        }
      : {
          devices: [],
          links: peers.map((o) => ({
            peer: o.name,
            kind: 'route' as const,
            device: iface,
            detail: ipv6?.only ? `iBGP over IPv6 (AS ${r.asNumber}, BIRD): ${nodeIp} ⇄ ${peerIp6(o)}` : `iBGP (AS ${r.asNumber}, BIRD): ${nodeIp} ⇄ ${o.ip}`,
          })),
        };
  },
  describe: (c, families) => {
    const v4 = families?.includes('IPv4') ?? true;
    const v6 = families?.includes('IPv6') ?? false;
    if (!v4)
      return {
        devices: c.encapsulation === 'VXLAN' ? 'VXLAN device, ' : '',
        summary:
          c.encapsulation === 'VXLAN'
            ? ` (IPv6 only: vxlan-v6.calico VNI ${c.vni}, UDP ${c.port}; ${blockSizes6(c)} blocks)`
            : ` (IPv6 only: ${c.nodeToNodeMesh ? 'BGP full mesh' : 'BGP peers'} over IPv6, AS ${c.asNumber}, BIRD, hashed router ids; ${blockSizes6(c)} blocks)`,
        podLink: 'cali* veths',
        podLinkText: `cali* veths, one per pod (no address, MAC ee:ee:ee:ee:ee:ee), a /128 route each; pods route via ${CALICO.gateway6}.`,
      };
    return {
      devices: c.encapsulation === 'VXLAN' ? (v6 ? 'VXLAN devices, ' : 'VXLAN device, ') : '',
      summary:
        c.encapsulation === 'VXLAN'
          ? ` (VXLAN VNI ${c.vni}, UDP ${c.port}; ${blockSizes(c)} blocks${v6 ? `; IPv6 over vxlan-v6.calico, ${blockSizes6(c)} blocks` : ''})`
          : ` (BGP full mesh, AS ${c.asNumber}, BIRD; ${blockSizes(c)} blocks)`,
      podLink: 'cali* veths',
      podLinkText: 'cali* veths, one per pod (no address, MAC ee:ee:ee:ee:ee:ee, proxy ARP), a /32 route each.',
    };
  },
};

/** The IPv6 pools' block sizes for a summary: `/122` (the default IPv6 pool), or those of ipPools' IPv6 entries. */
const blockSizes6 = (c: CalicoConfig) => (c.pools6.length ? [...new Set(c.pools6.map((q) => `/${q.blockSize}`))].join(' and ') : `/${CALICO.blockSize6}`);

/** The pools' block sizes for a summary: `/26`, or `/26 and /28`. */
const blockSizes = (c: CalicoConfig) => [...new Set(c.pools.map((q) => `/${q.blockSize}`))].join(' and ');

/** BIRD's control socket of a node: `birdc -s <this>` talks to it. Under the lab's state directory. */
export function birdSocket(run: string, node: string): string {
  return `${run}/bird-${node}.ctl`;
}
