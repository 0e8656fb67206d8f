/**
 * The Corefile's syntax: text → tokens → lines → server blocks of directives, with snippets,
 * imports and environment variables resolved, and every token keeping the line and column it
 * was written at. Meaning (which plugin, which arguments) is setup.ts's job; this module only
 * knows the Caddyfile dialect CoreDNS reads (github.com/coredns/caddy, caddyfile/lexer.go and
 * parse.go), plus the checks a parser can make: braces, snippet and import names, server keys.
 *
 * How it reads, in CoreDNS's terms:
 * - tokens are separated by white space; `"…"` makes one token (only `\"` is an escape; it may
 *   span lines); `#` at the start of a token comments out the rest of the line;
 * - a directive is one line: its name, its arguments, and optionally `{` ending the line, which
 *   opens a block of property lines closed by `}` on its own line;
 * - a server block is one or more keys (`[dns://]zone[:port]`, separated by spaces or commas,
 *   continued on the next line after a trailing comma) and then `{`; a Corefile with a single
 *   server may leave out the braces, and then every following line belongs to that server;
 * - `(name) { … }` at the top level defines a snippet; `import name` as the first token of a
 *   line (anywhere) pastes the snippet's lines, or the named file's (opts.files); snippets must
 *   be defined before they are imported, as CoreDNS reads top to bottom;
 * - `{$NAME}` and `{%NAME%}` inside unquoted tokens are replaced by environment variables.
 *
 * Where podlab departs from CoreDNS (each on purpose, each reported):
 * - a `#` inside a token ends the token and starts a comment up to the next white space, as in
 *   CoreDNS, but podlab warns (PL4001): it is almost always a mistake;
 * - a backslash at the end of a line joins the next line to it (CoreDNS has no line
 *   continuation: it would read the backslash as a token);
 * - quoted tokens are never expanded (CoreDNS expands `{$NAME}` in quoted tokens too);
 * - imported files' tokens are positioned at the import's name (a Pos has no file name), and
 *   their syntax errors say which file and line they come from;
 * - an unclosed quote, `{` or `}` out of place, and a missing `}` are errors where CoreDNS
 *   would sometimes silently read something else.
 */
import type { Corefile, CorefileIssue, Directive, Pos, ServerBlock, ServerKey, Token } from '../types.ts';
import type { CorefileCode } from './codes.ts';
import { ALL_PLUGIN_NAMES } from './known.ts';
import { didYouMean, domainProblem, fqdn, portNumber, reverseZones } from './names.ts';

/** Options of parseCorefile (and loadCorefile). */
export interface ParseOptions {
  /**
   * Values for `{$NAME}` and `{%NAME%}`. A variable that is undefined here expands to nothing,
   * with a PL4010 warning. Pass `process.env` to read the Corefile exactly as CoreDNS would.
   * @default {} (no variable is set)
   */
  env?: Record<string, string | undefined>;
  /**
   * Files that `import NAME` may paste, by the name written after `import` (the lab ships them
   * next to the Corefile). `import` with `*` in the name pastes every matching file, in name order.
   * @default {} (only snippets can be imported)
   */
  files?: Record<string, string>;
}

/** A logical line: the tokens of one directive, property, key list or brace. */
interface Line {
  tokens: Token[];
  /** The snippets and files being pasted when this line was produced, outermost first. */
  chain: readonly string[];
}

interface Snippet {
  name: string;
  pos: Pos;
  lines: Line[];
}

/** Where an imported file's tokens and problems are placed in the Corefile. */
interface Origin {
  file: string;
  at: Pos;
}

/** Caddy's cap on snippet and file expansions (maxSnippetExpansions). */
const MAX_EXPANSIONS = 1000;

const DIRECTIVE_NAMES = new Set(ALL_PLUGIN_NAMES);

/**
 * Reads a Corefile's syntax into server blocks of directives (snippets, imports and environment
 * variables resolved). Issues are collected, never thrown; with any error among them the
 * Corefile is incomplete and must not be set up (loadCorefile stops there).
 */
