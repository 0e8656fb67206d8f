/**
 * `kubernetes`: the records of the Kubernetes DNS-Based Service Discovery specification (1.1.0),
 * answered from a ClusterView as CoreDNS's kubernetes plugin answers them from the API server.
 *
 * Division of labour: `lookupKubernetes` is pure (config, view, question → response, or
 * 'fallthrough'); `kubernetesPlugin` asks for the current view per query, keeps the SOA serial
 * (CoreDNS's: the time the data last changed), and passes on what the lookup does not answer.
 *
 * The model is CoreDNS's (plugin/kubernetes/kubernetes.go, parse.go, reverse.go, ns.go and
 * plugin/backend_lookup.go): a name is parsed into `[_port._proto.|endpoint.]service.namespace.svc`
 * or `pod-ip.namespace.pod`, looked up as a list of entries (host, port, target name), and each
 * question type makes its records from that list: A/AAAA from the IP hosts (deduplicated), a CNAME
 * from an ExternalName, SRV with CoreDNS's weights (100 shared out per priority) and the targets'
 * addresses in additional. An A/AAAA question for an ExternalName whose target is outside the zone
 * gets the CNAME (with the plugin's TTL) followed by whatever the server itself answers for the
 * target (CoreDNS's upstream lookup through its own plugin chain, e.g. `forward`), records and
 * TTLs as that chain gave them; nothing (the target does not resolve, or fails) leaves the CNAME
 * alone. The pure lookup is given those answers by `outside`; the plugin asks the server for them. A name whose lookup fails is NXDOMAIN (or falls through); a name that
 * exists without records of the type is NODATA; both carry CoreDNS's SOA.
 *
 * Choices where the spec and CoreDNS differ or CoreDNS bends an RFC (each marked `podlab:`):
 * - `<svc>.<ns>.svc` SRV without `_port._proto` answers every port, unnamed ones too (CoreDNS).
 * - `<endpoint>.<svc>.<ns>.svc` is answered for ClusterIP Services too (CoreDNS), not only headless.
 * - PTR for endpoint IPs covers the endpoints of every Service, not only headless ones (CoreDNS).
 * - Only ready addresses are published (CoreDNS skips not-ready EndpointSlice endpoints).
 * - NS at the apex names the kube-dns Service (`kube-dns.kube-system.svc.<zone>`), as CoreDNS names
 *   the Service that fronts it; `ns.dns.<zone>` (the SOA's mname) answers A with the same address.
 * - TXT and SOA questions below the apex are NOERROR without records whether the name exists or
 *   not, and `dns-version.<zone>` or a reverse name asked for another type (A, PTR of dns-version,
 *   …) is NXDOMAIN (CoreDNS: its TXT lookup answers nothing but dns-version, its SOA lookup only the
 *   apex, and the others parse the name as a Service or find no records for a reverse name),
 *   although RFC 8020 would have existence not depend on the type: learners compare with CoreDNS.
 */
import { isIP } from '../../../net/ip.ts';
import type { Answer, StringAnswer } from 'dns-packet';
import type { ClusterEndpointAddress, ClusterService, ClusterServicePort, ClusterView, DnsRequest, DnsResponse, KubernetesConfig, Next, Plugin } from '../../types.ts';

/** The schema version this plugin implements (spec §2.2), served at `dns-version.<zone>` TXT. */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** CoreDNS gives the dns-version TXT its own TTL, not the plugin's. */
const DNS_VERSION_TTL = 28800;
/** The Service that fronts the cluster DNS (kubeadm's name); NS answers point at it. */
const KUBE_DNS = { name: 'kube-dns', namespace: 'kube-system' } as const;
/** CoreDNS's SOA timers (plugin/backend_lookup.go); the SOA's own TTL is capped at 300 s. */
const SOA = { refresh: 7200, retry: 1800, expire: 86400, maxTtl: 300 } as const;
/** CoreDNS stops following CNAMEs inside the zone after this many links. */
const MAX_CHAIN = 8;
/** CoreDNS gives a Service or endpoint without ports one port -1, so A works and SRV skips it. */
const NO_PORT: Port = { name: '', port: -1, protocol: '' };

/** A Service or endpoint port; the sentinel NO_PORT has no name and no protocol. */
type Port = Pick<ClusterServicePort, 'name' | 'port'> & { protocol: string };

