/**
 * Walking the lab language's zod schemas by a value's path: which properties an object at that
 * place may have (a misspelt property's "did you mean" among its own object's, not the whole
 * language's) and whether a dotted path is one of the lab's (an exercise's editable paths). Reads
 * zod 4's `_zod.def`; pure.
 */

/** What a zod schema is to the walk: its definition's kind and parts. */
export interface ZodLike {
  _zod: { def: { type: string; shape?: Record<string, ZodLike>; valueType?: ZodLike; element?: ZodLike; innerType?: ZodLike; options?: ZodLike[]; in?: ZodLike; left?: ZodLike; right?: ZodLike; getter?: () => ZodLike; values?: unknown[] } };
}

/** The object, record and array schemas a value of `s` may be (through optional, default, union, lazy, pipe…). */
export function branches(s: ZodLike, depth = 0): ZodLike[] {
  const def = s._zod.def;
  if (depth > 20) return [];
  if (def.innerType) return branches(def.innerType, depth + 1);
  if (def.options) return def.options.flatMap((o) => branches(o, depth + 1));
  if (def.type === 'lazy' && def.getter) return branches(def.getter(), depth + 1);
  if (def.type === 'pipe' && def.in) return branches(def.in, depth + 1);
  if (def.type === 'intersection' && def.left && def.right) return [...branches(def.left, depth + 1), ...branches(def.right, depth + 1)];
  return [s];
}

/** One step down: the schemas a value at `seg` of a value of `at` may be, and the properties the objects among `at` have. */
export function step(at: readonly ZodLike[], seg: string | number): { next: ZodLike[]; known: Set<string> } {
  const next: ZodLike[] = [];
  const known = new Set<string>();
  for (const s of at.flatMap((x) => branches(x))) {
    const def = s._zod.def;
    if (def.type === 'object') {
      Object.keys(def.shape!).forEach((k) => known.add(k));
      if (typeof seg === 'string' && def.shape![seg]) next.push(def.shape![seg]!);
    } else if (def.type === 'record') next.push(def.valueType!);
    else if (def.type === 'array' && /^\d+$/.test(String(seg))) next.push(def.element!);
  }
  return { next, known };
}

/** The properties an object at `path` of a value of `root` may have (empty when the path leads nowhere). */
export function propertiesAt(root: ZodLike, path: readonly (string | number)[]): string[] {
  const at = schemasAt(root, path);
  return at.length ? [...step(at, '').known] : [];
}

function schemasAt(root: ZodLike, path: readonly (string | number)[]): ZodLike[] {
  let at: ZodLike[] = [root];
  for (const seg of path) {
    at = step(at, seg).next;
    if (!at.length) return [];
  }
  return at;
}

/** The literal values a property of an object schema must have (a union's discriminator: `kind: 'dns'`), if it is a literal. */
function literals(s: ZodLike | undefined): unknown[] | undefined {
  const inner = s && branches(s).length === 1 ? branches(s)[0]! : s;
  return inner?._zod.def.type === 'literal' ? inner._zod.def.values : undefined;
}

/**
 * The object alternatives at `path` that `value` is (its discriminators match: a check with
 * `kind: 'dns'` is the dns check, not every check), each with the discriminating values of every
 * alternative, to say which other alternatives have a property this one lacks.
 */
export function alternativesAt(root: ZodLike, path: readonly (string | number)[], value: unknown): { own: string[]; others: { tag: string; properties: string[] }[] } | undefined {
  const objects = schemasAt(root, path).flatMap((x) => branches(x)).filter((s) => s._zod.def.type === 'object');
  if (objects.length < 2 || !value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const tagOf = (o: ZodLike) => Object.entries(o._zod.def.shape!).find(([, t]) => literals(t) !== undefined);
  const fits = (o: ZodLike) => Object.entries(o._zod.def.shape!).every(([k, t]) => { const l = literals(t); return !l || !(k in v) || l.includes(v[k]); });
  const mine = objects.filter(fits);
  if (mine.length !== 1 || !tagOf(mine[0]!)) return undefined;
  return {
    own: Object.keys(mine[0]!._zod.def.shape!),
    others: objects.filter((o) => o !== mine[0]).flatMap((o) => { const t = tagOf(o); return t ? [{ tag: String(literals(t[1])![0]), properties: Object.keys(o._zod.def.shape!) }] : []; }),
  };
}
