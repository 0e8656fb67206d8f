/**
 * Zone files: the parser (good files → records, bad files → exact `line:col: message` issues) and
 * the `file` plugin's answers (question → rcode and sections, records written as zone-file lines),
 * following CoreDNS's file plugin (plugin/file/lookup.go) and RFC 1034/2308/4592.
 */
import type { Packet } from 'dns-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { filePlugin, lookupZone } from '../../src/dns/plugin/file/handler.ts';
import type { DnsRequest, DnsResponse, FileConfig } from '../../src/dns/types.ts';
import { parseZoneFile, type ZoneRecord } from '../../src/dns/zonefile.ts';

const ZONE = `; example.org, as a lab would write it
$ORIGIN example.org.
$TTL 3600
@       IN SOA ns1.example.org. hostmaster.example.org. (
            2024010101 ; serial
            7200       ; refresh
            1800       ; retry
            1209600    ; expire
            300 )      ; minimum
        IN NS   ns1
        IN NS   ns2.example.net.
        IN MX   10 mail
        IN A    192.0.2.1
ns1     IN A    192.0.2.53
mail    300 IN A 192.0.2.25
        IN AAAA 2001:DB8::25
www     IN CNAME @
ftp     CNAME   www
out     CNAME   www.example.com.
loop1   CNAME   loop2
loop2   CNAME   loop1
_sip._tcp IN SRV 10 60 5060 sip
sip     A       192.0.2.60
txt     TXT     "hello world" "semi; colon" bare
*.wild  A       192.0.2.99
*.wild  TXT     "wild"
sub.wild A      192.0.2.98
x.ent   A       192.0.2.77 ; ent.example.org. exists only as an empty non-terminal
wc      CNAME   target.wild
dept    NS      ns.dept
        NS      ns.other.net.
ns.dept A       192.0.2.200
host.dept A     192.0.2.201 ; below the cut: never answered from here
`;

function show(rr: ZoneRecord | { name: string; ttl?: number; type: string; data?: unknown }): string {
  const fq = (n: string) => `${n}.`;
  const r = rr as ZoneRecord;
  const head = `${fq(r.name)} ${r.ttl} IN ${r.type}`;
  switch (r.type) {
    case 'SRV':
      return `${head} ${r.data.priority} ${r.data.weight} ${r.data.port} ${fq(r.data.target)}`;
    case 'SOA':
      return `${head} ${fq(r.data.mname)} ${fq(r.data.rname)} ${r.data.serial} ${r.data.refresh} ${r.data.retry} ${r.data.expire} ${r.data.minimum}`;
    case 'TXT':
      return `${head} ${([] as unknown[]).concat(r.data).map((s) => JSON.stringify(String(s))).join(' ')}`;
    case 'MX':
      return `${head} ${r.data.preference} ${fq(r.data.exchange)}`;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return `${head} ${fq(r.data)}`;
    default:
      return `${head} ${r.data}`;
  }
}

const issuesOf = (text: string, origin = 'example.org.') => parseZoneFile(text, origin).issues.map((i) => `${i.line}:${i.col}: ${i.message}`);
const SOA_LINE = '@ SOA ns1 hostmaster 1 7200 1800 86400 300';

