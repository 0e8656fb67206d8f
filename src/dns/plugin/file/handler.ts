/**
 * `file`: authoritative answers from RFC 1035 zone files, as CoreDNS's file plugin gives them.
 *
 * Division of labour: `lookupZone` is pure (a parsed Zone and a question in, a response out);
 * `filePlugin` owns the I/O: it parses the file once per origin at construction, re-reads it on a
 * timer, and routes the queries of its zones to `lookupZone` (other names go to the next plugin).
 * Parsing lives in ../zonefile.ts.
 *
 * The answer rules, in CoreDNS's order (plugin/file/lookup.go):
 * - SOA at the apex → the SOA, apex NS in authority; NS at the apex → the NS, glue in additional.
 * - A name at or below a delegation (NS records below the apex) → referral: no answer, the NS in
 *   authority, glue (addresses of name servers below the cut) in additional, AA off.
 * - A name with a CNAME (and a question for another type) → the CNAME, then the chain is followed
 *   inside the zone (at most 8 links); a target outside the zone, or missing, ends the chain as is.
 * - A name with records of the type → them, the apex NS in authority, and for MX/SRV targets inside
 *   the zone their A/AAAA in additional.
 * - An existing name without that type, or an empty non-terminal → NODATA; no name → NXDOMAIN;
 *   both with the SOA in authority, its TTL min(SOA TTL, SOA minimum) (RFC 2308 §3).
 * - Wildcards per RFC 4592: `*.<closest encloser>` answers for names that do not exist, with the
 *   owner rewritten to the question's name.
 *
 * Where podlab departs from CoreDNS (each an RFC rule CoreDNS bends):
 * - SOA questions below the apex get NODATA/NXDOMAIN; CoreDNS answers the apex SOA for any name.
 * - Empty non-terminals block wildcards (RFC 4592 §2.2.2: they exist); CoreDNS's tree does not
 *   store them, so `*.example.org` answers `x.ent.example.org` there.
 * - CNAME targets inside the zone may be wildcard-synthesized; CoreDNS follows exact names only.
 *
 * Reloads follow CoreDNS (plugin/file/reload.go): a changed file whose SOA serial is unchanged is
 * not loaded (bump the serial), and a file that does not parse leaves the old zone serving.
 */
import type { DnsRequest, DnsResponse, FileConfig, Next, Plugin } from '../../types.ts';
import { parseZoneFile, type Zone, type ZoneIssue, type ZoneRecord } from '../../zonefile.ts';

/** CoreDNS's maxChain: CNAME links followed inside the zone after the first. */
const MAX_CHAIN = 8;

const SERVFAIL: DnsResponse = { rcode: 'SERVFAIL', aa: false, answers: [], authorities: [], additionals: [] };
const REFUSED: DnsResponse = { rcode: 'REFUSED', aa: false, answers: [], authorities: [], additionals: [] };

function bare(name: string): string {
  return name === '.' ? '' : name.toLowerCase().replace(/\.$/, '');
}

function inZone(name: string, zone: string): boolean {
  return zone === '' || name === zone || name.endsWith(`.${zone}`);
}

function parent(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1);
}

function rrs(zone: Zone, name: string, type: string): ZoneRecord[] {
  return (zone.records.get(name) ?? []).filter((r) => r.type === type);
}

/** The name exists: it has records, or names below it do (an empty non-terminal, RFC 4592 §2.2.2). */
function exists(zone: Zone, name: string): boolean {
  if (zone.records.has(name)) return true;
  const suffix = `.${name}`;
  for (const owner of zone.records.keys()) if (owner.endsWith(suffix)) return true;
  return false;
}

/** A and AAAA of `target` when it lies below `under` (glue, and MX/SRV additional processing). */
function addressesOf(zone: Zone, target: string, under: string): ZoneRecord[] {
  const t = target.toLowerCase();
  if (!inZone(t, under)) return [];
  return [...rrs(zone, t, 'A'), ...rrs(zone, t, 'AAAA')];
}

