/**
 * The DNS server's replay cache (server.ts): a query whose bytes (after the ID) were answered
 * before by a chain of replayable plugins gets the same response again without the chain, with
 * its own ID. Checked here: the replayed bytes are exactly what the full path builds, for a table
 * of queries; what must not be replayed is not (log, loadbalance, whoami, cache, .Remote
 * templates, SERVFAIL); a new cluster view, a reload or a re-read file ends the replays.
 */
import * as packet from 'dns-packet';
import { describe, expect, it, vi } from 'vitest';
import { loadCorefile } from '../../src/dns/corefile/setup.ts';
import { buildPlugins } from '../../src/dns/plugin/handlers.ts';
import { hostsPlugin } from '../../src/dns/plugin/hosts/handler.ts';
import { filePlugin } from '../../src/dns/plugin/file/handler.ts';
import { smallView } from './dns-view.ts';
import { DnsServer, REPLAY_CAPACITY } from '../../src/dns/server.ts';
import type { ClusterView, DnsRequest, HostsConfig, ServerConfig } from '../../src/dns/types.ts';

const VIEW: ClusterView = smallView();

const COREFILE = `
cluster.local:53 {
    errors
    kubernetes cluster.local
}
example.org:53 {
    template IN A example.org {
        answer "{{ .Name }} 60 IN A 192.0.2.1"
    }
}
`;

type Client = DnsRequest['client'];
const UDP: Client = { address: '10.244.2.5', port: 40000, transport: 'udp' };
const TCP: Client = { ...UDP, transport: 'tcp' };

function configs(corefile: string): ServerConfig[] {
  const { servers, issues } = loadCorefile(corefile);
  expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
  return servers;
}

/** A server over a view that the test can replace, as main.ts does when cluster.json changes. */
function server(corefile = COREFILE) {
  const logs: string[] = [];
  const state = { view: VIEW };
  const srv = new DnsServer({ log: (l) => logs.push(l), build: (c) => buildPlugins(c, { dir: '/nonexistent', view: () => state.view, log: (l) => logs.push(l) }) });
  srv.install(configs(corefile));
  return { srv, logs, state };
}

function query(name: string, type: string, o: { id?: number; edns?: number; do?: boolean; rd?: boolean } = {}): Buffer {
  return packet.encode({
    type: 'query',
    id: o.id ?? 4242,
    flags: o.rd === false ? 0 : packet.RECURSION_DESIRED,
    questions: [{ name, type: type as never, class: 'IN' }],
    ...(o.edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: o.edns, flags: o.do ? packet.DNSSEC_OK : 0 } as never] } : {}),
  });
}

/** The full path (decode, chain, encode) of the same server, never the cache. */
const full = (srv: DnsServer, buf: Buffer, client = UDP) => srv['resolve'](buf, 53, client);

function withId(buf: Buffer, id: number): Buffer {
  const out = Buffer.from(buf);
  out.writeUInt16BE(id, 0);
  return out;
}

type Rec = { name: string; type: string; data?: unknown };
const decode = (b: Buffer) => packet.decode(b) as unknown as { id: number; rcode: string; flag_tc: boolean; answers: Rec[]; additionals: Rec[]; questions: Rec[] };