describe('parseZoneFile', () => {
  it('parses the lab zone cleanly', () => {
    const { zone, issues } = parseZoneFile(ZONE, 'example.org');
    expect(issues).toEqual([]);
    expect(zone.origin).toBe('example.org.');
    expect(show(zone.soa!)).toBe('example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 1800 1209600 300');
    expect(zone.records.get('example.org')!.map(show)).toEqual([
      'example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 1800 1209600 300',
      'example.org. 3600 IN NS ns1.example.org.',
      'example.org. 3600 IN NS ns2.example.net.',
      'example.org. 3600 IN MX 10 mail.example.org.',
      'example.org. 3600 IN A 192.0.2.1',
    ]);
    // An explicit TTL is the record's own; $TTL gives the others theirs.
    expect(zone.records.get('mail.example.org')!.map(show)).toEqual(['mail.example.org. 300 IN A 192.0.2.25', 'mail.example.org. 3600 IN AAAA 2001:db8::25']);
    expect(zone.records.get('txt.example.org')!.map(show)).toEqual(['txt.example.org. 3600 IN TXT "hello world" "semi; colon" "bare"']);
    expect(zone.records.get('_sip._tcp.example.org')!.map(show)).toEqual(['_sip._tcp.example.org. 3600 IN SRV 10 60 5060 sip.example.org.']);
    expect(zone.records.get('*.wild.example.org')!.map(show)).toEqual(['*.wild.example.org. 3600 IN A 192.0.2.99', '*.wild.example.org. 3600 IN TXT "wild"']);
    expect(zone.records.get('www.example.org')!.map(show)).toEqual(['www.example.org. 3600 IN CNAME example.org.']);
  });

  const good: [string, string, string, string[]][] = [
    ['$TTL with units', `$TTL 1h30m\n${SOA_LINE}\na A 192.0.2.1`, 'a.example.org', ['a.example.org. 5400 IN A 192.0.2.1']],
    ['no $TTL: the last stated TTL', `@ 600 SOA ns1 hostmaster 1 2 3 4 5\na A 192.0.2.1`, 'a.example.org', ['a.example.org. 600 IN A 192.0.2.1']],
    ['TTL and class in either order', `${SOA_LINE}\na IN 300 A 192.0.2.1\na 400 IN A 192.0.2.2`, 'a.example.org', ['a.example.org. 300 IN A 192.0.2.1', 'a.example.org. 400 IN A 192.0.2.2']],
    ['$ORIGIN, relative to the current one', `${SOA_LINE}\n$ORIGIN lab.example.org.\nx A 192.0.2.1\n$ORIGIN deep\ny A 192.0.2.2`, 'y.deep.lab.example.org', ['y.deep.lab.example.org. 3600 IN A 192.0.2.2']],
    ['absolute names, any case', `${SOA_LINE}\nWWW.Example.ORG. CNAME Web.Example.org.`, 'www.example.org', ['www.example.org. 3600 IN CNAME web.example.org.']],
    ['blank owner after a multi-line record', `@ SOA ns1 hostmaster (\n 1 2 3 4 5 )\n A 192.0.2.7`, 'example.org', ['example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 2 3 4 5', 'example.org. 3600 IN A 192.0.2.7']],
    ['quoted strings keep ; and escapes', `${SOA_LINE}\nt TXT "a;b" "say \\"hi\\"" ; comment`, 't.example.org', ['t.example.org. 3600 IN TXT "a;b" "say \\"hi\\""']],
    ['PTR in a reverse zone', `@ SOA ns1.example.org. h.example.org. 1 2 3 4 5\n10 PTR web.example.org.`, '10.2.0.192.in-addr.arpa', ['10.2.0.192.in-addr.arpa. 3600 IN PTR web.example.org.']],
  ];
  it.each(good)('%s', (_, text, owner, expected) => {
    const origin = owner.endsWith('in-addr.arpa') ? '2.0.192.in-addr.arpa.' : 'example.org.';
    const { zone, issues } = parseZoneFile(text, origin);
    expect(issues).toEqual([]);
    expect(zone.records.get(owner)!.map(show)).toEqual(expected);
  });

  it('uses defaultTtl when nothing states a TTL', () => {
    const { zone } = parseZoneFile('@ SOA ns1 hostmaster 1 2 3 4 5', 'example.org', { defaultTtl: 42 });
    expect(zone.soa!.ttl).toBe(42);
  });

  const bad: [string, string, string[]][] = [
    ['bad IPv4 address', `${SOA_LINE}\nweb  A  192.0.2.256`, ['2:9: "192.0.2.256" is not an IPv4 address']],
    ['bad IPv6 address', `${SOA_LINE}\nweb AAAA 2001:db8::zz`, ['2:10: "2001:db8::zz" is not an IPv6 address']],
    ['unknown type', `${SOA_LINE}\nweb  FOO bar`, ['2:6: unknown record type "FOO"']],
    ['known but unsupported type', `${SOA_LINE}\n@ CAA 0 issue "ca.example"`, ['2:3: record type CAA is not supported (podlab serves A AAAA CNAME NS MX TXT SRV SOA PTR)']],
    ['missing SOA', 'web A 192.0.2.1', ['1:1: no SOA record for the zone example.org.']],
    ['record outside the origin', `${SOA_LINE}\nwww.example.com. A 192.0.2.1`, ['2:1: A record for "www.example.com." is outside the zone example.org.']],
    ['CNAME beside other data', `${SOA_LINE}\nwww A 192.0.2.1\nwww CNAME web`, ['3:1: CNAME for "www.example.org." beside other records at that name (a CNAME must be alone)']],
    ['data beside a CNAME', `${SOA_LINE}\nwww CNAME web\n    TXT "x"`, ['3:5: TXT record for "www.example.org." beside its CNAME (a CNAME must be alone)']],
    ['two CNAMEs', `${SOA_LINE}\nwww CNAME a\nwww CNAME b`, ['3:1: a second CNAME for "www.example.org."; a name has at most one']],
    ['unclosed parenthesis', `@ SOA ns1 hostmaster ( 1 2 3 4 5\nweb A 192.0.2.1`, ['1:1: no SOA record for the zone example.org.', '1:22: "(" is never closed']],
    ['stray parenthesis', `${SOA_LINE} )`, ['1:44: ")" without a matching "("']],
    ['unterminated quote', `${SOA_LINE}\nt TXT "abc`, ['2:7: quoted string is not closed on its line']],
    ['blank owner on the first record', `  A 192.0.2.1\n${SOA_LINE}`, ['1:3: this line starts with a blank, meaning "the previous owner", but no record came before it']],
    ['missing RDATA', `${SOA_LINE}\nmx MX 10`, ['2:4: MX record needs a preference, a mail exchanger name; only 1 field is given']],
    ['extra RDATA', `${SOA_LINE}\na A 192.0.2.1 192.0.2.2`, ['2:15: unexpected "192.0.2.2" after the A record\'s data']],
    ['MX preference out of range', `${SOA_LINE}\n@ MX 70000 mail`, ['2:6: MX preference must be a number from 0 to 65535, not "70000"']],
    ['SRV port not a number', `${SOA_LINE}\n_x._tcp SRV 0 0 http web`, ['2:17: SRV port must be a number from 0 to 65535, not "http"']],
    ['class other than IN', `${SOA_LINE}\nweb CH A 192.0.2.1`, ['2:5: class CH is not supported; podlab zones are class IN']],
    ['$INCLUDE', `${SOA_LINE}\n$INCLUDE other.zone`, ['2:1: $INCLUDE is not supported by podlab; put the records in this file']],
    ['bad $TTL', `$TTL soon\n${SOA_LINE}`, ['1:6: "soon" is not a TTL (seconds, or like 1h30m)']],
    ['bad record TTL', `${SOA_LINE}\nweb 3x A 192.0.2.1`, ['2:5: "3x" is not a TTL (seconds, or like 1h30m)']],
    ['SOA below the origin', `${SOA_LINE}\nsub SOA ns1 hostmaster 1 2 3 4 5`, ['2:1: SOA record for "sub.example.org." must be at the zone\'s origin example.org.']],
    ['second SOA', `${SOA_LINE}\n${SOA_LINE}`, ['2:1: a second SOA record for example.org.; a zone has exactly one']],
    ['empty label', `${SOA_LINE}\na..b A 192.0.2.1`, ['2:1: "a..b" has an empty label']],
    ['label too long', `${SOA_LINE}\n${'x'.repeat(64)} A 192.0.2.1`, [`2:1: label "${'x'.repeat(64)}" is longer than 63 characters`]],
    ['issues collected in line order', `web A 1.2.3\n\nmail MX ten mail\n$BOGUS`, ['1:1: no SOA record for the zone example.org.', '1:7: "1.2.3" is not an IPv4 address', '3:9: MX preference must be a number from 0 to 65535, not "ten"', '4:1: unknown directive $BOGUS']],
  ];
  it.each(bad)('%s', (_, text, expected) => expect(issuesOf(text)).toEqual(expected));

  it('leaves records with issues out of the zone', () => {
    const { zone } = parseZoneFile(`${SOA_LINE}\nweb A 192.0.2.1\nweb CNAME x\nbad A nope`, 'example.org');
    expect(zone.records.get('web.example.org')!.map(show)).toEqual(['web.example.org. 3600 IN A 192.0.2.1']);
    expect(zone.records.has('bad.example.org')).toBe(false);
  });
});

