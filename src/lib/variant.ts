/**
 * Per-student variants: an exercise may list choices per parameter (a Service name, a port); each
 * student gets one value of each, picked from a seed (the exercise and the student's id), the same
 * every time, so two students' answers differ and a regrade gives the same task.
 */
import { createHash } from './crypto.ts';

export type Variant = Record<string, string | number>;

/** One value per parameter, chosen by a hash of the seed and the parameter's name. Pure. */
export function pickVariant(variants: Record<string, readonly (string | number)[]>, seed: string): Variant {
  const out: Variant = {};
  for (const [key, choices] of Object.entries(variants)) {
    if (!choices.length) continue;
    const n = createHash('sha256').update(`${seed}\0${key}`).digest().readUInt32BE(0);
    out[key] = choices[n % choices.length]!;
  }
  return out;
}