export function parseCorefile(
  text: string,
  opts: { env?: Record<string, string | undefined>; files?: Record<string, string> } = {},
): { corefile: Corefile; issues: CorefileIssue[] } {
  const issues = new Issues();
  const { lines, openQuote } = lex(text, issues, opts.env ?? {});
  if (lines.length === 0) {
    issues.error('PL4001', { line: 1, col: 1 }, text.trim() === '' ? 'the Corefile is empty' : 'the Corefile has only comments, no server block', 'A Corefile needs at least one server block, e.g. ". {" then "forward . /etc/resolv.conf" then "}".');
    return { corefile: { servers: [] }, issues: issues.sorted() };
  }
  const parser = new Parser(lines, issues, opts, openQuote);
  const servers = parser.top();
  if (servers.length === 0 && !issues.hasErrors()) {
    issues.error('PL4001', lines[0]!.tokens[0]!.pos, 'the Corefile defines no server block (only snippets)', 'Add a server block that imports them, e.g. ". {" then "import NAME" then "}".');
  }
  return { corefile: { servers }, issues: issues.sorted() };
}

// ── Issues ────────────────────────────────────────────────────────────────────────────────────

/**
 * The issue collector parse and setup share (internal to src/dns/corefile). Each issue is kept
 * once: a snippet imported into two server blocks must not report its problems twice, yet each
 * import still counts as failed (errorMark counts every error raised, kept or not).
 */
export class Issues {
  private readonly list: CorefileIssue[] = [];
  private readonly seen = new Set<string>();
  private raised = 0;

  error(code: CorefileCode, pos: Pos, message: string, hint?: string): void {
    this.raised++;
    this.add({ code, severity: 'error', pos, message, ...(hint ? { hint } : {}) });
  }

  warn(code: CorefileCode, pos: Pos, message: string, hint?: string): void {
    this.add({ code, severity: 'warning', pos, message, ...(hint ? { hint } : {}) });
  }

