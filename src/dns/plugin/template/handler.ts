/**
 * `template CLASS TYPE [ZONES…]`: answers from resource-record templates, as CoreDNS's template
 * plugin does (plugin/template/template.go):
 *
 * - a question outside the zones, or of another class or type (ANY matches all), goes to the
 *   next plugin;
 * - the first `match` regex (default `.*`) that matches the lower-case name wins; none matching
 *   sends the query on with `fallthrough`, else answers NXDOMAIN (no AA, no SOA: CoreDNS returns
 *   the rcode without writing a message);
 * - `rcode SERVFAIL` answers SERVFAIL with no records; otherwise every `answer`, `authority`,
 *   `additional` template is expanded and parsed as one RR (a failure is an error: SERVFAIL
 *   through the `errors` plugin), AA set;
 * - the templates are a small subset of Go's text/template: `{{ .Name }}`, `.Zone`, `.Class`,
 *   `.Type`, `.Regex`, `.Remote` (the client address), `.Match`, `.Group.NAME`, `index .Match N`,
 *   `index .Group "NAME"`, string literals, `{{-`/`-}}` trimming and comment actions; a
 *   missing group prints `<no value>` as Go does; anything else is a template error;
 * - the RR text is what miekg/dns's NewRR reads, for A, AAAA, CNAME, NS, PTR, MX, SRV, TXT and
 *   SOA: `NAME [TTL] [CLASS] TYPE DATA` (TTL 3600 and class IN when left out, names made fully
 *   qualified, parentheses and `;` comments allowed). Go's `(?P<name>…)` groups are accepted.
 */
import { isIPv4, isIPv6 } from '../../../net/ip.ts';
import type { Answer } from 'dns-packet';
import type { DnsRequest, DnsResponse, Plugin, TemplateConfig } from '../../types.ts';
import { fallsThrough, fqdn, isDomainName, jsRegExp, matchZone, servfail, wireName } from '../../records.ts';

export interface TemplateData {
  Name: string;
  Zone: string;
  Class: string;
  Type: string;
  Regex: string;
  Remote: string;
  Match: string[];
  Group: Record<string, string>;
}

// ── The template subset ──────────────────────────────────────────────────────────────────────

type Part = { literal: string } | { eval: (d: TemplateData) => string };

/** Compiles a template; throws on an action outside the subset. */
export function compileTemplate(text: string): (data: TemplateData) => string {
  const parts: Part[] = [];
  let rest = text;
  let trimNext = false;
  while (rest.length) {
    const open = rest.indexOf('{{');
    let literal = open < 0 ? rest : rest.slice(0, open);
    if (trimNext) literal = literal.replace(/^\s+/, '');
    if (open < 0) {
      parts.push({ literal });
      break;
    }
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) throw new Error(`template: unclosed action in ${JSON.stringify(text)}`);
    let inner = rest.slice(open + 2, close);
    if (inner.startsWith('- ')) {
      literal = literal.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = inner.endsWith(' -');
    if (trimNext) inner = inner.slice(0, -1);
    parts.push({ literal });
    const action = compileAction(inner.trim());
    if (action) parts.push({ eval: action });
    rest = rest.slice(close + 2);
  }
  return (data) => parts.map((p) => ('literal' in p ? p.literal : p.eval(data))).join('');
}

const FIELDS = ['Name', 'Zone', 'Class', 'Type', 'Regex', 'Remote'] as const;

function compileAction(expr: string): ((d: TemplateData) => string) | undefined {
  if (expr.startsWith('/*') && expr.endsWith('*/')) return undefined;
  const str = /^"((?:[^"\\]|\\.)*)"$/.exec(expr);
  if (str) {
    const value = JSON.parse(`"${str[1]}"`) as string;
    return () => value;
  }
  const field = /^\.([A-Za-z]+)$/.exec(expr);
  if (field && (FIELDS as readonly string[]).includes(field[1]!)) {
    const f = field[1] as (typeof FIELDS)[number];
    return (d) => d[f];
  }
  if (expr === '.Match') return (d) => `[${d.Match.join(' ')}]`;
  const group = /^\.Group\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
  if (group) return (d) => d.Group[group[1]!] ?? '<no value>';
  const indexMatch = /^index\s+\.Match\s+(\d+)$/.exec(expr);
  if (indexMatch) {
    const i = Number(indexMatch[1]);
    return (d) => {
      if (i >= d.Match.length) throw new Error(`template: error calling index: index out of range: ${i}`);
      return d.Match[i]!;
    };
  }
  const indexGroup = /^index\s+\.Group\s+"([^"]*)"$/.exec(expr);
  if (indexGroup) return (d) => d.Group[indexGroup[1]!] ?? '';
  throw new Error(`template: unsupported action {{ ${expr} }} (podlab supports .Name .Zone .Class .Type .Regex .Remote .Match .Group.x, index .Match N, index .Group "x")`);
}

