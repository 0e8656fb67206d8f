/**
 * The registry of check kinds: every kind's types (one line in CheckTypes) and its module (one
 * line in PROBE_KINDS or GRID_KINDS). Validation, planning and the runner dispatch through it;
 * the mapped types make a kind without a module, or a module without a probe or a judge, a
 * compile error, and there is no default kind to fall through to.
 */
import type { CheckSpec } from '../../schema/lab-schema.ts';
import type { GridKind, KindBase, ProbeKind, Stage } from './kind.ts';
import { bgp, type BgpCheck } from './bgp.ts';
import { block, type BlockCheck } from './block.ts';
import { command, type CommandCheck } from './command.ts';
import { dns, type DnsCheck } from './dns.ts';
import { http, type HttpCheck } from './http.ts';
import { matrix, type CellCheck, type MatrixCheck } from './matrix.ts';
import { ping, type PingCheck } from './ping.ts';
import { route, type RouteCheck } from './route.ts';
import { tcp, type TcpCheck } from './tcp.ts';
import { udp, type UdpCheck } from './udp.ts';
import { vxlan, type VxlanCheck } from './vxlan.ts';

/** Each kind's check, in phase S ('lab': as validated; 'plan': resolved). */
export interface CheckTypes<S extends Stage> {
  ping: PingCheck<S>;
  tcp: TcpCheck<S>;
  udp: UdpCheck<S>;
  http: HttpCheck<S>;
  dns: DnsCheck<S>;
  command: CommandCheck<S>;
  route: RouteCheck<S>;
  vxlan: VxlanCheck<S>;
  bgp: BgpCheck<S>;
  block: BlockCheck<S>;
  matrix: MatrixCheck<S>;
}

export type CheckKindName = keyof CheckTypes<Stage>;
/** Kinds run as a grid of other checks; every other kind is run as one probe. */
export type GridKindName = 'matrix';
export type ProbeKindName = Exclude<CheckKindName, GridKindName>;

/** A check as validation hands it to the planner: a union on `kind`, each with only its own fields. */
export type LabCheck<K extends CheckKindName = CheckKindName> = CheckTypes<'lab'>[K];
/** A check as planned: the same union with every reference resolved. */
export type PlanCheck<K extends CheckKindName = CheckKindName> = CheckTypes<'plan'>[K];

export const PROBE_KINDS: { readonly [K in ProbeKindName]: ProbeKind<K, LabCheck<K>, PlanCheck<K>> } = {
  ping,
  tcp,
  udp,
  http,
  dns,
  command,
  route,
  vxlan,
  bgp,
  block,
};

export const GRID_KINDS: { readonly [K in GridKindName]: GridKind<K, LabCheck<K>, PlanCheck<K>, CellCheck<'plan'>> } = {
  matrix,
};

export const CHECK_KINDS: { readonly [K in CheckKindName]: KindBase<K, LabCheck<K>, PlanCheck<K>> } = { ...PROBE_KINDS, ...GRID_KINDS };

/** Every kind the lab language has is registered, and nothing else (fails to compile otherwise). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const SCHEMA_KINDS_ARE_REGISTERED: Same<CheckSpec['kind'], CheckKindName> = true;

/**
 * The module of a kind, seen as handling any check: each method is only ever handed a check of the
 * module's own kind (`kindOf(c.kind).plan(c, …)`), which is what makes the widening sound.
 */
export function kindOf(kind: CheckKindName): KindBase<CheckKindName, LabCheck, PlanCheck> {
  return CHECK_KINDS[kind];
}

export function probeKindOf(kind: ProbeKindName): ProbeKind<ProbeKindName, LabCheck<ProbeKindName>, PlanCheck<ProbeKindName>> {
  return PROBE_KINDS[kind];
}

export type { CellCheck } from './matrix.ts';
export type { CheckSource, CheckTarget, Verdict } from './kind.ts';
