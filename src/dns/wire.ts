/**
 * The DNS message at the edge of the server: decoding a query defensively (a malformed packet
 * gets FORMERR with its id, never an exception), and encoding a response that fits the client's
 * limit — over UDP 512 bytes or the EDNS0 payload size it advertised, dropping additional
 * records first and setting TC only when answers had to go (RFC 2181 §9), so the client retries
 * over TCP.
 */
import * as packet from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import type { DnsResponse } from './types.ts';

const RCODE: Record<DnsResponse['rcode'], number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const QR = 1 << 15;
/** The EDNS0 payload size podlab's server advertises (the DNS flag day 2020 value). */
export const SERVER_UDP_SIZE = 1232;

/** A response carrying only a header: for queries too broken to decode. Undefined when not even the header is there. */
export function headerOnly(query: Buffer, rcode: DnsResponse['rcode']): Buffer | undefined {
  if (query.length < 12) return undefined;
  const out = Buffer.alloc(12);
  const flags = query.readUInt16BE(2);
  if (flags & QR) return undefined; // never answer a response
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  // Keep the opcode and RD bits of the query, set QR and the rcode.
  out.writeUInt16BE(QR | (flags & 0x7900) | RCODE[rcode], 2);
  return out;
}

export type Decoded = { ok: true; msg: Packet } | { ok: false; reply?: Buffer; why: string };

export function decodeQuery(buf: Buffer): Decoded {
  let msg: Packet;
  try {
    msg = packet.decode(buf);
  } catch (e) {
    return { ok: false, reply: headerOnly(buf, 'FORMERR'), why: `malformed message: ${(e as Error).message}` };
  }
  if (msg.type === 'response') return { ok: false, why: 'a response, not a query' };
  const opcode = (msg as { opcode?: string }).opcode;
  if (opcode !== 'QUERY') return { ok: false, reply: headerOnly(buf, 'NOTIMP'), why: `opcode ${opcode} not implemented` };
  if (msg.questions?.length !== 1) return { ok: false, reply: headerOnly(buf, 'FORMERR'), why: `${msg.questions?.length ?? 0} questions (exactly one is allowed)` };
  return { ok: true, msg };
}

/** The OPT record of a message, if it has one (EDNS0). */
export function optOf(msg: Packet): (Answer & { udpPayloadSize?: number; flags?: number }) | undefined {
  return msg.additionals?.find((a) => a.type === 'OPT') as never;
}

/** The largest UDP response the client accepts. */
export function udpLimit(msg: Packet): number {
  const opt = optOf(msg);
  return opt ? Math.max(512, Math.min(opt.udpPayloadSize ?? 512, 65535)) : 512;
}

export function encodeResponse(query: Packet, res: DnsResponse, limit: number): Buffer {
  const rd = ((query.flags ?? 0) & packet.RECURSION_DESIRED) !== 0;
  const opt = optOf(query);
  const flags = (res.aa ? packet.AUTHORITATIVE_ANSWER : 0) | (res.tc ? packet.TRUNCATED_RESPONSE : 0) | (rd ? packet.RECURSION_DESIRED : 0) | packet.RECURSION_AVAILABLE | RCODE[res.rcode];
  const extra: Answer[] = opt ? [{ type: 'OPT', name: '.', udpPayloadSize: SERVER_UDP_SIZE, flags: (opt.flags ?? 0) & packet.DNSSEC_OK } as never] : [];
  const msg: Packet = {
    id: query.id,
    type: 'response',
    flags,
    questions: query.questions,
    answers: res.answers,
    authorities: res.authorities,
    additionals: [...res.additionals, ...extra],
  };
  let out = packet.encode(msg);
  if (out.length <= limit) return out;
  // Too big: first the additional section (keeping OPT), then the authority, then answers from the end.
  msg.additionals = extra;
  out = packet.encode(msg);
  if (out.length <= limit) return out;
  msg.authorities = [];
  const answers = [...res.answers];
  do {
    answers.pop();
    msg.answers = answers;
    msg.flags = flags | packet.TRUNCATED_RESPONSE;
    out = packet.encode(msg);
  } while (out.length > limit && answers.length);
  return out;
}
