/**
 * The DNS server: one UDP socket and one TCP listener per port of the Corefile, each query routed
 * to the server block whose zone is the longest suffix of its name (none: REFUSED, as CoreDNS),
 * then down that block's plugin chain. Sockets and chains are separate so `reload` can swap the
 * chains (and open or close ports) while queries keep flowing. Nothing a client sends can throw
 * out of here: decode errors answer FORMERR, plugin errors SERVFAIL.
 */
import { createSocket, type Socket } from 'node:dgram';
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

const SERVFAIL: DnsResponse = { rcode: 'SERVFAIL', aa: false, answers: [], authorities: [], additionals: [] };
const REFUSED: DnsResponse = { rcode: 'REFUSED', aa: false, answers: [], authorities: [], additionals: [] };

export interface ServerOptions {
  /** Address to bind. @default '0.0.0.0' */
  host?: string;
  log: (line: string) => void;
  /** Builds the plugins of a server block. */
  build: (config: ServerConfig) => Plugin[];
}

export class DnsServer {
  private blocks: Block[] = [];
  private udp = new Map<number, Socket>();
  private tcp = new Map<number, Server>();
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
  }

  close(): void {
    for (const port of [...this.udp.keys()]) this.unlisten(port);
    for (const b of this.blocks) for (const p of b.plugins) p.close?.();
    this.blocks = [];
  }

  /** Answers one wire-format query; undefined when nothing must be sent back. */
  async answer(buf: Buffer, port: number, client: DnsRequest['client']): Promise<Buffer | undefined> {
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
    let res: DnsResponse;
    if (!picked) res = REFUSED;
    else {
      const req: DnsRequest = { msg, qname, qtype: q.type, qclass: q.class ?? 'IN', client, maxSize: limit, zone: picked.zone };
      try {
        res = await picked.block.chain(req);
      } catch (e) {
        // Only reached without the `errors` plugin, which would have logged and answered itself.
        res = SERVFAIL;
        void e;
      }
    }
    this.count('responses', res.rcode);
    try {
      return encodeResponse(msg as Packet, res, limit);
    } catch (e) {
      this.options.log(`[ERROR] could not encode the answer to ${qname} ${q.type}: ${(e as Error).message}`);
      return encodeResponse(msg as Packet, SERVFAIL, limit);
    }
  }

  private count(kind: keyof Metrics, key: string): void {
    const m = this.metrics[kind];
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  private async listen(port: number): Promise<void> {
    const host = this.options.host ?? '0.0.0.0';
    const udp = createSocket({ type: 'udp4', reuseAddr: false });
    udp.on('message', (buf, rinfo) => {
      this.answer(buf, port, { address: rinfo.address, port: rinfo.port, transport: 'udp' }).then(
        (out) => out && udp.send(out, rinfo.port, rinfo.address),
        (e) => this.options.log(`[ERROR] ${(e as Error).message}`),
      );
    });
    udp.on('error', (e) => this.options.log(`[ERROR] udp :${port}: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
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
      tcp.listen(port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.udp.set(port, udp);
    this.tcp.set(port, tcp);
  }

  private unlisten(port: number): void {
    this.udp.get(port)?.close();
    this.tcp.get(port)?.close();
    this.udp.delete(port);
    this.tcp.delete(port);
  }
}
