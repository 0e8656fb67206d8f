/**
 * Calico's natOutgoing per IP pool, as Felix programs it (`cali-nat-outgoing`: masquerade from the
 * addresses of pools with natOutgoing to anything outside ALL pools, with the ipsets
 * cali40masq-ipam-pools and cali40all-ipam-pools), as an nftables table of the node: two interval
 * sets and one rule. Pure: a table as data, applied by the nft sync with the lab's other tables.
 */
import { CALICO } from '../../constants.ts';
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
