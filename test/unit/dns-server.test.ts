/**
 * The DNS server without sockets: `DnsServer.answer` on wire-format queries, through real
 * Corefiles and plugin chains (kubernetes over a small cluster view). Bad packets, routing to
 * server blocks, EDNS0, truncation with TC, plugin order and the loop plugin.
 */
import * as packet from 'dns-packet';
import type { Packet } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { loadCorefile } from '../../src/dns/corefile/setup.ts';
import { buildPlugins } from '../../src/dns/plugin/handlers.ts';
import { smallView } from './dns-view.ts';
import { DnsServer, MAX_UPSTREAM_DEPTH, pickBlock } from '../../src/dns/server.ts';
import type { ClusterView } from '../../src/dns/types.ts';
import { encodeResponse, headerOnly } from '../../src/dns/wire.ts';

const VIEW: ClusterView = smallView(['default', 'kube-system']);

const COREFILE = `
cluster.local:53 {
    kubernetes cluster.local
}
example.org:53 {
    template IN A example.org {
        answer "{{ .Name }} 60 IN A 192.0.2.1"
    }
}
.:53 {
    errors
    whoami
}
`;

function server(corefile = COREFILE, view: ClusterView = VIEW): { srv: DnsServer; logs: string[] } {
  const logs: string[] = [];
  const { servers, issues } = loadCorefile(corefile);
  expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
  const srv = new DnsServer({ log: (l) => logs.push(l), build: (c) => buildPlugins(c, { dir: '/nonexistent', view: () => view, log: (l) => logs.push(l) }) });
  srv.install(servers); // chains only: no sockets in a unit test
  return { srv, logs };
}

const UDP: { address: string; port: number; transport: 'udp' | 'tcp' } = { address: '10.244.2.5', port: 40000, transport: 'udp' };
const TCP = { ...UDP, transport: 'tcp' as const };

function query(name: string, type: string, opts: { edns?: number; id?: number } = {}): Buffer {
  return packet.encode({
    type: 'query',
    id: opts.id ?? 4242,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: type as never, class: 'IN' }],
    ...(opts.edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns } as never] } : {}),
  });
}

type Rec = { name: string; type: string; data?: unknown; udpPayloadSize?: number };
type Decoded = Omit<Packet, 'answers' | 'additionals'> & { rcode?: string; flag_rd?: boolean; flag_ra?: boolean; flag_aa?: boolean; flag_tc?: boolean; answers?: Rec[]; additionals?: Rec[] };

async function ask(srv: DnsServer, buf: Buffer, client = UDP): Promise<Decoded> {
  const out = await srv.answer(buf, 53, client);
  return packet.decode(out!) as never;
}

