/**
 * What podlab knows about CoreDNS's plugins beyond the ones it implements: the names CoreDNS
 * ships (plugin.cfg, v1.12), which of them podlab accepts and ignores, and which were removed
 * from CoreDNS long ago but still turn up in old Corefiles. The implemented plugins and their
 * setup functions live in setup.ts's registry; this module is only names and reasons.
 */
import type { PluginName } from '../types.ts';

/** Every plugin podlab implements (the PluginConfig union), in CoreDNS's plugin.cfg order. */
export const IMPLEMENTED: readonly PluginName[] = [
  'reload', 'ready', 'health', 'prometheus', 'errors', 'log', 'loadbalance', 'cache', 'rewrite',
  'template', 'hosts', 'kubernetes', 'file', 'loop', 'forward', 'whoami',
];

/**
 * Plugins podlab accepts and ignores, with a warning: they tune the server (listen address,
 * buffer sizes, debug logging) without changing which answers a lab sees.
 */
export const IGNORED_PLUGINS: Readonly<Record<string, string>> = {
  bind: 'podlab\'s DNS server listens on every address of its own network namespace',
  bufsize: 'podlab\'s DNS server answers with the EDNS0 buffer size the client offers',
  debug: 'podlab\'s DNS server never recovers from panics silently; its log already shows failures',
};

/** CoreDNS plugins podlab does not implement (PL4003), with what they do, for the message. */
export const UNSUPPORTED_PLUGINS: Readonly<Record<string, string>> = {
  acl: 'access control lists',
  any: 'RFC 8482 answers to ANY queries',
  auto: 'zone files loaded from a directory',
  autopath: 'server-side search path completion',
  azure: 'Azure DNS zones',
  cancel: 'request cancellation',
  chaos: 'CH class version.bind answers',
  clouddns: 'Google Cloud DNS zones',
  dns64: 'DNS64 AAAA synthesis',
  dnssec: 'on-the-fly DNSSEC signing',
  dnstap: 'dnstap logging',
  erratic: 'deliberately erratic answers',
  etcd: 'SkyDNS records from etcd',
  geoip: 'GeoIP metadata',
  grpc: 'forwarding over gRPC',
  grpc_server: 'a gRPC server',
  header: 'header flag rewriting',
  k8s_external: 'answers for Services\' external IPs',
  local: 'answers for localhost names',
  metadata: 'request metadata',
  minimal: 'minimal responses (no authority and additional sections)',
  multisocket: 'several listening sockets per server',
  nomad: 'Nomad service records',
  nsid: 'the EDNS0 NSID option',
  on: 'event hooks',
  pprof: 'the Go profiler',
  root: 'a root directory for relative paths',
  route53: 'AWS Route 53 zones',
  rrl: 'response rate limiting',
  secondary: 'secondary zones by zone transfer',
  sign: 'zone signing',
  timeouts: 'server timeouts',
  tls: 'DNS over TLS serving',
  trace: 'OpenTracing',
  transfer: 'zone transfers',
  tsig: 'TSIG authentication',
  view: 'views (answers that depend on the client)',
};

/** Directives that older CoreDNS releases had, with what to write instead (still PL4002). */
export const REMOVED_PLUGINS: Readonly<Record<string, string>> = {
  proxy: 'CoreDNS removed "proxy" in 1.5.0; use "forward" (e.g. "forward . 8.8.8.8")',
  federation: 'CoreDNS removed "federation" in 1.7.0; Kubernetes federation DNS is gone',
  upstream: '"upstream" is not a plugin; forward queries with "forward"',
};

/** Every name CoreDNS would recognise as a plugin, for "did you mean" and for parse.ts. */
export const ALL_PLUGIN_NAMES: readonly string[] = [
  ...IMPLEMENTED,
  ...Object.keys(IGNORED_PLUGINS),
  ...Object.keys(UNSUPPORTED_PLUGINS),
].sort();
