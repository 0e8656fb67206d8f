/**
 * BIRD's router id where a node has no IPv4 address (an IPv6-only Calico lab). A BGP router id is
 * four octets even for IPv6 sessions (RFC 4271, RFC 6286), and Calico's confd uses the node's IPv4
 * address for it; without one, Calico is run with CALICO_ROUTER_ID=hash, and confd makes the id
 * from the node name: the first four bytes of its SHA-256, the first octet moved out of the
 * multicast and reserved range (above 223: minus 32), as confd's HashToIPv4 (confd/pkg/resource/
 * template/util.go) does. Pure; written here in podlab's own code.
 */
import { createHash } from '../../lib/crypto.ts';

/** Calico's hashed router id of a node: `hashRouterId('nodeTest')` is 109.174.215.226. */
export function hashRouterId(nodeName: string): string {
  const b = createHash('sha256').update(nodeName).digest();
  // BGP refuses a router id in 224.0.0.0/3 (multicast, reserved): confd subtracts 32 from the first octet.
  const first = b[0]! > 223 ? b[0]! - 32 : b[0]!;
  return [first, b[1]!, b[2]!, b[3]!].join('.');
}