// ── RR text (miekg/dns NewRR, the types podlab needs) ──────────────────────────────────────

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS', 'ANY']);

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c) || c === '(' || c === ')') i++;
    else if (c === ';') break;
    else if (c === '"') {
      let s = '"';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        s += text[i];
        i++;
      }
      if (i >= text.length) throw new Error(`unterminated string in ${JSON.stringify(text)}`);
      tokens.push(s);
      i++;
    } else {
      let s = '';
      while (i < text.length && !/[\s();"]/.test(text[i]!)) s += text[i++];
      tokens.push(s);
    }
  }
  return tokens;
}

/** A TTL as zone files write it: seconds, or `1h30m`-style units (s m h d w). */
function parseTtl(t: string): number | undefined {
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:\d+[smhdw])+$/i.exec(t);
  if (!m) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const [, n, u] of t.matchAll(/(\d+)([smhdw])/gi)) total += Number(n) * unit[u!.toLowerCase()]!;
  return total;
}

function uint(t: string | undefined, max: number, what: string): number {
  if (t === undefined || !/^\d+$/.test(t) || Number(t) > max) throw new Error(`bad ${what}: ${t ?? '(missing)'}`);
  return Number(t);
}

function name(t: string | undefined, what: string): string {
  if (t === undefined) throw new Error(`missing ${what}`);
  const n = fqdn(t);
  if (!isDomainName(n)) throw new Error(`bad ${what}: ${t}`);
  return wireName(n);
}

/** One RR from its text, as a dns-packet record; throws with the reason on anything it cannot read. */
export function parseRR(text: string): Answer {
  const t = tokenize(text);
  const owner = name(t.shift(), 'owner name');
  let ttl: number | undefined;
  let klass: string | undefined;
  for (let k = 0; k < 2 && t.length; k++) {
    const tok = t[0]!.toUpperCase();
    if (ttl === undefined && parseTtl(tok) !== undefined) ttl = parseTtl(tok);
    else if (klass === undefined && CLASSES.has(tok)) klass = tok;
    else break;
    t.shift();
  }
  const type = t.shift()?.toUpperCase();
  const base = { name: owner, ttl: ttl ?? 3600, class: (klass ?? 'IN') as 'IN' };
  const one = (): string => {
    if (t.length !== 1) throw new Error(`${type} takes one value: ${JSON.stringify(text)}`);
    return t[0]!;
  };
  const rr = ((): Answer => {
    switch (type) {
      case 'A':
        if (!isIPv4(one())) throw new Error(`bad A address: ${t[0]}`);
        return { ...base, type, data: t[0]! };
      case 'AAAA':
        if (!isIPv6(one())) throw new Error(`bad AAAA address: ${t[0]}`);
        return { ...base, type, data: t[0]! };
      case 'CNAME':
      case 'NS':
      case 'PTR':
        return { ...base, type, data: name(one(), `${type} target`) };
      case 'MX':
        return { ...base, type, data: { preference: uint(t[0], 65535, 'MX preference'), exchange: name(t[1], 'MX exchange') } };
      case 'SRV':
        return {
          ...base,
          type,
          data: { priority: uint(t[0], 65535, 'SRV priority'), weight: uint(t[1], 65535, 'SRV weight'), port: uint(t[2], 65535, 'SRV port'), target: name(t[3], 'SRV target') },
        };
      case 'TXT':
        if (!t.length) throw new Error('TXT needs at least one string');
        return { ...base, type, data: t.map((s) => (s.startsWith('"') ? s.slice(1) : s)) };
      case 'SOA': {
        const n = (i: number, what: string): number => uint(t[i], 0xffffffff, `SOA ${what}`);
        return {
          ...base,
          type,
          data: { mname: name(t[0], 'SOA mname'), rname: name(t[1], 'SOA rname'), serial: n(2, 'serial'), refresh: n(3, 'refresh'), retry: n(4, 'retry'), expire: n(5, 'expire'), minimum: n(6, 'minimum') },
        };
      }
      default:
        throw new Error(`unsupported or missing type ${type ?? ''} in ${JSON.stringify(text)}`);
    }
  })();
  const expected = { MX: 2, SRV: 4, SOA: 7 }[type as string];
  if (expected !== undefined && t.length !== expected) throw new Error(`${type} takes ${expected} values: ${JSON.stringify(text)}`);
  return rr;
}

