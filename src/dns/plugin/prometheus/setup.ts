/** The `prometheus` plugin's Corefile syntax (coredns.io/plugins/prometheus), with CoreDNS's defaults. */
import type { Directive, PrometheusConfig } from '../../types.ts';
import { arity, noBlock, listenAddress, type Scope } from '../../corefile/check.ts';

/** `prometheus [ADDRESS]`. */
export function setupPrometheus(d: Directive, s: Scope): PrometheusConfig | undefined {
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 1, 'prometheus [ADDRESS]')) return undefined;
  const a = listenAddress(s, d.args[0], 'localhost:9153');
  return a && { plugin: 'prometheus', address: a.address, port: a.port };
}
