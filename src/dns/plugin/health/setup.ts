/** The `health` plugin's Corefile syntax (coredns.io/plugins/health), with CoreDNS's defaults. */
import type { Directive, HealthConfig } from '../../types.ts';
import { arity, durationOf, properties, listenAddress, type Scope } from '../../corefile/check.ts';

/** `health [ADDRESS] { lameduck DURATION }`. */
export function setupHealth(d: Directive, s: Scope): HealthConfig | undefined {
  if (!arity(s, '', d.pos, d.args, 0, 1, 'health [ADDRESS]')) return undefined;
  const a = listenAddress(s, d.args[0], ':8080');
  const config: HealthConfig = { plugin: 'health', address: a?.address ?? ':8080', port: a?.port ?? 8080, lameduckMs: 0 };
  properties(s, d, {
    handlers: {
      lameduck: (p) => {
        if (arity(s, 'property "lameduck"', p.pos, p.args, 1, 1, 'lameduck DURATION')) config.lameduckMs = durationOf(s, p.args[0]!, 'property "lameduck"') ?? 0;
      },
    },
  });
  return config;
}
