/**
 * `forward FROM TO… { … }` → ForwardConfig (coredns.io/plugins/forward). podlab forwards plain
 * DNS over UDP and TCP to IP addresses or to the nameservers of a resolv.conf-style file; DNS
 * over TLS/HTTPS, upstreams named by host name, and the rcode-driven chaining (`next`,
 * `failover`) are not implemented and say so. Connection tuning is accepted and ignored.
 */
import type { Directive, ForwardConfig, Token, Upstream } from '../../types.ts';
import { arity, durationOf, EMPTY_HINT, fileOf, intOf, oneOf, properties, type Scope, shown, zones } from '../../corefile/check.ts';
import { hostPort, isIPv4Address, isIPv6Address } from '../../corefile/names.ts';

/** CoreDNS's limit on TO… (forward/setup.go `max`). */
const MAX_UPSTREAMS = 15;

const USAGE = 'forward FROM TO... (TO: IP[:PORT], dns://IP[:PORT] or a resolv.conf-style file)';

export function setupForward(d: Directive, s: Scope): ForwardConfig | undefined {
  if (!arity(s, '', d.pos, d.args, 2, Infinity, USAGE)) return undefined;
  const [fromTok, ...toToks] = d.args as [Token, ...Token[]];
  // CoreDNS uses only the first zone of a CIDR that stands for several ("not fully supported").
  const fromZones = zones(s, [fromTok], 'FROM zone', 'overlap');
  if (fromZones.length > 1) {
    s.warn('PL4022', fromTok.pos, `FROM "${fromTok.text}" stands for ${fromZones.length} reverse zones; CoreDNS forwards only the first, ${fromZones[0]}`, 'Write one forward per zone, or a CIDR on an octet boundary.');
  }
  if (toToks.length > MAX_UPSTREAMS) {
    s.error('PL4014', toToks[MAX_UPSTREAMS]!.pos, `has ${toToks.length} upstreams; CoreDNS allows at most ${MAX_UPSTREAMS}`, 'Keep 15 upstreams or fewer.');
  }
  const to = toToks.map((t) => upstream(s, t)).filter((u): u is Upstream => u !== undefined);
  const config: ForwardConfig = {
    plugin: 'forward',
    from: fromZones[0] ?? '.',
    to,
    except: [],
    policy: 'random',
    maxFails: 2,
    healthCheckMs: 500,
    forceTcp: false,
    preferUdp: false,
    timeoutMs: 2000,
  };
  properties(s, d, {
    handlers: {
      except: (p) => {
        if (arity(s, 'property "except"', p.pos, p.args, 1, Infinity, 'except IGNORED_NAMES...')) config.except = zones(s, p.args, 'except zone', 'any');
      },
      force_tcp: (p) => {
        arity(s, 'property "force_tcp"', p.pos, p.args, 0, 0, 'force_tcp');
        config.forceTcp = true;
      },
      prefer_udp: (p) => {
        arity(s, 'property "prefer_udp"', p.pos, p.args, 0, 0, 'prefer_udp');
        config.preferUdp = true;
      },
      max_fails: (p) => {
        if (arity(s, 'property "max_fails"', p.pos, p.args, 1, 1, 'max_fails INTEGER')) config.maxFails = intOf(s, p.args[0]!, 'property "max_fails"', 0) ?? config.maxFails;
      },
      health_check: (p) => healthCheck(s, p, config),
      policy: (p) => {
        if (arity(s, 'property "policy"', p.pos, p.args, 1, 1, 'policy random|round_robin|sequential')) {
          config.policy = oneOf(s, p.args[0]!, 'property "policy"', ['random', 'round_robin', 'sequential'] as const) ?? config.policy;
        }
      },
      max_concurrent: (p) => {
        if (arity(s, 'property "max_concurrent"', p.pos, p.args, 1, 1, 'max_concurrent MAX')) config.maxConcurrent = intOf(s, p.args[0]!, 'property "max_concurrent"', 0);
      },
      expire: (p) => {
        if (arity(s, 'property "expire"', p.pos, p.args, 1, 1, 'expire DURATION') && durationOf(s, p.args[0]!, 'property "expire"') !== undefined) {
          s.warn('PL4016', p.pos, 'property "expire" is accepted but ignored by podlab: it opens a connection per query and caches none');
        }
      },
    },
    ignored: {
      max_idle_conns: 'podlab caches no upstream connections',
      max_connect_attempts: 'podlab tries each upstream once per query',
      failfast_all_unhealthy_upstreams: 'podlab always tries an upstream',
    },
    unsupported: {
      tls: 'DNS over TLS client certificates',
      tls_servername: 'the TLS server name for DNS over TLS',
      doh_method: 'the HTTP method for DNS over HTTPS',
      next: 'handing NXDOMAIN and other rcodes to the next forward',
      next_on_nodata: 'handing NODATA answers to the next forward',
      failover: 'trying the next upstream on SERVFAIL and other rcodes',
      resolver: 'resolving upstream host names',
    },
  });
  return config;
}