/** One thing a name stands for: an address or a name (ExternalName), and what SRV would say. */
interface Entry {
  host: string;
  port: number;
  /** The name SRV and additional records use: `<svc>.<ns>.svc.<zone>`, `<endpoint>.<svc>…`. */
  target: string;
}

const NX = 'nx' as const;
type Lookup = Entry[] | typeof NX;

/** What the server answers for a name outside the zone (the answer section), asked as `qtype`. */
export type Outside = (name: string, qtype: 'A' | 'AAAA') => Answer[];

interface Ctx {
  config: KubernetesConfig;
  /** Absent: an out-of-zone CNAME target resolves to nothing (the CNAME alone). */
  outside?: Outside;
  view: ClusterView;
  /** The matched zone: lower case, dns-packet form (no trailing dot). */
  zone: string;
  /** The same labels as the question wrote them: CoreDNS keeps the asker's case in the zone part. */
  zoneAsked: string;
  serial: number;
}

type Result = { answers: Answer[]; additionals: Answer[] } | 'nodata' | typeof NX;

// ── Names ────────────────────────────────────────────────────────────────────────────────────

/** `a.b.` → `a.b`, `.` → `` (dns-packet form). */
function bare(name: string): string {
  return name === '.' ? '' : name.replace(/\.$/, '');
}

function inZone(name: string, zone: string): boolean {
  return zone === '' || name === zone || name.endsWith(`.${zone}`);
}

function join(...labels: string[]): string {
  return labels.filter((l) => l !== '').join('.');
}

/** The labels of `name` left of `zone` (both lower case, dns-packet form). */
function labelsBefore(name: string, zone: string): string[] {
  if (name === zone) return [];
  return (zone === '' ? name : name.slice(0, name.length - zone.length - 1)).split('.');
}

function isReverse(name: string): boolean {
  return inZone(name, 'in-addr.arpa') || inZone(name, 'ip6.arpa');
}

function normalizeZone(zone: string): string {
  return bare(zone.toLowerCase());
}

/** The first forward zone: where PTR targets live (CoreDNS's primaryZone). */
function primaryZone(config: KubernetesConfig): string {
  const zones = config.zones.map(normalizeZone);
  return zones.find((z) => !isReverse(z)) ?? zones[0] ?? '';
}

/** 32 hex digits for an IPv6 address, the IPv4 text as is: a key two spellings of an address share. */
function addressKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  let text = ip.toLowerCase();
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) becomes its two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return all.map((g) => g.padStart(4, '0')).join('');
}

/** The address a reverse name stands for, or undefined when it is not a whole address. */
function addressFromReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const labels = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4 || !labels.every((l) => /^(0|[1-9]\d{0,2})$/.test(l) && Number(l) <= 255)) return undefined;
    return labels.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return hex.match(/.{4}/g)!.join(':');
  }
  return undefined;
}

// ── Cluster data ─────────────────────────────────────────────────────────────────────────────

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A view's lookups by lower-cased key, built once per view (a query then costs a map lookup, not a scan). */
interface ViewIndex {
  namespaces: Set<string>;
  services: Map<string, ClusterService>;
  endpoints: Map<string, ClusterView['endpoints']>;
}
const INDEXES = new WeakMap<ClusterView, ViewIndex>();
const key = (namespace: string, name: string) => `${namespace.toLowerCase()}/${name.toLowerCase()}`;

function indexOf(view: ClusterView): ViewIndex {
  let ix = INDEXES.get(view);
  if (!ix) {
    ix = { namespaces: new Set(view.namespaces.map((n) => n.toLowerCase())), services: new Map(), endpoints: new Map() };
    for (const svc of view.services) if (!ix.services.has(key(svc.namespace, svc.name))) ix.services.set(key(svc.namespace, svc.name), svc);
    for (const e of view.endpoints) {
      const k = key(e.namespace, e.service);
      ix.endpoints.set(k, [...(ix.endpoints.get(k) ?? []), e]);
    }
    INDEXES.set(view, ix);
  }
  return ix;
}

function configured(config: KubernetesConfig, namespace: string): boolean {
  return !config.namespaces || config.namespaces.length === 0 || config.namespaces.some((n) => same(n, namespace));
}

/** CoreDNS's namespaceExposed: allowed by `namespaces` and present in the cluster. */
function exposed(ctx: Ctx, namespace: string): boolean {
  return configured(ctx.config, namespace) && indexOf(ctx.view).namespaces.has(namespace.toLowerCase());
}

