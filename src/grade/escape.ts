/**
 * Text derived from a student (an id, a message quoting their lab, a check's evidence) reaches the
 * grader's terminal, Markdown feedback, a spreadsheet and JSON. Control characters in it would act
 * there: ESC sequences retitle or repaint a terminal, OSC 52 writes the clipboard, bidirectional
 * overrides reorder what a reader sees ("Trojan Source", CVE-2021-42574). Each output escapes them
 * into visible text; JSON escapes them as \u sequences, so it stays JSON with the same values.
 */

// C0 controls, DEL, C1 controls (U+0080–U+009F: U+009B is CSI to some terminals), the bidi
// embeddings, overrides and isolates, and the line/paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
// What JSON.stringify leaves raw of the above (it escapes only U+0000–U+001F).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/** `s` with every control character shown as `\xNN` or `\uNNNN` text (newlines and tabs too: outputs are one line per value). */
export function visible(s: string): string {
  return s.replace(UNSAFE, (c) => (c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** `JSON.stringify(value, null, 2)` with the control characters it leaves raw escaped too: still JSON, same values. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}
