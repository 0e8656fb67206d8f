/**
 * `log [NAMES…] { class … }`: one line per query in CoreDNS's Common Log Format
 * (plugin/log/log.go, plugin/pkg/replacer):
 *
 *   [INFO] {remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}
 *
 * - {remote} is bracketed when IPv6; {name} is the lower-case question with its dot; {size} and
 *   {rsize} are the uncompressed message lengths (dns-packet's encodingLength), the response as
 *   the plugins below built it (the server may still truncate it); {>bufsize} is the EDNS0 size
 *   the client advertised (at least 512), 65535 over TCP; {>rflags} are the header bits the server
 *   will send (wire.ts: qr, aa when set, rd copied from the query, ra always); {duration} is in
 *   seconds written as Go's strconv.FormatFloat(secs, 'f', -1, 64) does, e.g. `0.000123s`;
 * - only questions under one of NAMES (all when none) are logged, and only responses of the
 *   listed classes (`all` when none): success (NOERROR with data, delegations), denial
 *   (NXDOMAIN, NODATA), error (SERVFAIL, REFUSED, NOTIMP, FORMERR…), as response.Classify says;
 * - when the rest of the chain throws, the line shows the SERVFAIL the client will get (from the
 *   `errors` plugin or the server) and the error goes on up unchanged.
 */
import * as packet from 'dns-packet';
import type { DnsRequest, DnsResponse, LogConfig, Plugin } from '../../types.ts';
import { classify, dnssecOk, hasFlag, isSubdomain, servfail, typify } from '../../records.ts';
import { isTruncated } from '../cache/handler.ts';

/** Go's strconv.FormatFloat(x, 'f', -1, 64): the shortest digits that read back as x, never an exponent. */
export function formatSeconds(x: number): string {
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const exp = Number(s.slice(e + 1));
  const mantissa = s.slice(0, e);
  const negative = mantissa.startsWith('-');
  const [int, frac = ''] = (negative ? mantissa.slice(1) : mantissa).split('.');
  const digits = int! + frac;
  const point = int!.length + exp;
  const out = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/** Go's Duration.Seconds() of a span given in (fractional) milliseconds. */
function seconds(ms: number): number {
  const ns = Math.max(0, Math.round(ms * 1e6));
  return Math.floor(ns / 1e9) + (ns % 1e9) / 1e9;
}

function flags(req: DnsRequest, res: DnsResponse): string {
  const set = ['qr'];
  if (res.aa) set.push('aa');
  if (isTruncated(res)) set.push('tc');
  if (hasFlag(req.msg, packet.RECURSION_DESIRED)) set.push('rd');
  set.push('ra');
  return set.join(',');
}

/** The log line for one query and its response, `ms` after it came in. */
export function formatLine(req: DnsRequest, res: DnsResponse, ms: number): string {
  const remote = req.client.address.includes(':') ? `[${req.client.address}]` : req.client.address;
  const size = packet.encodingLength(req.msg);
  const rsize = packet.encodingLength({
    id: req.msg.id,
    type: 'response',
    questions: req.msg.questions,
    answers: res.answers,
    authorities: res.authorities,
    additionals: res.additionals,
  });
  const bufsize = req.client.transport === 'tcp' ? 65535 : Math.max(512, req.maxSize);
  const question = `${req.qtype} ${req.qclass} ${req.qname} ${req.client.transport} ${size} ${dnssecOk(req.msg)} ${bufsize}`;
  return `[INFO] ${remote}:${req.client.port} - ${req.msg.id ?? 0} "${question}" ${res.rcode} ${flags(req, res)} ${rsize} ${formatSeconds(seconds(ms))}s`;
}

/**
 * @param write where each line goes (the server's log).
 * @param now the clock {duration} is measured on, in ms. @default performance.now
 */
export function logPlugin(config: LogConfig, write: (line: string) => void, now: () => number = () => performance.now()): Plugin {
  const all = config.classes.length === 0 || config.classes.includes('all');
  const wanted = (req: DnsRequest, res: DnsResponse): boolean => all || config.classes.includes(classify(typify(res, String(req.qtype))));
  return {
    name: 'log',
    async serve(req, next) {
      if (config.names.length && !config.names.some((n) => isSubdomain(req.qname, n))) return next(req);
      const start = now();
      let res: DnsResponse;
      try {
        res = await next(req);
      } catch (e) {
        const failed = servfail();
        if (wanted(req, failed)) write(formatLine(req, failed, now() - start));
        throw e;
      }
      if (wanted(req, res)) write(formatLine(req, res, now() - start));
      return res;
    },
  };
}