/** An endpoint's label: its hostname, else (endpoint_pod_names) its pod's name, else its dashed IP. */
function endpointName(addr: ClusterEndpointAddress, config: KubernetesConfig): string {
  if (addr.hostname) return addr.hostname;
  if (config.endpointPodNames && addr.podName) return addr.podName;
  return addr.ip.replace(/[.:]/g, '-');
}

function readyAddresses(ctx: Ctx, service: string, namespace: string): { addr: ClusterEndpointAddress; ports: Port[] }[] {
  // `noendpoints`: CoreDNS does not watch endpoints at all.
  if (ctx.config.noendpoints) return [];
  return (indexOf(ctx.view).endpoints.get(key(namespace, service)) ?? [])
    .flatMap((e) => e.addresses.filter((a) => a.ready).map((addr) => ({ addr, ports: e.ports.length > 0 ? e.ports : [NO_PORT] })));
}

function kubeDnsIp(view: ClusterView): string | undefined {
  const svc = view.services.find((s) => s.name === KUBE_DNS.name && s.namespace === KUBE_DNS.namespace);
  return svc?.clusterIP && svc.clusterIP !== 'None' ? svc.clusterIP : undefined;
}

// ── Lookup: name → entries ───────────────────────────────────────────────────────────────────

const stripUnderscore = (s: string) => (s.startsWith('_') ? s.slice(1) : s);

/** CoreDNS's matchPortAndProtocol: an empty request part matches anything. */
function portMatches(port: Port, want: { port: string; proto: string }): boolean {
  return (want.port === '' || same(want.port, port.name ?? '')) && (want.proto === '' || same(want.proto, port.protocol));
}

/** What a name in the forward zone stands for; NX when it does not exist (CoreDNS's Records). */
function lookup(ctx: Ctx, name: string): Lookup {
  const labels = labelsBefore(name, ctx.zone);
  const kind = labels.at(-1);
  // The apex, `svc.<zone>` and `pod.<zone>` exist without records (parse.go: NODATA).
  if (kind === undefined || (labels.length === 1 && (kind === 'svc' || kind === 'pod'))) return [];
  // Longer than `_port._proto.service.namespace.svc` is "too long" (parse.go).
  if ((kind !== 'svc' && kind !== 'pod') || labels.length > 5) return NX;
  const namespace = labels.at(-2)!;
  if (!exposed(ctx, namespace)) return NX;
  const rest = labels.slice(0, -2);
  return kind === 'pod' ? podLookup(ctx, namespace, rest) : serviceLookup(ctx, namespace, rest);
}

function podLookup(ctx: Ctx, namespace: string, rest: string[]): Lookup {
  if (ctx.config.pods === 'disabled') return NX;
  const label = rest.at(-1);
  if (label === undefined) return [];
  // `1-2-3-4` → 1.2.3.4; anything else is read as IPv6 with `-` for `:` (kubernetes.go findPods).
  const ip = (label.split('-').length === 4 && !label.includes('--') ? label.replace(/-/g, '.') : label.replace(/-/g, ':'));
  const target = join(label, namespace, 'pod', ctx.zoneAsked);
  if (ctx.config.pods === 'insecure') return isIP(ip) ? [{ host: ip, port: 0, target }] : NX;
  const pods = ctx.view.pods.filter((p) => p.ip === ip && same(p.namespace, namespace));
  return pods.length > 0 ? pods.map(() => ({ host: ip, port: 0, target })) : NX;
}

function serviceLookup(ctx: Ctx, namespace: string, rest: string[]): Lookup {
  const name = rest.at(-1);
  if (name === undefined) return [];
  const endpoint = rest.length === 2 ? rest[0] : undefined;
  const want = rest.length === 3 ? { port: stripUnderscore(rest[0]!), proto: stripUnderscore(rest[1]!) } : { port: '', proto: '' };
  const svc = indexOf(ctx.view).services.get(key(namespace, name));
  if (!svc) return NX;
  const base = join(svc.name, svc.namespace, 'svc', ctx.zoneAsked);
  if (svc.type === 'ExternalName') {
    // An ExternalName has no endpoints; one that is an IP is not published (kubernetes.go).
    if (endpoint !== undefined || !svc.externalName || isIP(svc.externalName)) return NX;
    return [{ host: bare(svc.externalName), port: 0, target: base }];
  }
  const out: Entry[] = [];
  if (svc.clusterIP === 'None' || endpoint !== undefined) {
    for (const { addr, ports } of readyAddresses(ctx, svc.name, svc.namespace)) {
      const label = endpointName(addr, ctx.config);
      if (endpoint !== undefined && !same(endpoint, label)) continue;
      for (const p of ports) if (portMatches(p, want)) out.push({ host: addr.ip, port: p.port, target: join(label, base) });
    }
  } else if (svc.clusterIP) {
    // A dual-stack Service has a cluster IP per family: A answers the IPv4 one, AAAA the IPv6 one.
    for (const ip of svc.clusterIPs ?? [svc.clusterIP]) for (const p of portsOf(svc)) if (portMatches(p, want)) out.push({ host: ip, port: p.port, target: base });
  }
  return out.length > 0 ? out : NX;
}

