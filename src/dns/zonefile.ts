/**
 * RFC 1035 §5 master files → a `Zone` the `file` plugin answers from (plugin/file/handler.ts). Pure: text
 * in, zone and issues out; reading the file and reloading it is the plugin's business.
 *
 * Division of labour: `scan` turns the text into entries (one per logical line: parentheses join
 * lines, `;` starts a comment, quotes keep spaces) with each token's line and column; `parseZoneFile`
 * resolves directives, owners, TTL and class, and each record type's RDATA; `checkZone` runs the
 * whole-zone rules (one SOA at the origin, CNAME alone at its name). Every problem becomes a
 * `ZoneIssue` with the 1-based line and column of the token at fault; parsing never stops at the
 * first one. A record with an issue is left out of the zone.
 *
 * Supported: $ORIGIN, $TTL, `@`, relative and absolute names, a blank owner meaning the previous
 * one, TTL (seconds or BIND units like `1h30m`) and class in either order, types A AAAA CNAME NS MX
 * TXT SRV SOA PTR, wildcard owners (`*.x`). Not supported: $INCLUDE, $GENERATE, classes other than
 * IN, other types (each an issue).
 */
import { isIPv4, isIPv6 } from '../net/ip.ts';
import type { MxAnswer, SoaAnswer, SrvAnswer, StringAnswer, TxtAnswer } from 'dns-packet';

export interface ZoneIssue {
  /** 1-based line and column of the token at fault. */
  line: number;
  col: number;
  message: string;
}

/** A record of a zone: the dns-packet shapes of the types podlab's zone files hold. */
export type ZoneRecord = StringAnswer | MxAnswer | SrvAnswer | TxtAnswer | SoaAnswer;

/** A parsed zone. Names are lower case; record names follow dns-packet (no trailing dot). */
export interface Zone {
  /** The origin, lower case with the trailing dot (`example.org.`), as zones are written in types.ts. */
  origin: string;
  /** The zone's SOA (also listed under the origin in `records`); undefined when the file has none. */
  soa?: SoaAnswer;
  /** Records by owner name (lower case, no trailing dot), each list in file order. */
  records: Map<string, ZoneRecord[]>;
}

export interface ParseOptions {
  /** TTL of records that state none when neither `$TTL` nor an earlier record gave one. @default 3600 */
  defaultTtl?: number;
}

/** The record types podlab's zone files may hold. */
export const ZONE_TYPES = ['A', 'AAAA', 'CNAME', 'NS', 'MX', 'TXT', 'SRV', 'SOA', 'PTR'] as const;
export type ZoneType = (typeof ZONE_TYPES)[number];

/** Types a real zone file may hold that podlab does not serve: named so the issue says "not supported", not "unknown". */
const OTHER_TYPES = new Set([
  'AFSDB', 'APL', 'CAA', 'CDNSKEY', 'CDS', 'CERT', 'DHCID', 'DLV', 'DNAME', 'DNSKEY', 'DS', 'HINFO', 'HIP', 'HTTPS',
  'IPSECKEY', 'KEY', 'KX', 'LOC', 'NAPTR', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'NULL', 'OPENPGPKEY', 'RP', 'RRSIG', 'SIG',
  'SMIMEA', 'SPF', 'SSHFP', 'SVCB', 'TA', 'TLSA', 'URI', 'ZONEMD',
]);
const OTHER_CLASSES = new Set(['CH', 'CS', 'HS', 'ANY', 'NONE']);

/** What a bare `A` line means when nothing else gave a TTL (miekg/dns, which CoreDNS uses, defaults to 3600 too). */
const DEFAULT_TTL = 3600;
/** RFC 1035 §2.3.4 size limits. */
const MAX_LABEL = 63;
const MAX_NAME = 255;
const MAX_TXT_STRING = 255;
const U16 = 0xffff;
const U32 = 0xffffffff;

interface Token {
  text: string;
  line: number;
  col: number;
  quoted: boolean;
}

