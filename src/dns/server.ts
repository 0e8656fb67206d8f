/**
 * The DNS server: one UDP socket and one TCP listener per port of the Corefile, each query routed
 * to the server block whose zone is the longest suffix of its name (none: REFUSED, as CoreDNS),
 * then down that block's plugin chain. Sockets and chains are separate so `reload` can swap the
 * chains (and open or close ports) while queries keep flowing. Nothing a client sends can throw
 * out of here: decode errors answer FORMERR, plugin errors SERVFAIL.
 *
 * The replay cache sits in front of all that. When every plugin of the block that answered is
 * replayable (Plugin.replayToken: its answer depends only on the query's bytes and on state the
 * token stands for), the encoded response is kept, keyed by the query's bytes after its ID, per
 * port and transport. The same bytes again, with the same tokens, get a copy with the new ID:
 * byte for byte what the chain would have built, without decoding, the chain or encoding. The
 * key is the whole query, not a lower-cased name: the kubernetes plugin answers in the case the
 * client wrote (0x20 randomisation), and an EDNS option, the RD bit or the payload size all
 * change the answer. A different token (a new cluster view, a re-read file) drops the entry;
 * `install` (a reload) drops them all; SERVFAIL is never kept, so every failure is still logged.
 * Nor is an answer a plugin built by asking the server itself (DnsRequest.upstream): it depends on
 * another block's chain, which may forward.
 */
import { createSocket, type Socket } from 'node:dgram';
import { socketName } from './activation.ts';
import { lookup } from 'node:dns';
import { createServer, type Server } from 'node:net';
import type { Packet } from 'dns-packet';
import { decodeQuery, encodeResponse, udpLimit } from './wire.ts';
import type { DnsRequest, DnsResponse, Next, Plugin, ServerConfig } from './types.ts';

export interface Block {
  zones: string[];
  port: number;
  plugins: Plugin[];
  chain: Next;
}

/** A kept response and what it was built from. */
interface Replay {
  /** The response to the first query with these bytes, its ID included (replaced per copy). */
  response: Buffer;
  rcode: DnsResponse['rcode'];
  /** The block's plugins and their replay tokens when the response was built. */
  plugins: Plugin[];
  tokens: unknown[];
}

/** Responses kept per port and transport; past it the oldest goes (a bound on what a client can make us hold). */
export const REPLAY_CAPACITY = 10_000;
/** Longer queries are not kept (a plain question with EDNS is under 100 bytes): bounds the keys. */
const REPLAY_MAX_QUERY = 512;
/**
 * How deep the server may ask itself (DnsRequest.upstream) within one query: an ExternalName whose
 * target another kubernetes zone maps back would otherwise go round for ever. CoreDNS has no such
 * bound; 8 is its limit on CNAME links inside a zone.
 */
export const MAX_UPSTREAM_DEPTH = 8;

/**
 * The replay tokens of a block's plugins, or undefined when one of them is not replayable.
 * Read before the chain runs: a change during the query leaves a token that no longer matches.
 */
function replayTokens(plugins: Plugin[]): unknown[] | undefined {
  const tokens: unknown[] = [];
  for (const p of plugins) {
    if (!p.replayToken) return undefined;
    tokens.push(p.replayToken());
  }
  return tokens;
}

/**
 * dgram passes every destination through dns.lookup (an IP regex, a nextTick) before sending; the
 * server only sends to the address a query came from, which a udp4 socket reports as a dotted
 * quad. Digits and dots are taken as they are (a cheap test, per answer); anything else, e.g. a
 * host name to bind, goes to dns.lookup as before.
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  let digitsAndDots = address.length > 0;
  for (let i = 0; i < address.length && digitsAndDots; i++) {
    const c = address.charCodeAt(i);
    digitsAndDots = c === 46 || (c >= 48 && c <= 57);
  }
  if (digitsAndDots) callback(null, address, 4);
  else lookup(address, 4, callback as never);
}

export interface Metrics {
  requests: Map<string, number>;
  responses: Map<string, number>;
}

/** Builds the chain of a block: each plugin gets the rest as `next`; the end answers SERVFAIL. */
export function chainOf(plugins: Plugin[]): Next {
  const end: Next = async () => {
    throw new Error('no next plugin found');
  };
  return plugins.reduceRight<Next>((next, p) => (req) => p.serve(req, next), end);
}

