/**
 * The checking toolkit every plugin's setup uses: a Scope that prefixes issues with the plugin's
 * name, and small readers for the argument kinds Corefiles share (counts, zones, durations,
 * integers, keywords, file names) and for a plugin's property block. Each reader reports its own
 * coded issue at the offending token and returns undefined, so a setup function reads as a list
 * of "take this, then that" and never stops at the first problem.
 */
import type { Directive, Fallthrough, Pos, Token } from '../types.ts';
import type { CorefileCode } from './codes.ts';
import type { Issues } from './parse.ts';
import { isPlainName } from '../../lib/plain-name.ts';
import { didYouMean, duration, durationProblem, hostPort, integer, isInZone, zoneArgument } from './names.ts';

/** What a Corefile is checked against: the lab's files beside it. */
export interface SetupContext {
  /**
   * Names of the files the lab ships next to the Corefile (zone files, hosts files,
   * resolv.conf-style files). A relative path in `file`, `hosts` or `forward` that is not in this
   * set is a PL4012 error (which absolute paths may be read at all: `confine`).
   * @default undefined (relative paths are not checked)
   */
  files?: ReadonlySet<string>;
  /**
   * Which paths the DNS server may read at all (it runs as root): its shipped files, by name or
   * as `<dir>/<name>`, and the few absolute paths in `also`. Anything else in `file`, `hosts` or
   * `forward` is a PL4024 error, and the server itself refuses such a Corefile.
   * @default undefined (paths are taken on trust: only for Corefiles podlab does not run)
   */
  confine?: Confinement;
}

/** The files a DNS server may read: see SetupContext.confine. */
export interface Confinement {
  /** The directory the server sees its Corefile in (absolute); undefined: shipped files only by bare name. */
  dir?: string;
  /** Absolute paths outside `dir` it may read too. */
  also: readonly string[];
}

/**
 * The cluster DNS server's files: /etc/coredns (the lab's dns.files, bind-mounted read-only), and
 * its pod's own /etc/resolv.conf and /etc/hosts, which podlab writes into the pod's /etc overlay
 * (kubeadm's default Corefile forwards to /etc/resolv.conf).
 */
export const CLUSTER_DNS_FILES: Confinement = { dir: '/etc/coredns', also: ['/etc/resolv.conf', '/etc/hosts'] };

/** A host's DNS server runs in the machine's own mount namespace: its /etc is the host's, so only the files shipped beside its Corefile. */
export const HOST_DNS_FILES: Confinement = { also: [] };

/** What a plugin's setup sees: where it is, and where to report. */
export class Scope {
  constructor(
    /** The plugin's name, as every message starts: `plugin "forward": …`. */
    readonly plugin: string,
    private readonly issues: Issues,
    /** The server block's zones (all its keys, FQDN), the default for plugins' ZONES. */
    readonly serverZones: readonly string[],
    readonly ctx: SetupContext,
  ) {}

  error(code: CorefileCode, pos: Pos, message: string, hint?: string): void {
    this.issues.error(code, pos, `plugin "${this.plugin}": ${message}`, hint);
  }

  warn(code: CorefileCode, pos: Pos, message: string, hint?: string): void {
    this.issues.warn(code, pos, `plugin "${this.plugin}": ${message}`, hint);
  }

  /** An error whose message continues the plugin's name: `plugin "loop" takes no arguments`. */
  errorOf(code: CorefileCode, pos: Pos, predicate: string, hint?: string): void {
    this.issues.error(code, pos, `plugin "${this.plugin}" ${predicate}`, hint);
  }

  /** A mark to ask later whether this directive reported errors. */
  mark(): number {
    return this.issues.errorMark();
  }

  failedSince(mark: number): boolean {
    return this.issues.errorMark() > mark;
  }
}

/** `"x"`, or `an empty argument` for what an unset environment variable left behind. */
export function shown(t: Token): string {
  return t.text === '' ? 'an empty argument' : `"${t.text}"`;
}

export const EMPTY_HINT = 'An unset environment variable expands to nothing; set it, or write the value.';

/** The hint for a bad value: the given one, or the env-variable one when the token is empty. */
function hintFor(t: Token, hint: string | undefined): string | undefined {
  return t.text === '' ? EMPTY_HINT : hint;
}

/**
 * Checks that `args` has between `min` and `max` tokens. `subject` names what takes them
 * (e.g. `property "ttl"`; '' for the plugin itself), `usage` shows the syntax.
 */
export function arity(s: Scope, subject: string, at: Pos, args: readonly Token[], min: number, max: number, usage: string): boolean {
  const report = (code: CorefileCode, pos: Pos, predicate: string) =>
    subject ? s.error(code, pos, `${subject} ${predicate}`, `Usage: ${usage}`) : s.errorOf(code, pos, predicate, `Usage: ${usage}`);
  if (args.length < min) {
    const missing = min - args.length;
    report('PL4008', at, `is missing ${min === 1 ? 'its argument' : missing === 1 ? 'an argument' : `${missing} arguments`}`);
    return false;
  }
  if (args.length > max) {
    const extra = args[max]!;
    report('PL4014', extra.pos, `${max === 0 ? 'takes no arguments' : `takes at most ${max} argument${max === 1 ? '' : 's'}`}, so ${shown(extra)} is one too many`);
    return false;
  }
  return true;
}