interface Entry {
  tokens: Token[];
  /** The entry's first line starts with a space or tab: its owner is the previous record's. */
  blankOwner: boolean;
}

// ── Scanning ─────────────────────────────────────────────────────────────────────────────────

function scan(text: string, issues: ZoneIssue[]): Entry[] {
  const entries: Entry[] = [];
  let tokens: Token[] = [];
  let blankOwner = false;
  const opens: { line: number; col: number }[] = [];
  let line = 1;
  let col = 1;
  let lineStart = true;
  let i = 0;
  const endEntry = () => {
    if (tokens.length > 0) entries.push({ tokens, blankOwner });
    tokens = [];
  };
  const advance = (n = 1) => {
    i += n;
    col += n;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      if (opens.length === 0) endEntry();
      i++;
      line++;
      col = 1;
      lineStart = true;
      continue;
    }
    if (c === '\r') {
      i++;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      if (opens.length === 0 && tokens.length === 0) blankOwner = c === ' ' || c === '\t';
    }
    if (c === ' ' || c === '\t') {
      advance();
    } else if (c === ';') {
      while (i < text.length && text[i] !== '\n') advance();
    } else if (c === '(') {
      opens.push({ line, col });
      advance();
    } else if (c === ')') {
      if (opens.pop() === undefined) issues.push({ line, col, message: `")" without a matching "("` });
      advance();
    } else if (c === '"') {
      const start = { line, col };
      advance();
      let value = '';
      let closed = false;
      while (i < text.length && text[i] !== '\n') {
        const d = text[i]!;
        if (d === '"') {
          closed = true;
          advance();
          break;
        }
        if (d === '\\' && i + 1 < text.length && text[i + 1] !== '\n') {
          const digits = /^\d{3}/.exec(text.slice(i + 1, i + 4));
          if (digits) {
            value += String.fromCharCode(Number(digits[0]) & 0xff);
            advance(4);
          } else {
            value += text[i + 1];
            advance(2);
          }
          continue;
        }
        value += d;
        advance();
      }
      if (!closed) issues.push({ ...start, message: 'quoted string is not closed on its line' });
      tokens.push({ text: value, ...start, quoted: true });
    } else {
      const start = { line, col };
      let value = '';
      while (i < text.length && !' \t\r\n;()"'.includes(text[i]!)) {
        // A backslash keeps the next character inside the token (`a\ b`, `\;`): RFC 1035 §5.1.
        if (text[i] === '\\' && i + 1 < text.length && text[i + 1] !== '\n') {
          value += text.slice(i, i + 2);
          advance(2);
          continue;
        }
        value += text[i];
        advance();
      }
      tokens.push({ text: value, ...start, quoted: false });
    }
  }
  // An entry whose "(" never closes swallowed the rest of the file: it is dropped, not parsed.
  for (const open of opens) issues.push({ ...open, message: '"(" is never closed' });
  if (opens.length === 0) endEntry();
  return entries;
}

// ── Fields ───────────────────────────────────────────────────────────────────────────────────