/** The block serving `qname` on `port`: the longest zone that is a suffix of the name. */
export function pickBlock(blocks: Block[], port: number, qname: string): { block: Block; zone: string } | undefined {
  let best: { block: Block; zone: string } | undefined;
  for (const block of blocks) {
    if (block.port !== port) continue;
    for (const zone of block.zones)
      if ((zone === '.' || qname === zone || qname.endsWith(`.${zone}`)) && (!best || zone.length > best.zone.length)) best = { block, zone };
  }
  return best;
}

/** The replay cache's map for a port and transport. */
const slot = (port: number, transport: DnsRequest['client']['transport']): number => port * 2 + (transport === 'tcp' ? 1 : 0);

const SERVFAIL: DnsResponse = { rcode: 'SERVFAIL', aa: false, answers: [], authorities: [], additionals: [] };
const REFUSED: DnsResponse = { rcode: 'REFUSED', aa: false, answers: [], authorities: [], additionals: [] };

export interface ServerOptions {
  /** Address to bind. @default '0.0.0.0' */
  host?: string;
  /** Also serve on '::' (IPv6 only; IPv4 stays on `host`), for a dual-stack cluster's DNS. @default false */
  ipv6?: boolean;
  /**
   * Sockets bound before the server started (activation.ts), by name (`udp4-53`): a port the
   * server opens takes its socket from here (and removes it) instead of binding one.
   */
  inherited?: Map<string, number>;
  log: (line: string) => void;
  /** Builds the plugins of a server block. */
  build: (config: ServerConfig) => Plugin[];
}

export class DnsServer {
  private blocks: Block[] = [];
  private udp = new Map<number, Socket>();
  private tcp = new Map<number, Server>();
  private udp6 = new Map<number, Socket>();
  private tcp6 = new Map<number, Server>();
  /** The replay cache: per port and transport (`slot`), query bytes after the ID → response. */
  private replays = new Map<number, Map<string, Replay>>();
  /** Bumped by `install`: a query still in the old chains when it ran must not be kept. */
  private generation = 0;
  readonly metrics: Metrics = { requests: new Map(), responses: new Map() };

  constructor(private readonly options: ServerOptions) {}

  get ports(): number[] {
    return [...this.udp.keys()];
  }

  /** Every plugin of every block, e.g. for the `ready` plugin. */
  get plugins(): Plugin[] {
    return this.blocks.flatMap((b) => b.plugins);
  }

  /** Installs a configuration: new chains at once, then ports opened and closed to match. */
  async configure(configs: ServerConfig[]): Promise<void> {
    this.install(configs);
    const wanted = new Set(configs.map((c) => c.port));
    for (const port of wanted) if (!this.udp.has(port)) await this.listen(port);
    for (const port of [...this.udp.keys()]) if (!wanted.has(port)) this.unlisten(port);
  }

  /** Builds and swaps in the chains of a configuration (sockets untouched; closes the old plugins). */
  install(configs: ServerConfig[]): void {
    const old = this.blocks;
    this.blocks = configs.map((c) => {
      const plugins = this.options.build(c);
      return { zones: c.zones, port: c.port, plugins, chain: chainOf(plugins) };
    });
    for (const b of old) for (const p of b.plugins) p.close?.();
    this.replays.clear();
    this.generation++;
  }

  close(): void {
    for (const port of [...this.udp.keys()]) this.unlisten(port);
    for (const b of this.blocks) for (const p of b.plugins) p.close?.();
    this.blocks = [];
    this.replays.clear();
    this.generation++;
  }

  /** Answers one wire-format query; undefined when nothing must be sent back. */
  async answer(buf: Buffer, port: number, client: DnsRequest['client']): Promise<Buffer | undefined> {
    return this.replay(buf, port, client.transport) ?? this.resolve(buf, port, client);
  }

