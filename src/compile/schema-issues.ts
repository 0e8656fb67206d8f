/**
 * Turns zod issues into podlab diagnostics: a permanent code per kind of problem, a message in
 * the lab's words, and a "did you mean" where a near name exists.
 */
import type { z } from 'zod';
import { diag, type Diagnostic, type Path } from './diagnostics.ts';
import { nearest } from '../lib/edit-distance.ts';
import { labSchema } from '../schema/lab-schema.ts';
import { exerciseSchema } from '../schema/exercise-schema.ts';
import { alternativesAt, propertiesAt, type ZodLike } from './schema-walk.ts';

export { nearest };

type Issue = z.core.$ZodIssue;

/** `root`: the value that was parsed, so a wrong value can be named and matched to the one meant. */
export function issuesToDiagnostics(issues: readonly Issue[], root?: unknown): Diagnostic[] {
  return withoutMissingMisspelt(issues.flatMap((i) => one(i, root)));
}

/** The value at `path` in `root`, if there is one. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** PL1001 for a value not among `values`: the value written, and the one meant when one is near (a case slip, a typo). */
function notOneOf(path: Path, values: readonly unknown[], written: unknown): Diagnostic {
  const options = values.map((v) => JSON.stringify(v)).join(', ');
  const strings = values.filter((v): v is string => typeof v === 'string');
  const near = typeof written === 'string' ? nearest(written, strings) : undefined;
  return diag('PL1001', path, `must be one of ${options}${written !== undefined ? ` (got ${JSON.stringify(written)})` : ''}`, near ? didYouMean(near) : undefined);
}

/** PL1002's hint when a near property exists, and the pattern that reads that name back. */
const didYouMean = (near: string): string => `Did you mean "${near}"?`;
const DID_YOU_MEAN = /^Did you mean "(.*)"\?$/;

/**
 * A misspelt property is one mistake, but zod reports it twice: the unknown name, and the name
 * it should have been as missing. Only the first is kept when its "did you mean" names the
 * missing property of the same object (PL1002 points at the misspelt line, PL1003 only at the object).
 */
function withoutMissingMisspelt(diagnostics: Diagnostic[]): Diagnostic[] {
  const meant = new Set(diagnostics.flatMap((d) => {
    const near = d.code === 'PL1002' ? DID_YOU_MEAN.exec(d.hint ?? '')?.[1] : undefined;
    return near === undefined ? [] : [JSON.stringify([...d.path.slice(0, -1), near])];
  }));
  return diagnostics.filter((d) => d.code !== 'PL1003' || !meant.has(JSON.stringify(d.path)));
}

function one(issue: Issue, root?: unknown): Diagnostic[] {
  const path = issue.path as Path;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const elsewhere = otherAlternatives(key, path, valueAt(root, path));
        const near = elsewhere?.near ?? (elsewhere ? undefined : nearProperty(key, path));
        return diag('PL1002', [...path, key], `unknown property "${key}"`, near ? didYouMean(near) : (elsewhere?.hint ?? placesOf(key, path) ?? 'Remove it, or check the spelling against the lab language (editor completion lists the properties).'));
      });
    case 'invalid_type':
      if ((issue as { input?: unknown }).input === undefined && /received undefined/.test(issue.message)) {
        return [diag('PL1003', path, `missing required property "${String(path.at(-1))}" (${issue.expected})`, 'Add it.')];
      }
      return [diag('PL1004', path, `expected ${issue.expected}, ${issue.message.replace(/^.*received /, 'got ')}`)];
    case 'invalid_value':
      return [notOneOf(path, issue.values, valueAt(root, path))];
    case 'invalid_format':
      return [diag(/DNS-1123/.test(issue.message) ? 'PL1005' : 'PL1001', path, issue.message)];
    case 'invalid_union': {
      const u = issue as Issue & { note?: string; options?: unknown[]; errors: Issue[][] };
      if (u.note === 'No matching discriminator') {
        return [notOneOf(path, u.options ?? [], undefined)];
      }
      // Report the alternative that got furthest (fewest issues) rather than all of them.
      const best = [...u.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      return best.flatMap((sub) => one({ ...sub, path: [...path, ...sub.path] } as Issue, root));
    }
    case 'too_small':
    case 'too_big':
      if (/DNS-1123/.test(issue.message)) return [diag('PL1005', path, issue.message)];
      return [diag('PL1001', path, issue.message.startsWith('Too') ? issue.message.replace(/^Too (small|big): expected \w+ to (have |be )?/, 'must be ') : issue.message)];
    default:
      return [diag('PL1001', path, issue.message)];
  }
}