describe('replayed answers are the bytes the full path builds', () => {
  const cases: { what: string; q: Buffer; client?: Client }[] = [
    { what: 'A, lower case', q: query('web.default.svc.cluster.local', 'A') },
    { what: 'A, mixed case (0x20): the answer keeps the case asked', q: query('wEb.DeFault.SVC.cluster.LOCAL', 'A') },
    { what: 'A with EDNS 1232', q: query('web.default.svc.cluster.local', 'A', { edns: 1232 }) },
    { what: 'A with EDNS and DO', q: query('web.default.svc.cluster.local', 'A', { edns: 4096, do: true }) },
    { what: 'A without RD', q: query('web.default.svc.cluster.local', 'A', { rd: false }) },
    { what: 'a TC-sized answer over UDP without EDNS', q: query('big.default.svc.cluster.local', 'A') },
    { what: 'the same over TCP', q: query('big.default.svc.cluster.local', 'A'), client: TCP },
    { what: 'the same with EDNS 4096', q: query('big.default.svc.cluster.local', 'A', { edns: 4096 }) },
    { what: 'SRV', q: query('_http._tcp.web.default.svc.cluster.local', 'SRV') },
    { what: 'an unknown type (NODATA)', q: query('web.default.svc.cluster.local', 'UNKNOWN_65000') },
    { what: 'NXDOMAIN with the SOA', q: query('nope.default.svc.cluster.local', 'A') },
    { what: 'REFUSED: no block serves the name', q: query('www.example.com', 'A') },
    { what: 'a template answer', q: query('www.Example.org', 'A') },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const { srv } = server();
      const client = c.client ?? UDP;
      const first = (await srv.answer(c.q, 53, client))!;
      const again = withId(c.q, 0xbeef);
      const replayed = srv.replay(again, 53, client.transport);
      expect(replayed, 'the second query is replayed').toBeDefined();
      expect(replayed!.readUInt16BE(0)).toBe(0xbeef);
      expect(replayed!.equals((await full(srv, again, client))!)).toBe(true);
      expect(first.equals((await full(srv, c.q, client))!)).toBe(true);
      // answer() takes the same road.
      expect((await srv.answer(again, 53, client))!.equals(replayed!)).toBe(true);
    });
  }

  it('a name in another case is another key: its answer is not the first one with a new ID', async () => {
    const { srv } = server();
    await srv.answer(query('web.default.svc.cluster.local', 'A'), 53, UDP);
    const upper = query('WEB.default.svc.cluster.local', 'A', { id: 7 });
    expect(srv.replay(upper, 53, 'udp')).toBeUndefined();
    const r = decode((await srv.answer(upper, 53, UDP))!);
    expect(r.answers.map((a) => a.name)).toEqual(['WEB.default.svc.cluster.local']);
  });

  it('UDP and TCP, and two ports, are kept apart', async () => {
    const { srv } = server();
    const q = query('big.default.svc.cluster.local', 'A');
    expect(decode((await srv.answer(q, 53, UDP))!).flag_tc).toBe(true);
    expect(srv.replay(q, 53, 'tcp')).toBeUndefined();
    expect(srv.replay(q, 5353, 'udp')).toBeUndefined();
    const t = decode((await srv.answer(q, 53, TCP))!);
    expect(t.flag_tc).toBe(false);
    expect(t.answers).toHaveLength(60);
  });

  it('changing the buffer the server returned does not change the next replay', async () => {
    const { srv } = server();
    const q = query('web.default.svc.cluster.local', 'A');
    const first = (await srv.answer(q, 53, UDP))!;
    const copy = Buffer.from(first);
    first.fill(0);
    srv.replay(q, 53, 'udp')!.fill(0);
    expect(srv.replay(q, 53, 'udp')!.equals(copy)).toBe(true);
  });

  it('replays count in the metrics as any answer does', async () => {
    const { srv } = server();
    const q = query('web.default.svc.cluster.local', 'A');
    for (let i = 0; i < 3; i++) await srv.answer(withId(q, i), 53, UDP);
    await srv.answer(query('nope.default.svc.cluster.local', 'A'), 53, UDP);
    srv.replay(query('nope.default.svc.cluster.local', 'A'), 53, 'udp');
    expect(srv.metrics.requests.get('udp')).toBe(5);
    expect(srv.metrics.responses.get('NOERROR')).toBe(3);
    expect(srv.metrics.responses.get('NXDOMAIN')).toBe(2);
  });

  it(`keeps at most ${REPLAY_CAPACITY} responses per port and transport, dropping the oldest`, async () => {
    const { srv } = server();
    const name = (i: number) => `n${i}.default.svc.cluster.local`;
    for (let i = 0; i <= REPLAY_CAPACITY; i++) await srv.answer(query(name(i), 'A'), 53, UDP);
    expect(srv.replay(query(name(0), 'A'), 53, 'udp')).toBeUndefined();
    expect(srv.replay(query(name(1), 'A'), 53, 'udp')).toBeDefined();
    expect(srv.replay(query(name(REPLAY_CAPACITY), 'A'), 53, 'udp')).toBeDefined();
  });
});

