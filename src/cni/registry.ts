/**
 * The CNI modes, by name. Adding a mode is a folder under src/cni/ and one entry in `MODES`
 * (docs/cni-modes.md), its schema one in `schemas.ts`; the lab schema, the resolved lab's and the
 * plan's types follow from here. Nothing here loads zod: planning, rendering and running a lab
 * that validated before need no schema (the CLI loads validation only for a lab it has not seen).
 */
import type { z } from 'zod';
import { calico } from './calico/index.ts';
import { flannel } from './flannel/index.ts';
import { kubenet } from './kubenet/index.ts';
import { CNI_TYPES, type CniType } from './names.ts';
import type { CniMode } from './types.ts';

export { CNI_TYPES, type CniType };

/** Every mode, in the order the lab schema lists them (the order of its error messages): names.ts's, which the type check holds it to. */
const MODES = [kubenet, flannel, calico] as const;
type NamesOf<T extends readonly { type: string }[]> = { -readonly [K in keyof T]: T[K] extends { type: infer N } ? N : never };
const SAME_NAMES_IN_ORDER: NamesOf<typeof MODES> = [...CNI_TYPES];
void SAME_NAMES_IN_ORDER;

type Modes = (typeof MODES)[number];
type ConfigOf<M> = M extends CniMode<string, z.ZodType, infer C, { type: string }> ? C : never;
type DataOf<M> = M extends CniMode<string, z.ZodType, { type: string }, infer D> ? D : never;
type SchemaOf<M> = M extends CniMode<string, infer S> ? S : never;
/** `cni:` as written in a lab: a mode's name, or its object form (schemas.ts `cniSchema`). */
export type CniSpec = CniType | z.output<SchemaOf<Modes>>;

/** A resolved `cni:` of a lab: one mode's config, defaults filled. */
export type CniConfig = ConfigOf<Modes>;
/** A node's share of its mode's plan (`PlanNode.cni`). */
export type NodeCni = DataOf<Modes>;

const byType = new Map<string, CniMode>(MODES.map((m) => [m.type, m as unknown as CniMode]));

/** Every mode's hints for a missing kernel feature, by feature. */
export function cniFeatureHints(): Record<string, string> {
  return Object.assign({}, ...[...byType.values()].map((m) => m.featureHints));
}


/** The mode of a resolved config (or of a node's data), typed loosely: callers hold a config of that mode. */
export function cniMode(type: string): CniMode<string, z.ZodType, { type: string }, { type: string }> {
  const m = byType.get(type);
  if (!m) throw new Error(`unknown CNI mode "${type}"`);
  return m;
}

/** The resolved config of `cni:` as written (a name, or the object form). */
export function normalizeCni(spec: CniSpec, families?: readonly ('IPv4' | 'IPv6')[]): CniConfig {
  const type = typeof spec === 'string' ? spec : spec.type;
  return cniMode(type).normalize(typeof spec === 'string' ? undefined : spec, families) as CniConfig;
}

/**
 * Adds a mode at run time, for tests and experiments: it plans, renders and runs like the built-in
 * ones, but the lab schema (schemas.ts) does not accept its name; a real mode goes in `MODES`.
 */
export function registerCniMode<T extends string, S extends z.ZodType, C extends { type: T }, D extends { type: T }>(mode: CniMode<T, S, C, D>): void {
  byType.set(mode.type, mode as unknown as CniMode);
}