function glue(zone: Zone, ns: ZoneRecord[]): ZoneRecord[] {
  return ns.flatMap((r) => (r.type === 'NS' ? addressesOf(zone, r.data, r.name) : []));
}

function rename(records: ZoneRecord[], name: string): ZoneRecord[] {
  return records.map((r) => ({ ...r, name }));
}

type Found =
  | { kind: 'node'; name: string; records: ZoneRecord[] }
  | { kind: 'referral'; ns: ZoneRecord[] }
  | { kind: 'nodata' }
  | { kind: 'nxdomain' };

/**
 * Where `name` lands in the zone: a delegation on the way down, its own records, the records of
 * the wildcard that covers it (owner rewritten), an empty non-terminal, or nothing.
 */
function find(zone: Zone, name: string, qtype: string): Found {
  const apex = bare(zone.origin);
  // Delegations: every name strictly below the apex down to the question itself, top first.
  const path: string[] = [];
  for (let n = name; n !== apex && n !== ''; n = parent(n)) path.unshift(n);
  for (const cut of path) {
    const ns = rrs(zone, cut, 'NS');
    // The DS of a child lives in the parent (RFC 4035 §2.4): answered here, not referred.
    if (ns.length > 0 && !(qtype === 'DS' && cut === name)) return { kind: 'referral', ns };
  }
  const own = zone.records.get(name);
  if (own) return { kind: 'node', name, records: own };
  if (exists(zone, name)) return { kind: 'nodata' };
  let encloser = parent(name);
  while (encloser !== apex && !exists(zone, encloser)) encloser = parent(encloser);
  const wild = zone.records.get(encloser === '' ? '*' : `*.${encloser}`);
  if (wild) return { kind: 'node', name, records: rename(wild, name) };
  return { kind: 'nxdomain' };
}

function negativeSoa(zone: Zone): ZoneRecord[] {
  const soa = zone.soa!;
  return [{ ...soa, ttl: Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0) }];
}

/** The authoritative answer of `zone` to `qname`/`qtype` (qname in any case, trailing dot or not). */
export function lookupZone(zone: Zone, qname: string, qtype: string): DnsResponse {
  const name = bare(qname);
  const apex = bare(zone.origin);
  // A zone without SOA is not loaded: CoreDNS answers SERVFAIL (lookup.go, a secondary not yet transferred).
  if (!zone.soa) return SERVFAIL;
  if (!inZone(name, apex)) return REFUSED;
  const apexNs = rrs(zone, apex, 'NS');
  const ok = (answers: ZoneRecord[], authorities: ZoneRecord[], additionals: ZoneRecord[]): DnsResponse => ({ rcode: 'NOERROR', aa: true, answers, authorities, additionals });
  const negative = (rcode: 'NOERROR' | 'NXDOMAIN'): DnsResponse => ({ rcode, aa: true, answers: [], authorities: negativeSoa(zone), additionals: [] });

  if (name === apex && qtype === 'SOA') return ok([zone.soa], apexNs, []);
  if (name === apex && qtype === 'NS') return ok(apexNs, [], glue(zone, apexNs));

  const found = find(zone, name, qtype);
  switch (found.kind) {
    case 'referral':
      return { rcode: 'NOERROR', aa: false, answers: [], authorities: found.ns, additionals: glue(zone, found.ns) };
    case 'nodata':
      return negative('NOERROR');
    case 'nxdomain':
      return negative('NXDOMAIN');
  }
  const cname = found.records.find((r) => r.type === 'CNAME');
  if (cname && qtype !== 'CNAME') return ok(chase(zone, cname, qtype), apexNs, []);
  const answers = found.records.filter((r) => r.type === qtype);
  if (answers.length === 0) return negative('NOERROR');
  const additionals = answers.flatMap((r) => (r.type === 'MX' ? addressesOf(zone, r.data.exchange, apex) : r.type === 'SRV' ? addressesOf(zone, r.data.target, apex) : []));
  return ok(answers, apexNs, additionals);
}

