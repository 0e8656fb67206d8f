/** The `loop` plugin's Corefile syntax (coredns.io/plugins/loop), with CoreDNS's defaults. */
import type { Directive, LoopConfig } from '../../types.ts';
import { arity, noBlock, type Scope } from '../../corefile/check.ts';

/** `loop`. */
export function setupLoop(d: Directive, s: Scope): LoopConfig {
  noBlock(s, d);
  arity(s, '', d.pos, d.args, 0, 0, 'loop');
  return { plugin: 'loop' };
}