/**
 * A property of one alternative of a union written on another (`expect` on a check of kind 'dns',
 * which only the reachability kinds have): the object is told by its discriminator, and the near
 * property is looked for among its own alone; none near, the hint names the alternatives that have
 * it and the object's own properties. Undefined when the object is no such alternative, or the
 * property is no other alternative's either.
 */
function otherAlternatives(key: string, path: Path, value: unknown): { near?: string; hint: string } | undefined {
  const alt = alternativesAt(labSchema as unknown as ZodLike, path, value) ?? alternativesAt(exerciseSchema as unknown as ZodLike, path, value);
  const having = alt?.others.filter((o) => o.properties.includes(key));
  if (!alt || !having?.length) return undefined;
  const tagKey = Object.keys(value as object).find((k) => alt.own.includes(k) && typeof (value as Record<string, unknown>)[k] === 'string' && having.every((o) => o.tag !== (value as Record<string, unknown>)[k]));
  const tag = tagKey ? `${tagKey} '${String((value as Record<string, unknown>)[tagKey])}'` : 'this one';
  return {
    near: nearest(key, alt.own.filter((k) => k !== key)),
    hint: `"${key}" belongs to ${tagKey ? `${tagKey} ` : ''}${having.map((o) => `'${o.tag}'`).join(', ')}, not to ${tag}, whose properties are ${alt.own.join(', ')}.`,
  };
}

/**
 * Every property name of the lab language, for "did you mean" (zod's issue does not carry the
 * object's shape): read once from the schema itself, so a property added to it (an ingress's, a
 * Calico pool's, a probe's) is suggested without a list to keep.
 */
let known: string[] | undefined;
/**
 * The property `key` was meant to be: the nearest of its own object's (in the lab, else in the
 * exercise language), or one of them it begins (`node` in a Deployment's template: `nodeName`);
 * only where the path leads to no object of either, the nearest of the whole language's.
 */
function nearProperty(key: string, path: Path): string | undefined {
  const own = propertiesAt(labSchema as unknown as ZodLike, path);
  const local = (own.length ? own : propertiesAt(exerciseSchema as unknown as ZodLike, path)).filter((k) => k !== key);
  if (!local.length) return nearest(key, knownProperties().filter((k) => k !== key));
  return nearest(key, local) ?? (key.length >= 3 ? local.filter((k) => k.startsWith(key)).sort((a, b) => a.length - b.length)[0] : undefined);
}

/**
 * Where else in the lab language a property lives (`ipFamilies` written on a pod: the lab's and a
 * Service's), as a hint; undefined when nowhere, or in too many places to help. Top-level objects
 * only (the lab, and each kind of object a lab holds by name), where the mistaken place is likely.
 */
function placesOf(key: string, path: Path): string | undefined {
  const shape = (labSchema as unknown as { _zod: { def: { shape: Record<string, ZodLike> } } })._zod.def.shape;
  const places: string[] = [];
  if (key in shape && path.length) places.push('the lab itself');
  for (const field of Object.keys(shape)) {
    const own = propertiesAt(labSchema as unknown as ZodLike, [field, 'x']);
    if (own.includes(key) && field !== path[0]) places.push(`${field}.<name>`);
  }
  if (!places.length || places.length > 3) return undefined;
  return `"${key}" is a property of ${places.join(' and of ')}, not of ${path.length ? path.map(String).join('.') : 'the lab'}.`;
}

function knownProperties(): string[] {
  if (known) return known;
  const keys = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (t: unknown): void => {
    if (!t || typeof t !== 'object' || seen.has(t)) return;
    seen.add(t);
    const def = (t as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return;
    if (def.type === 'object') for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) keys.add(k), walk(v);
    else if (def.type === 'lazy') walk((def.getter as () => unknown)());
    else for (const k of ['innerType', 'element', 'valueType', 'in', 'out', 'left', 'right']) walk(def[k]);
    for (const k of ['options', 'items']) if (Array.isArray(def[k])) (def[k] as unknown[]).forEach(walk);
  };
  walk(labSchema);
  walk(exerciseSchema);
  return (known = [...keys]);
}
