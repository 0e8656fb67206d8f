/**
 * /proc/<pid>/net/{udp,tcp,udp6,tcp6}: the sockets of the network namespace that process is in,
 * one line each after a header: `sl local_address rem_address st …`, the local address in hex
 * (IPv4 as one 32-bit word in host order, IPv6 as four) and the port in big-endian hex.
 */

/** TCP's LISTEN state in the `st` column; an unconnected UDP socket shows 07 (TCP_CLOSE). */
const LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/** The ports with a socket bound on the wildcard address (TCP: listening) in a /proc/net table's text. */
export function wildcardPorts(text: string, transport: 'udp' | 'tcp'): Set<number> {
  const out = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [addr, port] = f[1]!.split(':');
    if (!addr || !port || !/^0+$/.test(addr)) continue;
    if (f[3] !== (transport === 'tcp' ? LISTEN : UDP_UNCONNECTED)) continue;
    out.add(Number.parseInt(port, 16));
  }
  return out;
}