  add(issue: CorefileIssue): void {
    const key = `${issue.pos.line}:${issue.pos.col}:${issue.code}:${issue.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(issue);
  }

  /** How many errors were raised so far, duplicates included: compare two marks to see whether a step failed. */
  errorMark(): number {
    return this.raised;
  }

  hasErrors(): boolean {
    return this.list.some((i) => i.severity === 'error');
  }

  /** Top to bottom, like the file; ties keep the order found. */
  sorted(): CorefileIssue[] {
    return sortIssues(this.list);
  }
}

/** Issues top to bottom, like the file (stable: ties keep their order). */
export function sortIssues(issues: readonly CorefileIssue[]): CorefileIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => a.issue.pos.line - b.issue.pos.line || a.issue.pos.col - b.issue.pos.col || a.i - b.i)
    .map((x) => x.issue);
}

// ── Lexer ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Text → logical lines of tokens, environment variables expanded; `openQuote` when the text
 * ended inside a quoted token. With `origin`, the text is an imported file: tokens are placed at
 * the import and problems name the file.
 */
function lex(text: string, issues: Issues, env: Record<string, string | undefined>, origin?: Origin, chain: readonly string[] = []): { lines: Line[]; openQuote: boolean } {
  const chars = Array.from(text);
  const lines: Line[] = [];
  let openQuote = false;
  let tokens: Token[] = [];
  let i = chars[0] === '\uFEFF' ? 1 : 0;
  let line = 1;
  let col = 1;
  let word: { text: string; pos: Pos } | undefined;

  const here = (): Pos => ({ line, col });
  const where = (p: Pos): Pos => origin?.at ?? p;
  const inFile = (p: Pos, message: string) => (origin ? `in imported file "${origin.file}" (line ${p.line}, column ${p.col}): ${message}` : message);
  const step = () => {
    if (chars[i] === '\n') {
      line++;
      col = 1;
    } else if (chars[i] !== '\r') {
      col++;
    }
    i++;
  };
  const endWord = () => {
    if (word) tokens.push(expand({ text: word.text, pos: word.pos, quoted: false }));
    word = undefined;
  };
  const endLine = () => {
    endWord();
    if (tokens.length) lines.push({ tokens, chain });
    tokens = [];
  };
  const expand = (t: Token): Token => {
    const text = expandEnv(t.text, env, (name, offset) => {
      const at = { line: t.pos.line, col: t.pos.col + offset };
      issues.warn('PL4010', where(at), inFile(at, `environment variable "${name}" is not set, so its placeholder in "${t.text}" expands to nothing`), `Set ${name} in the environment the DNS server starts with, or write the value in the Corefile.`);
    });
    return { text, pos: where(t.pos), quoted: false };
  };

  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === '\n') {
      endLine();
      step();
    } else if (ch === '\\' && (chars[i + 1] === '\n' || (chars[i + 1] === '\r' && chars[i + 2] === '\n'))) {
      // podlab's line continuation: the backslash and the newline are white space.
      endWord();
      step();
      if (chars[i] === '\r') step();
      step();
    } else if (/\s/.test(ch)) {
      endWord();
      step();
    } else if (ch === '#') {
      if (word) {
        // CoreDNS's lexer: a `#` inside a token ends it and skips to the next white space.
        const at = here();
        const before = word.text;
        let rest = '';
        while (i < chars.length && !/\s/.test(chars[i]!)) {
          rest += chars[i];
          step();
        }
        issues.warn('PL4001', where(at), inFile(at, `"#" inside "${before}${rest}" starts a comment: CoreDNS reads the token as "${before}" and drops "${rest}"`), `Put a space before "#" if it is a comment, or quote the token if "#" belongs to it.`);
        endWord();
      } else {
        while (i < chars.length && chars[i] !== '\n') step();
      }
    } else if (ch === '"' && !word) {
      const start = here();
      let text = '';
      step();
      let closed = false;
      while (i < chars.length) {
        const c = chars[i]!;
        if (c === '\\' && i + 1 < chars.length) {
          // Caddy's only escape is \" ; any other backslash pair is kept as written.
          const n = chars[i + 1]!;
          text += n === '"' ? '"' : `\\${n}`;
          step();
          step();
        } else if (c === '"') {
          step();
          closed = true;
          break;
        } else {
          if (!(c === '\r' && chars[i + 1] === '\n')) text += c;
          step();
        }
      }
      if (!closed) {
        openQuote = true;
        issues.error('PL4001', where(start), inFile(start, 'this quoted token is never closed: the file ends before its closing "'), 'Add the closing double quote; inside quotes write \\" for a literal quote.');
      }
      tokens.push({ text, pos: where(start), quoted: true });
    } else {
      if (!word) word = { text: '', pos: here() };
      word.text += ch;
      step();
    }
  }
  endLine();
  return { lines, openQuote };
}

/**
 * Caddy's replaceEnvVars: first every `{%NAME%}`, then every `{$NAME}`; an empty name stops
 * the scan. `unset` is told each variable that is not set (with its offset in the token).
 */
function expandEnv(text: string, env: Record<string, string | undefined>, unset: (name: string, offset: number) => void): string {
  let s = text;
  for (const [open, close] of [['{%', '%}'], ['{$', '}']] as const) {
    let from = 0;
    for (;;) {
      const idx = s.indexOf(open, from);
      if (idx === -1) break;
      const end = s.indexOf(close, idx + open.length);
      if (end === -1 || end === idx + open.length) break;
      const name = s.slice(idx + open.length, end);
      const value = env[name];
      if (value === undefined) unset(name, Math.max(0, text.indexOf(`${open}${name}${close}`)));
      s = s.slice(0, idx) + (value ?? '') + s.slice(end + close.length);
      // Go on after the value: a value that itself looks like a placeholder is not expanded again.
      from = idx + (value ?? '').length;
    }
  }
  return s;
}

// ── Parser ────────────────────────────────────────────────────────────────────────────────────

