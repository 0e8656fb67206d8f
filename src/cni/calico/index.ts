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
 */
import { z } from 'zod';
import { CALICO, CNI_VERSION } from '../../constants.ts';
import * as ip from '../../net/ipv4.ts';
import { macFor } from '../../plan/names.ts';
import { port } from '../../schema/fields.ts';
import type { CniConflist, CniMode, CniProblem } from '../types.ts';
import { assignBlocks, blockCount, blocksNeeded } from './ipam.ts';
import { hostVethName } from './veth.ts';

export { hostVethName };

const schema = z.strictObject({
  type: z.literal('calico'),
  /** The IP pool pods take their addresses from (Calico's default IPPool). */
  ipPool: z
    .strictObject({
      /** The pool; inside the lab's podCidr. @default the lab's podCidr */
      cidr: z.string().optional(),
      /** Prefix length of the blocks nodes claim from the pool (Calico: 20–32). @default 26 */
      blockSize: z.number().int().optional(),
      /** Masquerade pod traffic from the pool to anything outside it (Calico's natOutgoing). @default the lab's natOutgoing */
      natOutgoing: z.boolean().optional(),
      /**
       * Calico's IPAM strictAffinity: a node never takes an address from another node's block. Off
       * (Calico's default), a node whose blocks are full when the pool has no free block left
       * borrows one address of another node's block, and BIRD advertises that /32. @default false
       */
      strictAffinity: z.boolean().optional(),
    })
    .optional(),
  /**
   * How pod traffic crosses nodes: 'None' routes it over the node network, the routes learned by
   * BIRD over BGP; 'VXLAN' encapsulates it in `vxlan.calico`, no BGP. 'IPIP' is refused: this
   * podlab's kernel has no ipip module. @default 'None'
   */
  encapsulation: z.enum(['None', 'VXLAN', 'IPIP']).optional(),
  /** AS number of the node-to-node BGP mesh. @default 64512 */
  asNumber: z.number().int().optional(),
  /**
   * Calico's BGPConfiguration `nodeToNodeMeshEnabled`: every node peers with every other node.
   * Off, nodes peer only with `peers`. @default true
   */
  nodeToNodeMesh: z.boolean().optional(),
  /**
   * Calico's BGPPeer resources: explicit BGP sessions. A peer with `node` applies to that node only
   * (BIRD protocol Node_<ip>), without it to every node (Global_<ip>); a node never peers with
   * its own address, nor twice with one address (the mesh's session counts first). `peerIP` must
   * lie in the lab's node network: BIRD speaks only to lab nodes. @default []
   */
  peers: z
    .array(
      z.strictObject({
        /** The node this peer applies to (Calico's BGPPeer spec.node); every node if left out. */
        node: z.string().optional(),
        /** The peer's address (spec.peerIP): a node of the lab, by its address in the node network. */
        peerIP: z.string(),
        /** The peer's AS number (spec.asNumber). */
        asNumber: z.number().int(),
      }),
    )
    .optional(),
  /** VXLAN network identifier of vxlan.calico. @default 4096 */
  vni: z.number().int().min(1).max(16777215).optional(),
  /** VXLAN UDP port. @default 4789 */
  port: port.optional(),
});

export interface CalicoConfig {
  type: 'calico';
  ipPool: {
    cidr?: string;
    blockSize: number;
    /** Undefined: as the lab's natOutgoing. */
    natOutgoing?: boolean;
    strictAffinity: boolean;
  };
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
}

/** VXLAN: the node's VTEP and, per peer, its VTEP and blocks (routed via its tunnel address). */
export interface CalicoVxlan {
  kind: 'vxlan';
  vxlan: {
    dev: string;
    vni: number;
    port: number;
    mac: string;
    mtu: number;
    /** The node's tunnel address: the first address of its first block. */
    address: string;
    peers: { node: string; nodeIp: string; mac: string; address: string; blocks: string[] }[];
  };
}

export interface CalicoNode {
  type: 'calico';
  pool: { cidr: string; blockSize: number; natOutgoing: boolean; encapsulation: 'None' | 'VXLAN'; strictAffinity: boolean };
  /** The blocks this node holds, in the order it claimed them. */
  blocks: string[];
  /** Pods of this node whose address is borrowed from another node's block (advertised by BIRD as a /32). */
  borrowed: { pod: string; ip: string; block: string; from: string }[];
  workloads: CalicoWorkload[];
  routing: CalicoBgp | CalicoVxlan;
}