/**
 * The CNAME chain from `first`: each target inside the zone is looked up again until a name with
 * no CNAME (its records of `qtype` end the answer), a name outside the zone or missing (the chain
 * ends as is: the client's resolver goes on), a loop, or MAX_CHAIN links.
 */
function chase(zone: Zone, first: ZoneRecord, qtype: string): ZoneRecord[] {
  const apex = bare(zone.origin);
  const answers = [first];
  const seen = new Set([first.name]);
  let target = (first.data as string).toLowerCase();
  for (let link = 0; link <= MAX_CHAIN; link++) {
    if (!inZone(target, apex) || seen.has(target)) break;
    seen.add(target);
    const found = find(zone, target, qtype);
    if (found.kind !== 'node') break;
    const next = found.records.find((r) => r.type === 'CNAME');
    if (!next || qtype === 'CNAME') {
      answers.push(...found.records.filter((r) => r.type === qtype));
      break;
    }
    answers.push(next);
    target = (next.data as string).toLowerCase();
  }
  return answers;
}

/** What the plugin holds for one origin. */
interface Loaded {
  origin: string;
  zone?: Zone;
  /** Issues of the last parse (of the text now loaded, or of a newer text that was refused). */
  issues: ZoneIssue[];
}

export interface FilePlugin extends Plugin {
  /** Per origin: the issues of its last parse (empty when the file loaded cleanly). */
  issues(): { origin: string; issues: ZoneIssue[] }[];
}

/** The longest of `zones` (FQDNs with the trailing dot) holding `qname` (lower case, trailing dot). */
function matchZone(zones: string[], qname: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if ((z === '.' || qname === z || qname.endsWith(`.${z}`)) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

/**
 * The `file` plugin. `readZone(config.file)` gives the file's text (relative paths are the
 * caller's business); it is read once at construction, and every `config.reloadMs` after (0: never).
 */
export function filePlugin(config: FileConfig, readZone: (file: string) => string): FilePlugin {
  const origins = config.zones.map((z) => (z === '.' ? '.' : `${z.toLowerCase().replace(/\.$/, '')}.`));
  const loaded = new Map<string, Loaded>(origins.map((origin) => [origin, { origin, issues: [] }]));
  let lastText: string | undefined;
  /** Bumped whenever a zone is replaced: the plugin's replay token. */
  let generation = 0;

  const read = (): string | undefined => {
    try {
      return readZone(config.file);
    } catch {
      return undefined;
    }
  };

  const load = (text: string) => {
    for (const entry of loaded.values()) {
      const { zone, issues } = parseZoneFile(text, entry.origin);
      entry.issues = issues;
      if (issues.length > 0) continue;
      // CoreDNS reloads only when the SOA serial changed (plugin/file/reload.go).
      if (entry.zone?.soa && zone.soa && entry.zone.soa.data.serial === zone.soa.data.serial) continue;
      entry.zone = zone;
      generation++;
    }
  };

  const initial = read();
  if (initial === undefined) {
    for (const entry of loaded.values()) entry.issues = [{ line: 0, col: 0, message: `cannot read the zone file ${config.file}` }];
  } else {
    lastText = initial;
    load(initial);
  }

  const reload = () => {
    const text = read();
    if (text === undefined || text === lastText) return;
    lastText = text;
    load(text);
  };
  const timer = config.reloadMs > 0 ? setInterval(reload, config.reloadMs) : undefined;
  timer?.unref();

  return {
    name: 'file',
    async serve(req: DnsRequest, next: Next): Promise<DnsResponse> {
      const origin = matchZone(origins, req.qname);
      if (origin === undefined) return next(req);
      const zone = loaded.get(origin)!.zone;
      return zone ? lookupZone(zone, req.qname, req.qtype) : SERVFAIL;
    },
    close() {
      if (timer) clearInterval(timer);
    },
    ready: () => true,
    replayToken: () => generation,
    issues: () => [...loaded.values()].map(({ origin, issues }) => ({ origin, issues })),
  };
}
