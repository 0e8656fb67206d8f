/**
 * `forward`: sends queries it does not own to upstream servers, as CoreDNS's forward plugin does —
 * upstreams from the Corefile or from a resolv.conf-style file, a policy choosing the order
 * (random, round_robin, sequential), an upstream marked down after `max_fails` failures and
 * health-checked (`. IN NS`) until it answers again, `max_concurrent` answering REFUSED beyond the
 * limit, `except` zones passed on, and a truncated UDP answer retried over TCP. When every
 * upstream is down one is still tried, as CoreDNS does. A file without nameservers gives no
 * upstreams: those queries get SERVFAIL (CoreDNS would refuse to start).
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { isIPv6 } from '../../../net/ip.ts';
import * as packet from 'dns-packet';
import type { Packet } from 'dns-packet';
import type { DnsRequest, DnsResponse, ForwardConfig, Next, Plugin } from '../../types.ts';
import { isSubdomain } from '../../records.ts';

export interface UpstreamState {
  ip: string;
  port: number;
  fails: number;
}

export interface ForwardDeps {
  readFile: (path: string) => string | undefined;
  log: (line: string) => void;
  /** Set by the `loop` plugin once it has seen its probe come back: forwarding would only amplify the loop. */
  loopDetected?: () => boolean;
}

/** The nameservers of a resolv.conf text (port 53). */
export function resolvNameservers(text: string): { ip: string; port: number }[] {
  const out: { ip: string; port: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push({ ip: m[1]!.replace(/%.*$/, ''), port: 53 });
  }
  return out;
}

const fail = (rcode: DnsResponse['rcode'], note: string): DnsResponse => ({ rcode, aa: false, answers: [], authorities: [], additionals: [], note });

const KNOWN_RCODES = new Set(['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']);

/** Maps an upstream's reply to what the chain passes back (OPT stripped: the server adds its own). */
export function fromUpstream(reply: Packet): DnsResponse {
  const rcode = (reply as { rcode?: string }).rcode ?? 'SERVFAIL';
  return {
    rcode: (KNOWN_RCODES.has(rcode) ? rcode : 'SERVFAIL') as DnsResponse['rcode'],
    aa: ((reply.flags ?? 0) & packet.AUTHORITATIVE_ANSWER) !== 0,
    ...((reply.flags ?? 0) & packet.TRUNCATED_RESPONSE ? { tc: true } : {}),
    answers: reply.answers ?? [],
    authorities: reply.authorities ?? [],
    additionals: (reply.additionals ?? []).filter((a) => a.type !== 'OPT'),
  };
}

class Exchanger {
  private sockets = new Map<4 | 6, Socket>();
  private pending = new Map<number, (reply: Packet) => void>();

  private socket(family: 4 | 6): Socket {
    let s = this.sockets.get(family);
    if (!s) {
      s = createSocket(family === 6 ? 'udp6' : 'udp4');
      s.on('message', (buf) => {
        let reply: Packet;
        try {
          reply = packet.decode(buf);
        } catch {
          return;
        }
        const done = this.pending.get(reply.id ?? -1);
        if (done) {
          this.pending.delete(reply.id!);
          done(reply);
        }
      });
      s.on('error', () => undefined);
      s.unref();
      this.sockets.set(family, s);
    }
    return s;
  }

