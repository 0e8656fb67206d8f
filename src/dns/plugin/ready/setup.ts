/** The `ready` plugin's Corefile syntax (coredns.io/plugins/ready), with CoreDNS's defaults. */
import type { Directive, ReadyConfig } from '../../types.ts';
import { arity, noBlock, listenAddress, type Scope } from '../../corefile/check.ts';

/** `ready [ADDRESS]`. */
export function setupReady(d: Directive, s: Scope): ReadyConfig | undefined {
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 1, 'ready [ADDRESS]')) return undefined;
  const a = listenAddress(s, d.args[0], ':8181');
  return a && { plugin: 'ready', address: a.address, port: a.port };
}
