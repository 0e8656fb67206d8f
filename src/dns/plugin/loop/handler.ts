/**
 * `loop`: at start-up the server sends itself a query for a random name (`<n>.<n>.<zone>`, type
 * HINFO) that no real server knows. If that very query comes back in more than twice, the
 * forwarders lead back to this server: a loop. CoreDNS then exits (and the pod crash-loops);
 * podlab keeps serving everything else, logs the same message, and stops forwarding so the loop
 * cannot amplify (forward answers SERVFAIL).
 */
import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';
import type { DnsRequest, DnsResponse, Next, Plugin } from '../../types.ts';

const rand = () => String(Math.floor(Math.random() * 1e15)).padStart(15, '0');

export interface LoopPlugin extends Plugin {
  readonly detected: boolean;
  /** Sends the probe (several times, until something answers it) to this server on `port`. */
  probe(port: number): void;
}

export function loopPlugin(zone: string, log: (line: string) => void): LoopPlugin {
  const name = `${rand()}.${rand()}.${zone === '.' ? '' : zone}`.replace(/\.$/, '');
  const qname = `${name.toLowerCase()}.`;
  let seen = 0;
  let detected = false;
  let answered = false;
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'loop',
    get detected() {
      return detected;
    },
    async serve(req: DnsRequest, next: Next): Promise<DnsResponse> {
      if (req.qname === qname && req.qtype === 'HINFO') {
        seen++;
        if (seen > 2 && !detected) {
          detected = true;
          log(`[FATAL] plugin/loop: Loop (127.0.0.1:${req.client.port} -> :53) detected for zone "${zone}", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${qname}" (podlab keeps serving; forwarding is off)`);
        }
      }
      return next(req);
    },
    probe(port: number) {
      let tries = 0;
      const send = () => {
        if (answered || detected || tries++ >= 3) return;
        const s = createSocket('udp4');
        s.on('message', () => {
          answered = true;
          s.close();
        });
        s.on('error', () => s.close());
        s.send(packet.encode({ type: 'query', id: Math.floor(Math.random() * 65536), flags: packet.RECURSION_DESIRED, questions: [{ name, type: 'HINFO', class: 'IN' }] }), port, '127.0.0.1');
        setTimeout(() => {
          try {
            s.close();
          } catch {
            /* closed already */
          }
        }, 2000).unref();
        timer = setTimeout(send, 2000);
        timer.unref();
      };
      send();
    },
    close() {
      if (timer) clearTimeout(timer);
    },
  };
}
