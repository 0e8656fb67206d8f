/**
 * The shared vocabulary of podlab's DNS server: the Corefile as parsed, each plugin's typed
 * configuration (what the Corefile's directives mean once checked), the cluster data the
 * `kubernetes` plugin answers from, and the request/response shapes plugins pass along.
 *
 * Flow: Corefile text → parse (corefile/parse.ts: syntax, snippets, env) → setup
 * (corefile/setup.ts: each directive's arguments → a PluginConfig, or a coded issue with the
 * Corefile's own line and column) → server (server.ts: sockets, one plugin chain per server
 * block, ordered as CoreDNS's plugin.cfg orders them, not as the file does).
 */
import type { Answer, Packet, RecordType } from 'dns-packet';

/** 1-based line and column in the Corefile text. */
export interface Pos {
  line: number;
  col: number;
}

export interface Token {
  text: string;
  pos: Pos;
  /** Written in quotes: never a brace, never an env placeholder to expand. */
  quoted: boolean;
}

/** A plugin directive, or a property line inside a plugin's block (same shape, one level down). */
export interface Directive {
  name: string;
  pos: Pos;
  args: Token[];
  /** The `{ … }` block after the arguments, if any: its lines as directives. */
  block?: Directive[];
}

export interface ServerKey {
  /** The zone as written, e.g. `cluster.local:53` or `.`. */
  text: string;
  pos: Pos;
  /** Fully qualified, lower case, with the trailing dot: `cluster.local.`, `.`. */
  zone: string;
  /** @default 53 */
  port: number;
}

export interface ServerBlock {
  keys: ServerKey[];
  directives: Directive[];
  pos: Pos;
}

export interface Corefile {
  servers: ServerBlock[];
}

export interface CorefileIssue {
  /** A podlab diagnostic code, PL40xx. */
  code: string;
  message: string;
  pos: Pos;
  hint?: string;
  severity: 'error' | 'warning';
}

// ── Plugin configurations (what setup makes of each directive) ────────────────────────────────

/** A fallthrough list: `fallthrough` alone means every zone ([]); absent means none (undefined). */
export type Fallthrough = string[] | undefined;

export interface KubernetesConfig {
  plugin: 'kubernetes';
  /** Zones the plugin is authoritative for; the server block's zones when none are given. */
  zones: string[];
  /** @default 'disabled' */
  pods: 'disabled' | 'insecure' | 'verified';
  fallthrough: Fallthrough;
  /** @default 5 */
  ttl: number;
  /** Headless endpoints are named by their pod's name instead of the dashed IP. */
  endpointPodNames: boolean;
  /** Only these namespaces are exposed; all when undefined. */
  namespaces?: string[];
  /** Do not serve endpoint (headless) records. */
  noendpoints: boolean;
}

export interface Upstream {
  /** As written (`10.0.0.2`, `dns://10.0.0.2:5353`, `/etc/resolv.conf`). */
  text: string;
  pos: Pos;
  /** An address and port, or a resolv.conf-style file whose nameservers are the upstreams. */
  address?: { ip: string; port: number };
  file?: string;
}

export interface ForwardConfig {
  plugin: 'forward';
  /** The zone forwarded, `.` for everything. */
  from: string;
  to: Upstream[];
  except: string[];
  /** @default 'random' */
  policy: 'random' | 'round_robin' | 'sequential';
  /** Queries in flight over all upstreams before REFUSED. @default undefined (no limit) */
  maxConcurrent?: number;
  /** Failed queries before an upstream is considered down. @default 2 */
  maxFails: number;
  /** Health-check interval in ms. @default 500 */
  healthCheckMs: number;
  forceTcp: boolean;
  preferUdp: boolean;
  /** Per-attempt timeout (CoreDNS adapts this; podlab uses a fixed value). @default 2000 */
  timeoutMs: number;
}

export interface HostsEntry {
  ip: string;
  names: string[];
  pos: Pos;
}

export interface HostsConfig {
  plugin: 'hosts';
  /** A hosts(5) file; inline entries only when undefined. Relative paths are relative to the Corefile's directory. */
  file?: string;
  zones: string[];
  inline: HostsEntry[];
  /** @default 3600 */
  ttl: number;
  noReverse: boolean;
  fallthrough: Fallthrough;
  /** How often to re-read the file, ms; 0 = never. @default 5000 */
  reloadMs: number;
}