/** Reports a block on a directive or property that takes none. */
export function noBlock(s: Scope, d: Directive): void {
  if (d.block) s.errorOf('PL4020', d.pos, 'takes no block', `Remove the "{ … }" after "${d.name}".`);
}

export type ZoneRule = 'inside' | 'overlap' | 'any';

/**
 * Zone arguments (domains or CIDRs) → FQDNs. `inside`: each must lie inside one of the server
 * block's zones (queries for anything else never reach this server block); `overlap`: it may
 * also be a parent of a server zone (as `forward .` in an `example.org` block is).
 */
export function zones(s: Scope, tokens: readonly Token[], what: string, rule: ZoneRule): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const r = zoneArgument(t.text);
    if (!r.ok) {
      s.error('PL4004', t.pos, `${what} ${shown(t)} is not a zone: ${r.reason}`, hintFor(t, 'Write a domain such as "example.org" or a network such as "10.0.0.0/24".'));
      continue;
    }
    for (const z of r.value) {
      if (rule !== 'any' && !s.serverZones.some((sz) => isInZone(z, sz) || (rule === 'overlap' && isInZone(sz, z)))) {
        s.error('PL4011', t.pos, `${what} "${z}" is outside this server block's zones (${s.serverZones.join(', ')}), so no query for it reaches the plugin`, 'Add the zone to the server block\'s keys, or move the plugin to a server block for that zone.');
        continue;
      }
      if (!out.includes(z)) out.push(z);
    }
  }
  return out;
}

/** ZONES given, or the server block's zones when none are. */
export function zonesOrServer(s: Scope, tokens: readonly Token[], what: string, rule: ZoneRule = 'inside'): string[] {
  return tokens.length ? zones(s, tokens, what, rule) : [...s.serverZones];
}

/** `fallthrough [ZONES…]`: every zone ([]) when none are given. */
export function fallthrough(s: Scope, p: Directive): Fallthrough {
  return p.args.length ? zones(s, p.args, 'fallthrough zone', 'any') : [];
}

/** A Go duration in ms, at least `minMs`. */
export function durationOf(s: Scope, t: Token, what: string, minMs = 0): number | undefined {
  const ms = duration(t.text);
  if (ms === undefined) {
    s.error('PL4018', t.pos, `${what}: ${t.text === '' ? 'the duration is empty' : durationProblem(t.text)}`, hintFor(t, 'Durations are Go style: 500ms, 5s, 1m, 1h30m.'));
    return undefined;
  }
  if (ms < minMs) {
    s.error('PL4018', t.pos, `${what} must be at least ${minMs === 0 ? '0' : `${minMs / 1000}s`}, not "${t.text}"`);
    return undefined;
  }
  return ms;
}

/** A whole number in [min, max]. */
export function intOf(s: Scope, t: Token, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const n = integer(t.text);
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
  if (n === undefined) {
    s.error('PL4004', t.pos, `${what} must be a whole number ${range}, not ${shown(t)}`, hintFor(t, undefined));
    return undefined;
  }
  if (n < min || n > max) {
    s.error('PL4004', t.pos, `${what} must be ${range}, not ${n}`);
    return undefined;
  }
  return n;
}

/** One of a fixed set of keywords (case-sensitive, as CoreDNS compares them). */
export function oneOf<T extends string>(s: Scope, t: Token, what: string, options: readonly T[]): T | undefined {
  if ((options as readonly string[]).includes(t.text)) return t.text as T;
  s.error('PL4004', t.pos, `${what} must be one of ${options.join(', ')}, not ${shown(t)}`, hintFor(t, didYouMean(t.text, options)));
  return undefined;
}

/**
 * Whether the DNS server may read `path` at all (ctx.confine): a shipped file's plain name
 * (optionally `./name`) or `<dir>/<name>`, or one of the few absolute paths the server owns. The
 * server runs as root: a Corefile naming /etc/shadow in `hosts`, or any host file in `file` or
 * `forward`, would have it read that file (and `rewrite` could return its lines as answers).
 * Reports PL4024 at `pos` when not.
 */