const isOpen = (t: Token | undefined): boolean => !!t && !t.quoted && t.text === '{';
const isClose = (t: Token | undefined): boolean => !!t && !t.quoted && t.text === '}';
const isBrace = (t: Token | undefined): boolean => isOpen(t) || isClose(t);

/** `(name)` → `name`, for snippet definitions. */
function snippetName(t: Token): string | undefined {
  if (t.quoted || !t.text.startsWith('(') || !t.text.endsWith(')') || t.text.length < 2) return undefined;
  return t.text.slice(1, -1);
}

class Parser {
  private readonly lines: Line[];
  private at = 0;
  private expansions = 0;
  private readonly snippets = new Map<string, Snippet>();
  private readonly lexed = new Map<string, Line[]>();

  constructor(
    lines: Line[],
    private readonly issues: Issues,
    private readonly opts: ParseOptions,
    /** The text ended inside a quoted token: unclosed blocks are its consequence, not news. */
    private readonly openQuote = false,
  ) {
    this.lines = [...lines];
  }

  private next(): Line | undefined {
    return this.lines[this.at++];
  }

  private peek(): Line | undefined {
    return this.lines[this.at];
  }

  /** The top level: snippet definitions, imports and server blocks. */
  top(): ServerBlock[] {
    const servers: ServerBlock[] = [];
    for (let line = this.next(); line; line = this.next()) {
      const first = line.tokens[0]!;
      if (this.isImport(line)) {
        this.paste(line);
      } else if (isClose(first)) {
        this.issues.error('PL4001', first.pos, 'unexpected "}": no block is open here', 'Remove it, or look above for a block closed twice.');
      } else if (isOpen(first)) {
        this.issues.error('PL4001', first.pos, 'a block "{" with no server address before it', 'Start a server block with its zone on the same line, e.g. ". {" or "example.org:53 {".');
        this.skipBlock(line);
      } else if (snippetName(first) !== undefined) {
        this.defineSnippet(line, snippetName(first)!);
      } else if (!first.quoted && first.text.startsWith('(')) {
        this.issues.error('PL4001', first.pos, `snippet name "${first.text}" has no closing parenthesis`, 'Define a snippet as "(name) {", its lines, then "}".');
        this.skipBlock(line);
      } else if (DIRECTIVE_NAMES.has(first.text)) {
        this.issues.error('PL4001', first.pos, `directive "${first.text}" is outside any server block`, 'Put directives inside a server block: ". {" on the line before and "}" after.');
        this.skipBlock(line);
      } else {
        const server = this.server(line);
        if (server) servers.push(server);
      }
    }
    return servers;
  }

  /** Skips the block a line opens (if it ends with `{`), nested blocks included. */
  private skipBlock(line: Line): void {
    if (!isOpen(line.tokens.at(-1))) return;
    let depth = 1;
    for (let l = this.next(); l; l = this.next()) {
      for (const t of l.tokens) depth += isOpen(t) ? 1 : isClose(t) ? -1 : 0;
      if (depth <= 0) return;
    }
  }

  // ── Snippets and imports ──