interface Row {
  q: string;
  t: string;
  rcode?: DnsResponse['rcode'];
  aa?: boolean;
  an?: string[];
  ns?: string[];
  ad?: string[];
}

const NS = ['example.org. 3600 IN NS ns1.example.org.', 'example.org. 3600 IN NS ns2.example.net.'];
/** The SOA in a negative answer: TTL min(3600, minimum 300), RFC 2308 §3. */
const NEG = ['example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 1800 1209600 300'];
const DEPT = { rcode: 'NOERROR' as const, aa: false, ns: ['dept.example.org. 3600 IN NS ns.dept.example.org.', 'dept.example.org. 3600 IN NS ns.other.net.'], ad: ['ns.dept.example.org. 3600 IN A 192.0.2.200'] };

const lookups: Row[] = [
  { q: 'example.org.', t: 'SOA', an: ['example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 1800 1209600 300'], ns: NS },
  { q: 'example.org.', t: 'NS', an: NS, ad: ['ns1.example.org. 3600 IN A 192.0.2.53'] },
  { q: 'example.org.', t: 'A', an: ['example.org. 3600 IN A 192.0.2.1'], ns: NS },
  { q: 'example.org.', t: 'MX', an: ['example.org. 3600 IN MX 10 mail.example.org.'], ns: NS, ad: ['mail.example.org. 300 IN A 192.0.2.25', 'mail.example.org. 3600 IN AAAA 2001:db8::25'] },
  { q: 'example.org.', t: 'AAAA', ns: NEG },
  { q: 'mail.example.org.', t: 'AAAA', an: ['mail.example.org. 3600 IN AAAA 2001:db8::25'], ns: NS },
  { q: 'MAIL.Example.org', t: 'A', an: ['mail.example.org. 300 IN A 192.0.2.25'], ns: NS },
  { q: 'mail.example.org.', t: 'TXT', ns: NEG },
  { q: 'ns1.example.org.', t: 'SOA', ns: NEG },
  { q: 'www.example.org.', t: 'A', an: ['www.example.org. 3600 IN CNAME example.org.', 'example.org. 3600 IN A 192.0.2.1'], ns: NS },
  { q: 'www.example.org.', t: 'AAAA', an: ['www.example.org. 3600 IN CNAME example.org.'], ns: NS },
  { q: 'www.example.org.', t: 'CNAME', an: ['www.example.org. 3600 IN CNAME example.org.'], ns: NS },
  { q: 'ftp.example.org.', t: 'A', an: ['ftp.example.org. 3600 IN CNAME www.example.org.', 'www.example.org. 3600 IN CNAME example.org.', 'example.org. 3600 IN A 192.0.2.1'], ns: NS },
  { q: 'out.example.org.', t: 'A', an: ['out.example.org. 3600 IN CNAME www.example.com.'], ns: NS },
  { q: 'loop1.example.org.', t: 'A', an: ['loop1.example.org. 3600 IN CNAME loop2.example.org.', 'loop2.example.org. 3600 IN CNAME loop1.example.org.'], ns: NS },
  { q: '_sip._tcp.example.org.', t: 'SRV', an: ['_sip._tcp.example.org. 3600 IN SRV 10 60 5060 sip.example.org.'], ns: NS, ad: ['sip.example.org. 3600 IN A 192.0.2.60'] },
  { q: 'txt.example.org.', t: 'TXT', an: ['txt.example.org. 3600 IN TXT "hello world" "semi; colon" "bare"'], ns: NS },
  { q: 'nope.example.org.', t: 'A', rcode: 'NXDOMAIN', ns: NEG },
  { q: 'Nope.EXAMPLE.org', t: 'MX', rcode: 'NXDOMAIN', ns: NEG },
  // Wildcards (RFC 4592): the closest encloser's `*` child answers, under the question's name.
  { q: 'a.wild.example.org.', t: 'A', an: ['a.wild.example.org. 3600 IN A 192.0.2.99'], ns: NS },
  { q: 'a.b.wild.example.org.', t: 'TXT', an: ['a.b.wild.example.org. 3600 IN TXT "wild"'], ns: NS },
  { q: 'a.wild.example.org.', t: 'MX', ns: NEG },
  { q: 'sub.wild.example.org.', t: 'A', an: ['sub.wild.example.org. 3600 IN A 192.0.2.98'], ns: NS },
  { q: 'sub.wild.example.org.', t: 'TXT', ns: NEG },
  { q: 'y.sub.wild.example.org.', t: 'A', rcode: 'NXDOMAIN', ns: NEG },
  { q: 'wc.example.org.', t: 'A', an: ['wc.example.org. 3600 IN CNAME target.wild.example.org.', 'target.wild.example.org. 3600 IN A 192.0.2.99'], ns: NS },
  // Empty non-terminals exist (NODATA) and block wildcards above them.
  { q: 'ent.example.org.', t: 'A', ns: NEG },
  { q: 'y.ent.example.org.', t: 'A', rcode: 'NXDOMAIN', ns: NEG },
  // Delegation: a referral, not authoritative, glue below the cut only.
  { q: 'dept.example.org.', t: 'A', ...DEPT },
  { q: 'dept.example.org.', t: 'NS', ...DEPT },
  { q: 'host.dept.example.org.', t: 'A', ...DEPT },
  { q: 'www.example.com.', t: 'A', rcode: 'REFUSED', aa: false },
];