export function pathAllowed(s: Scope, pos: Pos, what: string, path: string): boolean {
  const c = s.ctx.confine;
  if (!c) return true;
  const inside = path.startsWith('/') ? (c.also.includes(path) || (c.dir !== undefined && path.startsWith(`${c.dir}/`) && isPlainName(path.slice(c.dir.length + 1)))) : isPlainName(path.replace(/^\.\//, ''));
  if (inside) return true;
  const own = [...(c.dir ? [`${c.dir}/<name>`] : []), '<name>', ...c.also].join(', ');
  s.error('PL4024', pos, `${what} "${path}" is outside this DNS server's own files (${own})`, 'Ship the file with the lab (dns.files) and name it by its plain name; the server reads nothing else of the host.');
  return false;
}

/**
 * A file the plugin reads: only one the server may read (pathAllowed); a relative one, or one in
 * the server's own directory, must be among the files the lab ships (ctx.files), when the caller
 * says which those are.
 */
export function fileOf(s: Scope, t: Token, what: string): string | undefined {
  if (t.text === '') {
    s.error('PL4004', t.pos, `${what} is empty`, EMPTY_HINT);
    return undefined;
  }
  if (!pathAllowed(s, t.pos, what, t.text)) return undefined;
  const dir = s.ctx.confine?.dir;
  if (dir && t.text.startsWith(`${dir}/`) && s.ctx.files && !s.ctx.files.has(t.text.slice(dir.length + 1))) {
    s.error('PL4012', t.pos, `${what} "${t.text}" is not among the files the lab ships${s.ctx.files.size === 0 ? ' (it ships none)' : s.ctx.files.size <= 8 ? ` (${[...s.ctx.files].sort().join(', ')})` : ''}`, didYouMean(t.text.slice(dir.length + 1), s.ctx.files) ?? 'Ship the file with the lab (dns.files).');
    return undefined;
  }
  const relative = !t.text.startsWith('/');
  const shipped = s.ctx.files;
  if (relative && shipped && !shipped.has(t.text) && !shipped.has(t.text.replace(/^\.\//, ''))) {
    const near = didYouMean(t.text, shipped);
    s.error('PL4012', t.pos, `${what} "${t.text}" is not among the files the lab ships${shipped.size === 0 ? ' (it ships none)' : shipped.size <= 8 ? ` (${[...shipped].sort().join(', ')})` : ''}`, near ?? 'Ship the file next to the Corefile, or give an absolute path inside the DNS server\'s file system.');
    return undefined;
  }
  return t.text;
}

export interface PropertySpec {
  /** The properties the plugin implements: name → reader. */
  handlers: Readonly<Record<string, (p: Directive) => void>>;
  /** Properties that may be given more than once (the rest: the last one wins, with a warning). */
  repeatable?: readonly string[];
  /** Properties CoreDNS has that podlab accepts and ignores: name → why that is harmless. */
  ignored?: Readonly<Record<string, string>>;
  /** Properties CoreDNS has that podlab cannot honour: name → what they do. */
  unsupported?: Readonly<Record<string, string>>;
  /** A reader for lines that are not properties (hosts' inline entries); true when it took the line. */
  other?: (p: Directive) => boolean;
}

/** Reads a plugin's `{ … }` block, one property line at a time. */
export function properties(s: Scope, d: Directive, spec: PropertySpec): void {
  const seen = new Map<string, Pos>();
  for (const p of d.block ?? []) {
    if (p.block) s.error('PL4020', p.pos, `property "${p.name}" takes no block (blocks do not nest here)`, 'Write the property and its arguments on one line.');
    const handler = Object.hasOwn(spec.handlers, p.name) ? spec.handlers[p.name] : undefined;
    if (handler) {
      const first = seen.get(p.name);
      if (first && !spec.repeatable?.includes(p.name)) {
        s.warn('PL4021', p.pos, `property "${p.name}" is set twice (first at line ${first.line}); the last one wins`, 'Remove one of them.');
      }
      seen.set(p.name, p.pos);
      handler(p);
    } else if (spec.ignored && Object.hasOwn(spec.ignored, p.name)) {
      s.warn('PL4016', p.pos, `property "${p.name}" is accepted but ignored by podlab: ${spec.ignored[p.name]}`);
    } else if (spec.unsupported && Object.hasOwn(spec.unsupported, p.name)) {
      s.error('PL4015', p.pos, `property "${p.name}" (${spec.unsupported[p.name]}) is not supported by podlab`, 'Remove it; podlab\'s DNS server does not implement it.');
    } else if (!spec.other?.(p)) {
      const known = [...Object.keys(spec.handlers), ...Object.keys(spec.ignored ?? {}), ...Object.keys(spec.unsupported ?? {})];
      s.error('PL4005', p.pos, `unknown property "${p.name}"`, didYouMean(p.name, known) ?? `The properties of "${s.plugin}" are: ${Object.keys(spec.handlers).join(', ')}.`);
    }
  }
}

/** A listen address `[HOST]:PORT`. */
export function listenAddress(s: Scope, t: Token | undefined, fallback: string): { address: string; port: number } | undefined {
  const text = t?.text ?? fallback;
  const hp = hostPort(text);
  if (!hp.ok) {
    s.error('PL4004', t!.pos, `address "${text}" is not HOST:PORT: ${hp.reason}`, `Write HOST:PORT or :PORT (every address), e.g. "${fallback}".`);
    return undefined;
  }
  return { address: text, port: hp.value.port };
}
