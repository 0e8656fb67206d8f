/**
 * `rewrite …` → one RewriteRule per directive (coredns.io/plugins/rewrite); setup.ts merges the
 * rules of a server block's rewrite directives, in order, into one RewriteConfig, as CoreDNS
 * builds one rewrite plugin from all of them. Two forms:
 *
 *     rewrite [continue|stop] name [exact|prefix|suffix|substring|regex] FROM TO [answer auto | answer name FROM TO]
 *     rewrite [continue|stop] {
 *         name regex FROM TO
 *         answer name FROM TO
 *     }
 *
 * Only `name` rules are implemented, with at most one answer rule. A regex must compile as a
 * JavaScript RegExp (Go's `(?P<name>…)` groups are rewritten to `(?<name>…)`); TO keeps CoreDNS's
 * `{1}` group syntax, which the runtime substitutes. Names are normalised as CoreDNS's
 * plugin.Name.Normalize does: every FROM and TO but a regex source is lower-cased and gets a
 * trailing dot (for prefix and substring rules that changes what matches, so podlab warns).
 */
import type { Directive, Pos, RewriteMatch, RewriteRule, Token } from '../../types.ts';
import { arity, type Scope, shown } from '../../corefile/check.ts';
import { compileGoRegex } from '../../corefile/regex.ts';
import { didYouMean, fqdn } from '../../corefile/names.ts';

const MATCHES: readonly RewriteMatch[] = ['exact', 'prefix', 'suffix', 'substring', 'regex'];

/** CoreDNS's other rewrite fields, which podlab does not implement. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  type: 'rewriting the query type',
  class: 'rewriting the query class',
  edns0: 'adding EDNS0 options',
  ttl: 'rewriting answer TTLs',
  cname: 'rewriting CNAME targets',
  rcode: 'rewriting response codes',
};

const USAGE = 'rewrite [continue|stop] name [exact|prefix|suffix|substring|regex] FROM TO [answer auto | answer name FROM TO]';

export function setupRewrite(d: Directive, s: Scope): RewriteRule | undefined {
  let tokens: Token[] = [...d.args];
  let mode: RewriteRule['mode'] = 'stop';
  if (tokens[0] && (tokens[0].text === 'stop' || tokens[0].text === 'continue')) {
    mode = tokens[0].text;
    tokens = tokens.slice(1);
  }
  let at: Pos = d.pos;
  if (d.block) {
    // The block form: CoreDNS reads it only when the line has fewer than two arguments, and
    // then takes the block's lines as the rule's tokens.
    if (tokens.length) {
      s.error('PL4020', d.pos, 'takes a block only in the form "rewrite [continue|stop] {", with the rule inside it', 'Write the whole rule on the rewrite line, or move it into the block.');
      return undefined;
    }
    const [nameLine, answerLine, ...more] = d.block;
    if (!nameLine) {
      s.error('PL4008', d.pos, 'has an empty block', 'Write "name regex FROM TO" and optionally "answer name FROM TO" inside it.');
      return undefined;
    }
    if (more.length) s.error('PL4014', more[0]!.pos, 'a rewrite block holds one "name" line and one "answer" line, no more', 'Write another rewrite directive for another rule.');
    for (const l of d.block) if (l.block) s.error('PL4020', l.pos, `"${l.name}" in a rewrite block takes no block`);
    tokens = [...lineTokens(nameLine), ...(answerLine ? lineTokens(answerLine) : [])];
    at = nameLine.pos;
  }
  const [field, ...rest] = tokens;
  if (!field) {
    s.errorOf('PL4008', d.pos, 'is missing its rule', `Usage: ${USAGE}`);
    return undefined;
  }
  if (field.text !== 'name') {
    if (field.text === 'answer') s.error('PL4004', field.pos, 'a response rewrite ("answer") must follow a "name" rule', `Usage: ${USAGE}`);
    else if (UNSUPPORTED_FIELDS[field.text]) s.error('PL4015', field.pos, `"${field.text}" rules (${UNSUPPORTED_FIELDS[field.text]}) are not supported by podlab; only "name" rules are`, 'Rewrite query names only, or leave this rule out.');
    else s.error('PL4004', field.pos, `${shown(field)} is not a rewrite field`, didYouMean(field.text, ['name', ...Object.keys(UNSUPPORTED_FIELDS), 'stop', 'continue']) ?? `Usage: ${USAGE}`);
    return undefined;
  }
  return nameRule(s, at, mode, rest);
}

function lineTokens(l: Directive): Token[] {
  return [{ text: l.name, pos: l.pos, quoted: false }, ...l.args];
}

/** The part after `name`: `[MATCH] FROM TO [answer …]`. */
function nameRule(s: Scope, pos: Pos, mode: RewriteRule['mode'], args: Token[]): RewriteRule | undefined {
  if (!arity(s, 'name rule', pos, args, 2, Infinity, USAGE)) return undefined;
  let match: RewriteMatch = 'exact';
  let rest = args;
  if (args.length > 2) {
    const m = args[0]!;
    if (!(MATCHES as readonly string[]).includes(m.text.toLowerCase())) {
      s.error('PL4004', m.pos, `name rule match type must be one of ${MATCHES.join(', ')}, not ${shown(m)}`, didYouMean(m.text, MATCHES) ?? `Usage: ${USAGE}`);
      return undefined;
    }
    match = m.text.toLowerCase() as RewriteMatch;
    rest = args.slice(1);
  }
  const [fromTok, toTok, ...options] = rest as [Token, Token | undefined, ...Token[]];
  if (!toTok) {
    s.error('PL4008', fromTok.pos, `name rule "${match} ${fromTok.text}" is missing TO`, `Usage: ${USAGE}`);
    return undefined;
  }
  let from: string;
  let to: string;
  let groups = 0;
  if (match === 'regex') {
    const re = compileGoRegex(fromTok.text);
    if (!re.ok) {
      s.error('PL4017', fromTok.pos, `name rule regex "${fromTok.text}" does not compile: ${re.reason}`, 'Write the pattern in RE2 syntax (as Go and CoreDNS read it); group references in TO are {1}, {2}, ….');
      return undefined;
    }
    from = re.value.source;
    groups = re.value.groups;
    to = fqdn(toTok.text);
  } else {
    // CoreDNS normalises every non-regex FROM and TO with plugin.Name.Normalize: lower case and a trailing dot.
    from = fqdn(fromTok.text);
    to = fqdn(toTok.text);
    if ((match === 'prefix' || match === 'substring') && !fromTok.text.endsWith('.')) {
      s.warn('PL4022', fromTok.pos, `${match} "${fromTok.text}" becomes "${from}": CoreDNS adds a trailing dot, so it matches ${match === 'prefix' ? 'only a whole first label or labels' : 'only at the end of the name'}`, `Write "${from}" to make that visible${match === 'substring' ? ', or use a regex rule for a match inside the name' : ''}.`);
    }
  }
  if (!checkGroupRefs(s, toTok, groups, match === 'regex' ? fromTok.text : undefined)) return undefined;
  const answer = answerOption(s, options);
  if (answer === null) return undefined;
  return { pos, mode, field: 'name', match, from, to, answer: answer ?? { kind: 'auto' } };
}

