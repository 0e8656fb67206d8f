/**
 * The Go printers calicoctl writes its tables with, so that podlab's `calicoctl` prints what a
 * learner sees in a Calico course byte for byte: olekukonko/tablewriter v0.0.5 (the boxed tables of
 * `calicoctl node status` and `calicoctl ipam show` up to Calico v3.29), Go's text/tabwriter as
 * calicoctl's resource printer sets it up (`calicoctl get … -o wide`), and fmt's `%.5g` and `%.f`.
 * Pure; ASCII cells (a display width of one column per character).
 */

/** tablewriter's MAX_ROW_WIDTH: a cell wider than this is wrapped at spaces (autoWrap is on by default). */
const MAX_CELL = 30;

/** tablewriter's number test: such a cell is right-aligned, any other left-aligned (ALIGN_DEFAULT). */
const DECIMAL = /^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$/;

/**
 * tablewriter's WrapWords: the words into lines of at most `limit` columns, choosing the breaks
 * that minimise the sum of squared gaps (a word longer than the limit stands on a line of its own).
 */
function wrapWords(words: string[], limit: number): string[][] {
  const n = words.length;
  const len = (i: number, j: number) => words.slice(i, j + 1).reduce((s, w) => s + w.length, 0) + (j - i);
  const PENALTY = 100000;
  const cost = Array<number>(n).fill(2 ** 31 - 1);
  const brk = Array<number>(n).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    if (len(i, n - 1) <= limit) {
      cost[i] = 0;
      brk[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const d = limit - len(i, j - 1);
      let c = d * d + cost[j]!;
      if (len(i, j - 1) > limit) c += PENALTY;
      if (c < cost[i]!) {
        cost[i] = c;
        brk[i] = j;
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n; i = brk[i]!) lines.push(words.slice(i, brk[i]));
  return lines;
}

/**
 * A cell as tablewriter lays it out (parseDimension): its lines, wrapped past MAX_CELL columns, and
 * how wide it makes its column: at least its widest line, and MAX_CELL when it was wrapped.
 */
function cellLines(text: string): { lines: string[]; width: number } {
  const raw = text.split('\n');
  const capped = Math.min(MAX_CELL, Math.max(...raw.map((l) => l.length)));
  // reflowText: one paragraph of every line; a word longer than the limit widens it.
  const words = raw.join(' ').split(' ');
  const lines = wrapWords(words, Math.max(capped, ...words.map((w) => w.length))).map((ws) => ws.join(' '));
  return { lines, width: Math.max(capped, ...lines.map((l) => l.length)) };
}

/**
 * A table as `tablewriter.NewWriter(os.Stdout)` with `SetHeader`, `Append` and `Render` prints it:
 * `+---+` rules, headers upper-cased and centred, numbers right-aligned and text left-aligned,
 * cells wider than 30 columns wrapped onto further lines. Ends with a newline.
 */
export function tablewriterBox(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = header.map(cellLines);
  const body = rows.map((r) => r.map(cellLines));
  const widths = header.map((_, i) => Math.max(head[i]!.width, ...body.map((r) => r[i]?.width ?? 0)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const out = [rule];
  const headHeight = Math.max(...head.map((c) => c.lines.length));
  for (let x = 0; x < headHeight; x++) {
    const cells = head.map((c, i) => {
      // Title(): '_' becomes a space, the rest upper case; Pad(): centred, the odd space on the right.
      const h = (c.lines[x] ?? '').replaceAll('_', ' ').trim().toUpperCase();
      const gap = widths[i]! - h.length;
      const left = Math.max(0, Math.floor(gap / 2));
      return ` ${' '.repeat(left)}${h}${' '.repeat(Math.max(0, gap - left))} `;
    });
    out.push(`|${cells.join('|')}|\n`);
  }
  out.push(rule);
  for (const r of body) {
    const height = Math.max(...r.map((c) => c.lines.length));
    for (let x = 0; x < height; x++) {
      const cells = r.map((c, i) => {
        // A shorter cell's missing lines are two spaces in tablewriter, padded like any text.
        const s = c.lines[x] ?? '  ';
        return ` ${DECIMAL.test(s.trim()) ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)} `;
      });
      out.push(`|${cells.join('|')}|\n`);
    }
  }
  out.push(rule);
  return out.join('');
}

/**
 * Lines of tab-terminated cells as Go's `tabwriter.NewWriter(os.Stdout, 5, 1, 3, ' ', 0)` aligns
 * them (calicoctl's resource printer): every cell padded to its column's width, which is its widest
 * cell plus 3 and at least 5. Each cell is terminated, the last one too, so lines end in padding.
 */
export function tabwriterColumns(rows: readonly (readonly string[])[]): string {
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(5, ...rows.map((r) => (r[i] === undefined ? 0 : r[i]!.length + 3))));
  return rows.map((r) => `${r.map((c, i) => c.padEnd(widths[i]!)).join('')}\n`).join('');
}

/** fmt's `%.<precision>g` of a float64: the shortest of %e and %f at that many significant digits, trailing zeros dropped. */
export function goG(x: number, precision = 5): string {
  if (x === 0) return '0';
  const [mantissa, exp] = x.toExponential(precision - 1).split('e') as [string, string];
  const e = Number(exp);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < -4 || e >= precision) return `${trim(mantissa)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return trim(x.toFixed(Math.max(0, precision - 1 - e)));
}

/** fmt's `%.f`: no decimals, a tie rounded to even (strconv rounds the exact value so). */
export function goRound(x: number): string {
  const f = Math.floor(x);
  const d = x - f;
  return String(d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f);
}
