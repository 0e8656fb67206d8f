/** Calico's host-side veth names, used by the plan (index.ts); plugin.c computes the same in C. */
import { createHash } from '../../lib/crypto.ts';

/** Calico's VethNameForWorkload: `cali` + the first 11 hex digits of sha1("<namespace>.<pod>"), 15 bytes. */
export function hostVethName(namespace: string, pod: string): string {
  return `cali${createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11)}`;
}