  private freeId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 65536);
      if (!this.pending.has(id)) return id;
    }
  }

  udp(up: { ip: string; port: number }, query: Packet, timeoutMs: number): Promise<Packet> {
    const id = this.freeId();
    const buf = packet.encode({ ...query, id });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.socket(isIPv6(up.ip) ? 6 : 4).send(buf, up.port, up.ip, (e) => {
        if (!e) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(e);
      });
    });
  }

  tcp(up: { ip: string; port: number }, query: Packet, timeoutMs: number): Promise<Packet> {
    const body = packet.encode({ ...query, id: Math.floor(Math.random() * 65536) });
    const head = Buffer.alloc(2);
    head.writeUInt16BE(body.length);
    return new Promise((resolve, reject) => {
      const conn = connect({ host: up.ip, port: up.port });
      let got: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => {
        conn.destroy();
        reject(new Error(`timeout after ${timeoutMs} ms (tcp)`));
      }, timeoutMs);
      conn.on('connect', () => conn.write(Buffer.concat([head, body])));
      conn.on('data', (chunk) => {
        got = Buffer.concat([got, chunk as Buffer]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
          clearTimeout(timer);
          conn.destroy();
          try {
            resolve(packet.decode(got.subarray(2, 2 + got.readUInt16BE(0))));
          } catch (e) {
            reject(e as Error);
          }
        }
      });
      conn.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}

export function forwardPlugin(config: ForwardConfig, deps: ForwardDeps): Plugin & { upstreams: UpstreamState[] } {
  const upstreams: UpstreamState[] = config.to.flatMap((t) => {
    if (t.address) return [{ ...t.address, fails: 0 }];
    const text = t.file ? deps.readFile(t.file) : undefined;
    if (text === undefined) {
      deps.log(`[WARNING] plugin/forward: cannot read ${t.file}: no upstreams from it`);
      return [];
    }
    return resolvNameservers(text).map((a) => ({ ...a, fails: 0 }));
  });
  const net = new Exchanger();
  let inflight = 0;
  let rr = 0;
  const down = (u: UpstreamState) => config.maxFails > 0 && u.fails >= config.maxFails;

  const health = setInterval(() => {
    for (const u of upstreams.filter(down)) {
      const probe: Packet = { type: 'query', id: 0, flags: 0, questions: [{ name: '.', type: 'NS', class: 'IN' }] };
      net.udp(u, probe, Math.min(config.timeoutMs, 1000)).then(
        () => (u.fails = 0),
        () => undefined,
      );
    }
  }, config.healthCheckMs);
  health.unref();

  function order(): UpstreamState[] {
    const list = [...upstreams];
    if (config.policy === 'random') {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [list[i], list[j]] = [list[j]!, list[i]!];
      }
    } else if (config.policy === 'round_robin') {
      const start = rr++ % list.length;
      list.push(...list.splice(0, start));
    }
    const up = list.filter((u) => !down(u));
    // All down: CoreDNS still tries one at random rather than failing outright.
    return up.length ? up : [list[Math.floor(Math.random() * list.length)]!];
  }

  async function exchange(req: DnsRequest): Promise<DnsResponse> {
    const q = req.msg.questions![0]!;
    const query: Packet = {
      type: 'query',
      id: 0,
      flags: packet.RECURSION_DESIRED,
      questions: [q],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as never],
    };
    const errors: string[] = [];
    const deadline = Date.now() + 5000;
    for (const u of order()) {
      if (Date.now() > deadline) break;
      try {
        let reply = config.forceTcp ? await net.tcp(u, query, config.timeoutMs) : await net.udp(u, query, config.timeoutMs);
        if ((reply.flags ?? 0) & packet.TRUNCATED_RESPONSE && !config.preferUdp && !config.forceTcp) reply = await net.tcp(u, query, config.timeoutMs);
        u.fails = 0;
        return { ...fromUpstream(reply), note: `${u.ip}:${u.port}` };
      } catch (e) {
        u.fails++;
        errors.push(`${u.ip}:${u.port}: ${(e as Error).message}`);
      }
    }
    throw new Error(`plugin/forward: no upstream answered ${req.qname} ${req.qtype}: ${errors.join('; ')}`);
  }

  return {
    name: 'forward',
    upstreams,
    async serve(req: DnsRequest, next: Next): Promise<DnsResponse> {
      if (!isSubdomain(req.qname, config.from) || config.except.some((z) => isSubdomain(req.qname, z))) return next(req);
      if (deps.loopDetected?.()) return fail('SERVFAIL', 'forwarding disabled: loop detected');
      if (!upstreams.length) throw new Error(`plugin/forward: no upstreams for ${req.qname} (${config.to.map((t) => t.text).join(' ')} lists no nameserver)`);
      if (config.maxConcurrent !== undefined && inflight >= config.maxConcurrent) {
        deps.log(`[ERROR] plugin/forward: max concurrent queries reached (${config.maxConcurrent})`);
        return fail('REFUSED', 'max concurrent queries reached');
      }
      inflight++;
      try {
        return await exchange(req);
      } finally {
        inflight--;
      }
    },
    close() {
      clearInterval(health);
      net.close();
    },
  };
}
