/**
 * `rewrite name …`: changes the question name of a COPY of the request before the rest of the
 * chain sees it, and renames the records of the response back, as CoreDNS's rewrite plugin does
 * (plugin/rewrite/name.go, reverter.go):
 *
 * - matching is on the lower-cased question name with its trailing dot; exact/prefix/suffix/
 *   substring operands are fully qualified and lower-cased (`prefix foo bar` means `foo.`→`bar.`,
 *   CoreDNS's plugin.Name.Normalize); a regex replacement uses `{0}`, `{1}`… for the groups and
 *   is lower-cased and fully qualified too;
 * - rules are tried in order; a matching `stop` rule ends the list, a matching `continue` rule
 *   lets the later rules see its result;
 * - a rewritten name that is not a domain name (empty label, label > 63 octets) is an error, as
 *   in CoreDNS (the `errors` plugin answers SERVFAIL);
 * - `answer auto` (and always for `exact`) maps the rewritten name, and names below it, back to
 *   the name as asked, in every section, owner names and the names inside CNAME, DNAME, NS, PTR,
 *   MX, SRV and SOA data; a `suffix` rule maps the suffix back; `answer name REGEX REPL` renames
 *   owner names only.
 */
import type { Answer } from 'dns-packet';
import type { DnsRequest, DnsResponse, Plugin, RewriteConfig, RewriteRule } from '../../types.ts';
import { copyRecord, fqdn, isDomainName, jsRegExp, wireName } from '../../records.ts';

/** A function from a fully qualified lower-case name to its replacement (unchanged when no match). */
type NameMap = (name: string) => string;

interface ResponseRule {
  /** Renames owner names. */
  owner: NameMap;
  /** Renames the names inside record data (CNAME target, MX exchange…); undefined: data untouched. */
  value?: NameMap;
}

interface CompiledRule {
  mode: RewriteRule['mode'];
  /** The rewritten name, or undefined when the rule does not match. */
  apply(name: string): string | undefined;
  /** The response rules this match asks for, given the name before and after it. */
  respond(before: string, after: string): ResponseRule[];
}

/** CoreDNS's `{N}` replacement: each group's text for `{N}`, an unmatched group as ''. */
function expand(template: string, groups: RegExpExecArray): string {
  return template.replace(/\{(\d+)\}/g, (all, n: string) => (Number(n) < groups.length ? (groups[Number(n)] ?? '') : all));
}

/** remapStringRewriter: `to` itself, or a name below it, back to `from`. */
function remap(from: string, to: string): NameMap {
  return (name) => {
    if (name === to) return from;
    if (to !== '.' && name.endsWith(`.${to}`)) return name.slice(0, name.length - to.length) + from;
    return name;
  };
}

function suffixMap(suffix: string, replacement: string): NameMap {
  return (name) => (name.endsWith(suffix) ? name.slice(0, name.length - suffix.length) + replacement : name);
}

function regexMap(pattern: RegExp, replacement: string): NameMap {
  return (name) => {
    const m = pattern.exec(name);
    return m ? expand(replacement, m) : name;
  };
}

function compile(rule: RewriteRule): CompiledRule {
  const from = rule.match === 'regex' ? rule.from : fqdn(rule.from);
  const to = fqdn(rule.to);
  const explicit: ResponseRule[] = rule.answer.kind === 'name' ? [{ owner: regexMap(jsRegExp(rule.answer.from), fqdn(rule.answer.to)) }] : [];
  const auto = rule.answer.kind === 'auto' || rule.match === 'exact';
  const back = (before: string, after: string): ResponseRule[] => {
    if (!auto) return explicit;
    // A suffix rule maps the suffix back (any name ending in it); the others map the whole rewritten name.
    const map = rule.match === 'suffix' ? suffixMap(to, from) : remap(before, after);
    return [{ owner: map, value: map }, ...explicit];
  };
  const apply = ((): ((name: string) => string | undefined) => {
    switch (rule.match) {
      case 'exact':
        return (name) => (name === from ? to : undefined);
      case 'prefix':
        return (name) => (name.startsWith(from) ? to + name.slice(from.length) : undefined);
      case 'suffix':
        return (name) => (name.endsWith(from) ? name.slice(0, name.length - from.length) + to : undefined);
      case 'substring':
        return (name) => (name.includes(from) ? name.split(from).join(to) : undefined);
      case 'regex': {
        const pattern = jsRegExp(from);
        return (name) => {
          const m = pattern.exec(name);
          return m ? expand(to, m) : undefined;
        };
      }
    }
  })();
  return { mode: rule.mode, apply, respond: back };
}

/** The names inside record data that a response rule may rename (CoreDNS's getRecordValueForRewrite). */
function renameValue(r: Answer, map: NameMap): void {
  const rec = r as { type: string; data: unknown };
  const on = (n: string): string => wireName(map(fqdn(n)));
  switch (rec.type) {
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      if (typeof rec.data === 'string') rec.data = on(rec.data);
      break;
    case 'MX': {
      const d = rec.data as { exchange: string };
      d.exchange = on(d.exchange);
      break;
    }
    case 'SRV': {
      const d = rec.data as { target: string };
      d.target = on(d.target);
      break;
    }
    case 'SOA': {
      const d = rec.data as { mname: string };
      d.mname = on(d.mname);
      break;
    }
  }
}

function revert(res: DnsResponse, rules: ResponseRule[]): DnsResponse {
  const one = (orig: Answer): Answer => {
    if (orig.type === 'OPT') return orig;
    const r = copyRecord(orig);
    for (const rule of rules) {
      r.name = wireName(rule.owner(fqdn(r.name)));
      if (rule.value) renameValue(r, rule.value);
    }
    return r;
  };
  return { ...res, answers: res.answers.map(one), authorities: res.authorities.map(one), additionals: res.additionals.map(one) };
}

/** The `rewrite` plugin for one Corefile directive; only `name` rules are applied. */
export function rewritePlugin(config: RewriteConfig): Plugin {
  const rules = config.rules.filter((r) => r.field === 'name').map(compile);
  return {
    name: 'rewrite',
    async serve(req, next) {
      let name = req.qname;
      const responseRules: ResponseRule[] = [];
      for (const rule of rules) {
        const after = rule.apply(name);
        if (after === undefined) continue;
        if (!isDomainName(after)) throw new Error(`invalid name after rewrite: ${after}`);
        // Undo the latest rewrite first so that chained `continue` rules lead back to the name asked.
        responseRules.unshift(...rule.respond(name, after));
        name = after;
        if (rule.mode === 'stop') break;
      }
      if (name === req.qname) return next(req);
      const [first, ...rest] = req.msg.questions ?? [];
      const copy: DnsRequest = {
        ...req,
        qname: name,
        msg: { ...req.msg, questions: [{ ...first!, name: wireName(name) }, ...rest] },
      };
      const res = await next(copy);
      return responseRules.length ? revert(res, responseRules) : res;
    },
    replayToken: () => 0,
  };
}