describe('lookupZone', () => {
  const { zone } = parseZoneFile(ZONE, 'example.org.');
  it.each(lookups.map((r) => [`${r.q} ${r.t}`, r] as const))('%s', (_, row) => {
    const r = lookupZone(zone, row.q, row.t);
    expect({ rcode: r.rcode, aa: r.aa, an: r.answers.map(show), ns: r.authorities.map(show), ad: r.additionals.map(show) }).toEqual({
      rcode: row.rcode ?? 'NOERROR',
      aa: row.aa ?? true,
      an: row.an ?? [],
      ns: row.ns ?? [],
      ad: row.ad ?? [],
    });
  });

  it('answers SERVFAIL for a zone without SOA', () => {
    expect(lookupZone(parseZoneFile('a A 192.0.2.1', 'example.org').zone, 'a.example.org', 'A').rcode).toBe('SERVFAIL');
  });
});

describe('filePlugin', () => {
  afterEach(() => vi.useRealTimers());
  const config: FileConfig = { plugin: 'file', file: 'db.example.org', zones: ['example.org.', 'example.net'], reloadMs: 1000 };
  const request = (name: string, type: string): DnsRequest => ({
    msg: { type: 'query', id: 1, questions: [{ name, type: type as never, class: 'IN' }] } as Packet,
    qname: `${name.toLowerCase()}.`,
    qtype: type,
    qclass: 'IN',
    client: { address: '127.0.0.1', port: 5353, transport: 'udp' },
    maxSize: 512,
    zone: '.',
  });
  const passed: DnsResponse = { rcode: 'NOERROR', aa: false, answers: [], authorities: [], additionals: [], note: 'next' };
  const next = async () => passed;
  const zoneText = (serial: number, ip: string) => `@ SOA ns1 hostmaster ${serial} 7200 1800 86400 300\n@ NS ns1\nns1 A 192.0.2.53\nweb A ${ip}\n`;

  it('serves its zones, passes on other names, reloads on a new serial, keeps the old zone on errors', async () => {
    vi.useFakeTimers();
    let text = zoneText(1, '192.0.2.10');
    let reads = 0;
    const plugin = filePlugin(config, () => (reads++, text));
    const ask = async (name: string) => (await plugin.serve(request(name, 'A'), next)).answers.map(show);
    expect(reads).toBe(1);
    expect(await ask('web.example.org')).toEqual(['web.example.org. 3600 IN A 192.0.2.10']);
    // The same file serves every origin of the directive.
    expect(await ask('web.example.net')).toEqual(['web.example.net. 3600 IN A 192.0.2.10']);
    expect(await plugin.serve(request('web.example.com', 'A'), next)).toBe(passed);

    // A change without a new serial is not loaded (CoreDNS); with one it is.
    text = zoneText(1, '192.0.2.11');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await ask('web.example.org')).toEqual(['web.example.org. 3600 IN A 192.0.2.10']);
    text = zoneText(2, '192.0.2.12');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await ask('web.example.org')).toEqual(['web.example.org. 3600 IN A 192.0.2.12']);

    // A file that does not parse leaves the old zone serving; its issues are reported.
    text = `${zoneText(3, '192.0.2.13')}bad A 300.1.1.1\n`;
    await vi.advanceTimersByTimeAsync(1000);
    expect(await ask('web.example.org')).toEqual(['web.example.org. 3600 IN A 192.0.2.12']);
    expect(plugin.issues()[0]).toEqual({ origin: 'example.org.', issues: [{ line: 5, col: 7, message: '"300.1.1.1" is not an IPv4 address' }] });

    plugin.close!();
    const before = reads;
    text = zoneText(4, '192.0.2.14');
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toBe(before);
    expect(await ask('web.example.org')).toEqual(['web.example.org. 3600 IN A 192.0.2.12']);
  });

  it('answers SERVFAIL for a zone whose file never loaded, until it does', async () => {
    vi.useFakeTimers();
    let text = '';
    const plugin = filePlugin({ ...config, zones: ['example.org'] }, () => text);
    expect((await plugin.serve(request('web.example.org', 'A'), next)).rcode).toBe('SERVFAIL');
    expect(plugin.issues()).toEqual([{ origin: 'example.org.', issues: [{ line: 1, col: 1, message: 'no SOA record for the zone example.org.' }] }]);
    text = zoneText(1, '192.0.2.10');
    await vi.advanceTimersByTimeAsync(1000);
    expect((await plugin.serve(request('web.example.org', 'A'), next)).rcode).toBe('NOERROR');
    plugin.close!();
  });
});
