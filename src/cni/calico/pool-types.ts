/**
 * The IP pool as Calico's plan keeps it, in a leaf module of its own: index.ts (the mode), its
 * natOutgoing tables (nat.ts, nat6.ts) and the IPv6-only share (ipv6-only.ts, which index.ts
 * imports) all read it, and none of them may import index.ts back (test/unit/layering.test.ts).
 */

/** An IP pool as the plan keeps it (every node's data holds all of them: NAT needs the whole list). */
export interface CalicoPool {
  name: string;
  cidr: string;
  blockSize: number;
  nodeSelector: string;
  natOutgoing: boolean;
  disabled: boolean;
  encapsulation: 'None' | 'VXLAN';
}