// ── The plugin ───────────────────────────────────────────────────────────────────────────────

const RCODES: Record<string, DnsResponse['rcode']> = {
  NOERROR: 'NOERROR',
  SUCCESS: 'NOERROR',
  NXDOMAIN: 'NXDOMAIN',
  SERVFAIL: 'SERVFAIL',
  REFUSED: 'REFUSED',
  FORMERR: 'FORMERR',
  NOTIMP: 'NOTIMP',
};

/** A compiled template, or why it does not compile (reported on use, as an error of the query). */
type Compiled = { ok: true; run: (d: TemplateData) => string } | { ok: false; error: Error };

function tryCompile(text: string): Compiled {
  try {
    return { ok: true, run: compileTemplate(text) };
  } catch (e) {
    return { ok: false, error: e as Error };
  }
}

function expandAll(section: string, list: Compiled[], data: TemplateData): Answer[] {
  return list.map((c) => {
    if (!c.ok) throw c.error;
    const text = c.run(data);
    try {
      return parseRR(text);
    } catch (e) {
      throw new Error(`template ${section} RR ${JSON.stringify(text)}: ${(e as Error).message}`);
    }
  });
}

/** The `template` plugin for one Corefile `template` block. */
export function templatePlugin(config: TemplateConfig): Plugin {
  const zones = config.zones.length ? config.zones : ['.'];
  const patterns = (config.match.length ? config.match : ['.*']).map(jsRegExp);
  const answer = config.answer.map(tryCompile);
  const authority = config.authority.map(tryCompile);
  const additional = config.additional.map(tryCompile);
  const qclass = config.qclass.toUpperCase();
  const qtype = config.qtype.toUpperCase();
  // `.Remote` is the client's address: such answers differ per client, so they are never replayed.
  const perClient = [...config.answer, ...config.authority, ...config.additional].some((t) => /\.Remote\b/.test(t));

  const dataFor = (req: DnsRequest, zone: string, re: RegExp, m: RegExpExecArray): TemplateData => {
    const group: Record<string, string> = {};
    m.forEach((v, i) => (group[String(i)] = v ?? ''));
    for (const [k, v] of Object.entries(m.groups ?? {})) group[k] = v ?? '';
    const askedClass = req.qclass.toUpperCase();
    const askedType = String(req.qtype).toUpperCase();
    return {
      Name: req.qname,
      Zone: zone,
      Class: askedClass !== 'ANY' ? askedClass : qclass,
      Type: askedType !== 'ANY' ? askedType : qtype,
      Regex: re.source,
      Remote: req.client.address,
      Match: [...m].map((v) => v ?? ''),
      Group: group,
    };
  };

  return {
    name: 'template',
    async serve(req, next): Promise<DnsResponse> {
      const zone = matchZone(req.qname, zones);
      if (zone === undefined) return next(req);
      const askedClass = req.qclass.toUpperCase();
      const askedType = String(req.qtype).toUpperCase();
      if (qclass !== 'ANY' && askedClass !== 'ANY' && askedClass !== qclass) return next(req);
      if (qtype !== 'ANY' && askedType !== 'ANY' && askedType !== qtype) return next(req);

      let data: TemplateData | undefined;
      for (const re of patterns) {
        const m = re.exec(req.qname);
        if (m) {
          data = dataFor(req, zone, re, m);
          break;
        }
      }
      if (!data) {
        if (fallsThrough(config.fallthrough, req.qname)) return next(req);
        return { rcode: 'NXDOMAIN', aa: false, answers: [], authorities: [], additionals: [] };
      }

      const rcode = RCODES[config.rcode.toUpperCase()];
      if (rcode === undefined) throw new Error(`template: rcode ${config.rcode} is not one podlab can answer`);
      if (rcode === 'SERVFAIL') return servfail();
      return {
        rcode,
        aa: true,
        answers: expandAll('answer', answer, data),
        authorities: expandAll('authority', authority, data),
        additionals: expandAll('additional', additional, data),
      };
    },
    ...(perClient ? {} : { replayToken: () => 0 }),
  };
}
