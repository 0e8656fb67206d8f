/**
 * `template CLASS TYPE [ZONES…] { … }` → TemplateConfig (coredns.io/plugins/template). Each
 * template directive is its own config (CoreDNS keeps them in order in one handler). Regexes
 * are converted from Go syntax (`(?P<name>…)` → `(?<name>…)`) and must compile; RR templates
 * are kept as written (Go text/template), checked only for balanced `{{ }}`.
 */
import type { Directive, TemplateConfig, Token } from '../../types.ts';
import { arity, fallthrough, properties, type Scope, shown, zonesOrServer } from '../../corefile/check.ts';
import { didYouMean } from '../../corefile/names.ts';
import { compileGoRegex } from '../../corefile/regex.ts';

/** miekg/dns StringToClass. */
const CLASSES = ['IN', 'CH', 'HS', 'NONE', 'ANY'];

/** miekg/dns StringToType: the record types a template can be asked for. */
const TYPES = [
  'A', 'AAAA', 'AFSDB', 'ANY', 'APL', 'AVC', 'AXFR', 'CAA', 'CDNSKEY', 'CDS', 'CERT', 'CNAME', 'CSYNC', 'DHCID', 'DLV',
  'DNAME', 'DNSKEY', 'DS', 'EID', 'EUI48', 'EUI64', 'GID', 'GPOS', 'HINFO', 'HIP', 'HTTPS', 'IPSECKEY', 'ISDN', 'IXFR',
  'KEY', 'KX', 'L32', 'L64', 'LOC', 'LP', 'MAILA', 'MAILB', 'MB', 'MD', 'MF', 'MG', 'MINFO', 'MR', 'MX', 'NAPTR', 'NID',
  'NIMLOC', 'NINFO', 'NS', 'NSAPPTR', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'NULL', 'NXT', 'OPENPGPKEY', 'OPT', 'PTR', 'PX',
  'RKEY', 'RP', 'RRSIG', 'RT', 'SIG', 'SMIMEA', 'SOA', 'SPF', 'SRV', 'SSHFP', 'SVCB', 'TA', 'TALINK', 'TKEY', 'TLSA',
  'TSIG', 'TXT', 'UID', 'UINFO', 'UNSPEC', 'URI', 'X25', 'ZONEMD',
];

/** miekg/dns StringToRcode. */
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'BADSIG', 'BADVERS', 'BADKEY', 'BADTIME', 'BADMODE', 'BADNAME', 'BADALG', 'BADTRUNC', 'BADCOOKIE'];

const USAGE = 'template CLASS TYPE [ZONES...]';

export function setupTemplate(d: Directive, s: Scope): TemplateConfig | undefined {
  if (!arity(s, '', d.pos, d.args, 2, Infinity, USAGE)) return undefined;
  const [classTok, typeTok, ...zoneToks] = d.args as [Token, Token, ...Token[]];
  const config: TemplateConfig = {
    plugin: 'template',
    qclass: keyword(s, classTok, 'CLASS', CLASSES),
    qtype: keyword(s, typeTok, 'TYPE', TYPES),
    zones: zonesOrServer(s, zoneToks, 'zone'),
    match: [],
    answer: [],
    additional: [],
    authority: [],
    rcode: 'NOERROR',
    fallthrough: undefined,
  };
  let written = false;
  const records = (section: 'answer' | 'additional' | 'authority') => (p: Directive) => {
    if (section !== 'additional') written = true;
    if (!arity(s, `property "${section}"`, p.pos, p.args, 1, Infinity, `${section} RR-TEMPLATE...`)) return;
    for (const a of p.args) if (templateOk(s, a, section)) config[section].push(a.text);
  };
  properties(s, d, {
    handlers: {
      match: (p) => {
        if (!arity(s, 'property "match"', p.pos, p.args, 1, Infinity, 'match REGEX...')) return;
        for (const a of p.args) {
          const re = compileGoRegex(a.text);
          if (re.ok) config.match.push(re.value.source);
          else s.error('PL4017', a.pos, `match regex "${a.text}" does not compile: ${re.reason}`, 'Write it in RE2 syntax, as Go and CoreDNS read it; named groups are (?P<name>...).');
        }
      },
      answer: records('answer'),
      additional: records('additional'),
      authority: records('authority'),
      rcode: (p) => {
        if (arity(s, 'property "rcode"', p.pos, p.args, 1, 1, 'rcode CODE')) config.rcode = keyword(s, p.args[0]!, 'rcode', RCODES);
      },
      fallthrough: (p) => {
        config.fallthrough = fallthrough(s, p);
      },
    },
    repeatable: ['match', 'answer', 'additional', 'authority'],
    ignored: { upstream: 'CNAME targets in answers are not resolved further' },
  });
  // CoreDNS: "no answer section for template found".
  if (!written && config.rcode === 'NOERROR' && !d.block?.some((p) => p.name === 'rcode')) {
    s.errorOf('PL4008', d.pos, 'has no answer, no authority and no rcode, so it would answer nothing', 'Add "answer "{{ .Name }} 60 IN A 10.0.0.1"", an authority record, or an rcode such as NXDOMAIN.');
  }
  if (config.match.length === 0) config.match.push('.*');
  return config;
}

function keyword(s: Scope, t: Token, what: string, options: readonly string[]): string {
  if (options.includes(t.text)) return t.text;
  const upper = options.includes(t.text.toUpperCase());
  s.error('PL4004', t.pos, `${what} ${shown(t)} is not a ${what === 'CLASS' ? 'DNS class' : what === 'TYPE' ? 'record type' : 'response code'}`, upper ? `CoreDNS reads these in upper case only: write "${t.text.toUpperCase()}".` : (didYouMean(t.text, options) ?? `Examples: ${options.slice(0, 5).join(', ')}.`));
  return t.text;
}

/** Go text/template actions must open and close (`{{` … `}}`), and the result must look like a record. */
function templateOk(s: Scope, t: Token, section: string): boolean {
  let open = false;
  for (const m of t.text.matchAll(/\{\{|\}\}/g)) {
    if ((m[0] === '{{') === open) {
      open = true;
      break;
    }
    open = m[0] === '{{';
  }
  if (open) {
    s.error('PL4004', t.pos, `${section} template "${t.text}" has an unbalanced "{{" or "}}"`, 'Each {{ … }} action must be closed, e.g. "{{ .Name }} 60 IN A 10.0.0.1".');
    return false;
  }
  // NAME [TTL] [CLASS] TYPE RDATA: at least three fields once each action counts as one word.
  if (t.text.replace(/\{\{.*?\}\}/g, 'X').trim().split(/\s+/).length < 3) {
    s.error('PL4004', t.pos, `${section} record "${t.text}" is too short to be a resource record`, 'Write a whole record in zone-file syntax, quoted, e.g. "{{ .Name }} 60 IN A 10.0.0.1".');
    return false;
  }
  return true;
}