/** A TTL in seconds (`3600`) or BIND units (`1h30m`, `2d`, `1w`); undefined when it is neither. */
export function parseTtl(text: string): number | undefined {
  let total: number;
  if (/^\d+$/.test(text)) total = Number(text);
  else {
    if (!/^(\d+[smhdw])+$/i.test(text)) return undefined;
    const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    total = 0;
    for (const m of text.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * unit[m[2]!]!;
  }
  return total <= U32 ? total : undefined;
}

/** `a.b.` → `a.b`; `.` → `` (dns-packet's names have no trailing dot). */
function bare(fqdn: string): string {
  return fqdn === '.' ? '' : fqdn.replace(/\.$/, '');
}

/** Is `name` (bare) `zone` (bare) or below it? */
function inZone(name: string, zone: string): boolean {
  return zone === '' || name === zone || name.endsWith(`.${zone}`);
}

class Fields {
  constructor(
    private issues: ZoneIssue[],
    private origin: () => string,
  ) {}

  /** A domain name as written → lower-case FQDN with the trailing dot, or undefined (issue pushed). */
  name(tok: Token, keepCase = false): string | undefined {
    const origin = this.origin();
    let text = tok.text;
    if (text === '@') return origin;
    if (tok.quoted || text === '') return this.bad(tok, `"${text}" is not a domain name`);
    const absolute = text.endsWith('.') && !text.endsWith('\\.');
    let fqdn = absolute ? text : origin === '.' ? `${text}.` : `${text}.${origin}`;
    if (fqdn !== '.') {
      const labels = fqdn.slice(0, -1).split(/(?<!\\)\./);
      if (labels.some((l) => l === '')) return this.bad(tok, `"${text}" has an empty label`);
      const long = labels.find((l) => l.replace(/\\(\d{3}|.)/g, 'x').length > MAX_LABEL);
      if (long !== undefined) return this.bad(tok, `label "${long}" is longer than ${MAX_LABEL} characters`);
      if (fqdn.length > MAX_NAME) return this.bad(tok, `"${text}" is longer than ${MAX_NAME} characters`);
    }
    return keepCase ? fqdn : fqdn.toLowerCase();
  }

  number(tok: Token, what: string, max: number): number | undefined {
    if (!/^\d+$/.test(tok.text) || Number(tok.text) > max) return this.bad(tok, `${what} must be a number from 0 to ${max}, not "${tok.text}"`);
    return Number(tok.text);
  }

  /** SOA timers may use TTL units, as BIND and miekg/dns allow. */
  duration(tok: Token, what: string): number | undefined {
    const n = parseTtl(tok.text);
    return n === undefined ? this.bad(tok, `${what} must be a number of seconds (or like 1h30m), not "${tok.text}"`) : n;
  }

  bad(tok: Token, message: string): undefined {
    this.issues.push({ line: tok.line, col: tok.col, message });
    return undefined;
  }
}

/** What each type's RDATA holds, for the "needs N fields" message. */
const RDATA_SHAPE: Record<ZoneType, string[]> = {
  A: ['an IPv4 address'],
  AAAA: ['an IPv6 address'],
  CNAME: ['a target name'],
  NS: ['a name server name'],
  PTR: ['a target name'],
  MX: ['a preference', 'a mail exchanger name'],
  SRV: ['a priority', 'a weight', 'a port', 'a target name'],
  SOA: ['a primary server name', 'a mailbox name', 'a serial', 'a refresh', 'a retry', 'an expire', 'a minimum TTL'],
  TXT: ['at least one string'],
};

/** The RDATA of one record → dns-packet `data`, or undefined (issues pushed). */
function rdata(type: ZoneType, typeTok: Token, args: Token[], f: Fields): ZoneRecord['data'] | undefined {
  const shape = RDATA_SHAPE[type];
  const fixed = type === 'TXT' ? 1 : shape.length;
  if (args.length < fixed) {
    return f.bad(typeTok, `${type} record needs ${shape.join(', ')}; ${args.length === 0 ? 'none is' : `only ${args.length} field${args.length === 1 ? ' is' : 's are'}`} given`);
  }
  if (type !== 'TXT' && args.length > fixed) return f.bad(args[fixed]!, `unexpected "${args[fixed]!.text}" after the ${type} record's data`);
  const [a, b, c, d] = args as [Token, Token, Token, Token];
  switch (type) {
    case 'A':
      return isIPv4(a.text) && !a.quoted ? a.text : f.bad(a, `"${a.text}" is not an IPv4 address`);
    case 'AAAA':
      return isIPv6(a.text) && !a.quoted ? a.text.toLowerCase() : f.bad(a, `"${a.text}" is not an IPv6 address`);
    case 'CNAME':
    case 'NS':
    case 'PTR': {
      const target = f.name(a);
      return target === undefined ? undefined : bare(target);
    }
    case 'MX': {
      const preference = f.number(a, 'MX preference', U16);
      const exchange = f.name(b);
      return preference === undefined || exchange === undefined ? undefined : { preference, exchange: bare(exchange) };
    }
    case 'SRV': {
      const priority = f.number(a, 'SRV priority', U16);
      const weight = f.number(b, 'SRV weight', U16);
      const port = f.number(c, 'SRV port', U16);
      // CoreDNS's file plugin keeps an SRV target's case as written (zone.go Insert).
      const target = f.name(d, true);
      if (priority === undefined || weight === undefined || port === undefined || target === undefined) return undefined;
      return { priority, weight, port, target: bare(target) };
    }
    case 'TXT': {
      const strings: string[] = [];
      for (const tok of args) {
        if (Buffer.byteLength(tok.text, 'utf8') > MAX_TXT_STRING) return f.bad(tok, `TXT string is longer than ${MAX_TXT_STRING} characters; split it into several quoted strings`);
        strings.push(tok.text);
      }
      return strings;
    }
    case 'SOA': {
      const mname = f.name(a);
      const rname = f.name(b);
      const serial = f.number(c, 'SOA serial', U32);
      const [refresh, retry, expire, minimum] = args.slice(3, 7).map((t, k) => f.duration(t, `SOA ${['refresh', 'retry', 'expire', 'minimum'][k]}`));
      if ([mname, rname, serial, refresh, retry, expire, minimum].includes(undefined)) return undefined;
      return { mname: bare(mname!), rname: bare(rname!), serial, refresh, retry, expire, minimum };
    }
  }
}

// ── Parsing ──────────────────────────────────────────────────────────────────────────────────

interface Placed {
  record: ZoneRecord;
  tok: Token;
}

/**
 * Parses a master file for `origin` (`example.org` or `example.org.`). Records with issues are left
 * out; the zone is complete only when `issues` is empty.
 */
export function parseZoneFile(text: string, origin: string, opts: ParseOptions = {}): { zone: Zone; issues: ZoneIssue[] } {
  const issues: ZoneIssue[] = [];
  const zoneOrigin = origin === '.' || origin === '' ? '.' : `${origin.toLowerCase().replace(/\.$/, '')}.`;
  let current = zoneOrigin;
  const f = new Fields(issues, () => current);
  let ttlDirective: number | undefined;
  let lastTtl: number | undefined;
  let previousOwner: string | undefined;
  const placed: Placed[] = [];

  for (const { tokens, blankOwner } of scan(text, issues)) {
    const first = tokens[0]!;
    if (!blankOwner && !first.quoted && first.text.startsWith('$')) {
      directive(first, tokens.slice(1));
      continue;
    }
    let k = 0;
    let owner: string | undefined;
    if (blankOwner) {
      if (previousOwner === undefined) {
        f.bad(first, 'this line starts with a blank, meaning "the previous owner", but no record came before it');
        continue;
      }
      owner = previousOwner;
    } else {
      owner = f.name(first);
      k = 1;
      if (owner === undefined) continue;
      previousOwner = owner;
    }

    let ttl: number | undefined;
    let klass: Token | undefined;
    for (let n = 0; n < 2 && k < tokens.length; n++) {
      const tok = tokens[k]!;
      if (tok.quoted) break;
      const t = parseTtl(tok.text);
      const upper = tok.text.toUpperCase();
      if (ttl === undefined && t !== undefined) ttl = t;
      else if (klass === undefined && (upper === 'IN' || OTHER_CLASSES.has(upper))) klass = tok;
      else break;
      k++;
    }
    const typeTok = tokens[k];
    if (typeTok === undefined) {
      f.bad(tokens.at(-1)!, 'record type missing');
      continue;
    }
    if (klass !== undefined && klass.text.toUpperCase() !== 'IN') {
      f.bad(klass, `class ${klass.text.toUpperCase()} is not supported; podlab zones are class IN`);
      continue;
    }
    const type = typeTok.text.toUpperCase();
    if (!(ZONE_TYPES as readonly string[]).includes(type)) {
      if (/^\d/.test(typeTok.text)) f.bad(typeTok, `"${typeTok.text}" is not a TTL (seconds, or like 1h30m)`);
      else if (OTHER_TYPES.has(type) || /^TYPE\d+$/.test(type)) f.bad(typeTok, `record type ${type} is not supported (podlab serves ${ZONE_TYPES.join(' ')})`);
      else f.bad(typeTok, `unknown record type "${typeTok.text}"`);
      continue;
    }
    if (ttl !== undefined) lastTtl = ttl;
    const data = rdata(type as ZoneType, typeTok, tokens.slice(k + 1), f);
    if (data === undefined) continue;
    const record = { name: bare(owner), type, class: 'IN', ttl: ttl ?? ttlDirective ?? lastTtl ?? opts.defaultTtl ?? DEFAULT_TTL, data } as ZoneRecord;
    placed.push({ record, tok: first });
  }

  function directive(tok: Token, args: Token[]): void {
    const name = tok.text.toUpperCase();
    if (name === '$ORIGIN' || name === '$TTL') {
      if (args.length === 0) return void f.bad(tok, `${name} needs a value`);
      if (args.length > 1) return void f.bad(args[1]!, `unexpected "${args[1]!.text}" after ${name}'s value`);
      if (name === '$TTL') {
        const ttl = parseTtl(args[0]!.text);
        if (ttl === undefined) return void f.bad(args[0]!, `"${args[0]!.text}" is not a TTL (seconds, or like 1h30m)`);
        ttlDirective = ttl;
        return;
      }
      // A relative $ORIGIN is relative to the current one (RFC 1035 §5.1).
      const next = f.name(args[0]!);
      if (next !== undefined) current = next;
      return;
    }
    if (name === '$INCLUDE' || name === '$GENERATE') return void f.bad(tok, `${name} is not supported by podlab; put the records in this file`);
    f.bad(tok, `unknown directive ${tok.text}`);
  }

  const zone = checkZone(zoneOrigin, placed, issues);
  issues.sort((a, b) => a.line - b.line || a.col - b.col);
  return { zone, issues };
}

/** Whole-zone rules: records inside the origin, one SOA and at the origin, a CNAME alone at its name. */
function checkZone(origin: string, placed: Placed[], issues: ZoneIssue[]): Zone {
  const apex = bare(origin);
  const zone: Zone = { origin, records: new Map() };
  for (const { record, tok } of placed) {
    const at = (message: string) => issues.push({ line: tok.line, col: tok.col, message });
    const shown = `${record.name}.`;
    if (!inZone(record.name, apex)) {
      at(`${record.type} record for "${shown}" is outside the zone ${origin}`);
      continue;
    }
    if (record.type === 'SOA') {
      if (record.name !== apex) {
        at(`SOA record for "${shown}" must be at the zone's origin ${origin}`);
        continue;
      }
      if (zone.soa) {
        at(`a second SOA record for ${origin}; a zone has exactly one`);
        continue;
      }
      zone.soa = record;
    }
    const here = zone.records.get(record.name) ?? [];
    // RFC 1034 §3.6.2, RFC 2181 §10.1: a name with a CNAME has no other data.
    if (record.type === 'CNAME' && here.length > 0) {
      at(here.some((r) => r.type === 'CNAME') ? `a second CNAME for "${shown}"; a name has at most one` : `CNAME for "${shown}" beside other records at that name (a CNAME must be alone)`);
      continue;
    }
    if (record.type !== 'CNAME' && here.some((r) => r.type === 'CNAME')) {
      at(`${record.type} record for "${shown}" beside its CNAME (a CNAME must be alone)`);
      continue;
    }
    // An RRset holds no duplicates (RFC 2181 §5): a repeated record is dropped silently, as parsers do.
    if (here.some((r) => r.type === record.type && JSON.stringify(r.data) === JSON.stringify(record.data))) continue;
    here.push(record);
    zone.records.set(record.name, here);
  }
  if (!zone.soa) issues.push({ line: 1, col: 1, message: `no SOA record for the zone ${origin}` });
  return zone;
}
