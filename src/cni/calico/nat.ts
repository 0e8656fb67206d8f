/**
 * Calico's natOutgoing per IP pool, as Felix programs it (`cali-nat-outgoing`: masquerade from the
 * addresses of pools with natOutgoing to anything outside ALL pools, with the ipsets
 * cali40masq-ipam-pools and cali40all-ipam-pools), as an nftables table of the node: two interval
 * sets and one rule. Pure: a table as data, applied by the nft sync with the lab's other tables.
 */
import { CALICO } from '../../constants.ts';
import { contains, parsePrefix } from '../../net/addr.ts';
import type { NftTable } from '../../nft/table.ts';
import type { CalicoPool } from './pool-types.ts';

/** The node's Calico NAT table, or undefined when no pool masquerades. */
export function calicoNatTable(pools: readonly CalicoPool[]): NftTable | undefined {
  const masq = pools.filter((p) => p.natOutgoing);
  if (!masq.length) return undefined;
  const set = (name: string, of: readonly CalicoPool[]) => ({ kind: 'set' as const, name, spec: ['type ipv4_addr', 'flags interval'], elements: of.map((p): [string] => [p.cidr]) });
  return {
    family: 'ip',
    name: CALICO.natTable,
    sets: [set('masq-ipam-pools', masq), set('all-ipam-pools', pools)],
    chains: [
      {
        name: 'nat-outgoing',
        hook: 'type nat hook postrouting priority srcnat; policy accept;',
        rules: ['ip saddr @masq-ipam-pools ip daddr != @all-ipam-pools masquerade comment "natOutgoing pools to outside every pool"'],
      },
    ],
  };
}

/** A node's blocks and the pools they come from, per family, as the plan keeps them. */
interface NodeBlocks {
  pools: readonly CalicoPool[];
  blocks: readonly string[];
  ipv6?: { pools: readonly CalicoPool[]; blocks: readonly string[] };
}

/**
 * The node's blocks whose pods leave the cluster with their own addresses (their pool has no
 * natOutgoing): the network upstream of the nodes must route the answers back, so the lab's
 * gateway holds a route to each via the node (as a router peering with the nodes would learn it).
 * A masqueraded pool's blocks are known to the nodes alone, by BGP (or Felix's VXLAN routes): stop
 * a node's BIRD and its peers lose its blocks, with no way around through the gateway.
 */
export function unmasqueradedBlocks(node: NodeBlocks): string[] {
  const open = (pools: readonly CalicoPool[], blocks: readonly string[]) =>
    blocks.filter((b) => {
      const block = parsePrefix(b);
      const pool = block && pools.find((p) => {
        const c = parsePrefix(p.cidr);
        return c !== undefined && c.bits <= block.bits && contains(c, { family: block.family, value: block.network });
      });
      return pool !== undefined && !pool.natOutgoing;
    });
  return [...open(node.pools, node.blocks), ...(node.ipv6 ? open(node.ipv6.pools, node.ipv6.blocks) : [])];
}
