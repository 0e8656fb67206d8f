/** The `reload` plugin's Corefile syntax (coredns.io/plugins/reload), with CoreDNS's defaults. */
import type { Directive, ReloadConfig } from '../../types.ts';
import { arity, durationOf, noBlock, type Scope } from '../../corefile/check.ts';
import { formatDuration } from '../../corefile/names.ts';

/** CoreDNS's reload limits (plugin/reload/setup.go). */
const RELOAD = { minIntervalMs: 2000, minJitterMs: 1000, intervalMs: 30_000, jitterMs: 15_000 };

/** `reload [INTERVAL [JITTER]]`: interval ≥ 2s, jitter ≥ 1s; a jitter above interval/2 becomes interval/2. */
export function setupReload(d: Directive, s: Scope): ReloadConfig | undefined {
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 2, 'reload [INTERVAL [JITTER]]')) return undefined;
  const intervalMs = d.args[0] ? durationOf(s, d.args[0], 'INTERVAL', RELOAD.minIntervalMs) : RELOAD.intervalMs;
  let jitterMs = d.args[1] ? durationOf(s, d.args[1], 'JITTER', RELOAD.minJitterMs) : RELOAD.jitterMs;
  if (intervalMs === undefined || jitterMs === undefined) return undefined;
  if (jitterMs > intervalMs / 2) {
    if (d.args[1]) s.warn('PL4022', d.args[1].pos, `JITTER ${d.args[1].text} is more than half the interval, so CoreDNS uses ${formatDuration(intervalMs / 2)}`, `Write a jitter of at most ${formatDuration(intervalMs / 2)}.`);
    jitterMs = intervalMs / 2;
  }
  return { plugin: 'reload', intervalMs, jitterMs };
}