export interface FileConfig {
  plugin: 'file';
  /** Zone file path; relative to the Corefile's directory. */
  file: string;
  /** Origins served; the server block's zones when none are given. */
  zones: string[];
  /** @default 60000 */
  reloadMs: number;
}

export interface CacheConfig {
  plugin: 'cache';
  /** Cap on positive TTLs, s. @default 3600 */
  successTtl: number;
  /** Capacity of the positive cache. @default 9984 */
  successCapacity: number;
  /** Minimum positive TTL, s. @default 5 */
  successMinTtl: number;
  /** Cap on negative TTLs, s. @default 1800 */
  denialTtl: number;
  denialCapacity: number;
  denialMinTtl: number;
  /** SERVFAIL caching, s (0 disables). @default 5 */
  servfailTtl: number;
  /** Zones cached; all the server block's zones when empty. */
  zones: string[];
  /** `disable success|denial [zones…]`: zones for which that kind of answer is not cached. */
  disableSuccess: string[];
  disableDenial: string[];
}

export type LogClass = 'all' | 'success' | 'denial' | 'error';

export interface LogConfig {
  plugin: 'log';
  /** Names (zones) whose queries are logged; all when empty. */
  names: string[];
  classes: LogClass[];
}

export interface ErrorsConfig {
  plugin: 'errors';
}

export interface HealthConfig {
  plugin: 'health';
  /** @default ':8080' */
  address: string;
  port: number;
  lameduckMs: number;
}

export interface ReadyConfig {
  plugin: 'ready';
  /** @default ':8181' */
  address: string;
  port: number;
}

export interface PrometheusConfig {
  plugin: 'prometheus';
  /** @default 'localhost:9153' */
  address: string;
  port: number;
}

export type RewriteMatch = 'exact' | 'prefix' | 'suffix' | 'substring' | 'regex';

export interface RewriteRule {
  pos: Pos;
  /** `stop` (default): no later rule applies after this one matched; `continue`: later rules see the result. */
  mode: 'stop' | 'continue';
  /** Only `name` rules are supported (CoreDNS also has type, class, edns0, ttl, …). */
  field: 'name';
  match: RewriteMatch;
  /** FQDN for exact/prefix/suffix/substring as written (lower case); a source pattern for regex. */
  from: string;
  to: string;
  /**
   * How answers get the original name back: `answer auto` (CoreDNS ≥1.9 names the answer after
   * the question as asked), or an explicit `answer name <regex> <replacement>`; always 'auto'
   * unless an explicit answer rule is written.
   */
  answer: { kind: 'auto' } | { kind: 'name'; from: string; to: string };
}

export interface RewriteConfig {
  plugin: 'rewrite';
  rules: RewriteRule[];
}

export interface LoadbalanceConfig {
  plugin: 'loadbalance';
  policy: 'round_robin';
}

export interface TemplateConfig {
  plugin: 'template';
  qclass: string;
  qtype: string;
  zones: string[];
  /** Regular expressions (source) matched against the query name; named groups feed the templates. */
  match: string[];
  /** RR templates (Go text/template-like `{{ .Name }}`, `{{ .Group.x }}`), one record each. */
  answer: string[];
  additional: string[];
  authority: string[];
  /** @default 'NOERROR' */
  rcode: string;
  fallthrough: Fallthrough;
}

export interface ReloadConfig {
  plugin: 'reload';
  /** @default 30000 */
  intervalMs: number;
  /** @default 15000 */
  jitterMs: number;
}

export interface LoopConfig {
  plugin: 'loop';
}

export interface WhoamiConfig {
  plugin: 'whoami';
}

export type PluginConfig =
  | KubernetesConfig
  | ForwardConfig
  | HostsConfig
  | FileConfig
  | CacheConfig
  | LogConfig
  | ErrorsConfig
  | HealthConfig
  | ReadyConfig
  | PrometheusConfig
  | RewriteConfig
  | LoadbalanceConfig
  | TemplateConfig
  | ReloadConfig
  | LoopConfig
  | WhoamiConfig;

export type PluginName = PluginConfig['plugin'];

/**
 * CoreDNS's plugin.cfg order (the subset podlab implements): a query passes the plugins of its
 * server block in this order whatever order the Corefile lists them in.
 */