function portsOf(svc: ClusterService): Port[] {
  return svc.ports.length > 0 ? svc.ports : [NO_PORT];
}

// ── Records ──────────────────────────────────────────────────────────────────────────────────

function record(ctx: Ctx, name: string, type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR', data: string): StringAnswer {
  return { name, type, class: 'IN', ttl: ctx.config.ttl, data };
}

function soaRecord(ctx: Ctx): Answer {
  return {
    name: ctx.zoneAsked,
    type: 'SOA',
    class: 'IN',
    ttl: Math.min(SOA.maxTtl, ctx.config.ttl),
    data: {
      mname: join('ns', 'dns', ctx.zoneAsked),
      rname: join('hostmaster', ctx.zoneAsked),
      serial: ctx.serial,
      refresh: SOA.refresh,
      retry: SOA.retry,
      expire: SOA.expire,
      minimum: ctx.config.ttl,
    },
  };
}

/** A or AAAA (plugin/backend_lookup.go A/AAAA): addresses, or an ExternalName's CNAME followed inside the zone. */
function addresses(ctx: Ctx, owner: string, family: 4 | 6, chain: StringAnswer[]): Answer[] | typeof NX {
  const found = lookup(ctx, owner.toLowerCase());
  if (found === NX) return NX;
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const e of found) {
    const kind = isIP(e.host);
    if (kind === 0) {
      const target = e.host;
      const lower = target.toLowerCase();
      // `x CNAME x` is a loop; a chain stops at MAX_CHAIN links or at a link already taken.
      if (lower === owner.toLowerCase() || chain.length >= MAX_CHAIN) continue;
      if (chain.some((c) => c.name.toLowerCase() === owner.toLowerCase() && c.data.toLowerCase() === lower)) continue;
      const cname = record(ctx, owner, 'CNAME', target);
      if (!inZone(lower, ctx.zone)) {
        // Outside the zone: CoreDNS asks the server itself for the target and appends its answer
        // after the CNAME, even an empty one. A stub resolver (glibc) does not follow a lone CNAME.
        out.push(cname, ...(ctx.outside?.(target, family === 4 ? 'A' : 'AAAA') ?? []));
        continue;
      }
      const next = addresses(ctx, target, family, [...chain, cname]);
      if (next !== NX && next.length > 0) out.push(cname, ...next);
    } else if (kind === family && !seen.has(e.host)) {
      seen.add(e.host);
      out.push(record(ctx, owner, family === 4 ? 'A' : 'AAAA', e.host));
    }
  }
  return out;
}

/** SRV (plugin/backend_lookup.go SRV): weight 100 shared by the entries, one SRV per target and port. */
function srv(ctx: Ctx, owner: string): Result {
  const found = lookup(ctx, owner.toLowerCase());
  if (found === NX) return NX;
  // SRV for ExternalName Services is not implemented in CoreDNS: they are dropped.
  const entries = found.filter((e) => isIP(e.host) !== 0);
  // Every entry counts towards the total, the port -1 ones too (they get no SRV).
  const weight = Math.max(1, Math.floor((100 / (entries.length * 100)) * 100));
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.port === -1) continue;
    if (!seen.has(`${e.target}|${e.port}`)) {
      seen.add(`${e.target}|${e.port}`);
      answers.push({ name: owner, type: 'SRV', class: 'IN', ttl: ctx.config.ttl, data: { priority: 0, weight, port: e.port, target: e.target } });
    }
    if (!seen.has(`${e.target}@${e.host}`)) {
      seen.add(`${e.target}@${e.host}`);
      additionals.push(record(ctx, e.target, isIP(e.host) === 6 ? 'AAAA' : 'A', e.host));
    }
  }
  return { answers, additionals };
}