/** A BGP protocol's name in bird.conf, as Calico's template names mesh peers: Mesh_172_16_94_11. */
export const meshName = (peerIp: string) => `Mesh_${peerIp.replaceAll('.', '_')}`;
/** BGPPeers' protocols, as Calico's template names them: Node_172_16_94_11 (one node's), Global_172_16_94_11 (every node's). */
const peerName = (peerIp: string, node: boolean) => `${node ? 'Node' : 'Global'}_${peerIp.replaceAll('.', '_')}`;

const poolOf = (config: CalicoConfig, podCidr: string) => config.ipPool.cidr ?? podCidr;

/** The rules of the mode's config (PL2150–PL2169): pool, block size, AS number, encapsulation. */
function validate(config: CalicoConfig, lab: Parameters<CniMode['validate']>[1]): CniProblem[] {
  const out: CniProblem[] = [];
  const p = (code: string, path: (string | number)[], message: string, hint: string) => out.push({ code, path, message, hint });
  if (config.encapsulation === 'IPIP')
    p('PL2155', ['encapsulation'], "encapsulation 'IPIP' needs IP-in-IP tunnels (the kernel's ipip module, CONFIG_NET_IPIP), which this machine's kernel does not have", "Use encapsulation: 'VXLAN' (Calico's other overlay, vxlan.calico) or 'None' (routed, BGP with BIRD).");
  if (config.asNumber < 1 || config.asNumber > 4294967295)
    p('PL2154', ['asNumber'], `AS number ${config.asNumber} is out of range`, 'An AS number is 1–4294967295 (4-byte ASN); Calico uses 64512, the first private AS, by default.');
  if (config.encapsulation === 'VXLAN' && (config.peers.length || !config.nodeToNodeMesh))
    p('PL2170', [config.peers.length ? 'peers' : 'nodeToNodeMesh'], `${config.peers.length ? 'BGP peers are' : 'nodeToNodeMesh is'} set, but encapsulation 'VXLAN' runs no BGP (no BIRD)`, "Leave peers and nodeToNodeMesh out with VXLAN, or use encapsulation 'None' (routed, BGP with BIRD).");
  const nodeNet = lab.nodeNetwork ? ip.parseCidr(lab.nodeNetwork.cidr) : undefined;
  for (const [i, peer] of config.peers.entries()) {
    if (peer.node !== undefined && !lab.nodes.some((n) => n.name === peer.node))
      p('PL2171', ['peers', i, 'node'], `BGP peer ${i + 1} applies to node "${peer.node}", which is not a node of the lab`, `Name one of: ${lab.nodes.map((n) => n.name).join(', ')}; or leave node out for a peer of every node (a global BGPPeer).`);
    const addr = ip.parseIp(peer.peerIP);
    if (addr === undefined)
      p('PL2172', ['peers', i, 'peerIP'], `BGP peer ${i + 1}: peerIP "${peer.peerIP}" is not an IPv4 address`, 'Write the peer node\'s address, e.g. "172.16.94.11".');
    else if (nodeNet && !ip.contains(nodeNet, addr))
      p('PL2172', ['peers', i, 'peerIP'], `BGP peer ${i + 1}: peerIP ${peer.peerIP} is outside the lab's node network ${lab.nodeNetwork!.cidr}`, "podlab's BIRD speaks BGP only to the lab's nodes, on its node network: give a node's address.");
    if (peer.asNumber < 1 || peer.asNumber > 4294967295)
      p('PL2154', ['peers', i, 'asNumber'], `BGP peer ${i + 1}: AS number ${peer.asNumber} is out of range`, 'An AS number is 1–4294967295 (4-byte ASN); the nodes of this lab are in AS ' + config.asNumber + '.');
  }
  const podNet = ip.parseCidr(lab.podCidr);
  const poolText = poolOf(config, lab.podCidr);
  const pool = ip.parseCidr(poolText);
  if (!pool) {
    if (config.ipPool.cidr !== undefined) p('PL2150', ['ipPool', 'cidr'], `IP pool "${poolText}" is not a valid IPv4 CIDR`, 'Write it as a.b.c.d/n with no host bits set, e.g. "10.244.0.0/16".');
    return out;
  }
  if (podNet && !(ip.contains(podNet, pool.network) && pool.prefix >= podNet.prefix))
    p('PL2151', ['ipPool', 'cidr'], `IP pool ${poolText} is not inside the pod network ${lab.podCidr}`, 'Pods, Services and nodes are told apart by podCidr: choose a pool inside it, or leave ipPool.cidr out to use podCidr itself.');
  const bs = config.ipPool.blockSize;
  if (bs < 20 || bs > 32 || bs < pool.prefix) {
    p('PL2152', ['ipPool', 'blockSize'], `a block size of /${bs} does not fit IP pool ${poolText}`, `Calico's IPv4 blocks are /20 to /32 and no larger than the pool: use a block size from ${Math.max(20, pool.prefix)} to 32 (default 26).`);
    return out;
  }
  const perNode = lab.nodes.map((n) => lab.pods.filter((q) => q.node === n.name && !q.hostNetwork).length);
  const tunnel = config.encapsulation === 'VXLAN';
  const needed = blocksNeeded(bs, perNode, tunnel);
  const have = blockCount(pool, bs);
  const addresses = perNode.reduce((a, n) => a + n + (tunnel ? 1 : 0), 0);
  // Without strictAffinity a node may borrow addresses of other nodes' blocks once the pool has no free block.
  const fits = config.ipPool.strictAffinity ? needed <= have : lab.nodes.length <= have && addresses <= have * 2 ** (32 - bs);
  if (!fits)
    p(
      'PL2153',
      ['ipPool'],
      config.ipPool.strictAffinity
        ? `IP pool ${poolText} holds ${have} block(s) of /${bs}, but the lab's ${lab.nodes.length} node(s) and their pods need ${needed}, and strictAffinity forbids borrowing`
        : `IP pool ${poolText} holds ${have} block(s) of /${bs} (${have * 2 ** (32 - bs)} addresses), but the lab's ${lab.nodes.length} node(s) need a block each${addresses ? ` and their pods ${addresses} addresses` : ''}`,
      config.ipPool.strictAffinity
        ? 'Every node claims at least one block, and one more per 2^(32 - blockSize) addresses; with strictAffinity it never borrows: make the pool larger, the blocks smaller, or drop strictAffinity.'
        : 'Every node claims at least one block; once no block is free, pods borrow the free addresses of other nodes\' blocks: make the pool larger or the blocks smaller (a longer blockSize).',
    );
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
  const explicit = [...config.peers.filter((x) => x.node === n.name), ...config.peers.filter((x) => x.node === undefined)];
  for (const x of explicit)
    if (!seen.has(x.peerIP)) {
      seen.add(x.peerIP);
      out.push({ node: nameAt(x.peerIP), ip: x.peerIP, asNumber: x.asNumber, protocol: peerName(x.peerIP, x.node !== undefined), passive: false, source: x.node !== undefined ? 'node' : 'global' });
    }
  return out;
}

