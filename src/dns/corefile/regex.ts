/**
 * Go (RE2) regular expressions as Corefiles write them → JavaScript RegExp sources the runtime
 * can compile. The differences that matter in Corefiles: named groups are `(?P<name>…)` in Go
 * and `(?<name>…)` in JavaScript; a leading `(?i)` flag group has no JavaScript inline form, so
 * it is reported rather than silently dropped. Everything else is compiled as written, and a
 * pattern JavaScript rejects is reported with JavaScript's reason.
 */
import type { Result } from './names.ts';

export interface CompiledRegex {
  /** The JavaScript source (named groups converted). */
  source: string;
  /** Number of capturing groups, for `{N}` references. */
  groups: number;
}

export function compileGoRegex(pattern: string): Result<CompiledRegex> {
  if (pattern === '') return { ok: false, reason: 'the pattern is empty' };
  if (/^\(\?[imsU]+\)/.test(pattern)) {
    return { ok: false, reason: `the flag group "${/^\(\?[imsU]+\)/.exec(pattern)![0]}" has no JavaScript equivalent in podlab; names are matched lower-case, so write the pattern in lower case` };
  }
  const source = pattern.replace(/\(\?P</g, '(?<');
  try {
    const re = new RegExp(source);
    // A pattern that matches the empty string has exactly as many groups as the match array minus one.
    const groups = new RegExp(`${source}|`).exec('')!.length - 1;
    void re;
    return { ok: true, value: { source, groups } };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.replace(/^Invalid regular expression: /, '') };
  }
}
