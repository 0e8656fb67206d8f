/**
 * `cache`: answers repeated questions from memory, as CoreDNS's cache plugin does
 * (plugin/cache/cache.go, handler.go, item.go):
 *
 * - only questions in `config.zones` (all when empty) are looked at; the key is the lower-cased
 *   name, type, class and the DO and CD bits of the query;
 * - a response is classified as CoreDNS's response.Typify does; NOERROR and delegations go to the
 *   success cache, NXDOMAIN/NODATA and SERVFAIL/NOTIMP to the denial cache; other errors and
 *   truncated responses are never stored, nor (CoreDNS since coredns/coredns#8232) a NOERROR
 *   without SOA whose answers do not reach the type asked, such as a CNAME alone;
 * - the TTL kept is the smallest TTL of the message (for a denial also the SOA's MINIMUM field,
 *   RFC 2308 §5), raised to the minimum and capped at the maximum of its cache; SERVFAIL is kept
 *   for `servfailTtl` (0: not at all); `disable success|denial ZONES` keeps that kind out;
 * - the reply passed on carries that TTL on every record (CoreDNS: "avoid jarring TTL experience");
 *   a reply from the cache has AA set and every TTL lowered by the whole seconds elapsed; an entry
 *   whose TTL reached 0 is gone;
 * - each cache holds at most its capacity; when full the oldest stored entry makes room.
 *
 * Expiry is computed when an entry is read, so there are no timers to stop.
 */
import * as packet from 'dns-packet';
import type { Answer } from 'dns-packet';
import type { CacheConfig, DnsResponse, Plugin } from '../../types.ts';
import { answersQuestion, copyRecord, dnssecOk, hasFlag, matchZone, typify, type ResponseType } from '../../records.ts';

/** dnsutil.MinimalDefaultTTL / MaximumDefaulTTL, s. */
const MIN_DEFAULT_TTL = 5;
const MAX_DEFAULT_TTL = 3600;

interface Item {
  rcode: DnsResponse['rcode'];
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** Seconds it may be served for, from `stored`. */
  ttl: number;
  /** ms, from `now()`. */
  stored: number;
}

/** A map that forgets its oldest entry when a new key would exceed the capacity. */
class Store {
  private readonly items = new Map<string, Item>();
  constructor(private readonly capacity: number) {}
  get(key: string): Item | undefined {
    return this.items.get(key);
  }
  delete(key: string): void {
    this.items.delete(key);
  }
  set(key: string, item: Item): void {
    this.items.delete(key);
    while (this.items.size >= Math.max(1, this.capacity)) this.items.delete(this.items.keys().next().value!);
    this.items.set(key, item);
  }
  get size(): number {
    return this.items.size;
  }
}

const ttlOf = (r: Answer): number => (r as { ttl?: number }).ttl ?? 0;

/** dnsutil.MinimalTTL, with the SOA MINIMUM field also bounding a denial (RFC 2308 §5). */
export function minimalTtl(res: DnsResponse, t: ResponseType): number {
  if (t !== 'NOERROR' && t !== 'NXDOMAIN' && t !== 'NODATA') return MIN_DEFAULT_TTL;
  const extra = res.additionals.filter((r) => r.type !== 'OPT');
  if (res.answers.length + res.authorities.length + extra.length === 0) return MIN_DEFAULT_TTL;
  if (t === 'NODATA' && res.authorities.length === 0) return MIN_DEFAULT_TTL;
  let min = MAX_DEFAULT_TTL;
  for (const r of [...res.answers, ...res.authorities, ...extra]) {
    min = Math.min(min, ttlOf(r));
    if (r.type === 'SOA' && t !== 'NOERROR') min = Math.min(min, r.data.minimum ?? min);
  }
  return min;
}

/** computeTTL: at least `min`, at most `max` (the cap wins when they cross). */
const clamp = (ttl: number, min: number, max: number): number => Math.min(Math.max(ttl, min), max);