describe('bad packets still take the full path', () => {
  it('a malformed packet gets FORMERR, even when a good query with the same start is kept', async () => {
    const { srv } = server();
    const good = query('web.default.svc.cluster.local', 'A');
    await srv.answer(good, 53, UDP);
    const cut = good.subarray(0, good.length - 3);
    const out = (await srv.answer(cut, 53, UDP))!;
    expect(out.readUInt16BE(2) & 0xf).toBe(1);
    expect(srv.replay(cut, 53, 'udp')).toBeUndefined();
    // And a response (QR set) with the same question is still ignored.
    const response = Buffer.from(good);
    response[2]! |= 0x80;
    expect(await srv.answer(response, 53, UDP)).toBeUndefined();
  });

  it('a SERVFAIL is never kept: errors logs every failure', async () => {
    const { srv, logs } = server('.:53 {\n    errors\n    kubernetes cluster.local\n}\n');
    const q = query('www.example.org', 'A');
    for (let i = 0; i < 3; i++) expect(decode((await srv.answer(q, 53, UDP))!).rcode).toBe('SERVFAIL');
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
    expect(logs.filter((l) => l.includes('no next plugin found'))).toHaveLength(3);
  });
});

describe('what is never replayed', () => {
  it('log: every query is logged', async () => {
    const { srv, logs } = server('cluster.local:53 {\n    log\n    kubernetes cluster.local\n}\n');
    const q = query('web.default.svc.cluster.local', 'A');
    for (let i = 0; i < 3; i++) await srv.answer(withId(q, i), 53, UDP);
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
    expect(logs.filter((l) => l.includes('"A IN web.default.svc.cluster.local. udp'))).toHaveLength(3);
  });

  it('loadbalance: the order still changes from query to query', async () => {
    const { srv } = server('cluster.local:53 {\n    loadbalance\n    kubernetes cluster.local\n}\n');
    const q = query('big.default.svc.cluster.local', 'A', { edns: 4096 });
    const orders = new Set<string>();
    for (let i = 0; i < 5; i++) orders.add(decode((await srv.answer(q, 53, UDP))!).answers.map((a) => a.data).join());
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
    expect(orders.size).toBeGreaterThan(1);
  });

  it('whoami: each client sees its own address', async () => {
    const { srv } = server('.:53 {\n    whoami\n}\n');
    const q = query('who.test', 'A');
    await srv.answer(q, 53, UDP);
    const other = decode((await srv.answer(q, 53, { ...UDP, address: '10.244.9.9' }))!);
    expect(other.additionals.find((a) => a.type === 'A')?.data).toBe('10.244.9.9');
  });

  it('cache: its TTLs still count down (the block is not replayed)', async () => {
    const { srv } = server('cluster.local:53 {\n    cache\n    kubernetes cluster.local\n}\n');
    const q = query('web.default.svc.cluster.local', 'A');
    await srv.answer(q, 53, UDP);
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
  });

  it('a template that writes .Remote', async () => {
    const { srv } = server('example.org:53 {\n    template IN A example.org {\n        answer "{{ .Name }} 60 IN A {{ .Remote }}"\n    }\n}\n');
    const q = query('www.example.org', 'A');
    await srv.answer(q, 53, UDP);
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
    expect(decode((await srv.answer(q, 53, { ...UDP, address: '10.1.2.3' }))!).answers[0]!.data).toBe('10.1.2.3');
  });
});

