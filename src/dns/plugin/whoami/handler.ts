/**
 * `whoami`: answers any query with what the server sees of the client, as CoreDNS does: an
 * empty answer section, and in the additional section an A (or AAAA) record with the client's
 * address and an SRV record `_<transport>.<qname>` with its port.
 */
import { isIPv6 } from '../../../net/ip.ts';
import type { DnsRequest, DnsResponse, Plugin } from '../../types.ts';

export function whoamiPlugin(): Plugin {
  return {
    name: 'whoami',
    async serve(req: DnsRequest): Promise<DnsResponse> {
      const name = req.msg.questions![0]!.name;
      const address = req.client.address.replace(/^::ffff:/, '');
      return {
        rcode: 'NOERROR',
        aa: true,
        answers: [],
        authorities: [],
        additionals: [
          { name, type: isIPv6(address) ? 'AAAA' : 'A', class: 'IN', ttl: 0, data: address },
          { name: `_${req.client.transport}.${name}`, type: 'SRV', class: 'IN', ttl: 0, data: { priority: 0, weight: 0, port: req.client.port, target: '.' } },
        ],
      };
    },
  };
}