function withTtl(rrs: Answer[], ttl: number): Answer[] {
  return rrs.map((r) => (r.type === 'OPT' ? r : ({ ...copyRecord(r), ttl } as Answer)));
}

/** The durable copy of a response; OPT records are hop-by-hop and never stored. */
function itemOf(res: DnsResponse, ttl: number, now: number): Item {
  return {
    rcode: res.rcode,
    answers: res.answers.map(copyRecord),
    authorities: res.authorities.map(copyRecord),
    additionals: res.additionals.filter((r) => r.type !== 'OPT').map(copyRecord),
    ttl,
    stored: now,
  };
}

/**
 * Whether a response is marked truncated. types.ts's DnsResponse has no `tc` field; a plugin that
 * passes on a truncated upstream reply (forward with prefer_udp) can set `tc: true` on it and it
 * will not be cached.
 */
export function isTruncated(res: DnsResponse): boolean {
  return (res as DnsResponse & { tc?: boolean }).tc === true;
}

/**
 * @param now the clock entries age by, in ms. @default Date.now
 */
export function cachePlugin(config: CacheConfig, now: () => number = Date.now): Plugin {
  const success = new Store(config.successCapacity);
  const denial = new Store(config.denialCapacity);
  const zones = config.zones.length ? config.zones : ['.'];

  /** The item's TTL left at `t`, in whole seconds (CoreDNS truncates the elapsed time). */
  const left = (item: Item, t: number): number => item.ttl - Math.floor((t - item.stored) / 1000);

  const lookup = (key: string, t: number): Item | undefined => {
    for (const store of [denial, success]) {
      const item = store.get(key);
      if (!item) continue;
      if (left(item, t) > 0) return item;
      store.delete(key);
    }
    return undefined;
  };

  return {
    name: 'cache',
    async serve(req, next) {
      if (matchZone(req.qname, zones) === undefined) return next(req);
      const key = [req.qname, req.qtype, req.qclass, dnssecOk(req.msg) ? 'do' : '', hasFlag(req.msg, packet.CHECKING_DISABLED) ? 'cd' : ''].join('|');
      const t = now();
      const hit = lookup(key, t);
      if (hit) {
        const ttl = left(hit, t);
        return {
          rcode: hit.rcode,
          // CoreDNS sets AA on cached replies: some clients drop non-authoritative answers entirely.
          aa: true,
          answers: withTtl(hit.answers, ttl),
          authorities: withTtl(hit.authorities, ttl),
          additionals: withTtl(hit.additionals, ttl),
        };
      }

      const res = await next(req);
      const type = typify(res, req.qtype);
      const msgTtl = minimalTtl(res, type);
      let duration: number;
      if (type === 'NXDOMAIN' || type === 'NODATA') duration = clamp(msgTtl, config.denialMinTtl, config.denialTtl);
      else if (type === 'SERVERERROR') duration = config.servfailTtl;
      else duration = clamp(msgTtl, config.successMinTtl, config.successTtl);

      // DnsResponse has no TC bit yet (see isTruncated); CoreDNS never stores a truncated reply.
      const truncated = isTruncated(res);
      // A NOERROR that does not answer the question (a CNAME whose target did not resolve) and has no SOA is not kept.
      const dangling = type === 'NOERROR' && !res.authorities.some((r) => r.type === 'SOA') && !answersQuestion(res, req.qname, String(req.qtype));
      const storable = type !== 'OTHERERROR' && type !== 'META' && !truncated && !dangling && duration > 0;
      if (storable) {
        const positive = type === 'NOERROR' || type === 'DELEGATION';
        const except = positive ? config.disableSuccess : config.disableDenial;
        if (matchZone(req.qname, except) === undefined) (positive ? success : denial).set(key, itemOf(res, duration, now()));
      }
      return {
        ...res,
        answers: withTtl(res.answers, duration),
        authorities: withTtl(res.authorities, duration),
        additionals: withTtl(res.additionals, duration),
      };
    },
  };
}