  private defineSnippet(line: Line, name: string): void {
    const [head, ...rest] = line.tokens as [Token, ...Token[]];
    let open: Token | undefined;
    if (rest.length === 1 && isOpen(rest[0])) open = rest[0];
    else if (rest.length === 0 && this.peek()?.tokens.length === 1 && isOpen(this.peek()!.tokens[0])) open = this.next()!.tokens[0];
    if (!open || name === '') {
      this.issues.error('PL4001', head.pos, name === '' ? 'a snippet needs a name between the parentheses' : `snippet "${head.text}" must be followed by "{" on the same line`, 'Define a snippet as "(name) {", its lines, then "}".');
      this.skipBlock(line);
      return;
    }
    const body: Line[] = [];
    let depth = 1;
    for (let l = this.next(); ; l = this.next()) {
      if (!l) {
        this.issues.error('PL4001', open.pos, `snippet "${head.text}" is never closed: its "{" has no matching "}"`, 'Add a "}" on its own line after the snippet\'s last line.');
        return;
      }
      const before = depth;
      for (const t of l.tokens) depth += isOpen(t) ? 1 : isClose(t) ? -1 : 0;
      if (depth <= 0 && before === 1 && isClose(l.tokens[0]) && l.tokens.length === 1) break;
      if (depth <= 0) {
        this.issues.error('PL4001', l.tokens.find((t) => isClose(t))!.pos, '"}" must be alone on its line', 'Put the closing "}" on a line of its own.');
        break;
      }
      body.push(l);
    }
    const kept = body.filter((l) => {
      const self = this.isImport(l) && l.tokens[1]?.text === name;
      if (self) this.issues.error('PL4013', l.tokens[1]!.pos, `snippet "${head.text}" imports itself`, 'Remove this import: a snippet cannot paste itself.');
      return !self;
    });
    const previous = this.snippets.get(name);
    if (previous) {
      this.issues.error('PL4023', head.pos, `snippet "${head.text}" is already defined at line ${previous.pos.line}`, 'Rename one of them: CoreDNS refuses a Corefile that defines a snippet twice.');
      return;
    }
    this.snippets.set(name, { name, pos: head.pos, lines: kept });
  }

  private isImport(line: Line): boolean {
    const t = line.tokens[0]!;
    return !t.quoted && t.text === 'import';
  }

  /** Replaces an `import` line by the snippet's or file's lines, to be read next. */
  private paste(line: Line): void {
    const [kw, target, ...extra] = line.tokens as [Token, Token | undefined, ...Token[]];
    if (!target || target.text === '') {
      this.issues.error('PL4008', (target ?? kw).pos, target ? 'import names an empty snippet or file (an unset environment variable?)' : 'import needs the name of a snippet or a file', 'Write "import NAME", where NAME is a snippet defined above as "(NAME) { … }" or a file the lab ships.');
      return;
    }
    if (extra.length) {
      this.issues.error('PL4014', extra[0]!.pos, `import takes one snippet or file name; "${extra[0]!.text}" is one too many`, 'Write one import per line.');
    }
    const name = target.text;
    if (line.chain.includes(name)) {
      const cycle = [...line.chain.slice(line.chain.indexOf(name)), name].join(' → ');
      this.issues.error('PL4013', target.pos, `import "${name}" is a cycle: ${cycle}`, 'Remove one of the imports in the cycle.');
      return;
    }
    if (++this.expansions > MAX_EXPANSIONS) {
      this.issues.error('PL4013', target.pos, `import "${name}": more than ${MAX_EXPANSIONS} imports were expanded`, 'Snippets that import each other several times grow exponentially; simplify them.');
      return;
    }
    const chain = [...line.chain, name];
    const snippet = this.snippets.get(name);
    if (snippet) {
      this.lines.splice(this.at, 0, ...snippet.lines.map((l) => ({ tokens: l.tokens, chain })));
      return;
    }
    const files = this.opts.files ?? {};
    const names = name.includes('*') ? Object.keys(files).filter((f) => globMatch(name, f)).sort() : name in files ? [name] : [];
    if (names.length) {
      for (const f of names.reverse()) {
        const key = `${f}@${target.pos.line}:${target.pos.col}`;
        let lines = this.lexed.get(key);
        if (!lines) {
          lines = lex(files[f]!, this.issues, this.opts.env ?? {}, { file: f, at: target.pos }, chain).lines;
          this.lexed.set(key, lines);
        }
        this.lines.splice(this.at, 0, ...lines.map((l) => ({ tokens: l.tokens, chain })));
      }
      return;
    }
    if (name.includes('*')) {
      this.issues.warn('PL4009', target.pos, `import "${name}" matches no file the lab ships, so it pastes nothing`, 'CoreDNS also only warns here; check the pattern.');
      return;
    }
    const later = this.lines.slice(this.at).find((l) => snippetName(l.tokens[0]!) === name);
    const hint = later
      ? `Snippet "(${name})" is defined at line ${later.tokens[0]!.pos.line}, after this import; CoreDNS reads snippets top to bottom, so move its definition above.`
      : (didYouMean(name, [...this.snippets.keys(), ...Object.keys(files)]) ??
        (/[./]/.test(name) ? `Ship "${name}" with the lab, or import a snippet defined above.` : `Define it above with "(${name}) {" … "}", or ship a file named "${name}" with the lab.`));
    const message = /[./]/.test(name)
      ? `import "${name}": the lab ships no file of that name, and no snippet "(${name})" is defined above`
      : `import "${name}": no snippet "(${name})" is defined above, and the lab ships no file of that name`;
    this.issues.error('PL4009', target.pos, message, hint);
  }

