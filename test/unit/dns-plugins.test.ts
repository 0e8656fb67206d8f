/**
 * The middleware plugins of podlab's DNS server (rewrite, cache, loadbalance, hosts, template,
 * log, errors), each against a fake `next` that returns a canned response and records the request
 * it saw, with fake clocks where time matters. Expected values follow CoreDNS's behaviour (see the
 * header of each plugin's module).
 */
import * as packet from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type {
  CacheConfig,
  DnsRequest,
  DnsResponse,
  HostsConfig,
  LogConfig,
  Next,
  RewriteRule,
  TemplateConfig,
} from '../../src/dns/types.ts';
import { cachePlugin } from '../../src/dns/plugin/cache/handler.ts';
import { errorsPlugin } from '../../src/dns/plugin/errors/handler.ts';
import { hostsPlugin, parseHostsFile } from '../../src/dns/plugin/hosts/handler.ts';
import { loadbalancePlugin, roundRobin } from '../../src/dns/plugin/loadbalance/handler.ts';
import { formatSeconds, logPlugin } from '../../src/dns/plugin/log/handler.ts';
import { addressFromReverse, canonicalIp, fqdn, isDomainName, isSubdomain, typify, wireName } from '../../src/dns/records.ts';
import { rewritePlugin } from '../../src/dns/plugin/rewrite/handler.ts';
import { compileTemplate, parseRR, templatePlugin, type TemplateData } from '../../src/dns/plugin/template/handler.ts';

// ── Fixtures ─────────────────────────────────────────────────────────────────────────────────

const pos = { line: 1, col: 1 };

interface ReqOptions {
  cls?: string;
  id?: number;
  do?: boolean;
  bufsize?: number;
  rd?: boolean;
  address?: string;
  transport?: 'udp' | 'tcp';
}

/** A query as the server hands it to the chain: `name` as the client wrote it. */
function request(name: string, type = 'A', o: ReqOptions = {}): DnsRequest {
  const additionals: Answer[] = o.do !== undefined || o.bufsize !== undefined ? [{ type: 'OPT', name: '.', udpPayloadSize: o.bufsize ?? 1232, flags: o.do ? packet.DNSSEC_OK : 0 } as never] : [];
  const msg: Packet = {
    id: o.id ?? 4242,
    type: 'query',
    flags: o.rd === false ? 0 : packet.RECURSION_DESIRED,
    questions: [{ name, type: type as never, class: (o.cls ?? 'IN') as never }],
    additionals,
  };
  return {
    msg,
    qname: fqdn(name),
    qtype: type,
    qclass: o.cls ?? 'IN',
    client: { address: o.address ?? '10.244.1.5', port: 40000, transport: o.transport ?? 'udp' },
    maxSize: o.bufsize ?? 512,
    zone: '.',
  };
}

const res = (rcode: DnsResponse['rcode'], answers: Answer[] = [], authorities: Answer[] = [], extra: Partial<DnsResponse> = {}): DnsResponse => ({
  rcode,
  aa: true,
  answers,
  authorities,
  additionals: [],
  ...extra,
});
const A = (name: string, ip: string, ttl = 300): Answer => ({ name, type: 'A', class: 'IN', ttl, data: ip });
const AAAA = (name: string, ip: string, ttl = 300): Answer => ({ name, type: 'AAAA', class: 'IN', ttl, data: ip });
const CNAME = (name: string, target: string, ttl = 300): Answer => ({ name, type: 'CNAME', class: 'IN', ttl, data: target });
const MX = (name: string, exchange: string, preference = 10): Answer => ({ name, type: 'MX', class: 'IN', ttl: 300, data: { preference, exchange } });
const TXT = (name: string, text: string): Answer => ({ name, type: 'TXT', class: 'IN', ttl: 300, data: [text] });
const SOA = (zone: string, ttl = 300, minimum = 30): Answer => ({
  name: zone,
  type: 'SOA',
  class: 'IN',
  ttl,
  data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum },
});

/** A `next` returning `reply` (or computing it), remembering every request it saw. */
function fakeNext(reply: DnsResponse | ((req: DnsRequest) => DnsResponse)) {
  const seen: DnsRequest[] = [];
  const next: Next = async (req) => {
    seen.push(req);
    return typeof reply === 'function' ? reply(req) : reply;
  };
  return { next, seen };
}

const names = (rrs: Answer[]) => rrs.map((r) => r.name);
const ttls = (rrs: Answer[]) => rrs.map((r) => (r as { ttl?: number }).ttl);
const datas = (rrs: Answer[]) => rrs.map((r) => (r as { data: unknown }).data);

// ── records.ts ─────────────────────────────────────────────────────────────────────────────────

