/**
 * Calico's natOutgoing for IPv6 pools, as Felix programs it in the ip6 nat table (its
 * `cali-nat-outgoing` chain over the ipsets cali60masq-ipam-pools and cali60all-ipam-pools):
 * masquerade traffic from an IPv6 pool with natOutgoing to anything outside every IPv6 pool. As
 * the IPv4 table (nat.ts), a table of the node's own: `table ip6 calico`, two interval sets and one
 * rule. Pure: a table as data, applied by the nft sync with the lab's other tables.
 */
import { CALICO } from '../../constants.ts';
import type { NftTable } from '../../nft/table.ts';
import type { CalicoPool } from './pool-types.ts';

/** The node's IPv6 Calico NAT table, or undefined when no IPv6 pool masquerades. */
export function calicoNatTable6(pools: readonly CalicoPool[]): NftTable | undefined {
  const masq = pools.filter((p) => p.natOutgoing);
  if (!masq.length) return undefined;
  const set = (name: string, of: readonly CalicoPool[]) => ({ kind: 'set' as const, name, spec: ['type ipv6_addr', 'flags interval'], elements: of.map((p): [string] => [p.cidr]) });
  return {
    family: 'ip6',
    name: CALICO.natTable,
    sets: [set('masq-ipam-pools', masq), set('all-ipam-pools', pools)],
    chains: [
      {
        name: 'nat-outgoing',
        hook: 'type nat hook postrouting priority srcnat; policy accept;',
        rules: ['ip6 saddr @masq-ipam-pools ip6 daddr != @all-ipam-pools masquerade comment "natOutgoing IPv6 pools to outside every IPv6 pool"'],
      },
    ],
  };
}