function apexNs(ctx: Ctx, owner: string): Result {
  const ip = kubeDnsIp(ctx.view);
  // A reverse zone's NS still names the Service in the forward zone.
  const zone = isReverse(ctx.zone) ? primaryZone(ctx.config) : ctx.zoneAsked;
  if (ip === undefined) return { answers: [record(ctx, owner, 'NS', join('ns', 'dns', zone))], additionals: [] };
  const target = join(KUBE_DNS.name, KUBE_DNS.namespace, 'svc', zone);
  return { answers: [record(ctx, owner, 'NS', target)], additionals: [record(ctx, target, 'A', ip)] };
}

/** Service cluster IPs first (the first match only), then ready endpoints (reverse.go). */
function reverseTargets(ctx: Ctx, ip: string): string[] {
  const zone = primaryZone(ctx.config);
  const key = addressKey(ip);
  const filtered = ctx.config.namespaces !== undefined && ctx.config.namespaces.length > 0;
  const allowed = (ns: string) => !filtered || exposed(ctx, ns);
  const svc = ctx.view.services.find((s) => s.clusterIP && s.clusterIP !== 'None' && (s.clusterIPs ?? [s.clusterIP]).some((c) => addressKey(c) === key) && allowed(s.namespace));
  if (svc) return [join(svc.name, svc.namespace, 'svc', zone)];
  if (ctx.config.noendpoints) return [];
  const out = new Set<string>();
  for (const e of ctx.view.endpoints) {
    if (!allowed(e.namespace)) continue;
    for (const a of e.addresses) if (a.ready && addressKey(a.ip) === key) out.add(join(endpointName(a, ctx.config), e.service, e.namespace, 'svc', zone));
  }
  return [...out];
}

function answerReverse(ctx: Ctx, owner: string, name: string, qtype: string): Result {
  if (name === ctx.zone) {
    if (qtype === 'NS') return apexNs(ctx, owner);
    if (qtype === 'SOA') return { answers: [soaRecord(ctx)], additionals: [] };
    return 'nodata';
  }
  // CoreDNS: TXT and SOA below the apex are NOERROR, any name; another type than PTR finds no records (NXDOMAIN).
  if (qtype === 'TXT' || qtype === 'SOA') return 'nodata';
  if (qtype !== 'PTR') return NX;
  const ip = addressFromReverse(name);
  const targets = ip === undefined ? [] : reverseTargets(ctx, ip);
  if (targets.length === 0) return NX;
  return { answers: targets.map((t) => record(ctx, owner, 'PTR', t)), additionals: [] };
}

function answer(ctx: Ctx, owner: string, qtype: string): Result {
  const name = owner.toLowerCase();
  if (isReverse(name)) return answerReverse(ctx, owner, name, qtype);
  if (name === ctx.zone && qtype === 'NS') return apexNs(ctx, owner);
  if (name === ctx.zone && qtype === 'SOA') return { answers: [soaRecord(ctx)], additionals: [] };
  if (name === join('dns-version', ctx.zone) && qtype === 'TXT')
    return { answers: [{ name: owner, type: 'TXT', class: 'IN', ttl: DNS_VERSION_TTL, data: [DNS_SCHEMA_VERSION] }], additionals: [] };
  // CoreDNS: a TXT question has no answer but dns-version's, and SOA only the apex's, whether the name exists or not.
  if (qtype === 'TXT' || qtype === 'SOA') return 'nodata';
  // Any other type of dns-version is looked up as a Service name, which it is not.
  if (name === join('dns-version', ctx.zone)) return NX;
  if (name === join('ns', 'dns', ctx.zone)) {
    const ip = kubeDnsIp(ctx.view);
    return qtype === 'A' && ip !== undefined ? { answers: [record(ctx, owner, 'A', ip)], additionals: [] } : 'nodata';
  }
  switch (qtype) {
    case 'A':
    case 'AAAA': {
      const out = addresses(ctx, owner, qtype === 'A' ? 4 : 6, []);
      return out === NX ? NX : { answers: out, additionals: [] };
    }
    case 'SRV':
      return srv(ctx, owner);
    case 'CNAME': {
      const found = lookup(ctx, name);
      if (found === NX) return NX;
      const first = found[0];
      return first && isIP(first.host) === 0 ? { answers: [record(ctx, owner, 'CNAME', first.host)], additionals: [] } : 'nodata';
    }
    default:
      // CoreDNS's "fake A lookup": the name exists or not, whatever the type.
      return lookup(ctx, name) === NX ? NX : 'nodata';
  }
}