/** `{N}` in TO must name a group FROM has (CoreDNS: "uses more subexpressions than …"). */
function checkGroupRefs(s: Scope, to: Token, groups: number, pattern: string | undefined): boolean {
  const used = [...to.text.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1]));
  const bad = used.find((n) => n > groups);
  if (bad === undefined) return true;
  s.error('PL4004', to.pos, pattern === undefined ? `TO "${to.text}" uses the group reference {${bad}}, but only regex rules have groups` : `TO "${to.text}" uses {${bad}}, but the regex "${pattern}" has ${groups} group${groups === 1 ? '' : 's'}`, 'Group references count the regex\'s parenthesised groups from {1}; {0} is the whole match.');
  return false;
}

/** `answer auto` | `answer name FROM TO`; undefined when absent, null after an error. */
function answerOption(s: Scope, options: Token[]): RewriteRule['answer'] | undefined | null {
  if (options.length === 0) return undefined;
  const [kw, kind, ...rest] = options as [Token, Token | undefined, ...Token[]];
  if (kw.text !== 'answer') {
    s.error('PL4014', kw.pos, `name rule has ${shown(kw)} after TO, where only an "answer" option may follow`, `Usage: ${USAGE}`);
    return null;
  }
  if (!kind) {
    s.error('PL4008', kw.pos, 'answer option is missing "auto" or "name FROM TO"', `Usage: ${USAGE}`);
    return null;
  }
  if (kind.text === 'auto') {
    if (rest.length) {
      // CoreDNS: "auto name answer rule cannot be combined with explicit name answer rules".
      s.error('PL4014', rest[0]!.pos, `"answer auto" takes nothing after it, so ${shown(rest[0]!)} is one too many`, 'An automatic answer rewrite cannot be combined with another answer rule.');
      return null;
    }
    return { kind: 'auto' };
  }
  if (kind.text === 'value') {
    s.error('PL4015', kind.pos, '"answer value" (rewriting names inside answer records) is not supported by podlab', 'Use "answer auto" or "answer name FROM TO".');
    return null;
  }
  if (kind.text !== 'name') {
    s.error('PL4004', kind.pos, `answer option must be "auto" or "name FROM TO", not ${shown(kind)}`, didYouMean(kind.text, ['auto', 'name']));
    return null;
  }
  if (rest.length !== 2) {
    if (rest.length < 2) s.error('PL4008', kind.pos, '"answer name" needs FROM and TO', 'Usage: answer name FROM-REGEX TO');
    else if (rest[2]!.text === 'answer') s.error('PL4015', rest[2]!.pos, 'a second answer rule on one name rule is not supported by podlab', 'Keep one "answer name FROM TO", or split the rewrite into two rules.');
    else s.error('PL4014', rest[2]!.pos, `"answer name" takes FROM and TO, so ${shown(rest[2]!)} is one too many`);
    return null;
  }
  const re = compileGoRegex(rest[0]!.text);
  if (!re.ok) {
    s.error('PL4017', rest[0]!.pos, `answer name regex "${rest[0]!.text}" does not compile: ${re.reason}`, 'Write the pattern in RE2 syntax (as Go and CoreDNS read it).');
    return null;
  }
  if (!checkGroupRefs(s, rest[1]!, re.value.groups, rest[0]!.text)) return null;
  return { kind: 'name', from: re.value.source, to: fqdn(rest[1]!.text) };
}