describe('records helpers', () => {
  it.each([
    ['Example.ORG', 'example.org.'],
    ['example.org.', 'example.org.'],
    ['', '.'],
    ['.', '.'],
  ])('fqdn(%j) = %j', (input, out) => expect(fqdn(input)).toBe(out));
  it('wireName drops the trailing dot, keeps the root', () => {
    expect(wireName('a.b.')).toBe('a.b');
    expect(wireName('.')).toBe('.');
  });
  it.each([
    ['web.default.svc.cluster.local.', 'cluster.local.', true],
    ['cluster.local', 'cluster.local.', true],
    ['notcluster.local.', 'cluster.local.', false],
    ['anything.', '.', true],
  ])('isSubdomain(%j, %j) = %j', (n, z, out) => expect(isSubdomain(n, z)).toBe(out));
  it('isDomainName rejects empty and long labels', () => {
    expect(isDomainName('a.b.')).toBe(true);
    expect(isDomainName('a..b.')).toBe(false);
    expect(isDomainName(`${'x'.repeat(64)}.b.`)).toBe(false);
  });
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['fe80::1%eth0', 'fe80:0000:0000:0000:0000:0000:0000:0001'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8::10.0.0.1', '2001:0db8:0000:0000:0000:0000:0a00:0001'],
    ['nope', undefined],
  ])('canonicalIp(%j) = %j', (ip, out) => expect(canonicalIp(ip)).toBe(out));
  it('addressFromReverse reads in-addr.arpa and ip6.arpa names', () => {
    expect(addressFromReverse('4.3.2.10.in-addr.arpa.')).toBe('10.2.3.4');
    expect(addressFromReverse(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa.`)).toBe('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(addressFromReverse('3.2.10.in-addr.arpa.')).toBeUndefined();
    expect(addressFromReverse('example.org.')).toBeUndefined();
  });
  it.each<[string, DnsResponse, string]>([
    ['A', res('NOERROR', [A('a', '1.1.1.1')]), 'NOERROR'],
    // CoreDNS: any answer with NOERROR is NoError, a CNAME alone too.
    ['A', res('NOERROR', [CNAME('a', 'b')]), 'NOERROR'],
    ['MX', res('NOERROR', [CNAME('a', 'b')]), 'NOERROR'],
    ['A', res('NOERROR', [], [SOA('org')]), 'NODATA'],
    ['A', res('NXDOMAIN', [], [SOA('org')]), 'NXDOMAIN'],
    ['A', res('NXDOMAIN'), 'OTHERERROR'],
    ['A', res('SERVFAIL'), 'SERVERERROR'],
    ['A', res('REFUSED'), 'OTHERERROR'],
    ['A', res('NOERROR', [], [{ name: 'org', type: 'NS', ttl: 1, data: 'ns.org' }]), 'DELEGATION'],
    ['AXFR', res('NOERROR'), 'META'],
  ])('typify %s %j → %s', (qtype, r, out) => expect(typify(r, qtype)).toBe(out));
});

// ── rewrite ──────────────────────────────────────────────────────────────────────────────────

const rule = (match: RewriteRule['match'], from: string, to: string, extra: Partial<RewriteRule> = {}): RewriteRule => ({
  pos,
  mode: 'stop',
  field: 'name',
  match,
  from,
  to,
  answer: { kind: 'auto' },
  ...extra,
});

describe('rewrite', () => {
  interface Case {
    title: string;
    rules: RewriteRule[];
    ask: string;
    /** The question name the next plugin must see. */
    sees: string;
    /** What next answers (owner names as the rewritten question would have them). */
    answers?: Answer[];
    /** Owner names the client gets back. */
    back?: string[];
  }
  const cases: Case[] = [
    {
      title: 'exact: the name is replaced and the answer is named as asked',
      rules: [rule('exact', 'red.example.org.', 'blue.example.org.')],
      ask: 'red.example.org',
      sees: 'blue.example.org.',
      answers: [A('blue.example.org', '10.0.0.1')],
      back: ['red.example.org'],
    },
    {
      title: 'exact: another name passes untouched',
      rules: [rule('exact', 'red.example.org.', 'blue.example.org.')],
      ask: 'green.example.org',
      sees: 'green.example.org.',
      answers: [A('green.example.org', '10.0.0.1')],
      back: ['green.example.org'],
    },
    {
      title: 'prefix: operands are fully qualified, so `test` means `test.`',
      rules: [rule('prefix', 'test.', 'not-a-test.')],
      ask: 'test.example.com',
      sees: 'not-a-test.example.com.',
      answers: [A('not-a-test.example.com', '10.0.0.2')],
      back: ['test.example.com'],
    },
    {
      title: 'prefix: no match without the label boundary',
      rules: [rule('prefix', 'test.', 'x.')],
      ask: 'testing.example.com',
      sees: 'testing.example.com.',
    },
    {
      title: 'suffix: the suffix is mapped back on any name ending in it',
      rules: [rule('suffix', '.schmoogle.com.', '.google.com.')],
      ask: 'www.schmoogle.com',
      sees: 'www.google.com.',
      answers: [CNAME('www.google.com', 'web.google.com'), A('web.google.com', '10.0.0.3')],
      back: ['www.schmoogle.com', 'web.schmoogle.com'],
    },
    {
      title: 'substring: every occurrence is replaced',
      rules: [rule('substring', 'service.us-west-1.example.org.', 'service.us-west-1.consul.')],
      ask: 'ftp.service.us-west-1.example.org',
      sees: 'ftp.service.us-west-1.consul.',
      answers: [A('ftp.service.us-west-1.consul', '10.0.0.4')],
      back: ['ftp.service.us-west-1.example.org'],
    },
    {
      title: 'regex: {1} {2} groups, answer auto back to the question',
      rules: [rule('regex', '(.*)-(us-west-1)\\.example\\.org\\.', '{1}.service.{2}.consul')],
      ask: 'ftp-us-west-1.example.org',
      sees: 'ftp.service.us-west-1.consul.',
      answers: [A('ftp.service.us-west-1.consul', '10.10.10.10'), A('ftp.service.us-west-1.consul', '10.20.20.20')],
      back: ['ftp-us-west-1.example.org', 'ftp-us-west-1.example.org'],
    },
    {
      title: "regex: Go's (?P<name>…) groups are accepted",
      rules: [rule('regex', '^(?P<host>[a-z]+)\\.old\\.', '{1}.new.')],
      ask: 'db.old',
      sees: 'db.new.',
    },
    {
      title: 'regex with an explicit answer name rule',
      rules: [
        rule('regex', '(.*)-(us-west-1)\\.coredns\\.rocks', '{1}.service.{2}.consul', {
          answer: { kind: 'name', from: '(.*)\\.service\\.(us-west-1)\\.consul', to: '{1}-{2}.coredns.rocks' },
        }),
      ],
      ask: 'ftp-us-west-1.coredns.rocks',
      sees: 'ftp.service.us-west-1.consul.',
      answers: [A('ftp.service.us-west-1.consul', '10.10.10.10')],
      back: ['ftp-us-west-1.coredns.rocks'],
    },
    {
      title: 'stop: a matching rule ends the list',
      rules: [rule('exact', 'a.example.', 'b.example.'), rule('exact', 'b.example.', 'c.example.')],
      ask: 'a.example',
      sees: 'b.example.',
    },
    {
      title: 'continue: later rules see the result, and answers map back to the name asked',
      rules: [rule('exact', 'a.example.', 'b.example.', { mode: 'continue' }), rule('suffix', '.example.', '.test.')],
      ask: 'a.example',
      sees: 'b.test.',
      answers: [A('b.test', '10.0.0.9')],
      back: ['a.example'],
    },
    {
      title: 'case: the question is matched lower-cased and the answer carries the lower-case name',
      rules: [rule('exact', 'red.example.org.', 'blue.example.org.')],
      ask: 'ReD.Example.ORG',
      sees: 'blue.example.org.',
      answers: [A('BLUE.example.org', '10.0.0.1')],
      back: ['red.example.org'],
    },
  ];
  it.each(cases)('$title', async (c) => {
    const answers = c.answers ?? [];
    const { next, seen } = fakeNext(res('NOERROR', answers));
    const req = request(c.ask);
    const out = await rewritePlugin({ plugin: 'rewrite', rules: c.rules }).serve(req, next);
    expect(seen[0]!.qname).toBe(c.sees);
    expect(seen[0]!.msg.questions![0]!.name).toBe(wireName(c.sees) === wireName(fqdn(c.ask)) ? c.ask : wireName(c.sees));
    if (c.back) expect(names(out.answers)).toEqual(c.back);
  });

  it("never changes the caller's request or next's response", async () => {
    const answer = A('blue.example.org', '10.0.0.1');
    const reply = res('NOERROR', [answer]);
    const { next, seen } = fakeNext(reply);
    const req = request('red.example.org');
    const before = JSON.stringify(req);
    const out = await rewritePlugin({ plugin: 'rewrite', rules: [rule('exact', 'red.example.org.', 'blue.example.org.')] }).serve(req, next);
    expect(JSON.stringify(req)).toBe(before);
    expect(seen[0]).not.toBe(req);
    expect(answer.name).toBe('blue.example.org');
    expect(out.answers[0]).not.toBe(answer);
  });

  it('maps names inside record data back too: CNAME targets below the rewritten name, SRV and MX targets, the SOA', async () => {
    const { next } = fakeNext(
      res(
        'NOERROR',
        [
          CNAME('blue.example.org', 'pod.blue.example.org'),
          { name: 'blue.example.org', type: 'SRV', ttl: 5, data: { port: 80, target: 'blue.example.org', priority: 0, weight: 0 } },
          MX('blue.example.org', 'mail.blue.example.org'),
          A('unrelated.example.org', '10.0.0.1'),
        ],
        [SOA('blue.example.org')],
      ),
    );
    const out = await rewritePlugin({ plugin: 'rewrite', rules: [rule('exact', 'red.example.org.', 'blue.example.org.')] }).serve(request('red.example.org'), next);
    expect(names(out.answers)).toEqual(['red.example.org', 'red.example.org', 'red.example.org', 'unrelated.example.org']);
    expect(datas(out.answers)).toEqual([
      'pod.red.example.org',
      { port: 80, target: 'red.example.org', priority: 0, weight: 0 },
      { preference: 10, exchange: 'mail.red.example.org' },
      '10.0.0.1',
    ]);
    expect(names(out.authorities)).toEqual(['red.example.org']);
    expect((out.authorities[0] as { data: { mname: string } }).data.mname).toBe('ns.dns.red.example.org');
  });

  it('an explicit answer rule alone renames owner names only, not data', async () => {
    const { next } = fakeNext(res('NOERROR', [CNAME('a.svc.consul', 'b.svc.consul')]));
    const plugin = rewritePlugin({
      plugin: 'rewrite',
      rules: [rule('regex', '^(.*)\\.corp\\.$', '{1}.svc.consul', { answer: { kind: 'name', from: '^(.*)\\.svc\\.consul\\.$', to: '{1}.corp' } })],
    });
    const out = await plugin.serve(request('a.corp'), next);
    expect(names(out.answers)).toEqual(['a.corp']);
    expect(datas(out.answers)).toEqual(['b.svc.consul']);
  });

  it('a rewritten name that is not a domain name is an error (SERVFAIL through `errors`)', async () => {
    const { next, seen } = fakeNext(res('NOERROR'));
    const plugin = rewritePlugin({ plugin: 'rewrite', rules: [rule('regex', '^(.*)\\.x\\.$', '{1}..y')] });
    await expect(plugin.serve(request('a.x'), next)).rejects.toThrow(/invalid name after rewrite: a\.\.y\./);
    expect(seen).toHaveLength(0);
  });
});

// ── cache ────────────────────────────────────────────────────────────────────────────────────

const cacheConfig = (c: Partial<CacheConfig> = {}): CacheConfig => ({
  plugin: 'cache',
  successTtl: 3600,
  successCapacity: 9984,
  successMinTtl: 5,
  denialTtl: 1800,
  denialCapacity: 9984,
  denialMinTtl: 5,
  servfailTtl: 5,
  zones: [],
  disableSuccess: [],
  disableDenial: [],
  ...c,
});

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (s: number) => (t += s * 1000) };
}

describe('cache', () => {
  it('answers the second question from the cache, with AA and the TTL lowered by the seconds elapsed', async () => {
    const c = clock();
    const { next, seen } = fakeNext({ ...res('NOERROR', [A('web.example.org', '10.0.0.1', 300)]), aa: false });
    const plugin = cachePlugin(cacheConfig(), c.now);
    const first = await plugin.serve(request('web.example.org'), next);
    expect(ttls(first.answers)).toEqual([300]);
    c.advance(10.9);
    const second = await plugin.serve(request('web.example.org'), next);
    expect(seen).toHaveLength(1);
    expect(second.aa).toBe(true);
    expect(ttls(second.answers)).toEqual([290]);
    expect(datas(second.answers)).toEqual(['10.0.0.1']);
  });

  interface TtlCase {
    title: string;
    config?: Partial<CacheConfig>;
    qtype?: string;
    reply: DnsResponse;
    /** The TTL every record of the reply gets (the duration kept). */
    ttl: number;
  }
  const ttlCases: TtlCase[] = [
    { title: 'the smallest TTL of the message', reply: res('NOERROR', [A('a.org', '1.1.1.1', 300), A('a.org', '1.1.1.2', 120)]), ttl: 120 },
    { title: 'capped at the success maximum', config: { successTtl: 60 }, reply: res('NOERROR', [A('a.org', '1.1.1.1', 7200)]), ttl: 60 },
    { title: 'raised to the success minimum', reply: res('NOERROR', [A('a.org', '1.1.1.1', 1)]), ttl: 5 },
    { title: 'a denial: the SOA MINIMUM when smaller than its TTL', reply: res('NXDOMAIN', [], [SOA('org', 300, 60)]), ttl: 60 },
    { title: 'a denial: the SOA TTL when smaller than its MINIMUM', reply: res('NXDOMAIN', [], [SOA('org', 30, 600)]), ttl: 30 },
    { title: 'a denial is capped at the denial maximum', config: { denialTtl: 20 }, reply: res('NOERROR', [], [SOA('org', 300, 300)]), ttl: 20 },
    { title: 'a denial is raised to the denial minimum', config: { denialMinTtl: 10 }, reply: res('NXDOMAIN', [], [SOA('org', 2, 2)]), ttl: 10 },
  ];
  it.each(ttlCases)('TTL: $title', async (tc) => {
    const c = clock();
    const { next, seen } = fakeNext(tc.reply);
    const plugin = cachePlugin(cacheConfig(tc.config), c.now);
    const first = await plugin.serve(request('a.org', tc.qtype ?? 'A'), next);
    expect(ttls([...first.answers, ...first.authorities])).toEqual([...first.answers, ...first.authorities].map(() => tc.ttl));
    c.advance(tc.ttl - 1);
    const hit = await plugin.serve(request('a.org', tc.qtype ?? 'A'), next);
    expect(seen).toHaveLength(1);
    expect(hit.rcode).toBe(tc.reply.rcode);
    expect(ttls([...hit.answers, ...hit.authorities])[0]).toBe(1);
    c.advance(1);
    await plugin.serve(request('a.org', tc.qtype ?? 'A'), next);
    expect(seen).toHaveLength(2); // expired
  });

  interface StoreCase {
    title: string;
    config?: Partial<CacheConfig>;
    ask?: string;
    reply: DnsResponse;
    cached: boolean;
  }
  const storeCases: StoreCase[] = [
    { title: 'NXDOMAIN without SOA is not cached (CoreDNS: OtherError)', reply: res('NXDOMAIN'), cached: false },
    { title: 'REFUSED is not cached', reply: res('REFUSED'), cached: false },
    { title: 'SERVFAIL is cached for servfailTtl', reply: res('SERVFAIL'), cached: true },
    { title: 'SERVFAIL is not cached with servfailTtl 0', config: { servfailTtl: 0 }, reply: res('SERVFAIL'), cached: false },
    { title: 'a truncated reply is never cached', reply: { ...res('NOERROR', [A('a.org', '1.1.1.1')]), tc: true } as DnsResponse, cached: false },
    { title: 'a name outside the cache zones is not cached', config: { zones: ['cluster.local.'] }, reply: res('NOERROR', [A('a.org', '1.1.1.1')]), cached: false },
    { title: 'a name inside the cache zones is cached', config: { zones: ['org.'] }, reply: res('NOERROR', [A('a.org', '1.1.1.1')]), cached: true },
    { title: '`disable success` keeps answers out', config: { disableSuccess: ['org.'] }, reply: res('NOERROR', [A('a.org', '1.1.1.1')]), cached: false },
    { title: '`disable success` leaves denials in', config: { disableSuccess: ['org.'] }, reply: res('NXDOMAIN', [], [SOA('org')]), cached: true },
    { title: '`disable denial` keeps denials out', config: { disableDenial: ['org.'] }, reply: res('NXDOMAIN', [], [SOA('org')]), cached: false },
    { title: '`disable denial` of another zone does not apply', config: { disableDenial: ['com.'] }, reply: res('NXDOMAIN', [], [SOA('org')]), cached: true },
    // CoreDNS's isNODATA (coredns/coredns#8232): a NOERROR that does not reach the type asked, without SOA.
    { title: 'a CNAME whose target did not resolve is not cached', reply: res('NOERROR', [CNAME('a.org', 'b.org', 30)]), cached: false },
    { title: 'a CNAME chain that ends in the type asked is cached', reply: res('NOERROR', [CNAME('A.org', 'b.org', 30), CNAME('b.org', 'c.org'), A('c.org', '1.1.1.1')]), cached: true },
    { title: 'a CNAME chain that ends elsewhere is not cached', reply: res('NOERROR', [CNAME('a.org', 'b.org', 30), A('x.org', '1.1.1.1')]), cached: false },
  ];
  it.each(storeCases)('$title', async (sc) => {
    const c = clock();
    const { next, seen } = fakeNext(sc.reply);
    const plugin = cachePlugin(cacheConfig(sc.config), c.now);
    await plugin.serve(request(sc.ask ?? 'a.org'), next);
    c.advance(1);
    const again = await plugin.serve(request(sc.ask ?? 'a.org'), next);
    expect(seen).toHaveLength(sc.cached ? 1 : 2);
    expect(again.rcode).toBe(sc.reply.rcode);
  });

  it('a CNAME alone passes with its own TTL (a positive answer to CoreDNS), not the 5 s minimum', async () => {
    const { next } = fakeNext(res('NOERROR', [CNAME('search.shop.svc.cluster.local', 'search.example.org', 30)]));
    const plugin = cachePlugin(cacheConfig({ disableSuccess: ['cluster.local.'], disableDenial: ['cluster.local.'] }), clock().now);
    expect(ttls((await plugin.serve(request('search.shop.svc.cluster.local'), next)).answers)).toEqual([30]);
  });

  it('SERVFAIL expires after servfailTtl', async () => {
    const c = clock();
    const { next, seen } = fakeNext(res('SERVFAIL'));
    const plugin = cachePlugin(cacheConfig({ servfailTtl: 3 }), c.now);
    await plugin.serve(request('a.org'), next);
    c.advance(2);
    await plugin.serve(request('a.org'), next);
    expect(seen).toHaveLength(1);
    c.advance(1);
    await plugin.serve(request('a.org'), next);
    expect(seen).toHaveLength(2);
  });

  it('keys on name (any case), type, class and the DO bit', async () => {
    const { next, seen } = fakeNext((req) => res('NOERROR', [A(wireName(req.qname), '1.1.1.1')]));
    const plugin = cachePlugin(cacheConfig(), clock().now);
    await plugin.serve(request('a.org'), next);
    await plugin.serve(request('A.ORG'), next);
    expect(seen).toHaveLength(1);
    await plugin.serve(request('a.org', 'AAAA'), next);
    await plugin.serve(request('a.org', 'A', { cls: 'CH' }), next);
    await plugin.serve(request('a.org', 'A', { do: true }), next);
    expect(seen).toHaveLength(4);
  });

  it('forgets the oldest entry when full', async () => {
    const { next, seen } = fakeNext((req) => res('NOERROR', [A(wireName(req.qname), '1.1.1.1')]));
    const plugin = cachePlugin(cacheConfig({ successCapacity: 2 }), clock().now);
    for (const n of ['a.org', 'b.org', 'c.org']) await plugin.serve(request(n), next);
    expect(seen).toHaveLength(3);
    await plugin.serve(request('c.org'), next);
    await plugin.serve(request('b.org'), next);
    expect(seen).toHaveLength(3);
    await plugin.serve(request('a.org'), next);
    expect(seen).toHaveLength(4);
  });

  it('hands out copies: changing a reply does not change the cache, and OPT is not stored', async () => {
    const c = clock();
    const opt = { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as never as Answer;
    const { next } = fakeNext({ ...res('NOERROR', [A('a.org', '1.1.1.1')]), additionals: [opt] });
    const plugin = cachePlugin(cacheConfig(), c.now);
    const first = await plugin.serve(request('a.org'), next);
    (first.answers[0] as { data: string }).data = '6.6.6.6';
    const hit = await plugin.serve(request('a.org'), next);
    expect(datas(hit.answers)).toEqual(['1.1.1.1']);
    expect(hit.additionals).toEqual([]);
  });
});

// ── loadbalance ──────────────────────────────────────────────────────────────────────────────

/** A deterministic random source: a tiny LCG. */
function lcg(seed = 1): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}
/** A random source giving these 16-bit draws in turn. */
const draws = (...ids: number[]) => {
  let i = 0;
  return () => ids[i++ % ids.length]! / 0x10000;
};

describe('loadbalance', () => {
  const lb = (random: () => number) => loadbalancePlugin({ plugin: 'loadbalance', policy: 'round_robin' }, random);

  it('keeps CNAMEs first, then other records, then the shuffled addresses and MX', () => {
    const section = [A('x', '1.1.1.1'), MX('x', 'mx1'), TXT('x', 't'), CNAME('y', 'x'), AAAA('x', '::1')];
    const out = roundRobin(section, () => 1);
    expect(out.map((r) => r.type)).toEqual(['CNAME', 'TXT', 'A', 'AAAA', 'MX']);
  });

  it.each([
    ['an even draw swaps two records', 2, ['1.1.1.2', '1.1.1.1']],
    ['an odd draw keeps them', 3, ['1.1.1.1', '1.1.1.2']],
  ])('%s', async (_t, id, order) => {
    const { next } = fakeNext(res('NOERROR', [A('x', '1.1.1.1'), A('x', '1.1.1.2')]));
    const out = await lb(draws(id)).serve(request('x'), next);
    expect(datas(out.answers)).toEqual(order);
  });

  it('every address comes first sometimes, and none is lost', async () => {
    const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    const { next } = fakeNext(res('NOERROR', ips.map((ip) => A('web', ip))));
    const plugin = lb(lcg(7));
    const firsts = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const out = await plugin.serve(request('web'), next);
      expect([...(datas(out.answers) as string[])].sort()).toEqual(ips);
      firsts.add((out.answers[0] as { data: string }).data);
    }
    expect([...firsts].sort()).toEqual(ips);
  });

  it.each<[string, DnsResponse, string]>([
    ['an NXDOMAIN passes untouched', res('NXDOMAIN', [A('x', '1.1.1.1'), A('x', '1.1.1.2')]), 'A'],
    ['a zone transfer passes untouched', res('NOERROR', [A('x', '1.1.1.1'), A('x', '1.1.1.2')]), 'AXFR'],
  ])('%s', async (_t, reply, qtype) => {
    const { next } = fakeNext(reply);
    const out = await lb(draws(0)).serve(request('x', qtype), next);
    expect(out).toBe(reply);
  });

  it('shuffles the authority and additional sections too, without touching next’s arrays', async () => {
    const ns = [
      { name: 'org', type: 'NS', ttl: 1, data: 'a.ns' },
      { name: 'org', type: 'NS', ttl: 1, data: 'b.ns' },
    ] as Answer[];
    const extra = [A('a.ns', '1.1.1.1'), A('b.ns', '1.1.1.2')];
    const reply = { ...res('NOERROR', [], ns), additionals: extra };
    const { next } = fakeNext(reply);
    const out = await lb(draws(0)).serve(request('org', 'NS'), next);
    expect(datas(out.authorities)).toEqual(['b.ns', 'a.ns']);
    expect(datas(out.additionals)).toEqual(['1.1.1.2', '1.1.1.1']);
    expect(datas(reply.authorities)).toEqual(['a.ns', 'b.ns']);
  });

  it('a single record stays as it is', async () => {
    const { next } = fakeNext(res('NOERROR', [CNAME('x', 'y'), A('y', '1.1.1.1')]));
    const out = await lb(draws(0)).serve(request('x'), next);
    expect(out.answers.map((r) => r.type)).toEqual(['CNAME', 'A']);
  });
});

// ── hosts ────────────────────────────────────────────────────────────────────────────────────

const HOSTS = `# /etc/hosts
127.0.0.1       localhost
10.0.0.10  db.example.org   db   # the database
10.0.0.11  web.example.org
fd00::11   web.example.org
fd00::12   v6only.example.org
10.0.0.13  OUTSIDE.other.net
not-an-ip  broken.example.org
10.0.0.14
`;

const hostsConfig = (c: Partial<HostsConfig> = {}): HostsConfig => ({
  plugin: 'hosts',
  file: '/etc/hosts',
  zones: ['example.org.', 'localhost.'],
  inline: [],
  ttl: 3600,
  noReverse: false,
  fallthrough: undefined,
  reloadMs: 5000,
  ...c,
});

describe('parseHostsFile', () => {
  it('reads hosts(5) lines, skipping comments, bad addresses and lines without a name', () => {
    expect(parseHostsFile(HOSTS)).toEqual([
      { ip: '127.0.0.1', names: ['localhost'] },
      { ip: '10.0.0.10', names: ['db.example.org', 'db'] },
      { ip: '10.0.0.11', names: ['web.example.org'] },
      { ip: 'fd00:0000:0000:0000:0000:0000:0000:0011', names: ['web.example.org'] },
      { ip: 'fd00:0000:0000:0000:0000:0000:0000:0012', names: ['v6only.example.org'] },
      { ip: '10.0.0.13', names: ['OUTSIDE.other.net'] },
    ]);
  });
  it('drops an IPv6 zone and reads an IPv4-mapped address as IPv4', () => {
    expect(parseHostsFile('fe80::1%eth0 a\n::ffff:10.1.1.1 b\r\n')).toEqual([
      { ip: 'fe80:0000:0000:0000:0000:0000:0000:0001', names: ['a'] },
      { ip: '10.1.1.1', names: ['b'] },
    ]);
  });
});

describe('hosts', () => {
  interface Case {
    title: string;
    config?: Partial<HostsConfig>;
    ask: string;
    qtype?: string;
    /** 'next' when the query must go on. */
    rcode: DnsResponse['rcode'] | 'next';
    data?: unknown[];
  }
  const cases: Case[] = [
    { title: 'A from the file', ask: 'db.example.org', rcode: 'NOERROR', data: ['10.0.0.10'] },
    { title: 'AAAA from the file', ask: 'web.example.org', qtype: 'AAAA', rcode: 'NOERROR', data: ['fd00:0000:0000:0000:0000:0000:0000:0011'] },
    { title: 'names are matched in any case', ask: 'WEB.Example.ORG', rcode: 'NOERROR', data: ['10.0.0.11'] },
    { title: 'NODATA when the name has only the other family', ask: 'v6only.example.org', rcode: 'NOERROR', data: [] },
    { title: 'NODATA for another type of a known name', ask: 'db.example.org', qtype: 'MX', rcode: 'NOERROR', data: [] },
    { title: 'SERVFAIL for an unknown name without fallthrough (CoreDNS has no SOA to say NXDOMAIN)', ask: 'nope.example.org', rcode: 'SERVFAIL' },
    { title: 'fallthrough passes an unknown name on', config: { fallthrough: [] }, ask: 'nope.example.org', rcode: 'next' },
    { title: 'fallthrough limited to other zones does not apply', config: { fallthrough: ['other.net.'] }, ask: 'nope.example.org', rcode: 'SERVFAIL' },
    { title: 'a known name is answered even with fallthrough', config: { fallthrough: [] }, ask: 'v6only.example.org', rcode: 'NOERROR', data: [] },
    { title: 'a name outside the zones goes on', ask: 'google.com', rcode: 'next' },
    { title: 'file names outside the zones are dropped', ask: 'outside.other.net', config: { zones: ['example.org.'], fallthrough: undefined }, rcode: 'next' },
    { title: 'PTR for an IPv4 entry, every name of the address', ask: '10.0.0.10.in-addr.arpa', qtype: 'PTR', rcode: 'NOERROR', data: ['db.example.org'] },
    { title: 'PTR for an IPv6 entry', ask: `1.1.0.0.${'0.'.repeat(24)}0.0.d.f.ip6.arpa`, qtype: 'PTR', rcode: 'NOERROR', data: ['web.example.org'] },
    { title: 'PTR of an unknown address goes on whatever fallthrough says', ask: '99.0.0.10.in-addr.arpa', qtype: 'PTR', rcode: 'next' },
    { title: 'no_reverse: no PTR records', config: { noReverse: true }, ask: '10.0.0.10.in-addr.arpa', qtype: 'PTR', rcode: 'next' },
    {
      title: 'an inline entry replaces what the file says about that name',
      config: { inline: [{ ip: '192.168.0.1', names: ['db.example.org'], pos }] },
      ask: 'db.example.org',
      rcode: 'NOERROR',
      data: ['192.168.0.1'],
    },
    {
      title: 'inline entries are served without a file',
      config: { file: undefined, inline: [{ ip: '192.168.0.2', names: ['router.example.org'], pos }] },
      ask: 'router.example.org',
      rcode: 'NOERROR',
      data: ['192.168.0.2'],
    },
  ];
  it.each(cases)('$title', async (c) => {
    const { next, seen } = fakeNext(res('NOERROR', [TXT('from', 'next')]));
    const plugin = hostsPlugin(hostsConfig(c.config), () => HOSTS, clock().now);
    const out = await plugin.serve(request(c.ask, c.qtype ?? 'A'), next);
    if (c.rcode === 'next') {
      expect(seen).toHaveLength(1);
      return;
    }
    expect(seen).toHaveLength(0);
    expect(out.rcode).toBe(c.rcode);
    if (c.data) expect(datas(out.answers)).toEqual(c.data);
    if (c.rcode === 'NOERROR') {
      expect(out.aa).toBe(true);
      expect(names(out.answers).every((n) => n === wireName(fqdn(c.ask)))).toBe(true);
      expect(ttls(out.answers).every((t) => t === 3600)).toBe(true);
    }
  });

  it('re-reads the file reloadMs after the last read, and keeps the old entries when it disappears', async () => {
    const c = clock();
    let text: string | undefined = '10.0.0.1 a.example.org\n';
    let reads = 0;
    const plugin = hostsPlugin(hostsConfig(), () => (reads++, text), c.now);
    const { next } = fakeNext(res('NOERROR'));
    const ask = async () => datas((await plugin.serve(request('a.example.org'), next)).answers);
    expect(await ask()).toEqual(['10.0.0.1']);
    text = '10.0.0.2 a.example.org\n';
    c.advance(4.999);
    expect(await ask()).toEqual(['10.0.0.1']);
    c.advance(0.001);
    expect(await ask()).toEqual(['10.0.0.2']);
    text = undefined;
    c.advance(5);
    expect(await ask()).toEqual(['10.0.0.2']);
    expect(reads).toBe(3);
  });

  it('reloadMs 0 reads the file once', async () => {
    const c = clock();
    let reads = 0;
    const plugin = hostsPlugin(hostsConfig({ reloadMs: 0 }), () => (reads++, HOSTS), c.now);
    c.advance(3600);
    await plugin.serve(request('db.example.org'), fakeNext(res('NOERROR')).next);
    expect(reads).toBe(1);
  });
});

// ── template ─────────────────────────────────────────────────────────────────────────────────

const templateConfig = (c: Partial<TemplateConfig>): TemplateConfig => ({
  plugin: 'template',
  qclass: 'IN',
  qtype: 'A',
  zones: ['example.'],
  match: [],
  answer: [],
  additional: [],
  authority: [],
  rcode: 'NOERROR',
  fallthrough: undefined,
  ...c,
});

describe('template', () => {
  const ipA = templateConfig({
    match: ['(^|[.])ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$'],
    answer: ['{{ .Name }} 60 IN A {{ .Group.a }}.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}'],
    fallthrough: [],
  });
  interface Case {
    title: string;
    config: TemplateConfig;
    ask: string;
    qtype?: string;
    cls?: string;
    rcode: DnsResponse['rcode'] | 'next';
    answers?: Answer[];
    authorities?: Answer[];
    additionals?: Answer[];
    aa?: boolean;
  }
  const cases: Case[] = [
    { title: 'named groups build an A record', config: ipA, ask: 'ip-10-1-2-3.example', rcode: 'NOERROR', answers: [A('ip-10-1-2-3.example', '10.1.2.3', 60)], aa: true },
    { title: 'a subdomain matches too (the regex is not anchored at the start)', config: ipA, ask: 'www.ip-10-1-2-3.example', rcode: 'NOERROR', answers: [A('www.ip-10-1-2-3.example', '10.1.2.3', 60)] },
    { title: 'no regex match with fallthrough goes on', config: ipA, ask: 'other.example', rcode: 'next' },
    { title: 'no regex match without fallthrough is NXDOMAIN', config: { ...ipA, fallthrough: undefined }, ask: 'other.example', rcode: 'NXDOMAIN', answers: [], aa: false },
    { title: 'another type goes on', config: ipA, ask: 'ip-10-1-2-3.example', qtype: 'AAAA', rcode: 'next' },
    { title: 'another class goes on', config: ipA, ask: 'ip-10-1-2-3.example', cls: 'CH', rcode: 'next' },
    { title: 'another zone goes on', config: { ...ipA, fallthrough: undefined }, ask: 'ip-10-1-2-3.other', rcode: 'next' },
    {
      title: 'PTR from the reversed address',
      config: templateConfig({
        qtype: 'PTR',
        zones: ['in-addr.arpa.'],
        match: ['^(?P<d>[0-9]*)[.](?P<c>[0-9]*)[.](?P<b>[0-9]*)[.](?P<a>[0-9]*)[.]in-addr[.]arpa[.]$'],
        answer: ['{{ .Name }} 60 IN PTR ip-{{ .Group.a }}-{{ .Group.b }}-{{ .Group.c }}-{{ .Group.d }}.example.'],
      }),
      ask: '4.3.2.10.in-addr.arpa',
      qtype: 'PTR',
      rcode: 'NOERROR',
      answers: [{ name: '4.3.2.10.in-addr.arpa', type: 'PTR', class: 'IN', ttl: 60, data: 'ip-10-2-3-4.example' }],
    },
    {
      title: 'rcode NXDOMAIN with a SOA built from .Zone and .Class, for ANY type and class',
      config: templateConfig({ qclass: 'ANY', qtype: 'ANY', zones: ['invalid.'], rcode: 'NXDOMAIN', authority: ['{{ .Zone }} 60 {{ .Class }} SOA ns.invalid. hostmaster.invalid. (1 60 60 60 60)'] }),
      ask: 'foo.invalid',
      qtype: 'MX',
      rcode: 'NXDOMAIN',
      answers: [],
      authorities: [{ name: 'invalid', type: 'SOA', class: 'IN', ttl: 60, data: { mname: 'ns.invalid', rname: 'hostmaster.invalid', serial: 1, refresh: 60, retry: 60, expire: 60, minimum: 60 } }],
    },
    { title: 'rcode SERVFAIL answers SERVFAIL and nothing else', config: templateConfig({ rcode: 'SERVFAIL', answer: ['{{ .Name }} 60 IN A 1.2.3.4'] }), ask: 'x.example', rcode: 'SERVFAIL', answers: [] },
    {
      title: 'MX with an additional A, from index .Match',
      config: templateConfig({
        qtype: 'MX',
        match: ['^ip-10-([0-9]*)-([0-9]*)-([0-9]*)[.]example[.]$'],
        answer: ['{{ .Name }} 60 IN MX 10 {{ .Name }}'],
        additional: ['{{ .Name }} 60 IN A 10.{{ index .Match 1 }}.{{ index .Match 2 }}.{{ index .Match 3 }}'],
      }),
      ask: 'ip-10-0-0-7.example',
      qtype: 'MX',
      rcode: 'NOERROR',
      answers: [{ name: 'ip-10-0-0-7.example', type: 'MX', class: 'IN', ttl: 60, data: { preference: 10, exchange: 'ip-10-0-0-7.example' } }],
      additionals: [A('ip-10-0-0-7.example', '10.0.0.7', 60)],
    },
    {
      title: 'TXT with the client address, SRV with a relative target made absolute',
      config: templateConfig({ qtype: 'ANY', answer: ['{{ .Name }} 5 IN TXT "you are {{ .Remote }}" "{{ .Type }}"', '_http._tcp.{{ .Zone }} 5 SRV 0 10 80 web'] }),
      ask: 'who.example',
      qtype: 'TXT',
      rcode: 'NOERROR',
      answers: [
        { name: 'who.example', type: 'TXT', class: 'IN', ttl: 5, data: ['you are 10.244.1.5', 'TXT'] },
        { name: '_http._tcp.example', type: 'SRV', class: 'IN', ttl: 5, data: { priority: 0, weight: 10, port: 80, target: 'web' } },
      ],
    },
  ];
  it.each(cases)('$title', async (c) => {
    const { next, seen } = fakeNext(res('NOERROR', [TXT('from', 'next')]));
    const req = request(c.ask, c.qtype ?? 'A', { cls: c.cls });
    const out = await templatePlugin(c.config).serve(req, next);
    if (c.rcode === 'next') {
      expect(seen).toHaveLength(1);
      return;
    }
    expect(seen).toHaveLength(0);
    expect(out.rcode).toBe(c.rcode);
    if (c.answers) expect(out.answers).toEqual(c.answers);
    if (c.authorities) expect(out.authorities).toEqual(c.authorities);
    if (c.additionals) expect(out.additionals).toEqual(c.additionals);
    if (c.aa !== undefined) expect(out.aa).toBe(c.aa);
  });

  it('a template whose RR does not parse, or that uses an unsupported action, is an error of the query', async () => {
    const { next } = fakeNext(res('NOERROR'));
    await expect(templatePlugin(templateConfig({ answer: ['{{ .Name }} 60 IN A not-an-ip'] })).serve(request('x.example'), next)).rejects.toThrow(/bad A address/);
    await expect(templatePlugin(templateConfig({ answer: ['{{ .Message }}'] })).serve(request('x.example'), next)).rejects.toThrow(/unsupported action/);
    await expect(templatePlugin(templateConfig({ answer: ['{{ index .Match 3 }} A 1.1.1.1'] })).serve(request('x.example'), next)).rejects.toThrow(/index out of range/);
  });

  const data: TemplateData = { Name: 'a.example.', Zone: 'example.', Class: 'IN', Type: 'A', Regex: '.*', Remote: '10.0.0.1', Match: ['a.example.'], Group: { '0': 'a.example.', x: 'X' } };
  it.each([
    ['{{ .Name }} {{.Zone}}', 'a.example. example.'],
    ['{{ .Group.x }}-{{ .Group.missing }}', 'X-<no value>'],
    ['{{ index .Group "x" }}{{ index .Group "nope" }}', 'X'],
    ['a  {{- .Type -}}  b', 'aAb'],
    ['{{/* a comment */}}{{ "lit" }}', 'lit'],
    ['{{ .Match }}', '[a.example.]'],
  ])('compileTemplate(%j) → %j', (t, out) => expect(compileTemplate(t)(data)).toBe(out));

  it.each<[string, Answer]>([
    ['a.example. A 10.0.0.1', A('a.example', '10.0.0.1', 3600)],
    ['a.example IN 30 A 10.0.0.1', A('a.example', '10.0.0.1', 30)],
    ['a.example 1h IN AAAA fd00::1', AAAA('a.example', 'fd00::1', 3600)],
    ['a.example 60 IN CNAME b.example ; comment', CNAME('a.example', 'b.example', 60)],
    ['a.example 60 IN TXT bare "quoted \\"x\\""', { name: 'a.example', type: 'TXT', class: 'IN', ttl: 60, data: ['bare', 'quoted "x"'] }],
  ])('parseRR(%j)', (text, rr) => expect(parseRR(text)).toEqual(rr));

  it.each([
    ['a.example 60 IN MX 10', /MX exchange/],
    ['a.example 60 IN SRV 0 0 70000 t', /SRV port/],
    ['a.example 60 IN HINFO x y', /unsupported or missing type HINFO/],
    ['a..example 60 IN A 1.1.1.1', /bad owner name/],
    ['a.example 60 IN A 1.1.1.1 2.2.2.2', /A takes one value/],
  ])('parseRR(%j) fails', (text, why) => expect(() => parseRR(text)).toThrow(why));
});

// ── log ──────────────────────────────────────────────────────────────────────────────────────

/** A clock that moves `stepMs` every time it is read. */
function ticking(stepMs: number) {
  let t = 1000;
  return () => {
    const now = t;
    t += stepMs;
    return now;
  };
}

const logConfig = (c: Partial<LogConfig> = {}): LogConfig => ({ plugin: 'log', names: [], classes: [], ...c });

describe('log', () => {
  it('writes the Common Log Format line', async () => {
    const lines: string[] = [];
    const { next } = fakeNext(res('NOERROR', [A('example.org', '10.0.0.1')]));
    await logPlugin(logConfig(), (l) => lines.push(l), ticking(0.123)).serve(request('example.org'), next);
    // Query: 12 header + 13 name + 4 = 29 bytes; the answer adds 13 + 10 + 4 = 27.
    expect(lines).toEqual(['[INFO] 10.244.1.5:40000 - 4242 "A IN example.org. udp 29 false 512" NOERROR qr,aa,rd,ra 56 0.000123s']);
  });

  it('brackets IPv6 clients, shows 65535 over TCP, the DO bit, no aa/rd when unset, and the request size with its OPT', async () => {
    const lines: string[] = [];
    const { next } = fakeNext({ ...res('NXDOMAIN'), aa: false });
    const req = request('Nope.Example.org', 'AAAA', { address: 'fd00::5', transport: 'tcp', do: true, bufsize: 4096, rd: false, id: 7 });
    await logPlugin(logConfig(), (l) => lines.push(l), ticking(1500)).serve(req, next);
    expect(lines).toEqual(['[INFO] [fd00::5]:40000 - 7 "AAAA IN nope.example.org. tcp 45 true 65535" NXDOMAIN qr,ra 34 1.5s']);
  });

  it('shows the client bufsize over UDP', async () => {
    const lines: string[] = [];
    await logPlugin(logConfig(), (l) => lines.push(l), ticking(0)).serve(request('a.org', 'A', { bufsize: 1232 }), fakeNext(res('NOERROR')).next);
    expect(lines[0]).toMatch(/"A IN a\.org\. udp \d+ false 1232" NOERROR qr,aa,rd,ra \d+ 0s$/);
  });

  interface ClassCase {
    classes: LogConfig['classes'];
    reply: DnsResponse;
    logged: boolean;
  }
  const classCases: ClassCase[] = [
    { classes: ['all'], reply: res('REFUSED'), logged: true },
    { classes: ['success'], reply: res('NOERROR', [A('a.org', '1.1.1.1')]), logged: true },
    { classes: ['success'], reply: res('NXDOMAIN', [], [SOA('org')]), logged: false },
    { classes: ['denial'], reply: res('NXDOMAIN', [], [SOA('org')]), logged: true },
    { classes: ['denial'], reply: res('NOERROR', [], [SOA('org')]), logged: true },
    { classes: ['denial'], reply: res('NOERROR', [A('a.org', '1.1.1.1')]), logged: false },
    { classes: ['error'], reply: res('SERVFAIL'), logged: true },
    { classes: ['error'], reply: res('REFUSED'), logged: true },
    { classes: ['error'], reply: res('NXDOMAIN'), logged: true }, // no SOA: CoreDNS's OtherError
    { classes: ['denial', 'success'], reply: res('SERVFAIL'), logged: false },
  ];
  it.each(classCases)('class $classes with $reply.rcode → logged: $logged', async (c) => {
    const lines: string[] = [];
    const out = await logPlugin(logConfig({ classes: c.classes }), (l) => lines.push(l), ticking(0)).serve(request('a.org'), fakeNext(c.reply).next);
    expect(out).toBe(c.reply);
    expect(lines).toHaveLength(c.logged ? 1 : 0);
  });

  it.each([
    [['example.org.'], 'www.example.org', true],
    [['example.org.'], 'example.com', false],
    [[], 'anything.at.all', true],
  ])('names %j, question %s → logged: %s', async (namesList, ask, logged) => {
    const lines: string[] = [];
    const { next, seen } = fakeNext(res('NOERROR'));
    await logPlugin(logConfig({ names: namesList }), (l) => lines.push(l), ticking(0)).serve(request(ask), next);
    expect(seen).toHaveLength(1);
    expect(lines).toHaveLength(logged ? 1 : 0);
  });

  it('logs the SERVFAIL a failing chain leads to, and lets the error go on', async () => {
    const lines: string[] = [];
    const failing: Next = async () => {
      throw new Error('boom');
    };
    await expect(logPlugin(logConfig(), (l) => lines.push(l), ticking(0)).serve(request('a.org'), failing)).rejects.toThrow('boom');
    expect(lines[0]).toMatch(/" SERVFAIL qr,rd,ra \d+ 0s$/);
  });

  it.each([
    [0.000123, '0.000123'],
    [1.23e-7, '0.000000123'],
    [1.5, '1.5'],
    [2, '2'],
    [0, '0'],
    [1e21, '1000000000000000000000'],
  ])('formatSeconds(%d) = %s', (x, out) => expect(formatSeconds(x)).toBe(out));
});

// ── errors ───────────────────────────────────────────────────────────────────────────────────

describe('errors', () => {
  const SERVFAIL = { rcode: 'SERVFAIL', aa: false, answers: [], authorities: [], additionals: [] };
  interface Case {
    title: string;
    next: Next;
    ask?: [string, string];
    line?: string;
    passes?: boolean;
  }
  const reply = res('NOERROR', [A('a.org', '1.1.1.1')]);
  const cases: Case[] = [
    { title: 'a response passes untouched', next: async () => reply, passes: true },
    { title: 'a SERVFAIL response is not an error', next: async () => res('SERVFAIL'), passes: true },
    {
      title: 'a rejection is logged and answered SERVFAIL',
      next: async () => {
        throw new Error('no next plugin found');
      },
      line: '[ERROR] plugin/errors: 2 a.org. A: no next plugin found',
    },
    {
      title: 'a synchronous throw too',
      next: () => {
        throw new Error('sync');
      },
      line: '[ERROR] plugin/errors: 2 a.org. A: sync',
    },
    { title: 'a rejection with a string', next: () => Promise.reject('plain string'), line: '[ERROR] plugin/errors: 2 a.org. A: plain string' },
    { title: 'a rejection with an object', next: () => Promise.reject({ code: 1 }), line: '[ERROR] plugin/errors: 2 a.org. A: [object Object]' },
    {
      title: 'the question is written lower-case with its type',
      next: async () => {
        throw new Error('invalid name after rewrite: x..y.');
      },
      ask: ['WWW.Example.Org', 'AAAA'],
      line: '[ERROR] plugin/errors: 2 www.example.org. AAAA: invalid name after rewrite: x..y.',
    },
    {
      title: 'a template failure',
      next: (req) => templatePlugin(templateConfig({ zones: ['.'], answer: ['{{ .Name }} 60 IN A 999.1.1.1'] })).serve(req, async () => reply),
      line: '[ERROR] plugin/errors: 2 a.org. A: template answer RR "a.org. 60 IN A 999.1.1.1": bad A address: 999.1.1.1',
    },
  ];
  it.each(cases)('$title', async (c) => {
    const lines: string[] = [];
    const req = request(...(c.ask ?? ['a.org', 'A']));
    const out = await errorsPlugin({ plugin: 'errors' }, (l) => lines.push(l)).serve(req, c.next);
    if (c.passes) {
      expect(lines).toEqual([]);
      expect(out.rcode).not.toBe(undefined);
      return;
    }
    expect(out).toEqual(SERVFAIL);
    expect(lines).toEqual([c.line]);
  });

  it('answers SERVFAIL even when writing the log fails', async () => {
    const out = await errorsPlugin({ plugin: 'errors' }, () => {
      throw new Error('disk full');
    }).serve(request('a.org'), async () => {
      throw new Error('boom');
    });
    expect(out.rcode).toBe('SERVFAIL');
  });

  it('passes the very response object of the chain', async () => {
    const out = await errorsPlugin({ plugin: 'errors' }, () => {}).serve(request('a.org'), async () => reply);
    expect(out).toBe(reply);
  });
});
