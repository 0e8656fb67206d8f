/** The `whoami` plugin's Corefile syntax (coredns.io/plugins/whoami), with CoreDNS's defaults. */
import type { Directive, WhoamiConfig } from '../../types.ts';
import { arity, noBlock, type Scope } from '../../corefile/check.ts';

/** `whoami`. */
export function setupWhoami(d: Directive, s: Scope): WhoamiConfig {
  noBlock(s, d);
  arity(s, '', d.pos, d.args, 0, 0, 'whoami');
  return { plugin: 'whoami' };
}
