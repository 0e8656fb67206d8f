/** The `loadbalance` plugin's Corefile syntax (coredns.io/plugins/loadbalance), with CoreDNS's defaults. */
import type { Directive, LoadbalanceConfig } from '../../types.ts';
import { arity, noBlock, oneOf, type Scope } from '../../corefile/check.ts';

/** `loadbalance [round_robin]`; the weighted policy is not implemented. */
export function setupLoadbalance(d: Directive, s: Scope): LoadbalanceConfig | undefined {
  const policy = d.args[0];
  if (policy?.text === 'weighted') {
    s.error('PL4015', policy.pos, 'the "weighted" policy (weights from a file) is not supported by podlab', 'Use "loadbalance" or "loadbalance round_robin".');
    return undefined;
  }
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 1, 'loadbalance [round_robin]')) return undefined;
  if (policy && !oneOf(s, policy, 'the policy', ['round_robin', 'weighted'])) return undefined;
  return { plugin: 'loadbalance', policy: 'round_robin' };
}