  // ── Server blocks ──

  private server(first: Line): ServerBlock | undefined {
    const keyTokens: Token[] = [];
    let line = first;
    let open: Token | undefined;
    let emptyBody = false;
    for (;;) {
      const toks = line.tokens;
      let end = toks.length;
      if (isOpen(toks.at(-1))) {
        open = toks.at(-1);
        end--;
      } else if (toks.length >= 2 && isClose(toks.at(-1)) && isOpen(toks.at(-2))) {
        open = toks.at(-2);
        emptyBody = true;
        end -= 2;
      }
      for (const t of toks.slice(0, end)) {
        if (this.glued(t)) continue;
        if (isBrace(t)) {
          this.issues.error('PL4001', t.pos, `"${t.text}" is out of place on the line of a server block's zones`, '"{" ends the line that lists the zones; each directive goes on its own line; "}" closes the block on its own line.');
          this.skipBlock(line);
          return undefined;
        }
        keyTokens.push(t);
      }
      if (open) break;
      const nxt = this.peek();
      if (keyTokens.at(-1)?.text.endsWith(',') && nxt && !isBrace(nxt.tokens[0])) {
        line = this.next()!;
        continue;
      }
      if (nxt && isOpen(nxt.tokens[0]) && (nxt.tokens.length === 1 || (nxt.tokens.length === 2 && isClose(nxt.tokens[1])))) {
        // Caddy accepts the server's "{" alone on the next line.
        this.next();
        open = nxt.tokens[0];
        emptyBody = nxt.tokens.length === 2;
      }
      break;
    }
    const keys = keyTokens.flatMap((t) => splitKeys(t)).flatMap((k) => serverKeys(k.text, k.pos, this.issues));
    const pos = keyTokens[0]?.pos ?? first.tokens[0]!.pos;
    // Without "{" (Caddy: "single-server configs don't need curly braces") the rest of the file is this server's.
    const directives = emptyBody ? [] : this.block(open, 1, `by server block "${keyTokens.map((t) => t.text).join(' ')}"`);
    return { keys, directives, pos };
  }