function conflist(lab: string, node: string, blocks: readonly ip.Cidr[], borrowed: readonly { ip: string; block: string }[], ipamDir: string, mtu: number, hostPorts: boolean): CniConflist {
  // A borrowed address is a range of its own inside the lender's block (host-local refuses ranges that overlap: one per block, from the first borrowed address to the last).
  const lent = new Map<string, string[]>();
  for (const b of borrowed) lent.set(b.block, [...(lent.get(b.block) ?? []), b.ip]);
  const byIp = (a: string, b: string) => ip.parseIp(a)! - ip.parseIp(b)!;
  return {
    cniVersion: CNI_VERSION,
    name: `podlab-${lab}`,
    plugins: [
      {
        // podlab's calico plugin: Calico's veth wiring, IPAM delegated to host-local (as Calico's own plugin can).
        type: 'calico',
        nodename: node,
        mtu,
        ipam: {
          type: 'host-local',
          // One range set: a pod gets one address, from whichever of the node's blocks holds the one asked for.
          ranges: [
            [
              ...blocks.map((b) => ({ subnet: ip.formatCidr(b), rangeStart: ip.formatIp(b.network), rangeEnd: ip.formatIp(ip.nth(b, ip.size(b) - 1)), gateway: CALICO.gateway })),
              ...[...lent].map(([block, ips]) => {
                const sorted = [...ips].sort(byIp);
                return { subnet: block, rangeStart: sorted[0]!, rangeEnd: sorted.at(-1)!, gateway: CALICO.gateway };
              }),
            ],
          ],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: `${ipamDir}/${node}`,
        },
      },
      ...(hostPorts ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
    ],
  };
}

export const calico: CniMode<'calico', typeof schema, CalicoConfig, CalicoNode> = {
  type: 'calico',
  schema,
  nodeSlices: false,
  normalize: (spec) => ({
    type: 'calico',
    ipPool: {
      ...(spec?.ipPool?.cidr !== undefined ? { cidr: spec.ipPool.cidr } : {}),
      blockSize: spec?.ipPool?.blockSize ?? CALICO.blockSize,
      ...(spec?.ipPool?.natOutgoing !== undefined ? { natOutgoing: spec.ipPool.natOutgoing } : {}),
      strictAffinity: spec?.ipPool?.strictAffinity ?? false,
    },
    encapsulation: spec?.encapsulation ?? 'None',
    asNumber: spec?.asNumber ?? CALICO.asNumber,
    nodeToNodeMesh: spec?.nodeToNodeMesh ?? true,
    peers: (spec?.peers ?? []).map((x) => ({ ...(x.node !== undefined ? { node: x.node } : {}), peerIP: x.peerIP, asNumber: x.asNumber })),
    vni: spec?.vni ?? CALICO.vni,
    port: spec?.port ?? CALICO.port,
  }),
  validate,
  addressPods: ({ config, podCidr, nodes, pods }) => {
    const { pods: addresses, blocks } = assignBlocks({
      pool: ip.parseCidr(poolOf(config, ip.formatCidr(podCidr)))!,
      blockSize: config.ipPool.blockSize,
      nodes: nodes.length,
      pods,
      tunnel: config.encapsulation === 'VXLAN',
      strictAffinity: config.ipPool.strictAffinity,
    });
    // Validation (PL2153) has made sure every pod has an address.
    return { pods: addresses.map((a) => a ?? ''), nodeCidrs: blocks, nodeGateways: nodes.map(() => CALICO.gateway) };
  },
  planNodes: ({ lab, config, nodes, nodeCidrs, pods, ipamDir, mtu, natOutgoing, podCidr }) => {
    const vxlan = config.encapsulation === 'VXLAN';
    const podMtu = vxlan ? mtu - CALICO.vxlanOverhead : mtu;
    const blocksOf = (i: number) => nodeCidrs[i]!.map(ip.formatCidr);
    const tunnelOf = (i: number) => ip.formatIp(nodeCidrs[i]![0]!.network);
    const vtepMac = (node: string) => macFor(`${lab}/vxlan.calico/${node}`);
    const pool = {
      cidr: poolOf(config, ip.formatCidr(podCidr)),
      blockSize: config.ipPool.blockSize,
      natOutgoing: config.ipPool.natOutgoing ?? natOutgoing,
      encapsulation: vxlan ? ('VXLAN' as const) : ('None' as const),
      strictAffinity: config.ipPool.strictAffinity,
    };
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
              mtu: podMtu,
              address: tunnelOf(i),
              peers: others.map(({ o, j }) => ({ node: o.name, nodeIp: o.ip, mac: vtepMac(o.name), address: tunnelOf(j), blocks: blocksOf(j) })),
            },
          }
        : { kind: 'bgp', asNumber: config.asNumber, mesh: config.nodeToNodeMesh, peers: bgpPeers(config, nodes, n) };
      return {
        // VXLAN: Felix's routes to each peer block via the peer's tunnel address; BGP: none here, BIRD learns them.
        routes:
          routing.kind === 'vxlan' ? routing.vxlan.peers.flatMap((p) => p.blocks.map((b) => ({ dst: b, via: p.address, dev: CALICO.vxlanDevice, onlink: true }))) : [],
        conflist: conflist(lab, n.name, nodeCidrs[i]!, borrowedOf(i), ipamDir, podMtu, n.hostPorts),
        data: {
          type: 'calico',
          pool,
          blocks: blocksOf(i),
          borrowed: borrowedOf(i),
          workloads: pods.filter((p) => p.node === i).map((p) => ({ pod: p.name, namespace: p.namespace, ip: p.ip, hostVeth: hostVethName(p.namespace, p.name) })),
          routing,
        },
      };
    });
  },
  kubeProxyNat: (config, labNatOutgoing) => config.ipPool.natOutgoing ?? labNatOutgoing,
  kernelFeatures: (c) => (c.encapsulation === 'VXLAN' ? ['vxlan'] : ['bird']),
  featureHints: {
    vxlan: 'Calico\'s VXLAN encapsulation needs VXLAN (CONFIG_VXLAN). Use encapsulation: "None", which routes with BGP instead.',
    bird: 'Calico\'s BGP routing runs BIRD 2 in every node: apt-get install bird2 (or run scripts/setup.sh).',
  },
  nodeBatchLines: ({ ip: nodeIp, iface, cni: { routing: r, blocks } }) => [
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
        ]
      : [
          `# Calico BGP: no device. BIRD (bird/<node>.conf) installs a blackhole route per block of this node (${blocks.join(', ')})`,
          "# and the routes to the peers' blocks it learns over iBGP (proto bird).",
        ]),
  ],
  nodeFiles: (n) =>
    n.cni.routing.kind === 'vxlan' ? [{ path: `ip/fdb-${n.name}.batch`, template: 'calico-fdb.batch' }] : [{ path: `bird/${n.name}.conf`, template: 'bird.conf' }],
  nodeCommands: (n, dir) => (n.cni.routing.kind === 'vxlan' ? [['bridge', '-n', n.netns, '-batch', `${dir}/ip/fdb-${n.name}.batch`]] : []),
  nodeDaemons: (n, dir, run) =>
    n.cni.routing.kind === 'bgp'
      ? [{ name: 'bird', argv: ['bird', '-f', '-c', `${dir}/bird/${n.name}.conf`, '-s', birdSocket(run, n.name)], readyFile: birdSocket(run, n.name) }]
      : [],
  nodeAddresses: ({ cni: { routing: r } }) => (r.kind === 'vxlan' ? [r.vxlan.address] : []),
  interfaces: ({ cni: { routing: r, workloads } }) => [...(r.kind === 'vxlan' ? [r.vxlan.dev] : []), ...workloads.map((w) => w.hostVeth)],
  topology: ({ ip: nodeIp, iface, cni: { routing: r } }, peers) =>
    r.kind === 'vxlan'
      ? {
          devices: [{ name: r.vxlan.dev, detail: `VTEP ${r.vxlan.address}/32, VNI ${r.vxlan.vni}, MTU ${r.vxlan.mtu}` }],
          links: r.vxlan.peers.map((p) => ({ peer: p.node, kind: 'tunnel' as const, device: r.vxlan.dev, detail: `VXLAN VNI ${r.vxlan.vni}, UDP ${r.vxlan.port}: ${nodeIp} ⇄ ${p.nodeIp}` })),
        }
      : {
          devices: [],
          links: peers.map((o) => ({ peer: o.name, kind: 'route' as const, device: iface, detail: `iBGP (AS ${r.asNumber}, BIRD): ${nodeIp} ⇄ ${o.ip}` })),
        },
  describe: (c) => ({
    devices: c.encapsulation === 'VXLAN' ? 'VXLAN device, ' : '',
    summary: c.encapsulation === 'VXLAN' ? ` (VXLAN VNI ${c.vni}, UDP ${c.port}; /${c.ipPool.blockSize} blocks)` : ` (BGP full mesh, AS ${c.asNumber}, BIRD; /${c.ipPool.blockSize} blocks)`,
    podLink: 'cali* veths',
    podLinkText: 'cali* veths, one per pod (no address, MAC ee:ee:ee:ee:ee:ee, proxy ARP), a /32 route each.',
  }),
};

/** BIRD's control socket of a node: `birdc -s <this>` talks to it. Under the lab's state directory. */
export function birdSocket(run: string, node: string): string {
  return `${run}/bird-${node}.ctl`;
}