describe('DnsServer.answer', () => {
  it('answers from the block whose zone matches, with the id, question and RD echoed, RA set', async () => {
    const { srv } = server();
    const r = await ask(srv, query('Web.Default.svc.cluster.local', 'A', { id: 777 }));
    expect(r.id).toBe(777);
    expect(r.rcode).toBe('NOERROR');
    expect(r.flag_rd).toBe(true);
    expect(r.flag_ra).toBe(true);
    expect(r.flag_aa).toBe(true);
    expect(r.questions).toEqual([{ name: 'Web.Default.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(r.answers!.map((a) => a.data)).toEqual(['10.96.0.1']);
  });

  it('routes by the longest matching zone: example.org goes to its template, the rest to "."', async () => {
    const { srv } = server();
    expect((await ask(srv, query('www.example.org', 'A'))).answers!.map((a) => a.data)).toEqual(['192.0.2.1']);
    const who = await ask(srv, query('anything.test', 'A'));
    expect(who.additionals!.find((a) => a.type === 'A')?.data).toBe('10.244.2.5');
  });

  it('REFUSED when no server block serves the name', async () => {
    const { srv } = server('cluster.local:53 {\n    kubernetes cluster.local\n}\n');
    expect((await ask(srv, query('www.example.org', 'A'))).rcode).toBe('REFUSED');
  });

  it('SERVFAIL when the chain ends without an answer (no next plugin), logged by errors', async () => {
    const { srv, logs } = server('.:53 {\n    errors\n    kubernetes cluster.local\n}\n');
    expect((await ask(srv, query('www.example.org', 'A'))).rcode).toBe('SERVFAIL');
    expect(logs.join('\n')).toContain('no next plugin found');
  });

  it('a truncated name gets FORMERR with the query id; less than a header gets nothing; a response is ignored', async () => {
    const { srv } = server();
    const broken = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0x61]);
    const out = (await srv.answer(broken, 53, UDP))!;
    expect(out.readUInt16BE(0)).toBe(0x1234);
    expect(out.readUInt16BE(2) & 0x8000).toBe(0x8000);
    expect(out.readUInt16BE(2) & 0xf).toBe(1);
    expect(await srv.answer(Buffer.alloc(5), 53, UDP)).toBeUndefined();
    const response = packet.encode({ type: 'response', id: 1, questions: [{ name: 'x', type: 'A' }] });
    expect(await srv.answer(response, 53, UDP)).toBeUndefined();
  });

  it('64 KiB of garbage and a message with two questions: FORMERR, and the next query is answered', async () => {
    const { srv } = server();
    const garbage = Buffer.alloc(65535, 0xff);
    garbage.writeUInt16BE(0x4242, 0);
    garbage.writeUInt16BE(0x0100, 2);
    const g = await srv.answer(garbage, 53, TCP);
    expect(g === undefined || (g.readUInt16BE(2) & 0xf) === 1).toBe(true);
    const two = packet.encode({ type: 'query', id: 9, questions: [{ name: 'a.test', type: 'A' }, { name: 'b.test', type: 'A' }] });
    expect((await ask(srv, two)).rcode).toBe('FORMERR');
    expect((await ask(srv, query('web.default.svc.cluster.local', 'A'))).rcode).toBe('NOERROR');
  });

  it('an opcode other than QUERY gets NOTIMP', async () => {
    const { srv } = server();
    const q = query('web.default.svc.cluster.local', 'A');
    q.writeUInt16BE((q.readUInt16BE(2) & ~0x7800) | (2 << 11), 2); // STATUS
    expect((await srv.answer(q, 53, UDP))!.readUInt16BE(2) & 0xf).toBe(4);
  });

  it('a big answer over UDP without EDNS is cut to 512 bytes with TC; over TCP, or with EDNS 4096, it comes whole', async () => {
    const { srv } = server();
    const q = query('big.default.svc.cluster.local', 'A');
    const udp = (await srv.answer(q, 53, UDP))!;
    expect(udp.length).toBeLessThanOrEqual(512);
    const u = packet.decode(udp) as Decoded;
    expect(u.flag_tc).toBe(true);
    expect(u.answers!.length).toBeLessThan(60);
    const t = await ask(srv, q, TCP);
    expect(t.flag_tc).toBe(false);
    expect(t.answers).toHaveLength(60);
    const e = await ask(srv, query('big.default.svc.cluster.local', 'A', { edns: 4096 }));
    expect(e.flag_tc).toBe(false);
    expect(e.answers).toHaveLength(60);
    // The server's own OPT answers the client's.
    expect(e.additionals!.find((a) => a.type === 'OPT')).toMatchObject({ udpPayloadSize: 1232 });
  });

  it('without EDNS in the query there is no OPT in the answer', async () => {
    const { srv } = server();
    const r = await ask(srv, query('web.default.svc.cluster.local', 'A'));
    expect(r.additionals!.filter((a) => a.type === 'OPT')).toEqual([]);
  });
});

describe('server blocks and plugin order', () => {
  it('pickBlock prefers the longest zone, and only on its port', () => {
    const b = (zones: string[], port = 53) => ({ zones, port, plugins: [], chain: async () => ({}) as never });
    const blocks = [b(['.']), b(['cluster.local.']), b(['example.org.'], 1053)];
    expect(pickBlock(blocks, 53, 'web.default.svc.cluster.local.')?.zone).toBe('cluster.local.');
    expect(pickBlock(blocks, 53, 'www.example.org.')?.zone).toBe('.');
    expect(pickBlock(blocks, 1053, 'www.example.org.')?.zone).toBe('example.org.');
    expect(pickBlock(blocks, 1053, 'www.example.com.')).toBeUndefined();
  });

  it('plugins run in CoreDNS order, not file order: rewrite (written last) still applies before kubernetes', async () => {
    const { srv } = server('.:53 {\n    kubernetes cluster.local\n    rewrite name exact www.shop.test. web.default.svc.cluster.local.\n}\n');
    const r = await ask(srv, query('www.shop.test', 'A'));
    expect(r.answers!.map((a) => [a.name, a.data])).toEqual([['www.shop.test', '10.96.0.1']]);
  });
});

describe('an ExternalName outside the zone is resolved through the server itself (CoreDNS upstream)', () => {
  // search → search.example.org (a template block answers it), gone → nothing.example.org (NXDOMAIN
  // there), ping and pong → each other, through the plugin's two zones.
  const view: ClusterView = {
    ...VIEW,
    services: [
      ...VIEW.services,
      { name: 'search', namespace: 'default', type: 'ExternalName', externalName: 'search.example.org', ports: [] },
      { name: 'gone', namespace: 'default', type: 'ExternalName', externalName: 'nothing.example.org', ports: [] },
      { name: 'ping', namespace: 'default', type: 'ExternalName', externalName: 'pong.default.svc.other.local', ports: [] },
      { name: 'pong', namespace: 'default', type: 'ExternalName', externalName: 'ping.default.svc.cluster.local', ports: [] },
    ],
  };
  const corefile = `
cluster.local:53 other.local:53 {
    kubernetes cluster.local other.local {
        ttl 30
    }
}
example.org:53 {
    template IN A example.org {
        match ^search[.]example[.]org[.]$
        answer "{{ .Name }} 300 IN A 203.0.113.81"
        fallthrough
    }
    template IN A example.org {
        rcode NXDOMAIN
    }
}
`;
  const show = (r: Decoded) => [r.rcode, ...(r.answers ?? []).map((a) => `${a.name} ${(a as { ttl?: number }).ttl} ${a.type} ${String(a.data)}`)];

  it('A: the CNAME with the plugin TTL, then the target as the other block answered it', async () => {
    const { srv } = server(corefile, view);
    expect(show(await ask(srv, query('search.default.svc.cluster.local', 'A')))).toEqual([
      'NOERROR',
      'search.default.svc.cluster.local 30 CNAME search.example.org',
      'search.example.org 300 A 203.0.113.81',
    ]);
    // The answer came from another block: it is not replayed.
    expect(srv.replay(query('search.default.svc.cluster.local', 'A'), 53, 'udp')).toBeUndefined();
  });

  it('a target that does not resolve leaves the CNAME alone, NOERROR', async () => {
    const { srv } = server(corefile, view);
    expect(show(await ask(srv, query('gone.default.svc.cluster.local', 'A')))).toEqual(['NOERROR', 'gone.default.svc.cluster.local 30 CNAME nothing.example.org']);
    // AAAA: the template answers nothing for it (the name exists), so again the CNAME alone.
    expect(show(await ask(srv, query('search.default.svc.cluster.local', 'AAAA')))).toEqual(['NOERROR', 'search.default.svc.cluster.local 30 CNAME search.example.org']);
  });

  it('targets that lead back to each other end at the nesting limit, answered', async () => {
    const { srv } = server(corefile, view);
    const r = await ask(srv, query('ping.default.svc.cluster.local', 'A'), TCP);
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers!.length).toBe(MAX_UPSTREAM_DEPTH + 1);
    expect(r.answers!.every((a) => a.type === 'CNAME')).toBe(true);
  });
});

describe('wire helpers', () => {
  it('headerOnly keeps the id, opcode and RD of the query and sets QR and the rcode', () => {
    const q = query('x.test', 'A', { id: 0xbeef });
    const h = headerOnly(q, 'REFUSED')!;
    expect(h.readUInt16BE(0)).toBe(0xbeef);
    expect(h.readUInt16BE(2)).toBe(0x8000 | 0x0100 | 5);
  });

  it('encodeResponse drops additional records before answers, and sets TC only when answers go', () => {
    const q = packet.decode(query('x.test', 'A'));
    const answers = [{ name: 'x.test', type: 'A' as const, class: 'IN' as const, ttl: 5, data: '192.0.2.1' }];
    const additionals = Array.from({ length: 40 }, (_, i) => ({ name: `n${i}.x.test`, type: 'A' as const, class: 'IN' as const, ttl: 5, data: '192.0.2.2' }));
    const out = packet.decode(encodeResponse(q, { rcode: 'NOERROR', aa: true, answers, authorities: [], additionals }, 512)) as Decoded;
    expect(out.flag_tc).toBe(false);
    expect(out.answers).toHaveLength(1);
    expect(out.additionals).toHaveLength(0);
  });
});