export const PLUGIN_ORDER: readonly PluginName[] = [
  'reload',
  'ready',
  'health',
  'prometheus',
  'errors',
  'log',
  'loadbalance',
  'cache',
  'rewrite',
  'template',
  'hosts',
  'kubernetes',
  'file',
  'loop',
  'forward',
  'whoami',
];

/** A checked server block: its zones and port, and its plugins already in PLUGIN_ORDER. */
export interface ServerConfig {
  zones: string[];
  port: number;
  pos: Pos;
  plugins: PluginConfig[];
}

// ── Cluster data: what the `kubernetes` plugin would learn from the API server ────────────────

export interface ClusterServicePort {
  name?: string;
  port: number;
  protocol: 'TCP' | 'UDP';
}

export interface ClusterService {
  name: string;
  namespace: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** An IPv4 or IPv6 address (the primary family's), or 'None' for a headless Service; absent for ExternalName. */
  clusterIP?: string;
  /** A dual-stack Service's cluster IPs, primary first (clusterIP is the first); absent for single stack. */
  clusterIPs?: string[];
  externalName?: string;
  ports: ClusterServicePort[];
}

export interface ClusterEndpointAddress {
  ip: string;
  /** The pod's `hostname` when its `subdomain` is the Service's name (per the DNS spec). */
  hostname?: string;
  podName?: string;
  nodeName?: string;
  ready: boolean;
}

export interface ClusterEndpoints {
  service: string;
  namespace: string;
  addresses: ClusterEndpointAddress[];
  /** The endpoint ports (target ports), named as the Service's ports are. */
  ports: ClusterServicePort[];
}

export interface ClusterPod {
  name: string;
  namespace: string;
  ip: string;
  hostNetwork: boolean;
}

export interface ClusterView {
  namespaces: string[];
  services: ClusterService[];
  endpoints: ClusterEndpoints[];
  pods: ClusterPod[];
}

// ── Requests and responses inside the server ─────────────────────────────────────────────────

export interface DnsRequest {
  /** The query as decoded (the plugins may rewrite a copy). */
  msg: Packet;
  /** The first question, lower-cased name with trailing dot. */
  qname: string;
  qtype: RecordType | string;
  qclass: string;
  client: { address: string; port: number; transport: 'udp' | 'tcp' };
  /** Largest UDP response the client accepts: 512, or its EDNS0 payload size. */
  maxSize: number;
  /** The server block's zone that matched the question. */
  zone: string;
  /**
   * The server itself, for a plugin that must resolve a name it does not serve (CoreDNS's
   * plugin/pkg/upstream, which the kubernetes plugin uses for an ExternalName's target): the
   * question goes to the block serving `name` on this port, as if this client had asked it, down
   * that block's whole chain. Never throws (a failure is a SERVFAIL response). Absent in a request
   * built outside a server, and past the server's nesting limit.
   * @default undefined
   */
  upstream?: (name: string, qtype: string) => Promise<DnsResponse>;
}

/** What a plugin hands back up the chain: a whole response message (id and question filled by the server). */
export interface DnsResponse {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'FORMERR' | 'NOTIMP';
  /** Authoritative answer bit. */
  aa: boolean;
  /** Truncated: an upstream's TC bit passed on (the server also sets it when an answer does not fit). */
  tc?: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** Set by plugins for logging/metrics (e.g. which upstream answered). */
  note?: string;
}

export type Next = (req: DnsRequest) => Promise<DnsResponse>;

export interface Plugin {
  name: PluginName;
  serve(req: DnsRequest, next: Next): Promise<DnsResponse>;
  /** Background work (health checks, file reloads) to stop at shutdown. */
  close?(): void;
  /** For the `ready` plugin: true once the plugin can answer. */
  ready?(): boolean;
  /**
   * For the server's replay cache (server.ts): defined only by a plugin whose answer depends on
   * nothing but the query's bytes (all but its ID), the port, the transport and the state this
   * returns — a value compared with `===`, a new one meaning the answers may have changed (the
   * cluster view, a re-read file). A plugin that reads the client's address, the clock or chance,
   * asks an upstream, keeps per-query state (`cache`) or must see every query (`log`) leaves it
   * undefined, and then no answer of its server block is replayed. Called once per replayed query:
   * keep it cheap.
   * @default undefined (not replayable)
   */
  replayToken?(): unknown;
}