/** The longest of `zones` holding `name` (lower case, dns-packet form). */
function matchZone(zones: string[], name: string): string | undefined {
  let best: string | undefined;
  for (const z of zones.map(normalizeZone)) if (inZone(name, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

/** `fallthrough` alone: every zone; `fallthrough a b`: names in those zones; absent: none. */
function fallsThrough(config: KubernetesConfig, name: string): boolean {
  if (config.fallthrough === undefined) return false;
  return config.fallthrough.length === 0 || config.fallthrough.some((z) => inZone(name, normalizeZone(z)));
}

/**
 * The plugin's answer to `qname`/`qtype` (qname as asked: any case, trailing dot or not; answers
 * keep its case). 'fallthrough' when the name is outside the plugin's zones, or would be NXDOMAIN
 * in a fallthrough zone. `serial` is the SOA serial (CoreDNS: when the cluster data last changed).
 * `outside` answers for ExternalName targets outside the zone (none: the CNAME alone).
 */
export function lookupKubernetes(config: KubernetesConfig, view: ClusterView, qname: string, qtype: string, serial = 1, outside?: Outside): DnsResponse | 'fallthrough' {
  const asked = bare(qname);
  const name = asked.toLowerCase();
  const zone = matchZone(config.zones, name);
  if (zone === undefined) return 'fallthrough';
  const ctx: Ctx = { config, view, zone, zoneAsked: zone === '' ? '' : asked.slice(asked.length - zone.length), serial, ...(outside ? { outside } : {}) };
  // Zone transfers are refused (CoreDNS needs the transfer plugin for them).
  if (qtype === 'AXFR' || qtype === 'IXFR') return { rcode: 'REFUSED', aa: false, answers: [], authorities: [], additionals: [] };
  const result = answer(ctx, asked, qtype);
  if (result === NX && fallsThrough(config, name)) return 'fallthrough';
  if (result === NX || result === 'nodata' || result.answers.length === 0) {
    return { rcode: result === NX ? 'NXDOMAIN' : 'NOERROR', aa: true, answers: [], authorities: [soaRecord(ctx)], additionals: [] };
  }
  return { rcode: 'NOERROR', aa: true, answers: result.answers, authorities: [], additionals: result.additionals };
}

/** The question's name as the client wrote it, unless a plugin before this one rewrote it. */
function askedName(req: DnsRequest): string {
  const written = req.msg.questions?.[0]?.name;
  return written !== undefined && `${bare(written).toLowerCase()}.` === (req.qname === '.' ? '.' : req.qname) ? written : req.qname;
}

/**
 * The `kubernetes` plugin over a changing cluster: `view()` is called per query. The SOA serial
 * is the Unix time at which a new view was first seen (CoreDNS: the last change it watched).
 */
export function kubernetesPlugin(config: KubernetesConfig, view: () => ClusterView): Plugin {
  let last: ClusterView | undefined;
  let serial = Math.floor(Date.now() / 1000);
  return {
    name: 'kubernetes',
    async serve(req: DnsRequest, next: Next): Promise<DnsResponse> {
      const current = view();
      if (last !== undefined && current !== last) serial = Math.max(serial + 1, Math.floor(Date.now() / 1000));
      last = current;
      const asked = askedName(req);
      // A first pass notes the out-of-zone targets to resolve; only an ExternalName has any.
      const wanted: { name: string; qtype: 'A' | 'AAAA' }[] = [];
      const res = lookupKubernetes(config, current, asked, req.qtype, serial, (name, qtype) => {
        wanted.push({ name, qtype });
        return [];
      });
      if (res === 'fallthrough') return next(req);
      if (wanted.length === 0 || !req.upstream) return res;
      const answers = new Map<string, Answer[]>();
      for (const w of wanted) answers.set(`${w.name.toLowerCase()} ${w.qtype}`, (await req.upstream(w.name, w.qtype)).answers);
      const full = lookupKubernetes(config, current, asked, req.qtype, serial, (name, qtype) => answers.get(`${name.toLowerCase()} ${qtype}`) ?? []);
      return full === 'fallthrough' ? next(req) : full;
    },
    ready: () => true,
    // An ExternalName's out-of-zone answer comes from req.upstream, which keeps that one answer
    // out of the replay cache (server.ts); every other answer depends on the view alone.
    // main.ts replaces the view object whenever cluster.json changes (the index above relies on
    // that too); the SOA serial moves only then, on the first query that sees the new view.
    replayToken: view,
  };
}
