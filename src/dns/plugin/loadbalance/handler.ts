/**
 * `loadbalance round_robin`: reorders the records of a NOERROR response so that clients taking
 * the first address spread over all of them, as CoreDNS's loadbalance plugin does
 * (plugin/loadbalance/loadbalance.go): in each section CNAMEs stay first (a resolver follows the
 * chain in order), then the other records, then the A/AAAA records, the MX records and the NS
 * records, each of those three groups shuffled. CoreDNS shuffles at random (it draws
 * `dns.Id()`), it does not rotate; `random` is injectable so tests can fix the draw.
 * Error responses and zone transfers pass untouched.
 */
import type { Answer } from 'dns-packet';
import type { DnsResponse, LoadbalanceConfig, Plugin } from '../../types.ts';

/** A random 16-bit number, as miekg/dns's Id(). */
type Draw = () => number;

/** CoreDNS's roundRobinShuffle, in place. */
function shuffle<T>(records: T[], id: Draw): void {
  const l = records.length;
  if (l < 2) return;
  const swap = (q: number, p: number): void => {
    [records[q], records[p]] = [records[p]!, records[q]!];
  };
  if (l === 2) {
    if (id() % 2 === 0) swap(0, 1);
    return;
  }
  const rounds = l * ((id() % 4) + 1);
  for (let j = 0; j < rounds; j++) {
    const q = id() % l;
    let p = id() % l;
    if (q === p) p = (p + 1) % l;
    swap(q, p);
  }
}

/** One section reordered: CNAMEs, the rest, then addresses, MX and NS (each shuffled). */
export function roundRobin(section: Answer[], id: Draw): Answer[] {
  const cname: Answer[] = [];
  const address: Answer[] = [];
  const mx: Answer[] = [];
  const ns: Answer[] = [];
  const rest: Answer[] = [];
  for (const r of section) {
    if (r.type === 'CNAME') cname.push(r);
    else if (r.type === 'A' || r.type === 'AAAA') address.push(r);
    else if (r.type === 'MX') mx.push(r);
    else if (r.type === 'NS') ns.push(r);
    else rest.push(r);
  }
  shuffle(address, id);
  shuffle(mx, id);
  shuffle(ns, id);
  return [...cname, ...rest, ...address, ...mx, ...ns];
}

/**
 * @param random a number in [0, 1), turned into the 16-bit draw CoreDNS takes from dns.Id(). @default Math.random
 */
export function loadbalancePlugin(config: LoadbalanceConfig, random: () => number = Math.random): Plugin {
  void config; // round_robin is the only policy podlab supports
  const id: Draw = () => Math.floor(random() * 0x10000) & 0xffff;
  return {
    name: 'loadbalance',
    async serve(req, next): Promise<DnsResponse> {
      const res = await next(req);
      if (res.rcode !== 'NOERROR' || req.qtype === 'AXFR' || req.qtype === 'IXFR') return res;
      return {
        ...res,
        answers: roundRobin(res.answers, id),
        authorities: roundRobin(res.authorities, id),
        additionals: roundRobin(res.additionals, id),
      };
    },
  };
}