  /** The lines of a block up to its `}` (or, with no `{`, to the end of the file). */
  private block(open: Token | undefined, depth: number, owner: string): Directive[] {
    const out: Directive[] = [];
    for (;;) {
      const line = this.next();
      if (!line) {
        if (open && !this.openQuote) this.issues.error('PL4001', open.pos, `the "{" opened here ${owner} is never closed`, 'Add a "}" on its own line where the block ends.');
        return out;
      }
      const first = line.tokens[0]!;
      if (this.isImport(line)) {
        this.paste(line);
        continue;
      }
      if (isClose(first)) {
        if (line.tokens.length > 1) this.issues.error('PL4001', line.tokens[1]!.pos, `"}" must be alone on its line, but "${line.tokens[1]!.text}" follows it`, 'Start a new line after "}".');
        if (open) return out;
        this.issues.error('PL4001', first.pos, 'unexpected "}": no block is open here', 'A server block written without braces runs to the end of the file; add "{" after its zones, or remove this "}".');
        continue;
      }
      if (isOpen(first)) {
        this.issues.error('PL4001', first.pos, '"{" must end the line of the directive it belongs to', 'Write the block\'s "{" on the same line, e.g. "forward . 10.0.0.10 {".');
        if (line.tokens.length === 1) this.block(first, depth + 1, 'on its own line');
        continue;
      }
      if (snippetName(first) !== undefined && isOpen(line.tokens.at(-1))) {
        this.issues.error('PL4001', first.pos, `snippet "${first.text}" is defined inside a block`, 'Define snippets at the top level of the Corefile, before the server blocks that import them.');
        this.skipBlock(line);
        continue;
      }
      if (depth === 1 && open && isOpen(line.tokens.at(-1)) && looksLikeServerKey(first)) {
        // Most likely the previous server block lacks its "}": close it here and start anew.
        this.issues.error('PL4001', first.pos, `server block "${line.tokens.slice(0, -1).map((t) => t.text).join(' ')}" starts inside the server block opened at line ${open.pos.line}, which has no "}"`, 'Close the server block above with "}" on its own line before starting the next one.');
        this.at--;
        return out;
      }
      const { directive, closes } = this.directive(line, depth);
      out.push(directive);
      if (closes && open) return out;
    }
  }

  /** `{}` written without a space is one token to CoreDNS, never an empty block: report it, then drop it. */
  private glued(t: Token): boolean {
    if (t.quoted || t.text !== '{}') return false;
    this.issues.error('PL4001', t.pos, '"{}" is one token to CoreDNS, not an empty block', 'Leave the empty block out, or write "{" and "}" separated by a space.');
    return true;
  }

  /** One directive line (and its block); `closes` when a stray "}" ends the line and so the enclosing block. */
  private directive(line: Line, depth: number): { directive: Directive; closes: boolean } {
    const [name, ...tokens] = line.tokens as [Token, ...Token[]];
    const rest = tokens.filter((t) => !this.glued(t));
    let args = rest;
    let block: Directive[] | undefined;
    let closes = false;
    const o = rest.findIndex(isOpen);
    if (o >= 0 && o === rest.length - 1) {
      args = rest.slice(0, -1);
      block = this.block(rest[o], depth + 1, `by "${name.text}"`);
    } else if (o >= 0 && isClose(rest.at(-1))) {
      // `name args { prop args }` on one line: CoreDNS misreads it; podlab reports it once and reads what was meant.
      const inner = rest.slice(o + 1, -1);
      this.issues.error('PL4001', rest[o]!.pos, `the block of "${name.text}" must span lines: "{" ends the line, each property goes on a line of its own, and so does "}"`, `Write "${[name, ...rest.slice(0, o + 1)].map((t) => t.text).join(' ')}", then "${inner.map((t) => t.text).join(' ')}", then "}", on three lines.`);
      args = rest.slice(0, o);
      block = inner.length ? [{ name: inner[0]!.text, pos: inner[0]!.pos, args: inner.slice(1) }] : [];
    } else if (rest.length >= 2 && isClose(rest.at(-1)) && isOpen(rest.at(-2))) {
      args = rest.slice(0, -2);
      block = [];
    } else if (o < 0 && isClose(rest.at(-1)) && depth > 1) {
      this.issues.error('PL4001', rest.at(-1)!.pos, '"}" must be on a line of its own', 'Move "}" to the next line.');
      args = rest.slice(0, -1);
      closes = true;
    }
    for (const a of args) {
      if (isOpen(a)) this.issues.error('PL4001', a.pos, `"{" must be the last token on the line of "${name.text}"`, 'A block\'s properties go on their own lines: end the line with "{", write one property per line, then "}" on its own line.');
      else if (isClose(a)) this.issues.error('PL4001', a.pos, '"}" must be on a line of its own', 'Move "}" to the next line.');
    }
    return { directive: { name: name.text, pos: name.pos, args: args.filter((a) => !isBrace(a)), ...(block ? { block } : {}) }, closes };
  }
}