/** `health_check DURATION [no_rec] [domain FQDN]`. */
function healthCheck(s: Scope, p: Directive, config: ForwardConfig): void {
  if (!arity(s, 'property "health_check"', p.pos, p.args, 1, 4, 'health_check DURATION [no_rec] [domain FQDN]')) return;
  config.healthCheckMs = durationOf(s, p.args[0]!, 'property "health_check"') ?? config.healthCheckMs;
  for (let i = 1; i < p.args.length; i++) {
    const a = p.args[i]!;
    if (a.text === 'no_rec') {
      s.warn('PL4016', a.pos, 'health_check option "no_rec" is accepted but ignored by podlab: its health checks always ask ". IN NS" with recursion desired');
    } else if (a.text === 'domain') {
      const fq = p.args[++i];
      if (!fq) s.error('PL4008', a.pos, 'health_check option "domain" is missing its FQDN', 'Usage: health_check DURATION [no_rec] [domain FQDN]');
      else s.warn('PL4016', a.pos, 'health_check option "domain" is accepted but ignored by podlab: its health checks always ask ". IN NS"');
    } else {
      s.error('PL4004', a.pos, `health_check takes the options no_rec and domain FQDN, not ${shown(a)}`, 'Usage: health_check DURATION [no_rec] [domain FQDN]');
    }
  }
}

const SCHEMES: Record<string, string> = { tls: 'DNS over TLS', https: 'DNS over HTTPS', grpc: 'DNS over gRPC', quic: 'DNS over QUIC' };

/** One TO: `IP`, `IP:PORT`, `[IPv6]:PORT`, with an optional `dns://`, or a resolv.conf-style file. */
function upstream(s: Scope, t: Token): Upstream | undefined {
  if (t.text === '') {
    s.error('PL4004', t.pos, 'an upstream is an empty argument', EMPTY_HINT);
    return undefined;
  }
  let text = t.text;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name !== 'dns') {
      if (SCHEMES[name]) s.error('PL4015', t.pos, `upstream "${t.text}" uses ${SCHEMES[name]}, which podlab does not support`, `Forward plain DNS: write "${text.slice(scheme[0].length)}" or "dns://${text.slice(scheme[0].length)}".`);
      else s.error('PL4004', t.pos, `upstream "${t.text}" has the unknown scheme "${name}://"`, 'Write IP[:PORT] or dns://IP[:PORT].');
      return undefined;
    }
    text = text.slice(scheme[0].length);
  }
  if (isIPv4Address(text) || isIPv6Address(text)) return { text: t.text, pos: t.pos, address: { ip: text, port: 53 } };
  if (/^\[.*\]:[^:]*$/.test(text) || /^[^:]*:[^:]*$/.test(text)) {
    const hp = hostPort(text);
    if (hp.ok && (isIPv4Address(hp.value.host) || isIPv6Address(hp.value.host))) return { text: t.text, pos: t.pos, address: { ip: hp.value.host, port: hp.value.port } };
    const why = hp.ok ? `"${hp.value.host}" is not an IP address` : hp.reason;
    s.error('PL4004', t.pos, `upstream "${t.text}" is not IP:PORT: ${why}`, 'Write an IP address with an optional port, e.g. 10.0.0.10 or 10.0.0.10:5353 or [2001:db8::53]:53.');
    return undefined;
  }
  if (scheme || /^[\d.]+$/.test(text) || /^[0-9a-f:]+$/i.test(text)) {
    s.error('PL4004', t.pos, `upstream ${shown(t)} is not a valid IP address`, 'Write an IPv4 or IPv6 address, e.g. 10.0.0.10 or 2001:db8::53.');
    return undefined;
  }
  if (!text.includes('/') && !s.ctx.files?.has(text)) {
    // Recent CoreDNS resolves host names at startup; podlab needs addresses.
    s.error('PL4015', t.pos, `upstream ${shown(t)} is neither an IP address nor a path to a resolv.conf-style file; forwarding to a host name is not supported by podlab`, text.includes('.') ? `If it is a file, write it as a path, e.g. "./${text}"; otherwise write the upstream's IP address.` : 'Write the upstream\'s IP address.');
    return undefined;
  }
  const file = fileOf(s, t, 'upstream file');
  return file === undefined ? undefined : { text: t.text, pos: t.pos, file };
}
