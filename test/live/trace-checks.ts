/**
 * What the live trace tests ask of a trace: its hops as `kind@at` or kinds, one hop by kind (and
 * place), and that every hop was confirmed and the probe got through.
 */
import { expect } from 'vitest';
import type { LiveTrace } from '../../src/runtime/trace.ts';

export const at = (t: LiveTrace) => t.hops.map((h) => `${h.kind}@${h.at}`);
export const kinds = (t: LiveTrace) => t.hops.map((h) => h.kind);
export const hop = (t: LiveTrace, kind: string, where?: string) => t.hops.find((h) => h.kind === kind && (!where || h.at === where))!;

/** Every hop confirmed, no difference, the probe through. */
export function allConfirmed(t: LiveTrace): void {
  expect(t.hops.filter((h) => h.status !== 'confirmed').map((h) => `${h.kind}@${h.at}: ${h.observed}`), JSON.stringify(t.hops, null, 1)).toEqual([]);
  expect(t.observed!.ok, t.observed!.probe).toBe(true);
  expect(t.observed!.differences).toEqual([]);
  expect(t.outcome).toBe('delivered');
}