/** A token that reads as a server key rather than a directive name: `.`, a domain, a port or a CIDR. */
function looksLikeServerKey(t: Token): boolean {
  return !t.quoted && !DIRECTIVE_NAMES.has(t.text) && (/[.:/]/.test(t.text) || /^[a-z]+:\/\//.test(t.text));
}

/** Keys separated by commas inside one token: `a,b` → `a`, `b` (each with its column). */
function splitKeys(t: Token): { text: string; pos: Pos }[] {
  if (t.quoted || !t.text.includes(',')) return [{ text: t.text, pos: t.pos }];
  const out: { text: string; pos: Pos }[] = [];
  let offset = 0;
  for (const part of t.text.split(',')) {
    if (part) out.push({ text: part, pos: { line: t.pos.line, col: t.pos.col + offset } });
    offset += part.length + 1;
  }
  return out;
}

const UNSUPPORTED_SCHEMES: Record<string, string> = {
  tls: 'DNS over TLS',
  https: 'DNS over HTTPS',
  https3: 'DNS over HTTP/3',
  grpc: 'DNS over gRPC',
  quic: 'DNS over QUIC',
};

/**
 * One server key → its zones (a CIDR may stand for several reverse zones) on a port, as
 * CoreDNS's normalizeZone reads `[dns://]zone[:port]`.
 */
function serverKeys(text: string, pos: Pos, issues: Issues): ServerKey[] {
  let rest = text;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    rest = rest.slice(scheme[0].length);
    if (name !== 'dns') {
      if (UNSUPPORTED_SCHEMES[name]) issues.error('PL4015', pos, `server "${text}": ${name}:// (${UNSUPPORTED_SCHEMES[name]}) is not supported by podlab, which serves plain DNS over UDP and TCP`, `Write the zone without "${name}://" (or with "dns://").`);
      else issues.error('PL4019', pos, `server "${text}" has the unknown scheme "${name}://"`, 'A server address is [dns://]ZONE[:PORT].');
      return [];
    }
  }
  let port = 53;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    const after = rest.slice(colon + 1);
    if (after === '') {
      issues.error('PL4019', pos, `server "${text}" ends with ":" but gives no port`, 'Write the port after the colon, e.g. ".:53", or leave both out for port 53.');
      return [];
    }
    if (/^\d+$/.test(after)) {
      const n = portNumber(after);
      if (n === undefined) {
        issues.error('PL4019', pos, `server "${text}": port ${after} is out of range`, 'A port is 1-65535; DNS is 53.');
        return [];
      }
      port = n;
      rest = rest.slice(0, colon);
    } else if (!rest.includes('/')) {
      issues.error('PL4019', pos, `server "${text}": "${after}" is not a port number`, 'A server address is [dns://]ZONE[:PORT], e.g. "example.org:53".');
      return [];
    }
  }
  // `:53` is the root zone: Go's dns.Fqdn("") is ".".
  if (rest === '') rest = '.';
  const rev = reverseZones(rest);
  if (rev) {
    if (!rev.ok) {
      issues.error('PL4019', pos, `server "${text}" is not a valid reverse zone: ${rev.reason}`, 'Write a network in CIDR notation, e.g. "10.0.0.0/24" for 0.0.10.in-addr.arpa.');
      return [];
    }
    if (rev.value.hostBitsSet) {
      issues.warn('PL4019', pos, `server "${text}" has host bits set; CoreDNS serves the network's reverse zone ${rev.value.zones[0]}`, 'Write the network address, with the host bits zero.');
    }
    return rev.value.zones.map((zone) => ({ text, pos, zone, port }));
  }
  const problem = domainProblem(rest);
  if (problem) {
    issues.error('PL4019', pos, `server "${text}" is not a valid zone: ${problem}`, 'A server address is [dns://]ZONE[:PORT], e.g. "." (everything), "example.org", "10.0.0.0/24" or "cluster.local:1053".');
    return [];
  }
  return [{ text, pos, zone: fqdn(rest), port }];
}

/** Caddy's import patterns: `*` matches any run of characters, `?` one character. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}
