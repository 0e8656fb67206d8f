/**
 * Calico's label selector language (the `nodeSelector` of an IPPool), the subset podlab reads:
 *
 *   all()                       every node
 *   has(k)   !has(k)            the label k is set / not set
 *   k == 'v'   k != 'v'         the label equals / does not equal v (a node without k: != holds)
 *   k in {'a', 'b'}             the label is one of the values; `not in` the negation
 *   !e   e && e   e || e   (e)  negation, conjunction, disjunction, grouping (&& binds tighter)
 *
 * Values are in single or double quotes, as in Calico (`projectcalico/calico libcalico-go/lib/
 * selector/parser`). Pure: parse once (a coded error names the column), then match labels.
 */

export type Selector =
  | { op: 'all' }
  | { op: 'has'; key: string }
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'not'; e: Selector }
  | { op: 'and' | 'or'; a: Selector; b: Selector };

export type Parsed = { ok: true; selector: Selector } | { ok: false; error: string };

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*/;

export function parseSelector(text: string): Parsed {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at column ${i + 1} of "${text}"`);
  };
  const eat = (s: string) => {
    ws();
    if (text.startsWith(s, i)) {
      i += s.length;
      return true;
    }
    return false;
  };
  const key = () => {
    ws();
    const m = KEY.exec(text.slice(i));
    if (!m) fail('expected a label key');
    i += m![0].length;
    return m![0];
  };
  const str = () => {
    ws();
    const q = text[i];
    if (q !== "'" && q !== '"') fail('expected a quoted value');
    const end = text.indexOf(q!, i + 1);
    if (end < 0) fail('unterminated string');
    const v = text.slice(i + 1, end);
    i = end + 1;
    return v;
  };
  const set = () => {
    if (!eat('{')) fail("expected '{'");
    const values: string[] = [];
    if (eat('}')) return values;
    do values.push(str());
    while (eat(','));
    if (!eat('}')) fail("expected '}'");
    return values;
  };
  const unary = (): Selector => {
    if (eat('!')) return { op: 'not', e: unary() };
    if (eat('(')) {
      const e = or();
      if (!eat(')')) fail("expected ')'");
      return e;
    }
    if (eat('all()')) return { op: 'all' };
    ws();
    if (text.startsWith('has(', i)) {
      i += 4;
      const k = key();
      if (!eat(')')) fail("expected ')'");
      return { op: 'has', key: k };
    }
    const k = key();
    if (eat('==')) return { op: 'eq', key: k, value: str() };
    if (eat('!=')) return { op: 'ne', key: k, value: str() };
    if (eat('not in')) return { op: 'notin', key: k, values: set() };
    ws();
    if (/^in[\s{]/.test(text.slice(i))) {
      i += 2;
      return { op: 'in', key: k, values: set() };
    }
    return fail("expected ==, !=, in or not in after a label key");
  };
  const and = (): Selector => {
    let a = unary();
    while (eat('&&')) a = { op: 'and', a, b: unary() };
    return a;
  };
  const or = (): Selector => {
    let a = and();
    while (eat('||')) a = { op: 'or', a, b: and() };
    return a;
  };
  try {
    const selector = or();
    ws();
    if (i < text.length) fail('unexpected text');
    return { ok: true, selector };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export function matches(s: Selector, labels: Readonly<Record<string, string>>): boolean {
  switch (s.op) {
    case 'all':
      return true;
    case 'has':
      return s.key in labels;
    case 'eq':
      return labels[s.key] === s.value;
    case 'ne':
      return labels[s.key] !== s.value;
    case 'in':
      return s.key in labels && s.values.includes(labels[s.key]!);
    case 'notin':
      return !(s.key in labels && s.values.includes(labels[s.key]!));
    case 'not':
      return !matches(s.e, labels);
    case 'and':
      return matches(s.a, labels) && matches(s.b, labels);
    case 'or':
      return matches(s.a, labels) || matches(s.b, labels);
  }
}

/** Whether `text` selects a node with `labels`; false for a selector that does not parse (validation reports it). */
export function selects(text: string, labels: Readonly<Record<string, string>>): boolean {
  const p = parseSelector(text);
  return p.ok && matches(p.selector, labels);
}