  /**
   * The kept response to a query with these bytes, with the query's ID; undefined when there is
   * none or its tokens changed. Synchronous, so the UDP listener sends it without a promise.
   */
  replay(buf: Buffer, port: number, transport: DnsRequest['client']['transport']): Buffer | undefined {
    if (buf.length < 12 || buf.length > REPLAY_MAX_QUERY) return undefined;
    const kept = this.replays.get(slot(port, transport));
    if (kept === undefined) return undefined;
    const key = buf.toString('latin1', 2);
    const hit = kept.get(key);
    if (hit === undefined) return undefined;
    for (let i = 0; i < hit.plugins.length; i++) {
      if (hit.plugins[i]!.replayToken!() !== hit.tokens[i]) {
        kept.delete(key);
        return undefined;
      }
    }
    const out = Buffer.allocUnsafe(hit.response.length);
    hit.response.copy(out);
    out[0] = buf[0]!;
    out[1] = buf[1]!;
    this.count('requests', transport);
    this.count('responses', hit.rcode);
    return out;
  }

  private keep(buf: Buffer, port: number, transport: DnsRequest['client']['transport'], replay: Replay): void {
    if (buf.length > REPLAY_MAX_QUERY) return;
    const s = slot(port, transport);
    let kept = this.replays.get(s);
    if (kept === undefined) this.replays.set(s, (kept = new Map()));
    const key = buf.toString('latin1', 2);
    if (!kept.has(key) && kept.size >= REPLAY_CAPACITY) kept.delete(kept.keys().next().value!);
    kept.set(key, replay);
  }

  /** The full path: decode, route, run the chain, encode; keeps the response when it may be replayed. */
  private async resolve(buf: Buffer, port: number, client: DnsRequest['client']): Promise<Buffer | undefined> {
    const generation = this.generation;
    const decoded = decodeQuery(buf);
    if (!decoded.ok) {
      if (decoded.reply) this.count('responses', decoded.reply.readUInt16BE(2) & 0xf ? 'FORMERR' : 'NOERROR');
      return decoded.reply;
    }
    const msg = decoded.msg;
    const q = msg.questions![0]!;
    const qname = q.name === '' || q.name === '.' ? '.' : `${q.name.toLowerCase().replace(/\.$/, '')}.`;
    const limit = client.transport === 'udp' ? udpLimit(msg) : 65535;
    this.count('requests', client.transport);
    const picked = pickBlock(this.blocks, port, qname);
    const plugins = picked ? picked.block.plugins : [];
    const tokens = replayTokens(plugins);
    let res: DnsResponse;
    const asked = { self: false };
    if (!picked) res = REFUSED;
    else {
      const req: DnsRequest = { msg, qname, qtype: q.type, qclass: q.class ?? 'IN', client, maxSize: limit, zone: picked.zone };
      req.upstream = this.upstreamFor(req, port, 1, asked);
      res = await this.run(picked.block, req);
    }
    this.count('responses', res.rcode);
    try {
      const out = encodeResponse(msg as Packet, res, limit);
      if (tokens && !asked.self && res.rcode !== 'SERVFAIL' && generation === this.generation) this.keep(buf, port, client.transport, { response: Buffer.from(out), rcode: res.rcode, plugins, tokens });
      return out;
    } catch (e) {
      this.options.log(`[ERROR] could not encode the answer to ${qname} ${q.type}: ${(e as Error).message}`);
      return encodeResponse(msg as Packet, SERVFAIL, limit);
    }
  }

  /** A block's chain on a request; a plugin error is a SERVFAIL. */
  private async run(block: Block, req: DnsRequest): Promise<DnsResponse> {
    try {
      return await block.chain(req);
    } catch {
      // Only reached without the `errors` plugin, which would have logged and answered itself.
      return SERVFAIL;
    }
  }