describe('what ends the replays', () => {
  it('a new cluster view (cluster.json re-read): the new address, and a new SOA serial', async () => {
    const { srv, state } = server();
    const q = query('web.default.svc.cluster.local', 'A');
    expect(decode((await srv.answer(q, 53, UDP))!).answers[0]!.data).toBe('10.96.0.1');
    state.view = { ...VIEW, services: VIEW.services.map((s) => (s.name === 'web' ? { ...s, clusterIP: '10.96.0.99' } : s)) };
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
    expect(decode((await srv.answer(q, 53, UDP))!).answers[0]!.data).toBe('10.96.0.99');
    expect(srv.replay(q, 53, 'udp')).toBeDefined();
  });

  it('a reload (install): the new Corefile answers', async () => {
    const { srv } = server();
    const q = query('www.example.org', 'A');
    expect(decode((await srv.answer(q, 53, UDP))!).answers[0]!.data).toBe('192.0.2.1');
    srv.install(configs('example.org:53 {\n    template IN A example.org {\n        answer "{{ .Name }} 60 IN A 192.0.2.2"\n    }\n}\n'));
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
    expect(decode((await srv.answer(q, 53, UDP))!).answers[0]!.data).toBe('192.0.2.2');
  });

  it('a query still in the old chains when a reload comes is not kept', async () => {
    const { srv } = server();
    const q = query('web.default.svc.cluster.local', 'A');
    const pending = srv.answer(q, 53, UDP);
    srv.install(configs('cluster.local:53 {\n    template IN A cluster.local {\n        answer "{{ .Name }} 60 IN A 192.0.2.3"\n    }\n}\n'));
    expect(decode((await pending)!).answers[0]!.data).toBe('10.96.0.1');
    expect(srv.replay(q, 53, 'udp')).toBeUndefined();
    expect(decode((await srv.answer(q, 53, UDP))!).answers[0]!.data).toBe('192.0.2.3');
  });

  it('hosts: the token moves only when the file is re-read with other text', () => {
    const config: HostsConfig = { plugin: 'hosts', file: 'hosts', zones: ['.'], inline: [], ttl: 3600, noReverse: false, fallthrough: undefined, reloadMs: 5000 };
    let text = '192.0.2.1 a.test\n';
    let t = 0;
    const plugin = hostsPlugin(config, () => text, () => t);
    const first = plugin.replayToken!();
    t = 6000;
    expect(plugin.replayToken!()).toBe(first); // re-read, same text
    text = '192.0.2.2 a.test\n';
    t = 7000;
    expect(plugin.replayToken!()).toBe(first); // not due yet
    t = 12_000;
    expect(plugin.replayToken!()).not.toBe(first);
  });

  it('file: the token moves when a re-read replaces a zone (a new SOA serial), not before', () => {
    vi.useFakeTimers();
    try {
      let text = '$ORIGIN example.org.\n@ 3600 IN SOA ns hostmaster 1 7200 3600 1209600 3600\n@ IN NS ns\nns IN A 192.0.2.53\n';
      const plugin = filePlugin({ plugin: 'file', file: 'db', zones: ['example.org.'], reloadMs: 1000 }, () => text);
      const first = plugin.replayToken!();
      vi.advanceTimersByTime(1000);
      expect(plugin.replayToken!()).toBe(first);
      text = text.replace('192.0.2.53', '192.0.2.54'); // same serial: CoreDNS keeps the old zone
      vi.advanceTimersByTime(1000);
      expect(plugin.replayToken!()).toBe(first);
      text = text.replace(' 1 7200', ' 2 7200');
      vi.advanceTimersByTime(1000);
      expect(plugin.replayToken!()).not.toBe(first);
      plugin.close?.();
    } finally {
      vi.useRealTimers();
    }
  });
});
