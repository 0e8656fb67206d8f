/**
 * `hosts`: answers A, AAAA and PTR questions from a hosts(5) file and from entries written in the
 * Corefile, as CoreDNS's hosts plugin does (plugin/hosts/hosts.go, hostsfile.go):
 *
 * - a line is `ADDRESS NAME [ALIAS…]`, `#` starts a comment, a line with a bad address is
 *   skipped; names outside the plugin's zones are dropped;
 * - a name written inline replaces what the file says about that name (CoreDNS's README: "the
 *   specified hosts file path will still be read but entries will be overridden");
 * - PTR records are made from every entry unless `no_reverse`; a reverse question is answered
 *   whatever the zones, and goes to the next plugin when the address is unknown;
 * - a known name asked for a type it has no record of gets NODATA (NOERROR, AA, no answer);
 * - an unknown name in the zones goes to the next plugin with `fallthrough`, otherwise gets
 *   SERVFAIL — CoreDNS's choice: "we want to send an NXDOMAIN, but because of /etc/hosts' setup
 *   we don't have a SOA, so we make it SERVFAIL" (CoreDNS before 1.2 answered NXDOMAIN);
 * - the file is read again when a query comes `reloadMs` after the last read (CoreDNS polls every
 *   5 s); an unreadable file keeps the entries read before, the inline ones are always served.
 */
import type { Answer } from 'dns-packet';
import type { DnsResponse, HostsConfig, Plugin } from '../../types.ts';
import { addressFromReverse, canonicalIp, fallsThrough, fqdn, ipFamily, matchZone, nodata, servfail, wireName } from '../../records.ts';

export interface HostsLine {
  ip: string;
  names: string[];
}

/** hosts(5): one entry per line with a valid address and at least one name; comments and junk skipped. Names as written. */
export function parseHostsFile(text: string): HostsLine[] {
  const out: HostsLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const fields = raw.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2) continue;
    const ip = canonicalIp(fields[0]!);
    if (ip === undefined) continue;
    out.push({ ip, names: fields.slice(1) });
  }
  return out;
}

/** name → addresses per family, and address → names. */
interface HostsMap {
  v4: Map<string, string[]>;
  v6: Map<string, string[]>;
  byAddr: Map<string, string[]>;
}

function buildMap(lines: HostsLine[], zones: string[], reverse: boolean): HostsMap {
  const m: HostsMap = { v4: new Map(), v6: new Map(), byAddr: new Map() };
  const add = (map: Map<string, string[]>, key: string, value: string): void => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const line of lines) {
    const family = ipFamily(line.ip);
    if (family === 0) continue;
    const ip = canonicalIp(line.ip)!;
    for (const written of line.names) {
      const name = fqdn(written);
      if (matchZone(name, zones) === undefined) continue;
      add(family === 4 ? m.v4 : m.v6, name, ip);
      if (reverse) add(m.byAddr, ip, name);
    }
  }
  return m;
}

function records(qname: string, type: 'A' | 'AAAA' | 'PTR', ttl: number, data: string[]): Answer[] {
  return data.map((d) => ({ name: wireName(qname), type, class: 'IN', ttl, data: type === 'PTR' ? wireName(d) : d }) as Answer);
}

/**
 * @param readFile reads the hosts file (relative paths already resolved by the caller); undefined when it cannot.
 * @param now the clock `reloadMs` is measured on, in ms. @default Date.now
 */
export function hostsPlugin(config: HostsConfig, readFile: (path: string) => string | undefined, now: () => number = Date.now): Plugin {
  const zones = config.zones.length ? config.zones : ['.'];
  const reverse = !config.noReverse;
  const inline = buildMap(config.inline, zones, reverse);
  const inlineNames = new Set([...inline.v4.keys(), ...inline.v6.keys()]);
  let file: HostsMap = buildMap([], zones, reverse);
  let fileText: string | undefined;
  let lastRead = 0;

  const read = (): void => {
    lastRead = now();
    if (config.file === undefined) return;
    let text: string | undefined;
    try {
      text = readFile(config.file);
    } catch {
      text = undefined;
    }
    // The same text keeps the same map, so a re-read of an unchanged file does not stop replays.
    if (text !== undefined && text !== fileText) {
      file = buildMap(parseHostsFile(text), zones, reverse);
      fileText = text;
    }
  };
  read();
  const due = (): boolean => config.file !== undefined && config.reloadMs > 0 && now() - lastRead >= config.reloadMs;

  const lookup = (name: string, family: 'v4' | 'v6'): string[] => (inlineNames.has(name) ? (inline[family].get(name) ?? []) : (file[family].get(name) ?? []));
  const exists = (name: string): boolean => lookup(name, 'v4').length + lookup(name, 'v6').length > 0;
  const names = (addr: string): string[] => [
    ...(file.byAddr.get(addr) ?? []).filter((n) => !inlineNames.has(n)),
    ...(inline.byAddr.get(addr) ?? []),
  ];

  return {
    name: 'hosts',
    async serve(req, next): Promise<DnsResponse> {
      if (due()) read();
      const qname = req.qname;
      // Reverse zones need not be among the plugin's zones.
      if (matchZone(qname, zones) === undefined && req.qtype !== 'PTR') return next(req);

      let answers: Answer[] = [];
      if (req.qtype === 'PTR') {
        const addr = addressFromReverse(qname);
        const found = addr === undefined ? [] : names(addr);
        // An unknown address always goes on, whatever fallthrough says.
        if (found.length === 0) return next(req);
        answers = records(qname, 'PTR', config.ttl, found);
      } else if (req.qtype === 'A') answers = records(qname, 'A', config.ttl, lookup(qname, 'v4'));
      else if (req.qtype === 'AAAA') answers = records(qname, 'AAAA', config.ttl, lookup(qname, 'v6'));

      if (answers.length === 0 && !exists(qname)) {
        if (fallsThrough(config.fallthrough, qname)) return next(req);
        return servfail();
      }
      if (answers.length === 0) return nodata();
      return { rcode: 'NOERROR', aa: true, answers, authorities: [], additionals: [] };
    },
    // A replayed query skips serve(), so the re-read it would have done is done here.
    replayToken: () => {
      if (due()) read();
      return file;
    },
  };
}
