/**
 * `cache [TTL] [ZONES…] { … }` → CacheConfig (coredns.io/plugins/cache). Positive, negative and
 * SERVFAIL caching with their capacities and TTL bounds are implemented; prefetching, serving
 * stale answers and keeping original TTLs are accepted (and checked) but ignored with a warning.
 */
import type { CacheConfig, Directive, Token } from '../../types.ts';
import { arity, durationOf, intOf, oneOf, properties, type Scope, zones, zonesOrServer } from '../../corefile/check.ts';
import { integer } from '../../corefile/names.ts';

/** CoreDNS's default capacity: 256 shards of 39 entries. */
const DEFAULT_CAPACITY = 9984;
/** CoreDNS caps `servfail` at 5 minutes. */
const MAX_SERVFAIL_MS = 5 * 60_000;

export function setupCache(d: Directive, s: Scope): CacheConfig {
  let zoneToks: readonly Token[] = d.args;
  const config: CacheConfig = {
    plugin: 'cache',
    successTtl: 3600,
    successCapacity: DEFAULT_CAPACITY,
    successMinTtl: 5,
    denialTtl: 1800,
    denialCapacity: DEFAULT_CAPACITY,
    denialMinTtl: 5,
    servfailTtl: 5,
    zones: [],
    disableSuccess: [],
    disableDenial: [],
  };
  // As CoreDNS: a first argument that is a number is the TTL, anything else starts the zones.
  if (d.args[0] && integer(d.args[0].text) !== undefined) {
    const ttl = intOf(s, d.args[0], 'TTL', 1);
    if (ttl !== undefined) config.successTtl = config.denialTtl = ttl;
    zoneToks = d.args.slice(1);
  }
  config.zones = zonesOrServer(s, zoneToks, 'zone');
  properties(s, d, {
    handlers: {
      success: (p) => {
        const r = capacityTtl(s, p);
        if (r) [config.successCapacity, config.successTtl, config.successMinTtl] = [r.capacity, r.ttl ?? config.successTtl, r.minTtl ?? config.successMinTtl];
      },
      denial: (p) => {
        const r = capacityTtl(s, p);
        if (r) [config.denialCapacity, config.denialTtl, config.denialMinTtl] = [r.capacity, r.ttl ?? config.denialTtl, r.minTtl ?? config.denialMinTtl];
      },
      servfail: (p) => {
        if (!arity(s, 'property "servfail"', p.pos, p.args, 1, 1, 'servfail DURATION (0 disables, at most 5m)')) return;
        const ms = durationOf(s, p.args[0]!, 'property "servfail"');
        if (ms !== undefined && ms > MAX_SERVFAIL_MS) s.error('PL4018', p.args[0]!.pos, `property "servfail" must be at most 5m, not "${p.args[0]!.text}"`);
        else if (ms !== undefined) config.servfailTtl = ms / 1000;
      },
      disable: (p) => {
        if (!arity(s, 'property "disable"', p.pos, p.args, 1, Infinity, 'disable success|denial [ZONES...]')) return;
        const kind = oneOf(s, p.args[0]!, 'property "disable"', ['success', 'denial'] as const);
        // Without zones, CoreDNS disables that kind of caching for all of the cache's zones.
        const zs = p.args.length > 1 ? zones(s, p.args.slice(1), 'disable zone', 'any') : [...config.zones];
        if (kind === 'success') config.disableSuccess.push(...zs.filter((z) => !config.disableSuccess.includes(z)));
        if (kind === 'denial') config.disableDenial.push(...zs.filter((z) => !config.disableDenial.includes(z)));
      },
      prefetch: (p) => {
        if (!arity(s, 'property "prefetch"', p.pos, p.args, 1, 3, 'prefetch AMOUNT [[DURATION] [PERCENTAGE%]]')) return;
        const amount = intOf(s, p.args[0]!, 'prefetch AMOUNT', 0);
        const dur = p.args[1] ? durationOf(s, p.args[1], 'prefetch DURATION') : 0;
        const pct = p.args[2] ? percentage(s, p.args[2]) : 0;
        if (amount !== undefined && dur !== undefined && pct !== undefined) s.warn('PL4016', p.pos, 'property "prefetch" is accepted but ignored by podlab: it does not refresh popular entries early');
      },
      serve_stale: (p) => {
        if (!arity(s, 'property "serve_stale"', p.pos, p.args, 0, 2, 'serve_stale [DURATION] [REFRESH_MODE]')) return;
        const dur = p.args[0] ? durationOf(s, p.args[0], 'serve_stale DURATION') : 0;
        const mode = p.args[1] ? oneOf(s, p.args[1], 'serve_stale REFRESH_MODE', ['immediate', 'verify']) : 'immediate';
        if (dur !== undefined && mode !== undefined) s.warn('PL4016', p.pos, 'property "serve_stale" is accepted but ignored by podlab: expired entries are never served');
      },
      keepttl: (p) => {
        if (arity(s, 'property "keepttl"', p.pos, p.args, 0, 0, 'keepttl')) s.warn('PL4016', p.pos, 'property "keepttl" is accepted but ignored by podlab: cached answers count their TTL down');
      },
    },
    repeatable: ['disable'],
  });
  return config;
}

/** `success|denial CAPACITY [TTL] [MINTTL]`. */
function capacityTtl(s: Scope, p: Directive): { capacity: number; ttl?: number; minTtl?: number } | undefined {
  if (!arity(s, `property "${p.name}"`, p.pos, p.args, 1, 3, `${p.name} CAPACITY [TTL] [MINTTL]`)) return undefined;
  const capacity = intOf(s, p.args[0]!, `${p.name} CAPACITY`, 0);
  const ttl = p.args[1] ? intOf(s, p.args[1], `${p.name} TTL`, 1) : undefined;
  const minTtl = p.args[2] ? intOf(s, p.args[2], `${p.name} MINTTL`, 0) : undefined;
  if (capacity === undefined || (p.args[1] && ttl === undefined) || (p.args[2] && minTtl === undefined)) return undefined;
  return { capacity, ttl, minTtl };
}

/** `N%` with N in 10..90, as CoreDNS's prefetch wants it. */
function percentage(s: Scope, t: Token): number | undefined {
  const m = /^(\d+)%$/.exec(t.text);
  const n = m ? Number(m[1]) : undefined;
  if (n === undefined || n < 10 || n > 90) {
    s.error('PL4004', t.pos, `prefetch PERCENTAGE must be 10% to 90%, not "${t.text}"`, 'Write it with the percent sign, e.g. 10%.');
    return undefined;
  }
  return n;
}