  /**
   * DnsRequest.upstream for `parent`: CoreDNS's upstream.Lookup, which copies the request, sets
   * the new question and serves it as the server serves a client's (the block is picked again,
   * by the new name). `asked.self` records that it was used, so the outer answer is not replayed.
   */
  private upstreamFor(parent: DnsRequest, port: number, depth: number, asked: { self: boolean }): DnsRequest['upstream'] {
    if (depth > MAX_UPSTREAM_DEPTH) return undefined;
    return async (name, qtype) => {
      asked.self = true;
      const qname = name === '' || name === '.' ? '.' : `${name.toLowerCase().replace(/\.$/, '')}.`;
      const picked = pickBlock(this.blocks, port, qname);
      if (!picked) return REFUSED;
      const msg: Packet = { ...parent.msg, questions: [{ name: name.replace(/\.$/, ''), type: qtype as never, class: 'IN' }] };
      const req: DnsRequest = { ...parent, msg, qname, qtype, qclass: 'IN', zone: picked.zone };
      req.upstream = this.upstreamFor(req, port, depth + 1, asked);
      return this.run(picked.block, req);
    };
  }

  private count(kind: keyof Metrics, key: string): void {
    const m = this.metrics[kind];
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  private async listen(port: number): Promise<void> {
    await this.listenOn(port, 'udp4', this.options.host ?? '0.0.0.0', this.udp, this.tcp);
    if (this.options.ipv6) await this.listenOn(port, 'udp6', '::', this.udp6, this.tcp6);
  }

  /** The passed socket of that name, taken (once); none for a server bound to one address. */
  private take(name: string): number | undefined {
    const fd = this.options.host === undefined ? this.options.inherited?.get(name) : undefined;
    if (fd !== undefined) this.options.inherited!.delete(name);
    return fd;
  }

  private async listenOn(port: number, type: 'udp4' | 'udp6', host: string, udpMap: Map<number, Socket>, tcpMap: Map<number, Server>): Promise<void> {
    const v6 = type === 'udp6';
    const udpFd = this.take(socketName('udp', v6 ? 6 : 4, port));
    const tcpFd = this.take(socketName('tcp', v6 ? 6 : 4, port));
    const udp = createSocket({ type, reuseAddr: false, ...(v6 ? { ipv6Only: true } : { lookup: literalLookup as never }) });
    udp.on('message', (buf, rinfo) => {
      const replayed = this.replay(buf, port, 'udp');
      if (replayed) {
        udp.send(replayed, rinfo.port, rinfo.address);
        return;
      }
      this.resolve(buf, port, { address: rinfo.address, port: rinfo.port, transport: 'udp' }).then(
        (out) => out && udp.send(out, rinfo.port, rinfo.address),
        (e) => this.options.log(`[ERROR] ${(e as Error).message}`),
      );
    });
    udp.on('error', (e) => this.options.log(`[ERROR] udp :${port}: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(udpFd === undefined ? { port, address: host } : { fd: udpFd }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const tcp = createServer((conn) => {
      let pending: Buffer = Buffer.alloc(0);
      conn.setTimeout(10_000, () => conn.destroy());
      conn.on('error', () => conn.destroy());
      conn.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        while (pending.length >= 2) {
          const len = pending.readUInt16BE(0);
          if (pending.length < 2 + len) break;
          const msg = pending.subarray(2, 2 + len);
          pending = pending.subarray(2 + len);
          const client = { address: conn.remoteAddress ?? '', port: conn.remotePort ?? 0, transport: 'tcp' as const };
          this.answer(Buffer.from(msg), port, client).then(
            (out) => {
              if (!out || conn.destroyed) return;
              const head = Buffer.alloc(2);
              head.writeUInt16BE(out.length);
              conn.write(Buffer.concat([head, out]));
            },
            () => conn.destroy(),
          );
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(tcpFd === undefined ? { port, host, ...(v6 ? { ipv6Only: true } : {}) } : { fd: tcpFd }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    udpMap.set(port, udp);
    tcpMap.set(port, tcp);
  }

  private unlisten(port: number): void {
    for (const [udp, tcp] of [[this.udp, this.tcp], [this.udp6, this.tcp6]] as const) {
      udp.get(port)?.close();
      tcp.get(port)?.close();
      udp.delete(port);
      tcp.delete(port);
    }
  }
}
